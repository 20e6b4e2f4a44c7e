#include "reports/compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "test_util.h"

namespace strata::reports {
namespace {

const std::string kTestdata = STRATA_REPORTS_TESTDATA;

bool Names(const Comparison& c, const std::string& needle) {
  for (const std::string& n : c.RegressionNames())
    if (n.find(needle) != std::string::npos) return true;
  return false;
}

ResultSet Synthetic(const std::string& subject, const std::string& metric, MetricKind kind, Better better,
                    std::vector<double> samples) {
  ResultSet s;
  s.source = "synthetic";
  s.format = "strata-run";
  s.subjects.push_back(Subject{subject, {Metric{metric, "ms", kind, better, std::move(samples)}}});
  return s;
}

std::vector<double> Normal(double mean, double sd, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(mean, sd);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(d(rng));
  return v;
}

TEST(LoadResultSet, ReadsAStrataRunFolder) {
  auto set = LoadResultSet(kTestdata + "/run-a");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->format, "strata-run");
  ASSERT_EQ(set->subjects.size(), 3u);
  const Subject* a = set->Find("adaptive");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(a->Find("index_segments_written"), nullptr);
  EXPECT_EQ(a->Find("index_segments_written")->kind, MetricKind::kCounter);
  EXPECT_EQ(a->Find("index_segments_written")->samples.size(), 1u);
  // Timings: one sample per repetition.
  ASSERT_NE(a->Find("import_datoms_per_s"), nullptr);
  EXPECT_EQ(a->Find("import_datoms_per_s")->samples.size(), 3u);
  EXPECT_EQ(a->Find("import_datoms_per_s")->better, Better::kHigher);
  ASSERT_NE(a->Find("read entity-by-id p99_us"), nullptr);
  EXPECT_TRUE(set->notes.empty());
  // One file of the folder reads the same.
  auto one = LoadResultSet(kTestdata + "/run-a/results-adaptive.json");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->subjects.size(), 1u);
}

TEST(LoadResultSet, ExplainsWhatIsWrong) {
  EXPECT_TRUE(LoadResultSet("/nonexistent/results").status().IsNotFound());
  const std::string dir = testing::FreshDir("bad");
  EXPECT_TRUE(LoadResultSet(dir).status().IsNotFound());  // no results files
  std::ofstream(dir + "/results-x.json") << "{not json";
  auto bad = LoadResultSet(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("results-x.json"), std::string::npos);
  std::ofstream(dir + "/results-x.json") << R"({"hello": 1})";
  EXPECT_TRUE(LoadResultSet(dir).status().IsInvalidArgument());
}

TEST(LoadResultSet, ReadsGoogleBenchmarkRepetitions) {
  const std::string dir = testing::FreshDir("gb");
  Json j{{"context", {{"library_build_type", "release"}, {"num_cpus", 2}, {"load_avg", {9.5, 8, 7}}}},
         {"benchmarks", Json::array()}};
  for (int i = 0; i < 3; ++i)
    j["benchmarks"].push_back({{"name", "BM_A"}, {"run_name", "BM_A"}, {"run_type", "iteration"},
                               {"repetitions", 3}, {"repetition_index", i}, {"iterations", 100},
                               {"real_time", 1.5 + i}, {"cpu_time", 1.0}, {"time_unit", "us"},
                               {"items_per_second", 1000.0}, {"sources", 4}});
  j["benchmarks"].push_back({{"name", "BM_A_median"}, {"run_name", "BM_A"}, {"run_type", "aggregate"},
                             {"aggregate_name", "median"}, {"real_time", 2.5}, {"time_unit", "us"}});
  j["benchmarks"].push_back({{"name", "BM_B_median"}, {"run_name", "BM_B"}, {"run_type", "aggregate"},
                             {"aggregate_name", "median"}, {"real_time", 7}, {"time_unit", "ms"}});
  testing::WriteJson(dir + "/bench.json", j);
  auto set = LoadResultSet(dir + "/bench.json");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->format, "google-benchmark");
  ASSERT_EQ(set->subjects.size(), 2u);
  const Metric* rt = set->subjects[0].Find("real_time");
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->samples, (std::vector<double>{1500, 2500, 3500}));  // in ns, aggregates skipped
  EXPECT_EQ(set->subjects[0].Find("items_per_second")->better, Better::kHigher);
  EXPECT_EQ(set->subjects[0].Find("sources")->kind, MetricKind::kCounter);
  ASSERT_EQ(set->notes.size(), 1u);
  EXPECT_NE(set->notes[0].find("load average 9.5 on 2 CPUs"), std::string::npos) << set->notes[0];
  // Only aggregates: the median is the one sample.
  EXPECT_EQ(set->subjects[1].Find("real_time")->samples, (std::vector<double>{7e6}));
}

