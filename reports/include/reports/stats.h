// reports/stats.h — the statistics the regression gate uses.
//
// Mann-Whitney U (Wilcoxon rank-sum) test: do two sets of timings come from
// the same distribution? It assumes nothing about the shape (timings are
// skewed and have outliers), only that samples are independent.
//
// Thread safety: pure functions.
#pragma once

#include <span>
#include <vector>

namespace strata::reports {

struct MannWhitneyResult {
  double u = 0;      // U of the first sample: pairs (x, y) with x > y, ties count 1/2
  double p = 1;      // two-sided p-value
  bool exact = false;  // p from the exact distribution of U; else the normal approximation
  double z = 0;      // the normal approximation's z (0 when exact)
};

enum class MannWhitneyMethod {
  kAuto,    // exact when there are no ties and both samples have at most 50 values
  kExact,   // the exact distribution of U (ties are ignored, as scipy does)
  kNormal,  // normal approximation, tie correction and continuity correction
};

// Requires both samples to be non-empty (p is 1 otherwise). Agrees with
// scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method=...).
MannWhitneyResult MannWhitneyU(std::span<const double> x, std::span<const double> y,
                               MannWhitneyMethod method = MannWhitneyMethod::kAuto);

// The smallest two-sided p the exact test can give for samples of these
// sizes (all of one below all of the other): 2 / C(n1 + n2, n1).
double MinimumTwoSidedP(size_t n1, size_t n2);

// The median (the mean of the two middle values for an even count); 0 when empty.
double Median(std::vector<double> v);

}  // namespace strata::reports
