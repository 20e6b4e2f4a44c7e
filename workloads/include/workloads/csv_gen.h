// workloads/csv_gen.h — Vetspire-style normalized CSV files at any size.
//
// Seven tables, written in dependency order: locations, products,
// protocols, clients, patients, immunizations, orders (the files
// datasets/vetspire/mapping.edn describes). Row counts follow from a number
// of clients (the scale) or from a target total size in bytes. Every row is
// a pure function of (seed, table, row number), so generation streams in
// constant memory and is the same on every run and platform.
//
// Valid rows exercise the reader: some notes hold commas, escaped quotes
// and newlines, clients.csv and orders.csv end lines with CRLF, patients'
// birth dates are MM/dd/yyyy, booleans are Y/N.
//
// With bad_rows > 0, after each good row an extra malformed row follows
// with that probability, its kind cycling through the five kinds (those a
// table can have): wrong type, missing identity, unresolvable reference,
// broken quoting, wrong column count. A bad row's identity is fresh
// ("C-bad-17"), so nothing refers to it: an import under on_error skip
// reports exactly the bad rows the generator counted and imports every
// good one.
//
// Thread safety: plain values and free functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"

namespace strata::workloads {

enum class VetTable : uint8_t { kLocations, kProducts, kProtocols, kClients, kPatients, kImmunizations, kOrders };
constexpr int kVetTables = 7;
const char* VetTableFile(VetTable t);  // "clients.csv"

enum class BadKind : uint8_t { kWrongType, kMissingKey, kUnresolvableRef, kBrokenQuoting, kWrongColumnCount };
constexpr int kBadKinds = 5;
const char* BadKindName(BadKind k);  // "wrong-type", ...

struct CsvGenPlan {
  uint64_t seed = 1;
  uint64_t clients = 1000;
  std::array<uint64_t, kVetTables> rows{};  // good rows per table (Plan* fill it)
  double bad_rows = 0;                      // odds of a malformed row after each good one
  bool unresolvable_refs = true;            // include the unresolvable-reference kind
  int64_t start_ms = 1420070400000;         // 2015-01-01: events fall in [start, start + span)
  int64_t span_ms = 10LL * 365 * 86400000;  // ten years
};

// Row counts for `clients` clients: 1.5 patients, 4 immunizations and 3
// orders per client; one location per 1500 clients (at least 2); 40
// products; 12 protocols.
CsvGenPlan PlanForClients(uint64_t clients, uint64_t seed, double bad_rows = 0);
// The plan whose files total about `bytes` (within a few percent).
CsvGenPlan PlanForBytes(uint64_t bytes, uint64_t seed, double bad_rows = 0);

// One table's rows as CSV text, one at a time.
class CsvTableGen {
 public:
  CsvTableGen(VetTable table, const CsvGenPlan& plan);
  VetTable table() const { return table_; }
  // The header line, with its line end.
  std::string Header() const;
  // Appends the next row (good or bad) with its line end; false when done.
  // *bad is set to the kind of a malformed row, or left alone for a good one.
  bool Next(std::string* out, bool* is_bad, BadKind* bad);
  uint64_t good_rows() const { return produced_; }
  // The table's size in bytes (header, good and bad rows): exact for small
  // tables, from `samples` rows spread over the table otherwise.
  uint64_t EstimatedBytes(size_t samples = 1000) const;

 private:
  void Fields(uint64_t i, std::vector<std::string>* f) const;
  void Render(const std::vector<std::string>& f, std::string* out) const;
  void RenderBad(uint64_t i, BadKind kind, std::string* out) const;
  uint64_t Hash(uint64_t i, uint64_t salt) const;

  VetTable table_;
  CsvGenPlan plan_;
  const char* eol_;
  uint64_t produced_ = 0;
  bool bad_pending_ = false;
  uint64_t bad_count_ = 0;
  mutable std::vector<std::string> fields_;
};

struct CsvGenTable {
  std::string file;
  uint64_t rows = 0;                      // good rows
  std::array<uint64_t, kBadKinds> bad{};  // malformed rows by kind
  uint64_t bytes = 0;
};

struct CsvGenReport {
  std::vector<CsvGenTable> tables;  // in VetTable order
  uint64_t bytes = 0;
  uint64_t good_rows() const;
  uint64_t bad_rows() const;
  std::string Summary() const;  // one line per table
};

// Writes the seven files into `dir` (created if needed), plus mapping.edn
// and schema.edn, so `strata import --mapping DIR/mapping.edn DIR/*.csv`
// works on the result.
Status GenerateCsv(Env* env, const std::string& dir, const CsvGenPlan& plan, CsvGenReport* report);

// The mapping and schema of the generated files (datasets/vetspire/ holds
// the same text; a test keeps them equal).
const std::string& VetspireMappingEdn();
const std::string& VetspireSchemaEdn();

}  // namespace strata::workloads
