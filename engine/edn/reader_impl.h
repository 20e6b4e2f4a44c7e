// reader_impl.h — the EDN reader's parser state and character classes
// (internal; shared by reader.cc, the structure: whitespace, collections,
// dispatch, tags, and reader_tokens.cc: symbols, numbers, strings,
// characters).
//
// The reader is a recursive-descent parser over a string_view. It tracks the
// line and the offset where the line starts instead of a column counter, so
// the hot loops only look at '\n'. Recursion is bounded by kMaxDepth: every
// construct that recurses (collections, tagged literals, #_ discards) counts
// as one level, so hostile input such as 100000 '[' or '#_' fails cleanly
// instead of exhausting the stack.

#pragma once

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>

#include "strata/edn.h"

namespace strata::edn {

// ---- character classes -------------------------------------------------------

enum : uint8_t {
  kWs = 1,        // whitespace (commas included)
  kTerm = 2,      // ends a token: whitespace and the characters that start another form
  kSym = 4,       // may appear inside a symbol or keyword
  kSymStart = 8,  // may start a symbol
  kDigit = 16,
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (char c : std::string_view(" \t\n\r\f\v,")) t[static_cast<uint8_t>(c)] |= kWs | kTerm;
  for (char c : std::string_view("()[]{}\";\\")) t[static_cast<uint8_t>(c)] |= kTerm;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit | kSym;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kSym | kSymStart;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kSym | kSymStart;
  for (char c : std::string_view(".*+!-_?$%&=<>/")) t[static_cast<uint8_t>(c)] |= kSym | kSymStart;
  for (char c : std::string_view(":#'")) t[static_cast<uint8_t>(c)] |= kSym;
  // Non-ASCII bytes are let through so symbols may be written in any script;
  // the printer copies them back unchanged, which keeps round trips exact.
  for (int c = 0x80; c < 0x100; ++c) t[c] |= kSym | kSymStart;
  return t;
}
inline constexpr std::array<uint8_t, 256> kClass = MakeClasses();

inline bool Is(char c, uint8_t cls) { return (kClass[static_cast<uint8_t>(c)] & cls) != 0; }

// "'x'" for a printable character, "byte 0x07" otherwise.
std::string DescribeChar(char c);
// Quotes user text in an error message without copying megabytes of it.
std::string Shown(std::string_view s);
// Validates a symbol or keyword name (without the ':'). Keywords may start
// with a digit (":1" is common in the wild and unambiguous); symbols may not.
bool ValidName(std::string_view s, bool keyword);

// Parser state over one buffer. Reader keeps (pos, line, col) between calls;
// this class works with the offset of the current line's start instead, so
// advancing past ordinary characters costs nothing extra. It lives outside
// an anonymous namespace because Reader befriends strata::edn::ReaderImpl.
class ReaderImpl {
 public:
  ReaderImpl(std::string_view text, size_t pos, int line, size_t line_start)
      : t_(text), pos_(pos), line_(line), line_start_(line_start) {}

  // Skips whitespace, comments and #_ discarded forms.
  bool SkipIgnorable(int depth);
  // Reads the datum at pos_ (ignorable text already skipped, not at end).
  bool ReadDatum(Node* out, int depth);

  bool AtEnd() const { return pos_ >= t_.size(); }
  int line() const { return line_; }
  int col() const { return ColAt(pos_); }
  size_t pos() const { return pos_; }
  const Status& error() const { return err_; }

  bool Fail(int line, int col, std::string_view what) {
    err_ = Status::InvalidArgument("EDN " + std::to_string(line) + ":" + std::to_string(col) + ": " +
                                   std::string(what));
    return false;
  }
  bool FailHere(std::string_view what) { return Fail(line_, col(), what); }
  // Fails unless t_[from, to) is well-formed UTF-8; t_[from] is at
  // (line, col). The error names the line and column of the bad byte, the
  // byte and its offset in the input, and `what` ("string", "keyword").
  [[gnu::noinline]] bool CheckUtf8(size_t from, size_t to, int line, int col, std::string_view what);

  // "line:col" where a Reader stands, for messages about the end of input.
  static std::string Position(const Reader& r) {
    return std::to_string(r.line_) + ":" + std::to_string(r.col_);
  }

 private:
  int ColAt(size_t pos) const { return static_cast<int>(std::min<size_t>(pos - line_start_ + 1, INT_MAX)); }
  void NewLineAt(size_t newline_pos) {
    if (line_ < INT_MAX) ++line_;
    line_start_ = newline_pos + 1;
  }
  bool ReadCollection(Node* out, Kind kind, char closer, int depth);
  bool ReadDispatch(Node* out, int depth);
  bool ReadNamespacedMap(Node* out, int depth);
  bool ReadTagged(Node* out, int depth);
  // The helpers below never recurse. Keeping them out of line keeps their
  // locals (mostly message strings) off the frames of the recursive
  // functions above, which bounds the stack a kMaxDepth-deep form needs.
  [[gnu::noinline]] bool FailMismatch(const Node& coll, char closer, char got);
  [[gnu::noinline]] bool CheckEntries(const Node& coll);
  [[gnu::noinline]] bool ReadSymbolicValue(Node* out);
  [[gnu::noinline]] bool FinishTagged(Node* out, std::string_view tag, Node* form);
  // Advances over a token (up to the next whitespace or delimiter).
  bool ScanToken(std::string_view* tok) {
    const size_t start = pos_;
    const size_t n = t_.size();
    while (pos_ < n && !Is(t_[pos_], kTerm)) ++pos_;
    if (pos_ - start > kMaxToken) return Fail(line_, ColAt(start), "token too long");
    *tok = t_.substr(start, pos_ - start);
    return true;
  }
  [[gnu::noinline]] bool ReadTokenDatum(Node* out);
  bool ReadNumber(std::string_view tok, Node* out);
  [[gnu::noinline]] bool ReadString(Node* out);
  [[gnu::noinline]] bool ReadCharacter(Node* out);

  std::string_view t_;
  size_t pos_;
  int line_;
  size_t line_start_;
  Status err_;
};

}  // namespace strata::edn
