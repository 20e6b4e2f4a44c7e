// The built-in functions and predicates of :where clauses.
//
// Semantics follow Clojure as Datomic uses it, with these choices: `/` of
// two longs is a long when exact and a double otherwise (Clojure would make
// a ratio); comparisons accept two numbers, two values of one type, or two
// tuples, and refuse mixed types; strings count and cut by byte.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>

#include "functions.h"

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

Status NeedNumbers(const char* name, const Args& a) {
  for (const auto& x : a) {
    if (!x.val.is_number()) return Status::InvalidArgument(std::string("'") + name + "' expects numbers, got " + Show(x.val));
  }
  return Status::OK();
}

Status NeedString(const char* name, const Val& v) {
  if (v.is_string()) return Status::OK();
  return Status::InvalidArgument(std::string("'") + name + "' expects a string, got " + Show(v));
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
  return Status::InvalidArgument("cannot compare " + Show(a) + " with " + Show(b));
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
    if (a.size() == 1 && name[0] == '-') acc = -acc;
    for (size_t i = 1; i < a.size(); ++i) {
      if (lop(acc, a[i].val.v.as_long(), &acc)) return Status::InvalidArgument(std::string("integer overflow in '") + name + "'");
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
      if (d.v.as_long() == 0) return Status::InvalidArgument("divide by zero in '/'");
      if (acc.v.as_long() % d.v.as_long() == 0) {
        acc = Val::Long(acc.v.as_long() / d.v.as_long());
        continue;
      }
    }
    acc = D(Num(acc) / Num(d));
  }
  return acc;
}

template <typename Op>
Result<Val> IntOp(const char* name, const Args& a, Op op) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 2, 2));
  if (!a[0].val.is_long() || !a[1].val.is_long()) {
    return Status::InvalidArgument(std::string("'") + name + "' expects integers");
  }
  if (a[1].val.v.as_long() == 0) return Status::InvalidArgument(std::string("divide by zero in '") + name + "'");
  return Val::Long(op(a[0].val.v.as_long(), a[1].val.v.as_long()));
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
  std::string s;
  for (const auto& x : a) s += StrOf(x.val);
  return S(std::move(s));
}

Result<Val> Subs(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("subs", a, 2, 3));
  STRATA_RETURN_IF_ERROR(NeedString("subs", a[0].val));
  const std::string& s = a[0].val.v.str();
  for (size_t i = 1; i < a.size(); ++i)
    if (!a[i].val.is_long()) return Status::InvalidArgument("'subs' expects integer indexes");
  int64_t start = a[1].val.v.as_long();
  int64_t end = a.size() == 3 ? a[2].val.v.as_long() : static_cast<int64_t>(s.size());
  if (start < 0 || end < start || end > static_cast<int64_t>(s.size())) {
    return Status::InvalidArgument("'subs' index out of range for " + Show(a[0].val));
  }
  return S(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)));
}

Result<Val> Count(const Args& a) {
  STRATA_RETURN_IF_ERROR(Arity("count", a, 1, 1));
  const Val& v = a[0].val;
  if (v.tuple) return Val::Long(static_cast<int64_t>(v.tuple->size()));
  if (v.is_string()) return Val::Long(static_cast<int64_t>(v.v.str().size()));
  if (v.is_nil()) return Val::Long(0);
  return Status::InvalidArgument("'count' expects a string or a collection, got " + Show(v));
}

const std::regex& Regex(const std::string& pattern) {
  thread_local std::map<std::string, std::regex> cache;
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    if (cache.size() > 256) cache.clear();
    it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
  }
  return it->second;
}

Result<Val> ReMatch(const char* name, const Args& a, bool whole) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 2, 2));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  if (!a[1].val.is_string()) return Val();
  std::smatch m;
  try {
    const std::regex& re = Regex(a[0].val.v.str());
    const std::string& s = a[1].val.v.str();
    bool hit = whole ? std::regex_match(s, m, re) : std::regex_search(s, m, re);
    if (!hit) return Val();
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument(std::string("bad regular expression in '") + name + "': " + e.what());
  }
  if (m.size() == 1) return S(m.str(0));
  std::vector<Val> groups;
  for (size_t i = 0; i < m.size(); ++i) groups.push_back(m[i].matched ? S(m.str(i)) : Val());
  return Val::Tuple(std::move(groups));
}

