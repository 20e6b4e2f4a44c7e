// The built-in functions and predicates of :where clauses.
//
// Semantics follow Clojure as Datomic uses it, with these choices: `/` of
// two longs is a long when exact and a double otherwise (Clojure would make
// a ratio); comparisons accept two numbers, two values of one type, or two
// tuples, and refuse mixed types; strings count, cut and change case as
// java.lang.String does (UTF-16 units, full case mappings: java_string.h).
//
// Bounds (hostile queries end with an error, never a crash):
//   - integer arithmetic is checked: a result outside the long range is
//     InvalidArgument "integer overflow in 'f' with operands ...", as
//     Clojure's `+` throws ArithmeticException "integer overflow" (and
//     where Java would wrap silently: (quot MIN -1), (- MIN), (abs MIN));
//   - regular expressions are RE2's: linear time in the input, no
//     recursion, so no pattern or input can hang or overflow the stack;
//     the Java features RE2 lacks (backreferences, lookaround) are refused;
//   - a string or collection a function builds is at most kMaxFnResult
//     bytes, checked before it is built.
#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <map>
#include <memory>

#include <re2/re2.h>

#include "functions.h"
#include "relation.h"
#include "java_string.h"

namespace strata::query {

namespace {

using Args = std::vector<FnArg>;

Status Arity(const char* name, const Args& a, size_t lo, size_t hi) {
  if (a.size() >= lo && a.size() <= hi) return Status::OK();
  std::string want = lo == hi ? std::to_string(lo) : hi == SIZE_MAX ? std::to_string(lo) + " or more"
                                                                       : std::to_string(lo) + " to " + std::to_string(hi);
  return Status::InvalidArgument(std::string("'") + name + "' takes " + want + " arguments, got " +
                                 std::to_string(a.size()));
}

Val B(bool b) { return Val(Value::Boolean(b)); }
Val S(std::string s) { return Val(Value::String(std::move(s))); }
Val D(double d) { return Val(Value::Double(d)); }

double Num(const Val& v) { return v.v.type() == ValueType::kLong ? static_cast<double>(v.v.as_long()) : v.v.as_double(); }

// The first `n` bytes of s or fewer, ending on a UTF-8 character boundary.
std::string CutUtf8(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// A value for an error message: long strings and tuples cut short.
std::string Brief(const Val& v) {
  if (v.is_string() && v.v.str().size() > 64) {
    return Show(S(CutUtf8(v.v.str(), 40))) + "... (" + std::to_string(v.v.str().size()) + " bytes)";
  }
  if (v.tuple && v.tuple->size() > 16) return std::to_string(v.tuple->size()) + " values";
  std::string x = Show(v);
  return x.size() > 80 ? CutUtf8(x, 77) + "..." : x;
}

Status NeedNumbers(const char* name, const Args& a) {
  for (const auto& x : a) {
    if (!x.val.is_number()) return Status::InvalidArgument(std::string("'") + name + "' expects numbers, got " + Brief(x.val));
  }
  return Status::OK();
}

Status NeedString(const char* name, const Val& v) {
  if (v.is_string()) return Status::OK();
  return Status::InvalidArgument(std::string("'") + name + "' expects a string, got " + Brief(v));
}

// The operands of a call, for its error message (long ones cut short).
std::string Operands(const Args& a) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i == 8) return out + " ...";
    if (i > 0) out += ' ';
    out += Brief(a[i].val);
  }
  return out;
}

Status Overflow(const char* name, const Args& a) {
  return Status::InvalidArgument(std::string("integer overflow in '") + name + "' with operands " + Operands(a));
}

Status TooLarge(const char* name, uint64_t bytes) {
  return Status::InvalidArgument(std::string("'") + name + "' would build " + std::to_string(bytes) +
                                 " bytes, over the limit of " + std::to_string(kMaxFnResult) + " for one value");
}

}  // namespace

// Compares two values the way query predicates do.
Result<int> QueryCompare(const Val& a, const Val& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_long() && b.is_long()) return a.v.as_long() < b.v.as_long() ? -1 : a.v.as_long() > b.v.as_long();
    double x = Num(a), y = Num(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_tuple() && b.is_tuple()) return Compare(a, b);
  if (!a.is_tuple() && !b.is_tuple() && a.v.type() == b.v.type()) return Compare(a, b);
  return Status::InvalidArgument("cannot compare " + Brief(a) + " with " + Brief(b));
}

namespace {

template <typename Test>
Result<Val> Chain(const char* name, const Args& a, Test test) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, SIZE_MAX));
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(int c, QueryCompare(a[i].val, a[i + 1].val));
    if (!test(c)) return B(false);
  }
  return B(true);
}

// + - * over longs (checked for overflow) or doubles.
template <typename LongOp, typename DoubleOp>
Result<Val> Arith(const char* name, const Args& a, int64_t unit, LongOp lop, DoubleOp dop) {
  STRATA_RETURN_IF_ERROR(NeedNumbers(name, a));
  bool all_long = std::all_of(a.begin(), a.end(), [](const FnArg& x) { return x.val.is_long(); });
  if (a.empty()) return Val::Long(unit);
  if (all_long) {
    int64_t acc = a[0].val.v.as_long();
    // Unary minus negates: -MIN is not a long.
    if (a.size() == 1 && name[0] == '-' && __builtin_sub_overflow(int64_t{0}, acc, &acc)) return Overflow(name, a);
    for (size_t i = 1; i < a.size(); ++i) {
      if (lop(acc, a[i].val.v.as_long(), &acc)) return Overflow(name, a);
    }
    return Val::Long(acc);
  }
  double acc = Num(a[0].val);
  if (a.size() == 1 && name[0] == '-') acc = -acc;
  for (size_t i = 1; i < a.size(); ++i) acc = dop(acc, Num(a[i].val));
  return D(acc);
}