TEST(Compare, TwoRunsOfTheSameBuildPass) {
  auto a = LoadResultSet(kTestdata + "/run-a");
  auto b = LoadResultSet(kTestdata + "/run-b");
  ASSERT_TRUE(a.ok() && b.ok());
  for (const auto& [base, next] : {std::pair{&*a, &*b}, std::pair{&*b, &*a}}) {
    auto c = Compare(*base, *next, {});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_FALSE(c->regressed()) << ComparisonToText(*c);
    for (const ComparisonRow& r : c->rows) {
      if (r.kind == MetricKind::kCounter) {
        EXPECT_EQ(r.verdict, Verdict::kUnchanged) << r.subject << " " << r.metric;
      }
    }
  }
  auto c = Compare(*a, *b, {});
  // cow-tree ran only in run-a; 3 repetitions cannot show a significant timing change.
  const std::string text = ComparisonToText(*c);
  EXPECT_NE(text.find("cow-tree is in the base results only"), std::string::npos) << text;
  EXPECT_NE(text.find("PASS"), std::string::npos);
}

// The planted counter regression: the same run, but one strategy writes
// 25% more segments (as a strategy knob that rewrites more would).
TEST(Compare, PlantedCounterRegressionFailsAndIsNamed) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  const double segments = j["summary"]["index_segments_written"].get<double>();
  ASSERT_EQ(segments, 304);
  j["summary"]["index_segments_written"] = 380;
  for (Json& r : j["repetitions"]) r["index_segments_written"] = 380;
  testing::WriteJson(dir + "/results-adaptive.json", j);

  auto base = LoadResultSet(kTestdata + "/run-b");
  auto planted = LoadResultSet(dir);
  ASSERT_TRUE(base.ok() && planted.ok());
  auto c = Compare(*base, *planted, {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->regressed());
  ASSERT_EQ(c->RegressionNames().size(), 1u) << ComparisonToText(*c);
  EXPECT_EQ(c->RegressionNames()[0], "adaptive index_segments_written +25.0%");
  EXPECT_NE(ComparisonToMarkdown(*c).find("FAIL: 1 regression: adaptive index_segments_written +25.0%"),
            std::string::npos);
  // Reversed, it is an improvement, and improvements pass.
  auto rev = Compare(*planted, *base, {});
  EXPECT_FALSE(rev->regressed());
  // Within a 30% threshold it passes.
  auto loose = Compare(*base, *planted, {.threshold_pct = 30});
  EXPECT_FALSE(loose->regressed());
}

TEST(Compare, CountersNeedNoStatistics) {
  // One sample each, 6% more bytes: a regression at 5%, not at 10%.
  auto base = Synthetic("s", "bytes", MetricKind::kCounter, Better::kLower, {100});
  auto next = Synthetic("s", "bytes", MetricKind::kCounter, Better::kLower, {106});
  EXPECT_TRUE(Compare(base, next, {})->regressed());
  EXPECT_FALSE(Compare(base, next, {.threshold_pct = 10})->regressed());
  // From zero, any increase is new work: a regression.
  auto zero = Synthetic("s", "bytes", MetricKind::kCounter, Better::kLower, {0});
  auto c = Compare(zero, next, {});
  EXPECT_TRUE(c->regressed());
  EXPECT_EQ(c->RegressionNames()[0], "s bytes new");
}

TEST(Compare, TimingsNeedSignificanceAndEffect) {
  const auto base = Normal(100, 2, 10, 1);
  auto shifted = [](std::vector<double> v, double f) {
    for (double& x : v) x *= f;
    return v;
  };
  auto set = [](std::vector<double> v) { return Synthetic("s", "t", MetricKind::kTiming, Better::kLower, v); };
  // 10% slower, clearly significant: regressed.
  auto slow = Compare(set(base), set(shifted(Normal(100, 2, 10, 2), 1.10)), {});
  EXPECT_TRUE(slow->regressed()) << ComparisonToText(*slow);
  EXPECT_LT(slow->rows[0].p, 0.001);
  // 3% slower and significant, but within the 5% threshold: passes.
  auto small = Compare(set(base), set(shifted(Normal(100, 0.5, 10, 3), 1.03)), {});
  EXPECT_FALSE(small->regressed());
  EXPECT_EQ(small->rows[0].verdict, Verdict::kUnchanged);
  // Same distribution, wide noise: medians may differ by > 5%, but not significantly.
  auto noisy = Compare(set(Normal(100, 30, 10, 4)), set(Normal(100, 30, 10, 5)), {});
  EXPECT_FALSE(noisy->regressed()) << ComparisonToText(*noisy);
  // 10% slower with 3 samples each: cannot be significant, so shown, not gated.
  auto few = Compare(set({100, 101, 102}), set({110, 111, 112}), {});
  EXPECT_FALSE(few->regressed());
  EXPECT_EQ(few->rows[0].verdict, Verdict::kUntestable);
  EXPECT_NE(ComparisonToText(*few).find("smallest possible p is 0.1"), std::string::npos);
  // ... unless alpha allows it.
  EXPECT_TRUE(Compare(set({100, 101, 102}), set({110, 111, 112}), {.alpha = 0.15})->regressed());
  // Faster is never a regression.
  EXPECT_FALSE(Compare(set(base), set(shifted(base, 0.5)), {})->regressed());
}

