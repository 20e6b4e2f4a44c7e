// cli/process_stats.h — the process's memory, as `strata run` reports it:
// jemalloc's counters (the strata binary links jemalloc as its malloc) and
// the kernel's peak resident set size.
//
// Thread safety: the functions may be called from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace strata::cli {

struct JemallocStats {
  bool ok = false;  // false when jemalloc (or its statistics) is not there
  uint64_t allocated = 0;  // bytes the application holds
  uint64_t resident = 0;   // bytes of physically resident allocator pages
};
// Refreshes jemalloc's statistics epoch, then reads stats.allocated and
// stats.resident. Costs a few microseconds: sample, do not poll.
JemallocStats ReadJemallocStats();
// "5.3.0-0-g..." or empty when mallctl does not answer.
std::string JemallocVersion();

// getrusage(RUSAGE_SELF) ru_maxrss in bytes.
uint64_t PeakRssBytes();
// Resets the kernel's peak RSS to the current RSS (Linux: "5" to
// /proc/self/clear_refs), so the next PeakRssBytes() covers what follows.
// False when that is not possible; the peak then counts from process start.
bool ResetPeakRss();

}  // namespace strata::cli
