#include "state/schema.h"

#include <algorithm>
#include <string_view>

namespace strata {

const Attribute* Schema::Attr(EntityId id) const {
  if (id < kDenseIds) {
    const Attribute* a = id < dense_attr_.size() ? dense_attr_[id] : nullptr;
    return a && a->installed() ? a : nullptr;
  }
  auto it = attrs_.find(id);
  return it == attrs_.end() || !it->second.installed() ? nullptr : &it->second;
}

Attribute& Schema::Slot(EntityId id) {
  Attribute& a = attrs_[id];
  if (id < kDenseIds) {
    if (id >= dense_attr_.size()) dense_attr_.resize(id + 1, nullptr);
    dense_attr_[id] = &a;
  }
  return a;
}

void Schema::RebuildDense() {
  dense_attr_.clear();
  dense_ident_.clear();
  for (const auto& [id, a] : attrs_) {
    if (id >= kDenseIds) continue;
    if (id >= dense_attr_.size()) dense_attr_.resize(id + 1, nullptr);
    dense_attr_[id] = &a;
  }
  for (const auto& [id, name] : ident_of_) {
    if (id >= kDenseIds) continue;
    if (id >= dense_ident_.size()) dense_ident_.resize(id + 1, nullptr);
    dense_ident_[id] = &name;
  }
}

const Attribute* Schema::AttrByIdent(const std::string& ident) const {
  EntityId e;
  return Entid(ident, &e) ? Attr(e) : nullptr;
}

bool Schema::Entid(const std::string& ident, EntityId* out) const {
  auto it = idents_.find(ident);
  if (it == idents_.end()) return false;
  *out = it->second;
  return true;
}

const std::string* Schema::IdentOf(EntityId e) const {
  if (e < kDenseIds) return e < dense_ident_.size() ? dense_ident_[e] : nullptr;
  auto it = ident_of_.find(e);
  return it == ident_of_.end() ? nullptr : &it->second;
}

void Schema::SetIdent(EntityId e, const std::string& name) {
  auto cur = ident_of_.find(e);
  if (cur != ident_of_.end() && cur->second == name) return;
  if (name.empty()) {
    ident_of_.erase(e);  // the retired name keeps resolving
    if (e < dense_ident_.size()) dense_ident_[e] = nullptr;
  } else {
    std::string& slot = ident_of_[e];
    slot = name;
    if (e < kDenseIds) {
      if (e >= dense_ident_.size()) dense_ident_.resize(e + 1, nullptr);
      dense_ident_[e] = &slot;
    }
    idents_[name] = e;  // takes the name over from any retired owner
  }
  auto a = attrs_.find(e);
  if (a != attrs_.end()) a->second.ident = name;
}

bool IsSchemaAttr(EntityId a) {
  return (a >= sys::kIdent && a <= sys::kNoHistory) || (a >= sys::kTupleType && a <= sys::kTupleAttrs) ||
         a == sys::kAttrPreds;
}

bool IsSystemEntity(EntityId e) { return (PartitionOf(e) == kPartDb && e < kFirstUserT) || e == TxId(0); }

bool IsReservedIdent(const std::string& ident) {
  const size_t slash = ident.find('/');
  if (slash == std::string::npos) return false;  // no namespace
  const std::string_view ns(ident.data(), slash);
  return ns == "db" || ns.starts_with("db.");
}

namespace {
// A tuple definition naming no type keeps kUnknownType, which the
// transactor refuses by name (tx/tuples.cc).
ValueType TypeOrUnknown(const Schema& schema, const std::string& ident) {
  const ValueType t = TypeByIdent(schema, ident);
  return t == ValueType::kNil ? kUnknownType : t;
}
}  // namespace

std::vector<EntityId> ApplySchemaDatoms(Schema* schema, const std::vector<Datom>& datoms) {
  std::vector<EntityId> changed;
  std::vector<const Datom*> tuple_defs;  // applied last: they name types and attributes by ident
  for (int pass = 0; pass < 2; ++pass) {
    const bool want_added = pass == 1;
    for (const Datom& d : datoms) {
      if (d.added != want_added || !IsSchemaAttr(d.a)) continue;
      if (d.a == sys::kIdent) {
        if (d.added) {
          schema->SetIdent(d.e, d.v.str());
        } else if (const std::string* cur = schema->IdentOf(d.e); cur && *cur == d.v.str()) {
          schema->SetIdent(d.e, "");
        }
        continue;
      }
      if (d.a == sys::kAttrPreds) {  // predicate names, kept beside the attribute
        std::vector<std::string>& names = schema->attr_preds_[d.e];
        auto it = std::find(names.begin(), names.end(), d.v.str());
        if (d.added && it == names.end()) names.push_back(d.v.str());
        if (!d.added && it != names.end()) names.erase(it);
        if (names.empty()) schema->attr_preds_.erase(d.e);
        continue;
      }
      Attribute& at = schema->Slot(d.e);
      at.id = d.e;
      if (const std::string* name = schema->IdentOf(d.e)) at.ident = *name;
      const EntityId ref = d.v.type() == ValueType::kRef ? d.v.ref() : 0;
      switch (d.a) {
        case sys::kValueType: at.type = d.added ? TypeFromEntity(ref) : ValueType::kNil; break;
        case sys::kCardinality:
          at.has_cardinality = d.added;
          at.many = d.added && ref == sys::kCardMany;
          break;
        case sys::kUnique:
          at.unique = !d.added ? Unique::kNone : ref == sys::kUniqueIdentity ? Unique::kIdentity : Unique::kValue;
          break;
        case sys::kIndex: at.indexed = d.added && d.v.as_bool(); break;
        case sys::kIsComponent: at.component = d.added && d.v.as_bool(); break;
        case sys::kNoHistory: at.no_history = d.added && d.v.as_bool(); break;
        case sys::kTupleType:
        case sys::kTupleTypes:
        case sys::kTupleAttrs: tuple_defs.push_back(&d); break;
      }
      if (changed.empty() || changed.back() != d.e) changed.push_back(d.e);
    }
  }
  // Tuple definitions name types and attributes by ident (possibly ones this
  // transaction defines); one that names nothing becomes kUnknownType / 0,
  // which the transactor refuses (tx/tuples.cc). Retractions first, as above.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Datom* d : tuple_defs) {
      if (d->added != (pass == 1)) continue;
      Attribute& at = schema->Slot(d->e);
      switch (d->a) {
        case sys::kTupleType:
          at.tuple_type = d->added ? TypeOrUnknown(*schema, d->v.str()) : ValueType::kNil;
          break;
        case sys::kTupleTypes:
          at.tuple_types.clear();
          if (d->added)
            for (const Value& x : d->v.tuple_items()) at.tuple_types.push_back(TypeOrUnknown(*schema, x.str()));
          break;
        case sys::kTupleAttrs:
          at.tuple_attrs.clear();
          if (d->added) {
            for (const Value& x : d->v.tuple_items()) {
              EntityId id = 0;
              if (!schema->Entid(x.str(), &id)) id = 0;
              at.tuple_attrs.push_back(id);
            }
          }
          break;
      }
    }
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  if (!changed.empty()) schema->ListComposites();
  return changed;
}

