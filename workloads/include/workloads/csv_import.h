// workloads/csv_import.h — bulk import of CSV files through a mapping.
//
// ImportCsv streams each file (csv_reader.h) in constant memory, converts
// rows per the mapping (csv_mapping.h) and commits them in batches, one
// transaction per `batch_rows` rows:
//
//   - Upsert: a row whose identity value exists updates that entity. A row
//     whose every value is already current is "unchanged" and not sent at
//     all, so re-importing the same files commits no transaction and adds
//     no datom (not even a :db/txInstant).
//   - References resolve to an entity already in the database (AVET on the
//     referenced unique attribute) or to a row of the same batch (by its
//     tempid); otherwise the row is bad ("unresolvable reference"). A
//     batch's keys are looked up together, once each, in index order, and
//     its rows are sent in key order: consecutive lookups (the importer's
//     and the transactor's) read the same leaves, so a segment cache much
//     smaller than the database does not turn each lookup into a read.
//   - A row whose identity already appears in the open batch first commits
//     the batch, so the later row wins, as it would one row at a time.
//   - Bad rows (malformed CSV, wrong column count, unparsable value,
//     missing required value, unresolvable reference, or a row the
//     transactor refuses) are reported with file, line and reason.
//     on_error = fail: the import stops at the first one; nothing of that
//     row's batch is committed, earlier batches stay committed (the report
//     says through which line). on_error = skip: the bad row is listed and
//     left out; when the transactor refuses a batch, the batch's rows are
//     tried one by one against a speculative database to find the culprits,
//     and the batch is committed again without them.
//
// Thread safety: one import per Connection at a time; the callbacks run on
// the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"
#include "workloads/csv_mapping.h"

namespace strata::workloads {

struct RowError {
  std::string file;  // the path as given
  uint64_t line = 0; // physical line where the row starts; 0: the whole file
  std::string reason;
  std::string ToString() const;  // "data/clients.csv:17: column 'balance': 'abc' is not a double"
};

struct ImportProgress {
  std::string file;          // the file being read
  uint64_t rows = 0;         // data rows read so far, every file
  uint64_t datoms = 0;       // datoms committed so far
  uint64_t bytes_read = 0;   // every file
  uint64_t bytes_total = 0;  // sum of the files' sizes
  double seconds = 0;        // since the import started
  double rows_per_s() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
  double datoms_per_s() const { return seconds > 0 ? static_cast<double>(datoms) / seconds : 0; }
  // Seconds left at the current byte rate; negative when unknown.
  double eta_s() const;
};

struct ImportReport {
  uint64_t files = 0;           // files imported (completely or up to a stop)
  uint64_t rows = 0;            // data rows read (headers excluded)
  uint64_t rows_imported = 0;   // rows committed that said something new
  uint64_t rows_unchanged = 0;  // rows whose every value was already current
  uint64_t rows_bad = 0;        // bad rows (under skip: left out)
  uint64_t transactions = 0;    // committed
  uint64_t datoms = 0;          // committed, :db/txInstant included
  uint64_t retried_batches = 0; // batches committed again without their bad rows
  uint64_t bytes = 0;           // CSV bytes read
  double seconds = 0;
  bool schema_transacted = false;  // the mapping's schema was not installed yet
  std::vector<T> schema_ts;        // the t of each schema transaction committed
  T first_data_t = 0, last_data_t = 0;  // the t of the first and last row transaction; 0 none
  std::vector<RowError> errors;    // the first max_listed_errors bad rows
  std::string committed_through;   // "file:line" of the last committed row; "" none
  // A few lines: counts, rates, and where committed data ends.
  std::string Summary() const;
  // What stays committed, for a message after a failure or a stop:
  // "nothing was committed", "the schema transaction (t=1000) was
  // committed; no data rows were committed", or "... 40 rows in 2
  // transactions (t=1001..1002) were committed, through clients.csv:41".
  std::string CommittedText() const;
};

struct ImportOptions {
  size_t batch_rows = 0;              // rows per transaction; 0: the mapping's :batch
  std::optional<OnError> on_error;    // unset: the mapping's :on-error
  size_t max_listed_errors = 1000;    // later bad rows are counted, not listed
  Env* env = nullptr;                 // reads the CSV and schema files; null: Env::Default()
  double progress_interval_s = 0.25;  // least time between progress calls (a last one comes at the end)
  std::function<void(const ImportProgress&)> progress;  // optional
  std::function<bool()> stop;         // optional; polled after each commit: true stops cleanly
};

// Imports `paths` per `mapping`. Each path is matched by base name to a
// mapping entry; files are imported in the mapping's order whatever the
// order of `paths`. A path matching no entry is InvalidArgument before
// anything is committed. `report` is filled in every case.
//
// Returns OK; InvalidArgument for a bad row under fail (report->errors
// holds it; batches before it stay committed); Aborted when stop() asked
// (every committed batch stays); or the engine's or Env's error.
Status ImportCsv(Connection& conn, const Mapping& mapping, const std::vector<std::string>& paths,
                 const ImportOptions& options, ImportReport* report);

// Transacts the mapping's schema (when it names one) unless every datom of
// it is already current; *transacted says whether it was, and *ts (when
// given) gets the t of each schema transaction committed, also when a later
// one fails.
Status EnsureSchema(Connection& conn, Env* env, const Mapping& mapping, bool* transacted,
                    std::vector<T>* ts = nullptr);

// Builds transactions from mapped rows without a database, for rows known
// to be valid (generated ones): a reference to a row of the same batch uses
// that row's tempid, any other a lookup ref. The bulk-import workload's path.
class TxBatchBuilder {
 public:
  // False (nothing added) when the row's identity is already in the batch:
  // Take() the batch first.
  bool Add(const MappedRow& row);
  size_t size() const { return rows_.size(); }
  // The batch as one transaction (a vector of maps); the builder is empty after.
  edn::Node Take();

 private:
  std::vector<edn::Node> rows_;
  std::unordered_set<std::string> tempids_;
};

}  // namespace strata::workloads
