#include "harness/results.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace strata::harness {
namespace {

std::string TempPath(const std::string& name) {
  return std::filesystem::temp_directory_path().string() + "/strata-results-test-" + std::to_string(::getpid()) +
         "-" + name;
}

Latency SomeLatency(uint64_t base_ns) {
  Histogram h;
  for (uint64_t i = 1; i <= 100; ++i) h.Record(base_ns * i);
  return Latency::Of(h);
}

// A file with every part filled, as `strata run` writes one.
ResultsFile SomeResults() {
  ResultsFile f;
  f.context.git_commit = "0123456789abcdef";
  f.context.build_type = "Release";
  f.context.release = true;
  f.context.assertions = false;
  f.context.compiler = "gcc 12.2.0";
  f.context.options = "memory_index_threshold=1048576 strategy=adaptive";
  f.context.storage = "folder";
  f.context.workload_options = "name=uniform scale=0.5 seed=7";
  f.context.cpus = 2;
  f.context.load_avg = {1.5, 2.25, -1};
  f.context.planted_slow_commit_cpu_pct = 5;
  f.context.date = "2026-01-01T00:00:00Z";
  f.context.command = "strata run --workload uniform";
  f.strategy = "adaptive";
  f.workload = "uniform";
  f.scale = 0.5;
  f.seed = 7;
  f.median_repetition = 1;
  for (uint64_t i = 1; i <= 3; ++i) {
    Job j;
    j.job = i;
    j.strategy = "adaptive";
    j.basis_t = 1000 * i;
    j.db_datoms = 5000 * i;
    j.novelty_bytes = 1 << 20;
    j.bytes_written = 700000 * i;
    j.segments_written = 12 * i;
    j.wall_ms = 3.25 * static_cast<double>(i);
    j.storage_wait_ms = 0.5;
    j.plan = "level 0 <- novelty";
    f.jobs.push_back(j);
  }
  f.summary.datoms = 15000;
  f.summary.transactions = 300;
  f.summary.reads = 200;  // the reads' counts: a repetition records only those
  f.summary.import_s = 1.75;
  f.summary.write_amplification = 1.3333333333333333;
  f.summary.index_bytes_written = 4200000;
  f.summary.peak_rss_reset = true;
  f.summary.storage_live_bytes = 1362709;
  f.summary.read_segments_per_point_read = 1.84;
  f.reads["entity-by-id"] = SomeLatency(1000);
  f.reads["attr-range"] = SomeLatency(5000);
  f.tx_latency = SomeLatency(20000);
  f.reads_cpu["entity-by-id"] = SomeLatency(900);
  f.reads_cpu["attr-range"] = SomeLatency(4500);
  f.tx_cpu = SomeLatency(19000);
  Timeline t;
  t.t_ms = {0.5, 100.25};
  t.transactions = {1, 17};
  t.datoms = {37, 30111};
  t.jobs = {0, 1};
  t.memory_index_bytes = {13115, 0};
  t.allocated_bytes = {1098088, 9927432};
  t.resident_bytes = {4194304, 16777216};
  t.segment_cache_bytes = {0, 1966080};
  t.tx_p50_us = {-1, 5210.5};
  t.tx_p99_us = {-1, 9800.25};
  t.tx_max_us = {-1, 9911};
  t.storage_live_bytes = {-1, 1362709};
  t.storage_garbage_bytes = {-1, 9768649};
  f.timeline = t;
  for (int i = 0; i < 3; ++i) {
    Repetition r{f.summary, f.reads, f.tx_latency, f.reads_cpu, f.tx_cpu};
    r.summary.import_s = 1.5 + 0.25 * i;
    f.repetitions.push_back(r);
  }
  return f;
}

TEST(ResultsFile, WritesAndReadsBackEqual) {
  const ResultsFile f = SomeResults();
  const std::string path = TempPath("roundtrip.json");
  ASSERT_TRUE(WriteResultsFile(path, f).ok());
  auto back = ReadResultsFile(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->context, f.context);
  EXPECT_EQ(back->jobs, f.jobs);
  EXPECT_EQ(back->summary, f.summary);
  EXPECT_EQ(back->reads, f.reads);
  EXPECT_EQ(back->timeline, f.timeline);
  EXPECT_EQ(back->repetitions, f.repetitions);
  EXPECT_EQ(*back, f);
  // Everything the harness makes is recorded.
  EXPECT_TRUE(Recorded(back->summary, &Summary::storage_bytes));
  EXPECT_TRUE(Recorded(back->summary, &Summary::storage_live_bytes));
  EXPECT_TRUE(Recorded(back->summary, &Summary::read_segments_per_point_read));
  EXPECT_EQ(Figure(back->summary, &Summary::datoms), 15000.0);
  EXPECT_EQ(Figure(back->summary, &Summary::peak_rss_reset), 1.0);
}

TEST(ResultsFile, KeysInTheDocumentedOrder) {
  const Json j = ToJson(SomeResults());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"format", "context", "strategy", "workload", "scale", "seed",
                                            "median_repetition", "jobs", "summary", "reads", "tx_latency",
                                            "reads_cpu", "tx_cpu", "timeline", "repetitions"}));
  // The 10th of 100 values 19 us apart, within the histogram's 0.78%.
  EXPECT_GE(j["tx_cpu"]["p10_us"].get<double>(), 190.0);
  EXPECT_LE(j["tx_cpu"]["p10_us"].get<double>(), 190.0 * 1.0079);
  EXPECT_TRUE(j["repetitions"][0].contains("tx_cpu"));
  EXPECT_TRUE(j["repetitions"][0]["reads_cpu"].contains("attr-range"));
  EXPECT_EQ(j["timeline"]["tx_p50_us"][0], nullptr);  // no commit in that interval
  EXPECT_EQ(j["timeline"]["storage_live_bytes"][0], nullptr);  // no storage sample in that row
  EXPECT_EQ(j["timeline"]["storage_garbage_bytes"][1], 9768649);
  EXPECT_EQ(j["context"]["results_format"], 1);
  EXPECT_EQ(j["summary"].size(), 41u);
  EXPECT_EQ(j["jobs"][0].size(), 24u);
}

