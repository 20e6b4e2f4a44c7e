// reports/compare.h — the regression gate: compares two result sets.
//
// Counters (bytes and segments written, datoms rewritten, sources merged)
// are deterministic, so they are compared exactly: any change past the
// threshold is a regression or an improvement, no statistics. Timings are
// noisy: a change counts only when the Mann-Whitney U test says the two
// sets of samples differ (p < alpha) AND the medians differ by more than
// the threshold, so noise does not fail a build and a significant but tiny
// change does not either. With too few samples to ever reach p < alpha
// (one repetition; 3 against 3 gives p >= 0.1) timings are shown, not gated.
//
// Thread safety: pure functions on values.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "reports/result_set.h"

namespace strata::reports {

struct CompareOptions {
  double threshold_pct = 5;  // smallest relative change of a median that counts
  double alpha = 0.05;       // significance level of the timing test
};

enum class Verdict {
  kUnchanged,   // within the threshold
  kImproved,    // better beyond the threshold (and significant, for timings)
  kRegressed,   // worse beyond the threshold (and significant, for timings)
  kNoise,       // a timing beyond the threshold that the test does not call significant
  kUntestable,  // a timing beyond the threshold with too few samples to test
  kInfo,        // not gated
  kOnlyBase,    // the subject or metric is missing from the new set
  kOnlyNew,     // ... from the base set
};
const char* VerdictName(Verdict v);

struct ComparisonRow {
  std::string subject, metric, unit;
  MetricKind kind = MetricKind::kInfo;
  Better better = Better::kLower;
  size_t n_base = 0, n_new = 0;
  double base = 0, next = 0;  // medians of the samples
  double change_pct = 0;      // (next - base) / base, in %; +inf when base is 0 and next is not
  double p = std::numeric_limits<double>::quiet_NaN();  // timings only
  Verdict verdict = Verdict::kInfo;
};

struct Comparison {
  std::string base_source, new_source, format;
  CompareOptions options;
  std::vector<ComparisonRow> rows;
  std::vector<std::string> notes;
  // Settings that differ between a subject's base and new runs
  // ("adaptive: level_ratio 10 -> 4"): the figures measure different
  // things, so `strata compare` refuses them (exit 2) unless told
  // --allow-different-options. A key recorded on one side only (an option
  // added since) is a note, not a difference.
  std::vector<std::string> differences;

  bool regressed() const;
  // "adaptive index_segments_written +12.5%" for each regression.
  std::vector<std::string> RegressionNames() const;
};

// InvalidArgument when the sets are of different formats, have no subject
// (strategy, benchmark) in common or no figure in common, or the options
// are out of range (threshold < 0, alpha outside (0, 1)).
//
// Storage bytes: when both runs of a subject record storage_live_bytes,
// live bytes are gated and storage_bytes (live + garbage not yet
// collected) and storage_garbage_bytes are shown only; otherwise
// storage_bytes is gated as before.
Result<Comparison> Compare(const ResultSet& base, const ResultSet& next, const CompareOptions& options);

// A markdown section for CI comments: verdict line, table, notes.
std::string ComparisonToMarkdown(const Comparison& c);
// The same as an aligned plain-text table for terminals.
std::string ComparisonToText(const Comparison& c);

// "1.50 MiB", "12.3 ms", "81.2k datoms/s": a value with its unit, 3 digits.
std::string FormatValue(double v, const std::string& unit);

}  // namespace strata::reports
