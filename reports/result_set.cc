// Reading results files into ResultSets (see result_set.h).

#include "reports/result_set.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace strata::reports {

namespace fs = std::filesystem;

namespace {

using harness::Latency;
using harness::Member;
using harness::ResultsFile;
using harness::Summary;

struct Spec {
  const char* key;
  Member<Summary> member;
  const char* unit;
  MetricKind kind;
  Better better;
};

// The "summary" fields a comparison looks at, in display order. Counters
// are deterministic per (build, workload, options); timings are not.
const Spec kRunSummary[] = {
    {"index_bytes_written", &Summary::index_bytes_written, "bytes", MetricKind::kCounter, Better::kLower},
    {"index_segments_written", &Summary::index_segments_written, "segments", MetricKind::kCounter, Better::kLower},
    {"datoms_rewritten", &Summary::datoms_rewritten, "datoms", MetricKind::kCounter, Better::kLower},
    {"max_read_sources", &Summary::max_read_sources, "sources", MetricKind::kCounter, Better::kLower},
    {"write_amplification", &Summary::write_amplification, "x", MetricKind::kCounter, Better::kLower},
    {"index_bytes_read", &Summary::index_bytes_read, "bytes", MetricKind::kCounter, Better::kLower},
    {"storage_bytes", &Summary::storage_bytes, "bytes", MetricKind::kCounter, Better::kLower},
    {"levels_max", &Summary::levels_max, "levels", MetricKind::kCounter, Better::kLower},
    {"import_datoms_per_s", &Summary::import_datoms_per_s, "datoms/s", MetricKind::kTiming, Better::kHigher},
    {"final_index_ms", &Summary::final_index_ms, "ms", MetricKind::kTiming, Better::kLower},
    {"job_wall_ms", &Summary::job_wall_ms, "ms", MetricKind::kTiming, Better::kLower},
    {"job_cpu_ms", &Summary::job_cpu_ms, "ms", MetricKind::kTiming, Better::kLower},
    {"backpressure_wait_ms", &Summary::backpressure_wait_ms, "ms", MetricKind::kTiming, Better::kLower},
    {"peak_rss_bytes", &Summary::peak_rss_bytes, "bytes", MetricKind::kTiming, Better::kLower},
    {"peak_allocated_bytes", &Summary::peak_allocated_bytes, "bytes", MetricKind::kTiming, Better::kLower},
    {"datoms", &Summary::datoms, "datoms", MetricKind::kInfo, Better::kLower},
    {"transactions", &Summary::transactions, "tx", MetricKind::kInfo, Better::kLower},
    {"jobs", &Summary::jobs, "jobs", MetricKind::kInfo, Better::kLower},
    {"reads", &Summary::reads, "reads", MetricKind::kInfo, Better::kLower},
};

// The latency figures compared, per read name and for commits.
const std::pair<const char*, Member<Latency>> kLatencyStats[] = {
    {"p50_us", &Latency::p50_us}, {"p99_us", &Latency::p99_us}, {"mean_us", &Latency::mean_us}};

// Google Benchmark user counters known to be deterministic.
const std::set<std::string> kBenchmarkCounters = {"bytes_per_datom", "sources",          "sources_merged",
                                                  "bytes_written",   "segments_written", "datoms_rewritten",
                                                  "segments_read",   "bytes_read",       "max_read_sources"};
// Google Benchmark fields that are not user counters.
const std::set<std::string> kBenchmarkFields = {
    "name",       "family_index", "per_family_instance_index", "run_name",       "run_type",
    "repetitions", "repetition_index", "threads",             "iterations",     "real_time",
    "cpu_time",   "time_unit",    "aggregate_name",            "aggregate_unit", "error_occurred",
    "error_message", "label"};

double Number(const Json& j) { return j.is_number() ? j.get<double>() : 0; }

bool IsNumber(const Json& obj, const char* key) { return obj.is_object() && obj.contains(key) && obj[key].is_number(); }

Metric& Add(Subject* s, const std::string& name, const std::string& unit, MetricKind kind, Better better) {
  for (Metric& m : s->metrics)
    if (m.name == name) return m;
  s->metrics.push_back(Metric{name, unit, kind, better, {}});
  return s->metrics.back();
}

double ToNanoseconds(double v, const std::string& unit) {
  if (unit == "us") return v * 1e3;
  if (unit == "ms") return v * 1e6;
  if (unit == "s") return v * 1e9;
  return v;  // "ns"
}

}  // namespace

const Metric* Subject::Find(const std::string& metric) const {
  for (const Metric& m : metrics)
    if (m.name == metric) return &m;
  return nullptr;
}

