// Process memory figures (see process_stats.h).

#include "process_stats.h"

#include <jemalloc/jemalloc.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cstdio>

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