Result<Val> Divide(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("/", a, 1, SIZE_MAX));
  STRATA_RETURN_IF_ERROR(NeedNumbers("/", a));
  Args xs = a;
  if (xs.size() == 1) xs.insert(xs.begin(), FnArg{Val::Long(1)});
  Val acc = xs[0].val;
  for (size_t i = 1; i < xs.size(); ++i) {
    const Val& d = xs[i].val;
    if (acc.is_long() && d.is_long()) {
      if (d.v.as_long() == 0) return Status::InvalidArgument("divide by zero in '/' with operands " + Operands(a));
      // MIN / -1 is 2^63, not a long (and MIN % -1 traps on x86).
      if (acc.v.as_long() == INT64_MIN && d.v.as_long() == -1) return Overflow("/", a);
      if (acc.v.as_long() % d.v.as_long() == 0) {
        acc = Val::Long(acc.v.as_long() / d.v.as_long());
        continue;
      }
    }
    acc = D(Num(acc) / Num(d));
  }
  return acc;
}

// quot, rem, mod: `op` gets y != 0 and never (MIN, -1), the one pair
// whose quotient is not a long (x86 traps on it, for / and % alike).
// The remainder of MIN by -1 is 0; the quotient is an overflow.
template <typename Op>
Result<Val> IntOp(const char* name, const Args& a, Op op) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 2, 2));
  if (!a[0].val.is_long() || !a[1].val.is_long()) {
    return Status::InvalidArgument(std::string("'") + name + "' expects integers, got " + Operands(a));
  }
  const int64_t x = a[0].val.v.as_long(), y = a[1].val.v.as_long();
  if (y == 0) return Status::InvalidArgument(std::string("divide by zero in '") + name + "' with operands " + Operands(a));
  if (y == -1) {
    if (name[0] != 'q') return Val::Long(0);
    if (x == INT64_MIN) return Overflow(name, a);
    return Val::Long(-x);
  }
  return Val::Long(op(x, y));
}

// inc, dec, abs: one long or double.
template <typename LongOp, typename DoubleOp>
Result<Val> Unary(const char* name, const Args& a, LongOp lop, DoubleOp dop) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, 1));
  STRATA_RETURN_IF_ERROR(NeedNumbers(name, a));
  if (!a[0].val.is_long()) return D(dop(a[0].val.v.as_double()));
  int64_t r;
  if (lop(a[0].val.v.as_long(), &r)) return Overflow(name, a);
  return Val::Long(r);
}

std::string StrOf(const Val& v) {
  if (v.is_nil()) return "";
  if (v.is_string()) return v.v.str();
  if (v.is_keyword()) return ":" + v.v.str();
  if (!v.tuple && v.v.type() == ValueType::kInstant) return edn::FormatInstant(v.v.instant_ms());
  if (!v.tuple && v.v.type() == ValueType::kUuid) return v.v.uuid().ToString();
  return Show(v);
}

Result<Val> Str(const Args& a) {
  // The length first, so a string past the limit is never built.
  uint64_t n = 0;
  for (const auto& x : a) {
    const Val& v = x.val;
    n += v.is_string() ? v.v.str().size() : v.is_keyword() ? v.v.str().size() + 1 : v.tuple ? Show(v).size() : 64;
  }
  if (n > kMaxFnResult) return TooLarge("str", n);
  std::string s;
  for (const auto& x : a) s += StrOf(x.val);
  if (s.size() > kMaxFnResult) return TooLarge("str", s.size());
  return S(std::move(s));
}

Result<Val> Subs(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("subs", a, 2, 3));
  STRATA_RETURN_IF_ERROR(NeedString("subs", a[0].val));
  const std::string& s = a[0].val.v.str();
  for (size_t i = 1; i < a.size(); ++i)
    if (!a[i].val.is_long()) return Status::InvalidArgument("'subs' expects integer indexes");
  // Indexes count UTF-16 units, as Java's String.substring.
  const int64_t len = Utf16Length(s);
  int64_t start = a[1].val.v.as_long();
  int64_t end = a.size() == 3 ? a[2].val.v.as_long() : len;
  if (start < 0 || end < start || end > len) {
    return Status::InvalidArgument("'subs' index out of range: " + Operands(a) + " (length " + std::to_string(len) +
                                   ")");
  }
  STRATA_ASSIGN_OR_RETURN(size_t from, ByteOffsetOfUtf16("subs", s, start));
  STRATA_ASSIGN_OR_RETURN(size_t to, ByteOffsetOfUtf16("subs", s, end));
  return S(s.substr(from, to - from));
}

Result<Val> Count(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("count", a, 1, 1));
  const Val& v = a[0].val;
  if (v.is_map()) return Val::Long(static_cast<int64_t>(v.tuple->size() / 2));
  if (v.tuple) return Val::Long(static_cast<int64_t>(v.tuple->size()));
  if (v.is_string()) return Val::Long(Utf16Length(v.v.str()));  // Java's String.length()
  if (v.is_nil()) return Val::Long(0);
  return Status::InvalidArgument("'count' expects a string or a collection, got " + Brief(v));
}

