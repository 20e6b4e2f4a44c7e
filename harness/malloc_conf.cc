// jemalloc's options for the programs that measure strata: `strata` and
// `strata_bench` (an object library each links, so that a benchmark and an
// import run under the same allocator settings). MALLOC_CONF in the
// environment still overrides each option.
//
// oversize_threshold:0: by default allocations over 8 MiB (a memory-index
// run, a job's novelty in one order) come from an arena that returns their
// pages at once; an import then faulted ~350 fresh pages per 1,000 datoms
// (mbrainz-synth scale 8: 2.1M -> 0.8M minor faults, 5.2 -> 2.3 s of system
// time with large allocations kept in the normal arenas and a 30 s decay).
//
// dirty_decay_ms:10000, muzzy_decay_ms:0: freed pages go back to the kernel
// within ~10 s. Each thread's arena keeps its own freed pages, so with a
// 30 s decay the indexing job's threads and the transactor each held their
// own recent peak: at 10^8 datoms jemalloc's resident pages exceeded its
// allocated bytes by ~450 MiB and peak RSS was 970 MiB. Muzzy pages
// (MADV_FREE) still count in the kernel's RSS until reclaimed, so they are
// purged at once rather than kept a second decay period. The price is page
// faults: mbrainz-synth scale 20, peak RSS 715 -> 624 MiB, minor faults
// 1.04-1.19M -> 1.42M, system time 3.8-4.8 -> 5.0 s. (One arena, narenas:1,
// gave 622 MiB at 2.5M faults; background_thread:true changed neither.)
//
// Arena 0 (the main thread's) is set up before jemalloc 5.3.0 reads these
// options and keeps the built-in 8 MiB oversize threshold: a freed large
// extent that coalesces with free neighbours to 8 MiB or more is purged at
// once, whatever the decay. A query on the main thread whose relations
// and buffers add up past that (the DataScript comparison's qagg: ~12 MiB)
// then faulted all of them in again on every run: 1,600-3,100 minor
// faults, 2.6 -> 5.8-6.6 ms. The constructor below gives arena 0 the
// threshold the options give the other arenas (later jemalloc versions do
// this themselves).
#include <jemalloc/jemalloc.h>

#include <cstddef>
#include <limits>

extern "C" {
// NOLINTNEXTLINE: the name jemalloc looks up.
const char* malloc_conf = "oversize_threshold:0,dirty_decay_ms:10000,muzzy_decay_ms:0";
}

namespace {

// Best effort: a jemalloc without these controls keeps its own behaviour
// (a matter of page faults, not of results), so a failure is not reported.
__attribute__((constructor)) void ArenaZeroOversizeThreshold() {
  size_t opt = 0, len = sizeof opt;
  if (mallctl("opt.oversize_threshold", &opt, &len, nullptr, 0) != 0) return;
  // 0: no oversize arena and no eager purge of large extents.
  size_t threshold = opt == 0 ? std::numeric_limits<size_t>::max() : opt;
  (void)mallctl("arena.0.oversize_threshold", nullptr, nullptr, &threshold, sizeof threshold);
}

}  // namespace
