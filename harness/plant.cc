// Planted slowdowns (see plant.h).
//
// Calibration (scripts/perf-icount's workload, unplanted; docs/harness.md
// "Planted slowdowns" has the figures): the
// commit region costs kCommitInstructionsPerDatom instructions per datom
// committed, and each read of the uniform workload the instructions in
// kReadInstructions on average. A planted P% burns P% of those. Reads of
// other workloads are planted at kOtherReadInstructions.

#include "harness/plant.h"

#include <cstdlib>
#include <cstring>

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
  return PlantedSlowdown{Pct("STRATA_PLANT_SLOW_COMMIT_PCT"), Pct("STRATA_PLANT_SLOW_READ_PCT")};
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

}  // namespace strata::harness
