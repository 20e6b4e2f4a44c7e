// The A/B timing gate (see ab.h).

#include "reports/ab.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "reports/compare.h"
#include "reports/page.h"
#include "reports/stats.h"

namespace strata::reports {

namespace {

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// d relative to |base|, in %.
double RelativePct(double d, double base) {
  if (d == 0) return 0;
  if (base == 0) return d > 0 ? INFINITY : -INFINITY;
  return d / std::fabs(base) * 100;
}

// The q-quantile of sorted values (linear between order statistics).
double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return NAN;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

std::string PctText(double v) {
  if (std::isinf(v)) return v > 0 ? "+inf" : "-inf";
  return Fmt("%+.1f%%", v);
}

std::string CiText(const AbStats& s) {
  if (std::isinf(s.ci_low_pct) || std::isinf(s.ci_high_pct)) return "";
  return "[" + PctText(s.ci_low_pct) + ", " + PctText(s.ci_high_pct) + "]";
}

std::string PText(double p) { return p < 0.001 ? "<0.001" : Fmt("%.3f", p); }

// The Hodges-Lehmann estimate of the centre of x: the median of the
// Walsh averages (x_i + x_j) / 2, i <= j. Unlike the median itself it moves
// when any value changes sign, so a sign-flip test on it has about the
// power of the Wilcoxon signed-rank test.
double HodgesLehmann(const std::vector<double>& x, std::vector<double>* scratch) {
  scratch->clear();
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t j = i; j < x.size(); ++j) scratch->push_back((x[i] + x[j]) / 2);
  const size_t h = scratch->size() / 2;
  std::nth_element(scratch->begin(), scratch->begin() + static_cast<std::ptrdiff_t>(h), scratch->end());
  const double hi = (*scratch)[h];
  if (scratch->size() % 2 == 1) return hi;
  return (*std::max_element(scratch->begin(), scratch->begin() + static_cast<std::ptrdiff_t>(h)) + hi) / 2;
}

// The null distribution of a statistic under label swaps within pairs:
// `stat_abs(swapped)` is |statistic| when pair i's labels are swapped
// where swapped(i) is true. Every one of the 2^n assignments when that is
// at most o.permutations (exact p), else o.permutations random ones (p
// with the +1 correction). A tiny tolerance keeps ties (the identity)
// counted. `abs` comes back sorted.
struct SwapNull {
  std::vector<double> abs;
  double p = 1;
  bool exact = false;
};
template <class StatAbs>
SwapNull SwapDistribution(size_t n, double observed_abs, double tol, const AbOptions& o, std::mt19937_64& rng,
                          StatAbs&& stat_abs) {
  SwapNull r;
  size_t at_least = 0;
  auto one = [&](auto swapped) {
    const double d = stat_abs(swapped);
    r.abs.push_back(d);
    if (d >= observed_abs - tol) ++at_least;
  };
  r.exact = n < 63 && (uint64_t{1} << n) <= static_cast<uint64_t>(std::max(o.permutations, 1));
  if (r.exact) {
    for (uint64_t mask = 0; mask < (uint64_t{1} << n); ++mask) one([&](size_t i) { return (mask >> i) & 1; });
    r.p = static_cast<double>(at_least) / static_cast<double>(r.abs.size());
  } else {
    for (int k = 0; k < o.permutations; ++k) {
      const uint64_t bits = rng();  // beyond 64 pairs, the higher pairs reuse bits
      one([&](size_t i) { return (bits >> (i % 64)) & 1; });
    }
    r.p = static_cast<double>(at_least + 1) / static_cast<double>(r.abs.size() + 1);
  }
  std::sort(r.abs.begin(), r.abs.end());
  return r;
}

// The paired statistic: l_i = ln(new_i / base_i), summarized by its
// Hodges-Lehmann estimate; a swap within pair i turns l_i into -l_i, so the
// null distribution is over sign flips.
AbStats PairedRatioTest(std::span<const double> base, std::span<const double> next, const AbOptions& o, AbStats s) {
  std::vector<double> l, w, scratch;
  for (size_t i = 0; i < base.size(); ++i) l.push_back(std::log(next[i] / base[i]));
  // Disturbed pairs out: |l_i| beyond outlier_factor x the median |l|.
  // The rule sees only the |l_i|, which swapping labels within a pair does
  // not change, so the test below stays exact given the pairs kept.
  if (o.outlier_factor > 0 && l.size() >= 4) {
    std::vector<double> mag;
    for (double x : l) mag.push_back(std::fabs(x));
    const double limit = o.outlier_factor * Median(mag);
    if (limit > 0) std::erase_if(l, [&](double x) { return std::fabs(x) > limit; });
  }
  const size_t n = l.size();
  s.pairs_left_out = base.size() - n;
  w.resize(n);
  const double stat = HodgesLehmann(l, &scratch);
  s.change_pct = (std::exp(stat) - 1) * 100;
  std::mt19937_64 rng(o.seed);
  const SwapNull null = SwapDistribution(n, std::fabs(stat), 1e-12 * std::max(std::fabs(stat), 1e-300), o, rng,
                                         [&](auto flipped) {
                                           for (size_t i = 0; i < n; ++i) w[i] = flipped(i) ? -l[i] : l[i];
                                           return std::fabs(HodgesLehmann(w, &scratch));
                                         });
  s.exact = null.exact;
  s.p = null.p;
  s.noise_pct = (std::exp(Quantile(null.abs, 0.95)) - 1) * 100;
  std::vector<double> changes;
  for (int r = 0; r < std::max(o.bootstrap, 1); ++r) {
    for (size_t i = 0; i < n; ++i) w[i] = l[static_cast<size_t>(rng() % n)];
    changes.push_back((std::exp(HodgesLehmann(w, &scratch)) - 1) * 100);
  }
  std::sort(changes.begin(), changes.end());
  const double tail = (1 - o.confidence) / 2;
  s.ci_low_pct = Quantile(changes, tail);
  s.ci_high_pct = Quantile(changes, 1 - tail);
  return s;
}

}  // namespace

