#include "reports/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "reports/compare.h"
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
  ASSERT_EQ((*tx)["series"].size(), 3u);  // p50, p99, max
  EXPECT_EQ((*tx)["marks"].size(), 15u);  // one per job
  ASSERT_NE(Chart(m, "tx-latency-full-rebuild"), nullptr);
  EXPECT_EQ(Chart(m, "tx-latency"), nullptr);
  // Each percentile line names its strategy (the hue) and its percentile
  // (shade and dash), not only "p50" (which took another strategy's colour).
  std::set<std::string> stats;
  for (const Json& s : (*tx)["series"]) {
    EXPECT_EQ(s["strategy"], "adaptive");
    stats.insert(s["stat"].get<std::string>());
    EXPECT_EQ(s["label"], "adaptive " + s["stat"].get<std::string>());
  }
  EXPECT_EQ(stats, (std::set<std::string>{"p50", "p99", "max"}));
  for (const char* family : {"memory-index", "throughput"}) {
    const Json* a = Chart(m, std::string(family) + "-adaptive");
    const Json* f = Chart(m, std::string(family) + "-full-rebuild");
    ASSERT_NE(a, nullptr) << family;
    ASSERT_NE(f, nullptr) << family;
    EXPECT_EQ((*a)["family"], family);
    EXPECT_FALSE(a->contains("note"));
    EXPECT_EQ((*a)["series"].size(), 1u);
  }
}

// Over time, each strategy gets its own chart and time axis (small
// multiples) on one shared y range: a run 10x shorter is not squeezed into
// the first tenth of an axis shared with the slow one.
TEST(ReportModel, OverTimeChartsAreSmallMultiplesOnTheirOwnTimeAxes) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", true);
  Json slow = testing::ReadJson(dir + "/results-full-rebuild.json");
  for (Json& t : slow["timeline"]["t_ms"]) t = t.get<double>() * 10;
  testing::WriteJson(dir + "/results-full-rebuild.json", slow);
  const Json m = ReportModel(Files(dir));
  EXPECT_EQ(Chart(m, "throughput"), nullptr);
  for (const char* family : {"tx-latency", "throughput", "memory-index"}) {
    const Json* fast = Chart(m, std::string(family) + "-adaptive");
    const Json* slow_chart = Chart(m, std::string(family) + "-full-rebuild");
    ASSERT_NE(fast, nullptr) << family;
    ASSERT_NE(slow_chart, nullptr) << family;
    const double fast_end = (*fast)["series"][0]["points"].back()[0].get<double>();
    const double slow_end = (*slow_chart)["series"][0]["points"].back()[0].get<double>();
    EXPECT_NEAR(slow_end, 10 * fast_end, 1e-9) << family;
    for (const Json* c : {fast, slow_chart}) EXPECT_EQ((*c)["series"].size(), family == std::string("tx-latency") ? 3u : 1u);
    ASSERT_TRUE(fast->contains("y_max")) << family;
    EXPECT_EQ((*fast)["y_max"], (*slow_chart)["y_max"]) << family;
  }
}

// An interval without commits has no latency (-1, null in the file): the
// line breaks there (a null point) instead of joining its neighbours.
TEST(ReportModel, IntervalsWithoutCommitsAreGaps) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", true);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  for (const char* col : {"tx_p50_us", "tx_p99_us", "tx_max_us"}) {
    j["timeline"][col][3] = nullptr;
    j["timeline"][col][4] = nullptr;
  }
  testing::WriteJson(dir + "/results-adaptive.json", j);
  const Json m = ReportModel(Files(dir));
  const Json* tx = Chart(m, "tx-latency-adaptive");
  ASSERT_NE(tx, nullptr);
  for (const Json& s : (*tx)["series"]) {
    const Json& pts = s["points"];
    ASSERT_EQ(pts.size(), j["timeline"]["t_ms"].size()) << s["label"];
    EXPECT_TRUE(pts[3][1].is_null()) << s["label"];
    EXPECT_TRUE(pts[4][1].is_null()) << s["label"];
    EXPECT_TRUE(pts[5][1].is_number()) << s["label"];
  }
}

