// model.h — the reference model the property suite checks the engine
// against (SPEC §3, §4, §7).
//
// The model is deliberately naive: one plain vector holds every datom ever
// recorded (less excised ones), and every question — the current state,
// as_of(t), since(t), history, each sort order — is answered by filtering
// and folding that vector from scratch. Transactions are interpreted from
// their EDN text by a direct transcription of the SPEC §3 rules, written
// without looking at how the transactor is built. Obviously correct beats
// fast: a case holds a few hundred datoms.
//
// It is the oracle: Predict() says whether the engine must accept a
// transaction and, if so, exactly which datoms it records, which ids its
// tempids get and which t it takes. Where a rule is ambiguous the model
// follows the rule written in docs/testing.md ("Model rules"), and the
// generators avoid what neither the SPEC nor that page decides.
//
// Thread safety: a Model is a value; copies are independent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/edn.h"
#include "strata/value.h"

namespace strata::props {

// One attribute as the model derives it from the current schema datoms.
struct ModelAttr {
  EntityId id = 0;
  std::string ident;
  ValueType type = ValueType::kNil;
  bool many = false;
  Unique unique = Unique::kNone;
  bool indexed = false;
  bool component = false;
  bool no_history = false;
  bool is_ref() const { return type == ValueType::kRef; }
  bool in_avet() const { return indexed || unique != Unique::kNone; }
};

// The schema of one database value: idents and installed attributes.
struct ModelSchema {
  std::map<std::string, EntityId> idents;  // current names
  std::map<EntityId, ModelAttr> attrs;     // installed: type, cardinality and ident
  const ModelAttr* Attr(EntityId a) const;
  const ModelAttr* AttrByIdent(const std::string& ident) const;
};

// A time view (SPEC §4). Views compose as in the engine: as_of keeps the
// smaller t, since the larger.
struct ViewQuery {
  std::optional<T> as_of;
  std::optional<T> since;
  bool history = false;
  std::string ToString() const;  // "as_of(1004).since(1002).history"
};

// What a transaction does according to the model.
struct TxOutcome {
  bool ok = false;
  std::string why;                          // rejected: the rule that refused it
  T t = 0;                                  // accepted: its t
  std::vector<Datom> datoms;                // accepted: what it records, EAVT order
  std::map<std::string, EntityId> tempids;  // user tempids and "datomic.tx"
  std::vector<EntityId> new_entities;       // ids it allocated, in order
  bool excises = false;                     // it requests an excision
};

// What one excision request removes (SPEC §7).
struct ExciseSpec {
  EntityId target = 0;
  std::set<EntityId> attrs;  // empty: every attribute
  T limit = 0;               // datoms with t < limit
  bool Matches(const Datom& d) const { return d.e == target && d.t() < limit && (attrs.empty() || attrs.count(d.a)); }
};

// The model's own comparators for the four sort orders (SPEC §5): leading
// components, then tx, then added (retraction first).
bool ModelLess(Index order, const Datom& x, const Datom& y);

class Model {
 public:
  // A model holding the bootstrap transaction (t = 0): `boot` is what a
  // freshly created database holds in its history.
  static Model FromBootstrap(std::vector<Datom> boot);

  // The model's verdict on a transaction, without changing anything.
  // `now_ms` is what the engine's clock returns for this transaction.
  TxOutcome Predict(const edn::Node& tx, int64_t now_ms) const;
  // Predict, and record the transaction if it is accepted.
  TxOutcome Transact(const edn::Node& tx, int64_t now_ms);

  // Datoms of a view, sorted in `order`; AVET holds only attributes that
  // are indexed or unique, VAET only ref attributes (schema of this value).
  std::vector<Datom> Datoms(const ViewQuery& q, Index order) const;
  // The view's datoms in EAVT order (every attribute).
  std::vector<Datom> View(const ViewQuery& q) const;
  // The schema as of t (folded from the schema datoms up to t).
  ModelSchema SchemaAsOf(T t) const;
  const ModelSchema& schema() const { return schema_; }

  // Every datom ever recorded less excised ones, in recording order.
  const std::vector<Datom>& datoms() const { return datoms_; }
  // The log: each transaction's datoms (EAVT), by t, less excised ones.
  std::map<T, std::vector<Datom>> Log() const;
  // Every t a transaction took, ascending (the bootstrap's 0 first).
  const std::vector<T>& ts() const { return ts_; }
  // The instant each transaction recorded, by t, as the history shows them
  // (excising a transaction entity removes its instant).
  std::map<T, int64_t> instants() const;

  T basis_t() const { return basis_t_; }
  T next_t() const { return next_t_; }
  int64_t last_instant() const { return last_instant_; }
  // User-partition entities ever allocated, in order of creation.
  const std::vector<EntityId>& user_entities() const { return user_entities_; }
  // Attributes that have ever been :db/noHistory: their past values are
  // exempt from history and as-of comparisons (SPEC §7).
  const std::set<EntityId>& ever_no_history() const { return ever_no_history_; }
  // Excisions applied so far (for reports).
  uint64_t excised_datoms() const { return excised_; }

  // Current values of (e, a), ascending.
  std::vector<Value> CurrentValues(EntityId e, EntityId a) const;
  // The entity holding (a, v) now, if any.
  std::optional<EntityId> EntityWith(EntityId a, const Value& v) const;

 private:
  friend class TxInterpreter;
  void Rebuild();  // recomputes the schema cache from the datoms

  std::vector<Datom> datoms_;
  std::vector<T> ts_;
  T basis_t_ = 0;
  T next_t_ = 0;
  int64_t last_instant_ = 0;
  ModelSchema schema_;
  std::vector<EntityId> user_entities_;
  std::set<EntityId> ever_no_history_;
  uint64_t excised_ = 0;
};

// The schema a set of current datoms describes: idents, and the entities
// with :db/valueType, :db/cardinality and :db/ident. `ident_attr` is the
// entity of :db/ident; the other schema attributes are found by ident.
ModelSchema DeriveSchema(const std::vector<Datom>& current, EntityId ident_attr);

// Model::Predict's work (model_tx.cc).
TxOutcome Interpret(const Model& m, const edn::Node& tx, int64_t now_ms);

// Schema entity ids the model and the generators need (from the bootstrap).
struct SysIds {
  EntityId ident, value_type, cardinality, unique, index, is_component, no_history, doc, tx_instant;
  EntityId excise, excise_attrs, excise_before, excise_before_t;
  EntityId card_one, card_many, unique_value, unique_identity;
};
SysIds SysIdsOf(const ModelSchema& s);

// The excision that request [x :db/excise target] of transaction t asks for.
ExciseSpec ExcisionOf(const Model& m, const SysIds& sys, T t, const Datom& request, const std::vector<Datom>& tx_datoms);

}  // namespace strata::props