const char* AbVerdictName(AbVerdict v) {
  switch (v) {
    case AbVerdict::kNoChange: return "no change";
    case AbVerdict::kRegression: return "REGRESSION";
    case AbVerdict::kImprovement: return "improvement";
    case AbVerdict::kTooNoisy: return "too noisy to decide";
  }
  return "?";
}

AbStats AbTest(std::span<const double> base, std::span<const double> next, const AbOptions& o) {
  AbStats s;
  const size_t n = std::min(base.size(), next.size());
  s.pairs = n;
  s.ci_low_pct = -INFINITY;
  s.ci_high_pct = INFINITY;
  if (n == 0) return s;
  base = base.first(n);
  next = next.first(n);
  s.base_median = Median({base.begin(), base.end()});
  s.new_median = Median({next.begin(), next.end()});
  const double d = s.new_median - s.base_median;
  s.change_pct = RelativePct(d, s.base_median);
  if (n < 2) return s;

  bool paired = o.statistic == AbStatistic::kPairedRatio;
  for (size_t i = 0; i < n && paired; ++i) paired = base[i] > 0 && next[i] > 0;
  if (paired) return PairedRatioTest(base, next, o, s);

  // Randomization distribution of the difference of medians under swaps
  // within pairs.
  std::mt19937_64 rng(o.seed);
  std::vector<double> a(n), b(n);
  const SwapNull null = SwapDistribution(n, std::fabs(d), 1e-12 * std::max({std::fabs(d), std::fabs(s.base_median), 1e-300}),
                                         o, rng, [&](auto swapped) {
                                           for (size_t i = 0; i < n; ++i) {
                                             const bool sw = swapped(i);
                                             a[i] = sw ? next[i] : base[i];
                                             b[i] = sw ? base[i] : next[i];
                                           }
                                           return std::fabs(Median(b) - Median(a));
                                         });
  s.exact = null.exact;
  s.p = null.p;
  s.noise_pct = RelativePct(Quantile(null.abs, 0.95), s.base_median);

  // Percentile bootstrap over pairs of the relative change of medians.
  std::vector<double> changes;
  changes.reserve(static_cast<size_t>(std::max(o.bootstrap, 1)));
  for (int r = 0; r < std::max(o.bootstrap, 1); ++r) {
    for (size_t i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(rng() % n);
      a[i] = base[k];
      b[i] = next[k];
    }
    const double bm = Median(a);
    changes.push_back(RelativePct(Median(b) - bm, bm));
  }
  std::sort(changes.begin(), changes.end());
  const double tail = (1 - o.confidence) / 2;
  s.ci_low_pct = Quantile(changes, tail);
  s.ci_high_pct = Quantile(changes, 1 - tail);
  return s;
}

