// pull_internal.h — compiled pull patterns, shared by Pull and the
// (pull ?e pattern) find element of queries (internal).
//
// Thread safety: a compiled pattern is immutable and may be shared; it
// holds Attribute pointers of the Database it was compiled against, so it
// is used with that database (or a view of it) only.
#pragma once

#include <memory>

#include "strata/pull.h"

namespace strata::query {

struct PullPattern;

// Parses and checks a pattern against db's schema.
Result<std::shared_ptr<const PullPattern>> CompilePull(const Database& db, const edn::Node& pattern);
// Pulls entity e; nil when nothing matched.
Result<edn::Node> PullCompiled(const Database& db, const PullPattern& pattern, EntityId e, const PullOptions& options);

}  // namespace strata::query
