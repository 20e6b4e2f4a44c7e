// `strata report` and `strata compare`, run in process through
// AddReportCommands: exit codes, what they print, the files they write.
// The Run* tests go end to end: real `strata run`s (the built tool), what
// their files record, and the gate on them — two runs of one build pass; a
// knob that writes more segments, or reads made slower on purpose
// (STRATA_PLANT_SLOW_READ_US), fail and name the figure.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/report_commands.h"
#include "cli/in_process_test_util.h"
#include "harness/histogram.h"
#include "reports/report.h"
#include "reports/test_util.h"

namespace strata::cli {
namespace {

namespace rt = reports::testing;
const std::string kTestdata = STRATA_REPORTS_TESTDATA;

// Runs "report ..." or "compare ..."; returns the exit code with stdout and stderr.
int Cli(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) {
  return testing::RunInProcess([](CLI::App& app, int* code) { AddReportCommands(app, code); }, std::move(argv), out,
                               err);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// run-b with adaptive writing 25% more segments.
std::string PlantedCounterRegression() {
  const std::string dir = rt::CopyFixture(kTestdata, "run-b", false);
  reports::Json j = rt::ReadJson(dir + "/results-adaptive.json");
  j["summary"]["index_segments_written"] = 380;  // 304 in run-b
  for (auto& r : j["repetitions"]) r["index_segments_written"] = 380;
  rt::WriteJson(dir + "/results-adaptive.json", j);
  return dir;
}

TEST(ReportCommand, WritesTheReportAndTheMarkdown) {
  const std::string dir = rt::CopyFixture(kTestdata, "run-a", false);
  std::string out, err;
  ASSERT_EQ(Cli({"report", dir}, &out, &err), 0) << err;
  EXPECT_NE(out.find("report.html ("), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/report.html"));
  EXPECT_NE(Slurp(dir + "/summary.md").find("| full-rebuild | 3 |"), std::string::npos);
}

TEST(ReportCommand, ErrorsNameTheFolder) {
  std::string out, err;
  EXPECT_EQ(Cli({"report", "/nonexistent/folder"}, &out, &err), 1);
  EXPECT_NE(err.find("strata: error: /nonexistent/folder"), std::string::npos) << err;
}

TEST(CompareCommand, TwoRunsOfTheSameBuildPass) {
  std::string out, err;
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-a", kTestdata + "/run-b"}, &out, &err), 0) << out << err;
  EXPECT_NE(out.find("PASS"), std::string::npos) << out;
  EXPECT_EQ(err, "");
}

TEST(CompareCommand, PlantedCounterRegressionExitsOneAndNamesTheFigure) {
  const std::string planted = PlantedCounterRegression();
  std::string out, err;
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-b", planted}, &out, &err), 1);
  EXPECT_NE(err.find("strata: regression: adaptive index_segments_written +25.0%"), std::string::npos) << err;
  EXPECT_NE(out.find("FAIL: 1 regression"), std::string::npos) << out;
  // Markdown for a CI comment, on stdout and in a file.
  const std::string md = planted + "/compare.md";
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-b", planted, "--format", "md", "--markdown-out", md}, &out), 1);
  EXPECT_NE(out.find("| subject | metric |"), std::string::npos) << out;
  EXPECT_NE(out.find("**REGRESSED**"), std::string::npos) << out;
  EXPECT_EQ(Slurp(md), out);
  // A threshold above the change lets it pass.
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-b", planted, "--threshold", "30"}, &out), 0);
}

TEST(CompareCommand, PlantedSlowReadInGoogleBenchmarkExitsOne) {
  const std::string dir = rt::FreshDir("gate-cli");
  auto run = [&](const std::string& name, const std::string& env) {
    const std::string out = dir + "/" + name + ".json";
    const std::string cmd = env + " '" + STRATA_GATE_BENCH + "' --benchmark_repetitions=8 --benchmark_min_time=0.02" +
                            " --benchmark_filter=BM_GateRead --benchmark_out_format=json --benchmark_out='" + out +
                            "' > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
  };
  const std::string base = run("base", ""), slow = run("slow", "STRATA_PLANT_SLOW_READ_US=20");
  std::string out, err;
  EXPECT_EQ(Cli({"compare", base, slow}, &out, &err), 1) << out;
  EXPECT_NE(err.find("strata: regression: BM_GateRead cpu_time +"), std::string::npos) << err << out;
}

TEST(CompareCommand, InputsThatCannotBeComparedExitTwo) {
  std::string out, err;
  EXPECT_EQ(Cli({"compare", "/nonexistent", kTestdata + "/run-a"}, &out, &err), 2);
  EXPECT_NE(err.find("strata: error: BASE: /nonexistent does not exist"), std::string::npos) << err;
  const std::string dir = rt::FreshDir("gb-cli");
  rt::WriteJson(dir + "/bench.json", {{"benchmarks", {{{"name", "BM_X"}, {"real_time", 1}, {"time_unit", "ns"}}}}});
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-a", dir + "/bench.json"}, &out, &err), 2);
  EXPECT_NE(err.find("cannot compare strata-run results"), std::string::npos) << err;
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-a", kTestdata + "/run-b", "--format", "html"}, &out, &err), 100 + 105);
}

// Files of two different strategies: nothing in common, exit 2 saying so
// (it printed an empty table and PASS with exit 0 before).
TEST(CompareCommand, DifferentStrategiesExitTwo) {
  std::string out, err;
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-a/results-adaptive.json", kTestdata + "/run-a/results-cow-tree.json"},
                &out, &err),
            2)
      << out;
  EXPECT_NE(err.find("nothing in common"), std::string::npos) << err;
  EXPECT_EQ(out.find("PASS"), std::string::npos) << out;
}

// Runs with different options: exit 2 naming the difference, unless
// --allow-different-options, which compares with a loud warning.
TEST(CompareCommand, DifferentOptionsExitTwoUnlessAllowed) {
  const std::string dir = rt::CopyFixture(kTestdata, "run-b", false);
  reports::Json j = rt::ReadJson(dir + "/results-full-rebuild.json");
  j["context"]["workload_options"] = "workload=uniform scale=0.2 seed=1 read_ratio=2";
  rt::WriteJson(dir + "/results-full-rebuild.json", j);
  std::string out, err;
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-b", dir}, &out, &err), 2) << out;
  EXPECT_NE(err.find("full-rebuild: read_ratio 1 -> 2"), std::string::npos) << err;
  EXPECT_NE(err.find("--allow-different-options"), std::string::npos) << err;
  EXPECT_EQ(Cli({"compare", kTestdata + "/run-b", dir, "--allow-different-options"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("WARNING: the runs differ in their settings"), std::string::npos) << out;
  EXPECT_NE(err.find("strata: warning: settings differ: full-rebuild: read_ratio 1 -> 2"), std::string::npos) << err;
}

// ---- end to end on `strata run` ---------------------------------------------

// `env strata run ARGS --out <fresh folder>`; returns the folder.
std::string StrataRun(const std::string& name, const std::string& args, const std::string& env = "") {
  const std::string dir = rt::FreshDir(name);
  const std::string cmd = env + " '" + std::string(STRATA_BIN) + "' run " + args + " --out '" + dir + "' > '" + dir +
                          "/run.log' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << Slurp(dir + "/run.log");
  return dir;
}

// Small and quick: ~100 transactions, a dozen indexing jobs, reads timed.
const std::string kSmallRun =
    "--workload uniform --scale 0.05 --seed 3 --memory-index-threshold 16k --read-ratio 3 --strategy adaptive";

TEST(RunResults, RecordWhatTheReportDraws) {
  const std::string dir = StrataRun("run-files", "--workload uniform --scale 0.1 --strategy adaptive,full-rebuild "
                                                 "--memory-index-threshold 32k --read-ratio 2 --repetitions 2");
  for (const char* strategy : {"adaptive", "full-rebuild"}) {
    SCOPED_TRACE(strategy);
    const reports::Json j = rt::ReadJson(dir + "/results-" + strategy + ".json");
    EXPECT_EQ(j["format"], 1);
    const reports::Json& sum = j["summary"];
    // Latencies: exact counts; percentiles in order; the histogram decodes.
    auto check_latency = [](const reports::Json& l, uint64_t count) {
      EXPECT_EQ(l["count"].get<uint64_t>(), count) << l.dump();
      EXPECT_LE(l["p50_us"].get<double>(), l["p90_us"].get<double>());
      EXPECT_LE(l["p90_us"].get<double>(), l["p99_us"].get<double>());
      EXPECT_LE(l["p99_us"].get<double>(), l["p999_us"].get<double>());
      EXPECT_LE(l["p999_us"].get<double>(), l["max_us"].get<double>());
      auto h = harness::Histogram::FromJson(l["histogram"]);
      ASSERT_TRUE(h.ok()) << h.status().ToString();
      EXPECT_EQ(h->count(), count);
      EXPECT_NEAR(static_cast<double>(h->ValueAtPercentile(99)) / 1e3, l["p99_us"].get<double>(), 1e-6);
    };
    check_latency(j["tx_latency"], sum["transactions"].get<uint64_t>());
    uint64_t reads = 0;
    for (const auto& [name, l] : j["reads"].items()) {
      check_latency(l, l["count"].get<uint64_t>());
      reads += l["count"].get<uint64_t>();
    }
    EXPECT_EQ(reads, sum["reads"].get<uint64_t>());
    EXPECT_GE(j["reads"].size(), 3u);
    // CPU time per commit and per read (harness/plant.h ThreadCpuNs): one
    // value per timed operation, p10 <= p50, and no more than the
    // operation's wall time at the median (it never waits for less than
    // nothing; a little slack for the clocks' own cost taken off).
    check_latency(j["tx_cpu"], sum["transactions"].get<uint64_t>());
    EXPECT_LE(j["tx_cpu"]["p10_us"].get<double>(), j["tx_cpu"]["p50_us"].get<double>());
    EXPECT_GT(j["tx_cpu"]["p10_us"].get<double>(), 0);
    EXPECT_LE(j["tx_cpu"]["p50_us"].get<double>(), j["tx_latency"]["p50_us"].get<double>() * 1.1 + 1);
    ASSERT_EQ(j["reads_cpu"].size(), j["reads"].size());
    for (const auto& [name, l] : j["reads_cpu"].items()) check_latency(l, j["reads"][name]["count"].get<uint64_t>());
    // Each repetition has its own summary, reads and commit latency.
    ASSERT_EQ(j["repetitions"].size(), 2u);
    for (const reports::Json& r : j["repetitions"]) {
      EXPECT_EQ(r["reads"].size(), j["reads"].size());
      check_latency(r["tx_latency"], r["transactions"].get<uint64_t>());
      check_latency(r["tx_cpu"], r["transactions"].get<uint64_t>());
      EXPECT_EQ(r["reads_cpu"].size(), j["reads"].size());
      EXPECT_EQ(r["index_bytes_written"], sum["index_bytes_written"]);  // deterministic
    }
    // The timeline: equal columns, time and counters never going back, the
    // last row after the final job.
    const reports::Json& t = j["timeline"];
    EXPECT_EQ(t["interval_ms"], 100);
    const size_t rows = t["t_ms"].size();
    ASSERT_GE(rows, 2u);
    for (const char* col : {"transactions", "datoms", "jobs", "memory_index_bytes", "allocated_bytes", "tx_p50_us",
                            "tx_p99_us", "tx_max_us"})
      EXPECT_EQ(t[col].size(), rows) << col;
    for (size_t i = 1; i < rows; ++i) {
      EXPECT_LE(t["t_ms"][i - 1].get<double>(), t["t_ms"][i].get<double>());
      EXPECT_LE(t["jobs"][i - 1].get<uint64_t>(), t["jobs"][i].get<uint64_t>());
      EXPECT_LE(t["datoms"][i - 1].get<uint64_t>(), t["datoms"][i].get<uint64_t>());
    }
    EXPECT_EQ(t["jobs"].back(), sum["jobs"]);
    EXPECT_EQ(t["datoms"].back(), sum["datoms"]);
    EXPECT_EQ(t["memory_index_bytes"].back(), 0);  // all indexed
    // Memory, storage, machine.
    for (const char* key : {"allocated_bytes", "active_bytes", "resident_bytes", "mapped_bytes",
                            "peak_allocated_bytes", "peak_rss_bytes", "storage_bytes", "log_bytes"})
      EXPECT_GT(sum[key].get<uint64_t>(), 0u) << key;
    EXPECT_GE(sum["backpressure_wait_ms"].get<double>(), 0);
    EXPECT_LE(sum["allocated_bytes"].get<uint64_t>(), sum["active_bytes"].get<uint64_t>());
    ASSERT_EQ(j["context"]["load_avg"].size(), 3u);
    EXPECT_EQ(j["context"]["planted_slow_read_us"], 0);
    EXPECT_EQ(j["context"]["planted_slow_commit_cpu_pct"], 0);
    EXPECT_EQ(j["context"]["planted_slow_read_cpu_pct"], 0);
  }
  // The run wrote its report, and every chart has data: none says "not recorded".
  EXPECT_TRUE(std::filesystem::exists(dir + "/report.html"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/summary.md"));
  auto files = reports::ReadRunFiles(dir);
  ASSERT_TRUE(files.ok());
  const reports::Json model = reports::ReportModel(*files);
  // 5 job charts; tx latency, throughput and memory index per strategy; reads.
  EXPECT_EQ(model["charts"].size(), 6u + 3 * files->size());
  // The end-of-run console table is the report's summary table (medians
  // per figure), printed from the files just written.
  EXPECT_NE(Slurp(dir + "/run.log").find(reports::SummaryText(*files)), std::string::npos)
      << Slurp(dir + "/run.log") << "\n" << reports::SummaryText(*files);
  for (const reports::Json& c : model["charts"]) {
    EXPECT_FALSE(c.contains("missing")) << c.dump().substr(0, 300);
    EXPECT_FALSE(c.contains("note")) << c["id"];
    EXPECT_FALSE(c["series"].empty()) << c["id"];
  }
  // The summary table has the latency columns filled.
  EXPECT_EQ(Slurp(dir + "/summary.md").find("| - |"), std::string::npos) << Slurp(dir + "/summary.md");
}

// Shared by the gate tests: two runs of the same build, 3 repetitions each,
// as scripts/perf-ci makes them.
class RunGate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new std::string(StrataRun("gate-base", kSmallRun + " --repetitions 3"));
    again_ = new std::string(StrataRun("gate-again", kSmallRun + " --repetitions 3"));
  }
  static void TearDownTestSuite() {
    delete base_;
    delete again_;
  }
  static std::string* base_;
  static std::string* again_;
};
std::string* RunGate::base_ = nullptr;
std::string* RunGate::again_ = nullptr;

// The counters are identical; the timings differ by noise, and this
// machine may be busy with other work: 3 samples against 3 cannot reach
// p < 0.05, so a timing is never gated here whatever the load.
// With live bytes on both sides the gate takes them, and the total at rest
// (live + garbage) is shown as info.
TEST_F(RunGate, TwoRunsOfTheSameBuildPass) {
  std::string out, err;
  EXPECT_EQ(Cli({"compare", *base_, *again_}, &out, &err), 0) << out << err;
  EXPECT_NE(out.find("PASS"), std::string::npos) << out;
  EXPECT_EQ(err.find("regression"), std::string::npos) << err;
  for (const char* counter : {"index_bytes_written", "index_segments_written", "datoms_rewritten",
                              "max_read_sources", "write_amplification", "storage_live_bytes"}) {
    const size_t at = out.find(std::string(" ") + counter + " ");
    ASSERT_NE(at, std::string::npos) << counter << "\n" << out;
    const std::string line = out.substr(at, out.find('\n', at) - at);
    EXPECT_NE(line.find("counter"), std::string::npos) << line;
    EXPECT_NE(line.find("same"), std::string::npos) << line;
  }
}

TEST_F(RunGate, AKnobThatWritesMoreSegmentsFailsAndIsNamed) {
  // Segments of at most 64 datoms instead of 4096: the strategy writes many
  // more of them for the same work.
  const std::string knob = StrataRun("gate-knob", kSmallRun + " --repetitions 3 --segment-datoms 64");
  std::string out, err;
  // A different option: not comparable unless asked for.
  EXPECT_EQ(Cli({"compare", *base_, knob}, &out, &err), 2) << out;
  EXPECT_NE(err.find("adaptive: segment_datoms 4096 -> 64"), std::string::npos) << err;
  EXPECT_EQ(Cli({"compare", *base_, knob, "--allow-different-options"}, &out, &err), 1) << out;
  EXPECT_NE(err.find("strata: regression: adaptive index_segments_written +"), std::string::npos) << err;
  EXPECT_NE(out.find("FAIL:"), std::string::npos) << out;
}

TEST_F(RunGate, PlantedSlowReadsFailAndAreNamed) {
  // 5 repetitions against 5: the smallest exact p, 0.0079, is below alpha.
  const std::string base = StrataRun("gate-base5", kSmallRun + " --repetitions 5");
  const std::string slow = StrataRun("gate-slow", kSmallRun + " --repetitions 5", "STRATA_PLANT_SLOW_READ_US=500");
  EXPECT_EQ(rt::ReadJson(slow + "/results-adaptive.json")["context"]["planted_slow_read_us"], 500);
  std::string out, err;
  EXPECT_EQ(Cli({"compare", base, slow}, &out, &err), 1) << out;
  for (const char* read : {"entity-by-id", "attr-range", "as-of-entity"})
    EXPECT_NE(err.find(std::string("strata: regression: adaptive read ") + read + " p50_us +"), std::string::npos)
        << read << "\n" << err;
  EXPECT_NE(out.find("STRATA_PLANT_SLOW_READ_US=500"), std::string::npos) << out;  // noted
  // The counters did not move: only timings regressed.
  EXPECT_EQ(err.find("index_bytes_written"), std::string::npos) << err;
}

}  // namespace
}  // namespace strata::cli
