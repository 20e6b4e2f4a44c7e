// cli/experiment_command.h — `strata experiment FILE`: a declarative
// experiment (harness/experiment.h) run cell by cell, resumable, with
// OUT/observations.csv, OUT/report.html (reports/experiment_report.h) and
// OUT/summary.md (reports/experiment_summary.h).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace strata::cli {

struct ExperimentArgs {
  std::string file;         // the experiment, EDN
  std::string out;          // the folder; default results/<file stem>
  bool dry_run = false;     // list the cells (and which are finished), run nothing
  std::vector<std::string> overrides;  // --set KEY=EDN (harness::ParseExperiment)
  std::string command_line;
};

// Registers `experiment`; when parsed its callback runs it and stores the
// exit code in *exit_code (0; 1 on error; 130 after Ctrl-C).
void AddExperimentCommand(CLI::App& app, int* exit_code);
int RunExperimentCommand(const ExperimentArgs& args);

}  // namespace strata::cli
