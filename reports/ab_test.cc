#include "reports/ab.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace strata::reports {
namespace {

// Synthetic interleaved pairs: the machine's speed drifts from pair to pair
// (shared by both runs of a pair, up to ±drift), each run has its own noise
// (normal, sd `noise`), and the new build is `shift` slower (0.05 = 5%).
struct Pairs {
  std::vector<double> base, next;
};
Pairs MakePairs(std::mt19937_64& rng, size_t n, double shift, double noise, double drift = 0.03) {
  std::normal_distribution<double> z(0, 1);
  std::uniform_real_distribution<double> u(-drift, drift);
  Pairs p;
  for (size_t i = 0; i < n; ++i) {
    const double machine = 100 * (1 + u(rng));
    p.base.push_back(machine * (1 + noise * z(rng)));
    p.next.push_back(machine * (1 + shift) * (1 + noise * z(rng)));
  }
  return p;
}

AbFigure Figure(const Pairs& p, const AbOptions& o, Better better = Better::kLower) {
  AbFigure f;
  f.subject = "s";
  f.metric = "tx p50_us";
  f.better = better;
  f.base = p.base;
  f.next = p.next;
  f.stats = AbTest(f.base, f.next, o);
  return f;
}

AbVerdict JudgeOne(const Pairs& p, const AbOptions& o, Better better = Better::kLower) {
  std::vector<AbFigure> v{Figure(p, o, better)};
  JudgeAbFigures(o, &v);
  return v[0].verdict;
}

TEST(AbTest, ExactRandomizationPOfASmallCase) {
  // Three pairs, new all 10 higher: of the 8 swap patterns only none and
  // all give |difference of medians| >= 10, so p = 2/8.
  const std::vector<double> base = {1, 2, 3}, next = {11, 12, 13};
  const AbStats s = AbTest(base, next, AbOptions{});
  EXPECT_TRUE(s.exact);
  EXPECT_DOUBLE_EQ(s.p, 0.25);
  EXPECT_DOUBLE_EQ(s.base_median, 2);
  EXPECT_DOUBLE_EQ(s.new_median, 12);
  EXPECT_DOUBLE_EQ(s.change_pct, 500);
}

TEST(AbTest, KnownShiftIsFoundWithItsInterval) {
  std::mt19937_64 rng(7);
  const AbOptions o;  // threshold 3%
  int found = 0, covered = 0;
  for (int trial = 0; trial < 50; ++trial) {
    const Pairs p = MakePairs(rng, 12, 0.05, 0.01);
    const AbFigure f = Figure(p, o);
    if (JudgeOne(p, o) == AbVerdict::kRegression) ++found;
    if (f.stats.ci_low_pct <= 5 && 5 <= f.stats.ci_high_pct) ++covered;
  }
  EXPECT_GE(found, 48) << "a 5% slowdown with 1% noise and 12 pairs";
  EXPECT_GE(covered, 40) << "the 95% interval holds the true change";
}

TEST(AbTest, ShiftInTheBetterDirectionIsAnImprovement) {
  std::mt19937_64 rng(8);
  const AbOptions o;
  EXPECT_EQ(JudgeOne(MakePairs(rng, 12, -0.05, 0.01), o), AbVerdict::kImprovement);
  // A rate (higher is better) that went up 5%: an improvement; down: a regression.
  EXPECT_EQ(JudgeOne(MakePairs(rng, 12, 0.05, 0.01), o, Better::kHigher), AbVerdict::kImprovement);
  EXPECT_EQ(JudgeOne(MakePairs(rng, 12, -0.05, 0.01), o, Better::kHigher), AbVerdict::kRegression);
}

TEST(AbTest, PValueHoldsItsLevelWithoutAShift) {
  // With no shift, p < 0.05 should happen about 5% of the time (the test is
  // exact under exchangeability), and with the threshold it hardly ever
  // becomes a regression.
  std::mt19937_64 rng(9);
  AbOptions o;
  o.bootstrap = 200;
  int significant = 0, regressions = 0, decided_same = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    const Pairs p = MakePairs(rng, 12, 0, 0.01);
    const AbFigure f = Figure(p, o);
    if (f.stats.p < 0.05) ++significant;
    const AbVerdict v = JudgeOne(p, o);
    if (v == AbVerdict::kRegression) ++regressions;
    if (v == AbVerdict::kNoChange) ++decided_same;
  }
  EXPECT_GE(significant, 6);   // 1.5%: a test that never fires is broken too
  EXPECT_LE(significant, 36);  // 9%
  EXPECT_EQ(regressions, 0);
  EXPECT_GE(decided_same, trials * 9 / 10) << "1% noise is well inside a 3% threshold";
}

