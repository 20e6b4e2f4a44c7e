// harness/sampler.h — watches one run from a thread of its own: jemalloc's
// allocated bytes every 5 ms (jobs allocate off the main thread; the peak is
// kept) and, every Timeline::interval_ms, a timeline row. The run's thread
// reports each commit's latency through RecordCommit; a row holds the
// percentiles of the commits since the previous row. At most once a second
// a row also holds the bytes at rest, live and garbage (asked of storage
// outside the lock, so commits do not wait on it).
//
// Thread safety: RecordCommit and Stop may be called from any thread; the
// timeline belongs to the sampler until Stop returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>

#include "harness/histogram.h"
#include "harness/results.h"
#include "strata/connection.h"
#include "strata/database.h"

namespace strata::harness {

class RunSampler {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts sampling `conn` (which must outlive the sampler) into *timeline,
  // with t = 0 at `start`. Without `thread`, only the first and the last
  // rows are taken and no memory peak (RunConfig::icount: no thread may
  // disturb the run's instruction counts).
  RunSampler(const Connection& conn, Clock::time_point start, Timeline* timeline, bool thread = true);
  ~RunSampler() { Stop(); }

  void RecordCommit(Clock::duration d);
  // Takes a last row and stops; returns the peak allocated bytes seen (0
  // without jemalloc statistics). The timeline is complete after this.
  uint64_t Stop();

 private:
  void Loop();
  // The live and garbage bytes now; -1, -1 when storage cannot say.
  std::pair<double, double> AtRest() const;
  void Row(Clock::time_point now, std::pair<double, double> at_rest);  // requires mu_

  const Connection& conn_;
  const Clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  Timeline* timeline_;           // guarded by mu_ until Stop returns
  Clock::time_point next_row_;   // guarded by mu_
  Clock::time_point next_at_rest_;  // used by the sampling thread only
  Histogram interval_;           // guarded by mu_: commits since the last row
  uint64_t peak_ = 0, allocated_ = 0, resident_ = 0;  // guarded by mu_
  bool stop_ = false;                  // guarded by mu_
  std::thread thread_;  // last: starts after the fields it uses
};

}  // namespace strata::harness