// Files of older builds lack keys: they read as "not recorded" and are
// written back without them, byte for byte.
TEST(ResultsFile, CommittedFilesReadAndWriteBackUnchanged) {
  int files = 0;
  for (const std::string& dir : {std::string(STRATA_REPORTS_TESTDATA) + "/run-a",
                                std::string(STRATA_REPORTS_TESTDATA) + "/run-b", std::string(STRATA_PERF_BASELINE)}) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string path = e.path().string();
      auto j = ReadJsonFile(path);
      ASSERT_TRUE(j.ok()) << j.status().ToString();
      auto f = ReadResultsFile(path);
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      EXPECT_EQ(ToJson(*f).dump(2), j->dump(2)) << path;
      ++files;
    }
  }
  EXPECT_EQ(files, 7);
  auto old = ReadResultsFile(std::string(STRATA_REPORTS_TESTDATA) + "/run-a/results-adaptive.json");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(Recorded(old->summary, &Summary::active_bytes));
  EXPECT_EQ(Figure(old->summary, &Summary::active_bytes), std::nullopt);
  EXPECT_TRUE(Recorded(old->summary, &Summary::index_bytes_written));
  EXPECT_FALSE(Recorded(old->jobs.at(0), &Job::storage_round_trips));
  EXPECT_FALSE(old->timeline.has_value());
  EXPECT_FALSE(old->reads.begin()->second.histogram.has_value());
  EXPECT_FALSE(Recorded(old->reads.begin()->second, &Latency::p90_us));
  // Nor CPU times per operation (and no p10 of any latency).
  EXPECT_FALSE(old->tx_cpu.has_value());
  EXPECT_TRUE(old->reads_cpu.empty());
  EXPECT_FALSE(old->repetitions.at(0).tx_cpu.has_value());
  EXPECT_FALSE(Recorded(old->reads.begin()->second, &Latency::p10_us));
  EXPECT_FALSE(Recorded(old->context, &Context::planted_slow_read_cpu_pct));
}

// Errors name the file and the key.
TEST(ResultsFile, MalformedFileNamesTheFileAndTheKey) {
  const std::string path = TempPath("bad.json");
  auto expect_error = [&](const Json& j, const std::string& key) {
    std::ofstream(path) << j.dump(2);
    auto f = ReadResultsFile(path);
    ASSERT_FALSE(f.ok()) << key;
    EXPECT_TRUE(f.status().IsInvalidArgument());
    EXPECT_NE(f.status().message().find(path), std::string::npos) << f.status().message();
    EXPECT_NE(f.status().message().find(key), std::string::npos) << f.status().message();
  };
  const Json good = ToJson(SomeResults());
  Json j = good;
  j["summary"]["datoms"] = "many";
  expect_error(j, "summary.datoms: expected a number, got string");
  j = good;
  j["jobs"][2]["wall_ms"] = Json::array();
  expect_error(j, "jobs[2].wall_ms: expected a number, got array");
  j = good;
  j["context"]["git_dirty"] = 1;
  expect_error(j, "context.git_dirty: expected true or false");
  j = good;
  j["repetitions"][1]["reads"]["entity-by-id"]["histogram"]["unit"] = "ms";
  expect_error(j, "repetitions[1].reads.entity-by-id.histogram:");
  j = good;
  j["timeline"]["datoms"][1] = nullptr;
  expect_error(j, "timeline.datoms[1]: expected a number, got null");
  j = good;
  j.erase("summary");
  expect_error(j, "not a strata run results file");
  j = good;
  j["format"] = 2;
  expect_error(j, "format: 2");
  std::ofstream(path) << "{\"format\": 1,";
  auto f = ReadResultsFile(path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), path + ": not valid JSON");
  std::filesystem::remove(path);
  EXPECT_TRUE(ReadResultsFile(path).status().IsNotFound());
}

}  // namespace
}  // namespace strata::harness
