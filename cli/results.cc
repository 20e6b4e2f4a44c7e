// Results files of `strata run` (see results.h).

#include "cli/results.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

#include "cli/process_stats.h"

#ifndef STRATA_BUILD_TYPE
#define STRATA_BUILD_TYPE "unknown"
#endif
#ifndef STRATA_SOURCE_DIR
#define STRATA_SOURCE_DIR "."
#endif

namespace strata::cli {

namespace {

// The first line a shell command prints, or "" when it fails.
std::string CommandLine1(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  char buf[256];
  std::string out;
  if (std::fgets(buf, sizeof buf, p) != nullptr) out = buf;
  const int rc = pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return rc == 0 ? out : "";
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "";
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string HumanBytes(double b) {
  char buf[32];
  if (b >= 1 << 30) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1 << 30));
  else if (b >= 1 << 20) std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1 << 20));
  else if (b >= 1 << 10) std::snprintf(buf, sizeof buf, "%.1f KiB", b / (1 << 10));
  else std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

// "812 µs", "3.4 ms", "-" when the histogram is empty.
std::string HumanNs(const Histogram& h, double percentile) {
  if (h.count() == 0) return "-";
  const double ns = static_cast<double>(h.ValueAtPercentile(percentile));
  char buf[32];
  if (ns >= 1e9) std::snprintf(buf, sizeof buf, "%.2f s", ns / 1e9);
  else if (ns >= 1e6) std::snprintf(buf, sizeof buf, "%.1f ms", ns / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0f us", ns / 1e3);
  return buf;
}

// Mean bytes written per job over jobs [first, first + n).
double MeanBytes(const std::vector<JobMetrics>& jobs, size_t first, size_t n) {
  if (n == 0) return 0;
  double sum = 0;
  for (size_t i = first; i < first + n; ++i) sum += static_cast<double>(jobs[i].bytes_written);
  return sum / static_cast<double>(n);
}

}  // namespace

bool RunContext::release() const {
  return !assertions && sanitizers.empty() && (build_type == "Release" || build_type == "RelWithDebInfo");
}

RunContext CollectContext(const std::string& command) {
  RunContext c;
  const std::string git = std::string("git -C '") + STRATA_SOURCE_DIR + "' ";
  c.git_commit = CommandLine1(git + "rev-parse HEAD 2>/dev/null");
  if (!c.git_commit.empty())
    c.git_dirty = !CommandLine1(git + "status --porcelain --untracked-files=no 2>/dev/null").empty();
  c.build_type = STRATA_BUILD_TYPE;
#ifdef NDEBUG
  c.assertions = false;
#endif
#if defined(__SANITIZE_ADDRESS__)
  c.sanitizers = "address";
#elif defined(__SANITIZE_THREAD__)
  c.sanitizers = "thread";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  c.sanitizers = "address";
#elif __has_feature(thread_sanitizer)
  c.sanitizers = "thread";
#endif
#endif
#if defined(__clang__)
  c.compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  c.compiler = std::string("gcc ") + __VERSION__;
#else
  c.compiler = "unknown";
#endif
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) c.hostname = host;
  c.cpu_model = CpuModel();
  utsname u{};
  if (uname(&u) == 0) c.kernel = std::string(u.sysname) + " " + u.release;
  c.cpus = std::thread::hardware_concurrency();
  c.date = UtcNow();
  c.command = command;
  c.jemalloc = JemallocVersion();
  if (const char* plant = std::getenv("STRATA_PLANT_SLOW_READ_US"); plant != nullptr && *plant != '\0')
    c.planted_slow_read_us = std::strtoull(plant, nullptr, 10);
  const LoadAverage load = ReadLoadAverage();
  c.load_avg[0] = load.m1;
  c.load_avg[1] = load.m5;
  c.load_avg[2] = load.m15;
  return c;
}

Json LatencyToJson(const Histogram& h) {
  auto us = [&](double p) { return static_cast<double>(h.ValueAtPercentile(p)) / 1e3; };
  return Json{{"count", h.count()},
              {"mean_us", h.mean() / 1e3},
              {"p50_us", us(50)},
              {"p90_us", us(90)},
              {"p99_us", us(99)},
              {"p999_us", us(99.9)},
              {"max_us", static_cast<double>(h.max()) / 1e3},
              {"histogram", h.ToJson()}};
}

Json TimelineToJson(const Timeline& t) {
  auto latency = [](const std::vector<double>& v) {
    Json a = Json::array();
    for (double x : v) a.push_back(x < 0 ? Json(nullptr) : Json(x));
    return a;
  };
  return Json{{"interval_ms", t.interval_ms},
              {"t_ms", t.t_ms},
              {"transactions", t.transactions},
              {"datoms", t.datoms},
              {"jobs", t.jobs},
              {"memory_index_bytes", t.memory_index_bytes},
              {"allocated_bytes", t.allocated_bytes},
              {"tx_p50_us", latency(t.tx_p50_us)},
              {"tx_p99_us", latency(t.tx_p99_us)},
              {"tx_max_us", latency(t.tx_max_us)}};
}

