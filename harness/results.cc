// The results model's writer and reader (see results.h).
//
// Each record's keys are listed once, in file order, in a table the writer
// and the reader both walk, so the two cannot drift apart.

#include "harness/results.h"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <variant>

namespace strata::harness {

namespace {

template <class R>
struct Field {
  const char* key;
  Member<R> member;
};

const Field<Context> kContextFields[] = {
    {"results_format", &Context::results_format},
    {"git_commit", &Context::git_commit},
    {"git_dirty", &Context::git_dirty},
    {"build_type", &Context::build_type},
    {"release", &Context::release},
    {"assertions", &Context::assertions},
    {"sanitizers", &Context::sanitizers},
    {"compiler", &Context::compiler},
    {"options", &Context::options},
    {"storage", &Context::storage},
    {"workload_options", &Context::workload_options},
    {"hostname", &Context::hostname},
    {"cpus", &Context::cpus},
    {"cpu_model", &Context::cpu_model},
    {"kernel", &Context::kernel},
    {"memory_bytes", &Context::memory_bytes},
    {"jemalloc", &Context::jemalloc},
    {"load_avg", &Context::load_avg},
    {"planted_slow_read_us", &Context::planted_slow_read_us},
    {"planted_slow_commit_pct", &Context::planted_slow_commit_pct},
    {"planted_slow_read_pct", &Context::planted_slow_read_pct},
    {"planted_slow_commit_cpu_pct", &Context::planted_slow_commit_cpu_pct},
    {"planted_slow_read_cpu_pct", &Context::planted_slow_read_cpu_pct},
    {"date", &Context::date},
    {"command", &Context::command},
};

const Field<Job> kJobFields[] = {
    {"job", &Job::job},
    {"strategy", &Job::strategy},
    {"basis_t", &Job::basis_t},
    {"db_datoms", &Job::db_datoms},
    {"novelty_datoms", &Job::novelty_datoms},
    {"novelty_bytes", &Job::novelty_bytes},
    {"segments_read", &Job::segments_read},
    {"segments_written", &Job::segments_written},
    {"bytes_read", &Job::bytes_read},
    {"bytes_written", &Job::bytes_written},
    {"directory_bytes_written", &Job::directory_bytes_written},
    {"datoms_rewritten", &Job::datoms_rewritten},
    {"datoms_written", &Job::datoms_written},
    {"segments_moved", &Job::segments_moved},
    {"levels_max", &Job::levels_max},
    {"max_read_sources", &Job::max_read_sources},
    {"wall_ms", &Job::wall_ms},
    {"cpu_ms", &Job::cpu_ms},
    {"storage_round_trips", &Job::storage_round_trips},
    {"storage_wait_ms", &Job::storage_wait_ms},
    {"peak_memory_bytes", &Job::peak_memory_bytes},
    {"value_filter_keys", &Job::value_filter_keys},
    {"value_filter_bytes", &Job::value_filter_bytes},
    {"plan", &Job::plan},
};

const Field<Summary> kSummaryFields[] = {
    {"datoms", &Summary::datoms},
    {"transactions", &Summary::transactions},
    {"reads", &Summary::reads},
    {"read_errors", &Summary::read_errors},
    {"import_s", &Summary::import_s},
    {"import_datoms_per_s", &Summary::import_datoms_per_s},
    {"final_index_ms", &Summary::final_index_ms},
    {"indexed_datoms_per_s", &Summary::indexed_datoms_per_s},
    {"jobs", &Summary::jobs},
    {"db_datoms", &Summary::db_datoms},
    {"novelty_bytes", &Summary::novelty_bytes},
    {"index_bytes_written", &Summary::index_bytes_written},
    {"index_bytes_read", &Summary::index_bytes_read},
    {"index_segments_written", &Summary::index_segments_written},
    {"datoms_rewritten", &Summary::datoms_rewritten},
    {"write_amplification", &Summary::write_amplification},
    {"log_bytes", &Summary::log_bytes},
    {"job_wall_ms", &Summary::job_wall_ms},
    {"job_cpu_ms", &Summary::job_cpu_ms},
    {"job_wall_ms_max", &Summary::job_wall_ms_max},
    {"job_storage_round_trips", &Summary::job_storage_round_trips},
    {"job_storage_wait_ms", &Summary::job_storage_wait_ms},
    {"max_read_sources", &Summary::max_read_sources},
    {"levels_max", &Summary::levels_max},
    {"backpressure_wait_ms", &Summary::backpressure_wait_ms},
    {"storage_bytes", &Summary::storage_bytes},
    {"segments_collected", &Summary::segments_collected},
    {"storage_live_bytes", &Summary::storage_live_bytes},
    {"storage_garbage_bytes", &Summary::storage_garbage_bytes},
    {"read_segments_per_point_read", &Summary::read_segments_per_point_read},
    {"read_bytes_per_point_read", &Summary::read_bytes_per_point_read},
    {"read_segments_per_range_scan", &Summary::read_segments_per_range_scan},
    {"read_bytes_per_range_scan", &Summary::read_bytes_per_range_scan},
    {"peak_rss_bytes", &Summary::peak_rss_bytes},
    {"peak_rss_reset", &Summary::peak_rss_reset},
    {"allocated_bytes", &Summary::allocated_bytes},
    {"active_bytes", &Summary::active_bytes},
    {"resident_bytes", &Summary::resident_bytes},
    {"mapped_bytes", &Summary::mapped_bytes},
    {"peak_allocated_bytes", &Summary::peak_allocated_bytes},
    {"interrupted", &Summary::interrupted},
};

// The histogram follows these (it is not a plain field).
const Field<Latency> kLatencyFields[] = {
    {"count", &Latency::count},   {"mean_us", &Latency::mean_us}, {"p10_us", &Latency::p10_us}, {"p50_us", &Latency::p50_us},
    {"p90_us", &Latency::p90_us}, {"p99_us", &Latency::p99_us},   {"p999_us", &Latency::p999_us},
    {"max_us", &Latency::max_us},
};

static_assert(std::size(kSummaryFields) <= 64 && std::size(kContextFields) <= 64 && std::size(kJobFields) <= 64,
              "the absent masks have 64 bits");

// ---- writing

template <class R, size_t N>
void PutFields(const R& r, const Field<R> (&fields)[N], Json* j) {
  for (size_t i = 0; i < N; ++i) {
    if ((r.absent >> i) & 1) continue;
    std::visit([&](auto m) { (*j)[fields[i].key] = r.*m; }, fields[i].member);
  }
}

Json LatencyJson(const Latency& l) {
  Json j = Json::object();
  PutFields(l, kLatencyFields, &j);
  if (l.histogram) j["histogram"] = l.histogram->ToJson();
  return j;
}

Json ReadsJson(const std::map<std::string, Latency>& reads) {
  Json j = Json::object();
  for (const auto& [name, l] : reads) j[name] = LatencyJson(l);
  return j;
}

Json SummaryJson(const Summary& s) {
  Json j = Json::object();
  PutFields(s, kSummaryFields, &j);
  return j;
}

// The timeline's columns, in file order (interval_ms comes first). The
// latency columns hold -1 for "none", null in the file.
struct Column {
  const char* key;
  std::variant<std::vector<uint64_t> Timeline::*, std::vector<double> Timeline::*> member;
  bool nulls = false;
};
const Column kTimelineColumns[] = {
    {"t_ms", &Timeline::t_ms},
    {"transactions", &Timeline::transactions},
    {"datoms", &Timeline::datoms},
    {"jobs", &Timeline::jobs},
    {"memory_index_bytes", &Timeline::memory_index_bytes},
    {"allocated_bytes", &Timeline::allocated_bytes},
    {"resident_bytes", &Timeline::resident_bytes},
    {"segment_cache_bytes", &Timeline::segment_cache_bytes},
    {"tx_p50_us", &Timeline::tx_p50_us, true},
    {"tx_p99_us", &Timeline::tx_p99_us, true},
    {"tx_max_us", &Timeline::tx_max_us, true},
    {"storage_live_bytes", &Timeline::storage_live_bytes, true},
    {"storage_garbage_bytes", &Timeline::storage_garbage_bytes, true},
};

Json TimelineJson(const Timeline& t) {
  Json j = Json::object();
  j["interval_ms"] = t.interval_ms;
  for (const Column& c : kTimelineColumns) {
    std::visit(
        [&](auto m) {
          if ((t.*m).empty() && !t.t_ms.empty()) return;  // a column the file lacked stays absent
          Json a = Json::array();
          for (auto x : t.*m) {
            if constexpr (std::is_signed_v<decltype(x)>) {
              if (c.nulls && x < 0) {
                a.push_back(nullptr);
                continue;
              }
            }
            a.push_back(x);
          }
          j[c.key] = std::move(a);
        },
        c.member);
  }
  return j;
}

// ---- reading

std::string TypeName(const Json& v) { return v.type_name(); }

Status WrongType(const std::string& key, const char* expected, const Json& v) {
  return Status::InvalidArgument(key + ": expected " + expected + ", got " + TypeName(v));
}

template <class N>
  requires std::is_arithmetic_v<N> && (!std::is_same_v<N, bool>)
Status Get(const Json& v, const std::string& key, N* out) {
  if (!v.is_number()) return WrongType(key, "a number", v);
  *out = v.get<N>();
  return Status::OK();
}
Status Get(const Json& v, const std::string& key, bool* out) {
  if (!v.is_boolean()) return WrongType(key, "true or false", v);
  *out = v.get<bool>();
  return Status::OK();
}
Status Get(const Json& v, const std::string& key, std::string* out) {
  if (!v.is_string()) return WrongType(key, "a string", v);
  *out = v.get<std::string>();
  return Status::OK();
}
// A column: numbers, or (with `nulls`) null for "none", read as -1.
template <class N>
Status Get(const Json& v, const std::string& key, std::vector<N>* out, bool nulls = false) {
  if (!v.is_array()) return WrongType(key, "an array", v);
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (nulls && v[i].is_null()) {
      out->push_back(-1);
      continue;
    }
    if (!v[i].is_number()) return WrongType(key + "[" + std::to_string(i) + "]", "a number", v[i]);
    out->push_back(v[i].get<N>());
  }
  return Status::OK();
}

std::string Path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

Status ExpectObject(const Json& j, const std::string& path) {
  return j.is_object() ? Status::OK() : WrongType(path, "an object", j);
}

template <class R, size_t N>
Status GetFields(const Json& j, const std::string& path, const Field<R> (&fields)[N], R* r) {
  STRATA_RETURN_IF_ERROR(ExpectObject(j, path));
  r->absent = 0;
  for (size_t i = 0; i < N; ++i) {
    auto it = j.find(fields[i].key);
    if (it == j.end() || it->is_null()) {
      r->absent |= uint64_t{1} << i;
      continue;
    }
    STRATA_RETURN_IF_ERROR(
        std::visit([&](auto m) { return Get(*it, Path(path, fields[i].key), &(r->*m)); }, fields[i].member));
  }
  return Status::OK();
}

Result<Latency> ReadLatency(const Json& j, const std::string& path) {
  Latency l;
  STRATA_RETURN_IF_ERROR(GetFields(j, path, kLatencyFields, &l));
  if (auto it = j.find("histogram"); it != j.end() && !it->is_null()) {
    auto h = Histogram::FromJson(*it);
    if (!h.ok()) return Status::InvalidArgument(Path(path, "histogram") + ": " + h.status().message());
    l.histogram = std::move(*h);
  }
  return l;
}

Result<std::map<std::string, Latency>> ReadReads(const Json& j, const std::string& path) {
  STRATA_RETURN_IF_ERROR(ExpectObject(j, path));
  std::map<std::string, Latency> reads;
  for (const auto& [name, lat] : j.items()) {
    STRATA_ASSIGN_OR_RETURN(reads[name], ReadLatency(lat, Path(path, name)));
  }
  return reads;
}

Result<Timeline> ReadTimeline(const Json& j) {
  const std::string path = "timeline";
  STRATA_RETURN_IF_ERROR(ExpectObject(j, path));
  Timeline t;
  if (auto it = j.find("interval_ms"); it != j.end() && !it->is_null())
    STRATA_RETURN_IF_ERROR(Get(*it, Path(path, "interval_ms"), &t.interval_ms));
  for (const Column& c : kTimelineColumns) {
    auto it = j.find(c.key);
    if (it == j.end() || it->is_null()) continue;
    STRATA_RETURN_IF_ERROR(std::visit([&](auto m) { return Get(*it, Path(path, c.key), &(t.*m), c.nulls); }, c.member));
  }
  return t;
}

// j[key] when present and not null.
const Json* Find(const Json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

template <class R, size_t N>
int IndexOf(const Field<R> (&fields)[N], const Member<R>& m) {
  for (size_t i = 0; i < N; ++i)
    if (fields[i].member == m) return static_cast<int>(i);
  return -1;
}

template <class R, size_t N>
bool IsRecorded(const R& r, const Field<R> (&fields)[N], const Member<R>& m) {
  const int i = IndexOf(fields, m);
  return i >= 0 && ((r.absent >> i) & 1) == 0;
}

template <class R, size_t N>
std::optional<double> FigureOf(const R& r, const Field<R> (&fields)[N], const Member<R>& m) {
  if (!IsRecorded(r, fields, m)) return std::nullopt;
  return std::visit(
      [&](auto p) -> std::optional<double> {
        using V = std::decay_t<decltype(r.*p)>;
        if constexpr (std::is_arithmetic_v<V>) return static_cast<double>(r.*p);
        else return std::nullopt;
      },
      m);
}

// In a repetition the key "reads" holds the read latencies, in the place of
// the summary's count (the writer has always put them there); the count is
// their sum.
const uint64_t kReadsBit = uint64_t{1} << IndexOf(kSummaryFields, Member<Summary>(&Summary::reads));

Json RepetitionJson(const Repetition& r) {
  Summary summary = r.summary;
  if (r.reads) summary.absent &= ~kReadsBit;  // keeps the key's place
  Json j = SummaryJson(summary);
  if (r.reads) j["reads"] = ReadsJson(*r.reads);
  if (r.tx_latency) j["tx_latency"] = LatencyJson(*r.tx_latency);
  if (r.reads_cpu) j["reads_cpu"] = ReadsJson(*r.reads_cpu);
  if (r.tx_cpu) j["tx_cpu"] = LatencyJson(*r.tx_cpu);
  return j;
}

Result<Repetition> ReadRepetition(const Json& j, const std::string& path) {
  Repetition r;
  const Json* reads = j.is_object() ? Find(j, "reads") : nullptr;
  if (reads != nullptr && reads->is_object()) {
    Json summary = j;
    summary.erase("reads");
    STRATA_RETURN_IF_ERROR(GetFields(summary, path, kSummaryFields, &r.summary));
    STRATA_ASSIGN_OR_RETURN(r.reads, ReadReads(*reads, path + ".reads"));
    r.summary.reads = 0;
    for (const auto& [name, l] : *r.reads) r.summary.reads += l.count;
    r.summary.absent &= ~kReadsBit;
  } else {
    STRATA_RETURN_IF_ERROR(GetFields(j, path, kSummaryFields, &r.summary));
  }
  if (const Json* tx = Find(j, "tx_latency")) {
    STRATA_ASSIGN_OR_RETURN(r.tx_latency, ReadLatency(*tx, path + ".tx_latency"));
  }
  if (const Json* v = Find(j, "reads_cpu")) {
    STRATA_ASSIGN_OR_RETURN(r.reads_cpu, ReadReads(*v, path + ".reads_cpu"));
  }
  if (const Json* v = Find(j, "tx_cpu")) {
    STRATA_ASSIGN_OR_RETURN(r.tx_cpu, ReadLatency(*v, path + ".tx_cpu"));
  }
  return r;
}

}  // namespace

bool Recorded(const Context& c, Member<Context> m) { return IsRecorded(c, kContextFields, m); }
bool Recorded(const Job& j, Member<Job> m) { return IsRecorded(j, kJobFields, m); }
bool Recorded(const Summary& s, Member<Summary> m) { return IsRecorded(s, kSummaryFields, m); }
bool Recorded(const Latency& l, Member<Latency> m) { return IsRecorded(l, kLatencyFields, m); }
std::optional<double> Figure(const Job& j, Member<Job> m) { return FigureOf(j, kJobFields, m); }
std::optional<double> Figure(const Summary& s, Member<Summary> m) { return FigureOf(s, kSummaryFields, m); }
std::optional<double> Figure(const Latency& l, Member<Latency> m) { return FigureOf(l, kLatencyFields, m); }

Latency Latency::Of(const Histogram& h) {
  auto us = [&](double p) { return static_cast<double>(h.ValueAtPercentile(p)) / 1e3; };
  Latency l;
  l.count = h.count();
  l.mean_us = h.mean() / 1e3;
  l.p10_us = us(10);
  l.p50_us = us(50);
  l.p90_us = us(90);
  l.p99_us = us(99);
  l.p999_us = us(99.9);
  l.max_us = static_cast<double>(h.max()) / 1e3;
  l.histogram = h;
  return l;
}

Json ToJson(const Job& job) {
  Json j = Json::object();
  PutFields(job, kJobFields, &j);
  return j;
}

Json ToJson(const ResultsFile& f) {
  Json context = Json::object();
  PutFields(f.context, kContextFields, &context);
  Json jobs = Json::array();
  for (const Job& m : f.jobs) jobs.push_back(ToJson(m));
  Json j{{"format", f.format}, {"context", std::move(context)}, {"strategy", f.strategy},
         {"workload", f.workload}, {"scale", f.scale}, {"seed", f.seed}};
  if (f.median_repetition) j["median_repetition"] = *f.median_repetition;
  j["jobs"] = std::move(jobs);
  j["summary"] = SummaryJson(f.summary);
  j["reads"] = ReadsJson(f.reads);
  if (f.tx_latency) j["tx_latency"] = LatencyJson(*f.tx_latency);
  if (!f.reads_cpu.empty()) j["reads_cpu"] = ReadsJson(f.reads_cpu);
  if (f.tx_cpu) j["tx_cpu"] = LatencyJson(*f.tx_cpu);
  if (f.timeline) j["timeline"] = TimelineJson(*f.timeline);
  Json reps = Json::array();
  for (const Repetition& r : f.repetitions) reps.push_back(RepetitionJson(r));
  j["repetitions"] = std::move(reps);
  return j;
}

Result<ResultsFile> ResultsFromJson(const Json& j) {
  if (!j.is_object() || Find(j, "strategy") == nullptr || Find(j, "summary") == nullptr)
    return Status::InvalidArgument("not a strata run results file (no \"strategy\" and \"summary\")");
  ResultsFile f;
  if (const Json* v = Find(j, "format")) STRATA_RETURN_IF_ERROR(Get(*v, "format", &f.format));
  if (f.format != kResultsFormat)
    return Status::InvalidArgument("format: " + std::to_string(f.format) + ", this build reads format " +
                                   std::to_string(kResultsFormat));
  if (const Json* v = Find(j, "context")) STRATA_RETURN_IF_ERROR(GetFields(*v, "context", kContextFields, &f.context));
  STRATA_RETURN_IF_ERROR(Get(j["strategy"], "strategy", &f.strategy));
  if (const Json* v = Find(j, "workload")) STRATA_RETURN_IF_ERROR(Get(*v, "workload", &f.workload));
  if (const Json* v = Find(j, "scale")) STRATA_RETURN_IF_ERROR(Get(*v, "scale", &f.scale));
  if (const Json* v = Find(j, "seed")) STRATA_RETURN_IF_ERROR(Get(*v, "seed", &f.seed));
  if (const Json* v = Find(j, "median_repetition")) {
    uint64_t m = 0;
    STRATA_RETURN_IF_ERROR(Get(*v, "median_repetition", &m));
    f.median_repetition = m;
  }
  if (const Json* v = Find(j, "jobs")) {
    if (!v->is_array()) return WrongType("jobs", "an array", *v);
    for (size_t i = 0; i < v->size(); ++i)
      STRATA_RETURN_IF_ERROR(GetFields((*v)[i], "jobs[" + std::to_string(i) + "]", kJobFields, &f.jobs.emplace_back()));
  }
  STRATA_RETURN_IF_ERROR(GetFields(j["summary"], "summary", kSummaryFields, &f.summary));
  if (const Json* v = Find(j, "reads")) {
    STRATA_ASSIGN_OR_RETURN(f.reads, ReadReads(*v, "reads"));
  }
  if (const Json* v = Find(j, "tx_latency")) {
    STRATA_ASSIGN_OR_RETURN(f.tx_latency, ReadLatency(*v, "tx_latency"));
  }
  if (const Json* v = Find(j, "reads_cpu")) {
    STRATA_ASSIGN_OR_RETURN(f.reads_cpu, ReadReads(*v, "reads_cpu"));
  }
  if (const Json* v = Find(j, "tx_cpu")) {
    STRATA_ASSIGN_OR_RETURN(f.tx_cpu, ReadLatency(*v, "tx_cpu"));
  }
  if (const Json* v = Find(j, "timeline")) {
    STRATA_ASSIGN_OR_RETURN(f.timeline, ReadTimeline(*v));
  }
  if (const Json* v = Find(j, "repetitions")) {
    if (!v->is_array()) return WrongType("repetitions", "an array", *v);
    for (size_t i = 0; i < v->size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(Repetition r, ReadRepetition((*v)[i], "repetitions[" + std::to_string(i) + "]"));
      f.repetitions.push_back(std::move(r));
    }
  }
  return f;
}

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

Result<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) j = Json::parse(NullNonFinite(ss.str()), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(path + ": not valid JSON");
  return j;
}

Result<ResultsFile> ReadResultsFile(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  auto f = ResultsFromJson(j);
  if (!f.ok()) return f.status().WithContext(path);
  return f;
}

Status WriteJsonFile(const std::string& path, const Json& j) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    out.flush();
    if (!out) return Status::IOError("writing " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError("renaming " + tmp + " to " + path);
  return Status::OK();
}

Status WriteResultsFile(const std::string& path, const ResultsFile& f) { return WriteJsonFile(path, ToJson(f)); }

std::string UtcNow(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  return std::strftime(buf, sizeof buf, format, &tm) > 0 ? buf : "";
}

}  // namespace strata::harness
