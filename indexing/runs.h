// runs.h — sorted runs on strata's levels, for the tiering strategies
// (tiered.h, lazy_leveling.h).
//
// Tiering keeps several sorted runs whose key ranges overlap; strata's
// durable index has exactly that shape already: each level of a tree is
// one sorted run of disjoint segments, newer levels above older ones. So a
// run is a non-empty level, and a tiering strategy only decides which
// consecutive runs (and whether the job's novelty, the newest run of all)
// merge into one. This file turns such a decision into plan steps with
// the existing step kinds:
//   - a group of consecutive runs merges smallest (newest) first: the
//     novelty into the group's newest run, then each run, whole, into the
//     next older one, so the result sits in the group's oldest run's level
//     and every datom of the group is read about once per run it passes
//     (runs in a group have similar or growing sizes, so that is a small
//     constant). A slice that overlaps nothing below moves without a
//     rewrite, so append-only runs merge for free; levels left empty stay
//     as empty levels (a read skips them);
//   - novelty that merges with nothing becomes a new run in the empty level
//     just above the newest run; when level 0 is taken, the runs down to
//     the first empty level move one level deeper first (moves, no rewrite).
// A level an earlier step of the job merged into has a segment count the
// planner cannot know; those steps use MergeStep::kAllSegments.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "strata/indexing.h"

namespace strata {

// The candidates of one tree's job, newest first: the novelty (when the tree
// has any) and then every non-empty level.
struct RunCandidates {
  bool has_novelty = false;
  std::vector<uint64_t> datoms;  // per candidate
  std::vector<int> level;        // per candidate: its level, -1 for the novelty
};

RunCandidates CandidateRuns(const std::vector<LevelShape>& levels, uint64_t novelty_datoms);

// The steps that merge each group [first, last] of candidates (indices into
// `c`, disjoint, each of two or more candidates) into one run, and put
// novelty that no group takes on top as a new run. Groups may come in any
// order.
std::vector<MergeStep> MergeRuns(const std::vector<LevelShape>& levels, const RunCandidates& c,
                                 std::vector<std::pair<size_t, size_t>> groups);

}  // namespace strata
