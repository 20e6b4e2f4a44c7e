// EDN reader and printer (see strata/edn.h).
//
// The reader is a recursive-descent parser over a string_view. It tracks the
// line and the offset where the line starts instead of a column counter, so
// the hot loops only look at '\n'. Recursion is bounded by kMaxDepth: every
// construct that recurses (collections, tagged literals, #_ discards) counts
// as one level, so hostile input such as 100000 '[' or '#_' fails cleanly
// instead of exhausting the stack.

#include "strata/edn.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>

namespace strata::edn {

namespace {

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
constexpr std::array<uint8_t, 256> kClass = MakeClasses();

inline bool Is(char c, uint8_t cls) { return (kClass[static_cast<uint8_t>(c)] & cls) != 0; }

std::string DescribeChar(char c) {
  auto u = static_cast<unsigned char>(c);
  char buf[16];
  if (u > 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
  }
  return buf;
}

// Quotes user text in an error message without copying megabytes of it.
std::string Shown(std::string_view s) {
  return s.size() <= 60 ? std::string(s) : std::string(s.substr(0, 57)) + "...";
}

// Validates a symbol or keyword name (without the ':'). Keywords may start
// with a digit (":1" is common in the wild and unambiguous); symbols may not.
bool ValidName(std::string_view s, bool keyword) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!Is(c, kSym)) return false;
  }
  if (s == "/") return true;
  if (s.front() == '/' || s.back() == '/') return false;
  if (!keyword) {
    if (!Is(s[0], kSymStart)) return false;
    // "If -, + or . are the first character, the second must be non-numeric";
    // only '.' can reach here with a digit after it (the others are numbers).
    if (s[0] == '.' && s.size() > 1 && Is(s[1], kDigit)) return false;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Parses exactly four hex digits at s[0..4).
bool Hex4(std::string_view s, uint32_t* out) {
  if (s.size() < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = s[i];
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

// Length of the UTF-8 sequence starting at s[0], or 0 when malformed.
size_t Utf8Length(std::string_view s) {
  auto b = static_cast<unsigned char>(s[0]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || len > s.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) return 0;
  }
  return len;
}

// ---- time ---------------------------------------------------------------------

constexpr int64_t kMsPerDay = 86400000;

// Howard Hinnant's days_from_civil / civil_from_days: exact proleptic
// Gregorian arithmetic that needs no time zone database and handles years
// before 1970 (and before year 0) without special cases.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` decimal digits at s[*p].
bool FixedDigits(std::string_view s, size_t* p, int n, int64_t* out) {
  if (s.size() - *p < static_cast<size_t>(n)) return false;
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*p + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return true;
}

// ---- hashing and equality -----------------------------------------------------

inline size_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<size_t>(x);
}

inline bool DoubleEq(double a, double b) {
  return a == b || std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

// Consistent with operator==: maps and sets hash order-independently, and
// 0.0 and -0.0 (which compare equal) hash alike.
size_t HashNode(const Node& n) {
  uint64_t h = static_cast<uint64_t>(n.kind) * 0x9e3779b97f4a7c15ULL;
  switch (n.kind) {
    case Kind::kNil: break;
    case Kind::kBool: h += n.b; break;
    case Kind::kLong:
    case Kind::kInst: h += static_cast<uint64_t>(n.i); break;
    case Kind::kDouble: h += n.d == 0 ? 0 : std::bit_cast<uint64_t>(n.d); break;
    case Kind::kString:
    case Kind::kKeyword:
    case Kind::kSymbol: h += std::hash<std::string_view>()(n.s); break;
    case Kind::kUuid: h += Mix(n.uuid.hi) ^ n.uuid.lo; break;
    case Kind::kTagged: h += std::hash<std::string_view>()(n.s); [[fallthrough]];
    case Kind::kVector:
    case Kind::kList:
      for (const Node& x : n.items) h = h * 31 + HashNode(x);
      break;
    case Kind::kSet:
      for (const Node& x : n.items) h += Mix(HashNode(x));
      break;
    case Kind::kMap:
      for (size_t i = 0; i + 1 < n.items.size(); i += 2) {
        h += Mix(HashNode(n.items[i]) ^ Mix(HashNode(n.items[i + 1])));
      }
      break;
  }
  return Mix(h);
}

// Collections below this size are compared and de-duplicated pairwise: it is
// faster than hashing for the small maps that make up most transactions.
constexpr size_t kSmallCollection = 16;

// Unordered multiset equality of two maps (stride 2, entries matched by key
// hash) or two sets (stride 1).
bool UnorderedEqual(const std::vector<Node>& a, const std::vector<Node>& b, size_t stride) {
  if (a.size() != b.size()) return false;
  const size_t n = a.size() / stride;
  auto entry_eq = [&](size_t i, size_t j) {
    for (size_t k = 0; k < stride; ++k) {
      if (!(a[i * stride + k] == b[j * stride + k])) return false;
    }
    return true;
  };
  if (n <= kSmallCollection) {
    std::array<bool, kSmallCollection> used{};
    for (size_t i = 0; i < n; ++i) {
      size_t j = 0;
      while (j < n && (used[j] || !entry_eq(i, j))) ++j;
      if (j == n) return false;
      used[j] = true;
    }
    return true;
  }
  std::vector<std::pair<size_t, size_t>> hb(n);  // (hash, index) of b's entries
  for (size_t j = 0; j < n; ++j) hb[j] = {HashNode(b[j * stride]), j};
  std::sort(hb.begin(), hb.end());
  std::vector<bool> used(n);
  for (size_t i = 0; i < n; ++i) {
    size_t h = HashNode(a[i * stride]);
    auto it = std::lower_bound(hb.begin(), hb.end(), std::make_pair(h, size_t{0}));
    for (; it != hb.end() && it->first == h; ++it) {
      if (!used[it->second] && entry_eq(i, it->second)) break;
    }
    if (it == hb.end() || it->first != h) return false;
    used[it->second] = true;
  }
  return true;
}

// Index (in entries) of the earliest element whose key repeats an earlier
// one, or SIZE_MAX. Keys are items[i * stride].
size_t FindDuplicate(const std::vector<Node>& items, size_t stride) {
  const size_t n = items.size() / stride;
  if (n <= kSmallCollection) {
    for (size_t j = 1; j < n; ++j) {
      for (size_t i = 0; i < j; ++i) {
        if (items[i * stride] == items[j * stride]) return j;
      }
    }
    return SIZE_MAX;
  }
  std::vector<std::pair<size_t, size_t>> h(n);
  for (size_t i = 0; i < n; ++i) h[i] = {HashNode(items[i * stride]), i};
  std::sort(h.begin(), h.end());
  size_t found = SIZE_MAX;
  for (size_t g = 0; g < n;) {
    size_t e = g + 1;
    while (e < n && h[e].first == h[g].first) ++e;
    for (size_t x = g + 1; x < e; ++x) {
      for (size_t y = g; y < x; ++y) {
        if (items[h[x].second * stride] == items[h[y].second * stride]) {
          found = std::min(found, std::max(h[x].second, h[y].second));
        }
      }
    }
    g = e;
  }
  return found;
}

const char* CollectionNoun(Kind k) {
  switch (k) {
    case Kind::kVector: return "vector";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
    case Kind::kSet: return "set";
    default: return "collection";
  }
}

// ---- printing -----------------------------------------------------------------

void PrintString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\t': esc = "\\t"; break;
      case '\r': esc = "\\r"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default:
        if (c >= 0x20 && c != 0x7f) continue;
    }
    out->append(s.data() + run, i - run);
    run = i + 1;
    if (esc != nullptr) {
      out->append(esc);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out->append(buf);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void PrintDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("##NaN");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "##Inf" : "##-Inf");
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view text(buf, r.ptr - buf);
  out->append(text);
  // The shortest form of 100.0 is "100", which would read back as a long.
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

}  // namespace