// The compiled form of `pattern`, cached per thread (the same pattern is
// usually applied to every row). RE2 compiles to an automaton: matching
// is linear in the input and uses no recursion. Errors name the function
// and, for Java regex features RE2 does not have, say so.
// RE2 itself is not safe with every pattern: a pattern nested 100,000
// groups deep grew past 20 GB while compiling, and a 32 MiB one took
// seconds to be refused. So a pattern is bounded first, in length and in
// nesting (Java has no such bounds; real patterns are far inside them).
constexpr size_t kMaxPatternBytes = 32 << 10;
constexpr int kMaxPatternDepth = 256;

Status CheckPattern(const char* name, const std::string& pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return Status::InvalidArgument(std::string("regular expression in '") + name + "' is " +
                                   std::to_string(pattern.size()) + " bytes, over the limit of " +
                                   std::to_string(kMaxPatternBytes));
  }
  int depth = 0;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;  // an escaped character is a literal
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // []...] holds a literal ]
    } else if (c == '(' && ++depth > kMaxPatternDepth) {
      return Status::InvalidArgument(std::string("regular expression in '") + name + "' nests groups deeper than " +
                                     std::to_string(kMaxPatternDepth));
    } else if (c == ')' && depth > 0) {
      --depth;
    }
  }
  return Status::OK();
}

Result<const RE2*> Regex(const char* name, const std::string& pattern) {
  thread_local std::map<std::string, std::unique_ptr<RE2>> cache;
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second.get();
  STRATA_RETURN_IF_ERROR(CheckPattern(name, pattern));
  RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, o);
  if (!re->ok()) {
    std::string msg = std::string("bad regular expression in '") + name + "': " + re->error();
    const auto code = re->error_code();
    if (code == RE2::ErrorBadPerlOp || code == RE2::ErrorBadEscape || code == RE2::ErrorRepeatOp ||
        code == RE2::ErrorBadNamedCapture) {
      msg += " (strata matches with RE2, which lacks some Java regex syntax: backreferences, lookaround, atomic "
             "groups, possessive quantifiers, (?<name>...), \\Z, (?x); see docs/query.md)";
    }
    return Status::InvalidArgument(msg);
  }
  // Each compiled pattern may hold up to RE2's max_mem (8 MiB) of automata.
  if (cache.size() >= 32) cache.clear();
  return cache.emplace(pattern, std::move(re)).first->second.get();
}

// A match as Clojure returns it: the matched text, or with groups a
// vector [whole group1 ...] where a group that took no part is nil.
Val MatchVal(const std::vector<re2::StringPiece>& m) {
  auto str = [](const re2::StringPiece& p) { return p.data() == nullptr ? Val() : S(std::string(p.data(), p.size())); };
  if (m.size() == 1) return str(m[0]);
  std::vector<Val> groups;
  for (const auto& g : m) groups.push_back(str(g));
  return Val::Tuple(std::move(groups));
}

// re-find (the first match anywhere), re-matches (the whole string).
Result<Val> ReMatch(const char* name, const Args& a, bool whole) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 2, 2));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  if (!a[1].val.is_string()) return Val();
  STRATA_ASSIGN_OR_RETURN(const RE2* re, Regex(name, a[0].val.v.str()));
  const std::string& s = a[1].val.v.str();
  std::vector<re2::StringPiece> m(1 + static_cast<size_t>(re->NumberOfCapturingGroups()));
  if (!re->Match(s, 0, s.size(), whole ? RE2::ANCHOR_BOTH : RE2::UNANCHORED, m.data(), static_cast<int>(m.size()))) {
    return Val();
  }
  return MatchVal(m);
}

// re-seq: every successive match, as Clojure's (a vector here; nil when
// none). After an empty match the search moves on by one character.
Result<Val> ReSeq(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("re-seq", a, 2, 2));
  STRATA_RETURN_IF_ERROR(NeedString("re-seq", a[0].val));
  if (!a[1].val.is_string()) return Val();
  STRATA_ASSIGN_OR_RETURN(const RE2* re, Regex("re-seq", a[0].val.v.str()));
  const std::string& s = a[1].val.v.str();
  std::vector<re2::StringPiece> m(1 + static_cast<size_t>(re->NumberOfCapturingGroups()));
  std::vector<Val> out;
  uint64_t bytes = 0;
  size_t pos = 0;
  while (pos <= s.size() &&
         re->Match(s, pos, s.size(), RE2::UNANCHORED, m.data(), static_cast<int>(m.size()))) {
    out.push_back(MatchVal(m));
    bytes += ValBytes(out.back()) + (out.back().tuple ? m.size() * sizeof(Val) + m[0].size() : 0);
    if (bytes > kMaxFnResult) return TooLarge("re-seq", bytes);
    const size_t end = static_cast<size_t>(m[0].data() - s.data()) + m[0].size();
    if (m[0].size() > 0) {
      pos = end;
      continue;
    }
    // An empty match: step over one UTF-8 character.
    pos = end + 1;
    while (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) ++pos;
  }
  if (out.empty()) return Val();
  return Val::Tuple(std::move(out));
}

Result<Val> StringTest(const char* name, const Args& a, bool (*test)(const std::string&, const std::string&)) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 2, 2));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[1].val));
  return B(test(a[0].val.v.str(), a[1].val.v.str()));
}

Result<Val> Case(const char* name, const Args& a, bool upper) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, 1));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  const std::string& s = a[0].val.v.str();
  STRATA_ASSIGN_OR_RETURN(std::string r, upper ? ToUpperJava(s) : ToLowerJava(s));
  if (r.size() > kMaxFnResult) return TooLarge(name, r.size());  // a full mapping may grow a string
  return S(std::move(r));
}

