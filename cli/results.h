// cli/results.h — what `strata run` measures and the results files it
// writes; the context every file records (STYLE habit 15).
//
// One file per strategy, DIR/results-<strategy>.json, in the versioned
// format docs/results-format.md describes field by field:
//   {"format": 1, "context": {...}, "strategy", "workload", "scale", "seed",
//    "jobs": [JobToJson...], "summary": {...}, "reads": {name: latency},
//    "tx_latency": latency, "timeline": {...}, "repetitions": [...]}
// "jobs", "summary", "reads", "tx_latency" and "timeline" come from the
// repetition with the median import time; "repetitions" holds every
// repetition's summary, reads and tx_latency (the gate's samples). A
// latency is {count, mean_us, p50_us, p90_us, p99_us, p999_us, max_us,
// histogram} where histogram is reports::Histogram::ToJson (ns).
// Reports read these files only: a key once written keeps its meaning;
// adding keys keeps the format number, changing one's meaning bumps it.
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/output.h"
#include "reports/histogram.h"
#include "strata/connection.h"
#include "strata/edn.h"
#include "strata/indexing.h"
#include "strata/status.h"

namespace strata::cli {

constexpr int kResultsFormat = 1;

using reports::Histogram;

// Where the figures were measured. Built once per `strata run`.
struct RunContext {
  std::string git_commit;  // empty when not in a git checkout
  bool git_dirty = false;  // uncommitted changes to tracked files
  std::string build_type;  // CMAKE_BUILD_TYPE at compile time
  bool assertions = true;  // NDEBUG not defined
  std::string sanitizers;  // "address", "thread" or empty
  std::string compiler;
  std::string hostname, cpu_model, kernel;
  unsigned cpus = 0;
  std::string date;      // UTC, ISO-8601
  std::string command;   // the command line
  std::string jemalloc;  // version, or empty when its stats are unavailable
  double load_avg[3] = {-1, -1, -1};  // 1, 5, 15 minutes, when the run started; -1: unknown
  // Test knob for the regression gate's tests: $STRATA_PLANT_SLOW_READ_US
  // makes every timed read busy-wait this long (0: off).
  uint64_t planted_slow_read_us = 0;

  // An optimized build without assertions or sanitizers.
  bool release() const;
};
RunContext CollectContext(const std::string& command);

// {count, mean_us, p50_us, p90_us, p99_us, p999_us, max_us, histogram}.
Json LatencyToJson(const Histogram& h);

// Totals of one run of one strategy.
struct RunSummary {
  uint64_t transactions = 0;  // committed, the schema included
  uint64_t datoms = 0;        // committed
  uint64_t reads = 0, read_errors = 0;
  double import_s = 0;        // the workload loop, without the final IndexNow
  double import_datoms_per_s = 0;
  double final_index_ms = 0;  // the final IndexNow: waits for every job still queued
  double indexed_datoms_per_s = 0;  // datoms / (import_s + final_index_ms): import and indexing
  uint64_t jobs = 0;
  uint64_t db_datoms = 0;     // in the durable index at the end
  uint64_t novelty_bytes = 0; // sum over jobs (the write-amplification base)
  uint64_t index_bytes_written = 0, index_bytes_read = 0;
  uint64_t index_segments_written = 0, datoms_rewritten = 0;
  double write_amplification = 0;  // index_bytes_written / novelty_bytes
  uint64_t log_bytes = 0;
  double job_wall_ms = 0, job_cpu_ms = 0, job_wall_ms_max = 0;
  uint64_t job_storage_round_trips = 0;  // sums over jobs of JobMetrics::storage_*
  double job_storage_wait_ms = 0;
  uint64_t max_read_sources = 0, levels_max = 0;
  double backpressure_wait_ms = 0;
  uint64_t storage_bytes = 0;       // segment files at rest at the end
  uint64_t segments_collected = 0;  // garbage deleted during the run
  uint64_t peak_rss_bytes = 0;      // getrusage ru_maxrss
  bool peak_rss_reset = false;      // the peak was reset before this run (else: since process start)
  uint64_t allocated_bytes = 0, active_bytes = 0;   // jemalloc at the end
  uint64_t resident_bytes = 0, mapped_bytes = 0;    // jemalloc at the end
  uint64_t peak_allocated_bytes = 0;                 // jemalloc, sampled during the run
  bool interrupted = false;

  // Fills the job-derived totals (jobs, bytes, amplification, sources...).
  void AddJobs(const std::vector<JobMetrics>& jobs);
};

// Samples taken every interval_ms from the start of the workload to the end
// of the final indexing, as equal-length columns.
struct Timeline {
  int interval_ms = 100;
  std::vector<double> t_ms;  // since the workload started
  std::vector<uint64_t> transactions, datoms, jobs;  // cumulative ConnectionStats
  std::vector<uint64_t> memory_index_bytes;          // open and sealed novelty
  std::vector<uint64_t> allocated_bytes;             // jemalloc stats.allocated
  // Commit latency of the transactions since the previous sample; -1 when
  // none committed (written as null).
  std::vector<double> tx_p50_us, tx_p99_us, tx_max_us;
};
Json TimelineToJson(const Timeline& t);

struct RunResult {
  std::string strategy, workload;
  double scale = 1;
  uint64_t seed = 1;
  std::string options;           // Options::ToString()
  std::string storage;           // "folder", or the PostgreSQL location (no password)
  std::string workload_options;  // WorkloadOptions::ToString()
  std::vector<JobMetrics> jobs;
  size_t final_jobs = 0;  // 1 when the last job indexed the remainder sealed by the final IndexNow
  RunSummary summary;
  std::map<std::string, Histogram> reads;  // latency per read name
  Histogram tx_latency;                    // every commit of the workload
  Timeline timeline;
};

Json JobToJson(const JobMetrics& m);
edn::Node JobToEdn(const JobMetrics& m);  // {:job 1 :strategy "adaptive" :basis-t ...}
Json SummaryToJson(const RunSummary& s);
// The whole file for one strategy: every repetition, `median` of them in
// full.
Json ResultToJson(const RunContext& context, const std::vector<RunResult>& repetitions, size_t median);

// Writes `j` (indented) to path through a temporary file and a rename.
Status WriteJsonFile(const std::string& path, const Json& j);

// The end-of-run table on stdout, one row per strategy.
void PrintSummaryTable(const std::vector<RunResult>& results);

}  // namespace strata::cli
