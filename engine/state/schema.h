// schema.h — attributes and idents, derived from datoms (internal).
//
// Schema is data: attributes are entities whose :db/ident, :db/valueType,
// :db/cardinality... datoms live in the database like any others. A Schema
// object is an immutable cache of those datoms, rebuilt by the transactor
// for the entities a transaction touches, and shared by every database
// value taken at or after that transaction.
//
// Thread safety: immutable once published (held by shared_ptr<const>).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/attribute.h"
#include "strata/value.h"

namespace strata {

// Entity ids of the bootstrap entities (partition db). Stable: they are
// in every log.
namespace sys {
constexpr EntityId kDbPart = 0;  // :db.part/db
constexpr EntityId kIdent = 10;
constexpr EntityId kValueType = 11;
constexpr EntityId kCardinality = 12;
constexpr EntityId kUnique = 13;
constexpr EntityId kIndex = 14;
constexpr EntityId kIsComponent = 15;
constexpr EntityId kNoHistory = 16;
constexpr EntityId kDoc = 17;
constexpr EntityId kFulltext = 18;
constexpr EntityId kTxInstant = 19;
constexpr EntityId kInstallAttribute = 20;
constexpr EntityId kInstallPartition = 21;
constexpr EntityId kInstallValueType = 22;
constexpr EntityId kAlterAttribute = 23;
constexpr EntityId kExcise = 24;
constexpr EntityId kExciseAttrs = 25;
constexpr EntityId kExciseBefore = 26;
constexpr EntityId kExciseBeforeT = 27;
constexpr EntityId kTypeRef = 30;  // 30 + (ValueType - 1) for each type
constexpr EntityId kCardOne = 40;
constexpr EntityId kCardMany = 41;
constexpr EntityId kUniqueValue = 42;
constexpr EntityId kUniqueIdentity = 43;
constexpr EntityId kTxPart = 44;    // :db.part/tx
constexpr EntityId kUserPart = 45;  // :db.part/user
constexpr EntityId kTypeBigInt = 50;  // 50 + (ValueType - 9) for bigint ... tuple
constexpr EntityId kTupleType = 60;   // :db/tupleType, a homogeneous tuple's element type
constexpr EntityId kTupleTypes = 61;  // :db/tupleTypes, a heterogeneous tuple's types (cardinality many, see Attribute)
constexpr EntityId kTupleAttrs = 62;  // :db/tupleAttrs, a composite tuple's attributes
// Attribute predicates and entity specs (tx/predicates.h). Their
// predicate names are strings until strata has :db.type/symbol.
constexpr EntityId kAttrPreds = 80;    // :db.attr/preds, string, many
constexpr EntityId kEntityAttrs = 81;  // :db.entity/attrs, keyword, many
constexpr EntityId kEntityPreds = 82;  // :db.entity/preds, string, many
constexpr EntityId kEnsure = 83;       // :db/ensure, ref, many; never stored
}  // namespace sys

// The t the first user transaction gets; the bootstrap transaction is t=0
// and its entities take small ids below this.
constexpr T kFirstUserT = 1000;

class Schema {
 public:
  Schema() = default;
  // Copies the maps and rebuilds the dense tables over the copy's own nodes.
  Schema(const Schema& o)
      : attrs_(o.attrs_),
        idents_(o.idents_),
        ident_of_(o.ident_of_),
        attr_preds_(o.attr_preds_),
        composites_(o.composites_) {
    RebuildDense();
  }
  Schema& operator=(const Schema& o) {
    if (this != &o) {
      attrs_ = o.attrs_;
      idents_ = o.idents_;
      ident_of_ = o.ident_of_;
      attr_preds_ = o.attr_preds_;
      composites_ = o.composites_;
      RebuildDense();
    }
    return *this;
  }

