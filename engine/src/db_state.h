// db_state.h — what a database value holds (internal).
//
// DbState is immutable: the writer builds a new one per commit, sharing
// everything unchanged (schema, memory-index runs) with the previous one.
#pragma once

#include <memory>

#include "memindex.h"
#include "schema.h"
#include "strata/database.h"

namespace strata {

struct DbState {
  T basis_t = 0;
  T next_t = kFirstUserT;     // the next t the transactor hands out
  int64_t last_instant = 0;   // :db/txInstant of basis_t
  std::shared_ptr<const Schema> schema;
  std::shared_ptr<const MemIndex> mem;

  bool IsRef(EntityId a) const {
    const Attribute* at = schema->Attr(a);
    return at && at->is_ref();
  }
  bool NoHistory(EntityId a) const {
    const Attribute* at = schema->Attr(a);
    return at && at->no_history;
  }

  // Current-state point reads used by the transactor (ignore views).
  std::vector<Value> CurrentValues(EntityId e, EntityId a) const;
  bool IsCurrent(EntityId e, EntityId a, const Value& v) const;
  // The entity holding (a v) now, if any (any attribute, via AVET).
  std::optional<EntityId> EntityWith(EntityId a, const Value& v) const;
  // Every current datom with entity e (EAVT), or with value e (VAET).
  std::vector<Datom> CurrentByEntity(EntityId e) const;
  std::vector<Datom> CurrentRefsTo(EntityId e) const;
  // Current datoms of attribute a in the given order (AEVT or AVET).
  std::unique_ptr<DatomIterator> CurrentOf(Index order) const;
};

// Internal access to a Database's state.
struct DbAccess {
  static const std::shared_ptr<const DbState>& State(const Database& d) { return d.state_; }
  static Database Make(std::shared_ptr<const DbState> s) { return Database(std::move(s)); }
};

// The state of a database holding only the bootstrap transaction.
std::shared_ptr<const DbState> BootstrapState();

// A new state with one transaction's datoms applied (schema effects,
// t counter, instant, memory index). Used by commit, with() and replay.
std::shared_ptr<const DbState> ApplyDatoms(const DbState& before, T t, std::vector<Datom> datoms,
                                           std::shared_ptr<const Schema> schema_after);

// One excision request (SPEC §7): every datom of `target` (limited to
// `attrs` when not empty) recorded before t `limit`.
struct ExcisionSpec {
  EntityId target = 0;
  std::vector<EntityId> attrs;
  T limit = 0;
  bool Matches(const Datom& d) const;
};
// The excisions requested by the :db/excise datoms of transaction t.
std::vector<ExcisionSpec> ExcisionSpecs(const DbState& state, T t, const std::vector<Datom>& tx_datoms);
bool Excised(const std::vector<ExcisionSpec>& specs, const Datom& d);
// A new state without the excised datoms; *removed counts them.
std::shared_ptr<const DbState> ApplyExcisions(std::shared_ptr<const DbState> state,
                                              const std::vector<ExcisionSpec>& specs, uint64_t* removed);
// True when the transaction's datoms request an excision.
bool HasExcision(const std::vector<Datom>& tx_datoms);

}  // namespace strata
