// E-divisive means change points (see changepoint.h).

#include "reports/changepoint.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace strata::reports {

namespace {

struct Split {
  size_t tau = 0;  // first index after the split
  double q = -1;   // -1: the segment is too short to split
};

// The best split of v[s, e) in O((e - s)^2): the sums of distances between
// and within the two sides are updated as values move from after to before.
Split BestSplit(const std::vector<double>& v, size_t s, size_t e, size_t min_size) {
  Split best;
  if (e - s < 2 * min_size) return best;
  double within_y = 0;
  for (size_t i = s; i < e; ++i)
    for (size_t j = i + 1; j < e; ++j) within_y += std::fabs(v[i] - v[j]);
  double within_x = 0, between = 0;
  for (size_t t = s; t + min_size < e; ++t) {
    double row_x = 0, row_y = 0;  // distances from v[t] to the values before it / after it
    for (size_t i = s; i < t; ++i) row_x += std::fabs(v[t] - v[i]);
    for (size_t j = t + 1; j < e; ++j) row_y += std::fabs(v[t] - v[j]);
    within_x += row_x;
    within_y -= row_y;
    between += row_y - row_x;
    const size_t tau = t + 1;
    const double m = static_cast<double>(tau - s), n = static_cast<double>(e - tau);
    if (tau - s < min_size) continue;
    const double pairs_x = m * (m - 1) / 2, pairs_y = n * (n - 1) / 2;
    const double energy = 2 * between / (m * n) - (pairs_x > 0 ? within_x / pairs_x : 0) -
                          (pairs_y > 0 ? within_y / pairs_y : 0);
    const double q = m * n / (m + n) * energy;
    if (q > best.q) best = {tau, q};
  }
  return best;
}

// The largest best split over the segments between consecutive bounds.
Split BestOverSegments(const std::vector<double>& v, const std::vector<size_t>& bounds, size_t min_size) {
  Split best;
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    const Split s = BestSplit(v, bounds[k], bounds[k + 1], min_size);
    if (s.q > best.q) best = s;
  }
  return best;
}

double Mean(std::span<const double> v, size_t s, size_t e) {
  double sum = 0;
  for (size_t i = s; i < e; ++i) sum += v[i];
  return e > s ? sum / static_cast<double>(e - s) : 0;
}

}  // namespace

std::vector<ChangePoint> EDivisive(std::span<const double> series, const ChangePointOptions& o) {
  const size_t min_size = std::max<size_t>(o.min_size, 2);
  const std::vector<double> v(series.begin(), series.end());
  std::vector<size_t> bounds = {0, v.size()};
  std::vector<ChangePoint> found;
  std::mt19937_64 rng(o.seed);
  std::vector<double> shuffled;
  while (true) {
    const Split cand = BestOverSegments(v, bounds, min_size);
    if (cand.q <= 0) break;  // nothing to split, or every split is flat
    const double tol = 1e-12 * cand.q;
    int reached = 0;
    for (int r = 0; r < o.permutations; ++r) {
      shuffled = v;
      for (size_t k = 0; k + 1 < bounds.size(); ++k)
        for (size_t i = bounds[k + 1] - 1; i > bounds[k]; --i)
          std::swap(shuffled[i], shuffled[bounds[k] + static_cast<size_t>(rng() % (i - bounds[k] + 1))]);
      if (BestOverSegments(shuffled, bounds, min_size).q >= cand.q - tol) ++reached;
    }
    const double p = static_cast<double>(reached + 1) / static_cast<double>(o.permutations + 1);
    if (p >= o.alpha) break;
    found.push_back(ChangePoint{cand.tau, p, cand.q, 0, 0, 0});
    bounds.insert(std::upper_bound(bounds.begin(), bounds.end(), cand.tau), cand.tau);
  }
  std::sort(found.begin(), found.end(), [](const ChangePoint& a, const ChangePoint& b) { return a.index < b.index; });
  for (size_t k = 0; k < found.size(); ++k) {
    const size_t lo = k == 0 ? 0 : found[k - 1].index;
    const size_t hi = k + 1 < found.size() ? found[k + 1].index : v.size();
    ChangePoint& c = found[k];
    c.mean_before = Mean(v, lo, c.index);
    c.mean_after = Mean(v, c.index, hi);
    c.change_pct = c.mean_before != 0 ? (c.mean_after - c.mean_before) / std::fabs(c.mean_before) * 100 : 0;
  }
  return found;
}

}  // namespace strata::reports
