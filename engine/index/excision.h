// excision.h — which datoms an excision removes (internal).
//
// Excisions are committed by the transactor (state/db_state.h turns a
// transaction's :db/excise datoms into specs), hidden from reads at once,
// and removed from the durable index by the next indexing job.
#pragma once

#include <algorithm>
#include <vector>

#include "strata/value.h"

namespace strata {

// One excision request (SPEC §7): every datom of `target` (limited to
// `attrs` when not empty) recorded before t `limit`.
struct ExcisionSpec {
  EntityId target = 0;
  std::vector<EntityId> attrs;
  T limit = 0;
  bool Matches(const Datom& d) const {
    return d.e == target && d.t() < limit &&
           (attrs.empty() || std::find(attrs.begin(), attrs.end(), d.a) != attrs.end());
  }
};

// True when any of `specs` removes d.
inline bool Excised(const std::vector<ExcisionSpec>& specs, const Datom& d) {
  for (const auto& s : specs)
    if (s.Matches(d)) return true;
  return false;
}

}  // namespace strata
