// OUT/summary.md of `strata experiment` (see experiment_summary.h).

#include "reports/experiment_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "reports/page.h"
#include "reports/stats.h"

namespace strata::reports {

namespace {

using harness::CellResult;
using harness::Context;
using harness::Job;
using harness::Summary;

std::optional<double> Ratio(const std::optional<double>& late, const std::optional<double>& early) {
  if (!late || !early || *early <= 0) return std::nullopt;
  return *late / *early;
}

// The moment (ms) the timeline reached `datoms`, linear between samples,
// starting from (0 ms, 0 datoms); nullopt when it never did.
std::optional<double> ReachedAt(const harness::Timeline& t, double datoms) {
  double t0 = 0, d0 = 0;
  for (size_t i = 0; i < t.t_ms.size() && i < t.datoms.size(); ++i) {
    const double t1 = t.t_ms[i], d1 = static_cast<double>(t.datoms[i]);
    if (d1 >= datoms) {
      if (d1 <= d0) return t1;
      return t0 + (datoms - d0) / (d1 - d0) * (t1 - t0);
    }
    t0 = t1;
    d0 = d1;
  }
  return std::nullopt;
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// 97012345 -> "97,012,345".
std::string Count(double v) {
  std::string digits = Fmt("%.0f", v), out;
  const size_t lead = digits[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > lead && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Three significant digits with k or M: "779k", "1.23M", "5.43k".
std::string Rate(double v) {
  if (v >= 1e6) return Fmt(v >= 1e8 ? "%.0fM" : v >= 1e7 ? "%.1fM" : "%.2fM", v / 1e6);
  if (v >= 1e3) return Fmt(v >= 1e5 ? "%.0fk" : v >= 1e4 ? "%.1fk" : "%.2fk", v / 1e3);
  return Fmt("%.0f", v);
}

std::string Duration(double s) {
  if (s < 100) return Fmt("%.1f s", s);
  const auto total = static_cast<long>(std::lround(s));
  if (total < 3600) return std::to_string(total / 60) + " m " + std::to_string(total % 60) + " s";
  return std::to_string(total / 3600) + " h " + std::to_string((total % 3600) / 60) + " m";
}

const char* Mark(bool met) { return met ? "✓" : "✗"; }

// The median of the values present; nullopt when none is.
std::optional<double> MedianOf(const std::vector<FlatnessFigures>& runs,
                               const std::function<std::optional<double>(const FlatnessFigures&)>& get) {
  std::vector<double> v;
  for (const FlatnessFigures& r : runs)
    if (auto x = get(r)) v.push_back(*x);
  if (v.empty()) return std::nullopt;
  return Median(std::move(v));
}

// "value (count)" lines for a header entry where cells may differ.
template <class F>
std::string Tally(const std::vector<CellResult>& cells, F describe) {
  std::map<std::string, size_t> n;
  std::vector<std::string> order;
  for (const CellResult& c : cells) {
    const std::string d = describe(c.results.context);
    if (n[d]++ == 0) order.push_back(d);
  }
  if (order.size() == 1) return order[0];
  std::string out;
  for (const std::string& d : order) out += (out.empty() ? "" : "; ") + d + " (" + std::to_string(n[d]) + " cells)";
  return out;
}

std::string Machine(const Context& c) {
  std::string m = c.hostname.empty() ? "(host not recorded)" : c.hostname;
  m += ": " + (c.cpu_model.empty() ? std::string("CPU not recorded") : c.cpu_model);
  m += ", " + (c.cpus > 0 ? std::to_string(c.cpus) + " cores" : std::string("cores not recorded"));
  m += ", " + (Recorded(c, &Context::memory_bytes) && c.memory_bytes > 0
                   ? Fmt("%.1f GiB memory", static_cast<double>(c.memory_bytes) / (1024.0 * 1024 * 1024))
                   : std::string("memory not recorded"));
  if (!c.kernel.empty()) m += ", " + c.kernel;
  return m;
}

}  // namespace

std::optional<double> FlatnessFigures::CpuGrowth() const { return Ratio(cpu_us_late, cpu_us_early); }
std::optional<double> FlatnessFigures::RateRatio() const { return Ratio(rate_late, rate_early); }

std::optional<double> ImportRate(const harness::Timeline& t, double from, double to) {
  const std::optional<double> a = ReachedAt(t, from), b = ReachedAt(t, to);
  if (!a || !b || *b <= *a) return std::nullopt;
  return (to - from) / ((*b - *a) / 1000);
}

namespace {

// Sum of `of(job)` over the novelty datoms of the jobs whose range
// (previous job's db_datoms, own db_datoms] overlaps [from, to].
std::optional<double> PerNoveltyDatom(const std::vector<Job>& jobs, double from, double to,
                                      const std::function<double(const Job&)>& of) {
  double sum = 0, datoms = 0, before = 0;
  bool any = false;
  for (const Job& j : jobs) {
    const auto after = static_cast<double>(j.db_datoms);
    if (after >= from && before < to) {
      sum += of(j);
      datoms += static_cast<double>(j.novelty_datoms);
      any = true;
    }
    before = after;
  }
  if (!any || datoms <= 0) return std::nullopt;
  return sum / datoms;
}

}  // namespace

std::optional<double> JobCpuPerNoveltyDatom(const std::vector<Job>& jobs, double from, double to) {
  return PerNoveltyDatom(jobs, from, to, [](const Job& j) { return j.cpu_ms * 1000; });
}

std::optional<double> RewrittenPerNoveltyDatom(const std::vector<Job>& jobs, double from, double to) {
  return PerNoveltyDatom(jobs, from, to, [](const Job& j) { return static_cast<double>(j.datoms_rewritten); });
}

FlatnessFigures Flatness(const harness::ResultsFile& f) {
  FlatnessFigures r;
  const Summary& s = f.summary;
  r.datoms = Figure(s, &Summary::datoms);
  r.jobs = Figure(s, &Summary::jobs);
  r.write_amplification = Figure(s, &Summary::write_amplification);
  r.max_read_sources = Figure(s, &Summary::max_read_sources);
  r.segments_per_point_read = Figure(s, &Summary::read_segments_per_point_read);
  if (Recorded(s, &Summary::storage_bytes) && Recorded(s, &Summary::storage_live_bytes) && s.storage_live_bytes > 0)
    r.space_amplification = static_cast<double>(s.storage_bytes) / static_cast<double>(s.storage_live_bytes);
  r.peak_rss_bytes = Figure(s, &Summary::peak_rss_bytes);
  if (Recorded(s, &Summary::import_s) && Recorded(s, &Summary::final_index_ms))
    r.wall_s = s.import_s + s.final_index_ms / 1000;
  if (!f.jobs.empty()) {
    double novelty = 0;
    for (const Job& j : f.jobs) novelty += static_cast<double>(j.novelty_datoms);
    if (Recorded(s, &Summary::datoms_rewritten) && novelty > 0)
      r.rewritten_per_novelty_datom = static_cast<double>(s.datoms_rewritten) / novelty;
    const auto final_db = static_cast<double>(f.jobs.back().db_datoms);
    r.cpu_us_early = JobCpuPerNoveltyDatom(f.jobs, kEarlyFrom * final_db, kEarlyTo * final_db);
    r.cpu_us_late = JobCpuPerNoveltyDatom(f.jobs, kLateFrom * final_db, final_db);
    r.rewritten_early = RewrittenPerNoveltyDatom(f.jobs, kEarlyFrom * final_db, kEarlyTo * final_db);
    r.rewritten_late = RewrittenPerNoveltyDatom(f.jobs, kLateFrom * final_db, final_db);
  }
  if (f.timeline && !f.timeline->datoms.empty()) {
    const auto final_datoms = static_cast<double>(f.timeline->datoms.back());
    r.rate_early = ImportRate(*f.timeline, kEarlyFrom * final_datoms, kEarlyTo * final_datoms);
    r.rate_late = ImportRate(*f.timeline, kLateFrom * final_datoms, final_datoms);
  }
  return r;
}

std::string ExperimentSummary(const std::string& title, const std::vector<CellResult>& cells) {
  std::string md = "# " + title + "\n\n";
  if (cells.empty()) return md + "No finished cells yet.\n";

  // Parameters with one value in every cell go in the header; the rest in the rows.
  std::map<std::string, std::set<std::string>> values;
  std::map<std::string, size_t> present;
  for (const CellResult& c : cells)
    for (const auto& [k, v] : c.key.parameters) {
      values[k].insert(v);
      present[k]++;
    }
  std::map<std::string, std::string> fixed;
  for (const auto& [k, vs] : values)
    if (vs.size() == 1 && present[k] == cells.size()) fixed[k] = *vs.begin();

  // Configurations in the order they first ran; their repetitions' figures.
  struct Row {
    const CellResult* first;
    std::vector<FlatnessFigures> runs;
  };
  std::vector<Row> rows;
  std::map<std::string, size_t> index;
  for (const CellResult& c : cells) {
    std::string key = c.key.workload + "|" + Fmt("%g", c.key.scale) + "|" + c.key.strategy;
    for (const auto& [k, v] : c.key.parameters) key += "|" + k + "=" + v;
    auto [it, fresh] = index.emplace(key, rows.size());
    if (fresh) rows.push_back({&c, {}});
    rows[it->second].runs.push_back(Flatness(c.results));
  }

  std::string first_date, last_date;
  double load_lo = -1, load_hi = -1;
  for (const CellResult& c : cells) {
    const Context& x = c.results.context;
    if (!x.date.empty()) {
      if (first_date.empty() || x.date < first_date) first_date = x.date;
      if (last_date.empty() || x.date > last_date) last_date = x.date;
    }
    if (!x.load_avg.empty() && x.load_avg[0] >= 0) {
      load_lo = load_lo < 0 ? x.load_avg[0] : std::min(load_lo, x.load_avg[0]);
      load_hi = std::max(load_hi, x.load_avg[0]);
    }
  }
  auto n = [](size_t k, const char* what) { return std::to_string(k) + " " + what + (k == 1 ? "" : "s"); };
  md += "Written by `strata experiment` on " + harness::UtcNow("%Y-%m-%d %H:%M UTC") + " from " +
        n(cells.size(), "finished cell") + " (" + n(rows.size(), "configuration") + "; each figure is the median over a configuration's repetitions).\n\n";
  md += "- **commit**: " + Tally(cells, [](const Context& x) {
          return x.git_commit.empty() ? std::string("not recorded") : x.git_commit + (x.git_dirty ? " (dirty)" : " (clean)");
        }) + "\n";
  md += "- **machine**: " + Tally(cells, Machine) + "\n";
  md += "- **build**: " + Tally(cells, [](const Context& x) {
          return (x.build_type.empty() ? std::string("?") : x.build_type) + (x.release ? "" : " (NOT a release build)") +
                 (x.compiler.empty() ? "" : ", " + x.compiler);
        }) + "\n";
  md += "- **started**: " + (first_date.empty() ? std::string("dates not recorded") : first_date + (last_date == first_date ? "" : " to " + last_date));
  if (load_lo >= 0) md += Fmt("; 1-minute load average then %.2f", load_lo) + Fmt(" to %.2f", load_hi);
  md += "\n";
  std::string fixed_text;
  for (const auto& [k, v] : fixed) fixed_text += (fixed_text.empty() ? "" : ", ") + k + "=" + v;
  md += "- **parameters of every cell**: " + (fixed_text.empty() ? std::string("engine defaults") : fixed_text) + "\n\n";

  md += "| workload | scale | strategy | settings | runs | datoms | jobs | write amp | max sources per read | "
        "segments per point read | space amp | rewritten per novelty datom (early → late) | job CPU per novelty datom, early → late | "
        "import rate, early → late | peak RSS | wall |\n";
  md += "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |\n";
  const std::string none = "–";
  for (const Row& row : rows) {
    const harness::CellKey& k = row.first->key;
    std::string settings;
    for (const auto& [p, v] : k.parameters)
      if (fixed.count(p) == 0) settings += (settings.empty() ? "" : ", ") + p + "=" + v;
    auto med = [&](std::optional<double> FlatnessFigures::*m) {
      return MedianOf(row.runs, [m](const FlatnessFigures& f) { return f.*m; });
    };
    const auto datoms = med(&FlatnessFigures::datoms), jobs = med(&FlatnessFigures::jobs);
    const auto wa = med(&FlatnessFigures::write_amplification), src = med(&FlatnessFigures::max_read_sources);
    const auto segs = med(&FlatnessFigures::segments_per_point_read), space = med(&FlatnessFigures::space_amplification);
    const auto rewritten = med(&FlatnessFigures::rewritten_per_novelty_datom);
    const auto rw_e = med(&FlatnessFigures::rewritten_early), rw_l = med(&FlatnessFigures::rewritten_late);
    std::string rewritten_text = rewritten ? Fmt("%.2f", *rewritten) : none;
    if (rw_e && rw_l) rewritten_text += " (" + Fmt("%.2f", *rw_e) + " → " + Fmt("%.2f)", *rw_l);
    const auto cpu_e = med(&FlatnessFigures::cpu_us_early), cpu_l = med(&FlatnessFigures::cpu_us_late);
    const auto rate_e = med(&FlatnessFigures::rate_early), rate_l = med(&FlatnessFigures::rate_late);
    const auto growth = MedianOf(row.runs, [](const FlatnessFigures& f) { return f.CpuGrowth(); });
    const auto ratio = MedianOf(row.runs, [](const FlatnessFigures& f) { return f.RateRatio(); });
    const auto rss = med(&FlatnessFigures::peak_rss_bytes), wall = med(&FlatnessFigures::wall_s);

    std::string cpu = cpu_e && cpu_l ? Fmt("%.2f", *cpu_e) + " → " + Fmt("%.2f µs", *cpu_l) : none;
    if (growth) cpu += Fmt(" (×%.2f ", *growth) + Mark(*growth <= kBarCpuGrowth) + ")";
    std::string rate = rate_e && rate_l ? Rate(*rate_e) + " → " + Rate(*rate_l) + "/s" : none;
    if (ratio) rate += Fmt(" (×%.2f ", *ratio) + Mark(*ratio >= kBarImportRatio) + ")";

    md += "| " + k.workload + " | " + Fmt("%g", k.scale) + " | " + k.strategy + " | " +
          (settings.empty() ? "defaults" : settings) + " | " + std::to_string(row.runs.size()) + " | " +
          (datoms ? Count(*datoms) : none) + " | " + (jobs ? Count(*jobs) : none) + " | " +
          (wa ? Fmt("%.2f ", *wa) + Mark(*wa <= kBarWriteAmp) : none) + " | " +
          (src ? Fmt("%.0f ", *src) + Mark(*src <= kBarSources) : none) + " | " + (segs ? Fmt("%.2f", *segs) : none) +
          " | " + (space ? Fmt("%.2f", *space) : none) + " | " + rewritten_text + " | " +
          cpu + " | " + rate + " | " + (rss ? Fmt("%.0f MiB", *rss / (1024 * 1024)) : none) + " | " +
          (wall ? Duration(*wall) : none) + " |\n";
  }
  md += "\nEarly is 1%–3% of a run's final size, late its last 10% (at 9.7×10^7 datoms: 1–3×10^6 and "
        "8.7–9.7×10^7). The import rate is the timeline's committed datoms per second between the moments the "
        "run reached a window's ends; the job CPU per novelty datom sums the CPU and the novelty of the jobs "
        "whose database range overlaps the window; ×: late / early of each run (docs/indexing.md, "
        "\"How the figures are computed\"). Write amp: index bytes written / novelty bytes; max sources per "
        "read: the most durable sources any read merged; space amp: bytes at rest / live bytes; rewritten per "
        "novelty datom: datoms the jobs rewrote (read back and written again) per datom indexed, over the run "
        "and over the windows' jobs; wall: import "
        "and the final indexing. "
        "✓/✗: issue 19's bar for 10^8 datoms (late import ≥ 0.8× early, job CPU per novelty datom ≤ 1.5× "
        "early, write amp ≤ 5, ≤ 8 sources per read); at smaller scales the marks only show the direction. "
        "–: not recorded, or no job or sample in the window.\n";
  return md;
}

Result<std::string> WriteExperimentSummary(const std::string& dir, const std::string& title,
                                           const std::vector<CellResult>& cells) {
  const std::string path = dir + "/summary.md";
  STRATA_RETURN_IF_ERROR(WriteFileAtomically(path, ExperimentSummary(title, cells)));
  return path;
}

}  // namespace strata::reports