Result<Val> StringTest(const char* name, const Args& a, bool (*test)(const std::string&, const std::string&)) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 2, 2));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[1].val));
  return B(test(a[0].val.v.str(), a[1].val.v.str()));
}

Result<Val> Case(const char* name, const Args& a, int (*f)(int)) {
  STRATA_RETURN_IF_ERROR(Arity(name, a, 1, 1));
  STRATA_RETURN_IF_ERROR(NeedString(name, a[0].val));
  std::string s = a[0].val.v.str();
  for (char& c : s) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return S(std::move(s));
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
  if (!v.is_keyword()) return Status::InvalidArgument(std::string("'") + name + "' expects a keyword, got " + Show(v));
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
  return Val(Value::Keyword(a[0].val.v.str() + "/" + a[1].val.v.str()));
}

}  // namespace

// Functions that read a database or the log (dbfns.cc).
Result<Val> GetElse(const Args& a);
Result<Val> GetSome(const Args& a);
Result<Val> Missing(const Args& a);
Result<Val> TxIds(const Args& a);
Result<Val> TxData(const Args& a);
Result<Val> Fulltext(const Args& a);

BuiltinFn FindFunction(const std::string& name) {
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
      {"inc", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("inc", a, 1, 1));
         return FindFunction("+")({a[0], FnArg{Val::Long(1)}});
       }},
      {"dec", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("dec", a, 1, 1));
         return FindFunction("-")({a[0], FnArg{Val::Long(1)}});
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
         return a[0].val;
       }},
      {"re-find", [](const Args& a) { return ReMatch("re-find", a, false); }},
      {"re-matches", [](const Args& a) { return ReMatch("re-matches", a, true); }},
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
         if (!a[0].val.is_tuple()) return Status::InvalidArgument("'untuple' expects a tuple, got " + Show(a[0].val));
         return a[0].val;
       }},
      {"tuple", [](const Args& a) -> Result<Val> {
         std::vector<Val> xs;
         for (const auto& x : a) xs.push_back(x.val);
         return Val::Tuple(std::move(xs));
       }},
      {"vector", [](const Args& a) { return FindFunction("tuple")(a); }},
      {"list", [](const Args& a) { return FindFunction("tuple")(a); }},
      {"vector?", [](const Args& a) { return Is("vector?", a, [](const Val& v) { return v.is_tuple(); }); }},
      {"list?", [](const Args& a) { return Is("list?", a, [](const Val& v) { return v.is_tuple(); }); }},
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
      {"even?", [](const Args& a) { return NumTest("even?", a, [](double x) { return std::fmod(x, 2) == 0; }); }},
      {"odd?", [](const Args& a) { return NumTest("odd?", a, [](double x) { return std::fabs(std::fmod(x, 2)) == 1; }); }},
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
      {"clojure.string/lower-case", [](const Args& a) { return Case("lower-case", a, [](int c) { return std::tolower(c); }); }},
      {"clojure.string/upper-case", [](const Args& a) { return Case("upper-case", a, [](int c) { return std::toupper(c); }); }},
      {"clojure.string/blank?", [](const Args& a) -> Result<Val> {
         STRATA_RETURN_IF_ERROR(Arity("blank?", a, 1, 1));
         if (a[0].val.is_nil()) return B(true);
         STRATA_RETURN_IF_ERROR(NeedString("blank?", a[0].val));
         const std::string& s = a[0].val.v.str();
         return B(std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }));
       }},
      {"get-else", GetElse},
      {"get-some", GetSome},
      {"missing?", Missing},
      {"tx-ids", TxIds},
      {"tx-data", TxData},
      {"fulltext", Fulltext},
  };
  auto it = kFns.find(name);
  return it == kFns.end() ? nullptr : it->second;
}

}  // namespace strata::query
