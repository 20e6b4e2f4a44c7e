// find.h — turns the relations left by :where into the query's result
// (internal).
#pragma once

#include <map>
#include <string>

#include "eval.h"

namespace strata::query {

// `raw` holds :in scalars as written (a pull pattern may come from one).
Result<edn::Node> BuildResult(Evaluator& ev, const Query& q, Ctx& ctx, const std::map<std::string, edn::Node>& raw);

}  // namespace strata::query