void JudgeAbFigures(const AbOptions& o, std::vector<AbFigure>* figures) {
  // Holm: the i-th smallest of m p-values is multiplied by (m - i), and the
  // adjusted values are made non-decreasing.
  std::vector<size_t> order(figures->size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return (*figures)[x].stats.p < (*figures)[y].stats.p; });
  const size_t m = figures->size();
  double running = 0;
  for (size_t i = 0; i < m; ++i) {
    AbFigure& f = (*figures)[order[i]];
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * f.stats.p));
    f.p_adjusted = running;
  }
  for (AbFigure& f : *figures) {
    const AbStats& s = f.stats;
    const bool beyond = std::fabs(s.change_pct) > o.threshold_pct;
    const bool worse = f.better == Better::kLower ? s.change_pct > 0 : s.change_pct < 0;
    if (beyond && f.p_adjusted < o.alpha) f.verdict = worse ? AbVerdict::kRegression : AbVerdict::kImprovement;
    else if (s.ci_low_pct >= -o.threshold_pct && s.ci_high_pct <= o.threshold_pct) f.verdict = AbVerdict::kNoChange;
    else f.verdict = AbVerdict::kTooNoisy;
  }
}

bool IsAbFigure(const std::string& format, const Metric& m) {
  if (m.kind != MetricKind::kTiming) return false;
  if (format != "strata-run") return true;
  const std::string& n = m.name;
  const bool read = n.rfind("read ", 0) == 0;
  return n == "tx p50_us" || n == "tx p99_us" || n == "tx cpu p10_us" || n == "import_datoms_per_s" ||
         n == "job_wall_ms" || (read && n.ends_with(" cpu p10_us")) ||
         (read && n.ends_with(" p50_us") && !n.ends_with(" cpu p50_us"));
}

bool AbResult::regressed() const {
  return std::any_of(figures.begin(), figures.end(),
                     [](const AbFigure& f) { return f.verdict == AbVerdict::kRegression; });
}

bool AbResult::MustDecide(const AbFigure& f) const {
  if (options.decide == AbDecide::kAll || f.cpu) return true;
  return std::none_of(figures.begin(), figures.end(), [](const AbFigure& g) { return g.cpu; });
}

bool AbResult::undecided() const {
  return !regressed() && std::any_of(figures.begin(), figures.end(), [&](const AbFigure& f) {
           return f.verdict == AbVerdict::kTooNoisy && MustDecide(f);
         });
}

std::vector<std::string> AbResult::RegressionNames() const {
  std::vector<std::string> out;
  for (const AbFigure& f : figures)
    if (f.verdict == AbVerdict::kRegression)
      out.push_back(f.subject + " " + f.metric + " " + PctText(f.stats.change_pct) + " " + CiText(f.stats));
  return out;
}

