// Process memory figures (see process_stats.h).

#include "process_stats.h"

#include <jemalloc/jemalloc.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cstdio>

// jemalloc's options for the strata process (MALLOC_CONF still overrides).
// By default allocations over 8 MiB (a memory-index run, a job's novelty in
// one order) come from an arena that returns their pages at once, and freed
// pages elsewhere decay within 10 s: an import then faulted ~350 fresh pages
// per 1,000 datoms. Keeping large allocations in the normal arenas and
// letting freed pages decay over 30 s: mbrainz-synth scale 8, 2.1M -> 0.8M
// minor faults, 5.2 -> 2.3 s of system time, peak RSS 590 -> 680-740 MB
// (docs/performance.md).
extern "C" {
// NOLINTNEXTLINE: the name jemalloc looks up.
const char* malloc_conf = "oversize_threshold:0,dirty_decay_ms:30000,muzzy_decay_ms:30000";
}

namespace strata::harness {

namespace {

bool ReadSize(const char* name, uint64_t* out) {
  size_t v = 0, len = sizeof v;
  if (mallctl(name, &v, &len, nullptr, 0) != 0) return false;
  *out = v;
  return true;
}

}  // namespace

JemallocStats ReadJemallocStats() {
  JemallocStats s;
  // Statistics are cached per epoch; advancing it refreshes them.
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  if (mallctl("epoch", &epoch, &len, &epoch, len) != 0) return s;
  s.ok = ReadSize("stats.allocated", &s.allocated) && ReadSize("stats.active", &s.active) &&
         ReadSize("stats.resident", &s.resident) && ReadSize("stats.mapped", &s.mapped);
  return s;
}

std::string JemallocVersion() {
  const char* v = nullptr;
  size_t len = sizeof v;
  if (mallctl("version", &v, &len, nullptr, 0) != 0 || v == nullptr) return "";
  return v;
}

uint64_t PeakRssBytes() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

bool ResetPeakRss() {
  FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

LoadAverage ReadLoadAverage() {
  double l[3];
  LoadAverage a;
  if (getloadavg(l, 3) == 3) a = LoadAverage{l[0], l[1], l[2]};
  return a;
}

}  // namespace strata::harness
