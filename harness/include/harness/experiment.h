// harness/experiment.h — `strata experiment FILE` as a library call: a
// declarative experiment (EDN) of workloads × strategies (with their
// settings) × engine parameters × scales × repetitions, run cell by cell
// through Run (harness/run.h), resumable.
//
// The file (docs/harness.md, "Experiments"):
//   {:name "small"                            ; optional; the report's title
//    :workloads [:uniform {:name :mbrainz-synth :seed 2 :read-ratio 0.5}
//                {:name :mbrainz :scales [1]}]   ; a workload's own scales
//    :scales [1 2]
//    :repetitions 2
//    :strategies [:all                        ; every registered strategy
//                 {:name :adaptive :settings {:level_ratio [2 4 8]}}]
//    :parameters {:memory-index-threshold ["256k" "1m"] :segment-datoms 4096
//                 :memory-index-max "64m" :sync :never :storage ["folder"]}}
// A vector is swept (every value is a cell); a single value is fixed.
// Strategy settings are the strategy's own keys (indexing/<name>.h), each
// checked by the strategy. An entry naming a strategy that :all also
// brings replaces :all's (default settings) one. Every key is checked:
// an unknown key, a wrong type, an unknown workload or strategy is an
// InvalidArgument naming the key ("FILE: :strategies[1] :settings: ...").
//
// Cells: one run each, in the folder OUT/cells/<id>/, repetitions
// outermost so slow drift hits every configuration alike. A cell whose
// results file is complete (it reads, its run was not interrupted) is not
// rerun; any other cell's folder is emptied and the cell run again.
//
// Thread safety: RunExperiment blocks its caller; see RunObserver.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/observations.h"
#include "harness/run.h"

namespace strata::harness {

struct ExperimentCell {
  CellKey key;
  RunConfig config;          // one strategy, one repetition; out_dir is the cell's folder
  uint64_t weight = 1;       // the workload's estimated steps (for the ETA)
};

struct Experiment {
  std::string name;
  std::vector<ExperimentCell> cells;  // in run order
};

// Parses and checks the file's text; `file` names it in errors. Cells'
// folders are under `out_dir`. `overrides` ("KEY=EDN", `strata experiment
// --set`) replace a top-level key (scales, repetitions, strategies,
// workloads, name) or a :parameters key (storage, sync, ...) before the
// check, e.g. `storage=["folder" "postgres://strata@127.0.0.1:5433/strata"]`
// or `scales=[1]`; an unknown key or a value that is not EDN is an
// InvalidArgument naming the --set.
Result<Experiment> ParseExperiment(std::string_view text, const std::string& file, const std::string& out_dir,
                                   const std::vector<std::string>& overrides = {});

// The results file of a cell (OUT/cells/<id>/results-<strategy>.json).
std::string CellResultsPath(const ExperimentCell& cell);

// The cell's results file when it is complete; nullopt when it must run.
std::optional<ResultsFile> FinishedCell(const ExperimentCell& cell);

// What RunExperiment reports besides the runs' own events.
class ExperimentObserver : public RunObserver {
 public:
  // Cell `index` (of `total`) starts; `done_weight` of `total_weight` ran
  // or was skipped before it.
  virtual void CellStarted(size_t index, size_t total, const ExperimentCell& cell, uint64_t done_weight,
                           uint64_t total_weight) {}
  virtual void CellSkipped(const ExperimentCell& cell) {}
};

struct ExperimentOutcome {
  size_t ran = 0, skipped = 0;
  bool stopped = false;
  std::vector<CellResult> finished;  // every complete cell, in run order
  // The error that stopped the experiment at a cell (naming the cell), or
  // OK. The cells before it stay finished, so the caller can still report
  // them; a rerun goes on from that cell.
  Status error;
};

// Runs every cell not finished, through `run` (harness::Run unless given:
// tests count the runs). `context` is recorded in every results file, with
// the date and the load average of the cell's own start.
// A cell that fails ends the experiment with outcome.error set; a folder
// that cannot be emptied or created is an error.
using CellRunner = std::function<Result<RunOutcome>(const RunConfig&, const Context&, RunObserver*)>;
Result<ExperimentOutcome> RunExperiment(const Experiment& e, const Context& context, ExperimentObserver* observer,
                                        const CellRunner& run = {});

}  // namespace strata::harness
