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
    Row(start, {-1, -1});  // bytes at rest are sampled at Stop()
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
  const auto at_rest = AtRest();
  std::lock_guard l(mu_);
  Row(Clock::now(), at_rest);
  return peak_;
}

void RunSampler::Loop() {
  std::unique_lock l(mu_);
  while (!stop_) {
    const JemallocStats m = ReadJemallocStats();
    if (m.ok) {
      peak_ = std::max(peak_, m.allocated);
      allocated_ = m.allocated;
      resident_ = m.resident;
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_row_) {
      std::pair<double, double> at_rest{-1, -1};
      if (now >= next_at_rest_) {
        next_at_rest_ = now + std::chrono::seconds(1);
        l.unlock();
        at_rest = AtRest();
        l.lock();
      }
      Row(now, at_rest);
      next_row_ += std::chrono::milliseconds(timeline_->interval_ms);
      if (next_row_ < now) next_row_ = now + std::chrono::milliseconds(timeline_->interval_ms);  // fell behind
    }
    cv_.wait_for(l, std::chrono::milliseconds(5));
  }
}

std::pair<double, double> RunSampler::AtRest() const {
  // The live bytes after the total: a job that publishes in between makes
  // live larger, never garbage negative beyond the clamp below.
  auto total = conn_.StorageBytes();
  if (!total.ok()) return {-1, -1};
  const uint64_t live = conn_.stats().durable_bytes;
  return {static_cast<double>(live), *total > live ? static_cast<double>(*total - live) : 0.0};
}

void RunSampler::Row(Clock::time_point now, std::pair<double, double> at_rest) {
  const ConnectionStats cs = conn_.stats();
  Timeline& t = *timeline_;
  t.t_ms.push_back(std::chrono::duration<double, std::milli>(now - start_).count());
  t.transactions.push_back(cs.transactions);
  t.datoms.push_back(cs.datoms);
  t.jobs.push_back(cs.jobs);
  t.memory_index_bytes.push_back(conn_.db().memory_index_bytes());
  t.allocated_bytes.push_back(allocated_);
  t.resident_bytes.push_back(resident_);
  t.segment_cache_bytes.push_back(cs.cache_bytes);
  const bool any = interval_.count() > 0;
  t.tx_p50_us.push_back(any ? static_cast<double>(interval_.ValueAtPercentile(50)) / 1e3 : -1);
  t.tx_p99_us.push_back(any ? static_cast<double>(interval_.ValueAtPercentile(99)) / 1e3 : -1);
  t.tx_max_us.push_back(any ? static_cast<double>(interval_.max()) / 1e3 : -1);
  t.storage_live_bytes.push_back(at_rest.first);
  t.storage_garbage_bytes.push_back(at_rest.second);
  interval_.Reset();
}

}  // namespace strata::harness