const Subject* ResultSet::Find(const std::string& subject) const {
  for (const Subject& s : subjects)
    if (s.name == subject) return &s;
  return nullptr;
}

namespace {

// The results-*.json files of a folder, sorted, or the one file `path` names.
Result<std::vector<std::string>> ResultsPaths(const std::string& path) {
  std::vector<std::string> paths;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("results-", 0) == 0 && name.size() > 13 && name.ends_with(".json")) paths.push_back(e.path().string());
    }
    if (paths.empty()) return Status::NotFound("no results-*.json files in " + path);
  } else if (fs::exists(path, ec)) {
    paths.push_back(path);
  } else {
    return Status::NotFound(path + " does not exist");
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

bool IsBenchmarkFile(const Json& j) { return j.is_object() && j.contains("benchmarks"); }

// "k1=v1 k2=v2" as (k, v) pairs, appended to `out` (a key already there
// takes the later value).
void AddTokens(const std::string& text, std::vector<std::pair<std::string, std::string>>* out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string tok = text.substr(start, end - start);
    start = end + 1;
    if (tok.empty()) continue;
    const size_t eq = tok.find('=');
    std::string key = eq == std::string::npos ? tok : tok.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : tok.substr(eq + 1);
    auto it = std::find_if(out->begin(), out->end(), [&](const auto& kv) { return kv.first == key; });
    if (it != out->end()) it->second = std::move(value);
    else out->emplace_back(std::move(key), std::move(value));
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> RunSettings(const ResultsFile& f) {
  std::vector<std::pair<std::string, std::string>> out;
  char scale[32];
  std::snprintf(scale, sizeof scale, "%g", f.scale);
  out.emplace_back("workload", f.workload);
  out.emplace_back("scale", scale);
  out.emplace_back("seed", std::to_string(f.seed));
  AddTokens(f.context.workload_options, &out);
  std::vector<std::pair<std::string, std::string>> engine;
  AddTokens(f.context.options, &engine);
  for (auto& kv : engine)
    if (kv.first != "strategy") out.push_back(std::move(kv));
  if (!f.context.storage.empty()) out.emplace_back("storage", f.context.storage == "folder" ? "folder" : "postgresql");
  const harness::Context& c = f.context;
  if (!c.build_type.empty()) {
    std::string build = c.build_type;
    if (harness::Recorded(c, &harness::Context::assertions) && c.assertions) build += ", assertions on";
    if (!c.sanitizers.empty()) build += ", sanitizer " + c.sanitizers;
    out.emplace_back("build", build);
  }
  return out;
}

namespace {

// Live and garbage bytes at rest, when the file's summary records them:
// live is gated like the other counters, garbage (not yet collected) only
// shown. Read from the JSON, so files without them read as before.
void AddStorageSplit(const Json& j, Subject* s) {
  if (!j.is_object() || !j.contains("summary") || !IsNumber(j["summary"], "storage_live_bytes")) return;
  const Json& sum = j["summary"];
  Add(s, "storage_live_bytes", "bytes", MetricKind::kCounter, Better::kLower)
      .samples.push_back(Number(sum["storage_live_bytes"]));
  if (IsNumber(sum, "storage_garbage_bytes"))
    Add(s, "storage_garbage_bytes", "bytes", MetricKind::kInfo, Better::kLower)
        .samples.push_back(Number(sum["storage_garbage_bytes"]));
}

void AddLatency(Subject* s, const std::string& prefix, const Latency& l) {
  for (const auto& [stat, member] : kLatencyStats)
    if (auto v = harness::Figure(l, member))
      Add(s, prefix + stat, "us", MetricKind::kTiming, Better::kLower).samples.push_back(*v);
}

// Thread CPU time per operation ("tx cpu p10_us", "read NAME cpu p50_us"):
// the 10th percentile, the median and the mean. The low percentile is the
// operation's cost when nothing disturbed it (being descheduled, other
// processes' cache traffic add CPU time above it), so it varies least from
// run to run; the A/B gate compares it (ab.h). A tail of CPU time says
// little the latency's tail does not.
const std::pair<const char*, Member<Latency>> kCpuStats[] = {
    {"p10_us", &Latency::p10_us}, {"p50_us", &Latency::p50_us}, {"mean_us", &Latency::mean_us}};

void AddCpu(Subject* s, const std::string& prefix, const Latency& l) {
  for (const auto& [stat, member] : kCpuStats)
    if (auto v = harness::Figure(l, member))
      Add(s, prefix + stat, "us", MetricKind::kTiming, Better::kLower).samples.push_back(*v);
}

}  // namespace

Result<std::vector<RunFile>> ReadRunFiles(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> paths, ResultsPaths(path));
  std::vector<RunFile> files;
  for (const std::string& p : paths) {
    STRATA_ASSIGN_OR_RETURN(harness::ResultsFile f, harness::ReadResultsFile(p));
    files.push_back(RunFile{p, std::move(f)});
  }
  return files;
}

Subject SubjectOfRun(const ResultsFile& f, std::vector<std::string>* notes) {
  Subject s;
  s.name = f.strategy;
  s.settings = RunSettings(f);
  // A loaded machine drifts between runs far more than within one: say so.
  const harness::Context& ctx = f.context;
  const double cpus = harness::Recorded(ctx, &harness::Context::cpus) ? static_cast<double>(ctx.cpus) : 0;
  if (!ctx.load_avg.empty() && cpus > 0 && ctx.load_avg[0] > cpus) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "%s: the machine was loaded when the run started (load average %.1f on %.0f CPUs): timing "
                  "verdicts are unreliable",
                  s.name.c_str(), ctx.load_avg[0], cpus);
    notes->push_back(buf);
  }
  if (ctx.planted_slow_read_us > 0)
    notes->push_back(s.name + ": made with STRATA_PLANT_SLOW_READ_US=" + std::to_string(ctx.planted_slow_read_us) +
                     " (every timed read slowed on purpose)");
  for (const auto& [knob, pct] : {std::pair{"STRATA_PLANT_SLOW_COMMIT_PCT", ctx.planted_slow_commit_pct},
                                   {"STRATA_PLANT_SLOW_READ_PCT", ctx.planted_slow_read_pct},
                                   {"STRATA_PLANT_SLOW_COMMIT_CPU_PCT", ctx.planted_slow_commit_cpu_pct},
                                   {"STRATA_PLANT_SLOW_READ_CPU_PCT", ctx.planted_slow_read_cpu_pct}})
    if (pct > 0)
      notes->push_back(s.name + ": made with " + knob + "=" + std::to_string(pct) + " (slowed on purpose, harness/plant.h)");
  for (const Spec& spec : kRunSummary) {
    const std::optional<double> value = harness::Figure(f.summary, spec.member);
    if (!value) continue;
    Metric& m = Add(&s, spec.key, spec.unit, spec.kind, spec.better);
    if (spec.kind == MetricKind::kTiming)
      for (const harness::Repetition& r : f.repetitions)
        if (auto v = harness::Figure(r.summary, spec.member)) m.samples.push_back(*v);
    if (m.samples.empty()) m.samples.push_back(*value);
    if (spec.kind == MetricKind::kCounter) {
      std::set<double> seen;
      for (const harness::Repetition& r : f.repetitions)
        if (auto v = harness::Figure(r.summary, spec.member)) seen.insert(*v);
      if (seen.size() > 1)
        notes->push_back(s.name + ": " + spec.key + " differs between repetitions (" + std::to_string(seen.size()) +
                         " values): not deterministic");
    }
  }
  // Commit latency: per repetition when each one records it.
  bool tx_per_rep = !f.repetitions.empty();
  for (const harness::Repetition& r : f.repetitions) tx_per_rep = tx_per_rep && r.tx_latency.has_value();
  if (tx_per_rep) {
    for (const harness::Repetition& r : f.repetitions) AddLatency(&s, "tx ", *r.tx_latency);
  } else if (f.tx_latency) {
    AddLatency(&s, "tx ", *f.tx_latency);
  }
  // Read latencies: per repetition when each one records its reads.
  bool per_rep = !f.repetitions.empty();
  for (const harness::Repetition& r : f.repetitions) per_rep = per_rep && r.reads.has_value();
  if (per_rep) {
    for (const harness::Repetition& r : f.repetitions)
      for (const auto& [name, lat] : *r.reads) AddLatency(&s, "read " + name + " ", lat);
  } else {
    for (const auto& [name, lat] : f.reads) AddLatency(&s, "read " + name + " ", lat);
  }
  // CPU time per commit and per read, likewise (absent in older files).
  bool cpu_per_rep = !f.repetitions.empty();
  for (const harness::Repetition& r : f.repetitions)
    cpu_per_rep = cpu_per_rep && r.tx_cpu.has_value() && r.reads_cpu.has_value();
  if (cpu_per_rep) {
    for (const harness::Repetition& r : f.repetitions) {
      AddCpu(&s, "tx cpu ", *r.tx_cpu);
      for (const auto& [name, lat] : *r.reads_cpu) AddCpu(&s, "read " + name + " cpu ", lat);
    }
  } else {
    if (f.tx_cpu) AddCpu(&s, "tx cpu ", *f.tx_cpu);
    for (const auto& [name, lat] : f.reads_cpu) AddCpu(&s, "read " + name + " cpu ", lat);
  }
  return s;
}

