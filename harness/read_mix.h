// harness/read_mix.h — measured read amplification: a fixed mix of point
// reads and range scans on a run's final index, read cold, counted by the
// engine's io-stats read counters (strata/cursor.h ReadCounters).
//
// The database is reopened read-only with no segment cache
// (segment_cache_bytes = 0), so every leaf a read touches is read from
// storage and counted with its bytes: the figures are the leaves (and
// bytes) a read merges, not what happened to be cached. After the final
// IndexNow the memory index is empty, so the reads go to the durable
// levels only.
//
// The mix is a function of the index alone, the same for every strategy
// holding the same datoms: kAnchors leaves spread evenly over the
// eavt/current leaves of every level (ordered by their first entity); from
// the middle entity id of each, an unmeasured seek finds the next entity
// e that exists and its first attribute a. Then, measured:
//   - a point read: every current datom of e (EAVT, prefix [e]);
//   - a range scan: up to kScanDatoms datoms of AEVT from [a e] on, while
//     the attribute is a.
// Entities found twice are read once.
//
// Thread safety: a plain function; it blocks its caller.
#pragma once

#include <cstdint>
#include <string>

#include "strata/options.h"
#include "strata/status.h"

namespace strata::harness {

constexpr size_t kReadMixAnchors = 256;
constexpr size_t kReadMixScanDatoms = 1000;

struct ReadMixFigures {
  uint64_t point_reads = 0, range_scans = 0;
  uint64_t point_segments = 0, point_bytes = 0;  // leaves read, and their bytes, over all point reads
  uint64_t scan_segments = 0, scan_bytes = 0;    // over all range scans
};

// Opens `location` read-only (with `options`' settings, no cache, no
// background indexing) and runs the mix. Errors name the location.
Result<ReadMixFigures> MeasureReadMix(const std::string& location, Options options);

}  // namespace strata::harness
