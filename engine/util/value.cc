#include "strata/value.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>

#include "util/coding.h"

namespace strata {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNil: return "nil";
    case ValueType::kRef: return "ref";
    case ValueType::kKeyword: return "keyword";
    case ValueType::kString: return "string";
    case ValueType::kBoolean: return "boolean";
    case ValueType::kLong: return "long";
    case ValueType::kDouble: return "double";
    case ValueType::kInstant: return "instant";
    case ValueType::kUuid: return "uuid";
    case ValueType::kBigInt: return "bigint";
    case ValueType::kBigDec: return "bigdec";
    case ValueType::kFloat: return "float";
    case ValueType::kBytes: return "bytes";
    case ValueType::kUri: return "uri";
    case ValueType::kSymbol: return "symbol";
    case ValueType::kTuple: return "tuple";
  }
  return "unknown";
}

std::string Uuid::ToString() const {
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool Uuid::Parse(std::string_view s, Uuid* out) {
  if (s.size() != 36) return false;
  uint64_t parts[2] = {0, 0};
  int nibbles = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    uint64_t& p = parts[nibbles / 16];
    p = (p << 4) | static_cast<uint64_t>(d);
    ++nibbles;
  }
  out->hi = parts[0];
  out->lo = parts[1];
  return nibbles == 32;
}

Value Value::Double(double d) {
  Value v(ValueType::kDouble, std::bit_cast<int64_t>(d));
  return v;
}

Value Value::FromUuid(Uuid u) {
  Value v(ValueType::kUuid, static_cast<int64_t>(u.hi));
  v.aux_ = u.lo;
  return v;
}

double Value::as_double() const { return std::bit_cast<double>(num_); }

Value Value::Float(float f) { return Value(ValueType::kFloat, static_cast<int64_t>(std::bit_cast<uint32_t>(f))); }

float Value::as_float() const { return std::bit_cast<float>(static_cast<uint32_t>(num_)); }

int Value::CompareDoubles(const Value& o) const {
  const auto c = std::strong_order(as_double(), o.as_double());
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int Value::CompareOther(const Value& o) const {
  if (type_ == ValueType::kFloat) {
    const auto c = std::strong_order(as_float(), o.as_float());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return CompareText(type_, str_, o.str_);
}

int Value::CompareText(ValueType t, std::string_view x, std::string_view y) {
  switch (t) {
    case ValueType::kKeyword:
    case ValueType::kSymbol: return CompareNames(x, y);
    case ValueType::kBigInt: return CompareBigInts(x, y);
    case ValueType::kBigDec: return CompareBigDecs(x, y);
    case ValueType::kTuple: return CompareTuples(x, y);
    default: {  // string, bytes, uri: bytewise, unsigned
      const int c = x.compare(y);
      return (c > 0) - (c < 0);
    }
  }
}

namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view StripLeadingZeros(std::string_view d) {
  while (d.size() > 1 && d[0] == '0') d.remove_prefix(1);
  return d;
}

// Magnitudes as digit strings without leading zeros: by length, then bytes.
int CompareDigits(std::string_view x, std::string_view y) {
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  const int c = x.compare(y);
  return (c > 0) - (c < 0);
}

// Fractional digits, the shorter padded with zeros.
int CompareFractions(std::string_view x, std::string_view y) {
  const size_t n = std::max(x.size(), y.size());
  for (size_t i = 0; i < n; ++i) {
    const char a = i < x.size() ? x[i] : '0', b = i < y.size() ? y[i] : '0';
    if (a != b) return a < b ? -1 : 1;
  }
  return 0;
}

// Longest exponent a bigdec literal may carry: bounds the expanded text.
constexpr int64_t kMaxBigDecExponent = 1 << 20;

}  // namespace

bool Value::ParseBigInt(std::string_view text, Value* out) {
  bool neg = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    neg = text[0] == '-';
    text.remove_prefix(1);
  }
  if (!AllDigits(text)) return false;
  text = StripLeadingZeros(text);
  std::string s;
  if (neg && text != "0") s.push_back('-');
  s.append(text);
  *out = Value(ValueType::kBigInt, std::move(s));
  return true;
}