// The summary table, summary.md and the console table of `strata run`
// give each figure's median over the repetitions — not the figures of the
// one repetition with the median import time.
TEST(SummaryTable, EveryFigureIsItsMedianOverTheRepetitions) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", false);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  // The repetition given in full has the median import time but the
  // highest commit p99; the median of the p99s is another repetition's.
  const double import[] = {1000, 3000, 2000}, p99[] = {700, 900, 800};
  for (size_t i = 0; i < 3; ++i) {
    j["repetitions"][i]["import_datoms_per_s"] = import[i];
    j["repetitions"][i]["tx_latency"] = {{"count", 10}, {"p50_us", 100}, {"p99_us", p99[i]}};
  }
  j["median_repetition"] = 2;
  j["summary"]["import_datoms_per_s"] = 2000;
  j["tx_latency"] = {{"count", 10}, {"p50_us", 100}, {"p99_us", 900}};
  testing::WriteJson(dir + "/results-adaptive.json", j);
  const std::vector<RunFile> files = Files(dir);
  const SummaryTable t = MakeSummaryTable(files);
  auto column = [&](const std::string& header) {
    for (size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i].header == header) return i;
    ADD_FAILURE() << "no column " << header;
    return size_t{0};
  };
  ASSERT_EQ(t.rows[0][0], "adaptive");
  EXPECT_EQ(t.rows[0][column("tx p99")], "800 us (700 us–900 us)");
  EXPECT_EQ(t.rows[0][column("import datoms/s")], "2000 (1000–3000)");
  const std::string console = SummaryText(files);
  const std::string adaptive_line = console.substr(console.find("\nadaptive"), console.find('\n', 1 + console.find("\nadaptive")) - console.find("\nadaptive"));
  EXPECT_NE(adaptive_line.find(" 800 us"), std::string::npos) << console;
  EXPECT_EQ(adaptive_line.find("900 us"), std::string::npos) << console;
  EXPECT_EQ(console.rfind("strategy", 0), 0u) << console;
  EXPECT_NE(SummaryMarkdown(files).find("| 800 us (700 us–900 us) |"), std::string::npos);
  // Every console cell is the median part of the page's cell.
  size_t console_columns = 0;
  for (const SummaryColumn& c : t.columns) {
    EXPECT_FALSE(c.title.empty()) << c.header;
    if (!c.console) continue;
    ++console_columns;
    const std::string cell = t.rows[0][column(c.header)];
    EXPECT_NE(adaptive_line.find(cell.substr(0, cell.find(" ("))), std::string::npos) << c.header << "\n" << console;
  }
  EXPECT_GE(console_columns, 8u);
}

// "job bytes Q1 -> Q4": mean bytes per job in the first and the last
// quarter of the jobs; the final remainder job (a third of a job's novelty
// in run-a) left out.
TEST(SummaryTable, JobBytesQuarters) {
  const std::vector<RunFile> files = Files(kTestdata + "/run-a");
  const SummaryTable t = MakeSummaryTable(files);
  ASSERT_EQ(t.columns.back().header, "job bytes Q1 -> Q4");
  EXPECT_NE(t.columns.back().title.find("first quarter"), std::string::npos);
  const Json j = testing::ReadJson(kTestdata + "/run-a/results-adaptive.json");
  const Json& jobs = j["jobs"];
  ASSERT_EQ(jobs.size(), 15u);
  ASSERT_LT(jobs[14]["novelty_bytes"].get<double>() * 2, jobs[13]["novelty_bytes"].get<double>());
  // 14 jobs without the remainder: quarters of 3.
  double first = 0, last = 0;
  for (int i = 0; i < 3; ++i) first += jobs[i]["bytes_written"].get<double>() / 3;
  for (int i = 11; i < 14; ++i) last += jobs[i]["bytes_written"].get<double>() / 3;
  EXPECT_EQ(t.rows[0].back(), FormatValue(first, "bytes") + " -> " + FormatValue(last, "bytes"));
}

// Two files of one strategy in a folder are told apart everywhere (rows,
// legends, chart ids): by the settings they differ in, else by file name.
TEST(RunLabels, FilesOfOneStrategyAreToldApart) {
  const std::string dir = testing::CopyFixture(kTestdata, "run-b", true);
  Json j = testing::ReadJson(dir + "/results-adaptive.json");
  testing::WriteJson(dir + "/results-adaptive-again.json", j);
  std::string options = j["context"]["options"].get<std::string>();
  options.replace(options.find("level_ratio=10"), 14, "level_ratio=4");
  j["context"]["options"] = options;
  testing::WriteJson(dir + "/results-adaptive-r4.json", j);
  const std::vector<RunFile> files = Files(dir);
  ASSERT_EQ(files.size(), 4u);
  const std::vector<std::string> labels = RunLabels(files);
  EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()).size(), 4u) << ::testing::PrintToString(labels);
  EXPECT_NE(std::find(labels.begin(), labels.end(), "adaptive level_ratio=4"), labels.end())
      << ::testing::PrintToString(labels);
  EXPECT_NE(std::find(labels.begin(), labels.end(), "full-rebuild"), labels.end());
  const Json m = ReportModel(files);
  std::set<std::string> rows, legend;
  for (const Json& r : m["summary"]["rows"]) rows.insert(r[0].get<std::string>());
  for (const Json& s : (*Chart(m, "job-bytes"))["series"]) legend.insert(s["label"].get<std::string>());
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ(legend.size(), 4u);
  std::set<std::string> ids;
  for (const Json& c : m["charts"]) EXPECT_TRUE(ids.insert(c["id"].get<std::string>()).second) << c["id"];
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
