// `strata experiment`'s library: the file's checks (errors name the key),
// its cells, resuming (a finished cell is not rerun, an unfinished one is)
// and the tidy CSV of observations.

#include "harness/experiment.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/observations.h"

namespace strata::harness {
namespace {

std::string FreshDir(const std::string& name) {
  std::string dir = std::filesystem::temp_directory_path().string() + "/strata-" + name + "-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "";
  return dir;
}

std::string ErrorOf(const std::string& text) {
  auto e = ParseExperiment(text, "x.edn", "/tmp/unused");
  return e.ok() ? "(no error)" : e.status().message();
}

TEST(ExperimentFile, ErrorsNameTheKey) {
  EXPECT_EQ(ErrorOf("{:workloads [:uniform] :colour 3}").rfind("x.edn: unknown key :colour (known: ", 0), 0u)
      << ErrorOf("{:workloads [:uniform] :colour 3}");
  EXPECT_EQ(ErrorOf("{:scales [1]}"), "x.edn: missing :workloads (e.g. :workloads [:uniform])");
  EXPECT_NE(ErrorOf("{:workloads [:nope]}").find("x.edn: :workloads[0]: unknown workload 'nope'"), std::string::npos)
      << ErrorOf("{:workloads [:nope]}");
  EXPECT_NE(ErrorOf("{:workloads [:uniform] :strategies [:all :nope]}")
                .find("x.edn: :strategies[1]: unknown strategy 'nope' (known: "),
            std::string::npos);
  // The strategy checks its own settings; the message says where.
  const std::string bad_setting = ErrorOf("{:workloads [:uniform] :strategies [{:name :adaptive :settings {:level_ratio [4 1]}}]}");
  EXPECT_EQ(bad_setting.rfind("x.edn: :strategies[0] :settings: ", 0), 0u) << bad_setting;
  EXPECT_NE(bad_setting.find("level_ratio"), std::string::npos) << bad_setting;
  EXPECT_EQ(ErrorOf("{:workloads [:uniform] :parameters {:memory-index-threshold [\"64k\" \"12q\"]}}"),
            "x.edn: :parameters :memory-index-threshold[1]: expected a size such as \"64k\" or \"32m\", got \"12q\"");
  EXPECT_EQ(ErrorOf("{:workloads [:uniform] :parameters {:storage \"/tmp/db\"}}"),
            "x.edn: :parameters :storage: expected \"folder\" or a \"postgres://...\" location, got \"/tmp/db\"");
  EXPECT_EQ(ErrorOf("{:workloads [:uniform] :repetitions 0}"), "x.edn: :repetitions: expected a number from 1 to 1000, got 0");
  EXPECT_EQ(ErrorOf("{:workloads [:uniform] :scales [1 -2]}"), "x.edn: :scales[1]: expected a number > 0, got -2");
  EXPECT_EQ(ErrorOf("{:workloads [:uniform] :parameters {:memory-index-threshold \"1m\" :memory-index-max \"64k\"}}"),
            "x.edn: :parameters: memory-index-max (65536) is below memory-index-threshold (1048576)");
  EXPECT_EQ(ErrorOf("[:uniform]").rfind("x.edn: expected a map, got ", 0), 0u);
}

// Workloads × scales × parameter values × strategy configurations ×
// repetitions, repetitions outermost; an entry for a strategy :all brings
// replaces :all's.
TEST(ExperimentFile, CellsAreTheProduct) {
  auto e = ParseExperiment(
      "{:workloads [:uniform] :scales [0.5 1] :repetitions 2 :strategies [:all {:name :adaptive :settings "
      "{:level_ratio [2 4 8]}}] :parameters {:segment-datoms [1024 4096] :memory-index-threshold \"64k\"}}",
      "x.edn", "/out");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const size_t configs = StrategyNames().size() - 1 + 3;
  ASSERT_EQ(e->cells.size(), 2 * 2 * 2 * configs);
  std::map<std::string, int> ids;
  for (const ExperimentCell& c : e->cells) ids[c.key.id]++;
  EXPECT_EQ(ids.size(), e->cells.size());  // unique
  EXPECT_EQ(e->cells.front().key.repetition, 1);
  EXPECT_EQ(e->cells.back().key.repetition, 2);
  int adaptive = 0;
  for (const ExperimentCell& c : e->cells) {
    EXPECT_EQ(c.config.strategies.size(), 1u);
    EXPECT_EQ(c.config.options.memory_index_threshold, 64u << 10);
    EXPECT_EQ(c.config.out_dir, "/out/cells/" + c.key.id);
    if (c.key.strategy != "adaptive") continue;
    ++adaptive;
    EXPECT_EQ(c.config.options.strategy_settings.at("adaptive"), "level_ratio=" + c.key.parameters.at("level_ratio"));
    EXPECT_NE(c.key.id.find("level_ratio=" + c.key.parameters.at("level_ratio")), std::string::npos) << c.key.id;
  }
  EXPECT_EQ(adaptive, 2 * 2 * 2 * 3);  // no default-settings adaptive from :all
  // The same file gives the same ids (a rerun finds its cells).
  auto again = ParseExperiment(
      "{:workloads [:uniform] :scales [0.5 1] :repetitions 2 :strategies [:all {:name :adaptive :settings "
      "{:level_ratio [2 4 8]}}] :parameters {:segment-datoms [1024 4096] :memory-index-threshold \"64k\"}}",
      "x.edn", "/out");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->cells.front().key.id, e->cells.front().key.id);
}

// A workload's own :scales replace the experiment's for it.
TEST(ExperimentFile, AWorkloadsOwnScales) {
  auto e = ParseExperiment("{:workloads [:uniform {:name :permissions :scales [0.1]}] :scales [1 2] "
                           ":strategies [:adaptive]}",
                           "x.edn", "/out");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<std::pair<std::string, double>> got;
  for (const ExperimentCell& c : e->cells) got.push_back({c.key.workload, c.config.workload.scale});
  EXPECT_EQ(got, (std::vector<std::pair<std::string, double>>{{"uniform", 1}, {"uniform", 2}, {"permissions", 0.1}}));
  EXPECT_EQ(ErrorOf("{:workloads [{:name :uniform :scales []}]}"), "x.edn: :workloads[0] :scales: give at least one scale");
}

// Every experiment file of the repository parses.
TEST(ExperimentFile, TheRepositorysFilesParse) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(STRATA_EXPERIMENTS)) {
    if (entry.path().extension() != ".edn") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto e = ParseExperiment(ss.str(), entry.path().string(), "/out");
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (e.ok()) {
      EXPECT_FALSE(e->cells.empty()) << entry.path();
    }
    ++files;
  }
  EXPECT_GE(files, 2);
}