Value Value::BigIntFromLong(int64_t v) { return Value(ValueType::kBigInt, std::to_string(v)); }

bool Value::ParseBigDec(std::string_view text, Value* out) {
  bool neg = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    neg = text[0] == '-';
    text.remove_prefix(1);
  }
  int64_t exp = 0;
  if (size_t e = text.find_first_of("eE"); e != std::string_view::npos) {
    std::string_view es = text.substr(e + 1);
    text = text.substr(0, e);
    bool eneg = false;
    if (!es.empty() && (es[0] == '-' || es[0] == '+')) {
      eneg = es[0] == '-';
      es.remove_prefix(1);
    }
    if (!AllDigits(es)) return false;
    es = StripLeadingZeros(es);
    if (es.size() > 7) return false;
    exp = std::stoll(std::string(es));
    if (exp > kMaxBigDecExponent) return false;
    if (eneg) exp = -exp;
  }
  std::string_view int_part = text, frac;
  if (size_t dot = text.find('.'); dot != std::string_view::npos) {
    int_part = text.substr(0, dot);
    frac = text.substr(dot + 1);
    if (!frac.empty() && !AllDigits(frac)) return false;
  }
  if (!AllDigits(int_part)) return false;
  // unscaled digits and scale, as BigDecimal holds them
  std::string digits(int_part);
  digits.append(frac);
  int64_t scale = static_cast<int64_t>(frac.size()) - exp;
  if (scale < 0) {  // 1E+3: scale 0, 1000
    digits.append(static_cast<size_t>(-scale), '0');
    scale = 0;
  }
  if (static_cast<int64_t>(digits.size()) <= scale) digits.insert(0, static_cast<size_t>(scale) - digits.size() + 1, '0');
  const size_t int_len = digits.size() - static_cast<size_t>(scale);
  std::string_view ip = StripLeadingZeros(std::string_view(digits).substr(0, int_len));
  std::string_view fp = std::string_view(digits).substr(int_len);
  const bool zero = ip == "0" && fp.find_first_not_of('0') == std::string_view::npos;
  std::string s;
  if (neg && !zero) s.push_back('-');
  s.append(ip);
  if (!fp.empty()) s.append(".").append(fp);
  *out = Value(ValueType::kBigDec, std::move(s));
  return true;
}

int Value::CompareBigInts(std::string_view x, std::string_view y) {
  const bool xn = !x.empty() && x[0] == '-', yn = !y.empty() && y[0] == '-';
  if (xn != yn) return xn ? -1 : 1;
  const int c = CompareDigits(x.substr(xn), y.substr(yn));
  return xn ? -c : c;
}

int Value::CompareBigDecs(std::string_view x, std::string_view y) {
  auto parts = [](std::string_view s, bool* neg, std::string_view* ip, std::string_view* fp) {
    *neg = !s.empty() && s[0] == '-';
    if (*neg) s.remove_prefix(1);
    const size_t dot = s.find('.');
    *ip = s.substr(0, dot);
    *fp = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  };
  bool xn, yn;
  std::string_view xi, xf, yi, yf;
  parts(x, &xn, &xi, &xf);
  parts(y, &yn, &yi, &yf);
  if (xn != yn) return xn ? -1 : 1;  // canonical zero has no sign
  int c = CompareDigits(xi, yi);
  if (c == 0) c = CompareFractions(xf, yf);
  if (c != 0) return xn ? -c : c;
  // Equal in value: the smaller scale first (1.0M before 1.00M).
  return (xf.size() > yf.size()) - (xf.size() < yf.size());
}

