// What the report shows, from the results files (see report.h): the
// context, the summary table and each chart's series.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
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

double D(uint64_t x) { return static_cast<double>(x); }

// "job bytes Q1 -> Q4": the mean bytes written per job over the first
// quarter of the jobs, and over the last quarter. The last job is left out
// when it looks like the remainder the final IndexNow sealed: at least 5
// jobs, and its novelty under half the median novelty of the others (the
// memory-index threshold seals every other job at about the same size).
// "-" without jobs.
std::string JobBytesQuarters(const ResultsFile& f) {
  size_t n = f.jobs.size();
  if (n >= 5) {
    std::vector<double> novelty;
    for (size_t i = 0; i + 1 < n; ++i) novelty.push_back(D(f.jobs[i].novelty_bytes));
    if (D(f.jobs.back().novelty_bytes) < Median(novelty) / 2) --n;
  }
  const size_t q = n >= 4 ? n / 4 : n > 0 ? 1 : 0;
  if (q == 0) return "-";
  auto mean = [&](size_t first) {
    double sum = 0;
    for (size_t i = first; i < first + q; ++i) sum += D(f.jobs[i].bytes_written);
    return sum / static_cast<double>(q);
  };
  return FormatValue(mean(0), "bytes") + " -> " + FormatValue(mean(n - q), "bytes");
}

// A cell: samples with their unit (the median, and min–max when they
// differ), or a text as it is.
struct Cell {
  std::vector<double> samples;
  std::string unit;
  std::string text;
};

struct ColumnDef {
  SummaryColumn column;
  std::function<Cell(const RunFile&, const std::string& label)> cell;
};

Cell Of(std::vector<double> v, const std::string& unit) {
  if (v.empty()) return Cell{{}, "", "-"};
  return Cell{std::move(v), unit, ""};
}

std::function<Cell(const RunFile&, const std::string&)> SummaryField(Member<harness::Summary> m,
                                                                     const std::string& unit) {
  return [m, unit](const RunFile& f, const std::string&) { return Of(Samples(f.results, m), unit); };
}

const std::vector<ColumnDef>& Columns() {
  using S = harness::Summary;
  static const std::vector<ColumnDef> columns = {
      {{"strategy", "the strategy (and what tells apart files of one strategy)", true},
       [](const RunFile& f, const std::string& label) {
         return Cell{{}, "", label + (f.results.summary.interrupted ? " (interrupted)" : "")};
       }},
      {{"reps", "repetitions in the file", true},
       [](const RunFile& f, const std::string&) {
         return Cell{{}, "", std::to_string(f.results.repetitions.empty() ? 1 : f.results.repetitions.size())};
       }},
      {{"transactions", "transactions committed, the schema included", false}, SummaryField(&S::transactions, "")},
      {{"datoms", "datoms committed", true}, SummaryField(&S::datoms, "")},
      {{"jobs", "indexing jobs, the final one included", true}, SummaryField(&S::jobs, "")},
      {{"import datoms/s", "datoms committed per second of the workload loop (without the final indexing)", true},
       SummaryField(&S::import_datoms_per_s, "")},
      {{"import + index datoms/s", "datoms per second until the last indexing job finished", false},
       SummaryField(&S::indexed_datoms_per_s, "")},
      {{"index written", "bytes written by indexing jobs (segments and directories)", true},
       SummaryField(&S::index_bytes_written, "bytes")},
      {{"segments written", "segments written by indexing jobs", false},
       SummaryField(&S::index_segments_written, "")},
      {{"datoms rewritten", "datoms indexing jobs copied from old segments into new ones", false},
       SummaryField(&S::datoms_rewritten, "")},
      {{"write amp", "write amplification: index bytes written / novelty bytes indexed", true},
       SummaryField(&S::write_amplification, "x")},
      {{"max read sources", "most durable sources a read merged after any job (plus the memory index)", true},
       SummaryField(&S::max_read_sources, "")},
      {{"tx p99", "99th percentile commit latency (per repetition, then the median)", true},
       [](const RunFile& f, const std::string&) { return Of(TxLatency(f.results, &Latency::p99_us), "us"); }},
      {{"read p99", "99th percentile latency of every timed read together (per repetition, then the median)", true},
       [](const RunFile& f, const std::string&) { return Of(AllReadsP99(f.results), "us"); }},
      {{"backpressure wait", "time commits waited for indexing to catch up", false},
       SummaryField(&S::backpressure_wait_ms, "ms")},
      {{"peak RSS", "peak resident memory of the process (getrusage)", false},
       SummaryField(&S::peak_rss_bytes, "bytes")},
      {{"storage at rest", "bytes of segments at rest at the end (live and garbage not yet collected)", false},
       SummaryField(&S::storage_bytes, "bytes")},
      {{"job bytes Q1 -> Q4",
        "mean bytes written per indexing job over the first quarter of the jobs -> over the last quarter (the "
        "final job left out when it indexed only the remainder); from the repetition the file gives in full. "
        "Equal: job cost stays flat as the database grows; rising: jobs grow with it",
        true},
       [](const RunFile& f, const std::string&) { return Cell{{}, "", JobBytesQuarters(f.results)}; }},
  };
  return columns;
}

