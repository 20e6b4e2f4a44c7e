// The history report (see history.h).

#include "reports/history.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "reports/compare.h"
#include "reports/page.h"
#include "reports/stats.h"

namespace strata::reports {

namespace fs = std::filesystem;

namespace {

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

bool HasResults(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("results-", 0) == 0 && name.ends_with(".json")) return true;
  }
  return false;
}

Result<HistoryEntry> LoadEntry(const fs::path& dir) {
  HistoryEntry e;
  e.path = dir.string();
  const std::string meta_path = (dir / "entry.json").string();
  STRATA_ASSIGN_OR_RETURN(harness::Json meta, harness::ReadJsonFile(meta_path));
  if (!meta.is_object() || !meta.contains("commit") || !meta["commit"].is_string() || meta["commit"].get<std::string>().empty())
    return Status::InvalidArgument(meta_path + ": no \"commit\" string");
  e.commit = meta["commit"].get<std::string>();
  if (meta.contains("commit_time")) {
    if (!meta["commit_time"].is_number_integer())
      return Status::InvalidArgument(meta_path + ": \"commit_time\" is not an integer (Unix seconds)");
    e.commit_time = meta["commit_time"].get<int64_t>();
  }
  for (const auto& [key, field] : {std::pair{"date", &e.date}, {"machine", &e.machine}, {"source", &e.source}}) {
    if (!meta.contains(key)) continue;
    if (!meta[key].is_string()) return Status::InvalidArgument(meta_path + ": \"" + key + "\" is not a string");
    *field = meta[key].get<std::string>();
  }
  std::vector<fs::path> run_dirs;
  if (HasResults(dir)) run_dirs.push_back(dir);
  std::error_code ec;
  for (const auto& sub : fs::directory_iterator(dir, ec))
    if (sub.is_directory() && HasResults(sub.path())) run_dirs.push_back(sub.path());
  if (ec) return Status::IOError("listing " + dir.string() + ": " + ec.message());
  std::sort(run_dirs.begin(), run_dirs.end());
  if (run_dirs.empty()) return Status::InvalidArgument(dir.string() + ": an entry without results-*.json files");
  for (const fs::path& r : run_dirs) {
    STRATA_ASSIGN_OR_RETURN(ResultSet set, LoadResultSet(r.string()));
    e.runs.push_back(std::move(set));
  }
  return e;
}

}  // namespace

Result<std::vector<HistoryEntry>> LoadHistory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + " is not a folder");
  std::vector<HistoryEntry> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_directory() || !fs::exists(e.path() / "entry.json")) continue;
    STRATA_ASSIGN_OR_RETURN(HistoryEntry entry, LoadEntry(e.path()));
    entries.push_back(std::move(entry));
  }
  if (ec) return Status::IOError("listing " + dir + ": " + ec.message());
  if (entries.empty()) return Status::NotFound("no history entries (folders with an entry.json) in " + dir);
  return entries;
}

History BuildHistory(const std::vector<HistoryEntry>& input, const ChangePointOptions& options) {
  std::vector<const HistoryEntry*> entries;
  for (const HistoryEntry& e : input) entries.push_back(&e);
  std::stable_sort(entries.begin(), entries.end(), [](const HistoryEntry* a, const HistoryEntry* b) {
    return a->commit_time != b->commit_time ? a->commit_time < b->commit_time : a->date < b->date;
  });
  History h;
  std::map<std::string, size_t> commit_index;
  std::map<std::string, std::string> formats;
  for (const HistoryEntry* e : entries) {
    if (commit_index.emplace(e->commit, h.commits.size()).second) {
      h.commits.push_back(e->commit);
      h.dates.push_back(e->date);
      h.machines.push_back(e->machine);
    }
  }
  // (subject, metric) -> per commit, the run values.
  struct Acc {
    HistorySeries s;
    std::map<size_t, std::vector<double>> per_commit;
  };
  std::vector<Acc> acc;
  std::map<std::pair<std::string, std::string>, size_t> where;
  for (const HistoryEntry* e : entries) {
    const size_t c = commit_index[e->commit];
    for (const ResultSet& run : e->runs) {
      for (const Subject& subject : run.subjects) {
        for (const Metric& m : subject.metrics) {
          if (m.kind == MetricKind::kInfo || m.samples.empty()) continue;
          auto [it, fresh] = where.emplace(std::pair{subject.name, m.name}, acc.size());
          if (fresh) acc.push_back(Acc{HistorySeries{subject.name, m.name, m.unit, m.kind, m.better, {}, {}, {}}, {}});
          acc[it->second].per_commit[c].push_back(Median(m.samples));
        }
      }
    }
  }
  std::set<std::string> machines(h.machines.begin(), h.machines.end());
  machines.erase("");
  if (machines.size() > 1)
    h.notes.push_back("runs from " + std::to_string(machines.size()) +
                      " machines are mixed: a change point in a timing may be a change of machine");
  for (Acc& a : acc) {
    for (const auto& [c, values] : a.per_commit) {
      a.s.commit.push_back(c);
      a.s.values.push_back(Median(values));
    }
    a.s.change_points = EDivisive(a.s.values, options);
    h.series.push_back(std::move(a.s));
  }
  return h;
}