int Value::CompareNames(std::string_view x, std::string_view y) {
  // clojure.lang.Symbol: the namespace is what precedes the first '/' (the
  // name "/" alone has none); no namespace sorts first.
  auto slash = [](std::string_view s) { return s == "/" ? std::string_view::npos : s.find('/'); };
  const size_t ix = slash(x), iy = slash(y);
  if (ix == iy) {
    // The same namespace length (or none on both sides): the namespaces
    // differ where the strings first do, or are equal and the '/' matches,
    // so one bytewise comparison is the namespace-then-name order.
    const int c = x.compare(y);
    return (c > 0) - (c < 0);
  }
  if (ix == std::string_view::npos) return -1;
  if (iy == std::string_view::npos) return 1;
  int c = x.substr(0, ix).compare(y.substr(0, iy));
  if (c == 0) c = x.substr(ix + 1).compare(y.substr(iy + 1));  // unreachable: the lengths differ
  return (c > 0) - (c < 0);
}

Value Value::Tuple(const std::vector<Value>& items) {
  std::string s;
  for (const Value& v : items) coding::PutValue(&s, v);
  return Value(ValueType::kTuple, std::move(s));
}

std::vector<Value> Value::tuple_items() const {
  std::vector<Value> out;
  if (type_ != ValueType::kTuple) return out;
  std::string_view in = str_;
  Value v;
  // The payload was checked when it was built or decoded (coding::GetValue).
  while (!in.empty() && coding::GetValue(&in, &v)) out.push_back(std::move(v));
  return out;
}

int Value::CompareTuples(std::string_view x, std::string_view y) {
  Value a, b;
  while (!x.empty() && !y.empty()) {
    if (!coding::GetValue(&x, &a) || !coding::GetValue(&y, &b)) break;
    if (const int c = a.Compare(b)) return c;
  }
  return (!x.empty()) - (!y.empty());
}

size_t Value::Hash() const { return HashFields(type_, num_, aux_, str_); }

size_t Value::HashFields(ValueType t, int64_t num, uint64_t aux, std::string_view text) {
  size_t h = std::hash<int64_t>()(num) * 31 + static_cast<size_t>(t);
  h ^= std::hash<uint64_t>()(aux) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  if (!text.empty()) h ^= std::hash<std::string_view>()(text) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

const char* IndexName(Index i) {
  switch (i) {
    case Index::kEavt: return "eavt";
    case Index::kAevt: return "aevt";
    case Index::kAvet: return "avet";
    case Index::kVaet: return "vaet";
  }
  return "?";
}

bool ParseIndexName(std::string_view s, Index* out) {
  if (!s.empty() && s[0] == ':') s.remove_prefix(1);
  for (int i = 0; i < kIndexCount; ++i) {
    if (s == IndexName(static_cast<Index>(i))) {
      *out = static_cast<Index>(i);
      return true;
    }
  }
  return false;
}

void SortDatoms(Index order, std::vector<Datom>* datoms) {
  std::vector<Datom>& v = *datoms;
  WithOrder(order, [&](auto o) {
    constexpr Index kOrder = decltype(o)::value;
    if (std::is_sorted(v.begin(), v.end(), DatomLessIn<kOrder>{})) return;
    if (v.size() < 64 || v.size() > UINT32_MAX) {
      std::sort(v.begin(), v.end(), DatomLessIn<kOrder>{});
      return;
    }
    // A datom is 88 bytes with a string inside: sorting 4-byte positions and
    // moving each datom once beats swapping datoms.
    std::vector<uint32_t> pos(v.size());
    for (uint32_t i = 0; i < pos.size(); ++i) pos[i] = i;
    std::sort(pos.begin(), pos.end(), [&](uint32_t x, uint32_t y) { return CompareDatomsIn<kOrder>(v[x], v[y]) < 0; });
    std::vector<Datom> out;
    out.reserve(v.size());
    for (uint32_t i : pos) out.push_back(std::move(v[i]));
    v = std::move(out);
  });
}

}  // namespace strata
