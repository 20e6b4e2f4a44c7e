// `strata report` and `strata compare`, run in process through
// AddReportCommands: exit codes, what they print, the files they write.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/report_commands.h"
#include "reports/test_util.h"

namespace strata::cli {
namespace {

namespace rt = reports::testing;
const std::string kTestdata = STRATA_REPORTS_TESTDATA;

// Runs "report ..." or "compare ..."; returns the exit code with stdout and stderr.
int Cli(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) {
  CLI::App app{"strata"};
  int code = -1;
  AddReportCommands(app, &code);
  std::vector<std::string> rev(argv.rbegin(), argv.rend());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  try {
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    code = 100 + e.get_exit_code();
  }
  *out = ::testing::internal::GetCapturedStdout();
  const std::string e = ::testing::internal::GetCapturedStderr();
  if (err != nullptr) *err = e;
  return code;
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

}  // namespace
}  // namespace strata::cli
