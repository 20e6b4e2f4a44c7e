// /metrics during `strata run` (metrics/run_metrics.h).
#include "metrics/run_metrics.h"

#include "metrics/strata_metrics.h"

namespace strata::metrics {

void RunMetrics::Opened(const std::string& strategy, int repetition, Connection* conn) {
  MutexLock l(&mu_);
  live_ = conn;
  labels_ = {{"strategy", strategy}, {"repetition", std::to_string(repetition)}};
}

void RunMetrics::Closing(Connection* conn) {
  MutexLock l(&mu_);
  if (live_ != conn) return;
  finished_.Append(LiveLocked(0));
  live_ = nullptr;
}

MetricsSnapshot RunMetrics::Snapshot() {
  MutexLock l(&mu_);
  MetricsSnapshot m;
  if (live_ != nullptr) m = LiveLocked(1);
  m.Append(finished_);
  return m;
}

MetricsSnapshot RunMetrics::LiveLocked(double active) {
  MetricsSnapshot m;
  m.Gauge("strata_run_active", "1 while the run is in progress, 0 once it ended.", active, labels_);
  AddConnectionMetrics(live_->stats(), live_->Jobs(), live_->strategy(), labels_, &m);
  return m;
}

}  // namespace strata::metrics
