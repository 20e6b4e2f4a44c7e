// strata/pull.h — the pull API: hierarchical selections of entities.
//
// A pull pattern is EDN (Datomic's grammar):
//
//   pattern   = [spec ...]
//   spec      = '*' | :db/id | attr | :ns/_attr | {attr-spec (pattern | N | ...)}
//             | (attr option value ...) | [attr option value ...]
//             | (limit attr n) | (default attr value)        ; legacy forms
//   option    = :as key | :limit n-or-nil | :default value
//
// Results are maps with keyword keys (or the :as key). Missing attributes
// are omitted; cardinality-many values come in a vector, at most 1000 of
// them unless :limit says otherwise (:limit nil is unlimited). Refs without
// a sub-pattern render as {:db/id e}; component refs are pulled recursively
// with [*] (from `*` and from a bare component attribute). A reverse
// attribute (:ns/_attr) yields the referring entities: a vector, or one map
// when the attribute is a component. Recursion {attr N} follows attr up to N
// levels and {attr ...} without bound; an entity already on the current
// path comes back as {:db/id e}, so cycles end.
//
// Pull reads only through the public Database API, so it works over every
// view: current, as-of, since, filter, with, and history (where an attribute
// shows every value ever asserted: cardinality-one shows the latest one).
// docs/query.md lists the decisions made where Datomic is silent.
//
// Thread safety: free functions over immutable values.
#pragma once

#include <cstdint>
#include <vector>

#include "strata/database.h"
#include "strata/edn.h"
#include "strata/status.h"

namespace strata {

struct PullOptions {
  uint64_t max_nodes = 1'000'000;  // maps and values in one result; past it: Busy
  uint32_t max_depth = 2048;       // nesting of entity maps; past it: Busy
  uint64_t timeout_ms = 0;         // 0: none; past it: Aborted "pull timed out after ..."
};

// Pulls `pattern` from the entity named by `eid` (an entity id, an ident
// keyword or a lookup ref). Returns nil when the entity has none of the
// requested attributes (or does not exist). InvalidArgument names the bad
// part of a malformed pattern or an unknown attribute.
Result<edn::Node> Pull(const Database& db, const edn::Node& pattern, const edn::Node& eid,
                       const PullOptions& options = {});

// Pull for each entity, in order: a vector with one result (or nil) each.
Result<edn::Node> PullMany(const Database& db, const edn::Node& pattern, const std::vector<edn::Node>& eids,
                           const PullOptions& options = {});

}  // namespace strata
