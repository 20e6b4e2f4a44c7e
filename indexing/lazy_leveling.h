// lazy_leveling.h — lazy leveling: tiering at the upper levels, one run at
// the last (Dostoevsky, Dayan & Idreos, SIGMOD 2018).
//
// The design: levels grow by a ratio T. Every level but the last is tiered:
// it collects up to T - 1 runs, and when the T-th arrives they merge into
// one run that goes to the next level. The last level is leveled: it holds
// one run, and whatever arrives there merges into it. Most data lives in
// the last level, so point reads and space amplification are nearly those
// of leveling (one big run), while updates cost nearly what tiering costs:
// a datom is rewritten about once per upper level and up to T times at the
// last, O(L + T) in all, against leveling's O(L · T) and tiering's O(L). In
// Dostoevsky's Fluid LSM terms this is K = T - 1 runs at the upper levels,
// Z = 1 at the last.
//
// How it maps onto strata: a run is one level of a tree (a sorted list of
// disjoint segments), newer runs in shallower levels; a Dostoevsky level
// is a group of consecutive runs of similar size. The planner has no state,
// so a run's Dostoevsky level comes from its size: the power of T nearest
// to datoms / level0_datoms on a log scale (level i holds runs of about
// level0_datoms · T^i), never shallower than a newer run's. The oldest run
// is the last level; its own size gives the number of levels. Merges are
// chains of existing plan steps (indexing/runs.h): the novelty into the
// newest run of the group, then each run, whole, into the next older one —
// so an upper level's runs merge into each other and, at the last upper
// level, into the big last run, rewriting only the segments of it that the
// input touches (a run that overlaps nothing moves without a rewrite).
//
// Costs: most jobs write their novelty as a new run; every T-th job merges
// level 0's runs, every T²-th level 1's as well, and so on, until the
// merge that reaches the last run — the lumps, smaller than tiering's
// whole-tree merges because only the touched part of the last run is
// rewritten. Reads merge at most (T - 1) · (levels - 1) + 1 runs per tree.
//
// Settings (Options::strategy_settings["lazy-leveling"]): level_ratio (T,
// default 4; 2 to 100) and level0_datoms (the size of a level-0 run;
// default 0: one job's novelty, memory_index_threshold / kMemIndexBytesPerDatom (60 bytes) a
// datom, and at least one segment).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "strata/indexing.h"

namespace strata {

struct LazyLevelingOptions {
  uint32_t level_ratio = 4;    // T
  uint64_t level0_datoms = 0;  // 0: one job's novelty
};

// Reads the settings text; InvalidArgument naming "lazy-leveling" and the
// key for an unknown key or a value out of range.
Result<LazyLevelingOptions> ParseLazyLevelingOptions(std::string_view settings);

std::unique_ptr<MergeStrategy> NewLazyLevelingStrategy(const LazyLevelingOptions& options = {});

}  // namespace strata