// clojure.string/trim, triml, trimr: Character.isWhitespace at the ends.
Result<Val> Trim(const char* name, const Args& a, bool left, bool right) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, 1));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  const std::string& s = a[0].val.v.str();
  size_t from = 0, to = s.size();
  if (left) {
    for (size_t pos = 0; pos < s.size();) {
      if (!IsJavaWhitespace(NextCodePoint(s, &pos))) break;
      from = pos;
    }
  }
  if (right) {
    size_t last_end = from;  // end of the last non-whitespace character
    for (size_t pos = from; pos < s.size();) {
      if (!IsJavaWhitespace(NextCodePoint(s, &pos))) last_end = pos;
    }
    to = last_end;
  }
  return S(s.substr(from, to - from));
}

bool Blank(const std::string& s) {
  for (size_t pos = 0; pos < s.size();)
    if (!IsJavaWhitespace(NextCodePoint(s, &pos))) return false;
  return true;
}

// clojure.string/index-of, last-index-of: a UTF-16 index, or nil.
Result<Val> IndexOf(const char* name, const Args& a, bool last) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 2, 3));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[1].val));
  const std::string& s = a[0].val.v.str();
  const std::string& x = a[1].val.v.str();
  size_t from = last ? std::string::npos : 0;
  if (a.size() == 3) {
    if (!a[2].val.is_long()) return Status::InvalidArgument(std::string("'") + name + "' expects an integer index");
    const int64_t i = std::clamp<int64_t>(a[2].val.v.as_long(), 0, Utf16Length(s));
    STRATA_ASSIGN_OR_RETURN(from, ByteOffsetOfUtf16(name, s, i));
  }
  const size_t at = last ? s.rfind(x, from) : s.find(x, from);
  if (at == std::string::npos) return Val();
  return Val::Long(Utf16Length(std::string_view(s).substr(0, at)));
}

// clojure.string/replace and replace-first with a string match (a literal:
// strata has no regex value, re-pattern returns the pattern as a string).
Result<Val> Replace(const char* name, const Args& a, bool first_only) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 3, 3));
  for (const auto& x : a) STRATA_RETURN_IF_ERROR(NeedString(name, x.val));
  const std::string& s = a[0].val.v.str();
  const std::string& m = a[1].val.v.str();
  const std::string& r = a[2].val.v.str();
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t at = s.find(m, pos);
    if (at == std::string::npos) break;
    out.append(s, pos, at - pos);
    out += r;
    if (out.size() > kMaxFnResult) return TooLarge(name, out.size());
    if (m.empty()) {  // Java inserts the replacement between characters
      if (at >= s.size()) {
        pos = s.size();
        break;
      }
      size_t next = at;
      NextCodePoint(s, &next);
      out.append(s, at, next - at);
      pos = next;
      if (first_only) break;
      continue;
    }
    pos = at + m.size();
    if (first_only) break;
  }
  out.append(s, std::min(pos, s.size()), std::string::npos);
  if (out.size() > kMaxFnResult) return TooLarge(name, out.size());
  return S(std::move(out));
}

template <typename Test>
Result<Val> Is(const char* name, const Args& a, Test test) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, 1));
  return B(test(a[0].val));
}

Result<Val> NumTest(const char* name, const Args& a, bool (*test)(double)) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, 1));
  STRATA_RETURN_IF_ERROR(NeedNumbers(name, a));
  return B(test(Num(a[0].val)));
}

Result<Val> MinMax(const char* name, const Args& a, bool want_max) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, SIZE_MAX));
  Val best = a[0].val;
  for (size_t i = 1; i < a.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(int c, QueryCompare(a[i].val, best));
    if (want_max ? c > 0 : c < 0) best = a[i].val;
  }
  return best;
}

Result<Val> KeywordPart(const char* name, const Args& a, bool ns) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, 1));
  const Val& v = a[0].val;
  if (v.is_string() && !ns) return v;
  if (!v.is_keyword()) return Status::InvalidArgument(std::string("'") + name + "' expects a keyword, got " + Brief(v));
  const std::string& s = v.v.str();
  size_t slash = s.find('/');
  if (ns) return slash == std::string::npos ? Val() : S(s.substr(0, slash));
  return S(slash == std::string::npos ? s : s.substr(slash + 1));
}

Result<Val> MakeKeyword(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("keyword", a, 1, 2));
  for (const auto& x : a)
    if (!x.val.is_string() && !x.val.is_keyword()) return Status::InvalidArgument("'keyword' expects strings");
  if (a.size() == 1) return a[0].val.is_keyword() ? a[0].val : Val(Value::Keyword(a[0].val.v.str()));
  const uint64_t n = a[0].val.v.str().size() + 1 + a[1].val.v.str().size();
  if (n > kMaxFnResult) return TooLarge("keyword", n);
  return Val(Value::Keyword(a[0].val.v.str() + "/" + a[1].val.v.str()));
}

// (get coll key) and (get coll key default), as Clojure's: a map by key,
// a set by member, a vector or string by index; anything else: default.
Result<Val> Get(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("get", a, 2, 3));
  const Val& c = a[0].val;
  const Val& k = a[1].val;
  const Val def = a.size() == 3 ? a[2].val : Val();
  if (c.is_map()) {
    for (size_t i = 0; i + 1 < c.tuple->size(); i += 2)
      if ((*c.tuple)[i] == k) return (*c.tuple)[i + 1];
    return def;
  }
  if (c.is_set()) return std::binary_search(c.tuple->begin(), c.tuple->end(), k) ? k : def;
  if (c.is_vector() && k.is_long()) {
    const int64_t i = k.v.as_long();
    return i >= 0 && i < static_cast<int64_t>(c.tuple->size()) ? (*c.tuple)[static_cast<size_t>(i)] : def;
  }
  return def;
}

