// builder.h — the transactor's working state (internal to tx/).
//
// A Builder takes one transaction's data apart (tx_expand.cc: list and map
// forms, tempids, retractEntity, cas, transaction functions) into
// operations, then Finish (tx_finish.cc) resolves them against db-before
// into the transaction's datoms, checking the rules that need the whole
// transaction. transactor.cc holds PrepareTx and the helpers shared with the
// read API.
//
// Thread safety: a Builder belongs to one thread; it reads immutable state.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "state/db_access.h"
#include "tx/transactor.h"

namespace strata::tx_internal {

constexpr int kMaxFnDepth = 16;
constexpr const char* kTxTempid = "datomic.tx";

// A node as text for error messages: at most 160 characters, and where it
// was read.
std::string Show(const edn::Node& n);
// ":ns/name".
std::string Kw(const Attribute& a);
// [attr value] naming a unique attribute: a lookup ref, not a list form.
bool IsLookupRefShape(const DbState& s, const edn::Node& n);
Result<const Attribute*> ResolveAttr(const DbState& s, const edn::Node& n);
// "[e :ns/a v]" for error messages.
std::string ShowDatom(const DbState& s, EntityId e, const Attribute& at, const Value& v);

// The checks of a tuple attribute's definition (tuples.cc): `now` in the
// schema after the transaction, `was` before it (null when new).
Status CheckTupleSchema(const Schema& schema, const Attribute& now, const Attribute* was);

// A vector given to a tuple attribute in a map is one tuple, unless the
// attribute is cardinality many and the vector holds vectors (tuples.cc).
bool IsTupleValue(const Attribute& at, const edn::Node& v);

// An entity position: a resolved id, or a tempid key.
struct EntRef {
  bool temp = false;
  std::string key;
  EntityId id = 0;
};

struct Op {
  enum Kind { kAdd, kRetract, kRetractAttr, kRetractEntity, kCas } kind = kAdd;
  EntRef e;
  const Attribute* attr = nullptr;
  EntRef vref;         // ref attributes: the value as an entity position
  Value v;             // other attributes (and refs once resolved)
  bool cas_old_nil = false;
  Value cas_old;
  const edn::Node* src = nullptr;  // the operation, printed only for error messages
};

struct TempInfo {
  uint64_t partition = kPartUser;
  bool explicit_partition = false;
  bool in_entity_position = false;
  bool asserted = false;  // some :db/add or cas names it (as entity or ref value)
  bool report = true;  // listed in the report's tempids
  bool installs_attribute = false;
};

struct EavKey {
  EntityId e, a;
  Value v;
  bool operator<(const EavKey& o) const {
    if (e != o.e) return e < o.e;
    if (a != o.a) return a < o.a;
    return v < o.v;
  }
};

// An assertion or retraction to be, and the operation that asked for it.
struct Pending {
  const Attribute* attr;
  const Op* op;
};

// The operations resolved to datoms, before redundancy is removed.
struct Changes {
  std::map<EavKey, Pending> asserts, retracts;
  std::set<EntityId> retracted_entities;  // by :db/retractEntity
};

class Builder {
 public:
  Builder(const Database& db, const DbState& s, const TxFunctionRegistry& fns)
      : db_(db), s_(s), fns_(fns), cur_(s) {}

  Status AddTxData(const edn::Node& tx, int depth);
  Result<PreparedTx> Finish(int64_t now_ms);

 private:
  Status AddOp(const edn::Node& op, int depth);
  Result<EntRef> ExpandMap(const edn::Node& m);
  Result<EntRef> EntityPos(const edn::Node& n, bool value_position);
  bool Allocated(EntityId id) const;
  Status AddAssertion(const EntRef& e, const Attribute& at, const edn::Node& v, const edn::Node* src);
  Status AddValue(Op op, const edn::Node& v);
  EntRef NewAutoTemp(uint64_t partition, bool explicit_partition);
  void NoteTemp(const std::string& key, bool entity_position);

  Status ResolveTempids(T t);
  Result<EntityId> Resolved(const EntRef& r) const;

  // The steps of Finish (tx_finish.cc), in order; each sees db-before only.
  Status CollectOps(Changes* ch);
  Status RetractEntity(EntityId e, const Op& op, Changes* ch);
  Status CheckCas(const Op& op, EntityId e);
  Status CheckWholeTx(const Changes& ch);
  // Composite tuples (tuples.cc): each touched entity's value after the
  // transaction, added to *ch.
  Status AddCompositeTuples(Changes* ch);
  Status EmitDatoms(const Changes& ch, EntityId tx, int64_t now_ms, std::vector<Datom>* datoms);
  Status CheckUnique(const EavKey& k, const Pending& p, const Changes& ch,
                     std::map<std::pair<EntityId, Value>, EntityId>* unique_in_tx);
  // The transaction's excisions, once checked.
  Result<std::vector<ExcisionSpec>> CheckExcisions(T t, const std::vector<Datom>& datoms) const;
  Result<std::shared_ptr<const Schema>> SchemaAfter(const std::vector<Datom>& datoms) const;
  Status CheckAlteration(EntityId id, const Attribute& now, const Attribute* was) const;
  // :db.attr/preds and :db/ensure (predicates.cc); drops the virtual
  // :db/ensure datoms from out->datoms.
  Status CheckPredicates(T t, PreparedTx* out);

  const Database& db_;
  const DbState& s_;
  const TxFunctionRegistry& fns_;
  std::vector<Op> ops_;
  std::vector<std::string> temp_order_;
  std::unordered_map<std::string, TempInfo> temps_;
  std::unordered_map<std::string, EntityId> resolved_;
  std::unordered_set<EntityId> new_entities_;
  uint64_t auto_counter_ = 0;
  std::deque<edn::Node> owned_;  // tx data made here (excision maps, function results)
  CurrentReader cur_;             // point reads of db-before
};

}  // namespace strata::tx_internal