TEST(Compare, HigherIsBetterForRates) {
  auto set = [](std::vector<double> v) { return Synthetic("s", "rate", MetricKind::kTiming, Better::kHigher, v); };
  auto lower = Compare(set({100, 101, 99, 100, 102}), set({80, 81, 79, 80, 82}), {});
  EXPECT_TRUE(lower->regressed());
  EXPECT_EQ(lower->RegressionNames()[0], "s rate -20.0%");
  EXPECT_FALSE(Compare(set({80, 81, 79, 80, 82}), set({100, 101, 99, 100, 102}), {})->regressed());
}

TEST(Compare, RejectsMismatchedInputs) {
  auto a = Synthetic("s", "t", MetricKind::kTiming, Better::kLower, {1});
  auto b = a;
  b.format = "google-benchmark";
  EXPECT_TRUE(Compare(a, b, {}).status().IsInvalidArgument());
  EXPECT_FALSE(Compare(a, a, {.threshold_pct = -1}).ok());
  EXPECT_FALSE(Compare(a, a, {.alpha = 0}).ok());
}

// Two files of different strategies have no figure in common: that is
// not a pass (it printed an empty table and PASS before).
TEST(Compare, DifferentStrategiesCannotBeCompared) {
  auto a = LoadResultSet(kTestdata + "/run-a/results-adaptive.json");
  auto b = LoadResultSet(kTestdata + "/run-a/results-cow-tree.json");
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = Compare(*a, *b, {});
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument());
  EXPECT_NE(c.status().message().find("nothing in common"), std::string::npos) << c.status().ToString();
  EXPECT_NE(c.status().message().find("cow-tree"), std::string::npos) << c.status().ToString();
  // Same subject, disjoint figures: nothing to compare either.
  auto x = Synthetic("s", "t", MetricKind::kTiming, Better::kLower, {1});
  auto y = Synthetic("s", "u", MetricKind::kTiming, Better::kLower, {1});
  EXPECT_NE(Compare(x, y, {}).status().message().find("no figure in common"), std::string::npos);
}