Result<std::vector<Subject>> SubjectsOfBenchmarkFile(const Json& j, std::vector<std::string>* notes) {
  if (!j.is_object() || !j.contains("benchmarks") || !j["benchmarks"].is_array())
    return Status::InvalidArgument("not a Google Benchmark JSON file (no \"benchmarks\" array)");
  // A loaded machine drifts between runs far more than within one: say so.
  if (const Json& ctx = j.contains("context") ? j["context"] : Json(); ctx.is_object()) {
    const double cpus = ctx.contains("num_cpus") && ctx["num_cpus"].is_number() ? ctx["num_cpus"].get<double>() : 0;
    if (ctx.contains("load_avg") && ctx["load_avg"].is_array() && !ctx["load_avg"].empty() &&
        ctx["load_avg"][0].is_number() && cpus > 0 && ctx["load_avg"][0].get<double>() > cpus) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "the machine was loaded (load average %.1f on %.0f CPUs): timing verdicts are unreliable",
                    ctx["load_avg"][0].get<double>(), cpus);
      notes->push_back(buf);
    }
  }
  std::vector<std::pair<std::string, std::string>> settings;
  if (j.contains("context") && j["context"].is_object() && j["context"].contains("library_build_type") &&
      j["context"]["library_build_type"].is_string())
    settings.emplace_back("library_build_type", j["context"]["library_build_type"].get<std::string>());
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Json*>> iterations, medians;
  for (const Json& b : j["benchmarks"]) {
    if (!b.is_object()) continue;
    const std::string run = b.value("run_name", b.value("name", ""));
    if (run.empty()) continue;
    if (b.value("error_occurred", false)) {
      notes->push_back(run + ": benchmark reported an error: " + b.value("error_message", "?"));
      continue;
    }
    if (std::find(order.begin(), order.end(), run) == order.end()) order.push_back(run);
    if (b.value("run_type", "iteration") == "aggregate") {
      if (b.value("aggregate_name", "") == "median") medians[run].push_back(&b);
    } else {
      iterations[run].push_back(&b);
    }
  }
  std::vector<Subject> subjects;
  for (const std::string& run : order) {
    const std::vector<const Json*>& rows = iterations[run].empty() ? medians[run] : iterations[run];
    if (rows.empty()) continue;
    Subject s;
    s.name = run;
    s.settings = settings;
    for (const Json* b : rows) {
      const std::string unit = b->value("time_unit", "ns");
      for (const char* key : {"real_time", "cpu_time"})
        if (IsNumber(*b, key))
          Add(&s, key, "ns", MetricKind::kTiming, Better::kLower).samples.push_back(ToNanoseconds(Number((*b)[key]), unit));
      for (const auto& [key, value] : b->items()) {
        if (kBenchmarkFields.count(key) || !value.is_number()) continue;
        if (key.ends_with("_per_second"))
          Add(&s, key, "/s", MetricKind::kTiming, Better::kHigher).samples.push_back(Number(value));
        else if (kBenchmarkCounters.count(key))
          Add(&s, key, "", MetricKind::kCounter, Better::kLower).samples.push_back(Number(value));
        else
          Add(&s, key, "", MetricKind::kInfo, Better::kLower).samples.push_back(Number(value));
      }
    }
    subjects.push_back(std::move(s));
  }
  if (subjects.empty()) return Status::InvalidArgument("no benchmark results in the file");
  return subjects;
}

Result<ResultSet> LoadResultSet(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> paths, ResultsPaths(path));
  ResultSet set;
  set.source = path;
  for (const std::string& p : paths) {
    STRATA_ASSIGN_OR_RETURN(Json j, harness::ReadJsonFile(p));
    const bool benchmark = IsBenchmarkFile(j);
    const std::string format = benchmark ? "google-benchmark" : "strata-run";
    if (!set.format.empty() && set.format != format)
      return Status::InvalidArgument(p + ": mixes Google Benchmark and strata run results");
    set.format = format;
    if (benchmark) {
      auto subjects = SubjectsOfBenchmarkFile(j, &set.notes);
      if (!subjects.ok()) return subjects.status().WithContext(p);
      for (Subject& s : *subjects) set.subjects.push_back(std::move(s));
    } else {
      auto f = harness::ResultsFromJson(j);
      if (!f.ok()) return f.status().WithContext(p);
      Subject subject = SubjectOfRun(*f, &set.notes);
      AddStorageSplit(j, &subject);
      if (set.Find(subject.name) != nullptr)
        return Status::InvalidArgument(p + ": a second file for strategy " + subject.name);
      set.subjects.push_back(std::move(subject));
    }
  }
  return set;
}

}  // namespace strata::reports
