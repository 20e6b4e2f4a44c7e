// harness/plant.h — planted slowdowns: test knobs that make `strata run`'s
// measured operations do a known amount of extra CPU work, so the
// performance gates can be shown to catch a slowdown of a known size
// (docs/harness.md, "Planted slowdowns"). The engine has no knob: the work
// is burnt by the harness inside the measured operation (inside its timing
// and inside its callgrind region, harness/icount.h).
//
//   STRATA_PLANT_SLOW_COMMIT_PCT=P  every commit does about P% more
//                                   instructions: per datom it records
//   STRATA_PLANT_SLOW_READ_PCT=P    every timed read does about P% more
//                                   instructions: per read, by its name
//   STRATA_PLANT_SLOW_COMMIT_CPU_PCT=P  every commit uses P% more CPU time
//                                   than it just used, on any workload
//   STRATA_PLANT_SLOW_READ_CPU_PCT=P    every timed read likewise
//
// "About P%": the extra work is P% of calibration constants measured with
// scripts/perf-icount's workload (plant.cc says how), so on that workload
// the planted commit and reads cost P% more instructions, the same number
// on every run (a burn loop, not a clock). Elsewhere a commit still costs
// about P% more (the cost per datom hardly varies); a read's share varies
// with the database's shape.
//
// The CPU knobs are proportional instead: at the end of every commit
// (read), still inside its timing and its region, the harness burns on the
// same thread P% of the CPU time the operation has just used
// (PlantCpuWork), so on any workload and whatever the database's shape the
// operation costs P% more CPU time of its own. The operation's CPU time is
// read from the thread's CPU clock when P% of it is at least twice that
// clock's cost (a system call, about 0.4 us on this project's machine; so
// for operations from about 16 us at P = 5: commits), and its wall time is
// taken for it otherwise (the steady clock, a vDSO read of tens of ns:
// reads of a few us, which a clock system call would slow by more than
// 5% on its own). An operation that short rarely waits, so its wall time
// is its CPU time (a read's p10 of the two agree within 0.1 us, a
// commit's within 1%); one that was descheduled midway gets more than P%. Each clock read's own
// cost is taken off the burn. The burn is a count of instructions at a
// rate measured once per process (BurnCpuNs), so no clock is read while it
// runs. Not deterministic in instructions (the count comes from clocks):
// the instruction-count gate uses the knobs above.
//
// Thread safety: every function may be called from any thread and measures
// or burns the calling thread; the once-per-process measurements are
// function-local statics.
//
// Where a commit's CPU is spent: Connection::Transact is group commit
// (engine/db/commit.cc), and the caller at the front of the writer queue
// leads the group, preparing, logging, syncing and publishing on its own
// thread. `strata run` has one writer, so every commit is led by the run's
// thread and the thread's CPU clock sees all of it (the log's write and
// fsync system time included; waiting for the disk is not CPU). What runs
// on other threads is not the commit: indexing jobs (the job thread, with
// their own cpu_ms) and the sampler. With several writers a follower's
// commit would run on its leader's thread, and its own clock would miss
// it; the harness never has several.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace strata::harness {

struct PlantedSlowdown {
  uint32_t commit_pct = 0;      // $STRATA_PLANT_SLOW_COMMIT_PCT
  uint32_t read_pct = 0;        // $STRATA_PLANT_SLOW_READ_PCT
  uint32_t commit_cpu_pct = 0;  // $STRATA_PLANT_SLOW_COMMIT_CPU_PCT
  uint32_t read_cpu_pct = 0;    // $STRATA_PLANT_SLOW_READ_CPU_PCT
  bool any() const { return commit_pct > 0 || read_pct > 0 || commit_cpu_pct > 0 || read_cpu_pct > 0; }
};

// The knobs from the environment (unset, empty or unparsable: 0).
PlantedSlowdown PlantedSlowdownFromEnv();

// The planted work of one commit that recorded `datoms` datoms, and of one
// read named `read_name`: nothing when the knob is 0.
void PlantCommitWork(const PlantedSlowdown& p, uint64_t datoms);
void PlantReadWork(const PlantedSlowdown& p, const std::string& read_name);

// The calling thread's CPU time so far, in nanoseconds
// (CLOCK_THREAD_CPUTIME_ID: user and system time, not time spent waiting
// for a core or for I/O). A system call: a few hundred ns.
uint64_t ThreadCpuNs();

// What two back-to-back ThreadCpuNs() calls differ by (the median of many,
// measured once per process): the clock's own share of an interval
// between two reads of it, which CpuBetween takes off.
uint64_t ThreadCpuClockCostNs();

// The CPU time of what ran between two ThreadCpuNs() readings `start` and
// `end`: end - start less the clock's own cost, at least 0.
uint64_t CpuBetween(uint64_t start, uint64_t end);

// The CPU time of an operation timed as `strata run` times it (the thread
// CPU clock read at `start`, then the steady clock, the operation, the
// steady clock, the CPU clock at `end`): CpuBetween less the two steady
// clock reads' cost, so about the operation's own.
uint64_t OperationCpuNs(uint64_t start, uint64_t end);

// Burns about `ns` of this thread's CPU time: a count of instructions from
// the rate measured once per process (CPU ns per BurnInstructions
// instruction, the median of a few bursts). Returns the count.
uint64_t BurnCpuNs(uint64_t ns);

// The CPU knobs' work: the operation began at `start`, when this thread's
// CPU clock read `start_cpu_ns`, and has just ended; burns `pct`% of the
// CPU time it used (see above: its wall time when that is short), less
// the cost of the clock reads this makes. Returns the CPU time asked of
// BurnCpuNs, in ns (0 when pct is 0: then nothing is read or burnt).
uint64_t PlantCpuWork(uint32_t pct, std::chrono::steady_clock::time_point start, uint64_t start_cpu_ns);

// Measures now what PlantCpuWork and BurnCpuNs measure once per process
// (the burn rate, the steady clock's cost), so that the first planted
// operation does not.
void CalibrateCpuBurn();

// About `n` instructions of dependent integer work (exactly 4 + 6 per 6
// instructions, see plant.cc); returns a value the caller may ignore.
uint64_t BurnInstructions(uint64_t n);

}  // namespace strata::harness
