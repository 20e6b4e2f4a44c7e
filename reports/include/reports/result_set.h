// reports/result_set.h — results files read into one neutral shape, for
// the regression gate and the report.
//
// Two kinds of input:
//  - `strata run` results (docs/results-format.md): a folder of
//    results-<strategy>.json files, or one such file, read through the
//    typed model of harness/results.h. A subject per
//    strategy. Counters come from "summary" (they are deterministic: every
//    repetition writes the same); timings from "repetitions" (one sample per
//    repetition), or from "summary" alone (one sample) in files without it.
//    Read latencies ("read NAME p50_us"...) and commit latencies ("tx
//    p50_us"...) are one sample per file unless each repetition carries its
//    own "reads" / "tx_latency". A run that started on a loaded machine
//    (context.load_avg[0] above context.cpus) is noted. When the summary
//    records "storage_live_bytes" and "storage_garbage_bytes" (live
//    segments and garbage not yet collected), both become figures: live
//    bytes a counter, garbage shown only (see compare.h).
//  - Google Benchmark JSON (--benchmark_out=FILE --benchmark_out_format=json).
//    A subject per benchmark run name; with --benchmark_repetitions each
//    repetition is a sample. Aggregate rows (mean, median, stddev) are
//    skipped when the repetitions themselves are there; with
//    --benchmark_report_aggregates_only the median is the one sample.
//
// Thread safety: plain values and free functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/results.h"
#include "strata/status.h"

namespace strata::reports {

using Json = nlohmann::ordered_json;

enum class MetricKind {
  kCounter,  // deterministic: compared exactly, any increase past the threshold regresses
  kTiming,   // noisy: compared with the Mann-Whitney U test and a minimum effect
  kInfo,     // shown, never gated (workload size, job count)
};
enum class Better { kLower, kHigher };

struct Metric {
  std::string name;  // "index_bytes_written", "read entity-by-id p99_us", "real_time"
  std::string unit;  // "bytes", "ms", "us", "ns", "datoms/s", ...
  MetricKind kind = MetricKind::kInfo;
  Better better = Better::kLower;
  std::vector<double> samples;  // one per repetition
};

struct Subject {
  std::string name;  // a strategy, or a benchmark's run name
  std::vector<Metric> metrics;
  // What the figures were measured under, (key, value) in a fixed order:
  // for strata run results the workload, scale, seed, each workload and
  // engine option (Options::ToString() split at its spaces, the strategy
  // left out), the storage kind and the build; for Google Benchmark the
  // library's build type. Compare flags keys whose values differ.
  std::vector<std::pair<std::string, std::string>> settings;
  const Metric* Find(const std::string& metric) const;  // null when absent
};

struct ResultSet {
  std::string source;  // the path it was read from
  std::string format;  // "strata-run" or "google-benchmark"
  std::vector<Subject> subjects;
  std::vector<std::string> notes;  // oddities worth a line in a report
  const Subject* Find(const std::string& subject) const;
};

// Reads a results folder or file (either kind, detected from the content).
// InvalidArgument names the file and what is wrong with it.
Result<ResultSet> LoadResultSet(const std::string& path);

// The results-*.json files of a folder, sorted by file name, or the one
// file `path` names, read. NotFound when there are none; InvalidArgument
// naming the file (and the key) when one is not a `strata run` results file.
struct RunFile {
  std::string path;
  harness::ResultsFile results;
};
Result<std::vector<RunFile>> ReadRunFiles(const std::string& path);

// What a `strata run` results file was measured under (Subject::settings).
std::vector<std::pair<std::string, std::string>> RunSettings(const harness::ResultsFile& f);

// Subject of one `strata run` results file / Google Benchmark file.
Subject SubjectOfRun(const harness::ResultsFile& f, std::vector<std::string>* notes);
Result<std::vector<Subject>> SubjectsOfBenchmarkFile(const Json& j, std::vector<std::string>* notes);

}  // namespace strata::reports