void RunSummary::AddJobs(const std::vector<JobMetrics>& all) {
  jobs = all.size();
  novelty_bytes = index_bytes_written = index_bytes_read = index_segments_written = datoms_rewritten = 0;
  job_wall_ms = job_cpu_ms = job_wall_ms_max = job_storage_wait_ms = 0;
  job_storage_round_trips = 0;
  max_read_sources = levels_max = 0;
  for (const JobMetrics& m : all) {
    novelty_bytes += m.novelty_bytes;
    index_bytes_written += m.bytes_written;
    index_bytes_read += m.bytes_read;
    index_segments_written += m.segments_written;
    datoms_rewritten += m.datoms_rewritten;
    job_wall_ms += m.wall_ms;
    job_cpu_ms += m.cpu_ms;
    job_storage_round_trips += m.storage_round_trips;
    job_storage_wait_ms += m.storage_wait_ms;
    job_wall_ms_max = std::max(job_wall_ms_max, m.wall_ms);
    max_read_sources = std::max(max_read_sources, m.max_read_sources);
  }
  if (!all.empty()) {
    db_datoms = all.back().db_datoms;
    levels_max = all.back().levels_max;
  }
  write_amplification =
      novelty_bytes > 0 ? static_cast<double>(index_bytes_written) / static_cast<double>(novelty_bytes) : 0;
}

Json JobToJson(const JobMetrics& m) {
  return Json{{"job", m.job},
              {"strategy", m.strategy},
              {"basis_t", m.basis_t},
              {"db_datoms", m.db_datoms},
              {"novelty_datoms", m.novelty_datoms},
              {"novelty_bytes", m.novelty_bytes},
              {"segments_read", m.segments_read},
              {"segments_written", m.segments_written},
              {"bytes_read", m.bytes_read},
              {"bytes_written", m.bytes_written},
              {"directory_bytes_written", m.directory_bytes_written},
              {"datoms_rewritten", m.datoms_rewritten},
              {"datoms_written", m.datoms_written},
              {"segments_moved", m.segments_moved},
              {"levels_max", m.levels_max},
              {"max_read_sources", m.max_read_sources},
              {"wall_ms", m.wall_ms},
              {"cpu_ms", m.cpu_ms},
              {"storage_round_trips", m.storage_round_trips},
              {"storage_wait_ms", m.storage_wait_ms},
              {"peak_memory_bytes", m.peak_memory_bytes},
              {"plan", m.plan}};
}

edn::Node JobToEdn(const JobMetrics& m) {
  using edn::Node;
  auto n = [](uint64_t v) { return Node::Long(static_cast<int64_t>(v)); };
  return Node::Map({Node::Keyword("job"), n(m.job),
                    Node::Keyword("strategy"), Node::String(m.strategy),
                    Node::Keyword("basis-t"), n(m.basis_t),
                    Node::Keyword("db-datoms"), n(m.db_datoms),
                    Node::Keyword("novelty-datoms"), n(m.novelty_datoms),
                    Node::Keyword("novelty-bytes"), n(m.novelty_bytes),
                    Node::Keyword("segments-read"), n(m.segments_read),
                    Node::Keyword("segments-written"), n(m.segments_written),
                    Node::Keyword("bytes-read"), n(m.bytes_read),
                    Node::Keyword("bytes-written"), n(m.bytes_written),
                    Node::Keyword("datoms-rewritten"), n(m.datoms_rewritten),
                    Node::Keyword("datoms-written"), n(m.datoms_written),
                    Node::Keyword("segments-moved"), n(m.segments_moved),
                    Node::Keyword("levels-max"), n(m.levels_max),
                    Node::Keyword("max-read-sources"), n(m.max_read_sources),
                    Node::Keyword("wall-ms"), Node::Double(m.wall_ms),
                    Node::Keyword("cpu-ms"), Node::Double(m.cpu_ms),
                    Node::Keyword("storage-round-trips"), n(m.storage_round_trips),
                    Node::Keyword("storage-wait-ms"), Node::Double(m.storage_wait_ms),
                    Node::Keyword("peak-memory-bytes"), n(m.peak_memory_bytes),
                    Node::Keyword("plan"), Node::String(m.plan)});
}

