// The experiment report's model: what each chart draws, from the cells
// (see experiment_report.h). The page (experiment_page.cc) only draws it.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <tuple>
#include <cmath>
#include <map>
#include <set>

#include "reports/experiment_report.h"

namespace strata::reports {

namespace {

using harness::CellResult;
using harness::Job;
using harness::Summary;

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Nearest-rank percentile of unsorted values (p in 0..100).
double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// The parameters with more than one value among the cells.
std::set<std::string> Varying(const std::vector<CellResult>& cells) {
  std::map<std::string, std::set<std::string>> values;
  for (const CellResult& c : cells)
    for (const auto& [k, v] : c.key.parameters) values[k].insert(v);
  std::set<std::string> out;
  for (const auto& [k, vs] : values)
    if (vs.size() > 1) out.insert(k);
  return out;
}

// "adaptive level_ratio=4", without `leave_out`.
std::string Label(const harness::CellKey& k, const std::set<std::string>& varying, const std::string& leave_out = "") {
  std::string label = k.strategy;
  for (const auto& [p, v] : k.parameters)
    if (varying.count(p) && p != leave_out) label += " " + p + "=" + v;
  return label;
}

std::string Format(double v) {
  char buf[32];
  if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-2)) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

double SpaceAmp(const Summary& s) {
  return s.storage_live_bytes > 0 ? static_cast<double>(s.storage_bytes) / static_cast<double>(s.storage_live_bytes) : 0;
}

// The cells of one workload at its largest scale, by configuration label
// (ordered by label), their repetitions in run order.
using Groups = std::map<std::string, std::vector<const CellResult*>>;

Json Missing(const std::string& id, const std::string& title, const std::string& why) {
  return Json{{"id", id}, {"title", title}, {"missing", why}};
}

// Job CPU against database size; `per_datom`: per novelty datom (µs), the
// flatness measure, else per job (ms).
Json JobCostChart(const std::string& w, const Groups& g, bool per_datom) {
  Json c{{"id", std::string(per_datom ? "job-cost-per-datom-" : "job-cost-") + w},
         {"title", w + (per_datom ? ": job CPU per novelty datom" : ": job cost") +
                       " against database size (median over repetitions, band: min – max)"},
         {"kind", "band"}, {"x_label", "datoms in the durable index after the job"},
         {"y_label", per_datom ? "job CPU µs per novelty datom" : "job CPU ms"},
         {"x_log", true}, {"y_log", true}, {"series", Json::array()}};
  const auto cost = [per_datom](const Job& j) {
    return per_datom ? (j.novelty_datoms > 0 ? j.cpu_ms * 1000 / static_cast<double>(j.novelty_datoms) : 0) : j.cpu_ms;
  };
  for (const auto& [label, reps] : g) {
    size_t jobs = 0;
    for (const CellResult* r : reps) jobs = std::max(jobs, r->results.jobs.size());
    Json points = Json::array();
    for (size_t i = 0; i < jobs; ++i) {
      std::vector<double> ys, xs;
      for (const CellResult* r : reps)
        if (i < r->results.jobs.size() && cost(r->results.jobs[i]) > 0 && r->results.jobs[i].db_datoms > 0) {
          ys.push_back(cost(r->results.jobs[i]));
          xs.push_back(static_cast<double>(r->results.jobs[i].db_datoms));
        }
      if (ys.empty()) continue;
      points.push_back({Median(xs), Median(ys), *std::min_element(ys.begin(), ys.end()),
                        *std::max_element(ys.begin(), ys.end())});
    }
    if (!points.empty()) c["series"].push_back({{"label", label}, {"points", points}});
  }
  if (c["series"].empty()) return Missing(c["id"], c["title"], "no job with a database size and CPU time");
  return c;
}

Json TailChart(const std::string& w, const Groups& g) {
  Json c{{"id", "job-tail-" + w}, {"title", w + ": job wall time tail (all repetitions' jobs)"}, {"kind", "bar"},
         {"x_label", "configuration"}, {"y_label", "job wall ms"}, {"y_log", true}, {"labels", Json::array()},
         {"series", Json::array()}};
  Json p50 = Json::array(), p99 = Json::array(), max = Json::array();
  for (const auto& [label, reps] : g) {
    std::vector<double> v;
    for (const CellResult* r : reps)
      for (const Job& j : r->results.jobs) v.push_back(j.wall_ms);
    if (v.empty()) continue;
    c["labels"].push_back(label);
    p50.push_back(Percentile(v, 50));
    p99.push_back(Percentile(v, 99));
    max.push_back(Percentile(v, 100));
  }
  if (c["labels"].empty()) return Missing(c["id"], c["title"], "no jobs");
  c["series"] = Json::array({Json{{"label", "p50"}, {"values", p50}}, Json{{"label", "p99"}, {"values", p99}},
                             Json{{"label", "max"}, {"values", max}}});
  return c;
}

Json RumChart(const std::string& w, const Groups& g) {
  Json c{{"id", "rum-" + w},
         {"title", w + ": RUM — write amplification × segments per point read × space amplification"},
         {"kind", "bubble"}, {"x_label", "write amplification (index bytes written / novelty bytes)"},
         {"y_label", "segments read per point read (cold)"},
         {"note", "One point per configuration (mean over repetitions); bubble area grows with space amplification "
                  "(bytes at rest / live bytes, in the label). Outlined in black and joined by the dashed line: the "
                  "Pareto front, where no other configuration is at least as good in all three."},
         {"series", Json::array()}};
  std::vector<std::vector<double>> pts;
  std::vector<std::string> labels;
  for (const auto& [label, reps] : g) {
    std::vector<double> wa, seg, space;
    for (const CellResult* r : reps) {
      const Summary& s = r->results.summary;
      if (!harness::Recorded(s, &Summary::read_segments_per_point_read) || SpaceAmp(s) <= 0) continue;
      wa.push_back(s.write_amplification);
      seg.push_back(s.read_segments_per_point_read);
      space.push_back(SpaceAmp(s));
    }
    if (wa.empty()) continue;
    pts.push_back({Mean(wa), Mean(seg), Mean(space)});
    labels.push_back(label);
  }
  if (pts.empty())
    return Missing(c["id"], c["title"], "not recorded: the results files have no read_segments_per_point_read or "
                                        "storage_live_bytes (docs/results-format.md)");
  const std::vector<bool> front = ParetoFront(pts);
  Json frontier = Json::array();
  for (size_t i = 0; i < pts.size(); ++i) {
    c["series"].push_back({{"label", labels[i] + " (space ×" + Format(pts[i][2]) + ")"},
                           {"points", Json::array({Json::array({pts[i][0], pts[i][1], pts[i][2]})})},
                           {"pareto", static_cast<bool>(front[i])}});
    if (front[i]) frontier.push_back({pts[i][0], pts[i][1]});
  }
  std::sort(frontier.begin(), frontier.end());
  c["front"] = frontier;
  return c;
}

Json TimelineChart(const std::string& w, const Groups& g) {
  Json c{{"id", "job-timeline-" + w}, {"title", w + ": indexing jobs over time (start to end, at their bytes written)"},
         {"kind", "segments"}, {"x_label", "ms since the workload started"}, {"y_label", "bytes written by the job"},
         {"y_log", true}, {"series", Json::array()},
         {"note", "Repetition 1. A job's end is the first timeline sample that counts it (100 ms steps); its start is "
                  "the end less its wall time."}};
  for (const auto& [label, reps] : g) {
    const CellResult* r = reps.front();
    Json segs = Json::array();
    const auto obs = harness::Observe(r->results);
    std::map<int64_t, std::array<double, 3>> jobs;  // start, end, bytes
    for (const harness::Observation& o : obs) {
      if (o.kind != "job") continue;
      auto& j = jobs.try_emplace(o.job, std::array<double, 3>{-1, -1, -1}).first->second;
      if (o.name == "start_ms") j[0] = o.value;
      else if (o.name == "end_ms") j[1] = o.value;
      else if (o.name == "bytes_written") j[2] = o.value;
    }
    for (const auto& [n, j] : jobs)
      if (j[0] >= 0 && j[1] >= 0 && j[2] > 0) segs.push_back({j[0], j[1], j[2]});
    if (!segs.empty()) c["series"].push_back({{"label", label}, {"segments", segs}});
  }
  if (c["series"].empty()) return Missing(c["id"], c["title"], "no job with a time (the results have no timeline)");
  return c;
}

// Bytes at rest over time, live and garbage, per configuration
// (repetition 1), from the timeline's storage samples.
Json SpaceChart(const std::string& w, const Groups& g) {
  Json c{{"id", "space-" + w}, {"title", w + ": bytes at rest over time — live (solid) and garbage (dashed)"},
         {"kind", "line"}, {"x_label", "ms since the workload started"}, {"y_label", "bytes"},
         {"series", Json::array()},
         {"note", "Repetition 1. Live: leaf bytes the current root names; garbage: the rest of the bytes at rest "
                  "(superseded segments not yet collected, deleted records inside pack files). Sampled once a second."}};
  for (const auto& [label, reps] : g) {
    const auto& t = reps.front()->results.timeline;
    if (!t || t->storage_live_bytes.size() != t->t_ms.size() || t->storage_garbage_bytes.size() != t->t_ms.size()) continue;
    Json live = Json::array(), garbage = Json::array();
    for (size_t i = 0; i < t->t_ms.size(); ++i) {
      if (t->storage_live_bytes[i] >= 0) live.push_back({t->t_ms[i], t->storage_live_bytes[i]});
      if (t->storage_garbage_bytes[i] >= 0) garbage.push_back({t->t_ms[i], t->storage_garbage_bytes[i]});
    }
    if (live.empty()) continue;
    c["series"].push_back({{"label", label + " live"}, {"group", label}, {"points", live}});
    c["series"].push_back({{"label", label + " garbage"}, {"group", label}, {"dash", true}, {"points", garbage}});
  }
  if (c["series"].empty())
    return Missing(c["id"], c["title"], "not recorded: the timelines have no storage_live_bytes (docs/results-format.md)");
  return c;
}

// Lines of `figure` against each numeric swept parameter.
void SweepCharts(const std::string& w, const std::vector<const CellResult*>& cells, const std::set<std::string>& varying,
                 Json* charts) {
  for (const std::string& p : varying) {
    for (const auto& [figure, title] : std::vector<std::pair<std::string, std::string>>{
             {"write_amplification", "write amplification"}, {"read_segments_per_point_read", "segments read per point read"}}) {
      std::map<std::string, std::map<double, std::vector<double>>> lines;  // label -> x -> values
      for (const CellResult* c : cells) {
        auto it = c->key.parameters.find(p);
        if (it == c->key.parameters.end()) continue;
        char* end = nullptr;
        const double x = std::strtod(it->second.c_str(), &end);
        if (end == it->second.c_str() || *end != '\0') continue;  // not a number
        const Summary& s = c->results.summary;
        const double y = figure == "write_amplification" ? s.write_amplification : s.read_segments_per_point_read;
        lines[Label(c->key, varying, p)][x].push_back(y);
      }
      Json chart{{"id", "sweep-" + p + "-" + figure + "-" + w}, {"title", w + ": " + title + " against " + p},
                 {"kind", "line"}, {"x_label", p}, {"y_label", title}, {"series", Json::array()}};
      for (const auto& [label, xs] : lines) {
        if (xs.size() < 2) continue;
        Json points = Json::array();
        for (const auto& [x, ys] : xs) points.push_back({x, Mean(ys)});
        chart["series"].push_back({{"label", label}, {"points", points}});
      }
      if (!chart["series"].empty()) charts->push_back(chart);
    }
  }
}

}  // namespace

