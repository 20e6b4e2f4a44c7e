// `strata run`: flag handling over harness::Run (harness/run.h), which
// replays a workload into a fresh database per strategy (and repetition)
// and writes DIR/results-<strategy>.json. Here: the flags become a
// RunConfig, a progress line on a terminal, the end-of-run table, and
// DIR/report.html and DIR/summary.md (`strata report`). Ctrl-C stops after
// the step in flight; what was measured so far is written and the exit code
// is 130. With --metrics, the live run's counters are served on /metrics
// (docs/metrics.md).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>

#include "strata/connection.h"
#include "strata/location.h"
#include "cli/commands.h"
#include "harness/run.h"
#include "metrics/http_server.h"
#include "metrics/run_metrics.h"
#include "reports/report.h"
#include "workloads/workload.h"

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

// "\r  adaptive (1/3)  1200/20000 steps  8.1k tx/s  61k datoms/s  ETA 2.1 s"
// on stderr when it is a terminal, and a line per finished run.
class TerminalObserver : public harness::RunObserver {
 public:
  explicit TerminalObserver(metrics::RunMetrics* metrics) : on_(isatty(STDERR_FILENO) != 0), metrics_(metrics) {}

  bool Stopped() override { return Interrupted(); }
  void Started(const std::string& label, uint64_t estimated_steps) override {
    label_ = label;
    total_ = estimated_steps;
    start_ = Clock::now();
    last_ = Clock::time_point();
  }
  void Progress(uint64_t steps, const ConnectionStats& cs) override {
    if (!on_) return;
    const Clock::time_point now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(steps) / elapsed : 0;
    std::string eta = "?";
    if (total_ > steps && rate > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f s", static_cast<double>(total_ - steps) / rate);
      eta = buf;
    }
    std::fprintf(stderr, "\r\033[K  %s  %llu/%llu steps  %.0f tx/s  %.0f datoms/s  %llu jobs  ETA %s", label_.c_str(),
                 static_cast<unsigned long long>(steps), static_cast<unsigned long long>(total_),
                 elapsed > 0 ? static_cast<double>(cs.transactions) / elapsed : 0,
                 elapsed > 0 ? static_cast<double>(cs.datoms) / elapsed : 0, static_cast<unsigned long long>(cs.jobs),
                 eta.c_str());
  }
  void Opened(const std::string& strategy, int repetition, Connection* conn) override {
    if (metrics_ != nullptr) metrics_->Opened(strategy, repetition, conn);
  }
  void Closing(Connection* conn) override {
    if (metrics_ != nullptr) metrics_->Closing(conn);
  }
  void Note(const std::string& what) override {
    if (on_) std::fprintf(stderr, "\r\033[K  %s  %s", label_.c_str(), what.c_str());
  }
  void Ended() override {
    if (on_) std::fputs("\r\033[K", stderr);
  }
  // One line per run that stays (the progress line is erased), so a log
  // shows the progress too.
  void Finished(const std::string& label, const harness::RunResult& r) override {
    const harness::Summary& s = r.summary;
    std::fprintf(stderr, "  %s: %.1f s, %llu transactions, %llu datoms, %llu indexing jobs, %.0f datoms/s%s\n",
                 label.c_str(), s.import_s + s.final_index_ms / 1000, static_cast<unsigned long long>(s.transactions),
                 static_cast<unsigned long long>(s.datoms), static_cast<unsigned long long>(s.jobs),
                 s.import_datoms_per_s, s.interrupted ? " (interrupted)" : "");
  }
  void Message(const std::string& text) override {
    Ended();
    std::fprintf(stderr, "strata: %s\n", RedactSecrets(text).c_str());
  }

 private:
  const bool on_;
  metrics::RunMetrics* metrics_;
  std::string label_;
  uint64_t total_ = 0;
  Clock::time_point start_, last_;
};

// The strategies of --strategy, known and each once.
Result<std::vector<std::string>> ParseStrategies(const std::string& flag) {
  const std::vector<std::string> known = StrategyNames();
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  std::vector<std::string> out;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= flag.size()) {
    size_t comma = flag.find(',', start);
    if (comma == std::string::npos) comma = flag.size();
    std::string s = flag.substr(start, comma - start);
    start = comma + 1;
    if (s.empty()) continue;
    if (s == "all") {  // every registered strategy, in name order
      for (const auto& k : known)
        if (seen.insert(k).second) out.push_back(k);
      continue;
    }
    if (std::find(known.begin(), known.end(), s) == known.end())
      return Status::InvalidArgument("--strategy: unknown strategy '" + s + "' (known: " + list + ")");
    if (seen.insert(s).second) out.push_back(s);
  }
  if (out.empty()) return Status::InvalidArgument("--strategy: name at least one of " + list);
  return out;
}