TEST(AbTest, FamilyOfFiguresStaysNearAlpha) {
  // Ten figures per comparison, none changed, threshold 0 so only the test
  // decides: Holm keeps "any figure flagged" near 5%, where ten unadjusted
  // tests would flag about 40% of comparisons.
  std::mt19937_64 rng(10);
  AbOptions o;
  o.threshold_pct = 0;
  o.bootstrap = 50;
  int any = 0;
  const int comparisons = 100;
  for (int c = 0; c < comparisons; ++c) {
    std::vector<AbFigure> figures;
    for (int k = 0; k < 10; ++k) figures.push_back(Figure(MakePairs(rng, 12, 0, 0.01), o));
    JudgeAbFigures(o, &figures);
    bool flagged = false;
    for (const AbFigure& f : figures) flagged = flagged || f.verdict == AbVerdict::kRegression;
    any += flagged;
  }
  EXPECT_LE(any, 12);
}

TEST(AbTest, NoisyMachineIsUndecidedNotGuessed) {
  std::mt19937_64 rng(11);
  const AbOptions o;
  int noisy = 0;
  for (int t = 0; t < 20; ++t) {
    // 15% run-to-run noise against a 3% threshold, no change.
    const Pairs p = MakePairs(rng, 12, 0, 0.15);
    const AbVerdict v = JudgeOne(p, o);
    EXPECT_NE(v, AbVerdict::kNoChange) << "an interval this wide cannot rule out a 3% change";
    noisy += v == AbVerdict::kTooNoisy;
  }
  EXPECT_GE(noisy, 19);
}

TEST(AbTest, PairedRatioCancelsDriftBetweenPairs) {
  // Pairs drift ±20% together and the new build is 4% slower with 0.5% own
  // noise: the difference of medians is swamped by which pairs happen to
  // be fast, the paired ratio is not.
  std::mt19937_64 rng(12);
  AbOptions medians, paired;
  paired.statistic = AbStatistic::kPairedRatio;
  int by_medians = 0, by_pairs = 0;
  for (int t = 0; t < 20; ++t) {
    const Pairs p = MakePairs(rng, 12, 0.04, 0.005, 0.20);
    by_medians += JudgeOne(p, medians) == AbVerdict::kRegression;
    by_pairs += JudgeOne(p, paired) == AbVerdict::kRegression;
    const AbStats s = AbTest(p.base, p.next, paired);
    EXPECT_NEAR(s.change_pct, 4, 1);
  }
  EXPECT_EQ(by_pairs, 20);
  EXPECT_LT(by_medians, 15);
}

TEST(AbTest, PairedRatioExactP) {
  // Log ratios 0.1, 0.2, 0.3: Walsh averages 0.1 0.15 0.2 0.2 0.25 0.3,
  // Hodges-Lehmann 0.2. Of the 8 sign flips only none and all reach
  // |estimate| 0.2 (flipping 0.1 alone gives 0.15): p = 2/8.
  const std::vector<double> base = {10, 20, 40};
  const std::vector<double> next = {10 * std::exp(0.1), 20 * std::exp(0.3), 40 * std::exp(0.2)};
  AbOptions o;
  o.statistic = AbStatistic::kPairedRatio;
  const AbStats s = AbTest(base, next, o);
  EXPECT_TRUE(s.exact);
  EXPECT_DOUBLE_EQ(s.p, 0.25);
  EXPECT_NEAR(s.change_pct, (std::exp(0.2) - 1) * 100, 1e-9);
  EXPECT_GE(s.ci_low_pct, (std::exp(0.1) - 1) * 100 - 1e-9);
  EXPECT_LE(s.ci_high_pct, (std::exp(0.3) - 1) * 100 + 1e-9);
}