Result<AbResult> CompareAb(const std::vector<ResultSet>& base_runs, const std::vector<ResultSet>& new_runs,
                           const AbOptions& o) {
  if (!(o.threshold_pct >= 0)) return Status::InvalidArgument("--threshold must be at least 0");
  if (!(o.alpha > 0 && o.alpha < 1)) return Status::InvalidArgument("--alpha must lie between 0 and 1");
  if (!(o.confidence > 0 && o.confidence < 1)) return Status::InvalidArgument("--confidence must lie between 0 and 1");
  if (o.permutations < 1 || o.bootstrap < 1)
    return Status::InvalidArgument("--permutations and --bootstrap must be at least 1");
  if (base_runs.empty() || new_runs.empty()) return Status::InvalidArgument("no base runs or no new runs to compare");
  const std::string& format = base_runs.front().format;
  for (const auto* list : {&base_runs, &new_runs})
    for (const ResultSet& r : *list)
      if (r.format != format)
        return Status::InvalidArgument("cannot compare " + format + " results (" + base_runs.front().source +
                                       ") with " + r.format + " results (" + r.source + ")");
  AbResult result;
  result.options = o;
  result.pairs = std::min(base_runs.size(), new_runs.size());
  if (base_runs.size() != new_runs.size())
    result.notes.push_back(std::to_string(base_runs.size()) + " base runs and " + std::to_string(new_runs.size()) +
                           " new runs: the first " + std::to_string(result.pairs) + " of each are paired");
  std::vector<std::string> left_out;
  for (const Subject& subject : base_runs.front().subjects) {
    for (const Metric& metric : subject.metrics) {
      if (!IsAbFigure(format, metric)) continue;
      AbFigure f{subject.name, metric.name, metric.unit, metric.better, {}, {}, {}, 1, AbVerdict::kTooNoisy};
      f.cpu = format == "strata-run" && metric.name.find(" cpu ") != std::string::npos;
      bool complete = true;
      for (size_t i = 0; i < result.pairs && complete; ++i) {
        const Subject* bs = base_runs[i].Find(subject.name);
        const Subject* ns = new_runs[i].Find(subject.name);
        const Metric* bm = bs ? bs->Find(metric.name) : nullptr;
        const Metric* nm = ns ? ns->Find(metric.name) : nullptr;
        complete = bm && nm && !bm->samples.empty() && !nm->samples.empty();
        if (complete) {
          f.base.push_back(Median(bm->samples));
          f.next.push_back(Median(nm->samples));
        }
      }
      if (!complete) {
        result.notes.push_back(subject.name + " " + metric.name + " is missing from some runs: not compared");
        continue;
      }
      f.stats = AbTest(f.base, f.next, o);
      if (f.stats.pairs_left_out > 0) left_out.push_back(f.subject + " " + f.metric + " " + std::to_string(f.stats.pairs_left_out));
      result.figures.push_back(std::move(f));
    }
  }
  if (result.figures.empty()) result.notes.push_back("no figure in common to compare");
  if (!left_out.empty()) {
    std::string note = "pairs left out as disturbed (|ln(new/base)| over " + Fmt("%g", o.outlier_factor) +
                       "x the figure's median): ";
    for (size_t i = 0; i < left_out.size(); ++i) note += (i ? ", " : "") + left_out[i];
    result.notes.push_back(note);
  }
  // All swapped gives the same |difference| as none: the smallest p is 2 / 2^n.
  const double min_p = result.pairs < 2 ? 1 : std::ldexp(1.0, 1 - static_cast<int>(std::min<size_t>(result.pairs, 60)));
  if (!result.figures.empty() && min_p * static_cast<double>(result.figures.size()) >= o.alpha)
    result.notes.push_back(std::to_string(result.pairs) + " pairs cannot reach significance over " +
                           std::to_string(result.figures.size()) + " figures (smallest p " + Fmt("%.3g", min_p) +
                           " before the Holm adjustment): nothing can be called a regression; run more pairs");
  JudgeAbFigures(o, &result.figures);
  // The runs' own notes (a loaded machine, a planted slowdown), once each
  // with how many runs gave them; numbers are dropped so that "load 10.3"
  // and "load 9.8" count as one.
  for (const auto& [side, runs] : {std::pair{"base", &base_runs}, {"new", &new_runs}}) {
    std::vector<std::pair<std::string, size_t>> seen;
    for (const ResultSet& r : *runs)
      for (const std::string& n : r.notes) {
        std::string key;
        for (char c : n) key += (c >= '0' && c <= '9') || c == '.' ? '#' : c;
        auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& e) { return e.first == key; });
        if (it == seen.end()) {
          seen.push_back({key, 1});
          result.notes.push_back(std::string(side) + " runs: " + n);
        } else {
          ++it->second;
        }
      }
    for (size_t i = 0, k = result.notes.size() - seen.size(); i < seen.size(); ++i, ++k)
      if (seen[i].second > 1)
        result.notes[k] += " (" + std::to_string(seen[i].second) + " of " + std::to_string(runs->size()) + " runs)";
  }
  return result;
}

