// cli/report_commands.h — `strata report` and `strata compare`: they read
// results files only (STYLE habit 15); the work is in reports/.
//
// AddReportCommands registers both subcommands; the one parsed runs from
// its CLI11 callback and leaves its exit code in *exit_code.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace strata::cli {

struct ReportArgs {
  std::string dir;  // holds the results-*.json files; gets report.html and summary.md
};

struct CompareArgs {
  std::string base, next;  // results folders or files (strata run or Google Benchmark JSON)
  double threshold_pct = 5;  // smallest relative change that counts
  double alpha = 0.05;       // significance level of the timing test
  std::string format = "text";  // text | md
  std::string markdown_out;     // also write the markdown table here (for a CI comment)
  bool allow_different_options = false;  // compare runs whose settings differ (warned), not exit 2
};

// Registers `report` and `compare` on `app`. When one is parsed its
// callback runs it and stores the exit code in *exit_code (left alone
// otherwise), which must outlive app.parse().
void AddReportCommands(CLI::App& app, int* exit_code);
// The compare half of AddReportCommands (cmd_compare.cc).
void AddCompareCommand(CLI::App& app, int* exit_code);

// Exit 0, 1 on error. Without Chart.js the page says how to get it (exit 0).
int RunReport(const ReportArgs& args);
// Exit 0 when nothing regressed, 1 on a significant regression beyond the
// threshold (named on stderr), 2 when the inputs cannot be compared: a
// file is unreadable, the formats differ, nothing is in common (different
// strategies), or the runs' settings differ without
// allow_different_options.
int RunCompare(const CompareArgs& args);

}  // namespace strata::cli