// (contains? coll key): a map's key, a set's member, a vector's or a
// string's index; Clojure throws for anything else.
Result<Val> Contains(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("contains?", a, 2, 2));
  const Val& c = a[0].val;
  const Val& k = a[1].val;
  if (c.is_nil()) return B(false);
  if (c.is_map()) {
    for (size_t i = 0; i < c.tuple->size(); i += 2)
      if ((*c.tuple)[i] == k) return B(true);
    return B(false);
  }
  if (c.is_set()) return B(std::binary_search(c.tuple->begin(), c.tuple->end(), k));
  const int64_t n = c.is_vector() ? static_cast<int64_t>(c.tuple->size()) : c.is_string() ? Utf16Length(c.v.str()) : -1;
  if (n < 0) return Status::InvalidArgument("'contains?' expects a collection or a string, got " + Brief(c));
  return B(k.is_long() && k.v.as_long() >= 0 && k.v.as_long() < n);
}

// The size of a collection or a string, or -1.
int64_t SizeOf(const Val& v) {
  if (v.is_map()) return static_cast<int64_t>(v.tuple->size() / 2);
  if (v.tuple) return static_cast<int64_t>(v.tuple->size());
  if (v.is_string()) return Utf16Length(v.v.str());
  if (v.is_nil()) return 0;
  return -1;
}

Result<Val> Range(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("range", a, 1, 3));
  for (const auto& x : a)
    if (!x.val.is_long()) return Status::InvalidArgument("'range' expects integers (strata has no infinite range), got " + Operands(a));
  const int64_t start = a.size() == 1 ? 0 : a[0].val.v.as_long();
  const int64_t end = a.size() == 1 ? a[0].val.v.as_long() : a[1].val.v.as_long();
  const int64_t step = a.size() == 3 ? a[2].val.v.as_long() : 1;
  if (step == 0) return Status::InvalidArgument("'range' with step 0 is infinite");
  const __int128 count = step > 0 ? (end > start ? (static_cast<__int128>(end) - start + step - 1) / step : 0)
                                  : (end < start ? (static_cast<__int128>(start) - end - step - 1) / -step : 0);
  if (count * static_cast<__int128>(sizeof(Val)) > kMaxFnResult) {
    return TooLarge("range", static_cast<uint64_t>(std::min<__int128>(count * sizeof(Val), INT64_MAX)));
  }
  std::vector<Val> xs;
  xs.reserve(static_cast<size_t>(count));
  for (__int128 i = 0, x = start; i < count; ++i, x += step) xs.push_back(Val::Long(static_cast<int64_t>(x)));
  return Val::Tuple(std::move(xs));
}

// pr-str, prn-str (EDN, strings quoted), print-str, println-str (strings
// bare): the arguments separated by spaces.
Result<Val> PrintStr(const Args& a, bool readably, bool newline) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0) out += ' ';
    const Val& v = a[i].val;
    out += readably ? Show(v) : v.is_nil() ? std::string("nil") : v.is_string() ? v.v.str() : Show(v);
    if (out.size() > kMaxFnResult) return TooLarge(readably ? "pr-str" : "print-str", out.size());
  }
  if (newline) out += '\n';
  return S(std::move(out));
}

// clojure.string/split by a regular expression (Java's String.split):
// trailing empty strings dropped unless a limit is given; a limit n > 0
// makes at most n parts.
Result<Val> Split(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("split", a, 2, 3));
  STRATA_RETURN_IF_ERROR(NeedString("split", a[0].val));
  STRATA_RETURN_IF_ERROR(NeedString("split", a[1].val));
  int64_t limit = 0;
  if (a.size() == 3) {
    if (!a[2].val.is_long()) return Status::InvalidArgument("'split' expects an integer limit");
    limit = a[2].val.v.as_long();
  }
  STRATA_ASSIGN_OR_RETURN(const RE2* re, Regex("split", a[1].val.v.str()));
  const std::string& s = a[0].val.v.str();
  std::vector<Val> parts;
  size_t piece = 0, pos = 0;
  re2::StringPiece m;
  while (pos <= s.size() && (limit <= 0 || static_cast<int64_t>(parts.size()) + 1 < limit) &&
         re->Match(s, pos, s.size(), RE2::UNANCHORED, &m, 1)) {
    const size_t at = static_cast<size_t>(m.data() - s.data());
    if (m.size() == 0) {
      if (at >= s.size()) break;
      // A zero-width match splits between characters, never before the first.
      if (at > 0) {
        parts.push_back(S(s.substr(piece, at - piece)));
        piece = at;
      }
      pos = at;
      NextCodePoint(s, &pos);
      continue;
    }
    parts.push_back(S(s.substr(piece, at - piece)));
    piece = pos = at + m.size();
  }
  parts.push_back(S(s.substr(piece)));
  if (limit == 0) {
    while (parts.size() > 1 && parts.back().v.str().empty()) parts.pop_back();
    if (parts.size() == 1 && parts[0].v.str().empty() && !s.empty()) parts.clear();
  }
  return Val::Tuple(std::move(parts));
}

}  // namespace

// Functions that read a database or the log (dbfns.cc).
Result<Val> GetElse(const Args& a);
Result<Val> GetSome(const Args& a);
Result<Val> Missing(const Args& a);
Result<Val> TxIds(const Args& a);
Result<Val> TxData(const Args& a);
Result<Val> Fulltext(const Args& a);

