// `strata run`: replays a workload into a fresh database per strategy (and
// repetition) and writes DIR/results-<strategy>.json (see results.h).
//
// Each run: open an empty database in a temporary folder under --out,
// commit the workload's schema and steps (timing reads by name), then call
// IndexNow so the final novelty is indexed, and gather every job's metrics,
// the connection's statistics and the process's memory. Commits and reads
// are timed into histograms; a sampler thread records the timeline. At the
// end, DIR/report.html and DIR/summary.md are written (`strata report`). Repetitions run
// round-robin over the strategies so slow drift (thermal, page cache) hits
// every strategy alike. Ctrl-C stops after the step in flight; what was
// measured so far is written and the exit code is 130.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "strata/connection.h"
#include "cli/commands.h"
#include "cli/process_stats.h"
#include "cli/results.h"
#include "reports/report.h"
#include "workloads/workload.h"

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// :db/txInstant of every run starts here and advances 1 ms per
// transaction, so every strategy builds the very same datoms.
constexpr int64_t kClockStartMs = 1700000000000;

// "\r  adaptive (1/3)  1200/20000 steps  8.1k tx/s  61k datoms/s  ETA 2.1 s",
// on stderr when it is a terminal.
class Progress {
 public:
  Progress(std::string label, uint64_t total) : label_(std::move(label)), total_(total), start_(Clock::now()) {
    on_ = isatty(STDERR_FILENO) != 0;
  }
  void Update(uint64_t steps, uint64_t tx, uint64_t datoms, uint64_t jobs) {
    if (!on_ || (steps & 63) != 0) return;
    const Clock::time_point now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double elapsed = Seconds(now - start_);
    const double rate = elapsed > 0 ? static_cast<double>(steps) / elapsed : 0;
    std::string eta = "?";
    if (total_ > steps && rate > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f s", static_cast<double>(total_ - steps) / rate);
      eta = buf;
    }
    std::fprintf(stderr, "\r\033[K  %s  %llu/%llu steps  %.0f tx/s  %.0f datoms/s  %llu jobs  ETA %s", label_.c_str(),
                 static_cast<unsigned long long>(steps), static_cast<unsigned long long>(total_),
                 elapsed > 0 ? static_cast<double>(tx) / elapsed : 0,
                 elapsed > 0 ? static_cast<double>(datoms) / elapsed : 0, static_cast<unsigned long long>(jobs),
                 eta.c_str());
  }
  void Note(const std::string& what) {
    if (on_) std::fprintf(stderr, "\r\033[K  %s  %s", label_.c_str(), what.c_str());
  }
  void Clear() {
    if (on_) std::fputs("\r\033[K", stderr);
  }

 private:
  std::string label_;
  uint64_t total_;
  Clock::time_point start_, last_;
  bool on_ = false;
};

struct Plan {
  std::vector<std::string> strategies;
  std::string storage;  // RunArgs::storage
  Options options;  // without the strategy and the clock
  workloads::WorkloadOptions workload;
  uint64_t planted_slow_read_us = 0;  // RunContext::planted_slow_read_us
};