Json SummaryToJson(const RunSummary& s) {
  return Json{{"datoms", s.datoms},
              {"transactions", s.transactions},
              {"reads", s.reads},
              {"read_errors", s.read_errors},
              {"import_s", s.import_s},
              {"import_datoms_per_s", s.import_datoms_per_s},
              {"final_index_ms", s.final_index_ms},
              {"indexed_datoms_per_s", s.indexed_datoms_per_s},
              {"jobs", s.jobs},
              {"db_datoms", s.db_datoms},
              {"novelty_bytes", s.novelty_bytes},
              {"index_bytes_written", s.index_bytes_written},
              {"index_bytes_read", s.index_bytes_read},
              {"index_segments_written", s.index_segments_written},
              {"datoms_rewritten", s.datoms_rewritten},
              {"write_amplification", s.write_amplification},
              {"log_bytes", s.log_bytes},
              {"job_wall_ms", s.job_wall_ms},
              {"job_cpu_ms", s.job_cpu_ms},
              {"job_wall_ms_max", s.job_wall_ms_max},
              {"job_storage_round_trips", s.job_storage_round_trips},
              {"job_storage_wait_ms", s.job_storage_wait_ms},
              {"max_read_sources", s.max_read_sources},
              {"levels_max", s.levels_max},
              {"backpressure_wait_ms", s.backpressure_wait_ms},
              {"storage_bytes", s.storage_bytes},
              {"segments_collected", s.segments_collected},
              {"peak_rss_bytes", s.peak_rss_bytes},
              {"peak_rss_reset", s.peak_rss_reset},
              {"allocated_bytes", s.allocated_bytes},
              {"active_bytes", s.active_bytes},
              {"resident_bytes", s.resident_bytes},
              {"mapped_bytes", s.mapped_bytes},
              {"peak_allocated_bytes", s.peak_allocated_bytes},
              {"interrupted", s.interrupted}};
}

namespace {

Json ReadsToJson(const RunResult& r) {
  Json reads = Json::object();
  for (const auto& [name, h] : r.reads) reads[name] = LatencyToJson(h);
  return reads;
}

}  // namespace

Json ResultToJson(const RunContext& c, const std::vector<RunResult>& repetitions, size_t median) {
  const RunResult& r = repetitions.at(median);
  Json context{{"results_format", kResultsFormat},
               {"git_commit", c.git_commit},
               {"git_dirty", c.git_dirty},
               {"build_type", c.build_type},
               {"release", c.release()},
               {"assertions", c.assertions},
               {"sanitizers", c.sanitizers},
               {"compiler", c.compiler},
               {"options", r.options},
               {"storage", r.storage},
               {"workload_options", r.workload_options},
               {"hostname", c.hostname},
               {"cpus", c.cpus},
               {"cpu_model", c.cpu_model},
               {"kernel", c.kernel},
               {"jemalloc", c.jemalloc},
               {"load_avg", Json::array({c.load_avg[0], c.load_avg[1], c.load_avg[2]})},
               {"planted_slow_read_us", c.planted_slow_read_us},
               {"date", c.date},
               {"command", c.command}};
  Json jobs = Json::array();
  for (const JobMetrics& m : r.jobs) jobs.push_back(JobToJson(m));
  Json reps = Json::array();
  for (const RunResult& rep : repetitions) {
    Json s = SummaryToJson(rep.summary);
    s["reads"] = ReadsToJson(rep);
    s["tx_latency"] = LatencyToJson(rep.tx_latency);
    reps.push_back(std::move(s));
  }
  return Json{{"format", kResultsFormat},
              {"context", std::move(context)},
              {"strategy", r.strategy},
              {"workload", r.workload},
              {"scale", r.scale},
              {"seed", r.seed},
              {"median_repetition", median},
              {"jobs", std::move(jobs)},
              {"summary", SummaryToJson(r.summary)},
              {"reads", ReadsToJson(r)},
              {"tx_latency", LatencyToJson(r.tx_latency)},
              {"timeline", TimelineToJson(r.timeline)},
              {"repetitions", std::move(reps)}};
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

void PrintSummaryTable(const std::vector<RunResult>& results) {
  std::printf("%-14s %5s %10s %12s %12s %9s %8s %10s %10s %23s\n", "strategy", "jobs", "datoms", "import d/s",
              "idx written", "write amp", "max srcs", "tx p99", "read p99", "job bytes Q1 -> Q4");
  for (const RunResult& r : results) {
    const RunSummary& s = r.summary;
    // Quarters of the jobs the workload caused (the final IndexNow's novelty
    // is a remainder, not a full job's worth).
    const size_t n = r.jobs.size() > r.final_jobs && r.jobs.size() - r.final_jobs >= 4 ? r.jobs.size() - r.final_jobs
                                                                                       : r.jobs.size();
    const size_t q = n >= 4 ? n / 4 : n > 0 ? 1 : 0;
    std::string quarters = "-";
    if (q > 0) quarters = HumanBytes(MeanBytes(r.jobs, 0, q)) + " -> " + HumanBytes(MeanBytes(r.jobs, n - q, q));
    Histogram reads;  // every read name together
    for (const auto& [name, h] : r.reads) reads.Merge(h);
    std::printf("%-14s %5llu %10llu %12.0f %12s %9.2f %8llu %10s %10s %23s%s\n", r.strategy.c_str(),
                static_cast<unsigned long long>(s.jobs), static_cast<unsigned long long>(s.datoms),
                s.import_datoms_per_s, HumanBytes(static_cast<double>(s.index_bytes_written)).c_str(),
                s.write_amplification, static_cast<unsigned long long>(s.max_read_sources),
                HumanNs(r.tx_latency, 99).c_str(), HumanNs(reads, 99).c_str(), quarters.c_str(),
                s.interrupted ? "  (interrupted)" : "");
  }
  std::fflush(stdout);
}

}  // namespace strata::cli
