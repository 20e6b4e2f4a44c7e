// Opens the report of a real `strata experiment` in headless Chromium and
// checks that every chart was drawn: the page marks each chart whose plot
// area holds coloured pixels and writes "<drawn>/<charts>" into
// #charts-ok. Modelled on report_browser_test.cc; skips, saying why, when
// Chromium or Chart.js is missing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <re2/re2.h>

#include "reports/experiment_report.h"
#include "test_util.h"

namespace strata::reports {
namespace {

using testing::BrowserCommand;
using testing::Chromium;
using testing::FreshDir;
using testing::Shell;

// Two strategies (one with a swept setting), two repetitions, a read mix:
// every chart of the page has data.
TEST(ExperimentReportInBrowser, EveryChartOfARealExperimentIsDrawn) {
  const std::string chromium = Chromium();
  if (chromium.empty()) GTEST_SKIP() << "Chromium is not installed: run scripts/setup (Debian package chromium)";
  if (!std::filesystem::exists(ChartJsPath()))
    GTEST_SKIP() << "Chart.js is not at " << ChartJsPath() << ": run scripts/setup (needs npm) or set STRATA_CHARTJS";
  const std::string dir = FreshDir("experiment-report");
  std::ofstream(dir + "/tiny.edn") << "{:name \"tiny\" :workloads [:uniform] :scales [0.1] :repetitions 2\n"
                                      " :strategies [:cow-tree {:name :adaptive :settings {:level_ratio [2 4]}}]\n"
                                      " :parameters {:memory-index-threshold \"32k\" :memory-index-max \"4m\"}}\n";
  const std::string cmd = std::string("'") + STRATA_BIN + "' experiment '" + dir + "/tiny.edn' --out '" + dir +
                          "/out' > '" + dir + "/run.log' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string html = dir + "/out/report.html";
  ASSERT_TRUE(std::filesystem::exists(html));
  ASSERT_TRUE(std::filesystem::exists(dir + "/out/observations.csv"));

  const std::string profile = FreshDir("chromium-profile");
  int status = -1;
  const std::string dom = Shell(BrowserCommand(chromium, profile, "--dump-dom 'file://" + html + "'"), &status);
  ASSERT_EQ(status, 0) << "chromium failed; DOM: " << dom.substr(0, 500);
  int ok = -1, drawn = -1;
  ASSERT_TRUE(RE2::PartialMatch(dom, R"(<div id="charts-ok"[^>]*>(\d+)/(\d+)</div>)", &ok, &drawn))
      << "no #charts-ok: the page script did not run. DOM starts: " << dom.substr(0, 2000);
  // Job cost with bands (per job and per novelty datom), the tail, RUM, the
  // job timeline, space over time, and two sweeps.
  EXPECT_EQ(drawn, 8);
  std::string undrawn;
  RE2::PartialMatch(dom, R"((<section[^>]*data-drawn="no"[^>]*>))", &undrawn);
  EXPECT_EQ(ok, drawn) << "charts not drawn: " << undrawn;
  for (const char* id : {"chart-job-cost-", "chart-job-cost-per-datom-", "chart-job-tail-", "chart-rum-", "chart-job-timeline-", "chart-space-",
                         "chart-sweep-level_ratio-write_amplification-"})
    EXPECT_NE(dom.find(std::string("id=\"") + id), std::string::npos) << id;
  std::error_code ec;
  std::filesystem::remove_all(profile, ec);
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace strata::reports
