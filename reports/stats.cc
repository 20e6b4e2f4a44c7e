// Mann-Whitney U test (see stats.h).

#include "reports/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace strata::reports {

namespace {

// Ranks of the pooled samples (ties share their mean rank); also returns
// sum(t^3 - t) over groups of t tied values.
std::vector<double> PooledRanks(std::span<const double> x, std::span<const double> y, double* tie_term) {
  const size_t n = x.size() + y.size();
  std::vector<std::pair<double, size_t>> all;
  all.reserve(n);
  for (size_t i = 0; i < x.size(); ++i) all.emplace_back(x[i], i);
  for (size_t i = 0; i < y.size(); ++i) all.emplace_back(y[i], x.size() + i);
  std::sort(all.begin(), all.end());
  std::vector<double> ranks(n);
  *tie_term = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // mean of i+1 .. j
    for (size_t k = i; k < j; ++k) ranks[all[k].second] = rank;
    const double t = static_cast<double>(j - i);
    *tie_term += t * t * t - t;
    i = j;
  }
  return ranks;
}

// How many arrangements of m x's and n y's give each U = 0 .. m*n: the
// coefficients of the Gaussian binomial [m+n choose m](q), built as
// prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). Every intermediate product is
// itself a Gaussian binomial, so the coefficients stay non-negative.
std::vector<double> ExactUCounts(size_t m, size_t n) {
  const size_t top = m * n;
  std::vector<double> c(top + 1, 0.0);
  c[0] = 1;
  for (size_t i = 1; i <= m; ++i) {
    const size_t up = n + i;
    for (size_t u = top; u >= up; --u) {
      c[u] -= c[u - up];
      if (u == up) break;
    }
    for (size_t u = i; u <= top; ++u) c[u] += c[u - i];
  }
  return c;
}

}  // namespace

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

double MinimumTwoSidedP(size_t n1, size_t n2) {
  // C(n1+n2, n1) as a double, built up without overflow.
  double c = 1;
  for (size_t i = 1; i <= n1; ++i) c = c * static_cast<double>(n2 + i) / static_cast<double>(i);
  return std::min(1.0, 2 / c);
}

MannWhitneyResult MannWhitneyU(std::span<const double> x, std::span<const double> y, MannWhitneyMethod method) {
  MannWhitneyResult r;
  if (x.empty() || y.empty()) return r;
  const size_t m = x.size(), n = y.size();
  double tie_term = 0;
  const std::vector<double> ranks = PooledRanks(x, y, &tie_term);
  const double r1 = std::accumulate(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(m), 0.0);
  const double mn = static_cast<double>(m) * static_cast<double>(n);
  r.u = r1 - static_cast<double>(m) * static_cast<double>(m + 1) / 2;
  const double u_max = std::max(r.u, mn - r.u);

  bool exact = method == MannWhitneyMethod::kExact;
  if (method == MannWhitneyMethod::kAuto) exact = tie_term == 0 && m <= 50 && n <= 50;
  if (exact) {
    const std::vector<double> counts = ExactUCounts(m, n);
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    double tail = 0;  // P(U >= floor(u_max))
    for (size_t u = static_cast<size_t>(std::floor(u_max)); u < counts.size(); ++u) tail += counts[u];
    r.p = std::min(1.0, 2 * tail / total);
    r.exact = true;
    return r;
  }
  const double big_n = static_cast<double>(m + n);
  const double var = mn / 12 * ((big_n + 1) - tie_term / (big_n * (big_n - 1)));
  if (var <= 0) return r;  // every value tied: no evidence of a difference
  r.z = (u_max - mn / 2 - 0.5) / std::sqrt(var);
  r.p = std::clamp(std::erfc(r.z / std::sqrt(2.0)), 0.0, 1.0);  // 2 * P(Z > z)
  return r;
}

}  // namespace strata::reports
