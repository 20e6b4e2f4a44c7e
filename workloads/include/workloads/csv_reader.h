// workloads/csv_reader.h — a streaming RFC 4180 CSV reader.
//
// Reads records from a byte source in fixed-size chunks, so memory stays
// bounded by the longest record (max_record_bytes) plus one chunk, however
// large the input. Accepted: quoted fields ("a,b"), escaped quotes inside
// them (""), newlines inside them, LF or CRLF line ends (a lone CR ends a
// line too), a UTF-8 byte order mark at the start, blank lines (skipped).
//
// A malformed record does not stop the reader: Next() reports it with its
// line and a reason, skips the rest of its physical line, and goes on with
// the next one. Malformed means: a quote inside an unquoted field, a
// character other than a delimiter or line end after a closing quote, a
// quoted field still open at the end of input, a record longer than
// max_record_bytes, or a field that is not well-formed UTF-8 (the error
// names the field and the byte; the record's fields are still filled in).
// For the quote and length cases, reading resumes on the line after the
// record's first line, so an unbalanced quote costs one line, not the file.
//
// Thread safety: a CsvReader is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"

namespace strata::workloads {

// Where the reader's bytes come from.
class CsvSource {
 public:
  virtual ~CsvSource() = default;
  // Appends up to `max` more bytes to *out; appending nothing means the end.
  virtual Status Read(size_t max, std::string* out) = 0;
  // Total bytes, when known (0 otherwise); for progress and ETA.
  virtual uint64_t size() const { return 0; }
};

// A file read through `env`, chunk by chunk.
Result<std::unique_ptr<CsvSource>> OpenCsvFile(Env* env, const std::string& path);
// Bytes held in memory (tests, generated rows).
std::unique_ptr<CsvSource> NewStringCsvSource(std::string text);

struct CsvOptions {
  char delimiter = ',';                // field separator
  size_t chunk_bytes = 64u << 10;      // bytes read per refill
  size_t max_record_bytes = 1u << 20;  // longer records are malformed
};

struct CsvRecord {
  std::vector<std::string> fields;  // unquoted, unescaped
  uint64_t line = 0;                // physical line where the record starts (1-based)
};

class CsvReader {
 public:
  explicit CsvReader(std::unique_ptr<CsvSource> source, CsvOptions options = {});
  ~CsvReader();

  // Reads the next record. Returns true with *error empty for a good
  // record, true with *error set (and rec->line) for a malformed one, and
  // false at the end of input or on an I/O error (status() says which).
  bool Next(CsvRecord* rec, std::string* error);
  Status status() const { return status_; }
  // Bytes consumed so far, and the source's total (0 when unknown).
  uint64_t bytes_read() const { return consumed_ + pos_; }
  uint64_t bytes_total() const { return source_->size(); }

 private:
  // Makes at least one more byte available at pos_; false at the end.
  bool Fill();
  // Skips through the end of the physical line at pos_.
  void SkipLine();

  std::unique_ptr<CsvSource> source_;
  CsvOptions options_;
  std::string buf_;        // bytes from the start of the current record on
  size_t pos_ = 0;         // next unread byte in buf_
  uint64_t consumed_ = 0;  // bytes dropped from the front of buf_
  uint64_t line_ = 1;      // physical line at pos_
  bool eof_ = false;
  bool started_ = false;   // the byte order mark check ran
  Status status_;
};

}  // namespace strata::workloads
