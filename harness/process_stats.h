// harness/process_stats.h — the process's memory and the machine's load, as
// `strata run` reports them: jemalloc's counters (the strata binary links
// jemalloc as its malloc), the kernel's peak resident set size, the load
// average.
//
// Thread safety: the functions may be called from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace strata::harness {

struct JemallocStats {
  bool ok = false;  // false when jemalloc (or its statistics) is not there
  uint64_t allocated = 0;  // stats.allocated: bytes the application holds
  uint64_t active = 0;     // stats.active: bytes in pages holding allocations
  uint64_t resident = 0;   // stats.resident: bytes of physically resident allocator pages
  uint64_t mapped = 0;     // stats.mapped: bytes in the allocator's active extents
};
// Refreshes jemalloc's statistics epoch, then reads stats.allocated,
// .active, .resident and .mapped. Costs a few microseconds: sample, do not
// poll.
JemallocStats ReadJemallocStats();
// "5.3.0-0-g..." or empty when mallctl does not answer.
std::string JemallocVersion();

// getrusage(RUSAGE_SELF) ru_maxrss in bytes.
uint64_t PeakRssBytes();
// Resets the kernel's peak RSS to the current RSS (Linux: "5" to
// /proc/self/clear_refs), so the next PeakRssBytes() covers what follows.
// False when that is not possible; the peak then counts from process start.
bool ResetPeakRss();

// The 1, 5 and 15 minute load averages (getloadavg); -1 each when unknown.
struct LoadAverage {
  double m1 = -1, m5 = -1, m15 = -1;
};
LoadAverage ReadLoadAverage();

}  // namespace strata::harness
