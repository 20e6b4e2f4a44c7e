// Running workloads per strategy (see run.h).

#include "strata/connection.h"
#include "harness/run.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "icount.h"
#include "harness/plant.h"
#include "process_stats.h"
#include "read_mix.h"
#include "sampler.h"

namespace strata::harness {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// :db/txInstant of every run starts here and advances 1 ms per
// transaction, so every strategy builds the very same datoms.
constexpr int64_t kClockStartMs = 1700000000000;

// A fresh, empty database location for one run of `strategy`.
Result<std::string> NewDatabase(const RunConfig& config, const std::string& strategy) {
  if (config.storage.empty()) {
    std::string dir = config.out_dir + "/db-" + strategy + "-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) return Status::IOError("cannot create a folder under " + config.out_dir);
    return dir;
  }
  static int runs = 0;
  std::string dir =
      WithStrataDb(config.storage, "run-" + std::to_string(::getpid()) + "-" + std::to_string(runs++) + "-" + strategy);
  STRATA_RETURN_IF_ERROR(DestroyDatabase(dir));
  return dir;
}

// Removes a run's database when the run ends, unless it is to be kept.
class DatabaseCleanup {
 public:
  DatabaseCleanup(std::string location, bool remove, RunObserver* observer)
      : location_(std::move(location)), remove_(remove), observer_(observer) {}
  ~DatabaseCleanup() {
    if (!remove_) return;
    if (Status s = DestroyDatabase(location_); !s.ok())
      observer_->Message("warning: removing the run's database " + RedactLocation(location_) + ": " + s.ToString());
  }

 private:
  std::string location_;
  bool remove_;
  RunObserver* observer_;
};

// Calls observer->Ended() once when a run ends, however it ends.
class EndGuard {
 public:
  explicit EndGuard(RunObserver* observer) : observer_(observer) {}
  ~EndGuard() { End(); }
  void End() {
    if (observer_ != nullptr) observer_->Ended();
    observer_ = nullptr;
  }

 private:
  RunObserver* observer_;
};

// Tells the observer once that the run's connection closes, however the
// run ends; declared after the connection, so it goes first.
class OpenGuard {
 public:
  OpenGuard(RunObserver* observer, Connection* conn) : observer_(observer), conn_(conn) {}
  ~OpenGuard() { End(); }
  void End() {
    if (observer_ != nullptr) observer_->Closing(conn_);
    observer_ = nullptr;
  }

 private:
  RunObserver* observer_;
  Connection* conn_;
};

// IndexNow inside the indexing-job region: with background indexing off
// (RunConfig::icount) it runs the sealed generations' jobs on this thread.
Status IndexInRegion(Connection& conn) {
  std::optional<Result<std::vector<JobMetrics>>> jobs;
  auto index = [&] { jobs.emplace(conn.IndexNow()); };
  icount::InRegion(icount::kJobSlot, index);
  return jobs->status();
}

// Commits and timed reads of one run, into its RunResult.
class Replayer {
 public:
  Replayer(const RunConfig& config, const std::string& strategy, Connection& conn, RunSampler& sampler,
           RunObserver* observer, icount::Regions* regions, RunResult* r)
      : config_(config),
        strategy_(strategy),
        conn_(conn),
        sampler_(sampler),
        observer_(observer),
        regions_(regions),
        r_(r) {
    OperationCpuNs(0, 0);  // the clocks' costs, measured once before the first commit
    if (config_.plant.commit_cpu_pct > 0 || config_.plant.read_cpu_pct > 0) CalibrateCpuBurn();
  }

  // The schema, then every step until the workload ends or the observer stops.
  Status Replay(workloads::Workload& workload) {
    for (const edn::Node& tx : workload.Schema()) {
      if (Status s = Transact(tx); !s.ok()) return s.WithContext("schema of " + Where(0));
    }
    workloads::Step step;
    uint64_t steps = 0;
    while (!observer_->Stopped() && workload.Next(&step)) {
      ++steps;
      if (step.kind == workloads::Step::Kind::kTransact) {
        if (Status s = Transact(step.tx); !s.ok()) return s.WithContext(Where(steps));
      } else {
        TimedRead(step, steps);
      }
      if ((steps & 63) == 0) observer_->Progress(steps, conn_.stats());
    }
    return Status::OK();
  }

