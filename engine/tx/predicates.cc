// predicates.cc — the predicate registry (predicates.h) and the checks of
// attribute predicates and entity specs at the end of a transaction.

#include "tx/predicates.h"

#include <cmath>
#include <map>
#include <set>

#include "state/db_access.h"
#include "strata/mutex.h"
#include "tx/builder.h"

namespace strata {
namespace tx_internal {
namespace {

bool IsNumber(const Value& v) { return v.type() == ValueType::kLong || v.type() == ValueType::kDouble; }
double Num(const Value& v) { return v.type() == ValueType::kLong ? static_cast<double>(v.as_long()) : v.as_double(); }
bool IsLong(const Value& v) { return v.type() == ValueType::kLong; }

// clojure.core's predicates of one value, under the names a Datomic schema
// uses for them. A predicate applied to a value of another type is false
// (Clojure would throw, which fails the transaction all the same).
std::map<std::string, AttrPredicate> BuiltinAttrPredicates() {
  return {
      {"clojure.core/some?", [](const Value&) { return true; }},
      {"clojure.core/string?", [](const Value& v) { return v.type() == ValueType::kString; }},
      {"clojure.core/keyword?", [](const Value& v) { return v.type() == ValueType::kKeyword; }},
      {"clojure.core/boolean?", [](const Value& v) { return v.type() == ValueType::kBoolean; }},
      {"clojure.core/int?", IsLong},
      {"clojure.core/double?", [](const Value& v) { return v.type() == ValueType::kDouble; }},
      {"clojure.core/number?", IsNumber},
      {"clojure.core/inst?", [](const Value& v) { return v.type() == ValueType::kInstant; }},
      {"clojure.core/uuid?", [](const Value& v) { return v.type() == ValueType::kUuid; }},
      {"clojure.core/pos?", [](const Value& v) { return IsNumber(v) && Num(v) > 0; }},
      {"clojure.core/neg?", [](const Value& v) { return IsNumber(v) && Num(v) < 0; }},
      {"clojure.core/zero?", [](const Value& v) { return IsNumber(v) && Num(v) == 0; }},
      {"clojure.core/pos-int?", [](const Value& v) { return IsLong(v) && v.as_long() > 0; }},
      {"clojure.core/neg-int?", [](const Value& v) { return IsLong(v) && v.as_long() < 0; }},
      {"clojure.core/nat-int?", [](const Value& v) { return IsLong(v) && v.as_long() >= 0; }},
      {"clojure.core/even?", [](const Value& v) { return IsLong(v) && v.as_long() % 2 == 0; }},
      {"clojure.core/odd?", [](const Value& v) { return IsLong(v) && v.as_long() % 2 != 0; }},
      {"clojure.core/NaN?", [](const Value& v) { return v.type() == ValueType::kDouble && std::isnan(v.as_double()); }},
      // (seq s) is truthy for a non-empty string; blank? is Clojure's
      // "empty or only whitespace".
      {"clojure.core/seq", [](const Value& v) { return v.type() == ValueType::kString && !v.str().empty(); }},
      {"clojure.string/blank?",
       [](const Value& v) {
         if (v.type() != ValueType::kString) return false;
         for (char c : v.str())
           if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
         return true;
       }},
  };
}

class Registry {
 public:
  static Registry& Get() {
    static Registry* r = new Registry();  // never destroyed: used until exit
    return *r;
  }
  void Put(const std::string& name, AttrPredicate fn) {
    MutexLock l(&mu_);
    attr_[name] = std::move(fn);
  }
  void Put(const std::string& name, EntityPredicate fn) {
    MutexLock l(&mu_);
    entity_[name] = std::move(fn);
  }
  std::optional<AttrPredicate> Attr(const std::string& name) {
    MutexLock l(&mu_);
    auto it = attr_.find(name);
    if (it == attr_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<EntityPredicate> Entity(const std::string& name) {
    MutexLock l(&mu_);
    auto it = entity_.find(name);
    if (it == entity_.end()) return std::nullopt;
    return it->second;
  }

 private:
  Registry() : attr_(BuiltinAttrPredicates()) {}
  Mutex mu_;
  std::map<std::string, AttrPredicate> attr_ GUARDED_BY(mu_);
  std::map<std::string, EntityPredicate> entity_ GUARDED_BY(mu_);
};

}  // namespace

std::optional<AttrPredicate> FindAttrPredicate(const std::string& name) { return Registry::Get().Attr(name); }
std::optional<EntityPredicate> FindEntityPredicate(const std::string& name) { return Registry::Get().Entity(name); }

// Attribute predicates: every value the transaction asserts for an
// attribute with :db.attr/preds (db-before's schema) satisfies each. Then :db/ensure:
// its datoms are virtual (never stored), each asks that the entity, in the
// database after the transaction, satisfies the spec: has every attribute
// of :db.entity/attrs and every predicate of :db.entity/preds holds. The
// predicates and specs are those of db-before.
Status Builder::CheckPredicates(T t, PreparedTx* out) {
  std::vector<std::pair<EntityId, EntityId>> ensures;  // (entity, spec)
  for (const Datom& d : out->datoms)
    if (d.a == sys::kEnsure && d.added) ensures.emplace_back(d.e, d.v.ref());
  if (!ensures.empty())
    std::erase_if(out->datoms, [](const Datom& d) { return d.a == sys::kEnsure; });
  const auto& attr_preds = s_.schema->attr_preds();
  if (!attr_preds.empty()) {
    for (const Datom& d : out->datoms) {
      if (!d.added) continue;
      auto it = attr_preds.find(d.a);
      if (it == attr_preds.end()) continue;
      const Attribute* at = s_.schema->Attr(d.a);
      if (!at) continue;
      for (const std::string& name : it->second) {
        std::optional<AttrPredicate> pred = FindAttrPredicate(name);
        if (!pred)
          return Status::InvalidArgument("attribute predicate " + name + " of " + Kw(*at) +
                                         " is not registered (:db.error/attr-pred)");
        if (!(*pred)(d.v))
          return Status::InvalidArgument("datom " + ShowDatom(s_, d.e, *at, d.v) + " failed predicate " + name +
                                         " of attribute " + Kw(*at) + " (:db.error/attr-pred)");
      }
    }
  }
  if (ensures.empty()) return Status::OK();
  const Database after = DbAccess::Make(ApplyDatoms(s_, t, out->datoms, out->schema_after));
  auto spec_name = [&](EntityId spec) {
    const std::string* ident = s_.schema->IdentOf(spec);
    return ident ? ":" + *ident : std::to_string(spec);
  };
  for (const auto& [e, spec] : ensures) {
    STRATA_ASSIGN_OR_RETURN(std::vector<Value> attrs, cur_.Values(spec, sys::kEntityAttrs));
    STRATA_ASSIGN_OR_RETURN(std::vector<Value> preds, cur_.Values(spec, sys::kEntityPreds));
    if (attrs.empty() && preds.empty())
      return Status::InvalidArgument(":db/ensure names " + spec_name(spec) +
                                     ", which is not an entity spec (no :db.entity/attrs or :db.entity/preds)");
    std::vector<std::string> missing;
    for (const Value& a : attrs) {
      const Attribute* at = out->schema_after->AttrByIdent(a.str());
      bool has = false;
      if (at) {
        STRATA_ASSIGN_OR_RETURN(std::vector<Value> have, after.Values(e, at->id));
        has = !have.empty();
      }
      if (!has) missing.push_back(":" + a.str());
    }
    if (!missing.empty()) {
      std::string list;
      for (const std::string& m : missing) list += (list.empty() ? "" : " ") + m;
      return Status::InvalidArgument("entity " + std::to_string(e) + " is missing attributes [" + list +
                                     "] of entity spec " + spec_name(spec) + " (:db.error/entity-attrs)");
    }
    for (const Value& p : preds) {
      std::optional<EntityPredicate> pred = FindEntityPredicate(p.str());
      if (!pred)
        return Status::InvalidArgument("entity predicate " + p.str() + " of entity spec " + spec_name(spec) +
                                       " is not registered (:db.error/entity-pred)");
      if (!(*pred)(after, e))
        return Status::InvalidArgument("entity " + std::to_string(e) + " failed predicate " + p.str() +
                                       " of entity spec " + spec_name(spec) + " (:db.error/entity-pred)");
    }
  }
  return Status::OK();
}

}  // namespace tx_internal

void RegisterAttrPredicate(const std::string& name, AttrPredicate fn) {
  tx_internal::Registry::Get().Put(name, std::move(fn));
}
void RegisterEntityPredicate(const std::string& name, EntityPredicate fn) {
  tx_internal::Registry::Get().Put(name, std::move(fn));
}

}  // namespace strata
