// Planted slowdowns (see plant.h).
//
// Calibration (scripts/perf-icount on the perf-ci workload, unplanted,
// adaptive; docs/harness.md "Planted slowdowns" has the figures): the
// commit region costs kCommitInstructionsPerDatom instructions per datom
// committed, and each read of the uniform workload the instructions in
// kReadInstructions on average. A planted P% burns P% of those. Reads of
// other workloads are planted at kOtherReadInstructions.

#include "harness/plant.h"

#include <cstdlib>
#include <cstring>

namespace strata::harness {

namespace {

// Measured 2026-12-07 (uniform --scale 0.2 --seed 1, adaptive,
// --memory-index-threshold 128k --read-ratio 1 --icount under callgrind):
// commit 197,980,952 Ir over 18,928 datoms; as-of-entity 46,612,338 Ir over
// 152 reads, attr-range 9,801,029 over 109, entity-by-id 48,223,096 over 139.
constexpr uint64_t kCommitInstructionsPerDatom = 10459;
struct ReadCost {
  const char* name;
  uint64_t instructions;
};
constexpr ReadCost kReadInstructions[] = {
    {"entity-by-id", 346929},
    {"attr-range", 89917},
    {"as-of-entity", 306660},
};
constexpr uint64_t kOtherReadInstructions = 250000;  // about their mean

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