Result<Plan> MakePlan(const RunArgs& args) {
  Plan p;
  if (!args.storage.empty() && args.storage.rfind("postgres://", 0) != 0 && args.storage.rfind("postgresql://", 0) != 0)
    return Status::InvalidArgument("--storage " + args.storage + ": expected postgres://... (folders are the default)");
  p.storage = args.storage;
  const std::vector<std::string> known = StrategyNames();
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= args.strategies.size()) {
    size_t comma = args.strategies.find(',', start);
    if (comma == std::string::npos) comma = args.strategies.size();
    std::string s = args.strategies.substr(start, comma - start);
    start = comma + 1;
    if (s.empty()) continue;
    if (s == "all") {  // every registered strategy, in name order
      for (const auto& k : known)
        if (seen.insert(k).second) p.strategies.push_back(k);
      continue;
    }
    if (std::find(known.begin(), known.end(), s) == known.end())
      return Status::InvalidArgument("--strategy: unknown strategy '" + s + "' (known: " + list + ")");
    if (seen.insert(s).second) p.strategies.push_back(s);
  }
  if (p.strategies.empty()) return Status::InvalidArgument("--strategy: name at least one of " + list);

  Options& o = p.options;
  if (!ParseSyncPolicy(args.sync, &o.sync))
    return Status::InvalidArgument("--sync '" + args.sync + "': expected always, batch or never");
  if (!args.memory_index_threshold.empty()) {
    STRATA_ASSIGN_OR_RETURN(o.memory_index_threshold,
                            ParseSize(args.memory_index_threshold, "--memory-index-threshold"));
  }
  if (!args.memory_index_max.empty()) {
    STRATA_ASSIGN_OR_RETURN(o.memory_index_max, ParseSize(args.memory_index_max, "--memory-index-max"));
  }
  if (o.memory_index_threshold == 0) return Status::InvalidArgument("--memory-index-threshold must be > 0");
  if (o.memory_index_max < o.memory_index_threshold)
    return Status::InvalidArgument("--memory-index-max must be at least --memory-index-threshold (" +
                                   std::to_string(o.memory_index_threshold) + " bytes)");
  if (args.segment_datoms > 0) o.segment_datoms = args.segment_datoms;
  o.create_if_missing = true;

  workloads::WorkloadOptions& w = p.workload;
  w.name = args.workload;
  w.scale = args.scale;
  w.seed = args.seed;
  w.read_ratio = args.read_ratio;
  w.data_dir = args.data_dir;
  STRATA_ASSIGN_OR_RETURN(auto probe, workloads::MakeWorkload(w));  // checks the name and the numbers
  (void)probe;
  return p;
}

// Watches one run from its own thread: jemalloc's allocated bytes every
// 5 ms (jobs allocate off the main thread; the peak is kept), and every
// Timeline::interval_ms a timeline row. The main thread reports each
// commit's latency through RecordCommit; a row holds the percentiles of the
// commits since the previous row.
class RunSampler {
 public:
  RunSampler(const Connection& conn, Clock::time_point start, Timeline* timeline)
      : conn_(conn), start_(start), timeline_(timeline), next_row_(start), thread_([this] { Loop(); }) {}
  ~RunSampler() { Stop(); }

