// csv_fuzz — the streaming CSV reader and the importer's cell parsers on
// arbitrary bytes.
//
// Checks, for any input: reading in tiny chunks (1–64 bytes, chosen by the
// first byte) gives exactly the records, errors and line numbers of reading
// it whole (no state lost at a chunk boundary); a good record written back
// with every field quoted reads back to the same fields; and every field
// parses under every column type (long, double, boolean, instant in several
// formats, uuid, keyword, split lists) to values or an error, never a crash.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "workloads/csv_mapping.h"
#include "workloads/csv_reader.h"

namespace {

using namespace strata;
using namespace strata::workloads;

struct Read {
  std::vector<CsvRecord> records;
  std::vector<std::string> errors;
  bool ok = true;
};

Read ReadAll(const std::string& text, size_t chunk, size_t max_record) {
  CsvOptions o;
  o.chunk_bytes = chunk;
  o.max_record_bytes = max_record;
  CsvReader r(NewStringCsvSource(text), o);
  Read out;
  CsvRecord rec;
  std::string err;
  while (r.Next(&rec, &err)) {
    out.errors.push_back(err);
    out.records.push_back(rec);
    if (out.records.size() > text.size() + 1) {
      std::fprintf(stderr, "csv_fuzz: more records than bytes\n");
      std::abort();
    }
  }
  out.ok = r.status().ok();
  return out;
}

[[noreturn]] void Fail(const char* what, size_t i) {
  std::fprintf(stderr, "csv_fuzz: %s (record %zu)\n", what, i);
  std::abort();
}

std::string Quote(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += '"';
    for (char c : fields[i]) line += c == '"' ? std::string("\"\"") : std::string(1, c);
    line += '"';
  }
  return line + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t max_record = 256;
  const Read whole = ReadAll(text, text.size() + 1, max_record);
  const Read small = ReadAll(text, chunk, max_record);
  if (whole.ok != small.ok || whole.records.size() != small.records.size()) Fail("chunk size changes the records", 0);
  for (size_t i = 0; i < whole.records.size(); ++i) {
    if (whole.errors[i] != small.errors[i]) {
      std::fprintf(stderr, "csv_fuzz: whole: '%s'\n  chunk %zu: '%s'\n", whole.errors[i].c_str(), chunk,
                   small.errors[i].c_str());
      Fail("chunk size changes an error", i);
    }
    if (whole.records[i].line != small.records[i].line) Fail("chunk size changes a line number", i);
    if (whole.errors[i].empty() && whole.records[i].fields != small.records[i].fields)
      Fail("chunk size changes the fields", i);
  }

  for (size_t i = 0; i < whole.records.size() && i < 8; ++i) {
    if (!whole.errors[i].empty()) continue;
    const auto& fields = whole.records[i].fields;
    // Quoted, any field reads back as itself (unless the record outgrows the limit).
    const std::string again = Quote(fields);
    if (again.size() < max_record) {
      const Read back = ReadAll(again, chunk, max_record);
      if (back.records.size() != 1 || !back.errors[0].empty() || back.records[0].fields != fields)
        Fail("a quoted record does not read back", i);
    }
    // Every field under every column type: values or an error.
    static const ValueType kTypes[] = {ValueType::kString, ValueType::kLong,    ValueType::kDouble,
                                       ValueType::kBoolean, ValueType::kInstant, ValueType::kUuid,
                                       ValueType::kKeyword};
    static const char* const kFormats[] = {"", "iso", "epoch-ms", "epoch-s", "MM/dd/yyyy", "yyyy-MM-dd HH:mm:ss.SSS"};
    for (const std::string& f : fields) {
      for (ValueType t : kTypes) {
        for (const char* fmt : kFormats) {
          if (t != ValueType::kInstant && fmt[0]) continue;
          for (const char* split : {"", ";"}) {
            ColumnSpec col;
            col.type = t;
            col.format = fmt;
            col.split = split;
            col.keyword_ns = "k";
            std::vector<Value> out;
            std::string error;
            const bool ok = ParseCell(col, f, &out, &error);
            if (!ok && error.empty()) Fail("a cell failed without saying why", i);
            if (ok && !split[0] && out.size() > 1) Fail("an unsplit cell gave several values", i);
          }
        }
      }
    }
  }
  return 0;
}