TEST(AbTest, PairedRatioAllOneWayIsAsSignificantAsItCanBe) {
  // Twelve pairs all slower: a handful of the 4096 sign flips reach the
  // estimate (none, all, and flips of the smallest ratios that move it
  // little). A median of the ratios does not move at all when the five
  // smallest flip, which left p near 0.2 in real runs.
  std::vector<double> base, next;
  for (int i = 0; i < 12; ++i) {
    base.push_back(100 + i);
    next.push_back((100 + i) * (1.05 + 0.004 * i));
  }
  AbOptions o;
  o.statistic = AbStatistic::kPairedRatio;
  EXPECT_LE(AbTest(base, next, o).p, 4.0 / 4096);
}

// A loaded machine sometimes slows one run of a pair by 20-50% (measured:
// docs/harness.md). Pairs whose |ln ratio| is over 4x the median are left
// out, so 22 pairs 5% slower with 1% noise, with 8 such pairs among them
// (either sign), are a regression with an interval as narrow as the clean
// pairs give; kept in, those pairs widen it.
TEST(AbTest, PairedRatioLeavesDisturbedPairsOut) {
  std::mt19937_64 rng(5);
  AbOptions o;
  o.statistic = AbStatistic::kPairedRatio;
  AbOptions keep_all = o;
  keep_all.outlier_factor = 0;
  for (int t = 0; t < 5; ++t) {
    Pairs p = MakePairs(rng, 30, 0.05, 0.01);
    for (size_t i : {1u, 4u, 8u, 11u, 15u, 19u, 22u, 26u}) p.next[i] *= (i % 2 ? 1.45 : 0.6);
    const AbStats kept = AbTest(p.base, p.next, o), all = AbTest(p.base, p.next, keep_all);
    EXPECT_EQ(kept.pairs_left_out, 8u);
    EXPECT_EQ(all.pairs_left_out, 0u);
    EXPECT_NEAR(kept.change_pct, 5, 1);
    EXPECT_EQ(JudgeOne(p, o), AbVerdict::kRegression);
    EXPECT_LT((kept.ci_high_pct - kept.ci_low_pct) * 1.5, all.ci_high_pct - all.ci_low_pct)
        << "kept [" << kept.ci_low_pct << ", " << kept.ci_high_pct << "], all [" << all.ci_low_pct << ", "
        << all.ci_high_pct << "]";
  }
  // The rule sees only |ln ratio|: swapping base and new in every pair
  // leaves out the same pairs and gives the same p.
  Pairs p = MakePairs(rng, 30, 0.05, 0.01);
  p.next[3] *= 1.5;
  const AbStats a = AbTest(p.base, p.next, o), b = AbTest(p.next, p.base, o);
  EXPECT_EQ(a.pairs_left_out, 1u);
  EXPECT_EQ(b.pairs_left_out, 1u);
  EXPECT_DOUBLE_EQ(a.p, b.p);
  EXPECT_NEAR(a.change_pct, -b.change_pct / (1 + b.change_pct / 100), 1e-9);
}

TEST(AbTest, TooFewPairsIsUndecided) {
  const std::vector<double> one = {100}, other = {200};
  const AbStats s = AbTest(one, other, AbOptions{});
  EXPECT_DOUBLE_EQ(s.p, 1);
  EXPECT_TRUE(std::isinf(s.ci_low_pct));
  std::vector<AbFigure> v(1);
  v[0].stats = s;
  JudgeAbFigures(AbOptions{}, &v);
  EXPECT_EQ(v[0].verdict, AbVerdict::kTooNoisy);
}

