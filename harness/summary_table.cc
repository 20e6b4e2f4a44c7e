// The end-of-run table of `strata run` (see run.h).

#include <cstdio>

#include "harness/run.h"

namespace strata::harness {

namespace {

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

void PrintSummaryTable(const std::vector<RunResult>& results) {
  std::printf("%-14s %5s %10s %12s %12s %9s %8s %10s %10s %23s\n", "strategy", "jobs", "datoms", "import d/s",
              "idx written", "write amp", "max srcs", "tx p99", "read p99", "job bytes Q1 -> Q4");
  for (const RunResult& r : results) {
    const Summary& s = r.summary;
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

}  // namespace strata::harness
