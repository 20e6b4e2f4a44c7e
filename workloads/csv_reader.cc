// The streaming CSV reader (see csv_reader.h): a four-state machine over a
// buffer that holds the current record only.

#include "workloads/csv_reader.h"

#include <cstring>

#include "strata/edn.h"

namespace strata::workloads {

namespace {

class FileSource final : public CsvSource {
 public:
  explicit FileSource(std::unique_ptr<RandomAccessFile> f) : file_(std::move(f)), size_(file_->Size()) {}
  Status Read(size_t max, std::string* out) override {
    if (offset_ >= size_) return Status::OK();
    STRATA_RETURN_IF_ERROR(file_->Read(offset_, max, &chunk_));
    offset_ += chunk_.size();
    out->append(chunk_);
    return Status::OK();
  }
  uint64_t size() const override { return size_; }

 private:
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t size_;
  uint64_t offset_ = 0;
  std::string chunk_;
};

class StringSource final : public CsvSource {
 public:
  explicit StringSource(std::string text) : text_(std::move(text)) {}
  Status Read(size_t max, std::string* out) override {
    const size_t n = std::min(max, text_.size() - offset_);
    out->append(text_, offset_, n);
    offset_ += n;
    return Status::OK();
  }
  uint64_t size() const override { return text_.size(); }

