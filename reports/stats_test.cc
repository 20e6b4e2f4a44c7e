#include "reports/stats.h"

#include <gtest/gtest.h>

#include <vector>

namespace strata::reports {
namespace {

using M = MannWhitneyMethod;

struct Case {
  std::vector<double> x, y;
  double u, p_exact, p_normal;
};

// Reference values from scipy 1.10: mannwhitneyu(x, y, alternative="two-sided",
// method="exact" / "asymptotic").
const std::vector<Case> kCases = {
    {{1, 2, 3}, {4, 5, 6}, 0, 0.1, 0.08085559837005224},
    {{1, 2, 3, 4}, {5, 6, 7, 8}, 0, 0.02857142857142857, 0.03038282197657749},
    {{1.1, 2.2, 3.3, 4.4, 5.5}, {2.5, 3.5, 6.5, 7.5, 8.5, 9.5}, 5, 0.08225108225108226, 0.0828374251588063},
    {{19, 22, 16, 29, 24}, {20, 11, 17, 12}, 17, 0.1111111111111111, 0.11134688653314041},
    {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
     {2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 14.5, 16.5, 18.5, 20.5},
     30,
     0.0503242887143816,
     0.05175423288653064},
};

TEST(MannWhitney, MatchesScipyExact) {
  for (const Case& c : kCases) {
    const MannWhitneyResult r = MannWhitneyU(c.x, c.y, M::kExact);
    EXPECT_DOUBLE_EQ(r.u, c.u);
    EXPECT_NEAR(r.p, c.p_exact, 1e-12) << "n = " << c.x.size() << ", " << c.y.size();
    EXPECT_TRUE(r.exact);
    // Without ties and with small samples, kAuto picks the exact test.
    EXPECT_NEAR(MannWhitneyU(c.x, c.y).p, c.p_exact, 1e-12);
  }
}

TEST(MannWhitney, MatchesScipyNormalApproximation) {
  for (const Case& c : kCases) {
    const MannWhitneyResult r = MannWhitneyU(c.x, c.y, M::kNormal);
    EXPECT_NEAR(r.p, c.p_normal, 1e-12) << "n = " << c.x.size() << ", " << c.y.size();
    EXPECT_FALSE(r.exact);
  }
}

TEST(MannWhitney, LargerSamplesExact) {
  std::vector<double> x, y;
  for (int i = 0; i < 30; ++i) x.push_back(i);
  for (int i = 0; i < 25; ++i) y.push_back(i + 7.5);
  const MannWhitneyResult r = MannWhitneyU(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 253);
  EXPECT_NEAR(r.p, 0.039302847673477415, 1e-12);
  EXPECT_NEAR(MannWhitneyU(x, y, M::kNormal).p, 0.04000233106564058, 1e-12);
}

TEST(MannWhitney, TiesUseTheNormalApproximationWithTieCorrection) {
  const std::vector<double> x = {1, 2, 2, 3, 3, 3, 4, 5}, y = {3, 4, 4, 5, 5, 6, 7, 7, 8};
  const MannWhitneyResult r = MannWhitneyU(x, y);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 7.5);
  EXPECT_NEAR(r.p, 0.006373133838085873, 1e-12);
  // scipy's "exact" ignores ties; so do we when asked.
  EXPECT_NEAR(MannWhitneyU(x, y, M::kExact).p, 0.005512134923899629, 1e-12);
}

TEST(MannWhitney, IdenticalSamplesAreNotDifferent) {
  const std::vector<double> same = {5, 5, 5};
  EXPECT_DOUBLE_EQ(MannWhitneyU(same, same).p, 1);
  EXPECT_DOUBLE_EQ(MannWhitneyU(same, same).u, 4.5);
  const std::vector<double> a = {1, 2, 3, 4}, b = {1.5, 2.5, 3.5, 4.5};
  EXPECT_GT(MannWhitneyU(a, b).p, 0.5);
  EXPECT_DOUBLE_EQ(MannWhitneyU(std::vector<double>{}, a).p, 1);
}

TEST(MannWhitney, SymmetricInItsArguments) {
  const std::vector<double> x = {3.1, 4.7, 2.2, 8.0, 5.5}, y = {6.1, 7.3, 9.9, 4.8, 10.2, 8.8};
  const MannWhitneyResult a = MannWhitneyU(x, y), b = MannWhitneyU(y, x);
  EXPECT_DOUBLE_EQ(a.p, b.p);
  EXPECT_DOUBLE_EQ(a.u + b.u, 30);
}

TEST(MannWhitney, MinimumP) {
  EXPECT_DOUBLE_EQ(MinimumTwoSidedP(3, 3), 0.1);  // why 3 repetitions can never reach p < 0.05
  EXPECT_NEAR(MinimumTwoSidedP(4, 4), 0.02857142857142857, 1e-15);
  EXPECT_DOUBLE_EQ(MinimumTwoSidedP(1, 1), 1);
  EXPECT_NEAR(MannWhitneyU(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6}).p, MinimumTwoSidedP(3, 3),
              1e-15);
}

TEST(Median, OddEvenEmpty) {
  EXPECT_EQ(Median({}), 0);
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
}

}  // namespace
}  // namespace strata::reports