std::string MedianOnly(const Cell& c) { return c.samples.empty() ? c.text : FormatValue(Median(c.samples), c.unit); }
std::string WithRange(const Cell& c) { return c.samples.empty() ? c.text : Range(c.samples, c.unit); }

// Letters, digits and '-' for element ids.
std::string IdPart(const std::string& s) {
  std::string out;
  for (char ch : s) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ? ch : '-';
  return out;
}

Json Missing(const std::string& id, const std::string& title, const std::string& why) {
  return Json{{"id", id}, {"title", title}, {"missing", why}};
}

Json LineChart(const std::string& id, const std::string& title, const std::string& x_label,
               const std::string& y_label) {
  return Json{{"id", id},           {"title", title},     {"type", "line"},       {"x_label", x_label},
              {"y_label", y_label}, {"x_log", false},     {"y_log", false},       {"series", Json::array()}};
}

// A series: `strategy` is the file's label (it picks the hue), `stat` the
// percentile when a chart has several per strategy (it picks the shade and
// dash, docs/harness.md "Series styling").
Json Series(const std::string& strategy, Json points, const std::string& stat = "") {
  Json s{{"label", stat.empty() ? strategy : strategy + " " + stat}, {"strategy", strategy}, {"points", std::move(points)}};
  if (!stat.empty()) s["stat"] = stat;
  return s;
}

// Per job: x = datoms in the durable index after it, y = `field` (named
// `key` in the file).
Json JobChart(const std::vector<RunFile>& files, const std::vector<std::string>& labels, const std::string& id,
              const std::string& title, Member<Job> field, const char* key, const std::string& y_label) {
  Json c = LineChart(id, title, "database size (datoms in the durable index after the job)", y_label);
  bool any = false, has_field = false;
  for (size_t i = 0; i < files.size(); ++i) {
    Json points = Json::array();
    for (const Job& j : files[i].results.jobs) {
      has_field = has_field || Recorded(j, field);
      points.push_back(Json::array({D(j.db_datoms), Figure(j, field).value_or(0)}));
    }
    any = any || !points.empty();
    c["series"].push_back(Series(labels[i], std::move(points)));
  }
  if (!any) return Missing(id, title, "not recorded: the results files list no indexing jobs");
  if (!has_field) return Missing(id, title, std::string("not recorded: these results files' jobs have no ") + key);
  return c;
}