// ---- the reader ---------------------------------------------------------------

// Parser state over one buffer. Reader keeps (pos, line, col) between calls;
// this class works with the offset of the current line's start instead, so
// advancing past ordinary characters costs nothing extra. It lives outside
// the anonymous namespace because Reader befriends strata::edn::ReaderImpl.
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
  bool ScanToken(std::string_view* tok);
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

bool ReaderImpl::SkipIgnorable(int depth) {
  const size_t n = t_.size();
  while (pos_ < n) {
    char c = t_[pos_];
    if (c == '\n') {
      NewLineAt(pos_++);
    } else if (Is(c, kWs)) {
      ++pos_;
    } else if (c == '\xEF' && t_.substr(pos_).starts_with("\xEF\xBB\xBF")) {
      // U+FEFF between forms (a byte order mark of concatenated text) is
      // whitespace: a symbol never starts with it, or printing it first
      // would make a text whose leading mark the Reader drops.
      pos_ += 3;
    } else if (c == ';' || (c == '#' && pos_ + 1 < n && t_[pos_ + 1] == '!')) {
      const void* nl = std::memchr(t_.data() + pos_, '\n', n - pos_);
      pos_ = nl == nullptr ? n : static_cast<size_t>(static_cast<const char*>(nl) - t_.data());
    } else if (c == '#' && pos_ + 1 < n && t_[pos_ + 1] == '_') {
      // Discards nest ("#_ #_ a b"), so each one is a level of recursion.
      if (depth + 1 > kMaxDepth) return FailHere("nesting too deep");
      int line = line_, col = ColAt(pos_);
      pos_ += 2;
      Node ignored;
      if (!SkipIgnorable(depth + 1)) return false;
      if (AtEnd()) return Fail(line, col, "#_ without a form to discard");
      if (!ReadDatum(&ignored, depth + 1)) return false;
    } else {
      break;
    }
  }
  return true;
}

