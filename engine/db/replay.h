// replay.h — rebuilding a database state from a durable root and logged
// transactions (internal). Shared by Connection::Open (log replay after a
// restart) and Replica (transactions streamed to a peer).
#pragma once

#include <memory>
#include <vector>

#include "state/db_state.h"

namespace strata {

// The state of a database whose durable index is `root` and whose novelty
// is empty: the bootstrap state for a root no job wrote (generation 0),
// else the root's counters and the schema read back from its datoms.
Result<std::shared_ptr<const DbState>> StateFromRoot(const std::shared_ptr<DurableContext>& durable,
                                                     const std::shared_ptr<const IndexRoot>& root);

// Applies one committed transaction as the log holds it: its schema
// effects, its datoms and, when it requests excisions, the excisions
// (appended to *excisions when not null). An error (a failed read of the
// instants an excision names) leaves *state unchanged.
Status ReplayTransaction(std::shared_ptr<const DbState>* state, T t, const std::vector<Datom>& datoms,
                         std::vector<ExcisionSpec>* excisions);

}  // namespace strata
