#include "reports/history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#ifndef STRATA_REPORTS_TESTDATA
#error "STRATA_REPORTS_TESTDATA must name reports/testdata"
#endif

namespace strata::reports {
namespace {

namespace fs = std::filesystem;

HistoryEntry Entry(const std::string& commit, int64_t time, double tx_p50, double bytes) {
  HistoryEntry e;
  e.commit = commit;
  e.commit_time = time;
  e.date = "2026-12-07T00:00:" + std::to_string(10 + time) + "Z";
  e.machine = "ci";
  ResultSet r;
  r.format = "strata-run";
  Subject s;
  s.name = "adaptive";
  s.metrics.push_back(Metric{"tx p50_us", "us", MetricKind::kTiming, Better::kLower, {tx_p50}});
  s.metrics.push_back(Metric{"storage_bytes", "bytes", MetricKind::kCounter, Better::kLower, {bytes}});
  s.metrics.push_back(Metric{"datoms", "datoms", MetricKind::kInfo, Better::kLower, {5}});
  r.subjects.push_back(s);
  e.runs.push_back(r);
  return e;
}

const HistorySeries* Find(const History& h, const std::string& metric) {
  for (const HistorySeries& s : h.series)
    if (s.metric == metric) return &s;
  return nullptr;
}

TEST(History, PlantedStepIsFoundAtItsCommit) {
  // 14 commits, commit latency 1% noise, 6% slower from commit 9 on; the
  // entries arrive out of order and commit 4 was run twice.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z(0, 1);
  std::vector<HistoryEntry> entries;
  for (int c = 0; c < 14; ++c) {
    const double v = 100 * (1 + 0.01 * z(rng)) * (c >= 9 ? 1.06 : 1);
    entries.push_back(Entry("commit" + std::to_string(c), 1000 + c, v, 4096));
  }
  entries.push_back(Entry("commit4", 1004, 100, 4096));
  std::shuffle(entries.begin(), entries.end(), rng);
  const History h = BuildHistory(entries, ChangePointOptions{});
  ASSERT_EQ(h.commits.size(), 14u);
  EXPECT_EQ(h.commits[0], "commit0");
  EXPECT_EQ(h.commits[13], "commit13");
  const HistorySeries* tx = Find(h, "tx p50_us");
  ASSERT_NE(tx, nullptr);
  ASSERT_EQ(tx->values.size(), 14u);
  ASSERT_EQ(tx->change_points.size(), 1u);
  EXPECT_EQ(h.commits[tx->commit[tx->change_points[0].index]], "commit9");
  EXPECT_GT(tx->change_points[0].change_pct, 3);
  const HistorySeries* bytes = Find(h, "storage_bytes");
  ASSERT_NE(bytes, nullptr);
  EXPECT_TRUE(bytes->change_points.empty());
  EXPECT_EQ(Find(h, "datoms"), nullptr) << "info figures are not charted";
  const std::string md = HistoryMarkdown(h);
  EXPECT_NE(md.find("`commit9`"), std::string::npos) << md;
  EXPECT_NE(md.find("worse"), std::string::npos) << md;
  const std::string html = HistoryHtml(h);
  EXPECT_EQ(std::count(html.begin(), html.end(), '\n') > 10, true);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos) << "self-contained, no script";
  EXPECT_NE(html.find("E-divisive"), std::string::npos);
}

class HistoryFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-history-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void AddEntry(const std::string& name, const std::string& meta, bool nested) {
    const fs::path e = dir_ / name;
    const fs::path runs = nested ? e / "run-01" : e;
    fs::create_directories(runs);
    std::ofstream(e / "entry.json") << meta;
    fs::copy_file(fs::path(STRATA_REPORTS_TESTDATA) / "run-a" / "results-adaptive.json", runs / "results-adaptive.json");
  }
  fs::path dir_;
};

TEST_F(HistoryFolder, WritesTheReportFromEntryFolders) {
  AddEntry("e1", R"({"commit":"aaa","commit_time":1,"date":"d1","machine":"m","source":"perf-ci"})", false);
  AddEntry("e2", R"({"commit":"bbb","commit_time":2,"date":"d2","machine":"m","source":"perf-ab"})", true);
  auto f = WriteHistoryReport(dir_.string(), (dir_ / "out").string(), ChangePointOptions{});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->commits, 2u);
  EXPECT_GT(f->series, 5u);
  EXPECT_EQ(f->change_points, 0u) << "two commits cannot have one";
  EXPECT_TRUE(fs::exists(f->html_path));
  EXPECT_TRUE(fs::exists(f->markdown_path));
}

TEST_F(HistoryFolder, MalformedEntryIsNamed) {
  AddEntry("e1", R"({"commit_time":1})", false);
  auto f = LoadHistory(dir_.string());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("entry.json"), std::string::npos) << f.status().ToString();
  EXPECT_NE(f.status().message().find("commit"), std::string::npos);
}

TEST_F(HistoryFolder, EmptyFolderIsNotFound) {
  auto f = LoadHistory(dir_.string());
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().IsNotFound()) << f.status().ToString();
}

}  // namespace
}  // namespace strata::reports
