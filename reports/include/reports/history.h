// reports/history.h — `strata history DIR`: every figure over commits, with
// change points (E-divisive means, changepoint.h).
//
// A history folder holds one entry folder per appended run (written by
// scripts/perf-history-append, called by scripts/perf-ci and
// scripts/perf-ab with --history DIR or $PERF_HISTORY):
//   DIR/<entry>/entry.json   {"commit", "commit_time" (Unix seconds of the
//                            commit), "date" (of the run, ISO 8601),
//                            "machine", "source" ("perf-ci", "perf-ab")}
//   DIR/<entry>/results-*.json          a `strata run`'s results, and/or
//   DIR/<entry>/<run>/results-*.json    several runs (an A/B run's new side)
// Commits are ordered by commit_time (then by the first run's date). A
// commit's value of a figure is the median over its runs of each run's
// median. Only the results are read (STYLE habit 15).
//
// Thread safety: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reports/changepoint.h"
#include "reports/result_set.h"

namespace strata::reports {

struct HistoryEntry {
  std::string path, commit, date, machine, source;
  int64_t commit_time = 0;
  std::vector<ResultSet> runs;
};

// The entries of DIR, in no particular order. NotFound when DIR has none;
// InvalidArgument naming the file when an entry.json or a results file is
// malformed.
Result<std::vector<HistoryEntry>> LoadHistory(const std::string& dir);

struct HistorySeries {
  std::string subject, metric, unit;
  MetricKind kind = MetricKind::kTiming;
  Better better = Better::kLower;
  std::vector<size_t> commit;  // index into History::commits, one per value
  std::vector<double> values;
  std::vector<ChangePoint> change_points;  // index into values
};

struct History {
  std::vector<std::string> commits, dates, machines;  // in order; date and machine of the first run
  std::vector<HistorySeries> series;
  std::vector<std::string> notes;
};

History BuildHistory(const std::vector<HistoryEntry>& entries, const ChangePointOptions& options);

std::string HistoryMarkdown(const History& h);
// Self-contained: the charts are inline SVG, no script and no network.
// `options` only names the method on the page.
std::string HistoryHtml(const History& h, const ChangePointOptions& options = {});

struct HistoryFiles {
  std::string html_path, markdown_path;
  size_t commits = 0, series = 0, change_points = 0;
};
// Reads DIR and writes OUT/history.html and OUT/history.md (OUT created).
Result<HistoryFiles> WriteHistoryReport(const std::string& dir, const std::string& out,
                                        const ChangePointOptions& options);

}  // namespace strata::reports
