// strata/status.h — the one error channel of the engine.
//
// Every fallible operation returns a Status or a Result<T>. Both are
// [[nodiscard]]: a caller must look at the outcome. Corruption is its own
// code and is never folded into another: a checksum mismatch is always
// reported as kCorruption, whatever layer finds it.
//
// Thread safety: Status and Result are values; distinct objects may be used
// from distinct threads freely.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace strata {

enum class Code : unsigned char {
  kOk = 0,
  kInvalidArgument,  // malformed input: bad EDN, wrong type, unknown attribute
  kNotFound,         // an entity, file or object that does not exist
  kConflict,         // uniqueness conflict, failed cas, cardinality clash
  kCorruption,       // a checksum or format check failed: never wrong data
  kIOError,          // the operating system refused a read, write or sync
  kBusy,             // a resource limit was reached (retry later)
  kAborted,          // the operation was interrupted or cancelled
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Busy(std::string msg) { return {Code::kBusy, std::move(msg)}; }
  static Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  bool IsIOError() const { return code_ == Code::kIOError; }

  // "Corruption: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + msg_);
  }

 private:
  Status(Code c, std::string m) : code_(c), msg_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string msg_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {}   // NOLINT: must not be OK

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

const char* CodeName(Code c);

}  // namespace strata

// Propagates a non-OK Status out of the enclosing function.
#define STRATA_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::strata::Status _st = (expr);                \
    if (!_st.ok()) return _st;                    \
  } while (0)

#define STRATA_CONCAT_INNER(a, b) a##b
#define STRATA_CONCAT(a, b) STRATA_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its Status.
#define STRATA_ASSIGN_OR_RETURN(lhs, expr)                              \
  auto STRATA_CONCAT(_res_, __LINE__) = (expr);                         \
  if (!STRATA_CONCAT(_res_, __LINE__).ok())                             \
    return STRATA_CONCAT(_res_, __LINE__).status();                     \
  lhs = std::move(STRATA_CONCAT(_res_, __LINE__)).value()