// A runner that writes a plausible results file and counts its calls.
struct FakeRunner {
  int runs = 0;
  bool interrupt = false;
  Result<RunOutcome> operator()(const RunConfig& c, const Context&, RunObserver*) {
    ++runs;
    ResultsFile f;
    f.strategy = c.strategies.at(0);
    f.workload = c.workload.name;
    f.summary.jobs = 2;
    f.summary.interrupted = interrupt;
    f.repetitions.push_back(Repetition{f.summary, std::nullopt, std::nullopt});
    STRATA_RETURN_IF_ERROR(WriteResultsFile(c.out_dir + "/results-" + f.strategy + ".json", f));
    return RunOutcome{};
  }
};

TEST(Experiment, AFinishedCellIsNotRerunAnUnfinishedOneIs) {
  const std::string out = FreshDir("experiment-resume");
  auto e = ParseExperiment("{:workloads [:uniform] :scales [0.01] :strategies [:adaptive :cow-tree] :repetitions 2}",
                           "x.edn", out);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->cells.size(), 4u);
  FakeRunner fake;
  std::vector<Context> contexts;
  CellRunner run = [&](const RunConfig& c, const Context& x, RunObserver* o) {
    contexts.push_back(x);
    return fake(c, x, o);
  };
  Context given;
  given.date = "the experiment's start";
  given.hostname = "box";
  auto first = RunExperiment(*e, given, nullptr, run);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(fake.runs, 4);
  // Each cell records its own start (date, load), the rest as given.
  ASSERT_EQ(contexts.size(), 4u);
  for (const Context& x : contexts) {
    EXPECT_EQ(x.hostname, "box");
    EXPECT_EQ(x.date.size(), std::string("2026-12-07T07:00:00Z").size()) << x.date;
    EXPECT_EQ(x.load_avg.size(), 3u);
  }
  EXPECT_EQ(first->ran, 4u);
  EXPECT_EQ(first->finished.size(), 4u);

  auto second = RunExperiment(*e, Context{}, nullptr, run);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(fake.runs, 4);  // nothing ran again
  EXPECT_EQ(second->skipped, 4u);
  EXPECT_EQ(second->finished.size(), 4u);

  // A cell interrupted (Ctrl-C) and one whose file is gone run again; a
  // leftover in the interrupted cell's folder goes.
  ResultsFile f = *FinishedCell(e->cells[1]);
  f.summary.interrupted = true;
  ASSERT_TRUE(WriteResultsFile(CellResultsPath(e->cells[1]), f).ok());
  std::ofstream(e->cells[1].config.out_dir + "/db-leftover") << "x";
  std::filesystem::remove(CellResultsPath(e->cells[3]));
  auto third = RunExperiment(*e, Context{}, nullptr, run);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(fake.runs, 6);
  EXPECT_EQ(third->ran, 2u);
  EXPECT_EQ(third->skipped, 2u);
  EXPECT_FALSE(std::filesystem::exists(e->cells[1].config.out_dir + "/db-leftover"));

  // A cell that fails stops the experiment, naming the cell; the cells
  // before it stay finished.
  std::filesystem::remove(CellResultsPath(e->cells[2]));
  std::filesystem::remove(CellResultsPath(e->cells[3]));
  CellRunner failing = [&](const RunConfig&, const Context&, RunObserver*) -> Result<RunOutcome> {
    return Status::IOError("disk full");
  };
  auto failed = RunExperiment(*e, Context{}, nullptr, failing);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->error.message(), "cell " + e->cells[2].key.id + ": disk full");
  EXPECT_EQ(failed->finished.size(), 2u);
  auto resumed = RunExperiment(*e, Context{}, nullptr, run);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(fake.runs, 8);
  EXPECT_TRUE(resumed->error.ok());

  // A cell still interrupted after its run is not counted finished.
  fake.interrupt = true;
  std::filesystem::remove(CellResultsPath(e->cells[0]));
  auto fourth = RunExperiment(*e, Context{}, nullptr, run);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->ran, 1u);
  EXPECT_EQ(fourth->finished.size(), 3u);
  std::filesystem::remove_all(out);
}

