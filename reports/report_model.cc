// What the report shows, from the results files (see report.h): the
// context, the summary table and each chart's series.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "reports/compare.h"
#include "harness/histogram.h"
#include "reports/report.h"
#include "reports/stats.h"

namespace strata::reports {

namespace {

using harness::Histogram;

const Json& Get(const Json& j, const char* key) {
  static const Json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}
double Num(const Json& j, const char* key) {
  const Json& v = Get(j, key);
  return v.is_number() ? v.get<double>() : 0;
}
std::string Str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}
std::string Strategy(const RunFile& f) { return Str(Get(f.json, "strategy")); }

// "sync=never ... strategy=adaptive ..." without the strategy, which
// differs between the files of one run by design.
std::string WithoutStrategy(const std::string& options) {
  std::string out;
  size_t start = 0;
  while (start < options.size()) {
    size_t end = options.find(' ', start);
    if (end == std::string::npos) end = options.size();
    const std::string tok = options.substr(start, end - start);
    if (!tok.empty() && tok.rfind("strategy=", 0) != 0) out += (out.empty() ? "" : " ") + tok;
    start = end + 1;
  }
  return out;
}

// A context row: one value, or every distinct value when the files differ.
void ContextRow(const std::vector<RunFile>& files, const std::string& label,
                const std::function<std::string(const RunFile&)>& get, Json* rows, Json* warnings) {
  std::vector<std::string> values;
  for (const RunFile& f : files) {
    const std::string v = get(f);
    if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
  }
  std::string text;
  for (const std::string& v : values) text += (text.empty() ? "" : " | ") + (v.empty() ? "?" : v);
  rows->push_back(Json::array({label, text}));
  if (values.size() > 1) warnings->push_back("the results files differ in " + label + ": " + text);
}

std::string Range(const std::vector<double>& v, const std::string& unit) {
  if (v.size() < 2) return FormatValue(v.empty() ? 0 : v[0], unit);
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  if (*lo == *hi) return FormatValue(*lo, unit);
  return FormatValue(Median(v), unit) + " (" + FormatValue(*lo, unit) + "–" + FormatValue(*hi, unit) + ")";
}

// Samples of a summary field: every repetition when recorded, else the summary's.
std::vector<double> Samples(const RunFile& f, const char* key) {
  std::vector<double> v;
  const Json& reps = Get(f.json, "repetitions");
  if (reps.is_array())
    for (const Json& r : reps)
      if (Get(r, key).is_number()) v.push_back(Num(r, key));
  if (v.empty()) v.push_back(Num(Get(f.json, "summary"), key));
  return v;
}

// p99 of every read name together, per repetition when each records its
// reads with histograms, else from the file's "reads" (median repetition).
// Empty when no read was timed or the histograms are missing.
std::vector<double> AllReadsP99(const RunFile& f) {
  auto p99 = [](const Json& reads, double* out) {
    Histogram all;
    if (!reads.is_object()) return false;
    for (const auto& [name, lat] : reads.items()) {
      auto h = Histogram::FromJson(Get(lat, "histogram"));
      if (!h.ok()) return false;
      all.Merge(*h);
    }
    if (all.count() == 0) return false;
    *out = static_cast<double>(all.ValueAtPercentile(99)) / 1e3;
    return true;
  };
  std::vector<double> v;
  double x = 0;
  const Json& reps = Get(f.json, "repetitions");
  if (reps.is_array())
    for (const Json& r : reps)
      if (p99(Get(r, "reads"), &x)) v.push_back(x);
  if (v.empty() && p99(Get(f.json, "reads"), &x)) v.push_back(x);
  return v;
}

// A latency statistic of "tx_latency", per repetition when recorded.
std::vector<double> TxLatency(const RunFile& f, const char* stat) {
  std::vector<double> v;
  const Json& reps = Get(f.json, "repetitions");
  if (reps.is_array())
    for (const Json& r : reps)
      if (Get(Get(r, "tx_latency"), stat).is_number()) v.push_back(Num(Get(r, "tx_latency"), stat));
  if (v.empty() && Get(Get(f.json, "tx_latency"), stat).is_number()) v.push_back(Num(Get(f.json, "tx_latency"), stat));
  return v;
}

std::string RangeOrDash(const std::vector<double>& v, const std::string& unit) {
  return v.empty() ? "-" : Range(v, unit);
}

Json Summary(const std::vector<RunFile>& files) {
  Json columns = Json::array({"strategy", "reps", "transactions", "datoms", "jobs", "import datoms/s",
                              "import + index datoms/s", "index written", "segments written", "datoms rewritten",
                              "write amp", "max read sources", "tx p99", "read p99", "backpressure wait",
                              "peak RSS", "storage at rest"});
  Json rows = Json::array();
  for (const RunFile& f : files) {
    const Json& s = Get(f.json, "summary");
    const Json& reps = Get(f.json, "repetitions");
    const size_t n = reps.is_array() && !reps.empty() ? reps.size() : 1;
    std::string name = Strategy(f);
    if (Get(s, "interrupted").is_boolean() && Get(s, "interrupted").get<bool>()) name += " (interrupted)";
    rows.push_back(Json::array({name, std::to_string(n), FormatValue(Num(s, "transactions"), ""),
                                FormatValue(Num(s, "datoms"), ""), FormatValue(Num(s, "jobs"), ""),
                                Range(Samples(f, "import_datoms_per_s"), ""),
                                Range(Samples(f, "indexed_datoms_per_s"), ""),
                                FormatValue(Num(s, "index_bytes_written"), "bytes"),
                                FormatValue(Num(s, "index_segments_written"), ""),
                                FormatValue(Num(s, "datoms_rewritten"), ""),
                                FormatValue(Num(s, "write_amplification"), "x"),
                                FormatValue(Num(s, "max_read_sources"), ""),
                                RangeOrDash(TxLatency(f, "p99_us"), "us"), RangeOrDash(AllReadsP99(f), "us"),
                                Range(Samples(f, "backpressure_wait_ms"), "ms"),
                                Range(Samples(f, "peak_rss_bytes"), "bytes"),
                                FormatValue(Num(s, "storage_bytes"), "bytes")}));
  }
  return Json{{"columns", std::move(columns)}, {"rows", std::move(rows)}};
}

Json Missing(const std::string& id, const std::string& title, const std::string& why) {
  return Json{{"id", id}, {"title", title}, {"missing", why}};
}

Json LineChart(const std::string& id, const std::string& title, const std::string& x_label,
               const std::string& y_label) {
  return Json{{"id", id},           {"title", title},     {"type", "line"},       {"x_label", x_label},
              {"y_label", y_label}, {"x_log", false},     {"y_log", false},       {"series", Json::array()}};
}

// Per job: x = datoms in the durable index after it, y = field.
Json JobChart(const std::vector<RunFile>& files, const std::string& id, const std::string& title, const char* field,
              const std::string& y_label) {
  Json c = LineChart(id, title, "database size (datoms in the durable index after the job)", y_label);
  bool any = false, has_field = false;
  for (const RunFile& f : files) {
    Json points = Json::array();
    const Json& jobs = Get(f.json, "jobs");
    if (jobs.is_array())
      for (const Json& j : jobs) {
        has_field = has_field || j.contains(field);
        points.push_back(Json::array({Num(j, "db_datoms"), Num(j, field)}));
      }
    any = any || !points.empty();
    c["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(points)}});
  }
  if (!any) return Missing(id, title, "not recorded: the results files list no indexing jobs");
  if (!has_field) return Missing(id, title, std::string("not recorded: these results files' jobs have no ") + field);
  return c;
}

Json WriteAmpChart(const std::vector<RunFile>& files) {
  const std::string title = "Cumulative write amplification (index bytes written / novelty bytes)";
  Json c = LineChart("write-amp", title, "database size (datoms in the durable index after the job)",
                     "cumulative write amplification");
  bool any = false;
  for (const RunFile& f : files) {
    Json points = Json::array();
    double written = 0, novelty = 0;
    const Json& jobs = Get(f.json, "jobs");
    if (jobs.is_array())
      for (const Json& j : jobs) {
        written += Num(j, "bytes_written");
        novelty += Num(j, "novelty_bytes");
        if (novelty > 0) points.push_back(Json::array({Num(j, "db_datoms"), written / novelty}));
      }
    any = any || !points.empty();
    c["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(points)}});
  }
  if (!any) return Missing("write-amp", title, "not recorded: the results files list no indexing jobs");
  return c;
}

bool HasTimeline(const RunFile& f) {
  const Json& t = Get(f.json, "timeline");
  return Get(t, "t_ms").is_array() && !Get(t, "t_ms").empty();
}

// Where the cumulative "jobs" column of a timeline goes up: a job finished.
Json JobMarks(const Json& timeline) {
  Json marks = Json::array();
  const Json& t = Get(timeline, "t_ms");
  const Json& jobs = Get(timeline, "jobs");
  if (!jobs.is_array() || jobs.size() != t.size()) return marks;
  for (size_t i = 1; i < t.size(); ++i)
    if (jobs[i].is_number() && jobs[i - 1].is_number() && jobs[i].get<double>() > jobs[i - 1].get<double>())
      marks.push_back(t[i].get<double>() / 1000);
  return marks;
}

Json Column(const Json& timeline, const char* key, double scale_x = 1000) {
  Json points = Json::array();
  const Json& t = Get(timeline, "t_ms");
  const Json& v = Get(timeline, key);
  if (!v.is_array() || v.size() != t.size()) return points;
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].is_number() && v[i].is_number()) points.push_back(Json::array({t[i].get<double>() / scale_x, v[i]}));
  return points;
}

const char* kTimelineWhy =
    "not recorded: the results files have no \"timeline\" (samples over the run; see docs/harness.md)";

void TxLatencyCharts(const std::vector<RunFile>& files, Json* charts) {
  bool any = false;
  for (const RunFile& f : files) {
    if (!HasTimeline(f)) continue;
    const Json& t = Get(f.json, "timeline");
    Json c = LineChart("tx-latency-" + Strategy(f), "Transaction latency over time: " + Strategy(f),
                       "time since the workload started (s)", "commit latency (µs)");
    c["y_log"] = true;
    for (const auto& [key, label] : {std::pair{"tx_p50_us", "p50"}, {"tx_p99_us", "p99"}, {"tx_max_us", "max"}}) {
      Json pts = Column(t, key);
      if (!pts.empty()) c["series"].push_back(Json{{"label", label}, {"points", std::move(pts)}});
    }
    if (c["series"].empty()) continue;
    c["marks"] = JobMarks(t);
    c["marks_label"] = "indexing job done";
    charts->push_back(std::move(c));
    any = true;
  }
  if (!any) charts->push_back(Missing("tx-latency", "Transaction latency over time, indexing jobs marked", kTimelineWhy));
}

Json ThroughputChart(const std::vector<RunFile>& files) {
  const std::string title = "Throughput over time (datoms committed per second)";
  Json c = LineChart("throughput", title, "time since the workload started (s)", "datoms per second");
  for (const RunFile& f : files) {
    if (!HasTimeline(f)) continue;
    const Json& t = Get(f.json, "timeline");
    const Json& ts = Get(t, "t_ms");
    const Json& d = Get(t, "datoms");
    if (!d.is_array() || d.size() != ts.size()) continue;
    Json pts = Json::array();
    for (size_t i = 1; i < ts.size(); ++i) {
      const double dt = (ts[i].get<double>() - ts[i - 1].get<double>()) / 1000;
      if (dt > 0) pts.push_back(Json::array({ts[i].get<double>() / 1000, (d[i].get<double>() - d[i - 1].get<double>()) / dt}));
    }
    c["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(pts)}});
  }
  if (c["series"].empty()) return Missing("throughput", title, kTimelineWhy);
  return c;
}

Json MemoryChart(const std::vector<RunFile>& files) {
  const std::string title = "Memory-index size over time";
  Json c = LineChart("memory-index", title, "time since the workload started (s)", "memory index (bytes)");
  for (const RunFile& f : files) {
    if (!HasTimeline(f)) continue;
    Json pts = Column(Get(f.json, "timeline"), "memory_index_bytes");
    if (!pts.empty()) c["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(pts)}});
  }
  if (!c["series"].empty()) return c;
  // Without samples over time, the peaks of the sawtooth are still known:
  // the novelty each job sealed, at the t it indexed up to.
  Json fallback = LineChart("memory-index", "Memory index sealed per indexing job (its peaks)",
                            "transaction (basis t of the job)", "novelty sealed (bytes)");
  for (const RunFile& f : files) {
    Json pts = Json::array();
    const Json& jobs = Get(f.json, "jobs");
    if (jobs.is_array())
      for (const Json& j : jobs) pts.push_back(Json::array({Num(j, "basis_t"), Num(j, "novelty_bytes")}));
    if (!pts.empty()) fallback["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(pts)}});
  }
  if (fallback["series"].empty()) return Missing("memory-index", title, kTimelineWhy);
  fallback["note"] = std::string("Memory-index size over time is ") + kTimelineWhy +
                     ". Shown instead: the novelty each indexing job sealed, the peaks of that curve.";
  return fallback;
}

Json ReadsChart(const std::vector<RunFile>& files) {
  const std::string title = "Read latency percentiles per query and strategy";
  std::vector<std::string> names;
  for (const RunFile& f : files) {
    const Json& reads = Get(f.json, "reads");
    if (!reads.is_object()) continue;
    for (const auto& [name, lat] : reads.items())
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  if (names.empty()) return Missing("reads", title, "not recorded: no reads ran (strata run --read-ratio R times them)");
  std::sort(names.begin(), names.end());
  Json c{{"id", "reads"},
         {"title", title},
         {"type", "bar"},
         {"x_label", "query"},
         {"y_label", "latency (µs, log scale)"},
         {"y_log", true},
         {"labels", names},
         {"series", Json::array()}};
  for (const RunFile& f : files) {
    const Json& reads = Get(f.json, "reads");
    for (const char* stat : {"p50_us", "p99_us"}) {
      Json values = Json::array();
      for (const std::string& n : names) {
        const Json& lat = Get(reads, n.c_str());
        if (Get(lat, stat).is_number()) values.push_back(Num(lat, stat));
        else values.push_back(nullptr);
      }
      c["series"].push_back(Json{{"label", Strategy(f) + " " + std::string(stat, 3)},
                                 {"group", Strategy(f)},
                                 {"values", std::move(values)}});
    }
  }
  return c;
}

}  // namespace

Json ReportModel(const std::vector<RunFile>& files) {
  Json rows = Json::array(), warnings = Json::array();
  auto ctx = [](const RunFile& f, const char* key) { return Str(Get(Get(f.json, "context"), key)); };
  ContextRow(files, "workload", [](const RunFile& f) { return Str(Get(f.json, "workload")); }, &rows, &warnings);
  ContextRow(files, "scale", [](const RunFile& f) { return Str(Get(f.json, "scale")); }, &rows, &warnings);
  ContextRow(files, "seed", [](const RunFile& f) { return Str(Get(f.json, "seed")); }, &rows, &warnings);
  ContextRow(files, "workload options", [&](const RunFile& f) { return ctx(f, "workload_options"); }, &rows, &warnings);
  ContextRow(files, "commit", [&](const RunFile& f) {
    std::string c = ctx(f, "git_commit");
    if (c.empty()) return std::string("not in a git checkout");
    if (Get(Get(f.json, "context"), "git_dirty") == true) c += " (with uncommitted changes)";
    return c;
  }, &rows, &warnings);
  ContextRow(files, "build", [&](const RunFile& f) {
    const Json& c = Get(f.json, "context");
    std::string b = ctx(f, "build_type");
    if (Get(c, "assertions") == true) b += ", assertions on";
    if (!ctx(f, "sanitizers").empty()) b += ", sanitizer " + ctx(f, "sanitizers");
    return b + " — " + ctx(f, "compiler");
  }, &rows, &warnings);
  ContextRow(files, "machine", [&](const RunFile& f) {
    return ctx(f, "hostname") + ": " + ctx(f, "cpu_model") + ", " + ctx(f, "cpus") + " CPUs, " + ctx(f, "kernel") +
           (ctx(f, "jemalloc").empty() ? ", no jemalloc statistics" : ", jemalloc " + ctx(f, "jemalloc").substr(0, 5));
  }, &rows, &warnings);
  // Shown, never warned about: it says how quiet the machine was.
  Json no_warnings = Json::array();
  ContextRow(files, "load average at start", [&](const RunFile& f) {
    const Json& l = Get(Get(f.json, "context"), "load_avg");
    if (!l.is_array() || l.size() != 3 || !l[0].is_number() || l[0].get<double>() < 0) return std::string("?");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f / %.1f / %.1f (1 / 5 / 15 min)", l[0].get<double>(), l[1].get<double>(),
                  l[2].get<double>());
    return std::string(buf);
  }, &rows, &no_warnings);
  ContextRow(files, "options", [&](const RunFile& f) { return WithoutStrategy(ctx(f, "options")); }, &rows, &warnings);
  ContextRow(files, "date", [&](const RunFile& f) { return ctx(f, "date"); }, &rows, &warnings);
  ContextRow(files, "command", [&](const RunFile& f) { return ctx(f, "command"); }, &rows, &warnings);

  bool release = true;
  std::string build;
  for (const RunFile& f : files) {
    const Json& c = Get(f.json, "context");
    if (Get(c, "release") != true) {
      release = false;
      build = ctx(f, "build_type");
    }
    if (Num(c, "planted_slow_read_us") > 0)
      warnings.push_back(Strategy(f) + ": STRATA_PLANT_SLOW_READ_US=" + Str(Get(c, "planted_slow_read_us")) +
                         " was set: every timed read was made slower on purpose (a test knob)");
    if (Get(Get(f.json, "summary"), "interrupted") == true)
      warnings.push_back(Strategy(f) + ": the run was interrupted; its figures cover part of the workload");
  }
  Json charts = Json::array();
  charts.push_back(JobChart(files, "job-bytes", "Indexing job cost: bytes written per job", "bytes_written",
                            "bytes written by the job"));
  charts.push_back(JobChart(files, "job-segments", "Indexing job cost: segments written per job", "segments_written",
                            "segments written by the job"));
  charts.push_back(JobChart(files, "job-wall", "Indexing job cost: wall time per job", "wall_ms", "wall time (ms)"));
  charts.push_back(JobChart(files, "job-round-trips", "Indexing job cost: storage round trips per job",
                            "storage_round_trips", "storage round trips (calls to the folder or the server)"));
  charts.push_back(WriteAmpChart(files));
  TxLatencyCharts(files, &charts);
  charts.push_back(ThroughputChart(files));
  charts.push_back(MemoryChart(files));
  charts.push_back(ReadsChart(files));
  std::vector<std::string> strategies;
  for (const RunFile& f : files) strategies.push_back(Strategy(f));
  return Json{{"release", release},
              {"build_type", build},
              {"strategies", strategies},
              {"context", std::move(rows)},
              {"warnings", std::move(warnings)},
              {"summary", Summary(files)},
              {"charts", std::move(charts)}};
}

std::string SummaryMarkdown(const std::vector<RunFile>& files) {
  const Json model = ReportModel(files);
  std::string out = "## strata run report\n\n";
  if (model["release"] != true)
    out += "> **WARNING: not a release build (" + Str(model["build_type"]) +
           "): timings are not representative.**\n\n";
  for (const Json& w : model["warnings"]) out += "> warning: " + Str(w) + "\n";
  if (!model["warnings"].empty()) out += "\n";
  for (const Json& row : model["context"]) {
    if (row[0] == "command" || row[0] == "date" || row[0] == "options") continue;
    out += "- " + Str(row[0]) + ": " + Str(row[1]) + "\n";
  }
  out += "\n|";
  const Json& sum = model["summary"];
  for (const Json& c : sum["columns"]) out += " " + Str(c) + " |";
  out += "\n|";
  for (size_t i = 0; i < sum["columns"].size(); ++i) out += i == 0 ? " --- |" : " ---: |";
  out += "\n";
  for (const Json& r : sum["rows"]) {
    out += "|";
    for (const Json& cell : r) out += " " + Str(cell) + " |";
    out += "\n";
  }
  out += "\nTimings are medians over the repetitions (min – max). Charts: report.html.\n";
  return out;
}

}  // namespace strata::reports