  void RecordCommit(Clock::duration d) {
    std::lock_guard l(mu_);
    interval_.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }
  // Takes a last row and stops; returns the peak allocated bytes seen (0
  // without jemalloc statistics). The timeline is complete after this.
  uint64_t Stop() {
    {
      std::lock_guard l(mu_);
      if (stop_) return peak_;
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard l(mu_);
    Row(Clock::now());
    return peak_;
  }

 private:
  void Loop() {
    std::unique_lock l(mu_);
    while (!stop_) {
      const JemallocStats m = ReadJemallocStats();
      if (m.ok) {
        peak_ = std::max(peak_, m.allocated);
        allocated_ = m.allocated;
      }
      const Clock::time_point now = Clock::now();
      if (now >= next_row_) {
        Row(now);
        next_row_ += std::chrono::milliseconds(timeline_->interval_ms);
        if (next_row_ < now) next_row_ = now + std::chrono::milliseconds(timeline_->interval_ms);  // fell behind
      }
      cv_.wait_for(l, std::chrono::milliseconds(5));
    }
  }

  void Row(Clock::time_point now) {
    const ConnectionStats cs = conn_.stats();
    Timeline& t = *timeline_;
    t.t_ms.push_back(std::chrono::duration<double, std::milli>(now - start_).count());
    t.transactions.push_back(cs.transactions);
    t.datoms.push_back(cs.datoms);
    t.jobs.push_back(cs.jobs);
    t.memory_index_bytes.push_back(conn_.db().memory_index_bytes());
    t.allocated_bytes.push_back(allocated_);
    const bool any = interval_.count() > 0;
    t.tx_p50_us.push_back(any ? static_cast<double>(interval_.ValueAtPercentile(50)) / 1e3 : -1);
    t.tx_p99_us.push_back(any ? static_cast<double>(interval_.ValueAtPercentile(99)) / 1e3 : -1);
    t.tx_max_us.push_back(any ? static_cast<double>(interval_.max()) / 1e3 : -1);
    interval_.Reset();
  }

  const Connection& conn_;
  const Clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  Timeline* timeline_;           // guarded by mu_ until Stop returns
  Clock::time_point next_row_;   // guarded by mu_
  Histogram interval_;           // guarded by mu_: commits since the last row
  uint64_t peak_ = 0, allocated_ = 0;  // guarded by mu_
  bool stop_ = false;                  // guarded by mu_
  std::thread thread_;  // last: starts after the fields it uses
};

// One run of one strategy; `label` names it in progress lines.
Result<RunResult> RunOnce(const Plan& plan, const std::string& strategy, const std::string& out_dir,
                          bool keep, const std::string& label) {
  std::string dir;
  if (plan.storage.empty()) {
    dir = out_dir + "/db-" + strategy + "-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) return Status::IOError("cannot create a folder under " + out_dir);
  } else {
    static int runs = 0;
    dir = WithStrataDb(plan.storage, "run-" + std::to_string(::getpid()) + "-" + std::to_string(runs++) + "-" + strategy);
    STRATA_RETURN_IF_ERROR(DestroyDatabase(dir));
  }
  struct Cleanup {
    const std::string& dir;
    bool remove;
    ~Cleanup() {
      if (!remove) return;
      if (Status s = DestroyDatabase(dir); !s.ok())
        std::fprintf(stderr, "strata: warning: removing the run's database %s: %s\n", dir.c_str(), s.ToString().c_str());
    }
  } cleanup{dir, !keep};

  Options options = plan.options;
  options.strategy = strategy;
  auto ticks = std::make_shared<std::atomic<int64_t>>(kClockStartMs);
  options.clock = [ticks] { return ticks->fetch_add(1); };

  RunResult r;
  r.strategy = strategy;
  r.workload = plan.workload.name;
  r.scale = plan.workload.scale;
  r.seed = plan.workload.seed;
  r.options = options.ToString();
  r.storage = plan.storage.empty() ? "folder" : RedactLocation(plan.storage);
  r.workload_options = plan.workload.ToString();
  RunSummary& s = r.summary;

  STRATA_ASSIGN_OR_RETURN(auto workload, workloads::MakeWorkload(plan.workload));
  auto opened = Connection::Open(dir, options);
  if (!opened.ok()) return opened.status().WithContext("opening " + RedactLocation(dir));
  Connection& conn = **opened;
  workload->RegisterTxFunctions(conn);

  s.peak_rss_reset = ResetPeakRss();
  Progress progress(label, workload->EstimatedSteps());
  const Clock::time_point start = Clock::now();
  RunSampler sampler(conn, start, &r.timeline);
  auto transact = [&](const edn::Node& tx) {
    const Clock::time_point t0 = Clock::now();
    auto rep = conn.Transact(tx);
    const Clock::duration d = Clock::now() - t0;
    if (rep.ok()) {
      sampler.RecordCommit(d);
      r.tx_latency.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
    }
    return rep;
  };
  auto where = [&](uint64_t step) {
    return "workload " + plan.workload.name + " (seed " + std::to_string(plan.workload.seed) + "), step " +
           std::to_string(step) + ", strategy " + strategy;
  };
  for (const edn::Node& tx : workload->Schema()) {
    auto rep = transact(tx);
    if (!rep.ok()) return rep.status().WithContext("schema of " + where(0));
  }
  workloads::Step step;
  uint64_t steps = 0;
  while (!Interrupted() && workload->Next(&step)) {
    ++steps;
    if (step.kind == workloads::Step::Kind::kTransact) {
      auto rep = transact(step.tx);
      if (!rep.ok()) {
        progress.Clear();
        return rep.status().WithContext(where(steps));
      }
    } else {
      const Database db = conn.db();
      const Clock::time_point t0 = Clock::now();
      Status st = step.read(db);
      if (plan.planted_slow_read_us > 0) {  // the gate's test knob: extra work inside the timed read
        const Clock::time_point until = t0 + std::chrono::microseconds(plan.planted_slow_read_us);
        while (Clock::now() < until) {
        }
      }
      r.reads[step.read_name].Record(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0));
      s.reads++;
      if (!st.ok() && s.read_errors++ == 0) {
        progress.Clear();
        std::fprintf(stderr, "strata: warning: read %s failed at %s: %s\n", step.read_name.c_str(),
                     where(steps).c_str(), st.ToString().c_str());
      }
    }
    if ((steps & 63) == 0) {
      const ConnectionStats cs = conn.stats();
      progress.Update(steps, cs.transactions, cs.datoms, cs.jobs);
    }
  }
  s.import_s = Seconds(Clock::now() - start);
  const Clock::time_point t0 = Clock::now();
  // The queued generations first, interruptibly (IndexNow cannot be
  // cancelled); then IndexNow seals and indexes the remainder.
  for (uint64_t queued, shown = 0; !Interrupted() && (queued = conn.stats().sealed_novelty) > 0; shown = queued) {
    if (queued != shown) progress.Note("indexing the backlog: " + std::to_string(queued) + " generations queued");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  s.interrupted = Interrupted();
  if (!s.interrupted) {
    progress.Note("indexing the final novelty");
    auto forced = conn.IndexNow();
    if (!forced.ok()) {
      progress.Clear();
      return forced.status().WithContext("final IndexNow of strategy " + strategy);
    }
    // IndexNow seals the open novelty (when there is any) after every
    // generation already sealed: the last job indexed that remainder.
    r.final_jobs = forced->empty() ? 0 : 1;
    s.final_index_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  progress.Clear();
  s.peak_allocated_bytes = sampler.Stop();

  r.jobs = conn.Jobs();
  const ConnectionStats cs = conn.stats();
  s.transactions = cs.transactions;
  s.datoms = cs.datoms;
  s.import_datoms_per_s = s.import_s > 0 ? static_cast<double>(cs.datoms) / s.import_s : 0;
  const double total_s = s.import_s + s.final_index_ms / 1000;
  s.indexed_datoms_per_s = total_s > 0 ? static_cast<double>(cs.datoms) / total_s : 0;
  s.log_bytes = cs.log_bytes;
  s.backpressure_wait_ms = cs.backpressure_wait_ms;
  s.segments_collected = cs.segments_collected;
  s.AddJobs(r.jobs);
  auto at_rest = conn.StorageBytes();
  s.storage_bytes = at_rest.ok() ? *at_rest : 0;
  const JemallocStats m = ReadJemallocStats();
  s.allocated_bytes = m.allocated;
  s.active_bytes = m.active;
  s.resident_bytes = m.resident;
  s.mapped_bytes = m.mapped;
  s.peak_rss_bytes = PeakRssBytes();
  if (Status st = conn.Close(); !st.ok()) return st.WithContext("closing " + dir);
  if (keep)
    std::fprintf(stderr, "strata: kept the %s database in %s\n", strategy.c_str(), RedactLocation(dir).c_str());
  return r;
}

// The repetition with the median import time.
size_t Median(const std::vector<RunResult>& reps) {
  std::vector<size_t> order(reps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return reps[a].summary.import_s < reps[b].summary.import_s; });
  return order[(order.size() - 1) / 2];
}

}  // namespace