Json WriteAmpChart(const std::vector<RunFile>& files, const std::vector<std::string>& labels) {
  const std::string title = "Cumulative write amplification (index bytes written / novelty bytes)";
  Json c = LineChart("write-amp", title, "database size (datoms in the durable index after the job)",
                     "cumulative write amplification");
  bool any = false;
  for (size_t i = 0; i < files.size(); ++i) {
    Json points = Json::array();
    double written = 0, novelty = 0;
    for (const Job& j : files[i].results.jobs) {
      written += D(j.bytes_written);
      novelty += D(j.novelty_bytes);
      if (novelty > 0) points.push_back(Json::array({D(j.db_datoms), written / novelty}));
    }
    any = any || !points.empty();
    c["series"].push_back(Series(labels[i], std::move(points)));
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

// (seconds, value) points of a column. A latency column's "none" (-1: no
// commit in that interval) is a gap, (seconds, null), so the line breaks
// there instead of joining the samples on either side.
Json Column(const Timeline& t, const std::vector<uint64_t>& v) {
  Json points = Json::array();
  if (v.size() != t.t_ms.size()) return points;
  for (size_t i = 0; i < v.size(); ++i) points.push_back(Json::array({t.t_ms[i] / 1000, v[i]}));
  return points;
}
Json Column(const Timeline& t, const std::vector<double>& v) {
  Json points = Json::array();
  if (v.size() != t.t_ms.size()) return points;
  bool any = false;
  for (size_t i = 0; i < v.size(); ++i) {
    points.push_back(Json::array({t.t_ms[i] / 1000, v[i] >= 0 ? Json(v[i]) : Json(nullptr)}));
    any = any || v[i] >= 0;
  }
  return any ? points : Json::array();
}

const char* kTimelineWhy =
    "not recorded: the results files have no \"timeline\" (samples over the run; see docs/harness.md)";

// Charts over time are small multiples: one per strategy, each on its own
// time axis (a fast strategy fills its chart instead of the first tenth of
// one shared with a slow one), all on one y range so heights compare.
// `family` groups them on the page under `family_title`.
void SmallMultiples(std::vector<Json> charts, const std::string& family, const std::string& family_title,
                    Json* out) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Json& c : charts)
    for (const Json& s : c["series"])
      for (const Json& p : s["points"])
        if (p[1].is_number()) {
          const double y = p[1].get<double>();
          if (c["y_log"] == true && y <= 0) continue;
          lo = std::min(lo, y);
          hi = std::max(hi, y);
        }
  for (Json& c : charts) {
    c["family"] = family;
    c["family_title"] = family_title;
    if (hi > -INFINITY) {
      c["y_max"] = hi;
      if (c["y_log"] == true) c["y_min"] = lo;
    }
    out->push_back(std::move(c));
  }
}

void TxLatencyCharts(const std::vector<RunFile>& files, const std::vector<std::string>& labels, Json* charts) {
  std::vector<Json> made;
  for (size_t i = 0; i < files.size(); ++i) {
    const Timeline* t = TimelineOf(files[i]);
    if (t == nullptr) continue;
    Json c = LineChart("tx-latency-" + IdPart(labels[i]), "Transaction latency over time: " + labels[i],
                       "time since the workload started (s)", "commit latency (µs)");
    c["subtitle"] = labels[i];
    c["y_log"] = true;
    for (const auto& [column, stat] :
         {std::pair{&t->tx_p50_us, "p50"}, {&t->tx_p99_us, "p99"}, {&t->tx_max_us, "max"}}) {
      Json pts = Column(*t, *column);
      if (!pts.empty()) c["series"].push_back(Series(labels[i], std::move(pts), stat));
    }
    if (c["series"].empty()) continue;
    c["marks"] = JobMarks(*t);
    c["marks_label"] = "indexing job done";
    made.push_back(std::move(c));
  }
  if (made.empty()) {
    charts->push_back(Missing("tx-latency", "Transaction latency over time, indexing jobs marked", kTimelineWhy));
    return;
  }
  SmallMultiples(std::move(made), "tx-latency",
                 "Transaction latency over time (p50, p99, max per sampling interval; dashed lines: indexing jobs "
                 "done; gaps: no commit in the interval)",
                 charts);
}

void ThroughputCharts(const std::vector<RunFile>& files, const std::vector<std::string>& labels, Json* charts) {
  const std::string title = "Throughput over time (datoms committed per second)";
  std::vector<Json> made;
  for (size_t i = 0; i < files.size(); ++i) {
    const Timeline* t = TimelineOf(files[i]);
    if (t == nullptr || t->datoms.size() != t->t_ms.size()) continue;
    Json pts = Json::array();
    for (size_t k = 1; k < t->t_ms.size(); ++k) {
      const double dt = (t->t_ms[k] - t->t_ms[k - 1]) / 1000;
      if (dt > 0) pts.push_back(Json::array({t->t_ms[k] / 1000, (D(t->datoms[k]) - D(t->datoms[k - 1])) / dt}));
    }
    Json c = LineChart("throughput-" + IdPart(labels[i]), "Throughput over time: " + labels[i],
                       "time since the workload started (s)", "datoms per second");
    c["subtitle"] = labels[i];
    c["series"].push_back(Series(labels[i], std::move(pts)));
    c["marks"] = JobMarks(*t);
    c["marks_label"] = "indexing job done";
    made.push_back(std::move(c));
  }
  if (made.empty()) {
    charts->push_back(Missing("throughput", title, kTimelineWhy));
    return;
  }
  SmallMultiples(std::move(made), "throughput", title + ", one chart per strategy on its own time axis", charts);
}