 private:
  std::string text_;
  size_t offset_ = 0;
};

}  // namespace

Result<std::unique_ptr<CsvSource>> OpenCsvFile(Env* env, const std::string& path) {
  auto f = env->NewRandomAccessFile(path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<CsvSource>(std::make_unique<FileSource>(std::move(*f)));
}

std::unique_ptr<CsvSource> NewStringCsvSource(std::string text) {
  return std::make_unique<StringSource>(std::move(text));
}

CsvReader::CsvReader(std::unique_ptr<CsvSource> source, CsvOptions options)
    : source_(std::move(source)), options_(options) {}

CsvReader::~CsvReader() = default;

bool CsvReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  const size_t before = buf_.size();
  status_ = source_->Read(options_.chunk_bytes, &buf_);
  if (!status_.ok()) return false;
  if (buf_.size() == before) eof_ = true;
  return !eof_;
}

void CsvReader::SkipLine() {
  for (;;) {
    if (pos_ >= buf_.size()) {
      // Nothing before pos_ is needed any more: keep the buffer small.
      consumed_ += buf_.size();
      buf_.clear();
      pos_ = 0;
      if (!Fill()) return;
    }
    const char* start = buf_.data() + pos_;
    const size_t n = buf_.size() - pos_;
    const void* nl = std::memchr(start, '\n', n);
    const void* cr = std::memchr(start, '\r', n);
    const char* end = static_cast<const char*>(nl ? (cr && cr < nl ? cr : nl) : cr);
    if (end == nullptr) {
      pos_ = buf_.size();
      continue;
    }
    pos_ = static_cast<size_t>(end - buf_.data()) + 1;
    ++line_;
    if (*end == '\r' && (pos_ < buf_.size() || Fill()) && buf_[pos_] == '\n') ++pos_;
    return;
  }
}

bool CsvReader::Next(CsvRecord* rec, std::string* error) {
  error->clear();
  if (!status_.ok()) return false;
  if (!started_) {
    started_ = true;
    while (buf_.size() < 3 && Fill()) {
    }
    if (buf_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  }
  // Blank lines are not records.
  for (;;) {
    if (pos_ >= buf_.size() && !Fill()) return false;
    const char c = buf_[pos_];
    if (c != '\n' && c != '\r') break;
    ++pos_;
    ++line_;
    if (c == '\r' && (pos_ < buf_.size() || Fill()) && buf_[pos_] == '\n') ++pos_;
  }
  // The buffer keeps the record from its first byte, for resynchronizing.
  consumed_ += pos_;
  buf_.erase(0, pos_);
  pos_ = 0;
  const uint64_t start_line = line_;
  rec->line = start_line;

  size_t nfields = 0;
  auto new_field = [&]() -> std::string* {
    if (nfields == rec->fields.size()) rec->fields.emplace_back();
    std::string* f = &rec->fields[nfields++];
    f->clear();
    return f;
  };
  auto finish = [&]() {
    rec->fields.resize(nfields);
    // Fields become values: they must be UTF-8 (the record is consumed, so
    // reading goes on with the next one).
    for (size_t i = 0; i < nfields; ++i) {
      const size_t bad = edn::FindInvalidUtf8(rec->fields[i]);
      if (bad == std::string_view::npos) continue;
      *error = "field " + std::to_string(i + 1) + " is not valid UTF-8: " +
               edn::DescribeInvalidUtf8(rec->fields[i], bad) + " of the field";
      break;
    }
    return true;
  };
  auto end_line = [&](char c) {
    ++pos_;
    ++line_;
    if (c == '\r' && (pos_ < buf_.size() || Fill()) && buf_[pos_] == '\n') ++pos_;
  };
  // Malformed from the record's start: resume on the line after its first.
  auto resync_from_start = [&](std::string why) {
    *error = std::move(why);
    pos_ = 0;
    line_ = start_line;
    SkipLine();
    rec->fields.resize(nfields);
    return true;
  };
  auto malformed_here = [&](std::string why) {
    *error = std::move(why);
    SkipLine();
    rec->fields.resize(nfields);
    return true;
  };

  const char delim = options_.delimiter;
  enum { kStart, kUnquoted, kQuoted, kAfterQuote } st = kStart;
  std::string* f = new_field();
  for (;;) {
    // Checked per byte, not per refill, so where the chunks happen to end
    // never decides whether a record is too long.
    if (pos_ > options_.max_record_bytes)
      return resync_from_start("record longer than " + std::to_string(options_.max_record_bytes) +
                               " bytes (an unterminated quote?)");
    if (pos_ >= buf_.size()) {
      if (!Fill()) {
        if (!status_.ok()) return false;
        if (st == kQuoted) return resync_from_start("quoted field " + std::to_string(nfields) + " is never closed");
        return finish();
      }
    }
    const char c = buf_[pos_];
    switch (st) {
      case kStart:
        if (c == '"') {
          st = kQuoted;
          ++pos_;
          break;
        }
        st = kUnquoted;
        [[fallthrough]];
      case kUnquoted: {
        // Fast path: copy the run of ordinary bytes at once.
        size_t end = pos_;
        while (end < buf_.size()) {
          const char x = buf_[end];
          if (x == delim || x == '\n' || x == '\r' || x == '"') break;
          ++end;
        }
        if (end > pos_) {
          f->append(buf_, pos_, end - pos_);
          pos_ = end;
          break;
        }
        if (c == delim) {
          ++pos_;
          f = new_field();
          st = kStart;
        } else if (c == '"') {
          return malformed_here("quote inside unquoted field " + std::to_string(nfields));
        } else {
          end_line(c);
          return finish();
        }
        break;
      }
      case kQuoted: {
        const void* q = std::memchr(buf_.data() + pos_, '"', buf_.size() - pos_);
        const size_t end = q ? static_cast<size_t>(static_cast<const char*>(q) - buf_.data()) : buf_.size();
        // Inside quotes only LF counts as a line end (CRLF holds one LF).
        for (size_t i = pos_; i < end; ++i) line_ += buf_[i] == '\n';
        f->append(buf_, pos_, end - pos_);
        pos_ = end;
        if (q) {
          ++pos_;
          st = kAfterQuote;
        }
        break;
      }
      case kAfterQuote:
        if (c == '"') {
          f->push_back('"');
          ++pos_;
          st = kQuoted;
        } else if (c == delim) {
          ++pos_;
          f = new_field();
          st = kStart;
        } else if (c == '\n' || c == '\r') {
          end_line(c);
          return finish();
        } else {
          return malformed_here("text after the closing quote of field " + std::to_string(nfields));
        }
        break;
    }
  }
}

}  // namespace strata::workloads
