// The run sampler (see sampler.h).

#include "strata/connection.h"
#include "sampler.h"

#include <algorithm>

#include "process_stats.h"

namespace strata::harness {

RunSampler::RunSampler(const Connection& conn, Clock::time_point start, Timeline* timeline, bool thread)
    : conn_(conn), start_(start), timeline_(timeline), next_row_(start) {
  if (thread) {
    thread_ = std::thread([this] { Loop(); });
  } else {
    std::lock_guard l(mu_);
    Row(start);
  }
}

void RunSampler::RecordCommit(Clock::duration d) {
  std::lock_guard l(mu_);
  interval_.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
}

uint64_t RunSampler::Stop() {
  {
    std::lock_guard l(mu_);
    if (stop_) return peak_;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard l(mu_);
  Row(Clock::now());
  return peak_;
}

void RunSampler::Loop() {
  std::unique_lock l(mu_);
  while (!stop_) {
    const JemallocStats m = ReadJemallocStats();
    if (m.ok) {
      peak_ = std::max(peak_, m.allocated);
      allocated_ = m.allocated;
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_row_) {
      Row(now);
      next_row_ += std::chrono::milliseconds(timeline_->interval_ms);
      if (next_row_ < now) next_row_ = now + std::chrono::milliseconds(timeline_->interval_ms);  // fell behind
    }
    cv_.wait_for(l, std::chrono::milliseconds(5));
  }
}

void RunSampler::Row(Clock::time_point now) {
  const ConnectionStats cs = conn_.stats();
  Timeline& t = *timeline_;
  t.t_ms.push_back(std::chrono::duration<double, std::milli>(now - start_).count());
  t.transactions.push_back(cs.transactions);
  t.datoms.push_back(cs.datoms);
  t.jobs.push_back(cs.jobs);
  t.memory_index_bytes.push_back(conn_.db().memory_index_bytes());
  t.allocated_bytes.push_back(allocated_);
  const bool any = interval_.count() > 0;
  t.tx_p50_us.push_back(any ? static_cast<double>(interval_.ValueAtPercentile(50)) / 1e3 : -1);
  t.tx_p99_us.push_back(any ? static_cast<double>(interval_.ValueAtPercentile(99)) / 1e3 : -1);
  t.tx_max_us.push_back(any ? static_cast<double>(interval_.max()) / 1e3 : -1);
  interval_.Reset();
}

}  // namespace strata::harness