void MemoryCharts(const std::vector<RunFile>& files, const std::vector<std::string>& labels, Json* charts) {
  const std::string title = "Memory-index size over time";
  std::vector<Json> made;
  for (size_t i = 0; i < files.size(); ++i) {
    const Timeline* t = TimelineOf(files[i]);
    if (t == nullptr) continue;
    Json pts = Column(*t, t->memory_index_bytes);
    if (pts.empty()) continue;
    Json c = LineChart("memory-index-" + IdPart(labels[i]), "Memory-index size over time: " + labels[i],
                       "time since the workload started (s)", "memory index (bytes)");
    c["subtitle"] = labels[i];
    c["series"].push_back(Series(labels[i], std::move(pts)));
    made.push_back(std::move(c));
  }
  if (!made.empty()) {
    SmallMultiples(std::move(made), "memory-index", title + ", one chart per strategy on its own time axis", charts);
    return;
  }
  // Without samples over time, the peaks of the sawtooth are still known:
  // the novelty each job sealed, at the t it indexed up to.
  Json fallback = LineChart("memory-index", "Memory index sealed per indexing job (its peaks)",
                            "transaction (basis t of the job)", "novelty sealed (bytes)");
  for (size_t i = 0; i < files.size(); ++i) {
    Json pts = Json::array();
    for (const Job& j : files[i].results.jobs) pts.push_back(Json::array({D(j.basis_t), D(j.novelty_bytes)}));
    if (!pts.empty()) fallback["series"].push_back(Series(labels[i], std::move(pts)));
  }
  if (fallback["series"].empty()) {
    charts->push_back(Missing("memory-index", title, kTimelineWhy));
    return;
  }
  fallback["note"] = std::string("Memory-index size over time is ") + kTimelineWhy +
                     ". Shown instead: the novelty each indexing job sealed, the peaks of that curve.";
  charts->push_back(std::move(fallback));
}

Json ReadsChart(const std::vector<RunFile>& files, const std::vector<std::string>& labels) {
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
  for (size_t i = 0; i < files.size(); ++i) {
    for (const auto& [stat, member] : {std::pair{"p50", &Latency::p50_us}, {"p99", &Latency::p99_us}}) {
      Json values = Json::array();
      for (const std::string& n : names) {
        auto it = files[i].results.reads.find(n);
        std::optional<double> v;
        if (it != files[i].results.reads.end()) v = Figure(it->second, member);
        values.push_back(v ? Json(*v) : Json(nullptr));
      }
      c["series"].push_back(Json{{"label", labels[i] + " " + stat},
                                 {"strategy", labels[i]},
                                 {"stat", stat},
                                 {"values", std::move(values)}});
    }
  }
  return c;
}

Json Summary(const std::vector<RunFile>& files) {
  const SummaryTable t = MakeSummaryTable(files);
  Json columns = Json::array(), titles = Json::array();
  for (const SummaryColumn& c : t.columns) {
    columns.push_back(c.header);
    titles.push_back(c.title);
  }
  return Json{{"columns", std::move(columns)}, {"titles", std::move(titles)}, {"rows", t.rows}};
}

}  // namespace

std::vector<std::string> RunLabels(const std::vector<RunFile>& files) {
  std::vector<std::string> labels;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& strategy = files[i].results.strategy;
    std::vector<size_t> same;
    for (size_t k = 0; k < files.size(); ++k)
      if (files[k].results.strategy == strategy) same.push_back(k);
    if (same.size() == 1) {
      labels.push_back(strategy);
      continue;
    }
    // The settings in which this strategy's files differ.
    const auto mine = RunSettings(files[i].results);
    std::string differs;
    for (const auto& [key, value] : mine) {
      bool varies = false;
      for (size_t k : same) {
        const auto other = RunSettings(files[k].results);
        auto it = std::find_if(other.begin(), other.end(), [&](const auto& kv) { return kv.first == key; });
        varies = varies || it == other.end() || it->second != value;
      }
      if (varies) differs += " " + key + "=" + value;
    }
    std::string label = strategy + differs;
    if (differs.empty())  // the same settings: the file tells them apart
      label += " [" + std::filesystem::path(files[i].path).filename().string() + "]";
    labels.push_back(label);
  }
  // Settings can coincide for a third file: the file name settles it.
  for (size_t i = 0; i < labels.size(); ++i)
    if (std::count(labels.begin(), labels.end(), labels[i]) > 1)
      for (size_t k = labels.size(); k-- > i;)
        if (labels[k] == labels[i] && k != i)
          labels[k] += " [" + std::filesystem::path(files[k].path).filename().string() + "]";
  return labels;
}