bool ReaderImpl::ReadDatum(Node* out, int depth) {
  out->line = line_;
  out->col = col();
  char c = t_[pos_];
  switch (c) {
    case '[': ++pos_; return ReadCollection(out, Kind::kVector, ']', depth);
    case '(': ++pos_; return ReadCollection(out, Kind::kList, ')', depth);
    case '{': ++pos_; return ReadCollection(out, Kind::kMap, '}', depth);
    case ')':
    case ']':
    case '}': return FailHere("unexpected " + DescribeChar(c));
    case '"': return ReadString(out);
    case '\\': return ReadCharacter(out);
    case '#': return ReadDispatch(out, depth);
    default:
      if (c == ':' || Is(c, kSymStart | kDigit)) return ReadTokenDatum(out);
      return FailHere("unexpected " + DescribeChar(c));
  }
}

bool ReaderImpl::ReadCollection(Node* out, Kind kind, char closer, int depth) {
  if (depth + 1 > kMaxDepth) return Fail(out->line, out->col, "nesting too deep");
  out->kind = kind;
  for (;;) {
    if (!SkipIgnorable(depth + 1)) return false;
    if (AtEnd()) return Fail(out->line, out->col, std::string("unterminated ") + CollectionNoun(kind));
    char c = t_[pos_];
    if (c == closer) {
      ++pos_;
      break;
    }
    if (c == ')' || c == ']' || c == '}') return FailMismatch(*out, closer, c);
    out->items.emplace_back();
    if (!ReadDatum(&out->items.back(), depth + 1)) return false;
  }
  return kind == Kind::kMap || kind == Kind::kSet ? CheckEntries(*out) : true;
}

bool ReaderImpl::FailMismatch(const Node& coll, char closer, char got) {
  return FailHere("unexpected " + DescribeChar(got) + ", expected '" + closer + "' to close the " +
                  CollectionNoun(coll.kind) + " at " + std::to_string(coll.line) + ":" +
                  std::to_string(coll.col));
}

bool ReaderImpl::CheckEntries(const Node& coll) {
  const size_t stride = coll.kind == Kind::kMap ? 2 : 1;
  if (coll.items.size() % stride != 0) return Fail(coll.line, coll.col, "map with odd number of forms");
  size_t dup = FindDuplicate(coll.items, stride);
  if (dup == SIZE_MAX) return true;
  const Node& k = coll.items[dup * stride];
  return Fail(k.line, k.col,
              (stride == 2 ? "duplicate map key " : "duplicate set element ") + Shown(Print(k)));
}

bool ReaderImpl::ReadDispatch(Node* out, int depth) {
  // pos_ is at '#'; "#_" and "#!" never get here (SkipIgnorable took them).
  if (pos_ + 1 >= t_.size()) return FailHere("unexpected end of input after '#'");
  char c = t_[pos_ + 1];
  if (c == '{') {
    pos_ += 2;
    return ReadCollection(out, Kind::kSet, '}', depth);
  }
  if (c == '#') return ReadSymbolicValue(out);
  if (c == ':') return ReadNamespacedMap(out, depth);
  // EDN tags start with an alphabetic character.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return ReadTagged(out, depth);
  return FailHere("unsupported dispatch: '#' followed by " + DescribeChar(c));
}

