// metrics/run_metrics.h — what /metrics shows during `strata run`.
//
// A run is a fresh database per strategy and repetition, so its counters
// start from zero. Every series carries the labels strategy and repetition,
// which keeps each one monotonic: the open run's connection is read live,
// and each ended run keeps its last figures (strata_run_active 0).
//
// Thread safety: the harness's thread calls Opened and Closing (through its
// RunObserver, harness/run.h); HTTP threads call Snapshot. Closing waits
// for a snapshot in progress, so after it returns nothing reads the
// connection.
#pragma once

#include <string>

#include "metrics/prometheus.h"
#include "strata/connection.h"
#include "strata/mutex.h"

namespace strata::metrics {

class RunMetrics {
 public:
  // `conn` is read by Snapshot until Closing(conn).
  void Opened(const std::string& strategy, int repetition, Connection* conn) EXCLUDES(mu_);
  // Keeps the run's final figures.
  void Closing(Connection* conn) EXCLUDES(mu_);
  MetricsSnapshot Snapshot() EXCLUDES(mu_);

 private:
  MetricsSnapshot LiveLocked(double active) REQUIRES(mu_);

  Mutex mu_;
  Connection* live_ GUARDED_BY(mu_) = nullptr;
  Labels labels_ GUARDED_BY(mu_);
  MetricsSnapshot finished_ GUARDED_BY(mu_);
};

}  // namespace strata::metrics
