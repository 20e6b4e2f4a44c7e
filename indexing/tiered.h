// tiered.h — size-tiered runs, after RocksDB's universal compaction.
//
// The design: every job's novelty becomes a new sorted run; runs are never
// split, only merged whole, and the picker looks at the runs' sizes, newest
// first (RocksDB, "Universal Compaction" in its wiki, and
// CompactionOptionsUniversal). When a tree holds at least `run_trigger`
// runs (the novelty counts as the newest), a job merges, in this order of
// preference:
//   1. everything, when the runs above the oldest hold more than
//      max_size_amp_percent % of the oldest's datoms (space amplification:
//      the big, rare merge that gives tiering its lumpy job-size tail);
//   2. else the first stretch of consecutive runs, from the newest, where
//      each next run is at most (100 + size_ratio) % of the stretch so far,
//      when it is at least min_merge_width and at most max_merge_width runs;
//   3. else the newest runs, as many as bring the count below run_trigger.
// Otherwise the novelty is a run of its own.
//
// How it maps onto strata: a run is one level of a tree (a sorted list of
// disjoint segments); newer runs sit in shallower levels, which is the
// order every read already merges in. A merge of runs is a chain of
// existing plan steps (indexing/runs.h): the novelty into the newest run of
// the group, then each run, whole, into the next older one; a run whose keys
// overlap nothing below moves without a rewrite. Sizes are datoms, not
// bytes. Unlike RocksDB, merging into a run rewrites only the segments the
// input touches, so append-only runs merge almost for free.
//
// Costs: a datom is rewritten about once per merge it takes part in —
// O(log(database / job)) merges with size_ratio near 0 — but the
// space-amplification merge rewrites the whole tree, about every time the
// tree triples (at 200 %). Reads merge at most run_trigger - 1 runs per
// tree between jobs (more only right after a switch from another
// strategy).
//
// Settings (Options::strategy_settings["tiered"]): size_ratio (percent,
// default 1), min_merge_width (default 2), max_merge_width (default no
// limit), max_size_amp_percent (default 200), run_trigger (default 4; 2 to
// 60).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "strata/indexing.h"

namespace strata {

struct TieredOptions {
  uint32_t size_ratio = 1;                // percent
  uint32_t min_merge_width = 2;           // runs
  uint32_t max_merge_width = UINT32_MAX;  // runs
  uint32_t max_size_amp_percent = 200;
  uint32_t run_trigger = 4;  // runs (the novelty included) before a job merges any
};

// Reads the settings text; InvalidArgument naming "tiered" and the key for
// an unknown key, a value out of range, or max_merge_width below
// min_merge_width.
Result<TieredOptions> ParseTieredOptions(std::string_view settings);

std::unique_ptr<MergeStrategy> NewTieredStrategy(const TieredOptions& options = {});

}  // namespace strata