bool ReaderImpl::ReadSymbolicValue(Node* out) {
  pos_ += 2;  // "##"
  std::string_view tok;
  if (!ScanToken(&tok)) return false;
  out->kind = Kind::kDouble;
  if (tok == "Inf") {
    out->d = std::numeric_limits<double>::infinity();
  } else if (tok == "-Inf") {
    out->d = -std::numeric_limits<double>::infinity();
  } else if (tok == "NaN") {
    out->d = std::numeric_limits<double>::quiet_NaN();
  } else {
    return Fail(out->line, out->col, "unknown symbolic value ##" + Shown(tok));
  }
  return true;
}

// #:ns{:a 1 :_/b 2} means {:ns/a 1 :b 2}.
bool ReaderImpl::ReadNamespacedMap(Node* out, int depth) {
  const int line = out->line, col = out->col;
  pos_ += 2;  // "#:"
  std::string_view ns;
  if (!ScanToken(&ns)) return false;
  if (!ValidName(ns, false) || ns.find('/') != std::string_view::npos) {
    return Fail(line, col, "invalid namespace in namespaced map #:" + Shown(ns));
  }
  if (!SkipIgnorable(depth)) return false;
  if (AtEnd() || t_[pos_] != '{') return Fail(line, col, "namespaced map #:" + Shown(ns) + " needs a map");
  ++pos_;
  if (!ReadCollection(out, Kind::kMap, '}', depth)) return false;
  for (size_t i = 0; i < out->items.size(); i += 2) {
    Node& k = out->items[i];
    if (k.kind != Kind::kKeyword && k.kind != Kind::kSymbol) continue;
    if (k.s.starts_with("_/")) {
      k.s.erase(0, 2);
    } else if (k.s.find('/') == std::string::npos) {
      k.s = std::string(ns) + "/" + k.s;
    }
  }
  // Rewriting keys can make them collide ({:a 1 :ns/a 2}).
  return CheckEntries(*out);
}

bool ReaderImpl::ReadTagged(Node* out, int depth) {
  ++pos_;  // '#'
  std::string_view tag;
  if (!ScanToken(&tag)) return false;
  if (!ValidName(tag, false)) return Fail(out->line, out->col, "invalid tag #" + Shown(tag));
  if (depth + 1 > kMaxDepth) return Fail(out->line, out->col, "nesting too deep");
  Node form;
  if (!SkipIgnorable(depth + 1)) return false;
  if (AtEnd()) return Fail(out->line, out->col, "tag #" + Shown(tag) + " without a form");
  if (!ReadDatum(&form, depth + 1)) return false;
  return FinishTagged(out, tag, &form);
}

bool ReaderImpl::FinishTagged(Node* out, std::string_view tag, Node* form) {
  if (tag == "uuid") {
    if (form->kind != Kind::kString) return Fail(out->line, out->col, "#uuid needs a string");
    if (!Uuid::Parse(form->s, &out->uuid)) {
      return Fail(out->line, out->col, "invalid uuid \"" + Shown(form->s) + "\"");
    }
    out->kind = Kind::kUuid;
  } else if (tag == "inst") {
    if (form->kind != Kind::kString) return Fail(out->line, out->col, "#inst needs a string");
    if (!ParseInstant(form->s, &out->i)) {
      return Fail(out->line, out->col, "invalid instant \"" + Shown(form->s) + "\"");
    }
    out->kind = Kind::kInst;
  } else {
    out->kind = Kind::kTagged;
    out->s.assign(tag);
    out->items.push_back(std::move(*form));
  }
  return true;
}

bool ReaderImpl::ScanToken(std::string_view* tok) {
  const size_t start = pos_;
  const size_t n = t_.size();
  while (pos_ < n && !Is(t_[pos_], kTerm)) ++pos_;
  if (pos_ - start > kMaxToken) return Fail(line_, ColAt(start), "token too long");
  *tok = t_.substr(start, pos_ - start);
  return true;
}

