#include "reports/report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_util.h"

namespace strata::reports {
namespace {

const std::string kTestdata = STRATA_REPORTS_TESTDATA;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Json* Chart(const Json& model, const std::string& id) {
  for (const Json& c : model["charts"])
    if (c["id"] == id) return &c;
  return nullptr;
}

std::vector<RunFile> Files(const std::string& dir) {
  auto f = ReadRunFiles(dir);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : std::vector<RunFile>{};
}

TEST(ReportModel, JobChartsHaveALinePerStrategy) {
  const Json m = ReportModel(Files(kTestdata + "/run-a"));
  EXPECT_EQ(m["strategies"], Json::array({"adaptive", "cow-tree", "full-rebuild"}));
  // Files written before jobs recorded their storage round trips: that
  // chart says so instead of drawing zeros.
  ASSERT_NE(Chart(m, "job-round-trips"), nullptr);
  EXPECT_TRUE(Chart(m, "job-round-trips")->contains("missing"));
  for (const char* id : {"job-bytes", "job-segments", "job-wall", "write-amp"}) {
    const Json* c = Chart(m, id);
    ASSERT_NE(c, nullptr) << id;
    ASSERT_FALSE(c->contains("missing")) << id;
    ASSERT_EQ((*c)["series"].size(), 3u) << id;
    EXPECT_EQ((*c)["series"][0]["points"].size(), 15u) << id;  // 15 jobs
    EXPECT_FALSE((*c)["x_label"].get<std::string>().empty());
    EXPECT_FALSE((*c)["y_label"].get<std::string>().empty());
  }
  // Database size grows job by job.
  const Json& pts = (*Chart(m, "job-bytes"))["series"][0]["points"];
  EXPECT_LT(pts[0][0].get<double>(), pts[14][0].get<double>());
  // The last cumulative write amplification is the summary's.
  const Json& wa = (*Chart(m, "write-amp"))["series"][0]["points"];
  const Json file = testing::ReadJson(kTestdata + "/run-a/results-adaptive.json");
  EXPECT_NEAR(wa.back()[1].get<double>(), file["summary"]["write_amplification"].get<double>(), 1e-9);
  // Reads: one bar per query, p50 and p99 per strategy.
  const Json* reads = Chart(m, "reads");
  ASSERT_NE(reads, nullptr);
  EXPECT_EQ((*reads)["labels"], Json::array({"as-of-entity", "attr-range", "entity-by-id"}));
  EXPECT_EQ((*reads)["series"].size(), 6u);
}

TEST(ReportModel, OverTimeChartsSayNotRecordedWithoutATimeline) {
  const Json m = ReportModel(Files(kTestdata + "/run-a"));
  const Json* tx = Chart(m, "tx-latency");
  ASSERT_NE(tx, nullptr);
  EXPECT_NE((*tx)["missing"].get<std::string>().find("not recorded"), std::string::npos);
  ASSERT_NE(Chart(m, "throughput"), nullptr);
  EXPECT_TRUE(Chart(m, "throughput")->contains("missing"));
  // Memory index: the per-job peaks instead, saying so.
  const Json* mem = Chart(m, "memory-index");
  ASSERT_NE(mem, nullptr);
  EXPECT_FALSE(mem->contains("missing"));
  EXPECT_NE((*mem)["note"].get<std::string>().find("not recorded"), std::string::npos);
}

TEST(ReportModel, TimelineGivesLatencyWithJobMarksAndMemoryOverTime) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", true);
  const Json m = ReportModel(Files(dir));
  const Json* tx = Chart(m, "tx-latency-adaptive");
  ASSERT_NE(tx, nullptr);
  EXPECT_EQ((*tx)["series"].size(), 3u);  // p50, p99, max
  EXPECT_EQ((*tx)["marks"].size(), 15u);  // one per job
  ASSERT_NE(Chart(m, "tx-latency-full-rebuild"), nullptr);
  EXPECT_EQ(Chart(m, "tx-latency"), nullptr);
  const Json* mem = Chart(m, "memory-index");
  EXPECT_EQ((*mem)["title"], "Memory-index size over time");
  EXPECT_FALSE(mem->contains("note"));
  EXPECT_FALSE(Chart(m, "throughput")->contains("missing"));
}

TEST(ReportModel, ContextAndWarnings) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  j["context"]["release"] = false;
  j["context"]["build_type"] = "Debug";
  j["context"]["git_commit"] = "0123abc";
  testing::WriteJson(dir + "/results-adaptive.json", j);
  const Json m = ReportModel(Files(dir));
  EXPECT_EQ(m["release"], false);
  EXPECT_EQ(m["build_type"], "Debug");
  const std::string warnings = m["warnings"].dump();
  EXPECT_NE(warnings.find("differ in commit"), std::string::npos) << warnings;
  const std::string context = m["context"].dump();
  for (const char* key : {"workload", "scale", "seed", "commit", "build", "machine", "options"})
    EXPECT_NE(context.find(std::string("\"") + key + "\""), std::string::npos) << key;
  // The strategy is not an option that differs between the files.
  EXPECT_EQ(m["context"].dump().find("strategy=adaptive"), std::string::npos);
  const std::string md = SummaryMarkdown(Files(dir));
  EXPECT_NE(md.find("WARNING: not a release build (Debug)"), std::string::npos) << md;
}