void Schema::ListComposites() {
  composites_.clear();
  for (const auto& [id, at] : attrs_)
    if (at.installed() && at.is_composite()) composites_.push_back(id);
  std::sort(composites_.begin(), composites_.end());
}

ValueType TypeByIdent(const Schema& schema, const std::string& ident) {
  EntityId e;
  return schema.Entid(ident, &e) ? TypeFromEntity(e) : ValueType::kNil;
}

ValueType TypeFromEntity(EntityId e) {
  if (e >= sys::kTypeRef && e <= sys::kTypeRef + 7) return static_cast<ValueType>(e - sys::kTypeRef + 1);
  constexpr auto kFirst = static_cast<EntityId>(ValueType::kBigInt), kLast = static_cast<EntityId>(ValueType::kTuple);
  if (e >= sys::kTypeBigInt && e <= sys::kTypeBigInt + (kLast - kFirst)) {
    return static_cast<ValueType>(e - sys::kTypeBigInt + kFirst);
  }
  return ValueType::kNil;
}

EntityId EntityForType(ValueType t) {
  const auto n = static_cast<EntityId>(t);
  if (n >= static_cast<EntityId>(ValueType::kBigInt)) return sys::kTypeBigInt + n - static_cast<EntityId>(ValueType::kBigInt);
  return sys::kTypeRef + n - 1;
}

