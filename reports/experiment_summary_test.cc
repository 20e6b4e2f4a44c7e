// summary.md of `strata experiment` on hand-made results whose figures are
// known by construction: the early and late windows of the job CPU and of
// the import rate, medians over repetitions, the bar's marks, and which
// parameters go in the header. (cli/experiment_command_test.cc checks the
// table of a real run against figures recomputed from its results files.)

#include <gtest/gtest.h>

#include "reports/experiment_summary.h"

namespace strata::reports {
namespace {

TEST(ExperimentSummary, ImportRateInterpolatesBetweenSamples) {
  harness::Timeline t;
  t.t_ms = {100, 200, 300};
  t.datoms = {1000, 1500, 1500};
  // 500 datoms at 50 ms (from the origin), 1250 at 150 ms: 750 in 0.1 s.
  EXPECT_DOUBLE_EQ(*ImportRate(t, 500, 1250), 7500);
  EXPECT_FALSE(ImportRate(t, 500, 1600).has_value());  // never reached
  EXPECT_FALSE(ImportRate(t, 1500, 1500).has_value());  // no time between
}

TEST(ExperimentSummary, JobCpuCountsTheJobsOverlappingTheWindow) {
  std::vector<harness::Job> jobs(4);
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].db_datoms = 1000 * (i + 1);  // job i covers (1000 i, 1000 (i + 1)]
    jobs[i].novelty_datoms = 1000;
    jobs[i].cpu_ms = static_cast<double>(i + 1);
  }
  // [1500, 2500] overlaps jobs 2 and 3 (1,2 ms over 2000 datoms: 1.5 µs each).
  EXPECT_DOUBLE_EQ(*JobCpuPerNoveltyDatom(jobs, 1500, 2500), 2.5);
  // [2000, 2000] touches job 2's end only: job 2 alone.
  EXPECT_DOUBLE_EQ(*JobCpuPerNoveltyDatom(jobs, 2000, 2000), 2);
  EXPECT_FALSE(JobCpuPerNoveltyDatom(jobs, 5000, 6000).has_value());
  EXPECT_FALSE(JobCpuPerNoveltyDatom({}, 0, 1).has_value());
}

// 100 jobs of 1000 datoms, job i using i ms × `cpu` of CPU; an import at
// 10k datoms/s to 50,000 datoms, then 5k/s to 100,000, then idle samples
// (the final indexing).
harness::CellResult MakeRun(const std::string& ratio, int rep, double cpu, double wa) {
  harness::CellResult c;
  c.key = {"c" + ratio + std::to_string(rep), "uniform", 2, "adaptive", {{"sync", "batch"}, {"level_ratio", ratio}}, rep};
  harness::ResultsFile& f = c.results;
  f.context.git_commit = "abc123";
  f.context.hostname = "box";
  f.context.cpu_model = "CPU X";
  f.context.cpus = 2;
  f.context.memory_bytes = 24ull << 30;
  f.context.date = rep == 1 ? "2026-12-07T06:00:00Z" : "2026-12-07T07:00:00Z";
  f.context.load_avg = {rep * 1.0, 0, 0};
  harness::Summary& s = f.summary;
  s.datoms = 100000;
  s.jobs = 100;
  s.write_amplification = wa;
  s.max_read_sources = 9;
  s.read_segments_per_point_read = 1.5;
  s.storage_bytes = 300;
  s.storage_live_bytes = 200;
  s.datoms_rewritten = 250000;  // 2.5 per novelty datom
  s.peak_rss_bytes = 64ull << 20;
  s.import_s = 15;
  s.final_index_ms = 500;
  for (int i = 1; i <= 100; ++i) {
    harness::Job j;
    j.job = static_cast<uint64_t>(i);
    j.db_datoms = 1000u * static_cast<uint64_t>(i);
    j.novelty_datoms = 1000;
    j.cpu_ms = i * cpu;
    j.datoms_rewritten = 100u * static_cast<uint64_t>(i);
    f.jobs.push_back(j);
  }
  harness::Timeline t;
  uint64_t d = 0;
  for (int k = 0; k <= 160; ++k) {
    t.t_ms.push_back(100.0 * k);
    t.datoms.push_back(d);
    d = std::min<uint64_t>(100000, d + (d < 50000 ? 1000 : 500));
  }
  f.timeline = t;
  return c;
}

