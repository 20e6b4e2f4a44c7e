// cow_tree.h — a copy-on-write tree: one level per tree; a job rewrites
// only the leaf segments its novelty falls into (plus their directories).
//
// Reads merge one durable source per tree, like full-rebuild; a job's cost
// is the number of leaves its novelty touches times the leaf size, so it is
// cheap for novelty clustered in key space (appends) and approaches a full
// rewrite for novelty scattered over a large index. Kept beside `adaptive`
// because the harness exists to compare them (docs/indexing.md).
//
// Settings: none.
#pragma once

#include <memory>

#include "strata/indexing.h"

namespace strata {
std::unique_ptr<MergeStrategy> NewCowTreeStrategy();
}
