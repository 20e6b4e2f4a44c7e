// Opens reports in headless Chromium and checks that every chart was drawn
// (fixtures, a real `strata run`, and optionally $STRATA_REPORT_DIR):
// the page marks each chart whose plot area holds coloured pixels and
// writes "<drawn>/<charts>" into #charts-ok, which --dump-dom shows here.
// Skips, saying why, when Chromium or Chart.js is missing (scripts/setup
// installs Chromium, and Chart.js when npm exists).

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <array>
#include <filesystem>
#include <map>
#include <set>

#include <re2/re2.h>

#include "reports/report.h"
#include "test_util.h"

namespace strata::reports {
namespace {

const std::string kTestdata = STRATA_REPORTS_TESTDATA;

using testing::BrowserCommand;
using testing::Chromium;
using testing::Shell;

class ReportInBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = Chromium();
    if (chromium_.empty())
      GTEST_SKIP() << "Chromium is not installed: run scripts/setup (Debian package chromium)";
    if (!std::filesystem::exists(ChartJsPath()))
      GTEST_SKIP() << "Chart.js is not at " << ChartJsPath() << ": run scripts/setup (needs npm) or set STRATA_CHARTJS";
  }

  // Writes the report for `dir`, opens it in a 1400 px wide window, checks
  // every chart was drawn and nothing scrolls sideways; returns the DOM.
  std::string Check(const std::string& dir, int expected_charts) {
    std::string dom;
    CheckInto(dir, expected_charts, &dom);
    return dom;
  }
  void CheckInto(const std::string& dir, int expected_charts, std::string* dom_out) {
    auto r = WriteReport(dir);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->charts);
    EXPECT_EQ(r->canvases, expected_charts);
    const std::string profile = testing::FreshDir("chromium-profile");
    int status = -1;
    const std::string dom = Shell(
        BrowserCommand(chromium_, profile, "--window-size=1400,1000 --dump-dom 'file://" + r->html_path + "'"), &status);
    *dom_out = dom;
    ASSERT_EQ(status, 0) << "chromium failed; DOM: " << dom.substr(0, 500);
    int ok = -1, drawn = -1;
    ASSERT_TRUE(RE2::PartialMatch(dom, R"(<div id="charts-ok"[^>]*>(\d+)/(\d+)</div>)", &ok, &drawn))
        << "no #charts-ok: the page script did not run. DOM starts: " << dom.substr(0, 2000);
    EXPECT_EQ(drawn, expected_charts);
    std::string undrawn;
    RE2::PartialMatch(dom, R"((<section[^>]*data-drawn="no"[^>]*>))", &undrawn);
    EXPECT_EQ(ok, drawn) << "charts not drawn: " << undrawn;
    // At 1,400 px neither the page nor the summary table scrolls sideways.
    int page_overflow = -1, table_overflow = -1;
    ASSERT_TRUE(RE2::PartialMatch(dom, R"re(<div id="charts-ok"[^>]*data-page-overflow="(-?\d+)")re", &page_overflow));
    ASSERT_TRUE(RE2::PartialMatch(dom, R"re(<div id="charts-ok"[^>]*data-table-overflow="(-?\d+)")re", &table_overflow));
    EXPECT_LE(page_overflow, 0) << "the page scrolls sideways at 1400 px";
    EXPECT_LE(table_overflow, 0) << "the summary table scrolls sideways at 1400 px";
    // A screenshot for people to look at (build/.../report-*.png).
    const std::string png = std::filesystem::current_path().string() + "/report-" +
                            std::filesystem::path(dir).filename().string().substr(0, 12) + ".png";
    Shell(BrowserCommand(chromium_, profile, "--window-size=1400,5200 --screenshot='" + png + "' 'file://" +
                                               r->html_path + "'"),
        &status);
    EXPECT_TRUE(std::filesystem::exists(png)) << png;
    if (std::filesystem::exists(png)) std::printf("screenshot: %s\n", png.c_str());
    std::error_code ec;
    std::filesystem::remove_all(profile, ec);
  }

  std::string chromium_;
};

// The files as `strata run` writes them today: 6 charts, the over-time ones
// say "not recorded".
TEST_F(ReportInBrowser, EveryChartOfARunIsDrawn) { Check(testing::CopyFixture(kTestdata, "run-a", false), 6); }