namespace {

std::string VerdictLine(const AbResult& r) {
  const std::vector<std::string> names = r.RegressionNames();
  if (!names.empty()) {
    std::string line = "FAIL: " + std::to_string(names.size()) + (names.size() == 1 ? " regression: " : " regressions: ");
    for (size_t i = 0; i < names.size(); ++i) line += (i ? ", " : "") + names[i];
    return line;
  }
  if (r.figures.empty()) return "UNDECIDED: nothing to compare";
  size_t must = 0, noisy = 0, noisy_other = 0;
  for (const AbFigure& f : r.figures) {
    const bool m = r.MustDecide(f);
    must += m;
    if (f.verdict == AbVerdict::kTooNoisy) ++(m ? noisy : noisy_other);
  }
  const std::string which = must == r.figures.size() ? "" : " CPU-time";
  if (r.undecided())
    return "UNDECIDED: no regression found, but " + std::to_string(noisy) + " of " + std::to_string(must) + which +
           " figures were too noisy to decide (their interval reaches past ±" + Fmt("%g", r.options.threshold_pct) + "%)";
  std::string line = "PASS: no regression beyond " + Fmt("%g", r.options.threshold_pct) + "%";
  if (noisy_other > 0)
    line += " (decided on the " + std::to_string(must) + which + " figures; " + std::to_string(noisy_other) +
            " wall-clock figures too noisy to decide, not required)";
  return line;
}

std::string Settings(const AbResult& r) {
  return std::to_string(r.pairs) + " interleaved pairs; threshold " + Fmt("%g", r.options.threshold_pct) +
         "%, alpha " + Fmt("%g", r.options.alpha) + " (Holm over " + std::to_string(r.figures.size()) +
         " figures); randomization test (swaps within pairs) on " +
         (r.options.statistic == AbStatistic::kPairedRatio ? "the pairs' ratios new/base (Hodges-Lehmann)"
                                                            : "the difference of medians") + ", " +
         (r.options.decide == AbDecide::kCpu ? "a pass needs the CPU-time figures decided" : "a pass needs every figure decided") + ", " +
         Fmt("%g", r.options.confidence * 100) + "% bootstrap interval of the change";
}

Table MakeTable(const AbResult& r) {
  Table t;
  t.header = {"subject", "figure", "base", "new", "change", "interval", "p (Holm)", "noise", "verdict"};
  for (const AbFigure& f : r.figures) {
    t.rows.push_back({f.subject, f.metric, FormatValue(f.stats.base_median, f.unit), FormatValue(f.stats.new_median, f.unit),
                      PctText(f.stats.change_pct), CiText(f.stats), PText(f.p_adjusted),
                      std::isinf(f.stats.noise_pct) ? "" : Fmt("%.1f%%", f.stats.noise_pct), AbVerdictName(f.verdict)});
    t.bold.push_back(f.verdict == AbVerdict::kRegression);
  }
  t.first_right = 2;
  t.last_right = 7;
  return t;
}

}  // namespace

std::string AbToMarkdown(const AbResult& r, const std::string& title) {
  std::string out = "### " + title + ": " + VerdictLine(r) + "\n\n" + Settings(r) +
                    ". \"noise\" is the difference of medians that swapping labels gives 5% of the time.\n\n";
  out += TableMarkdown(MakeTable(r));
  if (!r.notes.empty()) {
    out += "\n";
    for (const std::string& n : r.notes) out += "- " + n + "\n";
  }
  return out;
}

std::string AbToText(const AbResult& r) {
  std::string out = Settings(r) + "\n\n" + TableText(MakeTable(r));
  for (const std::string& n : r.notes) out += "note: " + n + "\n";
  out += "\n" + VerdictLine(r) + "\n";
  return out;
}

}  // namespace strata::reports