// Runs with different options measure different things: Compare lists the
// differing settings per strategy. A key recorded on one side only (an
// option added since the baseline) is a note, not a difference.
TEST(Compare, FlagsRunsWithDifferentSettings) {
  auto base = LoadResultSet(kTestdata + "/run-b");
  ASSERT_TRUE(base.ok());
  auto same = Compare(*base, *LoadResultSet(kTestdata + "/run-a"), {});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->differences.empty()) << same->differences[0];
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  std::string options = j["context"]["options"].get<std::string>();
  const size_t at = options.find("level_ratio=10");
  ASSERT_NE(at, std::string::npos) << options;
  options.replace(at, 14, "level_ratio=4");
  j["context"]["options"] = options + " new_knob=on";
  j["context"]["build_type"] = "Debug";
  j["seed"] = 2;
  j["context"]["workload_options"] = "workload=uniform scale=0.2 seed=2 read_ratio=1";
  testing::WriteJson(dir + "/results-adaptive.json", j);
  auto next = LoadResultSet(dir);
  ASSERT_TRUE(next.ok());
  auto c = Compare(*base, *next, {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string all = ::testing::PrintToString(c->differences);
  EXPECT_EQ(c->differences.size(), 3u) << all;
  EXPECT_NE(all.find("adaptive: level_ratio 10 -> 4"), std::string::npos) << all;
  EXPECT_NE(all.find("adaptive: seed 1 -> 2"), std::string::npos) << all;
  EXPECT_NE(all.find("adaptive: build RelWithDebInfo -> Debug"), std::string::npos) << all;
  EXPECT_EQ(all.find("full-rebuild"), std::string::npos) << all;
  EXPECT_NE(::testing::PrintToString(c->notes).find("new_knob (new only: on)"), std::string::npos);
  EXPECT_NE(ComparisonToText(*c).find("WARNING: the runs differ in their settings"), std::string::npos);
  EXPECT_NE(ComparisonToMarkdown(*c).find("WARNING: the runs differ in their settings"), std::string::npos);
}

// With live and garbage bytes recorded, garbage not yet collected does not
// regress the gate; live bytes do.
TEST(Compare, GatesLiveStorageBytesAndShowsGarbage) {
  auto with_split = [](double live, double garbage) {
    const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
    for (const char* s : {"adaptive", "full-rebuild"}) {
      const std::string path = dir + "/results-" + s + ".json";
      Json j = testing::ReadJson(path);
      j["summary"]["storage_live_bytes"] = live;
      j["summary"]["storage_garbage_bytes"] = garbage;
      j["summary"]["storage_bytes"] = live + garbage;
      testing::WriteJson(path, j);
    }
    auto set = LoadResultSet(dir);
    EXPECT_TRUE(set.ok()) << set.status().ToString();
    return *set;
  };
  const ResultSet base = with_split(400000, 100000);
  auto more_garbage = Compare(base, with_split(400000, 300000), {});
  ASSERT_TRUE(more_garbage.ok());
  EXPECT_FALSE(more_garbage->regressed()) << ComparisonToText(*more_garbage);
  bool saw_garbage = false;
  for (const ComparisonRow& r : more_garbage->rows) {
    if (r.metric == "storage_bytes" || r.metric == "storage_garbage_bytes") {
      EXPECT_EQ(r.kind, MetricKind::kInfo);
    }
    if (r.metric == "storage_garbage_bytes") saw_garbage = r.change_pct > 100;
  }
  EXPECT_TRUE(saw_garbage) << ComparisonToText(*more_garbage);
  auto more_live = Compare(base, with_split(500000, 100000), {});
  ASSERT_TRUE(more_live.ok());
  EXPECT_TRUE(Names(*more_live, "adaptive storage_live_bytes +25.0%")) << ComparisonToText(*more_live);
  // Without the split (the fixtures as they are) the total is gated.
  auto plain = LoadResultSet(kTestdata + "/run-b");
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  j["summary"]["storage_bytes"] = j["summary"]["storage_bytes"].get<double>() * 2;
  testing::WriteJson(dir + "/results-adaptive.json", j);
  auto total = Compare(*plain, *LoadResultSet(dir), {});
  ASSERT_TRUE(total.ok());
  EXPECT_TRUE(Names(*total, "adaptive storage_bytes +100.0%")) << ComparisonToText(*total);
}

TEST(FormatValue, Units) {
  EXPECT_EQ(FormatValue(2162346, "bytes"), "2.06 MiB");
  EXPECT_EQ(FormatValue(512, "bytes"), "512 B");
  EXPECT_EQ(FormatValue(1500, "ns"), "1.50 us");
  EXPECT_EQ(FormatValue(173.9, "ms"), "174 ms");
  EXPECT_EQ(FormatValue(56365, "datoms/s"), "56.4k datoms/s");
  EXPECT_EQ(FormatValue(304, ""), "304");
  EXPECT_EQ(FormatValue(1.2919, "x"), "1.292x");
}

// The gate on Google Benchmark output: a planted slowdown in the stand-in
// read (STRATA_PLANT_SLOW_READ_US) fails and names the benchmark and figure;
// the figure it leaves alone does not move. The busy-wait is CPU time, so
// cpu_time must catch it; real_time too on a quiet machine, but on one
// oversubscribed by parallel builds waiting for a core can drown it.
TEST(Compare, PlantedSlowReadInGoogleBenchmarkFailsAndIsNamed) {
  const std::string dir = testing::FreshDir("gate");
  auto run = [&](const std::string& name, const std::string& env) {
    const std::string out = dir + "/" + name + ".json";
    const std::string cmd = env + " '" + STRATA_GATE_BENCH + "' --benchmark_repetitions=8 --benchmark_min_time=0.02" +
                            " --benchmark_filter=BM_GateRead --benchmark_out_format=json --benchmark_out='" + out +
                            "' > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  };
  const std::string base = run("base", "");
  const std::string slow = run("slow", "STRATA_PLANT_SLOW_READ_US=20");
  auto b = LoadResultSet(base);
  auto s = LoadResultSet(slow);
  ASSERT_TRUE(b.ok() && s.ok());
  ASSERT_NE(b->Find("BM_GateRead"), nullptr);
  EXPECT_EQ(b->Find("BM_GateRead")->Find("real_time")->samples.size(), 8u);
  auto c = Compare(*b, *s, {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->regressed()) << ComparisonToText(*c);
  EXPECT_TRUE(Names(*c, "BM_GateRead cpu_time")) << ComparisonToText(*c);
  EXPECT_FALSE(Names(*c, "segments_read"));
}

}  // namespace
}  // namespace strata::reports
