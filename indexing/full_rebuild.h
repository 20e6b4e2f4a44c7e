// full_rebuild.h — the baseline: every job rewrites the whole durable index.
//
// Each tree becomes one level holding everything (all previous levels plus
// the novelty), so a read merges one durable source per tree, and a job's
// cost grows with the size of the database.
//
// Settings: none.
#pragma once

#include <memory>

#include "strata/indexing.h"

namespace strata {
std::unique_ptr<MergeStrategy> NewFullRebuildStrategy();
}