// With a timeline: transaction latency, throughput and memory index over
// time, one chart per strategy each (jobs marked): 11 charts.
TEST_F(ReportInBrowser, EveryChartWithATimelineIsDrawn) { Check(testing::CopyFixture(kTestdata, "run-b", true), 11); }

// The [label, colour, dash] of each series of a chart, as the page drew it.
std::vector<std::array<std::string, 3>> Styles(const std::string& dom, const std::string& chart_id) {
  std::string attr;
  EXPECT_TRUE(RE2::PartialMatch(dom, "<section[^>]*id=\"chart-" + RE2::QuoteMeta(chart_id) + "\"[^>]*data-styles=\"([^\"]*)\"", &attr))
      << chart_id;
  for (size_t pos; (pos = attr.find("&quot;")) != std::string::npos;) attr.replace(pos, 6, "\"");
  std::vector<std::array<std::string, 3>> out;
  const Json j = Json::parse(attr, nullptr, false);
  if (!j.is_array()) return out;
  for (const Json& s : j) out.push_back({s[0].get<std::string>(), s[1].get<std::string>(), s[2].get<std::string>()});
  return out;
}

// Three strategies with timelines, in a 1,400 px window: nothing scrolls
// sideways (Check), and each strategy's percentile lines are shades of its
// own colour — distinct from each other, and never another strategy's.
TEST_F(ReportInBrowser, SeriesKeepTheirStrategysColourAndTheTableFits) {
  const std::string dom = Check(testing::CopyFixture(kTestdata, "run-a", true), 14);
  std::map<std::string, std::string> strategy_colour;
  for (const auto& [label, colour, dash] : Styles(dom, "job-bytes")) strategy_colour[label] = colour;
  ASSERT_EQ(strategy_colour.size(), 3u);
  for (const auto& [strategy, own] : strategy_colour) {
    const auto lines = Styles(dom, "tx-latency-" + strategy);
    ASSERT_EQ(lines.size(), 3u) << strategy;
    std::set<std::pair<std::string, std::string>> looks;
    for (const auto& [label, colour, dash] : lines) {
      looks.insert({colour, dash});
      EXPECT_EQ(label.rfind(strategy + " ", 0), 0u) << label;
      for (const auto& [other, theirs] : strategy_colour)
        if (other != strategy) {
          EXPECT_NE(colour, theirs) << label << " takes " << other << "'s colour";
        }
    }
    EXPECT_EQ(looks.size(), 3u) << strategy << ": p50, p99 and max look alike";
  }
}

// A miniature of the README's main job (scripts/demo: the MusicBrainz-like
// workload, several strategies, reads timed) run by the real tool: every
// chart has data and is drawn — 5 job charts (bytes, segments, wall time,
// storage round trips, write amplification), then transaction latency,
// throughput and memory index per strategy, reads.
TEST_F(ReportInBrowser, EveryChartOfARealRunIsDrawn) {
  const std::string dir = testing::FreshDir("real-run");
  const std::string cmd = std::string("'") + STRATA_BIN +
                          "' run --workload mbrainz-synth --scale 0.01 --strategy adaptive,full-rebuild"
                          " --memory-index-threshold 64k --memory-index-max 256k --read-ratio 2 --out '" + dir +
                          "' > '" + dir + "/run.log' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto files = ReadRunFiles(dir);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  for (const Json& c : ReportModel(*files)["charts"]) EXPECT_FALSE(c.contains("missing")) << c["id"];
  Check(dir, 12);
}

// The report of any run, e.g. the main job's: STRATA_REPORT_DIR=build/demo
// ctest -L browser. Every chart must have data and be drawn.
TEST_F(ReportInBrowser, TheRunInStrataReportDir) {
  const char* dir = std::getenv("STRATA_REPORT_DIR");
  if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "set STRATA_REPORT_DIR to a strata run's --out folder";
  auto files = ReadRunFiles(dir);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const Json model = ReportModel(*files);
  for (const Json& c : model["charts"]) EXPECT_FALSE(c.contains("missing")) << c["id"];
  Check(std::filesystem::absolute(dir).string(), static_cast<int>(model["charts"].size()));
}

}  // namespace
}  // namespace strata::reports
