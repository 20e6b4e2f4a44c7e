// reports/report.h — `strata report`: DIR/report.html and DIR/summary.md
// from the results-*.json files of a `strata run`.
//
// report.html is self-contained: the data, the page script and Chart.js
// itself are inlined, so it opens from a CI artifact or a mail attachment
// with no network. Chart.js is read at report time from ChartJsPath();
// without it the page still has the context and the summary table, and says
// how to get the charts. summary.md is a markdown table for CI comments.
// Both only read the results files (STYLE habit 15).
//
// Charts whose data a file does not record (older files have no
// "timeline", see docs/results-format.md) show "not recorded" instead.
//
// Thread safety: free functions.
#pragma once

#include <string>
#include <vector>

#include "reports/result_set.h"

namespace strata::reports {

// $STRATA_CHARTJS when set, else the chart.umd.js that scripts/setup
// installs under the source tree's build/npm (fixed at build time).
std::string ChartJsPath();

struct ReportFiles {
  std::string html_path, markdown_path;
  bool charts = false;  // Chart.js was found and inlined
  int canvases = 0;     // charts drawn on the page (the others say "not recorded")
  std::vector<std::string> warnings;  // for stderr: not a release build, no Chart.js, ...
};

// Reads every results-*.json in `dir` and writes dir/report.html and
// dir/summary.md. `chartjs` overrides ChartJsPath() when not empty.
Result<ReportFiles> WriteReport(const std::string& dir, const std::string& chartjs = "");

// The summary table: one row per results file, one definition for the
// report page, summary.md and the console table at the end of `strata
// run`. Every figure is the median over the file's repetitions of that
// figure ("median per figure", with min–max when they differ), never the
// figures of one median repetition; "job bytes Q1 -> Q4" comes from the
// jobs of the repetition the file gives in full.
struct SummaryColumn {
  std::string header;  // "tx p99"
  std::string title;   // what it means (the page's tooltip, docs/harness.md)
  bool console = false;  // also in the console table
};
struct SummaryTable {
  std::vector<SummaryColumn> columns;
  std::vector<std::vector<std::string>> rows;  // cells: "852 us (795 us–900 us)" or "852 us"
};
SummaryTable MakeSummaryTable(const std::vector<RunFile>& files);
// The console columns, aligned, medians only (no ranges).
std::string SummaryText(const std::vector<RunFile>& files);

// The name each file goes by in tables, legends and chart ids: its
// strategy, unless several files share one; then the strategy and the
// settings in which they differ ("adaptive level_ratio=4"), or, when they
// differ in none, the strategy and the file name.
std::vector<std::string> RunLabels(const std::vector<RunFile>& files);

// The pieces, for tests.
// Everything the page draws, as JSON: {"context": [...], "warnings": [...],
// "summary": {columns, titles, rows}, "charts": [{id, title, type, x_label,
// y_label, series|missing, ...}]}. A series names its "strategy" (the file's
// label: the hue) and, where a chart has several per strategy, its "stat"
// (p50, p99, max: the shade and dash). Charts over time come one per
// strategy with "family", "family_title", "subtitle" and a shared "y_max"
// (and "y_min" on log scales); a latency sample without commits is a
// (t, null) point.
Json ReportModel(const std::vector<RunFile>& files);
std::string SummaryMarkdown(const std::vector<RunFile>& files);
// `chartjs_source` empty: the page without charts, saying how to get them.
std::string ReportHtml(const Json& model, const std::string& chartjs_source);

}  // namespace strata::reports