bool ReaderImpl::ReadTokenDatum(Node* out) {
  const int line = out->line, col = out->col;
  std::string_view tok;
  if (!ScanToken(&tok)) return false;
  if (tok[0] == ':') {
    std::string_view name = tok.substr(1);
    if (!name.empty() && name[0] == ':') {
      return Fail(line, col, "auto-resolved keywords (::) are not supported");
    }
    if (!ValidName(name, true)) return Fail(line, col, "invalid keyword " + Shown(tok));
    out->kind = Kind::kKeyword;
    out->s.assign(name);
    return true;
  }
  if (Is(tok[0], kDigit) || ((tok[0] == '-' || tok[0] == '+') && tok.size() > 1 && Is(tok[1], kDigit))) {
    return ReadNumber(tok, out);
  }
  if (tok == "nil") {
    out->kind = Kind::kNil;
  } else if (tok == "true" || tok == "false") {
    out->kind = Kind::kBool;
    out->b = tok[0] == 't';
  } else if (ValidName(tok, false)) {
    out->kind = Kind::kSymbol;
    out->s.assign(tok);
  } else {
    for (char c : tok) {
      if (!Is(c, kSym)) return Fail(line, col, "invalid character " + DescribeChar(c) + " in symbol");
    }
    return Fail(line, col, "invalid symbol " + Shown(tok));
  }
  return true;
}

// Integers: [+-]?digits N?   Floats: [+-]?digits(.digits*)?([eE][+-]?digits)? M?
// with at least one of the fraction, exponent or M.
bool ReaderImpl::ReadNumber(std::string_view tok, Node* out) {
  const size_t n = tok.size();
  size_t i = 0;
  if (tok[0] == '+' || tok[0] == '-') ++i;
  const size_t digits = i;
  while (i < n && Is(tok[i], kDigit)) ++i;
  const size_t int_end = i;
  bool is_float = false;
  if (i < n && tok[i] == '.') {
    is_float = true;
    ++i;
    while (i < n && Is(tok[i], kDigit)) ++i;
  }
  if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
    is_float = true;
    ++i;
    if (i < n && (tok[i] == '+' || tok[i] == '-')) ++i;
    size_t exp_digits = i;
    while (i < n && Is(tok[i], kDigit)) ++i;
    if (i == exp_digits) return Fail(out->line, out->col, "invalid number " + Shown(tok));
  }
  size_t end = i;
  if (i < n && tok[i] == 'M') {
    is_float = true;
    ++i;
  } else if (i < n && tok[i] == 'N' && !is_float) {
    ++i;
  }
  if (i != n) return Fail(out->line, out->col, "invalid number " + Shown(tok));
  // from_chars rejects a leading '+'; keep the '-'.
  const char* first = tok.data() + (tok[0] == '+' ? 1 : 0);
  const char* last = tok.data() + end;
  if (!is_float) {
    // EDN forbids leading zeros, and Clojure would read them as octal: refuse
    // rather than guess.
    if (int_end - digits > 1 && tok[digits] == '0') {
      return Fail(out->line, out->col, "invalid number " + Shown(tok) + " (leading zero)");
    }
    auto r = std::from_chars(first, last, out->i);
    if (r.ec == std::errc::result_out_of_range) {
      return Fail(out->line, out->col, "integer out of range " + Shown(tok));
    }
    if (r.ec != std::errc() || r.ptr != last) {
      return Fail(out->line, out->col, "invalid number " + Shown(tok));
    }
    out->kind = Kind::kLong;
    return true;
  }
  auto r = std::from_chars(first, last, out->d, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    return Fail(out->line, out->col, "float out of range " + Shown(tok));
  }
  if (r.ec != std::errc() || r.ptr != last) return Fail(out->line, out->col, "invalid number " + Shown(tok));
  out->kind = Kind::kDouble;
  return true;
}