ResultSet SyntheticRun(double tx_p50, double counter, const std::string& source) {
  ResultSet r;
  r.source = source;
  r.format = "strata-run";
  Subject s;
  s.name = "adaptive";
  s.metrics.push_back(Metric{"tx p50_us", "us", MetricKind::kTiming, Better::kLower, {tx_p50, tx_p50 + 1, tx_p50 + 2}});
  s.metrics.push_back(Metric{"tx mean_us", "us", MetricKind::kTiming, Better::kLower, {tx_p50}});
  s.metrics.push_back(Metric{"read entity-by-id p99_us", "us", MetricKind::kTiming, Better::kLower, {tx_p50}});
  s.metrics.push_back(Metric{"read entity-by-id p50_us", "us", MetricKind::kTiming, Better::kLower, {tx_p50}});
  s.metrics.push_back(Metric{"index_bytes_written", "bytes", MetricKind::kCounter, Better::kLower, {counter}});
  r.subjects.push_back(s);
  return r;
}

TEST(CompareAb, GatesTheNamedFiguresOfPairedRuns) {
  std::vector<ResultSet> base, next;
  for (int i = 0; i < 12; ++i) {
    base.push_back(SyntheticRun(100 + i, 1000, "base-" + std::to_string(i)));
    next.push_back(SyntheticRun(110 + i, 1000, "new-" + std::to_string(i)));
  }
  next.push_back(SyntheticRun(110, 1000, "new-extra"));
  auto r = CompareAb(base, next, AbOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pairs, 12u);
  // tx p50 and the read's p50: not the mean, the read's p99 or the counter.
  ASSERT_EQ(r->figures.size(), 2u);
  EXPECT_EQ(r->figures[0].metric, "tx p50_us");
  EXPECT_EQ(r->figures[1].metric, "read entity-by-id p50_us");
  // A run's value is the median of its repetitions.
  EXPECT_DOUBLE_EQ(r->figures[0].base[0], 101);
  EXPECT_TRUE(r->regressed());
  EXPECT_EQ(r->RegressionNames().size(), 2u);
  bool noted = false;
  for (const std::string& n : r->notes) noted = noted || n.find("13 new runs") != std::string::npos;
  EXPECT_TRUE(noted);
  const std::string md = AbToMarkdown(*r, "perf-ab");
  EXPECT_NE(md.find("FAIL: 2 regressions"), std::string::npos) << md;
  EXPECT_NE(md.find("**REGRESSION**"), std::string::npos) << md;
}

// A run with CPU-time figures: tx cpu p10 as given, a wall-clock tx p50
// that is pure noise (alternating far apart, so never decided).
ResultSet RunWithCpu(double tx_cpu_p10, double wall, const std::string& source) {
  ResultSet r;
  r.source = source;
  r.format = "strata-run";
  Subject s;
  s.name = "adaptive";
  s.metrics.push_back(Metric{"tx p50_us", "us", MetricKind::kTiming, Better::kLower, {wall}});
  s.metrics.push_back(Metric{"tx cpu p10_us", "us", MetricKind::kTiming, Better::kLower, {tx_cpu_p10}});
  s.metrics.push_back(Metric{"tx cpu p50_us", "us", MetricKind::kTiming, Better::kLower, {tx_cpu_p10}});
  s.metrics.push_back(Metric{"read entity-by-id cpu p10_us", "us", MetricKind::kTiming, Better::kLower, {tx_cpu_p10}});
  s.metrics.push_back(Metric{"read entity-by-id cpu p50_us", "us", MetricKind::kTiming, Better::kLower, {tx_cpu_p10}});
  r.subjects.push_back(s);
  return r;
}

