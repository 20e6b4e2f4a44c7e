// adaptive_append.h — `adaptive`'s leveled runs, with appends placed
// without rewrite wherever they fall, aimed at Datomic's flatness claim
// ("indexing job times flatten out even as your db size grows linearly").
//
// Why adaptive's job cost grows (docs/performance.md: 1.80 → 4.26 µs of job
// CPU per novelty datom from 10^6 to 10^8 datoms): a merge of input into a
// level rewrites every segment the input falls into, and an input datom
// "falls into" the segment before it even when it sorts after that
// segment's last datom. Datomic's own data is mostly appends, but only
// EAVT's are at the end of the key space, where adaptive already moves
// them without rewrite; in AEVT every attribute's new entities append at the
// end of that attribute's range, in the middle of the tree, and in VAET
// references to new entities append at the end of each target's range — so
// adaptive rewrites one deep segment per attribute (or target) per slice,
// at every level, and more levels mean more of them.
//
// This strategy differs from `adaptive` in two things only:
//   - every step it plans sets MergeStep::gaps: a run of input that falls
//     wholly between two segments of the target level (sharing no (e a v)
//     with them, at least a quarter segment long) is written as segments of
//     its own; only segments that input really falls inside are rewritten,
//     and what such a step writes in AEVT and AVET is cut where the
//     attribute changes (gaps exist only at segment boundaries, and segments
//     cut by count straddle attributes). So appends in the middle of a tree
//     cost about what appends at the end cost;
//   - the slice moved down from an overfull level is, first, one whose
//     whole range overlaps nothing below (it moves without rewrite, as in
//     adaptive), else the one whose segments' key ranges, each on its own,
//     overlap the least of the level below (adaptive takes the whole
//     slice's range, which for AEVT spans whole attributes and so overlaps
//     everything, though gap inserts would rewrite only the slice).
// Level targets, ratio and the level-0 size are adaptive's, with the same
// settings and defaults, so the two are compared like for like; reads merge
// one source per level, as in adaptive. Scattered keys (uuids in AVET) are
// untouched by this: their cost still grows with the number of levels.
//
// Settings: "level0_datoms=N" and "level_ratio=N", as for adaptive.
#pragma once

#include <memory>

#include "indexing/adaptive.h"
#include "strata/indexing.h"

namespace strata {

// The settings are adaptive's (ParseAdaptiveOptions), under this
// strategy's name in errors.
Result<AdaptiveOptions> ParseAdaptiveAppendOptions(std::string_view settings);

std::unique_ptr<MergeStrategy> NewAdaptiveAppendStrategy(const AdaptiveOptions& options = {});

}  // namespace strata
