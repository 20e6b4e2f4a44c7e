// predicates.h — the registry of attribute and entity predicates (internal
// to tx/; registration is public, strata/database.h).
//
// Datomic resolves the symbols of :db.attr/preds and :db.entity/preds as
// functions on the classpath, one namespace for the whole process; strata's
// registry is the same: process-wide, with the clojure.core predicates on
// values built in under their Clojure names.
//
// Thread safety: registration and lookup may run on any thread.
#pragma once

#include <optional>
#include <string>

#include "strata/database.h"

namespace strata::tx_internal {

// The predicate registered under `name` (a copy), if any.
std::optional<AttrPredicate> FindAttrPredicate(const std::string& name);
std::optional<EntityPredicate> FindEntityPredicate(const std::string& name);

}  // namespace strata::tx_internal
