// connection_rep.h — the state a Connection shares between its files:
// connection.cc (open, recovery, the API), commit.cc (group commit) and
// jobs.cc (the job scheduler, root retention and garbage collection).
// Internal to engine/db/.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "format/log.h"
#include "index/index_job.h"
#include "state/db_access.h"
#include "storage/backend.h"
#include "strata/connection.h"
#include "strata/database.h"
#include "strata/tx_report_queue.h"
#include "tx/transactor.h"

namespace strata {

struct Connection::Rep {
  // A caller of Transact waiting in the writer queue.
  struct Writer {
    const edn::Node* tx = nullptr;
    bool done = false;
    Result<TxReport> result = Status::Aborted("not run");
    std::condition_variable cv;
  };
  static constexpr size_t kMaxGroup = 256;

  std::string dir;  // the location, as given
  Options options;
  Backend backend;          // storage, log and writer's lock
  LogStore* log = nullptr;  // backend.log

  mutable std::mutex state_mu;  // guards state
  std::shared_ptr<const DbState> state;

  std::mutex mu;  // guards everything below
  std::deque<Writer*> writers;
  TxFunctionRegistry fns;
  std::vector<std::weak_ptr<ReportQueue>> subscribers;
  ConnectionStats stats;
  Status failed;  // once a log sync fails, no more writes (fsync gate)
  bool closed = false;
  std::chrono::steady_clock::time_point last_sync = std::chrono::steady_clock::now();

  // Indexing (guarded by mu).
  std::shared_ptr<DurableContext> durable;
  std::unique_ptr<MergeStrategy> strategy;
  std::thread job_thread;
  std::condition_variable job_cv;       // work for the job thread
  std::condition_variable job_done_cv;  // a job finished (or failed)
  bool stop_jobs = false;
  bool job_running = false;
  std::vector<JobMetrics> jobs;
  std::vector<std::weak_ptr<const IndexRoot>> live_roots;
  // Superseded roots whose segments are kept for segment_retain_ms (peers
  // may still be reading them), oldest first.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::shared_ptr<const IndexRoot>>> retained;

  StrategyOptions strategy_options() const {
    StrategyOptions so;
    so.segment_datoms = options.segment_datoms;
    so.level_ratio = options.level_ratio;
    // Level 0 holds about four jobs' novelty (at ~100 bytes a datom).
    so.level0_datoms = options.level0_datoms
                           ? options.level0_datoms
                           : std::max<uint64_t>(4 * options.memory_index_threshold / 100, 4 * so.segment_datoms);
    return so;
  }
  void JobLoop();
  // Runs the oldest sealed novelty through one job. Requires mu held via l.
  bool RunOneJob(std::unique_lock<std::mutex>& l);
  // Publishes a state built by the writer from `base`, keeping whatever a
  // job published meanwhile.
  void PublishFromWriter(const std::shared_ptr<const DbState>& base, std::shared_ptr<const DbState> after);

  std::shared_ptr<const DbState> Current() const {
    std::lock_guard l(state_mu);
    return state;
  }
  void CommitGroup(std::vector<Writer*>& group, TxFunctionRegistry fns_copy);
  Status RewriteLog(const std::vector<ExcisionSpec>& specs) {
    return log->Rewrite([&](LogRecord& rec) { std::erase_if(rec.datoms, [&](const Datom& d) { return Excised(specs, d); }); });
  }
};

}  // namespace strata