// The same with real runs: the second invocation runs nothing.
TEST(Experiment, ARealExperimentResumesWithoutRunning) {
  const std::string out = FreshDir("experiment-real");
  auto e = ParseExperiment("{:workloads [:uniform] :scales [0.02] :strategies [:adaptive] "
                           ":parameters {:memory-index-threshold \"16k\"}}",
                           "x.edn", out);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  int runs = 0;
  CellRunner counted = [&](const RunConfig& c, const Context& x, RunObserver* o) {
    ++runs;
    return harness::Run(c, x, o);
  };
  auto first = RunExperiment(*e, Context{}, nullptr, counted);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->finished.size(), 1u);
  const ResultsFile& r = first->finished[0].results;
  EXPECT_GT(r.summary.jobs, 0u);
  // Measured read amplification: every probed entity is in the durable
  // index, so each point read and range scan reads at least one leaf cold.
  EXPECT_GE(r.summary.read_segments_per_point_read, 1.0);
  EXPECT_GE(r.summary.read_segments_per_range_scan, 1.0);
  EXPECT_GT(r.summary.read_bytes_per_point_read, 0.0);
  // Space: live and garbage split the bytes at rest; the timeline has them.
  EXPECT_GT(r.summary.storage_live_bytes, 0u);
  EXPECT_EQ(r.summary.storage_live_bytes + r.summary.storage_garbage_bytes, r.summary.storage_bytes);
  ASSERT_TRUE(r.timeline.has_value());
  ASSERT_EQ(r.timeline->storage_live_bytes.size(), r.timeline->t_ms.size());
  EXPECT_EQ(r.timeline->storage_live_bytes.back(), static_cast<double>(r.summary.storage_live_bytes));
  auto second = RunExperiment(*e, Context{}, nullptr, counted);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(second->finished[0].results, first->finished[0].results);
  std::filesystem::remove_all(out);
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// One row per observation: every summary number, every job's numbers, and
// each job's start and end from the timeline, in a tidy table.
TEST(Observations, TidyCsvOneRowPerObservation) {
  ResultsFile f;
  f.strategy = "adaptive";
  f.summary.jobs = 2;
  f.summary.write_amplification = 2.5;
  f.summary.storage_bytes = 300;
  f.summary.storage_live_bytes = 100;
  f.reads["entity-by-id"].p99_us = 812.25;
  Job a, b;
  a.job = 1, a.wall_ms = 30, a.bytes_written = 1000;
  b.job = 2, b.wall_ms = 50, b.bytes_written = 2000;
  f.jobs = {a, b};
  Timeline t;
  t.t_ms = {0, 100, 200};
  t.jobs = {0, 2, 2};  // both jobs finished in the first interval
  f.timeline = t;
  CellKey k{"cell-1", "uniform", 0.5, "adaptive", {{"level_ratio", "4"}, {"storage", "postgres://u@h/db,x"}}, 2};
  const std::string csv = ObservationsCsv({{k, f}});
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = Split(line);
  EXPECT_EQ(header, (std::vector<std::string>{"cell", "workload", "strategy", "level_ratio", "storage", "scale",
                                              "repetition", "kind", "job", "name", "value"}));
  std::map<std::string, std::string> run;                  // name -> value
  std::map<std::pair<std::string, std::string>, double> job;  // (job, name) -> value
  size_t rows = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> r = Split(line);
    ASSERT_EQ(r.size(), header.size()) << line;
    EXPECT_EQ(r[0], "cell-1");
    EXPECT_EQ(r[4], "postgres://u@h/db,x");  // quoted, read back whole
    EXPECT_EQ(r[5], "0.5");
    EXPECT_EQ(r[6], "2");
    if (r[7] == "run") {
      EXPECT_EQ(r[8], "");
      run[r[9]] = r[10];
    } else {
      ASSERT_EQ(r[7], "job");
      job[{r[8], r[9]}] = std::stod(r[10]);
    }
    ++rows;
  }
  EXPECT_EQ(run.at("write_amplification"), "2.5");
  EXPECT_EQ(run.at("space_amplification"), "3");
  EXPECT_EQ(run.at("interrupted"), "0");
  EXPECT_EQ(run.at("reads.entity-by-id.p99_us"), "812.25");
  EXPECT_EQ(job.at({"2", "bytes_written"}), 2000);
  // Job 2 ends at the sample that counts it; job 1 no later than job 2 starts.
  EXPECT_EQ(job.at({"2", "end_ms"}), 100);
  EXPECT_EQ(job.at({"2", "start_ms"}), 50);
  EXPECT_EQ(job.at({"1", "end_ms"}), 50);
  EXPECT_EQ(job.at({"1", "start_ms"}), 20);
  EXPECT_EQ(rows, Observe(f).size());
}

}  // namespace
}  // namespace strata::harness