namespace {

const std::map<std::string, BuiltinFn>& Registry() {
  static const std::map<std::string, BuiltinFn> kFns = {
      {"=", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("=", a, 1, SIZE_MAX));
         for (size_t i = 1; i < a.size(); ++i)
           if (a[i].val != a[0].val) return B(false);
         return B(true);
       }},
      {"==", [](const Args& a) { return Chain("==", a, [](int c) { return c == 0; }); }},
      {"!=", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("!=", a, 1, SIZE_MAX));
         for (size_t i = 1; i < a.size(); ++i)
           if (a[i].val != a[0].val) return B(true);
         return B(false);
       }},
      {"not=", [](const Args& a) { return FindFunction("!=")(a); }},
      {"<", [](const Args& a) { return Chain("<", a, [](int c) { return c < 0; }); }},
      {">", [](const Args& a) { return Chain(">", a, [](int c) { return c > 0; }); }},
      {"<=", [](const Args& a) { return Chain("<=", a, [](int c) { return c <= 0; }); }},
      {">=", [](const Args& a) { return Chain(">=", a, [](int c) { return c >= 0; }); }},
      {"+", [](const Args& a) {
         return Arith("+", a, 0, [](int64_t x, int64_t y, int64_t* r) { return __builtin_add_overflow(x, y, r); },
                      [](double x, double y) { return x + y; });
       }},
      {"-", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("-", a, 1, SIZE_MAX));
         return Arith("-", a, 0, [](int64_t x, int64_t y, int64_t* r) { return __builtin_sub_overflow(x, y, r); },
                      [](double x, double y) { return x - y; });
       }},
      {"*", [](const Args& a) {
         return Arith("*", a, 1, [](int64_t x, int64_t y, int64_t* r) { return __builtin_mul_overflow(x, y, r); },
                      [](double x, double y) { return x * y; });
       }},
      {"/", Divide},
      {"quot", [](const Args& a) { return IntOp("quot", a, [](int64_t x, int64_t y) { return x / y; }); }},
      {"rem", [](const Args& a) { return IntOp("rem", a, [](int64_t x, int64_t y) { return x % y; }); }},
      {"mod", [](const Args& a) {
         return IntOp("mod", a, [](int64_t x, int64_t y) {
           int64_t m = x % y;
           return (m != 0 && ((m < 0) != (y < 0))) ? m + y : m;
         });
       }},
      {"inc", [](const Args& a) {
         return Unary("inc", a, [](int64_t x, int64_t* r) { return __builtin_add_overflow(x, 1, r); },
                      [](double x) { return x + 1; });
       }},
      {"dec", [](const Args& a) {
         return Unary("dec", a, [](int64_t x, int64_t* r) { return __builtin_sub_overflow(x, 1, r); },
                      [](double x) { return x - 1; });
       }},
      {"abs", [](const Args& a) {
         return Unary("abs", a, [](int64_t x, int64_t* r) { return x < 0 ? __builtin_sub_overflow(int64_t{0}, x, r) : (*r = x, false); },
                      [](double x) { return std::fabs(x); });
       }},
      {"max", [](const Args& a) { return MinMax("max", a, true); }},
      {"min", [](const Args& a) { return MinMax("min", a, false); }},
      {"compare", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("compare", a, 2, 2));
         STRATA_ASSIGN_OR_RETURN(int c, QueryCompare(a[0].val, a[1].val));
         return Val::Long(c);
       }},
      {"str", Str},
      {"subs", Subs},
      {"count", Count},
      {"re-pattern", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("re-pattern", a, 1, 1));
         STRATA_RETURN_IF_ERROR(NeedString("re-pattern", a[0].val));
         STRATA_RETURN_IF_ERROR(Regex("re-pattern", a[0].val.v.str()).status());
         return a[0].val;
       }},
      {"re-find", [](const Args& a) { return ReMatch("re-find", a, false); }},
      {"re-matches", [](const Args& a) { return ReMatch("re-matches", a, true); }},
      {"re-seq", ReSeq},
      {"ground", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("ground", a, 1, 1));
         return a[0].val;
       }},
      {"identity", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("identity", a, 1, 1));
         return a[0].val;
       }},
      {"untuple", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("untuple", a, 1, 1));
         if (!a[0].val.is_tuple()) return Status::InvalidArgument("'untuple' expects a tuple, got " + Brief(a[0].val));
         return a[0].val;
       }},
      {"tuple", [](const Args& a) -> Result<Val> {
         std::vector<Val> xs;
         for (const auto& x : a) xs.push_back(x.val);
         return Val::Tuple(std::move(xs));
       }},
      {"vector", [](const Args& a) { return FindFunction("tuple")(a); }},
      {"list", [](const Args& a) { return FindFunction("tuple")(a); }},
      {"vector?", [](const Args& a) { return Is("vector?", a, [](const Val& v) { return v.is_vector(); }); }},
      {"list?", [](const Args& a) { return Is("list?", a, [](const Val& v) { return v.is_vector(); }); }},
      {"coll?", [](const Args& a) { return Is("coll?", a, [](const Val& v) { return v.is_tuple(); }); }},
      {"nil?", [](const Args& a) { return Is("nil?", a, [](const Val& v) { return v.is_nil(); }); }},
      {"some?", [](const Args& a) { return Is("some?", a, [](const Val& v) { return !v.is_nil(); }); }},
      {"not", [](const Args& a) { return Is("not", a, [](const Val& v) { return !v.truthy(); }); }},
      {"true?", [](const Args& a) { return Is("true?", a, [](const Val& v) { return v == Val(Value::Boolean(true)); }); }},
      {"false?", [](const Args& a) { return Is("false?", a, [](const Val& v) { return v == Val(Value::Boolean(false)); }); }},
      {"string?", [](const Args& a) { return Is("string?", a, [](const Val& v) { return v.is_string(); }); }},
      {"keyword?", [](const Args& a) { return Is("keyword?", a, [](const Val& v) { return v.is_keyword(); }); }},
      {"number?", [](const Args& a) { return Is("number?", a, [](const Val& v) { return v.is_number(); }); }},
      {"int?", [](const Args& a) { return Is("int?", a, [](const Val& v) { return v.is_long(); }); }},
      {"zero?", [](const Args& a) { return NumTest("zero?", a, [](double x) { return x == 0; }); }},
      {"pos?", [](const Args& a) { return NumTest("pos?", a, [](double x) { return x > 0; }); }},
      {"neg?", [](const Args& a) { return NumTest("neg?", a, [](double x) { return x < 0; }); }},
      // Longs test exactly (a double cannot hold every long).
      {"even?", [](const Args& a) -> Result<Val> {
         if (a.size() == 1 && a[0].val.is_long()) return B(a[0].val.v.as_long() % 2 == 0);
         return NumTest("even?", a, [](double x) { return std::fmod(x, 2) == 0; });
       }},
      {"odd?", [](const Args& a) -> Result<Val> {
         if (a.size() == 1 && a[0].val.is_long()) return B(a[0].val.v.as_long() % 2 != 0);
         return NumTest("odd?", a, [](double x) { return std::fabs(std::fmod(x, 2)) == 1; });
       }},
      {"name", [](const Args& a) { return KeywordPart("name", a, false); }},
      {"namespace", [](const Args& a) { return KeywordPart("namespace", a, true); }},
      {"keyword", MakeKeyword},
      {"clojure.string/starts-with?", [](const Args& a) {
         return StringTest("starts-with?", a, [](const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; });
       }},
      {"clojure.string/ends-with?", [](const Args& a) {
         return StringTest("ends-with?", a, [](const std::string& s, const std::string& p) {
           return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
         });
       }},
      {"clojure.string/includes?", [](const Args& a) {
         return StringTest("includes?", a, [](const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; });
       }},
      {"clojure.string/lower-case", [](const Args& a) { return Case("lower-case", a, false); }},
      {"clojure.string/upper-case", [](const Args& a) { return Case("upper-case", a, true); }},
      {"clojure.string/blank?", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("blank?", a, 1, 1));
         if (a[0].val.is_nil()) return B(true);
         STRATA_RETURN_IF_ERROR(NeedString("blank?", a[0].val));
         return B(Blank(a[0].val.v.str()));
       }},
      {"clojure.string/trim", [](const Args& a) { return Trim("trim", a, true, true); }},
      {"clojure.string/triml", [](const Args& a) { return Trim("triml", a, true, false); }},
      {"clojure.string/trimr", [](const Args& a) { return Trim("trimr", a, false, true); }},
      {"clojure.string/index-of", [](const Args& a) { return IndexOf("index-of", a, false); }},
      {"clojure.string/last-index-of", [](const Args& a) { return IndexOf("last-index-of", a, true); }},
      {"clojure.string/replace", [](const Args& a) { return Replace("replace", a, false); }},
      {"clojure.string/replace-first", [](const Args& a) { return Replace("replace-first", a, true); }},
      {"clojure.string/reverse", [](const Args& a) -> Result<Val> {
         // StringBuilder.reverse keeps surrogate pairs: by code point.
         STRATA_RETURN_IF_ERROR(Arity("reverse", a, 1, 1));
         STRATA_RETURN_IF_ERROR(NeedString("reverse", a[0].val));
         const std::string& s = a[0].val.v.str();
         std::string out(s.size(), '\0');
         size_t end = s.size();
         for (size_t pos = 0; pos < s.size();) {
           const size_t at = pos;
           NextCodePoint(s, &pos);
           end -= pos - at;
           std::copy(s.begin() + static_cast<long>(at), s.begin() + static_cast<long>(pos), out.begin() + static_cast<long>(end));
         }
         return S(std::move(out));
       }},
      {"clojure.string/capitalize", [](const Args& a) -> Result<Val> {
         // The first character upper-cased, the rest lower-cased.
         STRATA_RETURN_IF_ERROR(Arity("capitalize", a, 1, 1));
         STRATA_RETURN_IF_ERROR(NeedString("capitalize", a[0].val));
         const std::string& s = a[0].val.v.str();
         if (s.empty()) return a[0].val;
         size_t pos = 0;
         NextCodePoint(s, &pos);
         STRATA_ASSIGN_OR_RETURN(std::string head, ToUpperJava(std::string_view(s).substr(0, pos)));
         STRATA_ASSIGN_OR_RETURN(std::string tail, ToLowerJava(std::string_view(s).substr(pos)));
         if (head.size() + tail.size() > kMaxFnResult) return TooLarge("capitalize", head.size() + tail.size());
         return S(head + tail);
       }},
      {"clojure.string/join", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("join", a, 1, 2));
         const Val& coll = a.back().val;
         const std::string sep = a.size() == 2 ? StrOf(a[0].val) : "";
         if (coll.is_nil()) return S("");
         if (!coll.is_tuple()) return Status::InvalidArgument("'join' expects a collection, got " + Brief(coll));
         std::string out;
         for (size_t i = 0; i < coll.tuple->size(); ++i) {
           if (i > 0) out += sep;
           out += StrOf((*coll.tuple)[i]);
           if (out.size() > kMaxFnResult) return TooLarge("join", out.size());
         }
         return S(std::move(out));
       }},
      {"get-else", GetElse},
      {"get-some", GetSome},
      {"missing?", Missing},
      {"tx-ids", TxIds},
      {"tx-data", TxData},
      {"fulltext", Fulltext},
      {"hash-map", [](const Args& a) -> Result<Val> {
         if (a.size() % 2 != 0) return Status::InvalidArgument("'hash-map' takes keys and values in pairs, got " + Operands(a));
         std::vector<Val> kvs;
         for (const auto& x : a) kvs.push_back(x.val);
         return Val::Map(kvs);
       }},
      {"array-map", [](const Args& a) { return FindFunction("hash-map")(a); }},
      {"hash-set", [](const Args& a) -> Result<Val> {
         std::vector<Val> xs;
         for (const auto& x : a) xs.push_back(x.val);
         return Val::Set(std::move(xs));
       }},
      {"set", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("set", a, 1, 1));
         if (a[0].val.is_nil()) return Val::Set({});
         if (!a[0].val.is_tuple()) return Status::InvalidArgument("'set' expects a collection, got " + Brief(a[0].val));
         return Val::Set(a[0].val.Elements());
       }},
      {"get", Get},
      {"contains?", Contains},
      {"empty?", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("empty?", a, 1, 1));
         const int64_t n = SizeOf(a[0].val);
         if (n < 0) return Status::InvalidArgument("'empty?' expects a collection or a string, got " + Brief(a[0].val));
         return B(n == 0);
       }},
      {"not-empty", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("not-empty", a, 1, 1));
         const int64_t n = SizeOf(a[0].val);
         if (n < 0) return Status::InvalidArgument("'not-empty' expects a collection or a string, got " + Brief(a[0].val));
         return n == 0 ? Val() : a[0].val;
       }},
      {"map?", [](const Args& a) { return Is("map?", a, [](const Val& v) { return v.is_map(); }); }},
      {"set?", [](const Args& a) { return Is("set?", a, [](const Val& v) { return v.is_set(); }); }},
      {"boolean?", [](const Args& a) {
         return Is("boolean?", a, [](const Val& v) { return !v.tuple && v.v.type() == ValueType::kBoolean; });
       }},
      {"range", Range},
      {"pr-str", [](const Args& a) { return PrintStr(a, true, false); }},
      {"prn-str", [](const Args& a) { return PrintStr(a, true, true); }},
      {"print-str", [](const Args& a) { return PrintStr(a, false, false); }},
      {"println-str", [](const Args& a) { return PrintStr(a, false, true); }},
      {"clojure.string/split", Split},
      {"clojure.string/split-lines", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("split-lines", a, 1, 1));
         Args b = a;
         b.push_back(FnArg{S("\\r?\\n")});
         return Split(b);
       }},
      {"clojure.string/trim-newline", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("trim-newline", a, 1, 1));
         STRATA_RETURN_IF_ERROR(NeedString("trim-newline", a[0].val));
         std::string s = a[0].val.v.str();
         while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
         return S(std::move(s));
       }},
  };
  return kFns;
}

