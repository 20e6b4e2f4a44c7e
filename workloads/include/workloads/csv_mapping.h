// workloads/csv_mapping.h — the mapping file of a bulk CSV import, and the
// per-row conversion from CSV fields to attribute values.
//
// A mapping (EDN, docs/bulk-import.md) says, per CSV file, which entity
// type its rows are, and per column: the attribute it becomes, how the text
// is parsed (long, double, boolean, instant with a date format, uuid,
// keyword, string; trimmed or not), whether it is required, whether it is a
// unique identity (the upsert key), and whether it is a reference resolved
// through another entity's unique attribute ([:client/id "C-1"]). An empty
// cell (after trimming) means "no value": nothing is asserted or retracted.
//
// Everything here is pure: no database, no I/O except LoadMapping.
//
// Thread safety: Mapping and RowMapper are immutable after construction
// and may be shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/database.h"
#include "strata/edn.h"
#include "strata/env.h"
#include "workloads/csv_reader.h"

namespace strata::workloads {

enum class OnError : uint8_t {
  kFail,  // stop at the first bad row; its batch is not committed
  kSkip,  // report bad rows, leave them out, import the rest
};
const char* OnErrorName(OnError p);
bool ParseOnError(std::string_view s, OnError* out);  // "fail", "skip", ":skip"

struct ColumnSpec {
  std::string column;        // header name in the CSV file
  std::string attr;          // attribute ident, "ns/name"
  ValueType type = ValueType::kString;  // how the text parses; for refs, the key's type
  std::string ref;           // non-empty: a reference through this unique attribute
  bool identity = false;     // the row's upsert key (implies required)
  bool required = false;     // an empty cell is a bad row
  bool trim = true;          // strip surrounding blanks before parsing
  std::string format;        // instants: "iso" (default), "epoch-ms", "epoch-s" or a
                             // pattern of yyyy MM dd HH mm ss SSS (M d H: 1-2 digits)
  std::string keyword_ns;    // keywords: namespace given to bare names
  std::string split;         // non-empty: the cell holds several values (cardinality many)
};

struct FileSpec {
  std::string file;    // base name the CSV file must have ("clients.csv")
  std::string entity;  // entity type, for reports ("client")
  char delimiter = ',';
  std::vector<ColumnSpec> columns;
  // The identity column, or nullptr when rows have none (then a re-import
  // creates new entities: documented as such).
  const ColumnSpec* identity() const;
};

struct Mapping {
  std::vector<FileSpec> files;  // imported in this order (referenced types first)
  std::string schema_path;      // EDN schema transacted first when not installed; "" none
  size_t batch_rows = 1000;     // rows per transaction
  OnError on_error = OnError::kFail;
};

// Parses a mapping; `base_dir` resolves a relative :schema path.
Result<Mapping> ParseMapping(const edn::Node& m, const std::string& base_dir = "");
Result<Mapping> LoadMapping(Env* env, const std::string& path);

// Checks a mapping against a database's schema: every attribute exists with
// the column's type (or ref), every :ref target is a unique attribute of
// the column's type, identity columns are :db.unique/identity.
Status CheckMapping(const Database& db, const Mapping& mapping);

// Parses one cell's text per the column (split, trimmed) into values
// appended to *out. Empty: appends nothing. False with *error on bad text.
bool ParseCell(const ColumnSpec& col, std::string_view text, std::vector<Value>* out, std::string* error);

// Parses an instant with a format ("iso", "epoch-ms", "epoch-s" or a pattern).
bool ParseInstantWithFormat(std::string_view format, std::string_view text, int64_t* ms);

// One value of a mapped row. For a reference column, `v` is the key value
// of the referenced entity (its `col->ref` attribute).
struct MappedValue {
  const ColumnSpec* col = nullptr;
  Value v;
};

struct MappedRow {
  uint64_t line = 0;
  const ColumnSpec* identity = nullptr;  // null when the file has no identity column
  Value key;                             // the identity value
  std::vector<MappedValue> values;       // includes the identity
};

// Binds a FileSpec to a file's header row.
class RowMapper {
 public:
  // InvalidArgument when a mapped column is not in the header.
  static Result<RowMapper> Make(const FileSpec& spec, const std::vector<std::string>& header);

  // Converts a record; false with *error ("column 'weight': ...") for a bad
  // row: wrong column count, unparsable value, missing required value.
  bool Map(const CsvRecord& rec, MappedRow* out, std::string* error) const;
  const FileSpec& spec() const { return *spec_; }

 private:
  const FileSpec* spec_ = nullptr;
  std::vector<int> index_;  // per spec column, its position in the header
  size_t header_size_ = 0;
};

// The tempid a row with identity (attr, key) gets, so rows of one batch can
// refer to each other.
std::string TempidFor(const std::string& attr, const Value& key);
// EDN for a value in tx data (refs print as entity ids).
edn::Node ValueToTxNode(const Value& v);

}  // namespace strata::workloads
