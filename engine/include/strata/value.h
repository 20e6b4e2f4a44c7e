// strata/value.h — values, entity ids, t, and datoms (SPEC §1–2).
//
// A Value is a small tagged scalar (or a tuple of scalars): the payload of
// a datom's v position. Values of different types order by type tag first,
// then by payload, so every sort order is total. Per type (Datomic's order,
// which is Java's / Clojure's compareTo, except that text compares by UTF-8
// bytes, i.e. by code point, where Java compares UTF-16 units):
//   string, uri      bytewise
//   keyword, symbol  namespace, then name, each bytewise; a name without a
//                    namespace sorts first (clojure.lang.Symbol.compareTo):
//                    :a/b < :a-/b, :ab < :a/b
//   long, instant    signed; ref and uuid unsigned
//   double, float    a total order (std::strong_order), so NaN cannot break
//                    a sorted run; float is IEEE single precision
//   bigint           numerically (arbitrary precision)
//   bigdec           numerically (BigDecimal.compareTo); two values equal in
//                    value but not in scale (1.0M, 1.00M) are distinct values,
//                    as BigDecimal.equals has it, ordered by scale (1.0M first)
//   bytes            unsigned lexicographic
//   tuple            element by element (nil lowest), then shorter first
//
// Thread safety: values and datoms are plain data.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace strata {

// ---- entity ids and t (SPEC §1) -------------------------------------------

using EntityId = uint64_t;
using T = uint64_t;  // the database's one time counter

constexpr int kPartitionShift = 42;
constexpr uint64_t kTMask = (uint64_t{1} << kPartitionShift) - 1;
enum Partition : uint64_t { kPartDb = 0, kPartTx = 3, kPartUser = 4 };

constexpr EntityId MakeEntityId(uint64_t partition, T t) { return (partition << kPartitionShift) | (t & kTMask); }
constexpr uint64_t PartitionOf(EntityId e) { return e >> kPartitionShift; }
constexpr T TOf(EntityId e) { return e & kTMask; }
constexpr EntityId TxId(T t) { return MakeEntityId(kPartTx, t); }

// ---- values ----------------------------------------------------------------

// The largest string or keyword a datom may hold, in bytes (64 MiB). A
// transaction with a longer one is refused before anything is committed;
// the EDN reader's token limit (edn::kMaxToken) is this value, and the
// segment limits (format/segment.h) are derived from it, so every value a
// transaction accepts can be indexed and read back (docs/formats.md).
constexpr uint64_t kMaxValueBytes = uint64_t{64} << 20;

// Stable tags: they are written to the log and to segments (docs/formats.md).
enum class ValueType : uint8_t {
  kNil = 0,  // only as "no value" in APIs (cas old value); never in a datom
  kRef = 1,
  kKeyword = 2,
  kString = 3,
  kBoolean = 4,
  kLong = 5,
  kDouble = 6,
  kInstant = 7,  // milliseconds since the Unix epoch
  kUuid = 8,
  // Format version 2 (docs/formats.md):
  kBigInt = 9,   // str(): canonical decimal, "-123"
  kBigDec = 10,  // str(): canonical plain decimal keeping the scale, "-1.50"
  kFloat = 11,   // IEEE single precision
  kBytes = 12,   // str(): the bytes
  kUri = 13,     // str(): the URI text
  kSymbol = 14,  // str(): "ns/name" or "name"
  kTuple = 15,   // str(): the elements, each encoded as coding::PutValue
};
constexpr int kMaxTupleElements = 8;  // Datomic's limit: 2 to 8 elements
const char* ValueTypeName(ValueType t);  // "ref", "string", ...

struct Uuid {
  uint64_t hi = 0, lo = 0;
  auto operator<=>(const Uuid&) const = default;
  std::string ToString() const;  // 8-4-4-4-12 lowercase hex
  static bool Parse(std::string_view s, Uuid* out);
};

