// `strata report DIR`: DIR/report.html and DIR/summary.md from the
// results files of a `strata run` (see reports/report.h).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/report_commands.h"
#include "reports/report.h"

namespace strata::cli {

int RunReport(const ReportArgs& args) {
  auto written = reports::WriteReport(args.dir);
  if (!written.ok()) return Fail(written.status().message());
  for (const std::string& w : written->warnings) std::fprintf(stderr, "strata: warning: %s\n", w.c_str());
  std::printf("wrote %s (%d charts%s) and %s\n", written->html_path.c_str(), written->canvases,
              written->charts ? "" : ", no Chart.js", written->markdown_path.c_str());
  std::fflush(stdout);
  return 0;
}

void AddReportCommands(CLI::App& app, int* exit_code) {
  auto r = std::make_shared<ReportArgs>();
  CLI::App* report = app.add_subcommand(
      "report", "Write DIR/report.html (context, summary table, charts; self-contained, Chart.js inlined)\n"
                "and DIR/summary.md (a markdown table for CI comments) from DIR/results-*.json.\n"
                "Chart.js comes from scripts/setup (build/npm) or $STRATA_CHARTJS.");
  report->add_option("dir", r->dir, "folder of a strata run's results files")->required()->option_text("DIR");
  report->callback([r, exit_code] { *exit_code = RunReport(*r); });
  AddCompareCommand(app, exit_code);
}

}  // namespace strata::cli
