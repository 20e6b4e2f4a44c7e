// transactor.h — turns transaction data into datoms (internal).
//
// PrepareTx is a pure function of (db-before, tx data, registered
// functions, clock): it resolves entity identifiers and tempids (with
// upsert), expands map forms, retractEntity, cas and transaction
// functions, type-checks values, removes redundancy, adds implicit
// cardinality-one retractions, checks uniqueness and schema alterations,
// and returns the transaction's datoms. It writes nothing: committing them
// (log append, memory index, queue) is the Connection's job, so a rejected
// transaction cannot leave anything behind.
//
// Thread safety: PrepareTx reads immutable state only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "state/db_state.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/edn.h"

namespace strata {

using TxFunctionRegistry = std::map<std::string, TxFunction>;

struct PreparedTx {
  T t = 0;
  std::vector<Datom> datoms;  // EAVT order
  std::map<std::string, EntityId> tempids;
  std::shared_ptr<const Schema> schema_after;
  std::vector<ExcisionSpec> excisions;  // what its :db/excise datoms request
};

Result<PreparedTx> PrepareTx(const Database& db_before, const edn::Node& tx_data, const TxFunctionRegistry& fns,
                             int64_t now_ms);

// Entity identifier resolution shared with the read API: an id, an ident
// keyword, or a lookup ref. A lookup ref reads through `reader` (a
// CurrentReader of s, reused across calls, remembering each lookup ref's
// answer) when given, else through a reader of its own.
Result<EntityId> ResolveEntityId(const DbState& s, const edn::Node& eid, CurrentReader* reader = nullptr);
// EDN to a value of the attribute's type (refs through ResolveEntityId).
Result<Value> CoerceValue(const DbState& s, const Attribute& attr, const edn::Node& v, CurrentReader* reader = nullptr);
// A vector to a tuple of the attribute's element types (tuples.cc).
Result<Value> CoerceTuple(const DbState& s, const Attribute& attr, const edn::Node& v);

int64_t NowMillis();

}  // namespace strata