// The CPU-time figures' p10 are gated (not their p50); with --decide cpu
// (the default) a pass needs them decided, and a wall-clock figure too
// noisy to decide is shown but not required; --decide all requires it.
TEST(CompareAb, CpuFiguresDecideAPass) {
  std::vector<ResultSet> base, next;
  for (int i = 0; i < 16; ++i) {
    const double cpu = 100 + (i % 4) * 0.1;
    base.push_back(RunWithCpu(cpu, i % 2 ? 50 : 150, "b"));
    next.push_back(RunWithCpu(cpu * 1.001, i % 2 ? 150 : 50, "n"));
  }
  auto r = CompareAb(base, next, AbOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->figures.size(), 3u);
  EXPECT_EQ(r->figures[0].metric, "tx p50_us");
  EXPECT_FALSE(r->figures[0].cpu);
  EXPECT_EQ(r->figures[1].metric, "tx cpu p10_us");
  EXPECT_TRUE(r->figures[1].cpu);
  EXPECT_EQ(r->figures[2].metric, "read entity-by-id cpu p10_us");
  EXPECT_EQ(r->figures[0].verdict, AbVerdict::kTooNoisy);
  EXPECT_EQ(r->figures[1].verdict, AbVerdict::kNoChange);
  EXPECT_FALSE(r->regressed());
  EXPECT_FALSE(r->undecided());
  EXPECT_NE(AbToText(*r).find("PASS: no regression beyond 3% (decided on the 2 CPU-time figures; 1 wall-clock"),
            std::string::npos)
      << AbToText(*r);
  AbOptions all;
  all.decide = AbDecide::kAll;
  auto r2 = CompareAb(base, next, all);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->undecided());
  // A 5% CPU slowdown (on top of the 0.1%) is a regression.
  for (ResultSet& n : next)
    for (Metric& m : n.subjects[0].metrics)
      if (m.name == "tx cpu p10_us") m.samples[0] *= 1.05;
  auto r3 = CompareAb(base, next, AbOptions{});
  ASSERT_TRUE(r3.ok());
  EXPECT_TRUE(r3->regressed());
  ASSERT_EQ(r3->RegressionNames().size(), 1u);
  EXPECT_EQ(r3->RegressionNames()[0].rfind("adaptive tx cpu p10_us +5.1%", 0), 0u) << r3->RegressionNames()[0];
}

// Runs without CPU-time figures (older builds) need every figure decided.
TEST(CompareAb, WithoutCpuFiguresEveryFigureMustBeDecided) {
  std::vector<ResultSet> base, next;
  for (int i = 0; i < 12; ++i) {
    base.push_back(SyntheticRun(i % 2 ? 50 : 150, 1, "b"));
    next.push_back(SyntheticRun(i % 2 ? 150 : 50, 1, "n"));
  }
  auto r = CompareAb(base, next, AbOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->regressed());
  EXPECT_TRUE(r->undecided());
}

TEST(CompareAb, RefusesBadOptionsAndMixedFormats) {
  std::vector<ResultSet> base = {SyntheticRun(1, 1, "a")}, next = {SyntheticRun(1, 1, "b")};
  AbOptions o;
  o.alpha = 0;
  EXPECT_FALSE(CompareAb(base, next, o).ok());
  EXPECT_FALSE(CompareAb({}, next, AbOptions{}).ok());
  next[0].format = "google-benchmark";
  EXPECT_FALSE(CompareAb(base, next, AbOptions{}).ok());
}

TEST(CompareAb, FewPairsSaySoAndCannotRegress) {
  std::vector<ResultSet> base, next;
  for (int i = 0; i < 4; ++i) {
    base.push_back(SyntheticRun(100, 1, "b"));
    next.push_back(SyntheticRun(200, 1, "n"));
  }
  auto r = CompareAb(base, next, AbOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->regressed());
  EXPECT_TRUE(r->undecided());
  bool noted = false;
  for (const std::string& n : r->notes) noted = noted || n.find("cannot reach significance") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace strata::reports
