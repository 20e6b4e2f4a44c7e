// harness/plant.h — planted slowdowns: test knobs that make `strata run`'s
// measured operations do a deterministic amount of extra CPU work, so the
// performance gates can be shown to catch a slowdown of a known size
// (docs/harness.md, "Planted slowdowns"). The engine has no knob: the work
// is burnt by the harness inside the measured operation (inside its timing
// and inside its callgrind region, harness/icount.h).
//
//   STRATA_PLANT_SLOW_COMMIT_PCT=P  every commit does about P% more
//                                   instructions: per datom it records
//   STRATA_PLANT_SLOW_READ_PCT=P    every timed read does about P% more
//                                   instructions: per read, by its name
//
// "About P%": the extra work is P% of calibration constants measured with
// scripts/perf-icount on the perf-ci workload (plant.cc says how), so on
// that workload the planted commit and reads cost P% more instructions,
// and the same number on every run (a burn loop, not a clock).
#pragma once

#include <cstdint>
#include <string>

namespace strata::harness {

struct PlantedSlowdown {
  uint32_t commit_pct = 0;  // $STRATA_PLANT_SLOW_COMMIT_PCT
  uint32_t read_pct = 0;    // $STRATA_PLANT_SLOW_READ_PCT
  bool any() const { return commit_pct > 0 || read_pct > 0; }
};

// The knobs from the environment (unset, empty or unparsable: 0).
PlantedSlowdown PlantedSlowdownFromEnv();

// The planted work of one commit that recorded `datoms` datoms, and of one
// read named `read_name`: nothing when the knob is 0.
void PlantCommitWork(const PlantedSlowdown& p, uint64_t datoms);
void PlantReadWork(const PlantedSlowdown& p, const std::string& read_name);

// About `n` instructions of dependent integer work (exactly 4 + 6 per 6
// instructions, see plant.cc); returns a value the caller may ignore.
uint64_t BurnInstructions(uint64_t n);

}  // namespace strata::harness