int RunRun(const RunArgs& args) {
  auto planned = MakePlan(args);
  if (!planned.ok()) return Fail(planned.status().message());
  Plan& plan = *planned;
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  if (ec) return Fail("--out " + args.out + ": " + ec.message());

  const RunContext context = CollectContext(args.command_line);
  if (!context.release()) {
    std::fprintf(stderr,
                 "WARNING: ***********************************************************************\n"
                 "WARNING: strata was built as '%s'%s%s: timings are not representative.\n"
                 "WARNING: build a release (scripts/build release) before comparing figures.\n"
                 "WARNING: ***********************************************************************\n",
                 context.build_type.c_str(), context.assertions ? " with assertions" : "",
                 context.sanitizers.empty() ? "" : (" with " + context.sanitizers + " sanitizer").c_str());
  }
  plan.planted_slow_read_us = context.planted_slow_read_us;
  if (plan.planted_slow_read_us > 0)
    std::fprintf(stderr, "strata: warning: STRATA_PLANT_SLOW_READ_US=%llu: every timed read waits that long (a test "
                         "knob; the results files say so)\n",
                 static_cast<unsigned long long>(plan.planted_slow_read_us));
  if (context.jemalloc.empty()) std::fprintf(stderr, "strata: warning: jemalloc statistics are unavailable\n");
  CatchSigint();

  std::map<std::string, std::vector<RunResult>> by_strategy;
  const int reps = std::max(1, args.repetitions);
  for (int rep = 0; rep < reps && !Interrupted(); ++rep) {
    for (size_t i = 0; i < plan.strategies.size() && !Interrupted(); ++i) {
      const std::string& strategy = plan.strategies[i];
      std::string label = strategy + " (" + std::to_string(i + 1) + "/" + std::to_string(plan.strategies.size());
      if (reps > 1) label += ", repetition " + std::to_string(rep + 1) + "/" + std::to_string(reps);
      label += ")";
      auto result = RunOnce(plan, strategy, args.out, args.keep, label);
      if (!result.ok()) return Fail(result.status().message());
      {
        // One line per run that stays (the progress line is erased), so a
        // log shows the progress too.
        const RunSummary& rs = result->summary;
        std::fprintf(stderr, "  %s: %.1f s, %llu transactions, %llu datoms, %llu indexing jobs, %.0f datoms/s%s\n",
                     label.c_str(), rs.import_s + rs.final_index_ms / 1000,
                     static_cast<unsigned long long>(rs.transactions), static_cast<unsigned long long>(rs.datoms),
                     static_cast<unsigned long long>(rs.jobs), rs.import_datoms_per_s,
                     rs.interrupted ? " (interrupted)" : "");
      }
      auto& done = by_strategy[strategy];
      done.push_back(std::move(*result));
      // Written after every run, so an interruption keeps what was measured.
      const std::string path = args.out + "/results-" + strategy + ".json";
      if (Status s = WriteJsonFile(path, ResultToJson(context, done, Median(done))); !s.ok())
        return Fail(s.message());
    }
  }

  std::vector<RunResult> table;
  for (const std::string& s : plan.strategies)
    if (auto it = by_strategy.find(s); it != by_strategy.end()) table.push_back(it->second[Median(it->second)]);
  std::printf("strata run: %s, %s\n", plan.workload.ToString().c_str(), context.release() ? "release build" : "NOT A RELEASE BUILD");
  PrintSummaryTable(table);
  std::printf("results in %s/results-<strategy>.json\n", args.out.c_str());
  // The report only reads the files just written; a failure is not the run's.
  auto report = reports::WriteReport(args.out);
  if (report.ok()) {
    for (const std::string& w : report->warnings)  // the build warning was given above
      if (w.rfind("the results come from a build that is not a release", 0) != 0)
        std::fprintf(stderr, "strata: warning: %s\n", w.c_str());
    std::printf("report in %s (%d charts), %s\n", report->html_path.c_str(), report->canvases,
                report->markdown_path.c_str());
  } else {
    std::fprintf(stderr, "strata: warning: no report: %s\n", report.status().message().c_str());
  }
  std::fflush(stdout);
  if (Interrupted()) {
    std::fprintf(stderr, "strata: interrupted; the results cover what ran\n");
    return 130;
  }
  return 0;
}

}  // namespace strata::cli