class Value {
 public:
  Value() = default;  // nil
  static Value Ref(EntityId e) { return Value(ValueType::kRef, static_cast<int64_t>(e)); }
  static Value Long(int64_t v) { return Value(ValueType::kLong, v); }
  static Value Boolean(bool b) { return Value(ValueType::kBoolean, b ? 1 : 0); }
  static Value Instant(int64_t ms) { return Value(ValueType::kInstant, ms); }
  static Value Double(double d);
  static Value String(std::string s) { return Value(ValueType::kString, std::move(s)); }
  // `name` without the leading colon: "db/ident".
  static Value Keyword(std::string name) { return Value(ValueType::kKeyword, std::move(name)); }
  static Value FromUuid(Uuid u);
  static Value Float(float f);
  // Text forms of arbitrary-precision numbers; false (and *out untouched)
  // when `text` is not one. BigInt accepts [+-]digits; BigDec accepts
  // [+-]digits[.digits][(e|E)[+-]digits]. A negative scale (1E+3) is
  // expanded to scale 0 (1000).
  static bool ParseBigInt(std::string_view text, Value* out);
  static bool ParseBigDec(std::string_view text, Value* out);
  static Value BigIntFromLong(int64_t v);
  static Value Bytes(std::string b) { return Value(ValueType::kBytes, std::move(b)); }
  static Value Uri(std::string u) { return Value(ValueType::kUri, std::move(u)); }
  static Value Symbol(std::string name) { return Value(ValueType::kSymbol, std::move(name)); }
  // A tuple of up to kMaxTupleElements scalars (nil allowed, no tuples).
  static Value Tuple(const std::vector<Value>& items);

  ValueType type() const { return type_; }
  bool is_nil() const { return type_ == ValueType::kNil; }
  EntityId ref() const { return static_cast<EntityId>(num_); }
  int64_t as_long() const { return num_; }
  bool as_bool() const { return num_ != 0; }
  int64_t instant_ms() const { return num_; }
  double as_double() const;
  float as_float() const;
  // string, keyword or symbol name, bigint/bigdec text, bytes, uri; a
  // tuple's encoded elements
  const std::string& str() const { return str_; }
  Uuid uuid() const { return Uuid{static_cast<uint64_t>(num_), aux_}; }
  // A tuple's elements (empty for other types).
  std::vector<Value> tuple_items() const;

  // Total order: type tag, then payload. Compare returns -1, 0 or 1; it is
  // inline because every sort order of every index calls it.
  int Compare(const Value& o) const {
    if (type_ != o.type_) return type_ < o.type_ ? -1 : 1;
    switch (type_) {
      case ValueType::kString:
      case ValueType::kBytes:  // std::string compares as unsigned bytes
      case ValueType::kUri: {
        const int c = str_.compare(o.str_);
        return (c > 0) - (c < 0);
      }
      case ValueType::kDouble: return CompareDoubles(o);
      case ValueType::kRef:
      case ValueType::kUuid: {  // unsigned: high word (the ref), then the uuid's low word
        const auto x = static_cast<uint64_t>(num_), y = static_cast<uint64_t>(o.num_);
        if (x != y) return x < y ? -1 : 1;
        return (aux_ > o.aux_) - (aux_ < o.aux_);
      }
      case ValueType::kNil:
      case ValueType::kLong:
      case ValueType::kBoolean:
      case ValueType::kInstant: return (num_ > o.num_) - (num_ < o.num_);  // nil equal
      // keyword, symbol, float, bigint, bigdec, tuple: out of line, which
      // keeps the common cases small enough to inline (bench/value_bench.cc).
      default: return CompareOther(o);
    }
  }
  std::strong_ordering operator<=>(const Value& o) const { return Compare(o) <=> 0; }
  bool operator==(const Value& o) const {
    return type_ == o.type_ && num_ == o.num_ && aux_ == o.aux_ && str_ == o.str_;
  }
  size_t Hash() const;
  // The same hash from a value's fields (type, as_long(), uuid().lo, str()).
  static size_t HashFields(ValueType t, int64_t num, uint64_t aux, std::string_view text);
  // Compare of two values of text type t (every type with a str() payload:
  // string, keyword, symbol, bigint, bigdec, bytes, uri, tuple) from their
  // texts, without building the values.
  static int CompareText(ValueType t, std::string_view x, std::string_view y);
  // Makes this value the one with these fields, as read from a valid value
  // (type(), as_long(), uuid().lo, str()); reuses the string's capacity, so
  // refilling a value with a short text allocates nothing (memory-index
  // records are turned back into datoms through here).
  void AssignFields(ValueType t, int64_t num, uint64_t aux, std::string_view text) {
    type_ = t;
    num_ = num;
    aux_ = aux;
    str_.clear();  // then append: within capacity a copy, cheaper than assign
    if (!text.empty()) str_.append(text.data(), text.size());
  }
  // Bytes this value occupies in memory beyond sizeof(Value).
  size_t HeapBytes() const { return str_.size() > 15 ? str_.capacity() + 1 : 0; }

