// pull_pattern.h — the compiled form of a pull pattern (internal).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "pull_internal.h"

namespace strata::query {

struct PullAttr {
  // kMissing: a name the schema does not have. Datomic leaves it out of
  // the result (only :default, if given, appears), so it is no error.
  enum Kind { kAttr, kReverse, kDbId, kMissing } kind = kAttr;
  const Attribute* attr = nullptr;  // kAttr, kReverse
  edn::Node key;                    // the result's key (:as, or the name written)
  bool limit_given = false;
  std::optional<uint64_t> limit;    // with limit_given: nullopt = unlimited
  std::optional<edn::Node> def;     // :default
  std::unique_ptr<PullPattern> sub; // {attr [...]}
  bool recursive = false;           // {attr N} or {attr ...}
  std::optional<int> max_depth;     // N; nullopt for ...
  const PullPattern* parent = nullptr;  // the pattern a recursion repeats
};

struct PullPattern {
  bool wildcard = false;
  std::vector<PullAttr> attrs;
};

}  // namespace strata::query
