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
#include <optional>
#include <set>
#include <string>
#include <string_view>
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

// An entity position: a resolved id, or a tempid (an index into the
// Builder's tempids, which hold the name as given).
struct EntRef {
  static constexpr uint32_t kNoTemp = UINT32_MAX;
  uint32_t temp = kNoTemp;
  EntityId id = 0;
  bool is_temp() const { return temp != kNoTemp; }
};

struct Op {
  enum Kind { kAdd, kRetract, kRetractAttr, kRetractEntity, kCas } kind = kAdd;
  EntRef e;
  const Attribute* attr = nullptr;
  EntRef vref;         // ref attributes: the value as an entity position
  Value v;             // other attributes (and refs once resolved); moved into Changes by CollectOps
  bool cas_old_nil = false;
  Value cas_old;
  const edn::Node* src = nullptr;  // the operation, printed only for error messages
};

struct TempInfo {
  std::string key;  // the tempid as given; empty for an entity map's own (auto) tempid
  uint64_t auto_number = 0;  // auto tempids: 1, 2, ... in order of creation
  uint64_t partition = kPartUser;
  bool explicit_partition = false;
  bool in_entity_position = false;
  bool asserted = false;  // some :db/add or cas names it (as entity or ref value)
  bool report = true;  // listed in the report's tempids
  bool installs_attribute = false;
  bool resolved = false;
  EntityId id = 0;  // once resolved
};

struct EavKey {
  EntityId e, a;
  Value v;
  bool operator<(const EavKey& o) const { return Compare(o) < 0; }
  int Compare(const EavKey& o) const {
    if (e != o.e) return e < o.e ? -1 : 1;
    if (a != o.a) return a < o.a ? -1 : 1;
    return v.Compare(o.v);
  }
};

// An assertion or retraction to be, and the operation that asked for it.
struct Pending {
  const Attribute* attr;
  const Op* op;
};

struct Change {
  EavKey k;
  Pending p;
};

// Assertions or retractions keyed by (e, a, v), in key order. As with a
// map's emplace, the first change added for a key is kept (its operation
// is the one an error message names). Add appends; Seal sorts what was
// added since the last Seal into the rest (no sort when it came in key
// order, the usual case) and drops repeated keys. Lookups and iteration see
// only what was sealed.
class ChangeSet {
 public:
  void Add(EntityId e, EntityId a, Value&& v, Pending p) { items_.push_back(Change{EavKey{e, a, std::move(v)}, p}); }
  void Reserve(size_t n) { items_.reserve(n); }
  void Seal();
  bool empty() const { return sealed_ == 0; }
  size_t size() const { return sealed_; }
  const Change* Find(const EavKey& k) const;
  bool Contains(const EavKey& k) const { return Find(k) != nullptr; }
  // The sealed changes of (e, a), in value order: [first, last).
  std::pair<const Change*, const Change*> Range(EntityId e, EntityId a) const;
  const Change* begin() const { return items_.data(); }
  const Change* end() const { return items_.data() + sealed_; }

 private:
  std::vector<Change> items_;
  size_t sealed_ = 0;  // items_[0, sealed_) are sorted, one per key
};

// The operations resolved to datoms, before redundancy is removed.
struct Changes {
  ChangeSet asserts, retracts;
  std::set<EntityId> retracted_entities;  // by :db/retractEntity
};

// The entity holding a unique value in db-before, as one upsert lookup
// found it (Builder::lookups_): the uniqueness check of the same value
// reuses it instead of reading again.
struct UniqueLookup {
  EntityId a;
  Value v;
  std::optional<EntityId> holder;
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
  // The value of op (its vref for a ref attribute), from v.
  Status SetValue(Op* op, const edn::Node& v);
  Status AddValue(Op&& op, const edn::Node& v);
  EntRef NewAutoTemp(uint64_t partition, bool explicit_partition);
  // The named tempid `key` (created at its first mention).
  EntRef NamedTemp(const std::string& key, bool entity_position);
  void NoteEntityPosition(const EntRef& r) {
    if (r.is_temp()) temps_[r.temp].in_entity_position = true;
  }
  // The entity named `ident` in db-before's schema (false: none): the
  // schema's lookup, remembered in a small table for the idents a
  // transaction repeats (every entity map names the same few attributes,
  // and enumerations the same few values), found or not.
  bool Entid(const std::string& ident, EntityId* e);
  // The attribute named `ident` in db-before's schema, or null.
  const Attribute* AttrByIdent(const std::string& ident);
  Result<const Attribute*> AttrOf(const edn::Node& n);
  // A tempid as error messages name it: tempid "name", or what made an
  // unnamed one (never its internal key).
  std::string DescribeTemp(uint32_t temp) const;
  // An entity the transaction creates (ResolveTempids hands out their ids).
  bool IsNew(EntityId e) const {
    const T x = TOf(e);
    return x >= first_new_t_ && x - first_new_t_ < new_ids_.size() && new_ids_[x - first_new_t_] == e;
  }
  // EntityWith of db-before, reusing what an upsert lookup of `op` read.
  Result<std::optional<EntityId>> HolderBefore(const Op& op, EntityId a, const Value& v);

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
  Status CheckUnique(const EavKey& k, const Pending& p, const Changes& ch, std::optional<EntityId> other_in_tx);
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
  std::vector<TempInfo> temps_;  // in order of first mention
  std::unordered_map<std::string, uint32_t> named_temps_;  // key -> index in temps_
  uint32_t tx_temp_ = EntRef::kNoTemp;  // "datomic.tx", when named
  uint64_t auto_counter_ = 0;
  T first_new_t_ = 0;
  std::vector<EntityId> new_ids_;  // the new entities, by t from first_new_t_
  std::vector<int32_t> op_lookup_;  // per operation: its upsert lookup in lookups_, or -1
  std::vector<UniqueLookup> lookups_;
  std::deque<edn::Node> owned_;  // tx data made here (excision maps, function results)
  CurrentReader cur_;             // point reads of db-before
  struct IdentSlot {
    static constexpr EntityId kNone = ~EntityId{0};  // no entity has this ident
    // The text of a node of the transaction, which outlives the Builder's
    // work; a null data() marks an unused slot.
    std::string_view ident;
    EntityId e = kNone;
  };
  std::vector<IdentSlot> ident_cache_;  // direct-mapped, kIdentCacheSlots once used
  static constexpr size_t kIdentCacheSlots = 256;
};

}  // namespace strata::tx_internal
