// adaptive.h — adaptive segment indexing: leveled runs of segments, where
// each job writes only what its novelty requires.
//
// Each tree is a short stack of levels (level i targets
// level0_datoms * level_ratio^i datoms). A job merges its novelty into the
// leaf segments of level 0 that it touches, and when a level outgrows its
// target it moves one slice of consecutive segments down into the next
// level — the slice whose key range overlaps the least of that level, and
// without rewriting anything when it overlaps nothing (appends). So:
//   - a job's writes are bounded by the novelty, level 0's size and one
//     slice per level, which grows with log(database / level0) — sub-linear
//     in database size;
//   - a read merges at most one source per level: max_levels per tree
//     (7 by default), in practice ~log_ratio(database / level0) + 1.
// docs/indexing.md compares this with the other designs and measures it.
//
// Settings (Options::strategy_settings["adaptive"]): "level0_datoms=N" and
// "level_ratio=N", either, both or neither.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "strata/indexing.h"

namespace strata {

struct AdaptiveOptions {
  uint64_t level0_datoms = 0;  // level 0's target; 0: four jobs' novelty (memory_index_threshold / kMemIndexBytesPerDatom × 4)
  uint32_t level_ratio = 10;   // each level this many times the one above; 2 to 1000
};

// Reads the settings text; InvalidArgument naming "adaptive" and the key
// for an unknown key or a value out of range.
Result<AdaptiveOptions> ParseAdaptiveOptions(std::string_view settings);
// The same keys, errors naming `strategy` (adaptive-append reads them too).
Result<AdaptiveOptions> ParseLeveledOptions(const char* strategy, std::string_view settings);

// The leveled plan `adaptive` and `adaptive-append` share: per tree, every
// level over its target (level 0: options.level0_datoms, then × level_ratio)
// moves one slice of consecutive segments, at least its excess, to the next
// level; the novelty goes to level 0. `pick` chooses the slice among those
// holding at least `want` datoms; `gaps` sets MergeStep::gaps on every step.
struct Slice {
  size_t first = 0, count = 0;
};
using PickSlice = Slice (*)(Index order, const LevelShape& level, const LevelShape& below, uint64_t want);
MergePlan PlanLeveled(const AdaptiveOptions& options, const IndexShape& shape, const NoveltyShape& novelty,
                      const StrategyOptions& o, PickSlice pick, bool gaps);

// Datoms of `below` whose segments overlap [first, last] (by e a v).
uint64_t OverlapBelow(Index order, const LevelShape& below, const Datom& first, const Datom& last);

std::unique_ptr<MergeStrategy> NewAdaptiveStrategy(const AdaptiveOptions& options = {});

}  // namespace strata