std::vector<Datom> BootstrapDatoms() {
  const EntityId tx = TxId(0);
  std::vector<Datom> out;
  auto add = [&](EntityId e, EntityId a, Value v) { out.push_back(Datom{e, a, std::move(v), tx, true}); };
  auto ident = [&](EntityId e, const char* name) { add(e, sys::kIdent, Value::Keyword(name)); };
  struct Def {
    EntityId id;
    const char* ident;
    ValueType type;
    bool many;
    Unique unique;
    bool indexed;
  };
  const Def defs[] = {
      {sys::kIdent, "db/ident", ValueType::kKeyword, false, Unique::kIdentity, false},
      {sys::kValueType, "db/valueType", ValueType::kRef, false, Unique::kNone, false},
      {sys::kCardinality, "db/cardinality", ValueType::kRef, false, Unique::kNone, false},
      {sys::kUnique, "db/unique", ValueType::kRef, false, Unique::kNone, false},
      {sys::kIndex, "db/index", ValueType::kBoolean, false, Unique::kNone, false},
      {sys::kIsComponent, "db/isComponent", ValueType::kBoolean, false, Unique::kNone, false},
      {sys::kNoHistory, "db/noHistory", ValueType::kBoolean, false, Unique::kNone, false},
      {sys::kDoc, "db/doc", ValueType::kString, false, Unique::kNone, false},
      {sys::kFulltext, "db/fulltext", ValueType::kBoolean, false, Unique::kNone, false},
      {sys::kTxInstant, "db/txInstant", ValueType::kInstant, false, Unique::kNone, true},
      {sys::kInstallAttribute, "db.install/attribute", ValueType::kRef, true, Unique::kNone, false},
      {sys::kInstallPartition, "db.install/partition", ValueType::kRef, true, Unique::kNone, false},
      {sys::kInstallValueType, "db.install/valueType", ValueType::kRef, true, Unique::kNone, false},
      {sys::kAlterAttribute, "db.alter/attribute", ValueType::kRef, true, Unique::kNone, false},
      {sys::kExcise, "db/excise", ValueType::kRef, false, Unique::kNone, false},
      {sys::kExciseAttrs, "db.excise/attrs", ValueType::kRef, true, Unique::kNone, false},
      {sys::kExciseBefore, "db.excise/before", ValueType::kInstant, false, Unique::kNone, false},
      {sys::kExciseBeforeT, "db.excise/beforeT", ValueType::kLong, false, Unique::kNone, false},
      {sys::kTupleType, "db/tupleType", ValueType::kKeyword, false, Unique::kNone, false},
      {sys::kTupleTypes, "db/tupleTypes", ValueType::kTuple, false, Unique::kNone, false},
      {sys::kTupleAttrs, "db/tupleAttrs", ValueType::kTuple, false, Unique::kNone, false},
  };
  for (const Def& d : defs) {
    ident(d.id, d.ident);
    add(d.id, sys::kValueType, Value::Ref(EntityForType(d.type)));
    add(d.id, sys::kCardinality, Value::Ref(d.many ? sys::kCardMany : sys::kCardOne));
    if (d.unique != Unique::kNone)
      add(d.id, sys::kUnique, Value::Ref(d.unique == Unique::kValue ? sys::kUniqueValue : sys::kUniqueIdentity));
    if (d.indexed) add(d.id, sys::kIndex, Value::Boolean(true));
    add(sys::kDbPart, sys::kInstallAttribute, Value::Ref(d.id));
    // :db/tupleTypes and :db/tupleAttrs are tuples of idents (keywords).
    if (d.type == ValueType::kTuple) add(d.id, sys::kTupleType, Value::Keyword("db.type/keyword"));
  }
  const char* types[] = {"db.type/ref", "db.type/keyword", "db.type/string", "db.type/boolean",
                         "db.type/long", "db.type/double", "db.type/instant", "db.type/uuid"};
  for (int i = 0; i < 8; ++i) ident(sys::kTypeRef + i, types[i]);
  // Format version 2 (strata/value.h): Datomic's other value types.
  const char* more_types[] = {"db.type/bigint", "db.type/bigdec", "db.type/float", "db.type/bytes",
                              "db.type/uri",    "db.type/symbol", "db.type/tuple"};
  for (int i = 0; i < 7; ++i) ident(sys::kTypeBigInt + i, more_types[i]);
  ident(sys::kDbPart, "db.part/db");
  ident(sys::kTxPart, "db.part/tx");
  ident(sys::kUserPart, "db.part/user");
  ident(sys::kCardOne, "db.cardinality/one");
  ident(sys::kCardMany, "db.cardinality/many");
  ident(sys::kUniqueValue, "db.unique/value");
  ident(sys::kUniqueIdentity, "db.unique/identity");
  // Attribute predicates and entity specs (Datomic's :db.attr/preds,
  // :db.entity/attrs, :db.entity/preds and :db/ensure; tx/predicates.h).
  const Def spec_defs[] = {
      {sys::kAttrPreds, "db.attr/preds", ValueType::kString, true, Unique::kNone, false},
      {sys::kEntityAttrs, "db.entity/attrs", ValueType::kKeyword, true, Unique::kNone, false},
      {sys::kEntityPreds, "db.entity/preds", ValueType::kString, true, Unique::kNone, false},
      {sys::kEnsure, "db/ensure", ValueType::kRef, true, Unique::kNone, false},
  };
  for (const Def& d : spec_defs) {
    ident(d.id, d.ident);
    add(d.id, sys::kValueType, Value::Ref(EntityForType(d.type)));
    add(d.id, sys::kCardinality, Value::Ref(sys::kCardMany));
    add(sys::kDbPart, sys::kInstallAttribute, Value::Ref(d.id));
  }
  add(tx, sys::kTxInstant, Value::Instant(0));
  std::sort(out.begin(), out.end(), DatomLess{Index::kEavt});
  return out;
}

}  // namespace strata
