// What the report shows, from the results files (see report.h): the
// context, the summary table and each chart's series.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "reports/compare.h"
#include "harness/histogram.h"
#include "reports/report.h"
#include "reports/stats.h"

namespace strata::reports {

namespace {

using harness::Figure;
using harness::Histogram;
using harness::Job;
using harness::Latency;
using harness::Member;
using harness::Recorded;
using harness::Repetition;
using harness::ResultsFile;
using harness::Summary;
using harness::Timeline;

std::string Str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

const std::string& Strategy(const RunFile& f) { return f.results.strategy; }

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
std::vector<double> Samples(const ResultsFile& f, Member<Summary> field) {
  std::vector<double> v;
  for (const Repetition& r : f.repetitions)
    if (auto x = Figure(r.summary, field)) v.push_back(*x);
  if (v.empty()) v.push_back(Figure(f.summary, field).value_or(0));
  return v;
}

// p99 of every read name together, per repetition when each records its
// reads with histograms, else from the file's "reads" (median repetition).
// Empty when no read was timed or the histograms are missing.
std::vector<double> AllReadsP99(const ResultsFile& f) {
  auto p99 = [](const std::map<std::string, Latency>& reads, double* out) {
    Histogram all;
    for (const auto& [name, lat] : reads) {
      if (!lat.histogram) return false;
      all.Merge(*lat.histogram);
    }
    if (all.count() == 0) return false;
    *out = static_cast<double>(all.ValueAtPercentile(99)) / 1e3;
    return true;
  };
  std::vector<double> v;
  double x = 0;
  for (const Repetition& r : f.repetitions)
    if (r.reads && p99(*r.reads, &x)) v.push_back(x);
  if (v.empty() && p99(f.reads, &x)) v.push_back(x);
  return v;
}

// A statistic of the commit latency, per repetition when recorded.
std::vector<double> TxLatency(const ResultsFile& f, Member<Latency> stat) {
  std::vector<double> v;
  for (const Repetition& r : f.repetitions)
    if (r.tx_latency)
      if (auto x = Figure(*r.tx_latency, stat)) v.push_back(*x);
  if (v.empty() && f.tx_latency)
    if (auto x = Figure(*f.tx_latency, stat)) v.push_back(*x);
  return v;
}

std::string RangeOrDash(const std::vector<double>& v, const std::string& unit) {
  return v.empty() ? "-" : Range(v, unit);
}

std::string Count(uint64_t n) { return FormatValue(static_cast<double>(n), ""); }

Json Summary(const std::vector<RunFile>& files) {
  Json columns = Json::array({"strategy", "reps", "transactions", "datoms", "jobs", "import datoms/s",
                              "import + index datoms/s", "index written", "segments written", "datoms rewritten",
                              "write amp", "max read sources", "tx p99", "read p99", "backpressure wait",
                              "peak RSS", "storage at rest"});
  Json rows = Json::array();
  for (const RunFile& file : files) {
    const ResultsFile& f = file.results;
    const harness::Summary& s = f.summary;
    const size_t n = f.repetitions.empty() ? 1 : f.repetitions.size();
    std::string name = f.strategy;
    if (s.interrupted) name += " (interrupted)";
    rows.push_back(Json::array({name, std::to_string(n), Count(s.transactions), Count(s.datoms), Count(s.jobs),
                                Range(Samples(f, &Summary::import_datoms_per_s), ""),
                                Range(Samples(f, &Summary::indexed_datoms_per_s), ""),
                                FormatValue(static_cast<double>(s.index_bytes_written), "bytes"),
                                Count(s.index_segments_written), Count(s.datoms_rewritten),
                                FormatValue(s.write_amplification, "x"), Count(s.max_read_sources),
                                RangeOrDash(TxLatency(f, &Latency::p99_us), "us"), RangeOrDash(AllReadsP99(f), "us"),
                                Range(Samples(f, &Summary::backpressure_wait_ms), "ms"),
                                Range(Samples(f, &Summary::peak_rss_bytes), "bytes"),
                                FormatValue(static_cast<double>(s.storage_bytes), "bytes")}));
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

double D(uint64_t x) { return static_cast<double>(x); }

// Per job: x = datoms in the durable index after it, y = `field` (named
// `key` in the file).
Json JobChart(const std::vector<RunFile>& files, const std::string& id, const std::string& title,
              Member<Job> field, const char* key, const std::string& y_label) {
  Json c = LineChart(id, title, "database size (datoms in the durable index after the job)", y_label);
  bool any = false, has_field = false;
  for (const RunFile& f : files) {
    Json points = Json::array();
    for (const Job& j : f.results.jobs) {
      has_field = has_field || Recorded(j, field);
      points.push_back(Json::array({D(j.db_datoms), Figure(j, field).value_or(0)}));
    }
    any = any || !points.empty();
    c["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(points)}});
  }
  if (!any) return Missing(id, title, "not recorded: the results files list no indexing jobs");
  if (!has_field) return Missing(id, title, std::string("not recorded: these results files' jobs have no ") + key);
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
    for (const Job& j : f.results.jobs) {
      written += D(j.bytes_written);
      novelty += D(j.novelty_bytes);
      if (novelty > 0) points.push_back(Json::array({D(j.db_datoms), written / novelty}));
    }
    any = any || !points.empty();
    c["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(points)}});
  }
  if (!any) return Missing("write-amp", title, "not recorded: the results files list no indexing jobs");
  return c;
}

// The file's timeline when it has samples, else null.
const Timeline* TimelineOf(const RunFile& f) {
  const auto& t = f.results.timeline;
  return t && !t->t_ms.empty() ? &*t : nullptr;
}

// Where the cumulative "jobs" column of a timeline goes up: a job finished.
Json JobMarks(const Timeline& t) {
  Json marks = Json::array();
  if (t.jobs.size() != t.t_ms.size()) return marks;
  for (size_t i = 1; i < t.t_ms.size(); ++i)
    if (t.jobs[i] > t.jobs[i - 1]) marks.push_back(t.t_ms[i] / 1000);
  return marks;
}

// (seconds, value) points of a column; a latency column's "none" (-1) is skipped.
Json Column(const Timeline& t, const std::vector<uint64_t>& v) {
  Json points = Json::array();
  if (v.size() != t.t_ms.size()) return points;
  for (size_t i = 0; i < v.size(); ++i) points.push_back(Json::array({t.t_ms[i] / 1000, v[i]}));
  return points;
}
Json Column(const Timeline& t, const std::vector<double>& v) {
  Json points = Json::array();
  if (v.size() != t.t_ms.size()) return points;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] >= 0) points.push_back(Json::array({t.t_ms[i] / 1000, v[i]}));
  return points;
}

const char* kTimelineWhy =
    "not recorded: the results files have no \"timeline\" (samples over the run; see docs/harness.md)";

void TxLatencyCharts(const std::vector<RunFile>& files, Json* charts) {
  bool any = false;
  for (const RunFile& f : files) {
    const Timeline* t = TimelineOf(f);
    if (t == nullptr) continue;
    Json c = LineChart("tx-latency-" + Strategy(f), "Transaction latency over time: " + Strategy(f),
                       "time since the workload started (s)", "commit latency (µs)");
    c["y_log"] = true;
    for (const auto& [column, label] :
         {std::pair{&t->tx_p50_us, "p50"}, {&t->tx_p99_us, "p99"}, {&t->tx_max_us, "max"}}) {
      Json pts = Column(*t, *column);
      if (!pts.empty()) c["series"].push_back(Json{{"label", label}, {"points", std::move(pts)}});
    }
    if (c["series"].empty()) continue;
    c["marks"] = JobMarks(*t);
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
    const Timeline* t = TimelineOf(f);
    if (t == nullptr || t->datoms.size() != t->t_ms.size()) continue;
    Json pts = Json::array();
    for (size_t i = 1; i < t->t_ms.size(); ++i) {
      const double dt = (t->t_ms[i] - t->t_ms[i - 1]) / 1000;
      if (dt > 0) pts.push_back(Json::array({t->t_ms[i] / 1000, (D(t->datoms[i]) - D(t->datoms[i - 1])) / dt}));
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
    const Timeline* t = TimelineOf(f);
    if (t == nullptr) continue;
    Json pts = Column(*t, t->memory_index_bytes);
    if (!pts.empty()) c["series"].push_back(Json{{"label", Strategy(f)}, {"points", std::move(pts)}});
  }
  if (!c["series"].empty()) return c;
  // Without samples over time, the peaks of the sawtooth are still known:
  // the novelty each job sealed, at the t it indexed up to.
  Json fallback = LineChart("memory-index", "Memory index sealed per indexing job (its peaks)",
                            "transaction (basis t of the job)", "novelty sealed (bytes)");
  for (const RunFile& f : files) {
    Json pts = Json::array();
    for (const Job& j : f.results.jobs) pts.push_back(Json::array({D(j.basis_t), D(j.novelty_bytes)}));
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
  for (const RunFile& f : files)
    for (const auto& [name, lat] : f.results.reads)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
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
    for (const auto& [stat, member] : {std::pair{"p50", &Latency::p50_us}, {"p99", &Latency::p99_us}}) {
      Json values = Json::array();
      for (const std::string& n : names) {
        auto it = f.results.reads.find(n);
        std::optional<double> v;
        if (it != f.results.reads.end()) v = Figure(it->second, member);
        values.push_back(v ? Json(*v) : Json(nullptr));
      }
      c["series"].push_back(Json{{"label", Strategy(f) + " " + stat},
                                 {"group", Strategy(f)},
                                 {"values", std::move(values)}});
    }
  }
  return c;
}

}  // namespace

Json ReportModel(const std::vector<RunFile>& files) {
  using harness::Context;
  Json rows = Json::array(), warnings = Json::array();
  auto row = [&](const std::string& label, const std::function<std::string(const ResultsFile&)>& get) {
    ContextRow(files, label, [&](const RunFile& f) { return get(f.results); }, &rows, &warnings);
  };
  row("workload", [](const ResultsFile& f) { return f.workload; });
  row("scale", [](const ResultsFile& f) { return Json(f.scale).dump(); });
  row("seed", [](const ResultsFile& f) { return std::to_string(f.seed); });
  row("workload options", [](const ResultsFile& f) { return f.context.workload_options; });
  row("commit", [](const ResultsFile& f) {
    std::string c = f.context.git_commit;
    if (c.empty()) return std::string("not in a git checkout");
    if (f.context.git_dirty) c += " (with uncommitted changes)";
    return c;
  });
  row("build", [](const ResultsFile& f) {
    const Context& c = f.context;
    std::string b = c.build_type;
    if (Recorded(c, &Context::assertions) && c.assertions) b += ", assertions on";
    if (!c.sanitizers.empty()) b += ", sanitizer " + c.sanitizers;
    return b + " — " + c.compiler;
  });
  row("machine", [](const ResultsFile& f) {
    const Context& c = f.context;
    const std::string cpus = Recorded(c, &Context::cpus) ? std::to_string(c.cpus) : "";
    return c.hostname + ": " + c.cpu_model + ", " + cpus + " CPUs, " + c.kernel +
           (c.jemalloc.empty() ? ", no jemalloc statistics" : ", jemalloc " + c.jemalloc.substr(0, 5));
  });
  // Shown, never warned about: it says how quiet the machine was.
  Json no_warnings = Json::array();
  ContextRow(files, "load average at start", [](const RunFile& f) {
    const std::vector<double>& l = f.results.context.load_avg;
    if (l.size() != 3 || l[0] < 0) return std::string("?");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f / %.1f / %.1f (1 / 5 / 15 min)", l[0], l[1], l[2]);
    return std::string(buf);
  }, &rows, &no_warnings);
  row("options", [](const ResultsFile& f) { return WithoutStrategy(f.context.options); });
  row("date", [](const ResultsFile& f) { return f.context.date; });
  row("command", [](const ResultsFile& f) { return f.context.command; });

  bool release = true;
  std::string build;
  for (const RunFile& file : files) {
    const ResultsFile& f = file.results;
    if (!f.context.release) {
      release = false;
      build = f.context.build_type;
    }
    if (f.context.planted_slow_read_us > 0)
      warnings.push_back(f.strategy + ": STRATA_PLANT_SLOW_READ_US=" + std::to_string(f.context.planted_slow_read_us) +
                         " was set: every timed read was made slower on purpose (a test knob)");
    if (f.summary.interrupted)
      warnings.push_back(f.strategy + ": the run was interrupted; its figures cover part of the workload");
  }
  Json charts = Json::array();
  charts.push_back(JobChart(files, "job-bytes", "Indexing job cost: bytes written per job", &Job::bytes_written,
                            "bytes_written", "bytes written by the job"));
  charts.push_back(JobChart(files, "job-segments", "Indexing job cost: segments written per job",
                            &Job::segments_written, "segments_written", "segments written by the job"));
  charts.push_back(JobChart(files, "job-wall", "Indexing job cost: wall time per job", &Job::wall_ms, "wall_ms",
                            "wall time (ms)"));
  charts.push_back(JobChart(files, "job-round-trips", "Indexing job cost: storage round trips per job",
                            &Job::storage_round_trips, "storage_round_trips",
                            "storage round trips (calls to the folder or the server)"));
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