TEST(WriteReport, WritesHtmlWithChartJsInlinedAndMarkdown) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-a", false);
  const std::string fake = dir + "/fake-chart.js";
  std::ofstream(fake) << "/* FAKE CHART.JS */ window.Chart = undefined;";
  auto r = WriteReport(dir, fake);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->charts);
  EXPECT_EQ(r->canvases, 6);  // 3 job charts, write amplification, memory index (per job), reads
  const std::string html = Slurp(r->html_path);
  EXPECT_NE(html.find("/* FAKE CHART.JS */"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // nothing to fetch at view time
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("id=\"charts-ok\""), std::string::npos);
  const std::string md = Slurp(r->markdown_path);
  EXPECT_NE(md.find("| strategy | reps |"), std::string::npos) << md;
  EXPECT_NE(md.find("| adaptive | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cow-tree | 3 |"), std::string::npos) << md;
}

TEST(WriteReport, WithoutChartJsSaysHowToGetItAndStillWritesMarkdown) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
  auto r = WriteReport(dir, dir + "/no-such-chart.js");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->charts);
  EXPECT_EQ(r->canvases, 0);
  const std::string html = Slurp(r->html_path);
  EXPECT_NE(html.find("scripts/setup"), std::string::npos);
  EXPECT_NE(html.find("STRATA_CHARTJS"), std::string::npos);
  EXPECT_NE(Slurp(r->markdown_path).find("| adaptive |"), std::string::npos);
  bool warned = false;
  for (const std::string& w : r->warnings) warned = warned || w.find("no-such-chart.js") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(WriteReport, DataCannotCloseItsScriptElement) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  j["context"]["command"] = "strata run </script><script>alert(1)</script>";
  testing::WriteJson(dir + "/results-adaptive.json", j);
  auto r = WriteReport(dir, "/nonexistent");
  ASSERT_TRUE(r.ok());
  // The data element ends at the first "</script>" after it starts: all
  // of the JSON must lie before that.
  const std::string html = Slurp(r->html_path);
  const std::string open = "id=\"report-data\">";
  const size_t start = html.find(open) + open.size();
  const size_t end = html.find("</script>", start);
  ASSERT_NE(end, std::string::npos);
  const Json data = Json::parse(html.substr(start, end - start), nullptr, false);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_NE(data["context"].dump().find("alert(1)"), std::string::npos);
}

TEST(WriteReport, RejectsFoldersWithoutResults) {
  const std::string dir = testing::FreshDir("empty");
  EXPECT_TRUE(WriteReport(dir).status().IsNotFound());
  EXPECT_FALSE(WriteReport(dir + "/missing").ok());
}

TEST(ChartJsPath, EnvironmentOverridesTheBuiltInPath) {
  setenv("STRATA_CHARTJS", "/somewhere/chart.umd.js", 1);
  EXPECT_EQ(ChartJsPath(), "/somewhere/chart.umd.js");
  unsetenv("STRATA_CHARTJS");
  EXPECT_NE(ChartJsPath().find("chart.js/dist/chart.umd.js"), std::string::npos);
}

}  // namespace
}  // namespace strata::reports