SummaryTable MakeSummaryTable(const std::vector<RunFile>& files) {
  SummaryTable t;
  const std::vector<std::string> labels = RunLabels(files);
  for (const ColumnDef& c : Columns()) t.columns.push_back(c.column);
  for (size_t i = 0; i < files.size(); ++i) {
    std::vector<std::string> row;
    for (const ColumnDef& c : Columns()) row.push_back(WithRange(c.cell(files[i], labels[i])));
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string SummaryText(const std::vector<RunFile>& files) {
  const std::vector<std::string> labels = RunLabels(files);
  std::vector<const ColumnDef*> cols;
  for (const ColumnDef& c : Columns())
    if (c.column.console) cols.push_back(&c);
  std::vector<std::vector<std::string>> cells(1);
  for (const ColumnDef* c : cols) cells[0].push_back(c->column.header);
  for (size_t i = 0; i < files.size(); ++i) {
    cells.emplace_back();
    for (const ColumnDef* c : cols) cells.back().push_back(MedianOnly(c->cell(files[i], labels[i])));
  }
  std::vector<size_t> width(cols.size(), 0);
  for (const auto& row : cells)
    for (size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], row[k].size());
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t k = 0; k < row.size(); ++k) {
      const std::string pad(width[k] - row[k].size(), ' ');
      line += k == 0 ? row[k] + pad : "  " + pad + row[k];  // the strategy left, figures right
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

Json ReportModel(const std::vector<RunFile>& files) {
  using harness::Context;
  const std::vector<std::string> labels = RunLabels(files);
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
      warnings.push_back(labels[&file - files.data()] + ": STRATA_PLANT_SLOW_READ_US=" + std::to_string(f.context.planted_slow_read_us) +
                         " was set: every timed read was made slower on purpose (a test knob)");
    if (f.summary.interrupted)
      warnings.push_back(labels[&file - files.data()] + ": the run was interrupted; its figures cover part of the workload");
  }
  Json charts = Json::array();
  charts.push_back(JobChart(files, labels, "job-bytes", "Indexing job cost: bytes written per job",
                            &Job::bytes_written, "bytes_written", "bytes written by the job"));
  charts.push_back(JobChart(files, labels, "job-segments", "Indexing job cost: segments written per job",
                            &Job::segments_written, "segments_written", "segments written by the job"));
  charts.push_back(JobChart(files, labels, "job-wall", "Indexing job cost: wall time per job", &Job::wall_ms,
                            "wall_ms", "wall time (ms)"));
  charts.push_back(JobChart(files, labels, "job-round-trips", "Indexing job cost: storage round trips per job",
                            &Job::storage_round_trips, "storage_round_trips",
                            "storage round trips (calls to the folder or the server)"));
  charts.push_back(WriteAmpChart(files, labels));
  TxLatencyCharts(files, labels, &charts);
  ThroughputCharts(files, labels, &charts);
  MemoryCharts(files, labels, &charts);
  charts.push_back(ReadsChart(files, labels));
  return Json{{"release", release},
              {"build_type", build},
              {"strategies", labels},
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
  for (const Json& c : sum["columns"]) out.append(" ").append(Str(c)).append(" |");
  out += "\n|";
  for (size_t i = 0; i < sum["columns"].size(); ++i) out += i == 0 ? " --- |" : " ---: |";
  out += "\n";
  for (const Json& r : sum["rows"]) {
    out += "|";
    for (const Json& cell : r) out.append(" ").append(Str(cell)).append(" |");
    out += "\n";
  }
  out += "\nEach figure is the median of that figure over the repetitions (min – max when they differ); "
         "job bytes Q1 -> Q4 is the mean bytes written per indexing job in the first quarter of the jobs and "
         "in the last (docs/harness.md). Charts: report.html.\n";
  return out;
}

}  // namespace strata::reports