// The engine options of the flags: sync, memory index sizes, segment cache, segment size.
Result<Options> ParseOptions(const RunArgs& args) {
  Options o;
  if (!ParseSyncPolicy(args.sync, &o.sync))
    return Status::InvalidArgument("--sync '" + args.sync + "': expected always, batch or never");
  if (!args.memory_index_threshold.empty()) {
    STRATA_ASSIGN_OR_RETURN(o.memory_index_threshold,
                            ParseSize(args.memory_index_threshold, "--memory-index-threshold"));
  }
  if (!args.memory_index_max.empty()) {
    STRATA_ASSIGN_OR_RETURN(o.memory_index_max, ParseSize(args.memory_index_max, "--memory-index-max"));
  }
  if (!args.segment_cache.empty()) {
    STRATA_ASSIGN_OR_RETURN(o.segment_cache_bytes, ParseSize(args.segment_cache, "--segment-cache"));
  }
  if (o.memory_index_threshold == 0) return Status::InvalidArgument("--memory-index-threshold must be > 0");
  if (o.memory_index_max < o.memory_index_threshold)
    return Status::InvalidArgument("--memory-index-max must be at least --memory-index-threshold (" +
                                   std::to_string(o.memory_index_threshold) + " bytes)");
  if (args.segment_datoms > 0) o.segment_datoms = args.segment_datoms;
  o.index_job_threads = args.index_job_threads;
  o.create_if_missing = true;
  return o;
}

Result<harness::RunConfig> MakeConfig(const RunArgs& args) {
  harness::RunConfig c;
  if (!args.storage.empty() && args.storage.rfind("postgres://", 0) != 0 && args.storage.rfind("postgresql://", 0) != 0)
    return Status::InvalidArgument("--storage " + RedactLocation(args.storage) + ": expected postgres://... (folders are the default)");
  c.storage = args.storage;
  STRATA_ASSIGN_OR_RETURN(c.strategies, ParseStrategies(args.strategies));
  STRATA_ASSIGN_OR_RETURN(c.options, ParseOptions(args));
  workloads::WorkloadOptions& w = c.workload;
  w.name = args.workload;
  w.scale = args.scale;
  w.seed = args.seed;
  w.read_ratio = args.read_ratio;
  w.data_dir = args.data_dir;
  STRATA_ASSIGN_OR_RETURN(auto probe, workloads::MakeWorkload(w));  // checks the name and the numbers
  (void)probe;
  c.out_dir = args.out;
  c.repetitions = std::max(1, args.repetitions);
  c.keep = args.keep;
  c.icount = args.icount;
  return c;
}

// Warnings before the first run: not a release build, planted slowness,
// no jemalloc statistics.
void WarnAboutContext(const harness::Context& context) {
  if (!context.release) {
    std::fprintf(stderr,
                 "WARNING: ***********************************************************************\n"
                 "WARNING: strata was built as '%s'%s%s: timings are not representative.\n"
                 "WARNING: build a release (scripts/build release) before comparing figures.\n"
                 "WARNING: ***********************************************************************\n",
                 context.build_type.c_str(), context.assertions ? " with assertions" : "",
                 context.sanitizers.empty() ? "" : (" with " + context.sanitizers + " sanitizer").c_str());
  }
  if (context.planted_slow_read_us > 0)
    std::fprintf(stderr, "strata: warning: STRATA_PLANT_SLOW_READ_US=%llu: every timed read waits that long (a test "
                         "knob; the results files say so)\n",
                 static_cast<unsigned long long>(context.planted_slow_read_us));
  if (context.planted_slow_commit_pct > 0 || context.planted_slow_read_pct > 0)
    std::fprintf(stderr, "strata: warning: STRATA_PLANT_SLOW_COMMIT_PCT=%llu STRATA_PLANT_SLOW_READ_PCT=%llu: commits and "
                         "reads do that much more work (a test knob; the results files say so)\n",
                 static_cast<unsigned long long>(context.planted_slow_commit_pct),
                 static_cast<unsigned long long>(context.planted_slow_read_pct));
  if (context.planted_slow_commit_cpu_pct > 0 || context.planted_slow_read_cpu_pct > 0)
    std::fprintf(stderr, "strata: warning: STRATA_PLANT_SLOW_COMMIT_CPU_PCT=%llu STRATA_PLANT_SLOW_READ_CPU_PCT=%llu: "
                         "commits and reads use that much more CPU time (a test knob; the results files say so)\n",
                 static_cast<unsigned long long>(context.planted_slow_commit_cpu_pct),
                 static_cast<unsigned long long>(context.planted_slow_read_cpu_pct));
  if (context.jemalloc.empty()) std::fprintf(stderr, "strata: warning: jemalloc statistics are unavailable\n");
}