 private:
  // The commit (and its planted work) is the commit region; with
  // config_.icount, the indexing job its novelty seals runs right after it,
  // in the job region. Its thread CPU time is read around the wall-clock
  // timing and the region (plant.h: the commit runs on this thread), so
  // neither the latency nor the instruction counts include the clock reads.
  Status Transact(const edn::Node& tx) {
    std::optional<Result<TxReport>> rep;
    Clock::time_point t0;
    uint64_t cpu0 = 0;
    auto commit = [&] {
      rep.emplace(conn_.Transact(tx));
      if (!rep->ok()) return;
      PlantCommitWork(config_.plant, (*rep)->tx_data.size());
      if (config_.plant.commit_cpu_pct > 0) PlantCpuWork(config_.plant.commit_cpu_pct, t0, cpu0);
    };
    cpu0 = ThreadCpuNs();
    t0 = Clock::now();
    icount::InRegion(icount::kCommitSlot, commit);
    const Clock::duration d = Clock::now() - t0;
    const uint64_t cpu = OperationCpuNs(cpu0, ThreadCpuNs());
    if (!rep->ok()) return rep->status();
    sampler_.RecordCommit(d);
    r_->tx_latency.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
    r_->tx_cpu.Record(cpu);
    if (config_.icount && conn_.stats().sealed_novelty > 0) return IndexInRegion(conn_);
    return Status::OK();
  }