TEST(ExperimentSummary, FiguresOfOneRun) {
  const FlatnessFigures f = Flatness(MakeRun("4", 1, 1, 3).results);
  // Early [1000, 3000]: jobs 1-3, (1+2+3) ms / 3000 datoms = 2 µs; late
  // [90000, 100000]: jobs 90-100, 1045 ms / 11000 datoms = 95 µs.
  EXPECT_DOUBLE_EQ(*f.cpu_us_early, 2);
  EXPECT_DOUBLE_EQ(*f.cpu_us_late, 95);
  EXPECT_DOUBLE_EQ(*f.CpuGrowth(), 47.5);
  // 10k datoms/s early; 90,000 reached at 13 s, 100,000 at 15 s: 5k/s late.
  EXPECT_DOUBLE_EQ(*f.rate_early, 10000);
  EXPECT_DOUBLE_EQ(*f.rate_late, 5000);
  EXPECT_DOUBLE_EQ(*f.RateRatio(), 0.5);
  EXPECT_DOUBLE_EQ(*f.space_amplification, 1.5);
  EXPECT_DOUBLE_EQ(*f.rewritten_per_novelty_datom, 2.5);
  EXPECT_DOUBLE_EQ(*f.rewritten_early, 0.2);  // (100 + 200 + 300) / 3000
  EXPECT_DOUBLE_EQ(*f.rewritten_late, 9.5);   // 104,500 / 11,000
  EXPECT_DOUBLE_EQ(*f.wall_s, 15.5);
  // Nothing recorded: no figure.
  harness::ResultsFile empty;
  empty.summary.absent = ~0ull;
  const FlatnessFigures none = Flatness(empty);
  EXPECT_FALSE(none.datoms || none.cpu_us_early || none.rate_early || none.space_amplification);
}

TEST(ExperimentSummary, ARowPerConfigurationWithMediansAndTheBar) {
  // level_ratio 4 twice (CPU ×1 and ×2), level_ratio 8 once.
  const std::vector<harness::CellResult> cells = {MakeRun("4", 1, 1, 3), MakeRun("8", 1, 1, 6), MakeRun("4", 2, 2, 3)};
  const std::string md = ExperimentSummary("my experiment", cells);
  EXPECT_EQ(md.rfind("# my experiment\n", 0), 0u) << md;
  EXPECT_NE(md.find("3 finished cells (2 configurations"), std::string::npos) << md;
  EXPECT_NE(md.find("**commit**: abc123 (clean)"), std::string::npos) << md;
  EXPECT_NE(md.find("**machine**: box: CPU X, 2 cores, 24.0 GiB memory"), std::string::npos) << md;
  EXPECT_NE(md.find("**started**: 2026-12-07T06:00:00Z to 2026-12-07T07:00:00Z; 1-minute load average then 1.00 to 2.00"),
            std::string::npos)
      << md;
  // sync is the same everywhere: the header; level_ratio varies: the rows.
  EXPECT_NE(md.find("**parameters of every cell**: sync=batch\n"), std::string::npos) << md;
  // level_ratio 4: medians of CPU 2 and 4 µs early, 95 and 190 late; the
  // growth is 47.5 in both; write amp 3 meets the bar, 9 sources miss it.
  EXPECT_NE(md.find("| uniform | 2 | adaptive | level_ratio=4 | 2 | 100,000 | 100 | 3.00 ✓ | 9 ✗ | 1.50 | 1.50 | 2.50 (0.20 → 9.50) | "
                    "3.00 → 142.50 µs (×47.50 ✗) | 10.0k → 5.00k/s (×0.50 ✗) | 64 MiB | 15.5 s |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| uniform | 2 | adaptive | level_ratio=8 | 1 | 100,000 | 100 | 6.00 ✗ |"), std::string::npos) << md;
  EXPECT_EQ(ExperimentSummary("t", {}), "# t\n\nNo finished cells yet.\n");
}

}  // namespace
}  // namespace strata::reports
