// Planted slowdowns (see plant.h).
//
// Calibration (scripts/perf-icount's workload, unplanted; docs/harness.md
// "Planted slowdowns" has the figures): the
// commit region costs kCommitInstructionsPerDatom instructions per datom
// committed, and each read of the uniform workload the instructions in
// kReadInstructions on average. A planted P% burns P% of those. Reads of
// other workloads are planted at kOtherReadInstructions. The CPU knobs
// need no calibration against a workload: they measure the operation
// (PlantCpuWork) and the burn loop's speed (CpuNsPerInstruction).

#include "harness/plant.h"

#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace strata::harness {

namespace {

// Measured 2026-12-07 on scripts/perf-icount's workload (uniform --scale
// 0.1 --seed 1 --memory-index-threshold 64k --read-ratio 1 --icount under
// callgrind, the mean of adaptive and full-rebuild): commit 95,322,966 and
// 96,277,067 Ir over 9,462 datoms; as-of-entity 39,494,578 and 38,833,352
// Ir over 74 reads, attr-range 12,423,988 and 10,808,351 over 61,
// entity-by-id 12,324,771 and 12,320,474 over 65. A read's cost depends on
// the database's shape (sources to merge), so on other workloads the
// planted share of a read differs (docs/harness.md gives perf-ci's).
constexpr uint64_t kCommitInstructionsPerDatom = 10100;
struct ReadCost {
  const char* name;
  uint64_t instructions;
};
constexpr ReadCost kReadInstructions[] = {
    {"entity-by-id", 189600},
    {"attr-range", 190400},
    {"as-of-entity", 529200},
};
constexpr uint64_t kOtherReadInstructions = 300000;  // about their mean

// The loop's body: one xorshift step, 11 instructions with gcc 12 -O2
// (3 moves, 3 shifts, 3 xors, the decrement and the branch).
constexpr uint64_t kInstructionsPerStep = 11;

uint32_t Pct(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  const unsigned long n = std::strtoul(v, &end, 10);
  return *end == '\0' && n <= 1000 ? static_cast<uint32_t>(n) : 0;
}

}  // namespace

PlantedSlowdown PlantedSlowdownFromEnv() {
  return PlantedSlowdown{Pct("STRATA_PLANT_SLOW_COMMIT_PCT"), Pct("STRATA_PLANT_SLOW_READ_PCT"),
                         Pct("STRATA_PLANT_SLOW_COMMIT_CPU_PCT"), Pct("STRATA_PLANT_SLOW_READ_CPU_PCT")};
}

[[gnu::noinline]] uint64_t BurnInstructions(uint64_t n) {
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (uint64_t steps = n / kInstructionsPerStep; steps > 0; --steps) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));  // one step per iteration, nothing folded away
  }
  return x;
}

void PlantCommitWork(const PlantedSlowdown& p, uint64_t datoms) {
  if (p.commit_pct == 0) return;
  BurnInstructions(kCommitInstructionsPerDatom * datoms * p.commit_pct / 100);
}

void PlantReadWork(const PlantedSlowdown& p, const std::string& read_name) {
  if (p.read_pct == 0) return;
  uint64_t cost = kOtherReadInstructions;
  for (const ReadCost& r : kReadInstructions)
    if (read_name == r.name) cost = r.instructions;
  BurnInstructions(cost * p.read_pct / 100);
}

uint64_t ThreadCpuNs() {
  timespec ts{};
  // The calling thread's own CPU clock is always there on Linux (a clock
  // id the kernel has had since 2.6.12); the call cannot fail for it.
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t ThreadCpuClockCostNs() {
  static const uint64_t cost = [] {
    std::vector<uint64_t> d(1001);
    for (uint64_t& x : d) {
      const uint64_t a = ThreadCpuNs();
      x = ThreadCpuNs() - a;
    }
    std::nth_element(d.begin(), d.begin() + 500, d.end());
    return d[500];
  }();
  return cost;
}

uint64_t CpuBetween(uint64_t start, uint64_t end) {
  const uint64_t cost = ThreadCpuClockCostNs();
  return end > start + cost ? end - start - cost : 0;
}

namespace {

// What one steady_clock::now() costs: the median difference of
// back-to-back reads.
uint64_t SteadyClockCostNs() {
  static const uint64_t cost = [] {
    std::vector<uint64_t> d(1001);
    for (uint64_t& x : d) {
      const auto a = std::chrono::steady_clock::now();
      x = static_cast<uint64_t>(std::chrono::nanoseconds(std::chrono::steady_clock::now() - a).count());
    }
    std::nth_element(d.begin(), d.begin() + 500, d.end());
    return d[500];
  }();
  return cost;
}

}  // namespace

uint64_t OperationCpuNs(uint64_t start, uint64_t end) {
  const uint64_t cpu = CpuBetween(start, end), clocks = 2 * SteadyClockCostNs();
  return cpu > clocks ? cpu - clocks : 0;
}

namespace {

// CPU ns per BurnInstructions instruction on this thread: the median of
// bursts of kBurst instructions (about 70 us each).
double CpuNsPerInstruction() {
  constexpr uint64_t kBurst = 200'000;
  static const double rate = [] {
    std::vector<double> r;
    for (int i = 0; i < 9; ++i) {
      const uint64_t a = ThreadCpuNs();
      BurnInstructions(kBurst);
      r.push_back(static_cast<double>(CpuBetween(a, ThreadCpuNs())) / kBurst);
    }
    std::nth_element(r.begin(), r.begin() + 4, r.end());
    return std::max(r[4], 1e-3);
  }();
  return rate;
}

}  // namespace

uint64_t BurnCpuNs(uint64_t ns) {
  if (ns == 0) return 0;
  const uint64_t n = static_cast<uint64_t>(static_cast<double>(ns) / CpuNsPerInstruction());
  BurnInstructions(n);
  return n;
}

void CalibrateCpuBurn() {
  CpuNsPerInstruction();
  SteadyClockCostNs();
}

uint64_t PlantCpuWork(uint32_t pct, std::chrono::steady_clock::time_point start, uint64_t start_cpu_ns) {
  if (pct == 0) return 0;
  const int64_t took = std::chrono::nanoseconds(std::chrono::steady_clock::now() - start).count();
  uint64_t want = took > 0 ? static_cast<uint64_t>(took) * pct / 100 : 0;
  uint64_t cost = SteadyClockCostNs();
  const uint64_t cpu_clock = ThreadCpuClockCostNs();
  if (want >= 2 * cpu_clock) {  // long enough to afford the thread's CPU clock: measure CPU itself
    want = CpuBetween(start_cpu_ns, ThreadCpuNs()) * pct / 100;
    cost += cpu_clock;
  }
  const uint64_t ask = want > cost ? want - cost : 0;
  BurnCpuNs(ask);
  return ask;
}

}  // namespace strata::harness
