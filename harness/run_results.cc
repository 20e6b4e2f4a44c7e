// From what a run measured to the results model (see run.h).

#include <algorithm>

#include "harness/run.h"

namespace strata::harness {

namespace {

std::map<std::string, Latency> Latencies(const std::map<std::string, Histogram>& reads) {
  std::map<std::string, Latency> out;
  for (const auto& [name, h] : reads) out[name] = Latency::Of(h);
  return out;
}

}  // namespace

Job JobOf(const JobMetrics& m) {
  Job j;
  j.job = m.job;
  j.strategy = m.strategy;
  j.basis_t = m.basis_t;
  j.db_datoms = m.db_datoms;
  j.novelty_datoms = m.novelty_datoms;
  j.novelty_bytes = m.novelty_bytes;
  j.segments_read = m.segments_read;
  j.segments_written = m.segments_written;
  j.bytes_read = m.bytes_read;
  j.bytes_written = m.bytes_written;
  j.directory_bytes_written = m.directory_bytes_written;
  j.datoms_rewritten = m.datoms_rewritten;
  j.datoms_written = m.datoms_written;
  j.segments_moved = m.segments_moved;
  j.levels_max = m.levels_max;
  j.max_read_sources = m.max_read_sources;
  j.wall_ms = m.wall_ms;
  j.cpu_ms = m.cpu_ms;
  j.storage_round_trips = m.storage_round_trips;
  j.storage_wait_ms = m.storage_wait_ms;
  j.peak_memory_bytes = m.peak_memory_bytes;
  j.value_filter_keys = m.value_filter_keys;
  j.value_filter_bytes = m.value_filter_bytes;
  j.plan = m.plan;
  return j;
}

void AddJobs(const std::vector<JobMetrics>& all, Summary* s) {
  s->jobs = all.size();
  s->novelty_bytes = s->index_bytes_written = s->index_bytes_read = s->index_segments_written = 0;
  s->datoms_rewritten = 0;
  s->job_wall_ms = s->job_cpu_ms = s->job_wall_ms_max = s->job_storage_wait_ms = 0;
  s->job_storage_round_trips = 0;
  s->max_read_sources = s->levels_max = 0;
  for (const JobMetrics& m : all) {
    s->novelty_bytes += m.novelty_bytes;
    s->index_bytes_written += m.bytes_written;
    s->index_bytes_read += m.bytes_read;
    s->index_segments_written += m.segments_written;
    s->datoms_rewritten += m.datoms_rewritten;
    s->job_wall_ms += m.wall_ms;
    s->job_cpu_ms += m.cpu_ms;
    s->job_storage_round_trips += m.storage_round_trips;
    s->job_storage_wait_ms += m.storage_wait_ms;
    s->job_wall_ms_max = std::max(s->job_wall_ms_max, m.wall_ms);
    s->max_read_sources = std::max(s->max_read_sources, m.max_read_sources);
  }
  if (!all.empty()) {
    s->db_datoms = all.back().db_datoms;
    s->levels_max = all.back().levels_max;
  }
  s->write_amplification = s->novelty_bytes > 0 ? static_cast<double>(s->index_bytes_written) /
                                                       static_cast<double>(s->novelty_bytes)
                                                 : 0;
}

size_t MedianRepetition(const std::vector<RunResult>& reps) {
  std::vector<size_t> order(reps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return reps[a].summary.import_s < reps[b].summary.import_s; });
  return order[(order.size() - 1) / 2];
}

ResultsFile MakeResultsFile(const Context& context, const workloads::WorkloadOptions& workload,
                            const std::vector<RunResult>& repetitions, size_t median) {
  const RunResult& r = repetitions.at(median);
  ResultsFile f;
  f.context = context;
  f.context.options = r.options;
  f.context.storage = r.storage;
  f.context.workload_options = workload.ToString();
  f.strategy = r.strategy;
  f.workload = workload.name;
  f.scale = workload.scale;
  f.seed = workload.seed;
  f.median_repetition = median;
  for (const JobMetrics& m : r.jobs) f.jobs.push_back(JobOf(m));
  f.summary = r.summary;
  f.reads = Latencies(r.reads);
  f.tx_latency = Latency::Of(r.tx_latency);
  f.reads_cpu = Latencies(r.reads_cpu);
  f.tx_cpu = Latency::Of(r.tx_cpu);
  f.timeline = r.timeline;
  for (const RunResult& rep : repetitions)
    f.repetitions.push_back(Repetition{rep.summary, Latencies(rep.reads), Latency::Of(rep.tx_latency),
                                       Latencies(rep.reads_cpu), Latency::Of(rep.tx_cpu)});
  return f;
}

}  // namespace strata::harness
