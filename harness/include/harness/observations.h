// harness/observations.h — an experiment's measurements as tidy data: one
// row per observation (a figure of one run, or of one indexing job of a
// run), each row naming the cell it came from, for pandas or R.
//
// A cell is one run of `strata experiment` (harness/experiment.h): one
// workload at one scale, one strategy with its settings, one value of each
// engine parameter, one repetition. Its results file is the `strata run`
// file of that run (harness/results.h). Lives in strata_results, beside
// the results model, so reports/ can read cells without the runner.
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/results.h"

namespace strata::harness {

// What a cell varies. `parameters` holds the engine parameters and the
// strategy's settings by name ("level_ratio", "memory_index_threshold",
// "segment_datoms", "storage"...), as text.
struct CellKey {
  std::string id;  // stable: names the cell's folder, so a rerun finds it
  std::string workload;
  double scale = 1;
  std::string strategy;
  std::map<std::string, std::string> parameters;
  int repetition = 1;  // from 1
  bool operator==(const CellKey&) const = default;
};

// A cell and its results file.
struct CellResult {
  CellKey key;
  ResultsFile results;
};

// "run" observations: every number of the summary (booleans as 0/1), the
// commit latency (tx_p50_us, tx_p99_us, tx_max_us), each named read's
// (reads.NAME.p50_us, .p99_us, .max_us) and space_amplification
// (storage_bytes / storage_live_bytes, when both are recorded and live > 0).
// "job" observations: every number of each job, plus start_ms and end_ms
// from the timeline when it has one: jobs run one after another, so from
// the last job back, a job ends at the first sample counting it or at the
// next job's start, whichever is earlier, and starts wall_ms before its
// end (precision: one timeline interval, 100 ms).
struct Observation {
  std::string kind;  // "run" or "job"
  int64_t job = -1;  // the job's number; -1 for a run observation
  std::string name;
  double value = 0;
};
std::vector<Observation> Observe(const ResultsFile& f);

// The CSV text (RFC 4180, a header row): cell, workload, strategy, one
// column per parameter any cell has (sorted by name; empty where a cell
// has none), scale, repetition, kind, job, name, value.
std::string ObservationsCsv(const std::vector<CellResult>& cells);

}  // namespace strata::harness