 private:
  Value(ValueType t, int64_t n) : type_(t), num_(n) {}
  Value(ValueType t, std::string s) : type_(t), str_(std::move(s)) {}
  int CompareDoubles(const Value& o) const;  // std::strong_order on the doubles
  int CompareOther(const Value& o) const;  // the types Compare does not inline
  static int CompareTuples(std::string_view x, std::string_view y);
  static int CompareNames(std::string_view x, std::string_view y);
  static int CompareBigInts(std::string_view x, std::string_view y);
  static int CompareBigDecs(std::string_view x, std::string_view y);
  ValueType type_ = ValueType::kNil;
  int64_t num_ = 0;   // ref, long, boolean, instant, double/float bits, uuid high
  uint64_t aux_ = 0;  // uuid low
  std::string str_;   // string, keyword, symbol, bigint, bigdec, bytes, uri, tuple
};

// ---- datoms ----------------------------------------------------------------

struct Datom {
  EntityId e = 0;
  EntityId a = 0;  // the attribute's entity id
  Value v;
  EntityId tx = 0;  // the transaction entity id: TxId(t)
  bool added = true;

  T t() const { return TOf(tx); }
  bool operator==(const Datom&) const = default;
};

// The four sort orders of SPEC §5. Stable numbers: written to disk.
enum class Index : uint8_t { kEavt = 0, kAevt = 1, kAvet = 2, kVaet = 3 };
constexpr int kIndexCount = 4;
const char* IndexName(Index i);                      // "eavt", ...
bool ParseIndexName(std::string_view s, Index* out);  // accepts eavt, :eavt

// Compares datoms in the given order; ties on (e a v) break by tx, then
// added (retraction first), so every datom ever recorded has one place.
// CompareDatomsIn<order> is the same with the order fixed at compile time,
// for loops that compare millions of datoms in one order (see WithOrder).
template <Index O>
inline int CompareDatomsIn(const Datom& x, const Datom& y) {
  auto cmp = [](uint64_t a, uint64_t b) { return (a > b) - (a < b); };
  int c;
  if constexpr (O == Index::kEavt) {
    if ((c = cmp(x.e, y.e)) || (c = cmp(x.a, y.a)) || (c = x.v.Compare(y.v))) return c;
  } else if constexpr (O == Index::kAevt) {
    if ((c = cmp(x.a, y.a)) || (c = cmp(x.e, y.e)) || (c = x.v.Compare(y.v))) return c;
  } else if constexpr (O == Index::kAvet) {
    if ((c = cmp(x.a, y.a)) || (c = x.v.Compare(y.v)) || (c = cmp(x.e, y.e))) return c;
  } else {
    if ((c = x.v.Compare(y.v)) || (c = cmp(x.a, y.a)) || (c = cmp(x.e, y.e))) return c;
  }
  if ((c = cmp(x.tx, y.tx))) return c;
  return static_cast<int>(x.added) - static_cast<int>(y.added);
}

inline int CompareDatoms(Index order, const Datom& x, const Datom& y) {
  switch (order) {
    case Index::kEavt: return CompareDatomsIn<Index::kEavt>(x, y);
    case Index::kAevt: return CompareDatomsIn<Index::kAevt>(x, y);
    case Index::kAvet: return CompareDatomsIn<Index::kAvet>(x, y);
    case Index::kVaet: break;
  }
  return CompareDatomsIn<Index::kVaet>(x, y);
}

// Calls f(std::integral_constant<Index, order>{}): a loop inside f compares
// with CompareDatomsIn<decltype(tag)::value> and no per-call switch.
template <class F>
decltype(auto) WithOrder(Index order, F&& f) {
  switch (order) {
    case Index::kEavt: return f(std::integral_constant<Index, Index::kEavt>{});
    case Index::kAevt: return f(std::integral_constant<Index, Index::kAevt>{});
    case Index::kAvet: return f(std::integral_constant<Index, Index::kAvet>{});
    case Index::kVaet: break;
  }
  return f(std::integral_constant<Index, Index::kVaet>{});
}

template <Index O>
struct DatomLessIn {
  bool operator()(const Datom& x, const Datom& y) const { return CompareDatomsIn<O>(x, y) < 0; }
};
struct DatomLess {
  Index order;
  bool operator()(const Datom& x, const Datom& y) const { return CompareDatoms(order, x, y) < 0; }
};
// std::sort with the order's comparison inlined.
void SortDatoms(Index order, std::vector<Datom>* datoms);

}  // namespace strata