namespace {

std::string Short(const std::string& commit) { return commit.substr(0, 10); }

bool Worse(const HistorySeries& s, const ChangePoint& c) {
  return s.better == Better::kLower ? c.change_pct > 0 : c.change_pct < 0;
}

size_t ChangePointCount(const History& h) {
  size_t n = 0;
  for (const HistorySeries& s : h.series) n += s.change_points.size();
  return n;
}

// One chart: the values over commits, change points as vertical lines.
std::string Svg(const History& h, const HistorySeries& s) {
  const double w = 740, ht = 200, left = 95, right = 10, top = 10, bottom = 36;
  double lo = *std::min_element(s.values.begin(), s.values.end());
  double hi = *std::max_element(s.values.begin(), s.values.end());
  if (hi == lo) {
    hi += std::max(1.0, std::fabs(hi) * 0.05);
    lo -= std::max(1.0, std::fabs(lo) * 0.05);
  }
  const size_t n = h.commits.size();
  auto x = [&](size_t commit) { return left + (n > 1 ? (w - left - right) * commit / (n - 1.0) : (w - left - right) / 2); };
  auto y = [&](double v) { return top + (ht - top - bottom) * (1 - (v - lo) / (hi - lo)); };
  std::string out = "<svg viewBox=\"0 0 " + Fmt("%.0f", w) + " " + Fmt("%.0f", ht) + "\" width=\"" + Fmt("%.0f", w) +
                    "\" height=\"" + Fmt("%.0f", ht) + "\" role=\"img\">\n";
  out += "<rect x=\"" + Fmt("%.0f", left) + "\" y=\"" + Fmt("%.0f", top) + "\" width=\"" + Fmt("%.0f", w - left - right) +
         "\" height=\"" + Fmt("%.0f", ht - top - bottom) + "\" fill=\"none\" stroke=\"#ccc\"/>\n";
  for (double v : {lo, (lo + hi) / 2, hi})
    out += "<text x=\"" + Fmt("%.0f", left - 4) + "\" y=\"" + Fmt("%.1f", y(v) + 4) + "\" text-anchor=\"end\">" +
           HtmlEscape(FormatValue(v, s.unit)) + "</text>\n";
  const size_t step = std::max<size_t>(1, n / 12);
  for (size_t c = 0; c < n; c += step)
    out += "<text x=\"" + Fmt("%.1f", x(c)) + "\" y=\"" + Fmt("%.0f", ht - bottom + 14) +
           "\" text-anchor=\"middle\" class=\"c\">" + HtmlEscape(Short(h.commits[c]).substr(0, 7)) + "</text>\n";
  for (const ChangePoint& c : s.change_points) {
    const double cx = (x(s.commit[c.index - 1]) + x(s.commit[c.index])) / 2;
    const char* colour = Worse(s, c) ? "#c0392b" : "#1e8449";
    out += "<line x1=\"" + Fmt("%.1f", cx) + "\" x2=\"" + Fmt("%.1f", cx) + "\" y1=\"" + Fmt("%.0f", top) + "\" y2=\"" +
           Fmt("%.0f", ht - bottom) + "\" stroke=\"" + colour + "\" stroke-dasharray=\"4 3\"/>\n";
    out += "<text x=\"" + Fmt("%.1f", cx + 3) + "\" y=\"" + Fmt("%.0f", top + 12) + "\" fill=\"" + colour + "\">" +
           Fmt("%+.1f%%", c.change_pct) + "</text>\n";
  }
  std::string points;
  for (size_t i = 0; i < s.values.size(); ++i)
    points += Fmt("%.1f", x(s.commit[i])) + "," + Fmt("%.1f", y(s.values[i])) + " ";
  out += "<polyline fill=\"none\" stroke=\"#2e86c1\" stroke-width=\"1.5\" points=\"" + points + "\"/>\n";
  for (size_t i = 0; i < s.values.size(); ++i)
    out += "<circle cx=\"" + Fmt("%.1f", x(s.commit[i])) + "\" cy=\"" + Fmt("%.1f", y(s.values[i])) +
           "\" r=\"2.5\" fill=\"#2e86c1\"><title>" + HtmlEscape(h.commits[s.commit[i]] + " " + h.dates[s.commit[i]] + ": " +
                                                               FormatValue(s.values[i], s.unit)) +
           "</title></circle>\n";
  return out + "</svg>\n";
}

std::string Method(const ChangePointOptions& o) {
  return "E-divisive means (Matteson & James 2014), permutation test at " + Fmt("%g", o.alpha) + " with " +
         std::to_string(o.permutations) + " shuffles, at least " + std::to_string(std::max<size_t>(o.min_size, 2)) +
         " commits per segment";
}

}  // namespace