bool ReaderImpl::ReadString(Node* out) {
  const int line = out->line, col = out->col;
  const size_t n = t_.size();
  const size_t start = ++pos_;
  size_t i = start;
  // Fast path: most strings hold no escapes and become one assign.
  while (i < n && t_[i] != '"' && t_[i] != '\\') {
    if (t_[i] == '\n') NewLineAt(i);
    ++i;
  }
  if (i >= n) return Fail(line, col, "unterminated string");
  std::string& s = out->s;
  out->kind = Kind::kString;
  if (t_[i] == '"') {
    if (i - start > kMaxToken) return Fail(line, col, "string too long");
    s.assign(t_.data() + start, i - start);
    pos_ = i + 1;
    return true;
  }
  s.assign(t_.data() + start, i - start);
  for (;;) {
    if (i >= n) return Fail(line, col, "unterminated string");
    char c = t_[i];
    if (c == '"') break;
    if (c != '\\') {
      size_t run = i;
      while (i < n && t_[i] != '"' && t_[i] != '\\') {
        if (t_[i] == '\n') NewLineAt(i);
        ++i;
      }
      s.append(t_.data() + run, i - run);
      continue;
    }
    if (i + 1 >= n) return Fail(line, col, "unterminated string");
    const int esc_col = ColAt(i);
    char e = t_[i + 1];
    i += 2;
    switch (e) {
      case 'n': s.push_back('\n'); break;
      case 't': s.push_back('\t'); break;
      case 'r': s.push_back('\r'); break;
      case 'b': s.push_back('\b'); break;
      case 'f': s.push_back('\f'); break;
      case '"': s.push_back('"'); break;
      case '\\': s.push_back('\\'); break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(t_.substr(i), &cp)) return Fail(line_, esc_col, "invalid \\u escape");
        i += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) return Fail(line_, esc_col, "unpaired surrogate in \\u escape");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          // UTF-16 pair, as Java and JSON producers write astral characters.
          uint32_t lo;
          if (i + 1 >= n || t_[i] != '\\' || t_[i + 1] != 'u' || !Hex4(t_.substr(i + 2), &lo) ||
              lo < 0xdc00 || lo > 0xdfff) {
            return Fail(line_, esc_col, "unpaired surrogate in \\u escape");
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        AppendUtf8(cp, &s);
        break;
      }
      default: {
        auto u = static_cast<unsigned char>(e);
        return Fail(line_, esc_col,
                    u > 0x20 && u < 0x7f ? std::string("unknown escape \\") + e
                                         : "unknown escape: '\\' followed by " + DescribeChar(e));
      }
    }
  }
  if (s.size() > kMaxToken) return Fail(line, col, "string too long");
  pos_ = i + 1;
  return true;
}

bool ReaderImpl::ReadCharacter(Node* out) {
  const int line = out->line, col = out->col;
  const size_t start = pos_ + 1;
  if (start >= t_.size()) return Fail(line, col, "unterminated character literal");
  // The first character is taken whatever it is ("\(" and "\ " are fine);
  // the token then runs to the next delimiter ("\newline", "\u00e9").
  size_t first_len = Utf8Length(t_.substr(start));
  if (first_len == 0) return Fail(line, col, "invalid UTF-8 in character literal");
  if (t_[start] == '\n') NewLineAt(start);
  pos_ = start + first_len;
  std::string_view rest;
  if (!ScanToken(&rest)) return false;
  std::string_view tok = t_.substr(start, first_len + rest.size());
  out->kind = Kind::kString;
  if (rest.empty()) {
    out->s.assign(tok);
    return true;
  }
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"newline", '\n'}, {"space", ' '},      {"tab", '\t'},
      {"return", '\r'},  {"backspace", '\b'}, {"formfeed", '\f'},
  };
  for (const auto& [name, ch] : kNamed) {
    if (tok == name) {
      out->s.assign(1, ch);
      return true;
    }
  }
  uint32_t cp;
  if (tok.size() == 5 && tok[0] == 'u' && Hex4(tok.substr(1), &cp)) {
    if (cp >= 0xd800 && cp <= 0xdfff) return Fail(line, col, "surrogate character literal");
    AppendUtf8(cp, &out->s);
    return true;
  }
  return Fail(line, col, "unsupported character \\" + Shown(tok));
}

// ---- Reader and the entry points ----------------------------------------------

Reader::Reader(std::string_view text) : text_(text) {
  // A UTF-8 byte order mark is not part of the data.
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
}

bool Reader::Next(Node* out, Status* status) {
  ReaderImpl r(text_, pos_, line_, pos_ - static_cast<size_t>(col_ - 1));
  auto fail = [&] {
    // The position stays at the start of the bad form, so calling again
    // reports the same error rather than resynchronising somewhere odd.
    if (status != nullptr) *status = r.error();
    return false;
  };
  if (status != nullptr) *status = Status::OK();
  if (!r.SkipIgnorable(0)) return fail();
  if (r.AtEnd()) {
    pos_ = r.pos();
    line_ = r.line();
    col_ = r.col();
    return false;
  }
  *out = Node();
  if (!r.ReadDatum(out, 0)) return fail();
  pos_ = r.pos();
  line_ = r.line();
  col_ = r.col();
  return true;
}

