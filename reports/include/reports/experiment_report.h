// reports/experiment_report.h — the report of `strata experiment`
// (harness/experiment.h): OUT/report.html over every finished cell.
//
// Beside a table per configuration (a strategy with its settings and the
// engine parameters that vary), the page draws, per workload at its
// largest scale:
//   - job cost (CPU ms, and CPU µs per novelty datom) against database
//     size, log axes, every configuration, the median over repetitions
//     with a min–max band;
//   - the job-cost tail: p50, p99 and max job wall time per configuration;
//   - the RUM view: write amplification × segments read per point read ×
//     space amplification (bubble size), one point per configuration, the
//     Pareto front (no other point is at least as good in all three)
//     marked;
//   - a per-job timeline: each job from its start to its end, at its bytes
//     written, per configuration (repetition 1);
//   - space over time: live and garbage bytes at rest (repetition 1);
//   - each swept numeric parameter as lines: write amplification and
//     segments per point read against the parameter.
// Self-contained like `strata report`'s page: data, script and Chart.js
// (reports/report.h ChartJsPath) inlined; without Chart.js the page says
// how to get it. The page marks each chart drawn when its plot holds
// coloured pixels and writes "<drawn>/<charts>" into #charts-ok, for the
// headless-browser test.
//
// Thread safety: free functions.
#pragma once

#include <string>
#include <vector>

#include "harness/observations.h"
#include "reports/report.h"

namespace strata::reports {

// Everything the page draws: {"title", "context": [[k, v]...], "release",
// "build_type", "table": {columns, rows}, "charts": [{id, title, kind,
// x_label, y_label, x_log, y_log, series: [...]} | {id, title, missing}]}.
Json ExperimentModel(const std::string& title, const std::vector<harness::CellResult>& cells);
std::string ExperimentHtml(const Json& model, const std::string& chartjs_source);

// Which points lie on the Pareto front when every coordinate is to be
// minimized: true for a point no other point is <= in every coordinate and
// < in one. Points must all have the same number of coordinates.
std::vector<bool> ParetoFront(const std::vector<std::vector<double>>& points);

// Writes dir/report.html; `chartjs` overrides ChartJsPath() when not empty.
Result<ReportFiles> WriteExperimentReport(const std::string& dir, const std::string& title,
                                          const std::vector<harness::CellResult>& cells, const std::string& chartjs = "");

}  // namespace strata::reports
