// pull_internal.h — compiled pull patterns, shared by Pull and the
// (pull ?e pattern) find element of queries (internal).
//
// Thread safety: a compiled pattern is immutable and may be shared; it
// holds Attribute pointers of the Database it was compiled against, so it
// is used with that database (or a view of it) only.
#pragma once

#include <memory>
#include <vector>

#include "strata/pull.h"

namespace strata::query {

struct PullPattern;

// Parses and checks a pattern against db's schema.
Result<std::shared_ptr<const PullPattern>> CompilePull(const Database& db, const edn::Node& pattern);
// Pulls entity e; nil when nothing matched.
Result<edn::Node> PullCompiled(const Database& db, const PullPattern& pattern, EntityId e, const PullOptions& options);

// The cursors pulls read through, each opened once and then moved from
// entity to entity (DatomCursor::Seek): opening one builds an iterator per
// source, the largest part of a point read. EAVT has one cursor per
// nesting depth, because a wildcard walks its entity's datoms while it
// renders them, and rendering a component pulls the next depth; every
// other read (an attribute's values, a reverse reference) is read whole
// before anything else moves its cursor. One thread; one database value.
struct PullCursors {
  std::vector<std::unique_ptr<DatomCursor>> eavt;  // by depth
  std::unique_ptr<DatomCursor> vaet;
};
// The same, reading through `cursors` (kept across calls with the same db:
// a query's pull find element, PullMany). A cursor whose read failed keeps
// failing, so the later pulls fail too.
Result<edn::Node> PullCompiled(const Database& db, const PullPattern& pattern, EntityId e, const PullOptions& options,
                               PullCursors* cursors);

}  // namespace strata::query
