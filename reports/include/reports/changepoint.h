// reports/changepoint.h — change points in a series of measurements (one
// value per commit), by E-divisive means (Matteson & James, "A
// Nonparametric Approach for Multiple Change Point Analysis of Multivariate
// Data", JASA 2014), the method MongoDB's performance CI and Hunter use.
//
// For a split of a segment into X (before) and Y (after), with m and n
// values, the divergence is
//   Q = m n / (m + n) * (2 E|X-Y| - E|X-X'| - E|Y-Y'|)
// (the energy distance scaled by the sizes; the expectations are sample
// means over pairs, exponent 1). The best split of each segment is the one
// with the largest Q; the candidate with the largest Q over all segments is
// tested by permutation: the values of each segment are shuffled within it
// `permutations` times, and p is the share of shuffles whose largest Q
// reaches the observed one. A significant split is kept and the search goes
// on in the two halves (hierarchical, as in the paper); the first split not
// significant at `alpha` ends it.
//
// A segment has at least `min_size` values, so a step at one of the last
// `min_size - 1` commits is found only once later commits follow (the A/B
// gate is what catches a change at the newest commit). A slow drift has no
// single step: E-divisive puts a change point where the before/after
// difference is largest (near the middle of the drift) once the drift is
// large against the noise, and more in the halves as the evidence allows.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace strata::reports {

struct ChangePointOptions {
  double alpha = 0.05;     // significance of each accepted split
  int permutations = 199;  // shuffles per test (the smallest p is 1/(permutations+1))
  size_t min_size = 2;     // values on each side of a split, at least 2
  uint64_t seed = 1;       // the generator's seed: same series, same answer
};

struct ChangePoint {
  size_t index = 0;  // the first value after the change
  double p = 1;      // permutation p of the split when it was accepted
  double q = 0;      // its divergence
  // Means of the segment before and after it (between neighbouring change
  // points) and the relative change, in %.
  double mean_before = 0, mean_after = 0, change_pct = 0;
};

// Sorted by index. Empty for fewer than 2 * min_size values.
std::vector<ChangePoint> EDivisive(std::span<const double> series, const ChangePointOptions& options);

}  // namespace strata::reports