Result<Node> ReadOne(std::string_view text) {
  Reader reader(text);
  Node node;
  Status st;
  if (!reader.Next(&node, &st)) {
    if (!st.ok()) return st;
    return Status::InvalidArgument("EDN " + ReaderImpl::Position(reader) +
                                   ": expected a form, found end of input");
  }
  Node extra;
  if (reader.Next(&extra, &st)) {
    return Status::InvalidArgument("EDN " + std::to_string(extra.line) + ":" + std::to_string(extra.col) +
                                   ": unexpected second form (expected exactly one)");
  }
  if (!st.ok()) return st;
  return node;
}

Result<std::vector<Node>> ReadAll(std::string_view text) {
  Reader reader(text);
  std::vector<Node> out;
  Node node;
  Status st;
  while (reader.Next(&node, &st)) out.push_back(std::move(node));
  if (!st.ok()) return st;
  return out;
}

// ---- Node ---------------------------------------------------------------------

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNil: return "nil";
    case Kind::kBool: return "boolean";
    case Kind::kLong: return "long";
    case Kind::kDouble: return "double";
    case Kind::kString: return "string";
    case Kind::kKeyword: return "keyword";
    case Kind::kSymbol: return "symbol";
    case Kind::kUuid: return "uuid";
    case Kind::kInst: return "inst";
    case Kind::kVector: return "vector";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
    case Kind::kSet: return "set";
    case Kind::kTagged: return "tagged";
  }
  return "unknown";
}

const Node* Node::Get(std::string_view keyword) const {
  if (kind != Kind::kMap) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].is_keyword(keyword)) return &items[i + 1];
  }
  return nullptr;
}

std::string Node::Where() const {
  if (line == 0) return "";
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

bool Node::operator==(const Node& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kNil: return true;
    case Kind::kBool: return b == o.b;
    case Kind::kLong:
    case Kind::kInst: return i == o.i;
    case Kind::kDouble: return DoubleEq(d, o.d);
    case Kind::kString:
    case Kind::kKeyword:
    case Kind::kSymbol: return s == o.s;
    case Kind::kUuid: return uuid == o.uuid;
    case Kind::kTagged:
      if (s != o.s) return false;
      [[fallthrough]];
    case Kind::kVector:
    case Kind::kList: return items == o.items;
    case Kind::kSet: return UnorderedEqual(items, o.items, 1);
    case Kind::kMap: return items.size() % 2 == 0 && UnorderedEqual(items, o.items, 2);
  }
  return false;
}

// ---- printer ------------------------------------------------------------------

void PrintTo(const Node& n, std::string* out) {
  switch (n.kind) {
    case Kind::kNil: out->append("nil"); return;
    case Kind::kBool: out->append(n.b ? "true" : "false"); return;
    case Kind::kLong: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, n.i);
      out->append(buf, r.ptr - buf);
      return;
    }
    case Kind::kDouble: PrintDouble(n.d, out); return;
    case Kind::kString: PrintString(n.s, out); return;
    case Kind::kKeyword:
      out->push_back(':');
      out->append(n.s);
      return;
    case Kind::kSymbol: out->append(n.s); return;
    case Kind::kUuid: out->append("#uuid \"").append(n.uuid.ToString()).push_back('"'); return;
    case Kind::kInst: {
      std::string text = FormatInstant(n.i);
      text.pop_back();  // 'Z': Datomic prints the offset as -00:00
      out->append("#inst \"").append(text).append("-00:00\"");
      return;
    }
    case Kind::kTagged:
      out->push_back('#');
      out->append(n.s);
      out->push_back(' ');
      // A tagged node built in code without its form prints as "#tag nil".
      if (n.items.empty()) {
        out->append("nil");
      } else {
        PrintTo(n.items[0], out);
      }
      return;
    case Kind::kVector:
    case Kind::kList:
    case Kind::kSet: {
      out->append(n.kind == Kind::kVector ? "[" : n.kind == Kind::kList ? "(" : "#{");
      for (size_t i = 0; i < n.items.size(); ++i) {
        if (i > 0) out->push_back(' ');
        PrintTo(n.items[i], out);
      }
      out->push_back(n.kind == Kind::kVector ? ']' : n.kind == Kind::kList ? ')' : '}');
      return;
    }
    case Kind::kMap:
      out->push_back('{');
      for (size_t i = 0; i < n.items.size(); ++i) {
        if (i > 0) out->append(i % 2 == 0 ? ", " : " ");
        PrintTo(n.items[i], out);
      }
      out->push_back('}');
      return;
  }
}

