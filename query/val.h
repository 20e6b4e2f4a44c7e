// val.h — the values a query binds to variables (internal).
//
// A Val is a datom value or a collection of Vals: a vector (what `tuple`,
// collection inputs and functions such as re-find return; lists too), a
// set (`#{...}` inputs, `hash-set`) or a map (`{...}` inputs, `hash-map`).
// A set holds its elements sorted and distinct; a map holds k1 v1 k2 v2 ...
// sorted by key with distinct keys, so equal collections are equal Vals. Entity ids are plain longs
// inside a query, as in Datomic, so a ref read from an index and a long
// from an input or a function compare equal; positions that need an
// entity resolve longs, idents and lookup refs back (see patterns.cc).
//
// Thread safety: plain values.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/edn.h"
#include "strata/value.h"

namespace strata::query {

struct Val {
  enum class Coll : uint8_t { kVector, kSet, kMap };
  Value v;                                        // a scalar (nil when a tuple)
  std::shared_ptr<const std::vector<Val>> tuple;  // non-null: a collection
  Coll coll = Coll::kVector;                      // with tuple: which kind

  Val() = default;
  // A tuple datom value becomes a tuple of Vals, so it equals the same
  // tuple built by `tuple` or given as an input.
  explicit Val(Value&& x) {
    if (x.type() == ValueType::kTuple) {
      *this = FromTupleValue(x);
      return;
    }
    v = x.type() == ValueType::kRef ? Value::Long(static_cast<int64_t>(x.ref())) : std::move(x);
  }
  // From a datom's value as it is read: one copy, not a copy and a move.
  explicit Val(const Value& x) {
    if (x.type() == ValueType::kTuple) {
      *this = FromTupleValue(x);
      return;
    }
    if (x.type() == ValueType::kRef) v = Value::Long(static_cast<int64_t>(x.ref()));
    else v = x;
  }
  // Position `pos` of a datom as a query reads it (0 e, 1 a, 2 v, 3 tx,
  // 4 added): built in place, e.g. by a relation's cells.emplace_back.
  Val(const Datom& d, int pos) {
    switch (pos) {
      case 0: v = Value::Long(static_cast<int64_t>(d.e)); break;
      case 1: v = Value::Long(static_cast<int64_t>(d.a)); break;
      case 2:
        if (d.v.type() == ValueType::kTuple) *this = FromTupleValue(d.v);
        else if (d.v.type() == ValueType::kRef) v = Value::Long(static_cast<int64_t>(d.v.ref()));
        else v = d.v;
        break;
      case 3: v = Value::Long(static_cast<int64_t>(d.tx)); break;
      default: v = Value::Boolean(d.added); break;
    }
  }
  static Val FromTupleValue(const Value& x);
  static Val Long(int64_t i) { return Val(Value::Long(i)); }
  static Val Tuple(std::vector<Val> xs) {
    Val t;
    t.tuple = std::make_shared<const std::vector<Val>>(std::move(xs));
    return t;
  }
  // A set of the distinct values of xs; a map of the pairs (k1 v1 k2 v2
  // ...; a later value of a key wins, as in hash-map).
  static Val Set(std::vector<Val> xs);
  static Val Map(const std::vector<Val>& kvs);
  bool is_tuple() const { return tuple != nullptr; }  // any collection
  bool is_vector() const { return tuple && coll == Coll::kVector; }
  bool is_set() const { return tuple && coll == Coll::kSet; }
  bool is_map() const { return tuple && coll == Coll::kMap; }
  // The elements as Clojure's seq sees them: a map's are [k v] vectors.
  std::vector<Val> Elements() const;
  bool is_nil() const { return !tuple && v.is_nil(); }
  bool is_long() const { return !tuple && v.type() == ValueType::kLong; }
  bool is_number() const {
    return !tuple && (v.type() == ValueType::kLong || v.type() == ValueType::kDouble);
  }
  bool is_string() const { return !tuple && v.type() == ValueType::kString; }
  bool is_keyword() const { return !tuple && v.type() == ValueType::kKeyword; }
  // Clojure truthiness: everything but nil and false.
  bool truthy() const { return tuple || !(v.is_nil() || (v.type() == ValueType::kBoolean && !v.as_bool())); }
};

// Equality of two values at least one of which is a collection.
bool CollEquals(const Val& a, const Val& b);
// Inline: rows are compared cell by cell in every join, group and dedupe.
inline bool operator==(const Val& a, const Val& b) {
  if (a.tuple || b.tuple) return CollEquals(a, b);
  return a.v == b.v;
}
inline bool operator!=(const Val& a, const Val& b) { return !(a == b); }
// A total order: scalars (by Value order) before tuples (lexicographic).
int Compare(const Val& a, const Val& b);
inline bool operator<(const Val& a, const Val& b) { return Compare(a, b) < 0; }
// A hash consistent with ==, for the query's own hash tables only (never
// stored, never compared across processes). Scalars are hashed inline from
// their fields, a text 8 bytes at a time: rows are hashed by every join,
// group and dedupe, and a group key is often a short string.
size_t HashColl(const Val& v);
inline size_t HashVal(const Val& v) {
  if (v.tuple) return HashColl(v);
  const Value& x = v.v;
  uint64_t h = (static_cast<uint64_t>(x.as_long()) ^ (static_cast<uint64_t>(x.type()) << 56)) * 0x9e3779b97f4a7c15ull;
  h ^= x.uuid().lo * 0xc2b2ae3d27d4eb4full;
  const std::string& s = x.str();
  const size_t n = s.size();
  if (n == 0) return h;
  const char* p = s.data();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
  }
  // The last 0-7 bytes: two (maybe overlapping) 4-byte loads, or three
  // single bytes, all within the text.
  const size_t r = n - i;
  uint64_t tail = static_cast<uint64_t>(n) << 59;
  if (r >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p + i, 4);
    std::memcpy(&b, p + n - 4, 4);
    tail ^= (static_cast<uint64_t>(a) << 24) ^ b;
  } else if (r > 0) {
    tail ^= (static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << 16) |
            (static_cast<uint64_t>(static_cast<unsigned char>(p[i + r / 2])) << 8) |
            static_cast<unsigned char>(p[n - 1]);
  }
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 31);
}

// EDN to a value: vectors, lists and sets become tuples; maps are refused.
Result<Val> FromEdn(const edn::Node& n);
edn::Node ToEdn(const Val& v);
// EDN text of a value, for error messages.
std::string Show(const Val& v);

// Entity id named by a value: a long, an ident keyword, or a lookup ref
// tuple [attr value] (resolved in `db`, which may be any view). nullopt
// when it names nothing; an error when reading the index failed.
Result<std::optional<EntityId>> ResolveEntity(const Database& db, const Val& v);
// Attribute named by a value (an id or an ident keyword), or nullptr.
const Attribute* ResolveAttribute(const Database& db, const Val& v);
// The datom value that `v` stands for in attribute `a`: refs resolve like
// entities; other types must match exactly (a long stands for a double).
// nullopt when it stands for none; an error when a read failed.
Result<std::optional<Value>> ToDatomValue(const Database& db, const Attribute& a, const Val& v);

}  // namespace strata::query