// The end-of-run table, from the results files just written through the
// report's summary table (one definition: each figure's median over the
// repetitions), so the console and summary.md cannot disagree.
void PrintSummaryTable(const std::string& dir, const std::vector<std::string>& strategies) {
  std::vector<reports::RunFile> files;
  for (const std::string& s : strategies) {
    const std::string path = dir + "/results-" + s + ".json";
    auto f = harness::ReadResultsFile(path);
    if (!f.ok()) {
      std::fprintf(stderr, "strata: warning: %s\n", f.status().message().c_str());
      continue;
    }
    files.push_back(reports::RunFile{path, std::move(*f)});
  }
  std::fputs(reports::SummaryText(files).c_str(), stdout);
}

// DIR/report.html and DIR/summary.md from the files just written; a
// failure is not the run's.
void WriteReport(const std::string& dir) {
  auto report = reports::WriteReport(dir);
  if (!report.ok()) {
    std::fprintf(stderr, "strata: warning: no report: %s\n", report.status().message().c_str());
    return;
  }
  for (const std::string& w : report->warnings)  // the build warning was given before the runs
    if (w.rfind("the results come from a build that is not a release", 0) != 0)
      std::fprintf(stderr, "strata: warning: %s\n", w.c_str());
  std::printf("report in %s (%d charts), %s\n", report->html_path.c_str(), report->canvases,
              report->markdown_path.c_str());
}

}  // namespace

int RunRun(const RunArgs& args) {
  auto config = MakeConfig(args);
  if (!config.ok()) return Fail(config.status().message());
  std::optional<metrics::HttpAddress> metrics_address;
  if (!args.metrics.empty()) {
    auto a = metrics::ParseHttpAddress(args.metrics, args.metrics_remote);
    if (!a.ok()) return Fail(a.status().message() + (args.metrics_remote ? "" : "; use 127.0.0.1, or give --metrics-remote"));
    metrics_address = *a;
  }
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  if (ec) return Fail("--out " + args.out + ": " + ec.message());

  const harness::Context context = harness::CollectContext(args.command_line);
  WarnAboutContext(context);
  config->planted_slow_read_us = context.planted_slow_read_us;
  config->plant = harness::PlantedSlowdownFromEnv();
  CatchSigint();

  metrics::RunMetrics run_metrics;
  metrics::HttpServer http;
  if (metrics_address) {
    metrics::MountMetrics(http.routes(), [&run_metrics]() -> Result<metrics::MetricsSnapshot> {
      return run_metrics.Snapshot();
    });
    if (Status s = http.Start(*metrics_address); !s.ok()) return Fail("--metrics: " + s.message());
    std::fprintf(stderr, "strata run: metrics on http://%s/metrics\n",
                 metrics::HttpAddress{metrics_address->host, http.port()}.ToString().c_str());
  }
  TerminalObserver observer(metrics_address ? &run_metrics : nullptr);
  auto outcome = harness::Run(*config, context, &observer);
  http.Stop();
  if (!outcome.ok()) return Fail(outcome.status().message());

  std::printf("strata run: %s, %s\n", config->workload.ToString().c_str(),
              context.release ? "release build" : "NOT A RELEASE BUILD");
  std::vector<std::string> ran;  // not a stale file of an earlier run in --out
  for (const harness::RunResult& r : outcome->medians) ran.push_back(r.strategy);
  PrintSummaryTable(args.out, ran);
  std::printf("results in %s/results-<strategy>.json\n", args.out.c_str());
  WriteReport(args.out);
  std::fflush(stdout);
  if (Interrupted()) {
    std::fprintf(stderr, "strata: interrupted; the results cover what ran\n");
    return 130;
  }
  return 0;
}

}  // namespace strata::cli
