// Reading results files into ResultSets (see result_set.h).

#include "reports/result_set.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace strata::reports {

namespace fs = std::filesystem;

namespace {

struct Spec {
  const char* key;
  const char* unit;
  MetricKind kind;
  Better better;
};

// The "summary" fields a comparison looks at, in display order. Counters
// are deterministic per (build, workload, options); timings are not.
constexpr Spec kRunSummary[] = {
    {"index_bytes_written", "bytes", MetricKind::kCounter, Better::kLower},
    {"index_segments_written", "segments", MetricKind::kCounter, Better::kLower},
    {"datoms_rewritten", "datoms", MetricKind::kCounter, Better::kLower},
    {"max_read_sources", "sources", MetricKind::kCounter, Better::kLower},
    {"write_amplification", "x", MetricKind::kCounter, Better::kLower},
    {"index_bytes_read", "bytes", MetricKind::kCounter, Better::kLower},
    {"storage_bytes", "bytes", MetricKind::kCounter, Better::kLower},
    {"levels_max", "levels", MetricKind::kCounter, Better::kLower},
    {"import_datoms_per_s", "datoms/s", MetricKind::kTiming, Better::kHigher},
    {"final_index_ms", "ms", MetricKind::kTiming, Better::kLower},
    {"job_wall_ms", "ms", MetricKind::kTiming, Better::kLower},
    {"job_cpu_ms", "ms", MetricKind::kTiming, Better::kLower},
    {"backpressure_wait_ms", "ms", MetricKind::kTiming, Better::kLower},
    {"peak_rss_bytes", "bytes", MetricKind::kTiming, Better::kLower},
    {"peak_allocated_bytes", "bytes", MetricKind::kTiming, Better::kLower},
    {"datoms", "datoms", MetricKind::kInfo, Better::kLower},
    {"transactions", "tx", MetricKind::kInfo, Better::kLower},
    {"jobs", "jobs", MetricKind::kInfo, Better::kLower},
    {"reads", "reads", MetricKind::kInfo, Better::kLower},
};

constexpr const char* kReadStats[] = {"p50_us", "p99_us", "mean_us"};

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

// Google Benchmark writes NaN and inf bare (e.g. the cv of a zero
// counter), which is not JSON: outside strings they become null.
std::string NullNonFinite(const std::string& text) {
  static const char* kTokens[] = {"-Infinity", "Infinity", "-NaN", "NaN", "-nan", "nan", "-inf", "inf"};
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (const char* t : kTokens) {
      if (text.compare(i, std::strlen(t), t) == 0) {
        out += "null";
        i += std::strlen(t) - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

Result<Json> ParseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) j = Json::parse(NullNonFinite(ss.str()), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(path + ": not valid JSON");
  return j;
}

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

Result<std::vector<RunFile>> ReadRunFiles(const std::string& path) {
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
  std::vector<RunFile> files;
  for (const std::string& p : paths) {
    STRATA_ASSIGN_OR_RETURN(Json j, ParseFile(p));
    files.push_back(RunFile{p, std::move(j)});
  }
  return files;
}

Result<Subject> SubjectOfRunFile(const Json& j, std::vector<std::string>* notes) {
  if (!j.is_object() || !j.contains("strategy") || !j["strategy"].is_string() || !j.contains("summary") ||
      !j["summary"].is_object())
    return Status::InvalidArgument("not a strata run results file (no \"strategy\" and \"summary\")");
  Subject s;
  s.name = j["strategy"].get<std::string>();
  const Json& summary = j["summary"];
  // A loaded machine drifts between runs far more than within one: say so.
  if (const Json& ctx = j.contains("context") ? j["context"] : Json(); ctx.is_object()) {
    const double cpus = IsNumber(ctx, "cpus") ? Number(ctx["cpus"]) : 0;
    if (ctx.contains("load_avg") && ctx["load_avg"].is_array() && !ctx["load_avg"].empty() &&
        ctx["load_avg"][0].is_number() && cpus > 0 && ctx["load_avg"][0].get<double>() > cpus) {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "%s: the machine was loaded when the run started (load average %.1f on %.0f CPUs): timing "
                    "verdicts are unreliable",
                    s.name.c_str(), ctx["load_avg"][0].get<double>(), cpus);
      notes->push_back(buf);
    }
    if (IsNumber(ctx, "planted_slow_read_us") && Number(ctx["planted_slow_read_us"]) > 0)
      notes->push_back(s.name + ": made with STRATA_PLANT_SLOW_READ_US=" + ctx["planted_slow_read_us"].dump() +
                       " (every timed read slowed on purpose)");
  }
  const Json empty_array = Json::array();
  const Json& reps = j.contains("repetitions") && j["repetitions"].is_array() ? j["repetitions"] : empty_array;
  for (const Spec& spec : kRunSummary) {
    if (!IsNumber(summary, spec.key)) continue;
    Metric& m = Add(&s, spec.key, spec.unit, spec.kind, spec.better);
    if (spec.kind == MetricKind::kTiming && !reps.empty()) {
      for (const Json& r : reps)
        if (IsNumber(r, spec.key)) m.samples.push_back(Number(r[spec.key]));
    }
    if (m.samples.empty()) m.samples.push_back(Number(summary[spec.key]));
    if (spec.kind == MetricKind::kCounter) {
      std::set<double> seen;
      for (const Json& r : reps)
        if (IsNumber(r, spec.key)) seen.insert(Number(r[spec.key]));
      if (seen.size() > 1)
        notes->push_back(s.name + ": " + spec.key + " differs between repetitions (" + std::to_string(seen.size()) +
                         " values): not deterministic");
    }
  }
  // Commit latency: per repetition when each one records it.
  bool tx_per_rep = !reps.empty();
  for (const Json& r : reps) tx_per_rep = tx_per_rep && r.contains("tx_latency") && r["tx_latency"].is_object();
  auto add_tx = [&](const Json& lat) {
    for (const char* stat : kReadStats)
      if (IsNumber(lat, stat))
        Add(&s, std::string("tx ") + stat, "us", MetricKind::kTiming, Better::kLower).samples.push_back(Number(lat[stat]));
  };
  if (tx_per_rep) {
    for (const Json& r : reps) add_tx(r["tx_latency"]);
  } else if (j.contains("tx_latency") && j["tx_latency"].is_object()) {
    add_tx(j["tx_latency"]);
  }
  // Read latencies: per repetition when each one records its reads.
  bool per_rep = !reps.empty();
  for (const Json& r : reps) per_rep = per_rep && r.contains("reads") && r["reads"].is_object();
  if (per_rep) {
    for (const Json& r : reps)
      for (const auto& [name, lat] : r["reads"].items())
        for (const char* stat : kReadStats)
          if (IsNumber(lat, stat))
            Add(&s, "read " + name + " " + stat, "us", MetricKind::kTiming, Better::kLower)
                .samples.push_back(Number(lat[stat]));
  } else if (j.contains("reads") && j["reads"].is_object()) {
    for (const auto& [name, lat] : j["reads"].items())
      for (const char* stat : kReadStats)
        if (IsNumber(lat, stat))
          Add(&s, "read " + name + " " + stat, "us", MetricKind::kTiming, Better::kLower)
              .samples.push_back(Number(lat[stat]));
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
  STRATA_ASSIGN_OR_RETURN(std::vector<RunFile> files, ReadRunFiles(path));
  ResultSet set;
  set.source = path;
  for (const RunFile& f : files) {
    const bool benchmark = f.json.is_object() && f.json.contains("benchmarks");
    const std::string format = benchmark ? "google-benchmark" : "strata-run";
    if (!set.format.empty() && set.format != format)
      return Status::InvalidArgument(f.path + ": mixes Google Benchmark and strata run results");
    set.format = format;
    if (benchmark) {
      auto subjects = SubjectsOfBenchmarkFile(f.json, &set.notes);
      if (!subjects.ok()) return subjects.status().WithContext(f.path);
      for (Subject& s : *subjects) set.subjects.push_back(std::move(s));
    } else {
      auto subject = SubjectOfRunFile(f.json, &set.notes);
      if (!subject.ok()) return subject.status().WithContext(f.path);
      if (set.Find(subject->name) != nullptr)
        return Status::InvalidArgument(f.path + ": a second file for strategy " + subject->name);
      set.subjects.push_back(std::move(*subject));
    }
  }
  return set;
}

}  // namespace strata::reports