std::string HistoryMarkdown(const History& h) {
  std::string out = "### strata history: " + std::to_string(h.commits.size()) + " commits, " +
                    std::to_string(h.series.size()) + " figures, " + std::to_string(ChangePointCount(h)) +
                    " change points\n\n";
  if (!h.commits.empty())
    out += "From `" + Short(h.commits.front()) + "` (" + h.dates.front() + ") to `" + Short(h.commits.back()) + "` (" +
           h.dates.back() + ").\n\n";
  out += "| subject | figure | commit | before | after | change | p |\n| --- | --- | --- | ---: | ---: | ---: | ---: |\n";
  for (const HistorySeries& s : h.series)
    for (const ChangePoint& c : s.change_points) {
      const std::string change = Fmt("%+.1f%%", c.change_pct);
      out += "| " + s.subject + " | " + s.metric + " | `" + Short(h.commits[s.commit[c.index]]) + "` | " +
             FormatValue(c.mean_before, s.unit) + " | " + FormatValue(c.mean_after, s.unit) + " | " +
             (Worse(s, c) ? "**" + change + " worse**" : change + " better") + " | " + Fmt("%.3f", c.p) + " |\n";
    }
  if (ChangePointCount(h) == 0) out += "| | no change point | | | | | |\n";
  for (const std::string& n : h.notes) out += "\n- " + n;
  return out + "\n";
}

std::string HistoryHtml(const History& h, const ChangePointOptions& o) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>strata history</title>\n"
      "<style>body{font:14px sans-serif;margin:2em;max-width:60em}svg text{font:11px sans-serif}"
      "svg text.c{font:10px monospace}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px}"
      "h3{margin-bottom:0.2em}</style>\n</head>\n<body>\n<h1>strata history</h1>\n";
  out += "<p>" + std::to_string(h.commits.size()) + " commits, " + std::to_string(h.series.size()) + " figures, " +
         std::to_string(ChangePointCount(h)) + " change points by " + HtmlEscape(Method(o)) +
         ". A commit's value is the median of its runs. Dashed lines: change points (red worse, green better).</p>\n";
  for (const std::string& n : h.notes) out += "<p><b>Note:</b> " + HtmlEscape(n) + "</p>\n";
  out += "<table><tr><th>#</th><th>commit</th><th>date</th><th>machine</th></tr>\n";
  for (size_t i = 0; i < h.commits.size(); ++i)
    out += "<tr><td>" + std::to_string(i) + "</td><td><code>" + HtmlEscape(h.commits[i]) + "</code></td><td>" +
           HtmlEscape(h.dates[i]) + "</td><td>" + HtmlEscape(h.machines[i]) + "</td></tr>\n";
  out += "</table>\n";
  // Figures with a change point first (in their order), then the others.
  std::vector<const HistorySeries*> order;
  for (int pass = 0; pass < 2; ++pass)
    for (const HistorySeries& s : h.series)
      if (s.change_points.empty() == (pass == 1)) order.push_back(&s);
  for (const HistorySeries* sp : order) {
    const HistorySeries& s = *sp;
    out += "<h3>" + HtmlEscape(s.subject + " " + s.metric) + "</h3>\n<p>";
    if (s.change_points.empty()) out += "no change point";
    for (const ChangePoint& c : s.change_points)
      out += "change at <code>" + HtmlEscape(Short(h.commits[s.commit[c.index]])) + "</code>: " +
             HtmlEscape(FormatValue(c.mean_before, s.unit) + " to " + FormatValue(c.mean_after, s.unit) + " (" +
                        Fmt("%+.1f%%", c.change_pct) + ", p " + Fmt("%.3f", c.p) + "); ");
    out += "</p>\n" + Svg(h, s);
  }
  return out + "</body>\n</html>\n";
}


Result<HistoryFiles> WriteHistoryReport(const std::string& dir, const std::string& out_dir,
                                        const ChangePointOptions& options) {
  STRATA_ASSIGN_OR_RETURN(std::vector<HistoryEntry> entries, LoadHistory(dir));
  const History h = BuildHistory(entries, options);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::IOError("creating " + out_dir + ": " + ec.message());
  HistoryFiles files;
  files.html_path = (fs::path(out_dir) / "history.html").string();
  files.markdown_path = (fs::path(out_dir) / "history.md").string();
  STRATA_RETURN_IF_ERROR(WriteFileAtomically(files.html_path, HistoryHtml(h, options)));
  STRATA_RETURN_IF_ERROR(WriteFileAtomically(files.markdown_path, HistoryMarkdown(h)));
  files.commits = h.commits.size();
  files.series = h.series.size();
  files.change_points = ChangePointCount(h);
  return files;
}

}  // namespace strata::reports