  const Attribute* Attr(EntityId id) const;
  const Attribute* AttrByIdent(const std::string& ident) const;
  // Resolves an ident keyword name to its entity (current or retired name).
  bool Entid(const std::string& ident, EntityId* out) const;
  // The current ident of an entity, or nullptr.
  const std::string* IdentOf(EntityId e) const;

  // The predicate names of :db.attr/preds per attribute (only attributes
  // that have some), for the transactor's check (tx/predicates.cc).
  const std::map<EntityId, std::vector<std::string>>& attr_preds() const { return attr_preds_; }

  // The installed composite tuple attributes (:db/tupleAttrs), by id: the
  // transactor maintains them on every transaction, so they are listed
  // when the schema changes rather than found per transaction.
  const std::vector<EntityId>& composites() const { return composites_; }

  // Every entity with schema datoms, installed or not (see installed()).
  const std::unordered_map<EntityId, Attribute>& attributes() const { return attrs_; }

  // Mutators, used only while building a new Schema in the transactor.
  void RemoveAttribute(EntityId id) {
    attrs_.erase(id);
    if (id < dense_attr_.size()) dense_attr_[id] = nullptr;
    ListComposites();
  }
  // Sets (or clears, with an empty name) the ident of `e`. The previous
  // name keeps resolving to `e` until another entity takes it.
  void SetIdent(EntityId e, const std::string& name);

 private:
  friend std::vector<EntityId> ApplySchemaDatoms(Schema*, const std::vector<Datom>&);
  // Every read of a datom asks for its attribute, and a pull for each
  // attribute's ident: ids below kDenseIds (the bootstrap's and those of
  // schema transacted early, i.e. nearly all) are looked up by index in
  // tables of pointers to the maps' nodes (which never move), the rest in
  // the maps.
  static constexpr EntityId kDenseIds = 1 << 16;
  Attribute& Slot(EntityId id);  // attrs_[id], registered in dense_attr_
  void RebuildDense();
  void ListComposites();  // composites_ from attrs_
  std::unordered_map<EntityId, Attribute> attrs_;
  std::unordered_map<std::string, EntityId> idents_;   // current and retired names
  std::unordered_map<EntityId, std::string> ident_of_;  // current names
  std::vector<const Attribute*> dense_attr_;            // [id] -> node of attrs_, or nullptr
  std::vector<const std::string*> dense_ident_;         // [id] -> node of ident_of_, or nullptr
  std::map<EntityId, std::vector<std::string>> attr_preds_;
  std::vector<EntityId> composites_;  // sorted
};

// Applies the schema-defining datoms among `datoms` (one transaction's, in
// any order: retractions are applied before assertions) to *schema. Does
// not validate: the transactor validates before commit; replay trusts the
// log. Returns the ids of entities whose attribute definition changed.
std::vector<EntityId> ApplySchemaDatoms(Schema* schema, const std::vector<Datom>& datoms);
// True when `a` is one of the attributes that define schema.
bool IsSchemaAttr(EntityId a);
// What a tuple definition holds for an ident that names no value type.
constexpr auto kUnknownType = static_cast<ValueType>(255);
// The value type a :db.type/* ident names, or kNil.
ValueType TypeByIdent(const Schema& schema, const std::string& ident);
// True for the entities of the bootstrap transaction (t = 0): the system
// attributes, value types, cardinalities, uniqueness kinds, partitions and
// the bootstrap transaction itself. Their meaning is fixed (tx/schema_guard.h).
bool IsSystemEntity(EntityId e);
// True for an ident in a namespace reserved for the system: "db" or one
// starting with "db." (:db/ident, :db.type/string, :db.fn/cas, ...).
bool IsReservedIdent(const std::string& ident);

// The datoms of the bootstrap transaction (t = 0), in EAVT order.
std::vector<Datom> BootstrapDatoms();

// Value type named by a :db.type/* entity id, or kNil.
ValueType TypeFromEntity(EntityId e);
EntityId EntityForType(ValueType t);

}  // namespace strata
