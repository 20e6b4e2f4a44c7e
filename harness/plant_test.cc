// The planted slowdowns' CPU knobs (harness/plant.h): the burn is the
// asked share of the operation's time, in CPU time of the calling thread.
// The bounds are generous (a factor of 2 on a CPU-time measurement, which
// waiting for a core does not inflate), so a loaded machine does not fail
// them, while a burn that is off by its calibration, or not on this
// thread, would.

#include "harness/plant.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace strata::harness {
namespace {

using Clock = std::chrono::steady_clock;

TEST(ThreadCpu, CountsThisThreadsWorkNotItsSleep) {
  const uint64_t a = ThreadCpuNs();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t slept = ThreadCpuNs() - a;
  EXPECT_LT(slept, 5'000'000u) << "sleeping is not CPU time";
  const uint64_t b = ThreadCpuNs();
  BurnInstructions(20'000'000);  // several ms of CPU
  EXPECT_GT(ThreadCpuNs() - b, 1'000'000u);
}

TEST(ThreadCpu, CpuBetweenTakesOffTheClocksOwnCost) {
  const uint64_t cost = ThreadCpuClockCostNs();
  EXPECT_GT(cost, 0u);
  EXPECT_LT(cost, 100'000u);
  EXPECT_EQ(CpuBetween(1000, 1000 + cost), 0u);
  EXPECT_EQ(CpuBetween(1000, 1000 + cost + 7), 7u);
  EXPECT_EQ(CpuBetween(1000, 900), 0u);
  // An operation's CPU also loses its two steady-clock reads (tens of ns).
  const uint64_t op = OperationCpuNs(1000, 1000 + cost + 1'000'000);
  EXPECT_LT(op, 1'000'000u);
  EXPECT_GT(op, 1'000'000u - 10'000);
}

// BurnCpuNs(ns) uses about ns of this thread's CPU time.
TEST(CpuBurn, BurnsTheAskedCpuTime) {
  CalibrateCpuBurn();
  for (uint64_t ns : {50'000u, 2'000'000u}) {
    const uint64_t a = ThreadCpuNs();
    BurnCpuNs(ns);
    const uint64_t used = CpuBetween(a, ThreadCpuNs());
    EXPECT_GT(used, ns / 2) << "asked " << ns;
    EXPECT_LT(used, ns * 2) << "asked " << ns;
  }
  EXPECT_EQ(BurnCpuNs(0), 0u);
}

// An operation of about 4 ms of CPU, then PlantCpuWork(P): it asks P% of
// the CPU time the operation used (less its clock reads' cost), and uses
// about that much CPU time, however long the thread waited for a core.
TEST(CpuBurn, PlantCpuWorkIsPPercentOfTheOperationsCpu) {
  CalibrateCpuBurn();
  for (uint32_t pct : {5u, 20u}) {
    const uint64_t cpu0 = ThreadCpuNs();
    const Clock::time_point t0 = Clock::now();
    BurnInstructions(30'000'000);
    const uint64_t op_cpu = CpuBetween(cpu0, ThreadCpuNs());
    const uint64_t cpu1 = ThreadCpuNs();
    const uint64_t asked = PlantCpuWork(pct, t0, cpu0);
    const uint64_t burnt = CpuBetween(cpu1, ThreadCpuNs());
    const uint64_t expected = op_cpu * pct / 100;
    EXPECT_GE(asked, expected - expected / 10) << pct;  // the reads of op_cpu count too
    EXPECT_LE(asked, expected + expected / 10 + 10'000) << pct;
    EXPECT_GT(burnt, asked / 2) << pct;
    EXPECT_LT(burnt, asked * 2) << pct;
    std::printf("pct %u: operation %.3f ms CPU, asked %.3f ms, burnt %.3f ms CPU: %.2f%% of the operation's CPU\n",
                pct, op_cpu / 1e6, asked / 1e6, burnt / 1e6, 100.0 * burnt / op_cpu);
  }
  EXPECT_EQ(PlantCpuWork(0, Clock::now() - std::chrono::seconds(1), 0), 0u);
}

// An operation too short for the thread's CPU clock (P% of it is less
// than two reads of that clock) is measured by its wall time: nothing is
// asked beyond P% of the time since it began.
TEST(CpuBurn, ShortOperationsAreMeasuredByWallTime) {
  CalibrateCpuBurn();
  const uint64_t cpu0 = ThreadCpuNs();
  const Clock::time_point t0 = Clock::now();
  BurnInstructions(1000);
  const uint64_t asked = PlantCpuWork(5, t0, cpu0);
  const uint64_t since = static_cast<uint64_t>(std::chrono::nanoseconds(Clock::now() - t0).count());
  EXPECT_LE(asked, since * 5 / 100);
}

TEST(PlantedSlowdown, CpuKnobsFromTheEnvironment) {
  ::setenv("STRATA_PLANT_SLOW_COMMIT_CPU_PCT", "5", 1);
  ::setenv("STRATA_PLANT_SLOW_READ_CPU_PCT", "7", 1);
  PlantedSlowdown p = PlantedSlowdownFromEnv();
  EXPECT_EQ(p.commit_cpu_pct, 5u);
  EXPECT_EQ(p.read_cpu_pct, 7u);
  EXPECT_EQ(p.commit_pct, 0u);
  EXPECT_TRUE(p.any());
  ::setenv("STRATA_PLANT_SLOW_READ_CPU_PCT", "x", 1);
  ::unsetenv("STRATA_PLANT_SLOW_COMMIT_CPU_PCT");
  p = PlantedSlowdownFromEnv();
  EXPECT_EQ(p.commit_cpu_pct, 0u);
  EXPECT_EQ(p.read_cpu_pct, 0u);
  EXPECT_FALSE(p.any());
  ::unsetenv("STRATA_PLANT_SLOW_READ_CPU_PCT");
}

}  // namespace
}  // namespace strata::harness