std::vector<bool> ParetoFront(const std::vector<std::vector<double>>& points) {
  std::vector<bool> out(points.size(), true);
  for (size_t i = 0; i < points.size(); ++i)
    for (size_t j = 0; j < points.size() && out[i]; ++j) {
      if (i == j) continue;
      bool all_le = true, one_lt = false;
      for (size_t d = 0; d < points[i].size(); ++d) {
        all_le = all_le && points[j][d] <= points[i][d];
        one_lt = one_lt || points[j][d] < points[i][d];
      }
      if (all_le && one_lt) out[i] = false;
    }
  return out;
}

Json ExperimentModel(const std::string& title, const std::vector<CellResult>& cells) {
  Json m{{"title", title}, {"context", Json::array()}, {"release", true}, {"build_type", ""},
         {"table", Json::object()}, {"charts", Json::array()}};
  if (!cells.empty()) {
    const harness::Context& x = cells.front().results.context;
    m["release"] = x.release;
    m["build_type"] = x.build_type;
    m["context"] = Json::array({Json::array({"cells", std::to_string(cells.size())}),
                                Json::array({"git commit", x.git_commit + (x.git_dirty ? " (dirty)" : "")}),
                                Json::array({"build", x.build_type + ", " + x.compiler}),
                                Json::array({"machine", x.hostname + ", " + std::to_string(x.cpus) + " CPUs, " + x.cpu_model}),
                                Json::array({"date", x.date}), Json::array({"command", x.command})});
  }
  const std::set<std::string> varying = Varying(cells);

  // The table: one row per workload, scale and configuration.
  Json& t = m["table"];
  t["columns"] = Json::array({"workload", "scale", "configuration", "repetitions", "import datoms/s (median)",
                              "write amp", "segments / point read", "bytes / point read", "segments / range scan",
                              "space amp", "live bytes", "garbage bytes", "jobs", "job wall p99 ms"});
  t["rows"] = Json::array();
  std::map<std::tuple<std::string, double, std::string>, std::vector<const CellResult*>> rows;
  for (const CellResult& c : cells) rows[{c.key.workload, c.key.scale, Label(c.key, varying)}].push_back(&c);
  for (const auto& [k, reps] : rows) {
    std::vector<double> rate, wa, seg, bytes, scan, space, live, garbage, jobs, wall;
    for (const CellResult* r : reps) {
      const Summary& s = r->results.summary;
      rate.push_back(s.import_datoms_per_s);
      wa.push_back(s.write_amplification);
      seg.push_back(s.read_segments_per_point_read);
      bytes.push_back(s.read_bytes_per_point_read);
      scan.push_back(s.read_segments_per_range_scan);
      space.push_back(SpaceAmp(s));
      live.push_back(static_cast<double>(s.storage_live_bytes));
      garbage.push_back(static_cast<double>(s.storage_garbage_bytes));
      jobs.push_back(static_cast<double>(s.jobs));
      for (const Job& j : r->results.jobs) wall.push_back(j.wall_ms);
    }
    t["rows"].push_back({std::get<0>(k), Format(std::get<1>(k)), std::get<2>(k), std::to_string(reps.size()),
                         Format(Median(rate)), Format(Mean(wa)), Format(Mean(seg)), Format(Mean(bytes)), Format(Mean(scan)),
                         Format(Mean(space)), Format(Mean(live)), Format(Mean(garbage)), Format(Mean(jobs)),
                         Format(Percentile(wall, 99))});
  }

  // The charts, per workload at its largest scale.
  std::map<std::string, double> largest;
  for (const CellResult& c : cells) largest[c.key.workload] = std::max(largest[c.key.workload], c.key.scale);
  if (cells.empty()) m["charts"].push_back(Missing("none", "No finished cells", "no cell of the experiment has finished"));
  for (const auto& [w, scale] : largest) {
    Groups g;
    std::vector<const CellResult*> at_scale;
    for (const CellResult& c : cells)
      if (c.key.workload == w && c.key.scale == scale) {
        g[Label(c.key, varying)].push_back(&c);
        at_scale.push_back(&c);
      }
    const std::string name = w + " (scale " + Format(scale) + ")";
    Json& charts = m["charts"];
    charts.push_back(JobCostChart(name, g, false));
    charts.push_back(JobCostChart(name, g, true));
    charts.push_back(TailChart(name, g));
    charts.push_back(RumChart(name, g));
    charts.push_back(TimelineChart(name, g));
    charts.push_back(SpaceChart(name, g));
    SweepCharts(name, at_scale, varying, &charts);
  }
  // Ids are element ids: letters, digits, dashes and underscores.
  for (Json& c : m["charts"]) {
    std::string id = c["id"];
    for (char& ch : id)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '-';
    c["id"] = id;
  }
  return m;
}

}  // namespace strata::reports
