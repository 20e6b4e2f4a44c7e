// The regression gate (see compare.h).

#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "reports/page.h"
#include "reports/stats.h"

namespace strata::reports {

namespace {

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Three significant digits.
std::string Sig3(double v) {
  const double a = std::fabs(v);
  if (a >= 100 || a == 0) return Fmt("%.0f", v);
  if (a >= 10) return Fmt("%.1f", v);
  if (a >= 1) return Fmt("%.2f", v);
  return Fmt("%.3g", v);
}

std::string ChangeText(const ComparisonRow& r) {
  if (r.kind == MetricKind::kInfo && r.change_pct == 0) return "";
  if (std::isinf(r.change_pct)) return "new";
  if (r.change_pct == 0) return "0%";
  return Fmt("%+.1f%%", r.change_pct);
}

std::string PText(const ComparisonRow& r) {
  if (std::isnan(r.p)) return "";
  return r.p < 0.001 ? "<0.001" : Fmt("%.3f", r.p);
}

std::string MedianText(double v, size_t n, const std::string& unit) {
  std::string s = FormatValue(v, unit);
  if (n > 1) s += " (n=" + std::to_string(n) + ")";
  return s;
}

const char* KindName(MetricKind k) {
  switch (k) {
    case MetricKind::kCounter: return "counter";
    case MetricKind::kTiming: return "timing";
    case MetricKind::kInfo: return "info";
  }
  return "?";
}

void Judge(const CompareOptions& o, const Metric& b, const Metric& n, ComparisonRow* r) {
  r->n_base = b.samples.size();
  r->n_new = n.samples.size();
  r->base = Median(b.samples);
  r->next = Median(n.samples);
  if (r->base == r->next) r->change_pct = 0;
  else if (r->base == 0) r->change_pct = r->next > 0 ? INFINITY : -INFINITY;
  else r->change_pct = (r->next - r->base) / std::fabs(r->base) * 100;
  const bool up = r->change_pct > o.threshold_pct, down = r->change_pct < -o.threshold_pct;
  const bool worse = r->better == Better::kLower ? up : down;
  const bool better = r->better == Better::kLower ? down : up;
  switch (r->kind) {
    case MetricKind::kInfo:
      r->verdict = Verdict::kInfo;
      return;
    case MetricKind::kCounter:
      r->verdict = worse ? Verdict::kRegressed : better ? Verdict::kImproved : Verdict::kUnchanged;
      return;
    case MetricKind::kTiming: {
      if (!b.samples.empty() && !n.samples.empty()) r->p = MannWhitneyU(b.samples, n.samples).p;
      if (!worse && !better) r->verdict = Verdict::kUnchanged;
      else if (MinimumTwoSidedP(r->n_base, r->n_new) >= o.alpha) r->verdict = Verdict::kUntestable;
      else if (r->p < o.alpha) r->verdict = worse ? Verdict::kRegressed : Verdict::kImproved;
      else r->verdict = Verdict::kNoise;
      return;
    }
  }
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kUnchanged: return "same";
    case Verdict::kImproved: return "improved";
    case Verdict::kRegressed: return "REGRESSED";
    case Verdict::kNoise: return "noise";
    case Verdict::kUntestable: return "too few samples";
    case Verdict::kInfo: return "";
    case Verdict::kOnlyBase: return "only in base";
    case Verdict::kOnlyNew: return "only in new";
  }
  return "?";
}

std::string FormatValue(double v, const std::string& unit) {
  const double a = std::fabs(v);
  if (unit == "bytes") {
    if (a >= 1024.0 * 1024 * 1024) return Sig3(v / (1024.0 * 1024 * 1024)) + " GiB";
    if (a >= 1024.0 * 1024) return Sig3(v / (1024.0 * 1024)) + " MiB";
    if (a >= 1024.0) return Sig3(v / 1024.0) + " KiB";
    return Fmt("%.0f", v) + " B";
  }
  if (unit == "ns" || unit == "us" || unit == "ms") {
    if (v == 0) return "0 " + unit;
    double ns = unit == "ns" ? v : unit == "us" ? v * 1e3 : v * 1e6;
    const double an = std::fabs(ns);
    if (an >= 1e9) return Sig3(ns / 1e9) + " s";
    if (an >= 1e6) return Sig3(ns / 1e6) + " ms";
    if (an >= 1e3) return Sig3(ns / 1e3) + " us";
    return Sig3(ns) + " ns";
  }
  if (unit == "x") return Fmt("%.3f", v) + "x";
  std::string num;
  if (a >= 1e9) num = Sig3(v / 1e9) + "G";
  else if (a >= 1e6) num = Sig3(v / 1e6) + "M";
  else if (a >= 1e4) num = Sig3(v / 1e3) + "k";
  else if (v == std::floor(v)) num = Fmt("%.0f", v);
  else num = Sig3(v);
  return unit.empty() ? num : num + " " + unit;
}

bool Comparison::regressed() const {
  return std::any_of(rows.begin(), rows.end(), [](const ComparisonRow& r) { return r.verdict == Verdict::kRegressed; });
}

std::vector<std::string> Comparison::RegressionNames() const {
  std::vector<std::string> out;
  for (const ComparisonRow& r : rows)
    if (r.verdict == Verdict::kRegressed) out.push_back(r.subject + " " + r.metric + " " + ChangeText(r));
  return out;
}

Result<Comparison> Compare(const ResultSet& base, const ResultSet& next, const CompareOptions& o) {
  if (!(o.threshold_pct >= 0)) return Status::InvalidArgument("--threshold must be at least 0");
  if (!(o.alpha > 0 && o.alpha < 1)) return Status::InvalidArgument("--alpha must lie between 0 and 1");
  if (base.format != next.format)
    return Status::InvalidArgument("cannot compare " + base.format + " results (" + base.source + ") with " +
                                   next.format + " results (" + next.source + ")");
  Comparison c;
  c.base_source = base.source;
  c.new_source = next.source;
  c.format = base.format;
  c.options = o;
  for (const std::string& n : base.notes) c.notes.push_back("base: " + n);
  for (const std::string& n : next.notes) c.notes.push_back("new: " + n);
  bool untestable = false, common_metric = false;
  std::set<std::pair<size_t, size_t>> untestable_sizes;
  std::string base_names, new_names;
  for (const Subject& s : base.subjects) base_names += (base_names.empty() ? "" : ", ") + s.name;
  for (const Subject& s : next.subjects) new_names += (new_names.empty() ? "" : ", ") + s.name;
  bool common_subject = false;
  for (const Subject& bs : base.subjects) common_subject = common_subject || next.Find(bs.name) != nullptr;
  if (!common_subject)
    return Status::InvalidArgument("nothing in common to compare: the base has " +
                                   (base_names.empty() ? std::string("nothing") : base_names) + ", the new results " +
                                   (new_names.empty() ? std::string("nothing") : new_names) +
                                   " (compare runs of the same strategies or benchmarks)");
  std::set<std::string> only_one_side;
  for (const Subject& bs : base.subjects) {
    const Subject* ns = next.Find(bs.name);
    if (ns == nullptr) {
      c.notes.push_back(bs.name + " is in the base results only: not compared");
      continue;
    }
    for (const auto& [key, value] : bs.settings) {
      auto it = std::find_if(ns->settings.begin(), ns->settings.end(), [&](const auto& kv) { return kv.first == key; });
      if (it == ns->settings.end()) only_one_side.insert(key + " (base only: " + value + ")");
      else if (it->second != value) c.differences.push_back(bs.name + ": " + key + " " + value + " -> " + it->second);
    }
    for (const auto& [key, value] : ns->settings)
      if (std::none_of(bs.settings.begin(), bs.settings.end(), [&](const auto& kv) { return kv.first == key; }))
        only_one_side.insert(key + " (new only: " + value + ")");
    // Live bytes on both sides: they are gated; the total is shown only.
    const bool split = bs.Find("storage_live_bytes") != nullptr && ns->Find("storage_live_bytes") != nullptr;
    for (const Metric& bm : bs.metrics) {
      ComparisonRow r;
      r.subject = bs.name;
      r.metric = bm.name;
      r.unit = bm.unit;
      r.kind = split && bm.name == "storage_bytes" ? MetricKind::kInfo : bm.kind;
      r.better = bm.better;
      const Metric* nm = ns->Find(bm.name);
      if (nm != nullptr) common_metric = true;
      if (nm == nullptr) {
        r.n_base = bm.samples.size();
        r.base = Median(bm.samples);
        r.verdict = Verdict::kOnlyBase;
      } else {
        Judge(o, bm, *nm, &r);
        if (r.verdict == Verdict::kUntestable) {
          untestable = true;
          untestable_sizes.insert({r.n_base, r.n_new});
        }
        if (r.kind == MetricKind::kInfo && r.change_pct != 0 && (r.metric == "datoms" || r.metric == "transactions"))
          c.notes.push_back(bs.name + ": the workload differs (" + r.metric + " " + FormatValue(r.base, r.unit) +
                            " -> " + FormatValue(r.next, r.unit) + "): compare runs of the same workload and scale");
      }
      c.rows.push_back(std::move(r));
    }
    for (const Metric& nm : ns->metrics) {
      if (bs.Find(nm.name) != nullptr) continue;
      ComparisonRow r;
      r.subject = bs.name;
      r.metric = nm.name;
      r.unit = nm.unit;
      r.kind = nm.kind;
      r.better = nm.better;
      r.n_new = nm.samples.size();
      r.next = Median(nm.samples);
      r.verdict = Verdict::kOnlyNew;
      c.rows.push_back(std::move(r));
    }
  }
  for (const Subject& ns : next.subjects)
    if (base.Find(ns.name) == nullptr) c.notes.push_back(ns.name + " is in the new results only: not compared");
  if (!common_metric) return Status::InvalidArgument("no figure in common between " + base.source + " and " + next.source);
  if (!only_one_side.empty()) {
    std::string keys;
    for (const std::string& k : only_one_side) keys += (keys.empty() ? "" : ", ") + k;
    c.notes.push_back("settings recorded on one side only (an option added or removed since; not a difference): " + keys);
  }
  if (untestable) {
    for (const auto& [n1, n2] : untestable_sizes)
      c.notes.push_back("timings with " + std::to_string(n1) + " against " + std::to_string(n2) +
                        " samples cannot reach p < " + Fmt("%g", o.alpha) + " (the smallest possible p is " +
                        Fmt("%.3g", MinimumTwoSidedP(n1, n2)) +
                        "): their changes are shown, not gated; run more repetitions (4 against 4 reach 0.029)");
  }
  return c;
}

namespace {

Table MakeTable(const Comparison& c) {
  Table t;
  t.header = {"subject", "metric", "kind", "base", "new", "change", "p", "verdict"};
  for (const ComparisonRow& r : c.rows) {
    t.rows.push_back({r.subject, r.metric, KindName(r.kind),
                      r.verdict == Verdict::kOnlyNew ? "" : MedianText(r.base, r.n_base, r.unit),
                      r.verdict == Verdict::kOnlyBase ? "" : MedianText(r.next, r.n_new, r.unit),
                      r.verdict == Verdict::kOnlyBase || r.verdict == Verdict::kOnlyNew ? "" : ChangeText(r), PText(r),
                      VerdictName(r.verdict)});
    t.bold.push_back(r.verdict == Verdict::kRegressed);
  }
  t.first_right = 3;
  t.last_right = 6;
  return t;
}

std::string VerdictLine(const Comparison& c) {
  const std::vector<std::string> names = c.RegressionNames();
  std::string line;
  if (names.empty()) {
    line = "PASS: no regression beyond " + Fmt("%g", c.options.threshold_pct) + "%";
  } else {
    line = "FAIL: " + std::to_string(names.size()) + (names.size() == 1 ? " regression: " : " regressions: ");
    for (size_t i = 0; i < names.size(); ++i) line += (i ? ", " : "") + names[i];
  }
  if (!c.differences.empty()) line += " (but the runs' settings differ: see the warning above)";
  return line;
}

// The loud line above the table when the runs' settings differ.
std::string DifferencesLine(const Comparison& c) {
  if (c.differences.empty()) return "";
  std::string s = "WARNING: the runs differ in their settings, so their figures measure different things: ";
  for (size_t i = 0; i < c.differences.size(); ++i) s += (i ? "; " : "") + c.differences[i];
  return s;
}

std::string Settings(const Comparison& c) {
  return "threshold " + Fmt("%g", c.options.threshold_pct) + "%, alpha " + Fmt("%g", c.options.alpha) +
         " (counters exact; timings: two-sided Mann-Whitney U and the threshold)";
}

}  // namespace

std::string ComparisonToMarkdown(const Comparison& c) {
  std::string out = "### strata compare: " + VerdictLine(c) + "\n\n";
  out += "Base `" + c.base_source + "`, new `" + c.new_source + "` (" + c.format + "); " + Settings(c) + ".\n\n";
  if (!c.differences.empty()) out += "> **" + EscapeMarkdownCell(DifferencesLine(c)) + "**\n\n";
  out += TableMarkdown(MakeTable(c));
  if (!c.notes.empty()) {
    out += "\n";
    for (const std::string& n : c.notes) out += "- " + n + "\n";
  }
  return out;
}

std::string ComparisonToText(const Comparison& c) {
  std::string out = "strata compare: base " + c.base_source + ", new " + c.new_source + "\n" + Settings(c) + "\n\n";
  if (!c.differences.empty()) out += "!!! " + DifferencesLine(c) + "\n\n";
  out += TableText(MakeTable(c));
  if (!c.notes.empty()) {
    out += "\n";
    for (const std::string& n : c.notes) out += "note: " + n + "\n";
  }
  out += "\n" + VerdictLine(c) + "\n";
  return out;
}

}  // namespace strata::reports
