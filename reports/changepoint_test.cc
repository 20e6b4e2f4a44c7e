#include "reports/changepoint.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace strata::reports {
namespace {

// n commits of a figure around 100 with relative noise `noise` (normal).
std::vector<double> Noise(std::mt19937_64& rng, size_t n, double noise) {
  std::normal_distribution<double> z(0, 1);
  std::vector<double> v;
  for (size_t i = 0; i < n; ++i) v.push_back(100 * (1 + noise * z(rng)));
  return v;
}

TEST(EDivisive, PlantedStepIsFoundAtItsCommit) {
  std::mt19937_64 rng(1);
  // 12 commits, 1% noise, +8% from commit k on, for every k a segment of
  // two allows.
  for (size_t k = 2; k <= 10; ++k) {
    std::vector<double> v = Noise(rng, 12, 0.01);
    for (size_t i = k; i < v.size(); ++i) v[i] *= 1.08;
    const auto cps = EDivisive(v, ChangePointOptions{});
    ASSERT_EQ(cps.size(), 1u) << "step at " << k;
    EXPECT_EQ(cps[0].index, k);
    EXPECT_LT(cps[0].p, 0.05);
    EXPECT_NEAR(cps[0].change_pct, 8, 2.5);
  }
}

TEST(EDivisive, ExactCountersStepIsFound) {
  // A counter: no noise at all, a step at commit 6 of 10.
  std::vector<double> v(10, 1000);
  for (size_t i = 6; i < v.size(); ++i) v[i] = 1040;
  const auto cps = EDivisive(v, ChangePointOptions{});
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 6u);
  EXPECT_DOUBLE_EQ(cps[0].change_pct, 4);
}

TEST(EDivisive, TwoStepsAreBothFound) {
  std::mt19937_64 rng(2);
  std::vector<double> v = Noise(rng, 24, 0.01);
  for (size_t i = 8; i < v.size(); ++i) v[i] *= 1.10;
  for (size_t i = 16; i < v.size(); ++i) v[i] *= 0.85;
  const auto cps = EDivisive(v, ChangePointOptions{});
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_EQ(cps[0].index, 8u);
  EXPECT_EQ(cps[1].index, 16u);
  EXPECT_GT(cps[0].change_pct, 5);
  EXPECT_LT(cps[1].change_pct, -5);
}

TEST(EDivisive, SlowDriftOverTenCommitsIsFound) {
  // Ten commits each 1% slower (10% in all) after five flat ones, then five
  // flat again, 0.5% noise: no single step, yet the drift is found, inside
  // the drifting stretch, and moving the right way.
  std::mt19937_64 rng(3);
  int found = 0;
  for (int t = 0; t < 10; ++t) {
    std::vector<double> v = Noise(rng, 20, 0.005);
    for (size_t i = 0; i < v.size(); ++i) v[i] *= 1 + 0.01 * static_cast<double>(std::clamp<size_t>(i, 5, 15) - 5);
    const auto cps = EDivisive(v, ChangePointOptions{});
    if (cps.empty()) continue;
    ++found;
    for (const ChangePoint& c : cps) {
      EXPECT_GE(c.index, 5u);
      EXPECT_LE(c.index, 16u);
      EXPECT_GT(c.change_pct, 0);
    }
  }
  EXPECT_EQ(found, 10);
}

TEST(EDivisive, NoChangeGivesNoChangePointMostOfTheTime) {
  // Each test is at level 0.05: about 5% of flat series get one.
  std::mt19937_64 rng(4);
  ChangePointOptions o;
  o.seed = 9;
  int with = 0;
  for (int t = 0; t < 60; ++t) with += !EDivisive(Noise(rng, 15, 0.02), o).empty();
  EXPECT_LE(with, 8);
  // A flat counter never has one.
  const std::vector<double> flat(15, 42);
  EXPECT_TRUE(EDivisive(flat, o).empty());
}

TEST(EDivisive, TooShortSeriesHasNone) {
  const std::vector<double> v = {1, 1, 100};
  EXPECT_TRUE(EDivisive(v, ChangePointOptions{}).empty());
}

}  // namespace
}  // namespace strata::reports
