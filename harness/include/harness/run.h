// harness/run.h — `strata run` as a library call: replay a workload into a
// fresh database per merge strategy (and repetition), measure it, and write
// DIR/results-<strategy>.json (harness/results.h, docs/results-format.md).
//
// Each run opens an empty database (a temporary folder under out_dir, or a
// strata_db of its own on the PostgreSQL `storage`), commits the workload's
// schema and steps with commits and named reads timed into histograms,
// waits for queued jobs and calls IndexNow so the final novelty is indexed,
// then gathers every job's metrics, the connection's statistics and the
// process's memory. A sampler thread records the timeline. Repetitions run
// round-robin over the strategies so slow drift (thermal, page cache) hits
// every strategy alike; each strategy's file is rewritten after each of its
// runs, so a stop keeps what was measured.
//
// The job boundaries are deterministic (docs/architecture.md), and every
// run's :db/txInstant clock starts at the same instant, so the counters of
// a run (bytes and segments written, jobs...) repeat exactly.
//
// Thread safety: Run blocks its caller; it starts one sampler thread per
// run. The observer is called from the caller's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/histogram.h"
#include "harness/plant.h"
#include "harness/results.h"
#include "strata/connection.h"
#include "strata/database.h"
#include "strata/indexing.h"
#include "workloads/workload.h"

namespace strata::harness {

struct RunConfig {
  std::vector<std::string> strategies;  // known names, each once
  Options options;                      // without the strategy and the clock (Run sets them)
  workloads::WorkloadOptions workload;
  std::string storage;          // empty: folders under out_dir; else a postgres:// location
  std::string out_dir;          // the results files; the folder databases meanwhile (must exist)
  int repetitions = 1;          // runs per strategy
  bool keep = false;            // keep each run's database
  uint64_t planted_slow_read_us = 0;  // test knob: every timed read busy-waits this long
  PlantedSlowdown plant;              // test knobs: extra instructions or CPU per commit / read (plant.h)
  // For counting instructions under callgrind (scripts/perf-icount): no
  // background threads — each indexing job runs on the run's thread right
  // after the commit that sealed its novelty, no sampler thread — so the
  // instructions of each region (commit, index-job, each read; icount.h)
  // repeat run to run; writes out_dir/icount-regions.tsv.
  bool icount = false;
};

// One run of one strategy, as measured (histograms, not yet percentiles).
struct RunResult {
  std::string strategy;
  std::string options;  // Options::ToString(), the strategy included
  std::string storage;  // "folder", or the PostgreSQL location (no password)
  std::vector<JobMetrics> jobs;
  size_t final_jobs = 0;  // 1 when the last job indexed the remainder the final IndexNow sealed
  Summary summary;
  std::map<std::string, Histogram> reads;  // latency per read name
  Histogram tx_latency;                    // every commit of the workload
  // The run thread's CPU time (plant.h ThreadCpuNs) of every commit and of
  // every read per name, measured around the latencies above.
  Histogram tx_cpu;
  std::map<std::string, Histogram> reads_cpu;
  Timeline timeline;
};

// What Run reports as it goes; every method has a do-nothing default.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // Polled between steps: true stops after the step in flight (Ctrl-C);
  // the runs so far are kept and the current one is marked interrupted.
  virtual bool Stopped() { return false; }
  // A run starts: `label` names it, e.g. "adaptive (1/2, repetition 1/3)".
  virtual void Started(const std::string& label, uint64_t estimated_steps) {}
  // Every 64 steps of the current run.
  virtual void Progress(uint64_t steps, const ConnectionStats& stats) {}
  // What the current run is doing after its workload ("indexing ...").
  virtual void Note(const std::string& what) {}
  // The current run ended, successfully or not (a progress line may go).
  virtual void Ended() {}
  // The current run's database is open (Opened), or about to close
  // (Closing: also when the run fails, and before the connection goes).
  // Between the two, the observer may read the connection from other
  // threads (live metrics, cli/cmd_run.cc); Closing must stop that before
  // it returns. `repetition` counts from 1.
  virtual void Opened(const std::string& strategy, int repetition, Connection* conn) {}
  virtual void Closing(Connection* conn) {}
  // A run completed; its file is about to be written.
  virtual void Finished(const std::string& label, const RunResult& r) {}
  // A line for the user, "warning: read ... failed ..." or "kept the ...
  // database in ...", possibly while a run is in progress.
  virtual void Message(const std::string& text) {}
};

struct RunOutcome {
  std::vector<RunResult> medians;  // per strategy run, in config order: the median repetition
  bool stopped = false;            // the observer stopped the runs
};

// Runs config.repetitions x config.strategies and writes
// out_dir/results-<strategy>.json after each run. `context` is recorded in
// every file (options, storage and workload_options are filled per file).
// Errors name the workload, step and strategy.
Result<RunOutcome> Run(const RunConfig& config, const Context& context, RunObserver* observer);

// Where the figures are measured: build, machine, load, the command line.
Context CollectContext(const std::string& command);

// A results file of one strategy: every repetition, `median` in full.
ResultsFile MakeResultsFile(const Context& context, const workloads::WorkloadOptions& workload,
                            const std::vector<RunResult>& repetitions, size_t median);
// The repetition with the median import time.
size_t MedianRepetition(const std::vector<RunResult>& repetitions);
// A job as the results files record it.
Job JobOf(const JobMetrics& m);
// The job-derived totals of a summary (jobs, bytes, amplification, sources...).
void AddJobs(const std::vector<JobMetrics>& jobs, Summary* s);

}  // namespace strata::harness
