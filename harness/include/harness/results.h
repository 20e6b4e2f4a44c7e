// harness/results.h — the results files of `strata run` as types, with the
// one writer and the one reader of the format docs/results-format.md
// describes key by key. `strata run` (harness/run.h) writes them; `strata
// report` and `strata compare` (reports/) read them through these types.
//
// Where it lives: the model and the latency histogram it carries form the
// small library strata_results (this header, histogram.h), which needs only
// the engine's status.h and nlohmann/json. The runner (strata_harness:
// workloads, jemalloc) and reports/ (strata_reports) both link it; reports
// does not link the runner and the harness does not link reports, so no
// cycle arises: strata_results <- strata_harness <- cli, strata_results <-
// strata_reports <- cli.
//
// Keys a file lacks are "not recorded" (files of older builds, hand-made
// fixtures). Each record keeps a mask of the keys it was read without, so a
// reader can tell 0 from absent (Recorded, Figure), and writing a record
// back leaves those keys out again; a null value counts as absent. Records
// the harness makes record every key. A key present with the wrong type is
// an error naming the key path ("summary.datoms: expected a number, got
// string"); ReadResultsFile puts the file's path in front.
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/histogram.h"
#include "strata/status.h"

namespace strata::harness {

using Json = nlohmann::ordered_json;

constexpr int kResultsFormat = 1;

// A field of record R, for Recorded and Figure: &Summary::datoms, ...
template <class R>
using Member = std::variant<uint64_t R::*, int64_t R::*, double R::*, bool R::*, std::string R::*,
                            std::vector<double> R::*>;

// "context": where the figures were measured. Every file of a run has the
// same, except options, storage and workload_options, which are the file's
// strategy's.
struct Context {
  int64_t results_format = kResultsFormat;
  std::string git_commit;  // empty when not in a git checkout
  bool git_dirty = false;  // uncommitted changes to tracked files
  std::string build_type;  // CMAKE_BUILD_TYPE at compile time
  bool release = false;    // optimized, no assertions, no sanitizer
  bool assertions = true;  // NDEBUG not defined
  std::string sanitizers;  // "address", "thread" or empty
  std::string compiler;
  std::string options;           // Options::ToString(), the strategy included
  std::string storage;           // "folder", or the PostgreSQL location (no password)
  std::string workload_options;  // WorkloadOptions::ToString()
  std::string hostname;
  uint64_t cpus = 0;
  std::string cpu_model, kernel;
  uint64_t memory_bytes = 0;          // MemTotal of /proc/meminfo; 0: unknown
  std::string jemalloc;               // version; empty when its statistics are unavailable
  std::vector<double> load_avg;       // 1, 5, 15 minutes when the run started; -1: unknown
  uint64_t planted_slow_read_us = 0;  // $STRATA_PLANT_SLOW_READ_US (a test knob; 0: off)
  uint64_t planted_slow_commit_pct = 0;  // $STRATA_PLANT_SLOW_COMMIT_PCT (a test knob, harness/plant.h; 0: off)
  uint64_t planted_slow_read_pct = 0;    // $STRATA_PLANT_SLOW_READ_PCT (likewise)
  uint64_t planted_slow_commit_cpu_pct = 0;  // $STRATA_PLANT_SLOW_COMMIT_CPU_PCT (likewise)
  uint64_t planted_slow_read_cpu_pct = 0;    // $STRATA_PLANT_SLOW_READ_CPU_PCT (likewise)
  std::string date;                   // UTC, ISO-8601
  std::string command;                // the command line
  uint64_t absent = 0;                // keys the file lacked (see the header comment)
  bool operator==(const Context&) const = default;
};

// "jobs[]": one indexing job, as the engine's JobMetrics reports it.
struct Job {
  uint64_t job = 0;
  std::string strategy;
  uint64_t basis_t = 0;
  uint64_t db_datoms = 0, novelty_datoms = 0, novelty_bytes = 0;
  uint64_t segments_read = 0, segments_written = 0, bytes_read = 0, bytes_written = 0;
  uint64_t directory_bytes_written = 0, datoms_rewritten = 0, datoms_written = 0, segments_moved = 0;
  uint64_t levels_max = 0, max_read_sources = 0;
  double wall_ms = 0, cpu_ms = 0;
  uint64_t storage_round_trips = 0;
  double storage_wait_ms = 0;
  uint64_t peak_memory_bytes = 0;
  uint64_t value_filter_keys = 0, value_filter_bytes = 0;  // JobMetrics: unique-value filters in memory
  std::string plan;
  uint64_t absent = 0;
  bool operator==(const Job&) const = default;
};

// "summary" (and each repetition's): the totals of one run.
struct Summary {
  uint64_t datoms = 0, transactions = 0;  // committed, the schema included
  uint64_t reads = 0, read_errors = 0;
  double import_s = 0;  // the workload loop, without the final IndexNow
  double import_datoms_per_s = 0;
  double final_index_ms = 0;        // the final IndexNow: waits for every job still queued
  double indexed_datoms_per_s = 0;  // datoms / (import_s + final_index_ms)
  uint64_t jobs = 0;
  uint64_t db_datoms = 0;      // in the durable index at the end
  uint64_t novelty_bytes = 0;  // sum over jobs (the write-amplification base)
  uint64_t index_bytes_written = 0, index_bytes_read = 0;
  uint64_t index_segments_written = 0, datoms_rewritten = 0;
  double write_amplification = 0;  // index_bytes_written / novelty_bytes
  uint64_t log_bytes = 0;
  double job_wall_ms = 0, job_cpu_ms = 0, job_wall_ms_max = 0;
  uint64_t job_storage_round_trips = 0;
  double job_storage_wait_ms = 0;
  uint64_t max_read_sources = 0, levels_max = 0;
  double backpressure_wait_ms = 0;
  uint64_t storage_bytes = 0;       // segments at rest at the end
  uint64_t segments_collected = 0;  // garbage deleted during the run
  // Space amplification at the end: live = leaf bytes the current root
  // names (ConnectionStats::durable_bytes); garbage = storage_bytes - live.
  uint64_t storage_live_bytes = 0, storage_garbage_bytes = 0;
  // Read amplification of the fixed read mix on the final index, read cold
  // (harness/read_mix.h): leaves and their bytes read per point read and
  // per range scan.
  double read_segments_per_point_read = 0, read_bytes_per_point_read = 0;
  double read_segments_per_range_scan = 0, read_bytes_per_range_scan = 0;
  uint64_t peak_rss_bytes = 0;      // getrusage ru_maxrss
  bool peak_rss_reset = false;      // the peak was reset before this run (else: since process start)
  uint64_t allocated_bytes = 0, active_bytes = 0, resident_bytes = 0, mapped_bytes = 0;  // jemalloc at the end
  uint64_t peak_allocated_bytes = 0;  // jemalloc, sampled during the run
  bool interrupted = false;
  uint64_t absent = 0;
  bool operator==(const Summary&) const = default;
};

// A latency: "reads[NAME]", "tx_latency". Figures in microseconds; the
// histogram in nanoseconds (absent in older files).
struct Latency {
  uint64_t count = 0;
  double mean_us = 0, p10_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;  // p10: absent in older files
  std::optional<Histogram> histogram;
  uint64_t absent = 0;
  bool operator==(const Latency&) const = default;

