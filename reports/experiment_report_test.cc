// The experiment report's model: the Pareto front, and which charts a set
// of cells gives (every chart the page promises, with data).

#include <gtest/gtest.h>

#include <set>

#include "reports/experiment_report.h"

namespace strata::reports {
namespace {

TEST(ParetoFront, KeepsThePointsNoOtherBeatsEverywhere) {
  // (write amp, segments per read, space amp), all to be minimized.
  const std::vector<std::vector<double>> pts = {
      {2, 8, 1.1},   // cheap writes, many segments: on the front
      {10, 1, 1.0},  // expensive writes, one segment: on the front
      {5, 3, 1.5},   // between: on the front
      {6, 4, 1.6},   // worse than {5,3,1.5} everywhere: off
      {5, 3, 1.5},   // a tie with its twin: neither beats the other
  };
  EXPECT_EQ(ParetoFront(pts), (std::vector<bool>{true, true, true, false, true}));
  EXPECT_EQ(ParetoFront({}), std::vector<bool>{});
}

harness::CellResult Cell(const std::string& strategy, const std::string& ratio, int rep, double wa, double segs) {
  harness::CellResult c;
  c.key = {strategy + ratio + std::to_string(rep), "uniform", 1, strategy, {}, rep};
  if (!ratio.empty()) c.key.parameters["level_ratio"] = ratio;
  harness::Summary& s = c.results.summary;
  s.write_amplification = wa;
  s.read_segments_per_point_read = segs;
  s.storage_bytes = 300;
  s.storage_live_bytes = 100;
  for (int i = 1; i <= 3; ++i) {
    harness::Job j;
    j.job = static_cast<uint64_t>(i);
    j.db_datoms = 1000u * static_cast<uint64_t>(i);
    j.cpu_ms = i * 1.5 + rep;
    j.novelty_datoms = 500;
    j.wall_ms = i * 2.0;
    j.bytes_written = 4096u * static_cast<uint64_t>(i);
    c.results.jobs.push_back(j);
  }
  harness::Timeline t;
  t.t_ms = {0, 100, 200, 300};
  t.jobs = {0, 1, 2, 3};
  t.storage_live_bytes = {-1, 100, 200, 300};
  t.storage_garbage_bytes = {-1, 50, 0, 600};
  c.results.timeline = t;
  return c;
}

TEST(ExperimentModel, EveryChartHasData) {
  std::vector<harness::CellResult> cells;
  for (int rep = 1; rep <= 2; ++rep) {
    cells.push_back(Cell("cow-tree", "", rep, 12, 1));
    for (const char* r : {"2", "4", "8"}) cells.push_back(Cell("adaptive", r, rep, 8.0 / std::stod(r) + 2, std::stod(r)));
  }
  const Json m = ExperimentModel("t", cells);
  std::set<std::string> ids;
  for (const Json& c : m["charts"]) {
    EXPECT_FALSE(c.contains("missing")) << c.dump();
    ids.insert(c["id"].get<std::string>());
  }
  // job cost (two), tail, RUM, job timeline, space over time, and two sweeps of level_ratio.
  ASSERT_EQ(ids.size(), 8u);
  for (const char* prefix : {"job-cost-", "job-cost-per-datom-", "job-tail-", "rum-", "job-timeline-", "space-", "sweep-level_ratio-write_amplification-",
                             "sweep-level_ratio-read_segments_per_point_read-"}) {
    bool found = false;
    for (const std::string& id : ids) found = found || id.rfind(prefix, 0) == 0;
    EXPECT_TRUE(found) << prefix;
  }
  // The band: per job the median over repetitions, and the min and max.
  const Json& cost = m["charts"][0];
  ASSERT_EQ(cost["kind"], "band");
  const Json& first = cost["series"][0]["points"][0];  // "adaptive level_ratio=2", job 1: cpu 2.5 and 3.5
  EXPECT_EQ(first, Json::array({1000.0, 3.0, 2.5, 3.5}));
  // Per novelty datom: µs = ms * 1000 / 500.
  EXPECT_EQ(m["charts"][1]["series"][0]["points"][0], Json::array({1000.0, 6.0, 5.0, 7.0}));
  // The RUM chart: one point per configuration; cow-tree (12 WA, 1 segment)
  // and adaptive 2 (6, 2), 4 (4, 4), 8 (3, 8) are all on the front.
  const Json& rum = m["charts"][3];
  ASSERT_EQ(rum["series"].size(), 4u);
  for (const Json& s : rum["series"]) EXPECT_TRUE(s["pareto"].get<bool>()) << s.dump();
  // The sweep: write amplification against level_ratio, adaptive only.
  const Json& space = m["charts"][5];
  ASSERT_EQ(space["series"].size(), 2u * 4);  // live and garbage per configuration
  EXPECT_EQ(space["series"][1]["points"], Json::parse("[[100.0, 50.0], [200.0, 0.0], [300.0, 600.0]]"));  // nulls left out
  const Json& sweep = m["charts"][6];
  ASSERT_EQ(sweep["series"].size(), 1u);
  EXPECT_EQ(sweep["series"][0]["label"], "adaptive");
  EXPECT_EQ(sweep["series"][0]["points"], Json::parse("[[2.0, 6.0], [4.0, 4.0], [8.0, 3.0]]"));
}

TEST(ExperimentModel, NoCellsSaysSo) {
  const Json m = ExperimentModel("t", {});
  ASSERT_EQ(m["charts"].size(), 1u);
  EXPECT_TRUE(m["charts"][0].contains("missing"));
}

}  // namespace
}  // namespace strata::reports
