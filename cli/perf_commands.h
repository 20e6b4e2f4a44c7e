// cli/perf_commands.h — `strata ab` (the A/B timing gate) and `strata
// history` (figures over commits with change points). Both read results
// files only (STYLE habit 15); the work is in reports/ab.h and
// reports/history.h. scripts/perf-ab and scripts/perf-ci drive them.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace strata::cli {

struct AbArgs {
  std::string base, next;        // folders whose sub-folders are runs, paired in name order
  double threshold_pct = 3;      // smallest relative change of a median that counts
  double alpha = 0.05;           // family-wise significance (Holm over the figures)
  double confidence = 0.95;      // of the bootstrap interval
  std::string statistic = "paired";  // paired | medians (reports::AbStatistic)
  std::string decide = "cpu";    // cpu | all (reports::AbDecide)
  std::string format = "text";   // text | md
  std::string markdown_out;      // also write the markdown section here
  std::string title = "strata ab";  // heading of the markdown section
};

struct HistoryArgs {
  std::string dir;        // the history folder (entry folders with entry.json)
  std::string out;        // where history.html and history.md go (default: dir)
  double alpha = 0.05;    // significance of each change point
  int permutations = 199;
  size_t min_size = 2;    // commits on each side of a change point
};

// Registers `ab` and `history`; the one parsed runs from its callback and
// leaves its exit code in *exit_code (which must outlive app.parse()).
void AddPerfCommands(CLI::App& app, int* exit_code);

// Exit 0: no regression and every figure decided; 1: a regression (named on
// stderr); 2: some figure too noisy to decide, or the runs cannot be compared.
int RunAb(const AbArgs& args);
// Exit 0 with the report written; 1 on error.
int RunHistory(const HistoryArgs& args);

}  // namespace strata::cli
