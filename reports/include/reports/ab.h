// reports/ab.h — the A/B timing gate: runs of a base and a new build made
// side by side (interleaved, in pairs) on one machine, compared per figure.
//
// Runs made at different moments on a shared machine drift together, so
// two result sets made apart cannot gate on timings (docs/harness.md). Runs
// interleaved in pairs share the machine's state, and the pairing is kept
// by every statistic here:
//  - the change is the difference of the medians of the per-run values,
//    relative to the base median (ClickHouse's performance comparison uses
//    the same statistic), or (kPairedRatio) the Hodges-Lehmann estimate
//    (median of the Walsh averages) of the pairs' log ratios new/base,
//    which cancels a drift shared by the two runs of a pair;
//  - its p-value comes from a randomization test: under "nothing changed"
//    the labels base/new within a pair are exchangeable, so the null
//    distribution is that of the statistic over random swaps within pairs
//    (all 2^n swaps when n <= 14, else `permutations` random ones);
//  - its confidence interval is a percentile bootstrap over pairs;
//  - p-values are Holm-adjusted over the figures of one comparison, so the
//    chance of any false regression stays near alpha however many figures
//    there are.
// Verdict per figure: regression / improvement when the change is beyond
// the threshold and significant; no change when the interval lies within
// ±threshold; otherwise too noisy to decide (the interval is too wide to
// tell either way, and the gate says so instead of guessing).
//
// Thread safety: pure functions on values.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "reports/result_set.h"

namespace strata::reports {

// What the change is measured by. Both are tested by swapping the labels
// within pairs and bootstrapped over pairs.
enum class AbStatistic {
  kMedians,      // median(new) - median(base), relative to median(base) (ClickHouse)
  kPairedRatio,  // Hodges-Lehmann estimate over pairs of ln(new/base), as exp(.) - 1:
                 // a drift shared by the two runs of a pair cancels
};

// Which figures must be decided for a verdict of "no regression" (exit 0
// of strata ab): a regression in any figure fails the comparison either
// way (Holm over all of them keeps the false-positive rate), but on a
// loaded machine the wall-clock figures are too noisy to rule a change out
// (docs/harness.md), while the CPU-time figures (thread CPU time per
// commit and per read, which waiting for a core does not inflate) are not.
enum class AbDecide {
  kCpu,  // the CPU-time figures, when the runs have them (else every figure)
  kAll,  // every figure
};

struct AbOptions {
  AbStatistic statistic = AbStatistic::kMedians;  // strata ab and perf-ab default to kPairedRatio
  AbDecide decide = AbDecide::kCpu;
  double threshold_pct = 3;   // smallest relative change of a median that counts
  double alpha = 0.05;        // family-wise significance level (Holm over the figures)
  double confidence = 0.95;   // of the bootstrap interval of the relative change
  int permutations = 20000;   // random swaps when 2^pairs is larger than this
  int bootstrap = 4000;       // bootstrap resamples of the pairs
  // kPairedRatio: a pair whose |ln(new/base)| is more than this many times
  // the median over the figure's pairs is left out (a run the machine
  // disturbed: on a loaded machine a run's CPU time sometimes moves by
  // 20-50% while its pair's does not). 0 keeps every pair.
  double outlier_factor = 4;
  uint64_t seed = 1;          // the generator's seed: same inputs, same verdicts
};

enum class AbVerdict {
  kNoChange,     // the interval lies within ±threshold
  kRegression,   // worse beyond the threshold, significant
  kImprovement,  // better beyond the threshold, significant
  kTooNoisy,     // neither: the interval reaches past the threshold
};
const char* AbVerdictName(AbVerdict v);

// The statistics of one figure, before the verdict (which needs the
// Holm-adjusted p of the whole comparison).
struct AbStats {
  size_t pairs = 0;
  double base_median = 0, new_median = 0;
  double change_pct = 0;               // (new - base) / |base| median, in %
  double ci_low_pct = 0, ci_high_pct = 0;  // bootstrap interval of change_pct
  double p = 1;                        // two-sided randomization p of the difference of medians
  double noise_pct = 0;                // 95th percentile of |difference| under the null, in % of base
  bool exact = false;                  // p from all 2^n swaps
  size_t pairs_left_out = 0;           // kPairedRatio: disturbed pairs left out (AbOptions::outlier_factor)
};

// base[i] and next[i] are the i-th pair. Requires equal sizes; fewer than
// two pairs give p = 1 and an infinitely wide interval.
AbStats AbTest(std::span<const double> base, std::span<const double> next, const AbOptions& options);

struct AbFigure {
  std::string subject, metric, unit;
  Better better = Better::kLower;
  std::vector<double> base, next;  // one value per run, paired by index
  AbStats stats;
  double p_adjusted = 1;  // Holm
  AbVerdict verdict = AbVerdict::kTooNoisy;
  bool cpu = false;  // a CPU-time figure ("tx cpu p10_us", "read NAME cpu p10_us")
};

struct AbResult {
  AbOptions options;
  size_t pairs = 0;
  std::vector<AbFigure> figures;
  std::vector<std::string> notes;

  bool regressed() const;
  // No regression, and some figure that must be decided (options.decide)
  // is too noisy to decide.
  bool undecided() const;
  // Whether figure f must be decided for a pass.
  bool MustDecide(const AbFigure& f) const;
  std::vector<std::string> RegressionNames() const;  // "adaptive tx p50_us +6.1% [+4.2%, +8.0%]"
};

// Verdicts for figures whose stats are filled in: Holm-adjusts their p's
// and judges each. Exposed for tests.
void JudgeAbFigures(const AbOptions& options, std::vector<AbFigure>* figures);

// Whether a `strata run` metric is gated by the A/B comparison: commit
// latency p50/p99, each read's p50, import rate, indexing job wall time,
// and the CPU time per commit and per read (their p10: results files from
// this build on; see reports/result_set.cc). In other formats (Google
// Benchmark), every timing.
bool IsAbFigure(const std::string& format, const Metric& metric);

// base_runs[i] and new_runs[i] were run as the i-th pair; each run's value
// of a figure is the median of its samples (its repetitions). Runs beyond
// the shorter list are left out (noted). InvalidArgument when the options
// are out of range, a list is empty or the formats differ.
Result<AbResult> CompareAb(const std::vector<ResultSet>& base_runs, const std::vector<ResultSet>& new_runs,
                           const AbOptions& options);

std::string AbToMarkdown(const AbResult& r, const std::string& title);
std::string AbToText(const AbResult& r);

}  // namespace strata::reports
