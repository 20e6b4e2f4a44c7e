// strata/value.h — values, entity ids, t, and datoms (SPEC §1–2).
//
// A Value is a small tagged scalar: the payload of a datom's v position.
// Values of different types order by type tag first, then by payload, so
// every sort order is total. Strings and keywords compare bytewise
// (keywords as "ns/name", without the leading colon). Doubles use a total
// order (std::strong_order), so NaN cannot break a sorted run.
//
// Thread safety: values and datoms are plain data.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

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
};
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

  ValueType type() const { return type_; }
  bool is_nil() const { return type_ == ValueType::kNil; }
  EntityId ref() const { return static_cast<EntityId>(num_); }
  int64_t as_long() const { return num_; }
  bool as_bool() const { return num_ != 0; }
  int64_t instant_ms() const { return num_; }
  double as_double() const;
  const std::string& str() const { return str_; }  // string or keyword name
  Uuid uuid() const { return Uuid{static_cast<uint64_t>(num_), aux_}; }

  // Total order: type tag, then payload.
  std::strong_ordering operator<=>(const Value& o) const;
  bool operator==(const Value& o) const {
    return type_ == o.type_ && num_ == o.num_ && aux_ == o.aux_ && str_ == o.str_;
  }
  size_t Hash() const;
  // Bytes this value occupies in memory beyond sizeof(Value).
  size_t HeapBytes() const { return str_.size() > 15 ? str_.capacity() + 1 : 0; }

 private:
  Value(ValueType t, int64_t n) : type_(t), num_(n) {}
  Value(ValueType t, std::string s) : type_(t), str_(std::move(s)) {}
  ValueType type_ = ValueType::kNil;
  int64_t num_ = 0;   // ref, long, boolean, instant, double bits, uuid high
  uint64_t aux_ = 0;  // uuid low
  std::string str_;   // string, keyword
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
int CompareDatoms(Index order, const Datom& x, const Datom& y);
struct DatomLess {
  Index order;
  bool operator()(const Datom& x, const Datom& y) const { return CompareDatoms(order, x, y) < 0; }
};

}  // namespace strata
