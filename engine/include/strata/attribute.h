// strata/attribute.h — an attribute's definition, derived from its schema datoms
// (:db/valueType, :db/cardinality, :db/unique, :db/index, ...; SPEC §2).
//
// A plain value; a Database hands out pointers that live as long as it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/value.h"

namespace strata {

enum class Unique : uint8_t { kNone, kValue, kIdentity };

// One attribute's definition, derived from its schema datoms.
struct Attribute {
  EntityId id = 0;
  std::string ident;  // "ns/name", no colon
  ValueType type = ValueType::kNil;
  bool many = false;
  Unique unique = Unique::kNone;
  bool indexed = false;
  bool component = false;
  bool no_history = false;
  bool has_cardinality = false;  // :db/cardinality asserted
  // :db.type/tuple only, one of Datomic's three kinds:
  ValueType tuple_type = ValueType::kNil;  // :db/tupleType: homogeneous, 2-8 elements of this type
  std::vector<ValueType> tuple_types;      // :db/tupleTypes: heterogeneous, one element per type
  std::vector<EntityId> tuple_attrs;       // :db/tupleAttrs: composite, maintained by the transactor

  // Complete enough to be used in datoms: has a value type and cardinality.
  bool installed() const { return type != ValueType::kNil && has_cardinality; }
  bool is_ref() const { return type == ValueType::kRef; }
  // AVET exposes this attribute (SPEC §5); composite tuples always.
  bool in_avet() const { return indexed || unique != Unique::kNone || is_composite(); }
  bool is_composite() const { return !tuple_attrs.empty(); }
};

}  // namespace strata