// Datomic's built-ins strata does not implement, and why.
const std::map<std::string, const char*>& Refused() {
  static const std::map<std::string, const char*> kRefused = {
      {"rand", "results must be repeatable; the rand aggregate is deterministic"},
      {"rand-int", "results must be repeatable"},
      {"meta", "query values carry no metadata"},
      {"type", "values have no JVM class"},
      {"complement", "it takes a function, and query values are not functions"},
      {"identical?", "object identity has no meaning for values; use ="},
      {"and", "a Clojure macro, not a function; write the clauses one after another"},
      {"or", "a Clojure macro, not a function; use an or clause"},
      {"q", "nested queries are not implemented"},
      {"datomic.api/q", "nested queries are not implemented"},
      {"eval", "Datomic excludes it too"},
      {"clojure.string/escape", "it takes a map or a function of characters"},
      {"clojure.string/re-quote-replacement", "replace matches strings literally; there are no regex replacements"},
  };
  return kRefused;
}

}  // namespace

BuiltinFn FindFunction(const std::string& name) {
  const auto& fns = Registry();
  auto it = fns.find(name.rfind("clojure.core/", 0) == 0 ? name.substr(13) : name);
  return it == fns.end() ? nullptr : it->second;
}

const char* RefusalReason(const std::string& name) {
  auto it = Refused().find(name.rfind("clojure.core/", 0) == 0 ? name.substr(13) : name);
  return it == Refused().end() ? nullptr : it->second;
}

std::string UnknownFunction(const std::string& name) {
  if (const char* why = RefusalReason(name)) return "not supported by strata: '" + name + "' (" + why + ")";
  if (name.find('/') != std::string::npos && name.rfind("clojure.", 0) != 0) {
    return "not supported by strata: '" + name +
           "' (strata calls only its built-in functions; Datomic would load this one from the classpath)";
  }
  return "unknown function '" + name + "' (strata's built-ins are listed in docs/query.md)";
}

std::vector<std::string> FunctionNames() {
  std::vector<std::string> out;
  for (const auto& [name, _] : Registry()) out.push_back(name);
  return out;
}

std::vector<std::string> RefusedFunctionNames() {
  std::vector<std::string> out;
  for (const auto& [name, _] : Refused()) out.push_back(name);
  return out;
}

}  // namespace strata::query
