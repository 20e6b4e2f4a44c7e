// strata/connection.h — a connection: the single writer of one database.
//
// A Connection owns one database at a location (strata/location.h) and is
// its single writer: it logs transactions, keeps the memory index, runs
// indexing jobs and hands out Database values and subscriptions.
//
// Thread safety: Connection methods may be called from any thread;
// transactions are serialized (group commit). A TxReportQueue may be popped
// from one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/database.h"
#include "strata/indexing.h"
#include "strata/location.h"
#include "strata/options.h"
#include "strata/status.h"

namespace strata {

// A subscriber's queue of committed transactions (SPEC §5). Every commit is
// delivered once, in commit order. With Options::subscriber_capacity > 0, a
// subscriber that falls that many reports behind is closed with an error
// (status() says so) rather than silently skipping any: it resubscribes and
// reads what it missed from Connection::TxRange.
class TxReportQueue {
 public:
  virtual ~TxReportQueue() = default;
  // Waits up to timeout_ms (-1: forever) for the next report; false when
  // none came, or the queue is closed and drained.
  virtual bool Pop(TxReport* out, int timeout_ms = -1) = 0;
  virtual size_t size() const = 0;
  virtual Status status() const = 0;  // OK, or why the queue was closed
};

// A latency distribution in fixed buckets (for Prometheus histograms,
// metrics/): buckets[i] counts durations in (kBoundsMs[i-1], kBoundsMs[i]],
// the last bucket those above every bound. A plain value; the connection
// fills it under its lock.
struct LatencyHistogram {
  static constexpr std::array<double, 16> kBoundsMs = {0.05, 0.1, 0.25, 0.5, 1,   2.5,  5,    10,
                                                       25,   50,  100,  250, 500, 1000, 2500, 10000};
  std::array<uint64_t, kBoundsMs.size() + 1> buckets{};
  uint64_t count = 0;
  double sum_ms = 0;

  static size_t BucketOf(double ms) {
    size_t i = 0;
    while (i < kBoundsMs.size() && ms > kBoundsMs[i]) ++i;
    return i;
  }
  void Record(double ms) {
    buckets[BucketOf(ms)]++;
    count++;
    sum_ms += ms;
  }
};

struct ConnectionStats {
  uint64_t transactions = 0;        // committed since open
  uint64_t datoms = 0;              // datoms committed since open
  uint64_t rejected = 0;            // transactions refused since open
  uint64_t log_bytes = 0;           // size of the log file
  uint64_t syncs = 0;               // fsyncs of the log
  uint64_t group_commits = 0;       // groups written (one sync each at most)
  uint64_t recovered_transactions = 0;  // replayed from the log on open
  bool recovered_torn_tail = false;     // a torn/corrupt tail was dropped on open
  uint64_t jobs = 0;                    // indexing jobs completed since open
  uint64_t job_failures = 0;            // failed attempts (retried)
  uint64_t segments_collected = 0;      // unreachable segments deleted
  double backpressure_wait_ms = 0;      // time transactions waited at memory_index_max
  uint64_t sealed_novelty = 0;          // novelty generations waiting for a job now
  // The memory index now: novelty not yet in the durable index (sealed and open).
  uint64_t memory_index_bytes = 0;
  uint64_t memory_index_datoms = 0;
  uint64_t durable_datoms = 0;          // datoms in the durable index now (its root)
  uint64_t durable_segments = 0;        // leaf segments of the durable index now, all eight trees
  uint64_t durable_bytes = 0;           // their encoded bytes (directories not counted)
  // Committed transactions, each from Transact's call to its return
  // (queueing, group commit and the log sync included).
  LatencyHistogram transact_ms;
  // Storage since open (every request of the durable index: leaves,
  // directories, roots, job writes), and the leaves fetched on a segment
  // cache miss, each timed.
  uint64_t storage_gets = 0, storage_bytes_got = 0;
  uint64_t storage_puts = 0, storage_bytes_put = 0;
  uint64_t storage_round_trips = 0;
  double storage_wait_ms = 0;
  LatencyHistogram leaf_fetch_ms;
  // The segment cache of decoded leaves.
  uint64_t cache_hits = 0, cache_misses = 0, cache_evictions = 0;
  uint64_t cache_bytes = 0, cache_capacity_bytes = 0;
};

class Connection {
 public:
  // Opens (or creates, per options) the database at a location: a folder
  // (the embedded default) or a PostgreSQL URI.
  static Result<std::unique_ptr<Connection>> Open(const std::string& dir, const Options& options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one transaction (a vector of operations, SPEC §3). Atomic: on
  // error nothing changes. Returns once the commit is durable per the sync
  // policy.
  Result<TxReport> Transact(const edn::Node& tx_data);
  Result<TxReport> Transact(std::string_view edn_text);

  Database db() const;
  std::shared_ptr<TxReportQueue> Subscribe();
  // Registers (or replaces) a transaction function.
  void RegisterTxFunction(const std::string& name, TxFunction fn);

  // The log: transactions with start <= t < end, in t order.
  Status TxRange(T start, T end, const std::function<Status(T t, const std::vector<Datom>& datoms)>& fn) const;

  // Seals the open novelty (if any) and waits until every sealed
  // generation is indexed; returns the metrics of the jobs that ran.
  Result<std::vector<JobMetrics>> IndexNow();
  // Every job since open, in order.
  std::vector<JobMetrics> Jobs() const;
  // The strategy later jobs use (switchable between jobs).
  std::string strategy() const;
  Status SetStrategy(const std::string& name);

  // Bytes of the durable index at rest (segments, directories, root).
  Result<uint64_t> StorageBytes() const;
  Status Sync();   // fsyncs the log now
  Status Close();  // syncs and releases the folder; further calls fail
  // For a server stopping (net/transactor.h): while `why` is an error,
  // transactions fail with it instead of running, including those waiting
  // for memory-index room (memory_index_max), so nothing waits on an
  // indexing job that may never finish. A transaction already written to
  // the log completes as usual. RefuseWrites(Status::OK()) accepts writes
  // again.
  void RefuseWrites(Status why);
  ConnectionStats stats() const;
  const Options& options() const;
  const std::string& dir() const;

 private:
  Connection();
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace strata