std::string Print(const Node& n) {
  std::string out;
  PrintTo(n, &out);
  return out;
}

// ---- instants -----------------------------------------------------------------

std::string FormatInstant(int64_t ms) {
  int64_t days = ms / kMsPerDay, rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  int64_t y, m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  // Years outside 0000..9999 use ISO 8601's expanded form ("+10000", "-0001"),
  // as java.time does; ParseInstant reads them back.
  const char* year_fmt = y >= 0 && y <= 9999 ? "%04lld" : "%+05lld";
  int len = std::snprintf(buf, sizeof buf, year_fmt, static_cast<long long>(y));
  std::snprintf(buf + len, sizeof buf - len, "-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(m),
                static_cast<int>(d), static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return buf;
}

// Accepts year[-MM[-DD[Thh[:mm[:ss[.fraction]]]]]] followed by an optional
// Z or (after a time) +hh:mm / -hh:mm; no offset means UTC. The fraction may
// have any number of digits and is truncated to milliseconds.
bool ParseInstant(std::string_view s, int64_t* ms) {
  size_t p = 0;
  int64_t year, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0, offset_min = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    // Expanded year: a sign and 4 to 9 digits.
    bool neg = s[0] == '-';
    size_t q = 1;
    while (q < s.size() && q < 11 && s[q] >= '0' && s[q] <= '9') ++q;
    int nd = static_cast<int>(q - 1);
    if (nd < 4 || nd > 9) return false;
    p = 1;
    if (!FixedDigits(s, &p, nd, &year)) return false;
    if (neg) year = -year;
  } else if (!FixedDigits(s, &p, 4, &year)) {
    return false;
  }
  bool has_time = false;
  if (p < s.size() && s[p] == '-') {
    ++p;
    if (!FixedDigits(s, &p, 2, &month) || month < 1 || month > 12) return false;
    if (p < s.size() && s[p] == '-') {
      ++p;
      if (!FixedDigits(s, &p, 2, &day) || day < 1 || day > DaysInMonth(year, month)) return false;
      if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
        ++p;
        has_time = true;
        if (!FixedDigits(s, &p, 2, &hour) || hour > 23) return false;
        if (p < s.size() && s[p] == ':') {
          ++p;
          if (!FixedDigits(s, &p, 2, &minute) || minute > 59) return false;
          if (p < s.size() && s[p] == ':') {
            ++p;
            // 60 is a leap second; like Clojure, only at the end of an hour's last minute.
            if (!FixedDigits(s, &p, 2, &second) || second > (minute == 59 ? 60 : 59)) return false;
            if (p < s.size() && s[p] == '.') {
              ++p;
              size_t first = p;
              while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                if (p - first < 3) millis = millis * 10 + (s[p] - '0');
                ++p;
              }
              if (p == first) return false;
              for (size_t k = p - first; k < 3; ++k) millis *= 10;
            }
          }
        }
      }
    }
  }
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (has_time && p < s.size() && (s[p] == '+' || s[p] == '-')) {
    bool neg = s[p] == '-';
    ++p;
    int64_t oh, om;
    if (!FixedDigits(s, &p, 2, &oh) || oh > 23) return false;
    if (p < s.size() && s[p] == ':') ++p;
    if (!FixedDigits(s, &p, 2, &om) || om > 59) return false;
    offset_min = (neg ? -1 : 1) * (oh * 60 + om);
  }
  if (p != s.size()) return false;
  int64_t days = DaysFromCivil(year, month, day);
  int64_t in_day = ((hour * 60 + minute - offset_min) * 60 + second) * 1000 + millis;
  // The earliest representable instant lies inside its day: move a day into
  // the time part so days * kMsPerDay alone cannot overflow.
  if (days < 0) {
    ++days;
    in_day -= kMsPerDay;
  }
  int64_t result;
  if (__builtin_mul_overflow(days, kMsPerDay, &result) || __builtin_add_overflow(result, in_day, &result)) {
    return false;
  }
  *ms = result;
  return true;
}

}  // namespace strata::edn