  // Every figure from a histogram of nanoseconds.
  static Latency Of(const Histogram& h);
};

// "timeline": samples every interval_ms, as equal-length columns (a column
// the file lacks is empty).
struct Timeline {
  int64_t interval_ms = 100;
  std::vector<double> t_ms;                          // since the workload started
  std::vector<uint64_t> transactions, datoms, jobs;  // cumulative
  std::vector<uint64_t> memory_index_bytes;          // open and sealed novelty
  std::vector<uint64_t> allocated_bytes;             // jemalloc stats.allocated
  std::vector<uint64_t> resident_bytes;              // jemalloc stats.resident (live + dirty pages + metadata)
  std::vector<uint64_t> segment_cache_bytes;         // decoded leaves in the segment cache (their charge)
  // Commit latency since the previous sample; -1 when none committed
  // (null in the file).
  std::vector<double> tx_p50_us, tx_p99_us, tx_max_us;
  // Bytes at rest split into live (leaves the current root names) and
  // garbage (the rest); -1 (null in the file) in rows without a storage
  // sample (taken at most once a second).
  std::vector<double> storage_live_bytes, storage_garbage_bytes;
  bool operator==(const Timeline&) const = default;
};

// "repetitions[i]": the summary's keys plus that repetition's latencies.
// There the key "reads" holds the latencies in place of the summary's
// count of reads (so it has always been written); the reader sets
// summary.reads to the sum of their counts, which is what it counts.
struct Repetition {
  Summary summary;
  std::optional<std::map<std::string, Latency>> reads;  // absent in some older files
  std::optional<Latency> tx_latency;
  // Thread CPU time per commit and per read (ResultsFile's); absent in older files.
  std::optional<std::map<std::string, Latency>> reads_cpu;
  std::optional<Latency> tx_cpu;
  bool operator==(const Repetition&) const = default;
};

// One file, DIR/results-<strategy>.json.
struct ResultsFile {
  int64_t format = kResultsFormat;
  Context context;
  std::string strategy, workload;
  double scale = 1;
  uint64_t seed = 1;
  std::optional<uint64_t> median_repetition;  // index into repetitions of the run given in full
  std::vector<Job> jobs;                      // of that run, in order
  Summary summary;                            // of that run
  std::map<std::string, Latency> reads;       // of that run, per read name
  std::optional<Latency> tx_latency;          // of that run
  // The CPU time of the run's thread per commit ("tx_cpu") and per read
  // name ("reads_cpu"), as Latency records (figures in us, histogram in
  // ns): CLOCK_THREAD_CPUTIME_ID read around each commit's and read's
  // timing (harness/plant.h). Absent (empty) in older files.
  std::map<std::string, Latency> reads_cpu;
  std::optional<Latency> tx_cpu;
  std::optional<Timeline> timeline;           // of that run
  std::vector<Repetition> repetitions;        // every repetition, in run order
  bool operator==(const ResultsFile&) const = default;
};

// Whether the file recorded the field.
bool Recorded(const Context& c, Member<Context> m);
bool Recorded(const Job& j, Member<Job> m);
bool Recorded(const Summary& s, Member<Summary> m);
bool Recorded(const Latency& l, Member<Latency> m);
// A numeric (or boolean, as 0/1) field's value; nullopt when not recorded.
std::optional<double> Figure(const Job& j, Member<Job> m);
std::optional<double> Figure(const Summary& s, Member<Summary> m);
std::optional<double> Figure(const Latency& l, Member<Latency> m);

// JSON in the file's key order; Read* are their inverses. Read* errors
// (InvalidArgument) name the key path, e.g. "jobs[3].wall_ms: ...".
Json ToJson(const ResultsFile& f);
Json ToJson(const Job& j);  // also `strata index --format json`
Result<ResultsFile> ResultsFromJson(const Json& j);

// "NaN", "Infinity"... outside strings turned into null (Google Benchmark
// writes them bare; no JSON parser reads them).
std::string NullNonFinite(const std::string& text);
// The file parsed as JSON (non-finite numbers read as null). NotFound when
// it cannot be read; InvalidArgument "PATH: not valid JSON".
Result<Json> ReadJsonFile(const std::string& path);
// ReadJsonFile then ResultsFromJson; errors start with the path.
Result<ResultsFile> ReadResultsFile(const std::string& path);
// The file, indented, through a temporary file and a rename (so a reader
// never sees half of it).
Status WriteResultsFile(const std::string& path, const ResultsFile& f);
Status WriteJsonFile(const std::string& path, const Json& j);

// Now in UTC, formatted by strftime `format`; the default is the results
// files' date (Context::date, ISO-8601).
std::string UtcNow(const char* format = "%Y-%m-%dT%H:%M:%SZ");

}  // namespace strata::harness