  // Timed from taking the database value to the end of the read. A failed
  // read is counted; the first is reported. Its thread CPU time is read
  // around the timing and the region, as a commit's.
  void TimedRead(const workloads::Step& step, uint64_t steps) {
    const Database db = conn_.db();
    const size_t slot = regions_->ReadSlot(step.read_name);
    Status st;
    Clock::time_point t0;
    uint64_t cpu0 = 0;
    auto read = [&] {
      st = step.read(db);
      PlantReadWork(config_.plant, step.read_name);
      if (config_.plant.read_cpu_pct > 0) PlantCpuWork(config_.plant.read_cpu_pct, t0, cpu0);
    };
    cpu0 = ThreadCpuNs();
    t0 = Clock::now();
    icount::InRegion(slot, read);
    if (config_.planted_slow_read_us > 0) {  // the gate's test knob: extra work inside the timed read
      const Clock::time_point until = t0 + std::chrono::microseconds(config_.planted_slow_read_us);
      while (Clock::now() < until) {
      }
    }
    const Clock::duration d = Clock::now() - t0;
    const uint64_t cpu = OperationCpuNs(cpu0, ThreadCpuNs());
    r_->reads[step.read_name].Record(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
    r_->reads_cpu[step.read_name].Record(cpu);
    r_->summary.reads++;
    if (!st.ok() && r_->summary.read_errors++ == 0) {
      observer_->Message("warning: read " + step.read_name + " failed at " + Where(steps) + ": " + st.ToString());
    }
  }

  std::string Where(uint64_t step) const {
    return "workload " + config_.workload.name + " (seed " + std::to_string(config_.workload.seed) + "), step " +
           std::to_string(step) + ", strategy " + strategy_;
  }

  const RunConfig& config_;
  const std::string& strategy_;
  Connection& conn_;
  RunSampler& sampler_;
  RunObserver* observer_;
  icount::Regions* regions_;
  RunResult* r_;
};

// After the workload: the queued generations first, interruptibly
// (IndexNow cannot be cancelled); then IndexNow seals and indexes the
// remainder. Sets final_jobs, final_index_ms and interrupted.
Status IndexRemainder(Connection& conn, RunObserver* observer, RunResult* r) {
  const Clock::time_point t0 = Clock::now();
  for (uint64_t queued, shown = 0; !observer->Stopped() && (queued = conn.stats().sealed_novelty) > 0;
       shown = queued) {
    if (queued != shown) observer->Note("indexing the backlog: " + std::to_string(queued) + " generations queued");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r->summary.interrupted = observer->Stopped();
  if (r->summary.interrupted) return Status::OK();
  observer->Note("indexing the final novelty");
  std::optional<Result<std::vector<JobMetrics>>> forced;
  auto index = [&] { forced.emplace(conn.IndexNow()); };
  icount::InRegion(icount::kJobSlot, index);
  if (!forced->ok()) return forced->status().WithContext("final IndexNow of strategy " + r->strategy);
  // IndexNow seals the open novelty (when there is any) after every
  // generation already sealed: the last job indexed that remainder.
  r->final_jobs = (*forced)->empty() ? 0 : 1;
  r->summary.final_index_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return Status::OK();
}

// The totals of a finished run: the connection's statistics, its jobs,
// storage at rest (live and garbage) and the process's memory.
Status CollectFigures(const Connection& conn, RunResult* r) {
  Summary& s = r->summary;
  r->jobs = conn.Jobs();
  const ConnectionStats cs = conn.stats();
  s.transactions = cs.transactions;
  s.datoms = cs.datoms;
  s.import_datoms_per_s = s.import_s > 0 ? static_cast<double>(cs.datoms) / s.import_s : 0;
  const double total_s = s.import_s + s.final_index_ms / 1000;
  s.indexed_datoms_per_s = total_s > 0 ? static_cast<double>(cs.datoms) / total_s : 0;
  s.log_bytes = cs.log_bytes;
  s.backpressure_wait_ms = cs.backpressure_wait_ms;
  s.segments_collected = cs.segments_collected;
  AddJobs(r->jobs, &s);
  auto at_rest = conn.StorageBytes();
  if (!at_rest.ok()) return at_rest.status().WithContext("bytes at rest of strategy " + r->strategy);
  s.storage_bytes = *at_rest;
  s.storage_live_bytes = std::min(cs.durable_bytes, s.storage_bytes);
  s.storage_garbage_bytes = s.storage_bytes - s.storage_live_bytes;
  const JemallocStats m = ReadJemallocStats();
  s.allocated_bytes = m.allocated;
  s.active_bytes = m.active;
  s.resident_bytes = m.resident;
  s.mapped_bytes = m.mapped;
  s.peak_rss_bytes = PeakRssBytes();
  return Status::OK();
}

// Read amplification of the final index (read_mix.h); the database is
// closed. Not measured on an interrupted run (its index is not final).
Status MeasureReads(const std::string& dir, const Options& options, RunObserver* observer, RunResult* r) {
  if (r->summary.interrupted) return Status::OK();
  observer->Note("reading the fixed read mix");
  STRATA_ASSIGN_OR_RETURN(const ReadMixFigures f, MeasureReadMix(dir, options));
  const auto per = [](uint64_t x, uint64_t n) { return n == 0 ? 0.0 : static_cast<double>(x) / static_cast<double>(n); };
  Summary& s = r->summary;
  s.read_segments_per_point_read = per(f.point_segments, f.point_reads);
  s.read_bytes_per_point_read = per(f.point_bytes, f.point_reads);
  s.read_segments_per_range_scan = per(f.scan_segments, f.range_scans);
  s.read_bytes_per_range_scan = per(f.scan_bytes, f.range_scans);
  return Status::OK();
}

// One run of one strategy; `label` names it to the observer.
Result<RunResult> RunOnce(const RunConfig& config, const std::string& strategy, int repetition,
                          const std::string& label, RunObserver* observer, icount::Regions* regions) {
  STRATA_ASSIGN_OR_RETURN(const std::string dir, NewDatabase(config, strategy));
  DatabaseCleanup cleanup(dir, !config.keep, observer);

  Options options = config.options;
  options.strategy = strategy;
  auto ticks = std::make_shared<std::atomic<int64_t>>(kClockStartMs);
  options.clock = [ticks] { return ticks->fetch_add(1); };
  if (config.icount) options.background_indexing = false;  // jobs on this thread, in their region

  RunResult r;
  r.strategy = strategy;
  r.options = options.ToString();
  r.storage = config.storage.empty() ? "folder" : RedactLocation(config.storage);

  STRATA_ASSIGN_OR_RETURN(auto workload, workloads::MakeWorkload(config.workload));
  auto opened = Connection::Open(dir, options);
  if (!opened.ok()) return opened.status().WithContext("opening " + RedactLocation(dir));
  Connection& conn = **opened;
  workload->RegisterTxFunctions(conn);
  observer->Opened(strategy, repetition, &conn);
  OpenGuard open(observer, &conn);

  r.summary.peak_rss_reset = ResetPeakRss();
  observer->Started(label, workload->EstimatedSteps());
  EndGuard ended(observer);
  const Clock::time_point start = Clock::now();
  RunSampler sampler(conn, start, &r.timeline, /*thread=*/!config.icount);
  STRATA_RETURN_IF_ERROR(Replayer(config, strategy, conn, sampler, observer, regions, &r).Replay(*workload));
  r.summary.import_s = Seconds(Clock::now() - start);
  STRATA_RETURN_IF_ERROR(IndexRemainder(conn, observer, &r));
  r.summary.peak_allocated_bytes = sampler.Stop();

  STRATA_RETURN_IF_ERROR(CollectFigures(conn, &r));
  open.End();
  if (Status st = conn.Close(); !st.ok()) return st.WithContext("closing " + dir);
  STRATA_RETURN_IF_ERROR(MeasureReads(dir, options, observer, &r));
  ended.End();
  if (config.keep) observer->Message("kept the " + strategy + " database in " + RedactLocation(dir));
  return r;
}

std::string Label(const RunConfig& config, size_t i, int rep, int reps) {
  std::string label =
      config.strategies[i] + " (" + std::to_string(i + 1) + "/" + std::to_string(config.strategies.size());
  if (reps > 1) label += ", repetition " + std::to_string(rep + 1) + "/" + std::to_string(reps);
  return label + ")";
}

}  // namespace

Result<RunOutcome> Run(const RunConfig& config, const Context& context, RunObserver* observer) {
  RunObserver quiet;
  if (observer == nullptr) observer = &quiet;
  std::map<std::string, std::vector<RunResult>> by_strategy;
  const int reps = std::max(1, config.repetitions);
  icount::Regions regions;
  for (int rep = 0; rep < reps && !observer->Stopped(); ++rep) {
    for (size_t i = 0; i < config.strategies.size() && !observer->Stopped(); ++i) {
      const std::string& strategy = config.strategies[i];
      const std::string label = Label(config, i, rep, reps);
      STRATA_ASSIGN_OR_RETURN(RunResult result, RunOnce(config, strategy, rep + 1, label, observer, &regions));
      observer->Finished(label, result);
      auto& done = by_strategy[strategy];
      done.push_back(std::move(result));
      // Written after every run, so an interruption keeps what was measured.
      const std::string path = config.out_dir + "/results-" + strategy + ".json";
      STRATA_RETURN_IF_ERROR(
          WriteResultsFile(path, MakeResultsFile(context, config.workload, done, MedianRepetition(done))));
    }
  }
  if (config.icount) STRATA_RETURN_IF_ERROR(regions.Write(config.out_dir + "/icount-regions.tsv"));
  RunOutcome out;
  for (const std::string& s : config.strategies)
    if (auto it = by_strategy.find(s); it != by_strategy.end())
      out.medians.push_back(it->second[MedianRepetition(it->second)]);
  out.stopped = observer->Stopped();
  return out;
}

}  // namespace strata::harness
