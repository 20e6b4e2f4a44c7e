// connection_rep.h — the state a Connection shares between its files:
// connection.cc (open, recovery, the API), commit.cc (group commit) and
// jobs.cc (the job scheduler, root retention and garbage collection).
// Internal to engine/db/.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "format/log.h"
#include "index/index_job.h"
#include "state/db_access.h"
#include "storage/backend.h"
#include "strata/connection.h"
#include "strata/location.h"
#include "strata/database.h"
#include "strata/mutex.h"
#include "strata/tx_report_queue.h"
#include "tx/transactor.h"

namespace strata {

// Thread safety: `mu` guards the writer queue and the job scheduler's
// state, `state_mu` the published database value; when both are held, mu
// is taken first. What Open sets before another thread can see the
// connection (dir, options, backend, log, durable, job_thread) is read
// without a lock. The group's leader alone touches what is marked "the
// leader's".
struct Connection::Rep {
  // A caller of Transact waiting in the writer queue. `done` and the queue
  // position are read and written under mu; `result` by the leader while
  // the writer is in its group, then by the writer once done.
  struct Writer {
    explicit Writer(Mutex* mu) : cv(mu) {}
    const edn::Node* tx = nullptr;
    bool done = false;
    Result<TxReport> result = Status::Aborted("not run");
    CondVar cv;  // done, or this writer reached the front of the queue
  };
  static constexpr size_t kMaxGroup = 256;

  std::string dir;  // the location, as given
  Options options;
  std::shared_ptr<Env> read_only_env;  // options.read_only: the only Env below (durable->env too)
  // A reader's: excisions whose log rewrite a crash interrupted (the writer
  // finishes it on open); TxRange hides their datoms.
  std::vector<ExcisionSpec> unrewritten_excisions;
  Backend backend;          // storage, log and writer's lock
  LogStore* log = nullptr;  // backend.log

  Mutex mu;
  mutable Mutex state_mu ACQUIRED_AFTER(mu);
  std::shared_ptr<const DbState> state GUARDED_BY(state_mu);

  std::deque<Writer*> writers GUARDED_BY(mu);
  CondVar idle_cv{&mu};  // the writer queue drained
  TxFunctionRegistry fns GUARDED_BY(mu);
  std::vector<std::weak_ptr<ReportQueue>> subscribers GUARDED_BY(mu);
  ConnectionStats stats GUARDED_BY(mu);
  Status failed GUARDED_BY(mu);  // once a log sync fails, no more writes (fsync gate)
  bool closed GUARDED_BY(mu) = false;
  Status refusing GUARDED_BY(mu);  // RefuseWrites: new and waiting writers fail with it
  // The leader's.
  std::chrono::steady_clock::time_point last_sync = std::chrono::steady_clock::now();

  // Indexing.
  std::shared_ptr<DurableContext> durable;
  std::unique_ptr<MergeStrategy> strategy GUARDED_BY(mu);
  std::thread job_thread;
  IndexJobPool job_pool;  // the jobs' threads besides the one running the job; stopped by Close
  CondVar job_cv{&mu};       // work for the job thread
  CondVar job_done_cv{&mu};  // a job finished (or failed)
  bool stop_jobs GUARDED_BY(mu) = false;
  bool job_running GUARDED_BY(mu) = false;
  std::vector<JobMetrics> jobs GUARDED_BY(mu);
  std::vector<std::weak_ptr<const IndexRoot>> live_roots GUARDED_BY(mu);
  // Superseded roots whose segments are kept for segment_retain_ms (peers
  // may still be reading them), oldest first.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::shared_ptr<const IndexRoot>>> retained
      GUARDED_BY(mu);

  StrategyOptions strategy_options() const {
    StrategyOptions so;
    so.segment_datoms = options.segment_datoms;
    so.memory_index_threshold = options.memory_index_threshold;
    return so;
  }
  // The strategy `name` with its settings from the options.
  Result<std::unique_ptr<MergeStrategy>> NewStrategy(const std::string& name) const {
    auto it = options.strategy_settings.find(name);
    return MakeStrategy(name, it == options.strategy_settings.end() ? std::string_view() : std::string_view(it->second));
  }
  void JobLoop() EXCLUDES(mu);
  // Runs the oldest sealed novelty through one job; releases mu while the
  // job and the garbage collection run.
  bool RunOneJob() REQUIRES(mu);
  // Publishes a state built by the writer from `base`, keeping whatever a
  // job published meanwhile.
  void PublishFromWriter(const std::shared_ptr<const DbState>& base, std::shared_ptr<const DbState> after)
      EXCLUDES(state_mu);

  std::shared_ptr<const DbState> Current() const EXCLUDES(state_mu) {
    MutexLock l(&state_mu);
    return state;
  }
  // The leader's: prepares, logs, syncs and publishes `group`.
  void CommitGroup(std::vector<Writer*>& group, TxFunctionRegistry fns_copy) EXCLUDES(mu, state_mu);
  Status RewriteLog(const std::vector<ExcisionSpec>& specs) {
    return log->Rewrite([&](LogRecord& rec) { std::erase_if(rec.datoms, [&](const Datom& d) { return Excised(specs, d); }); });
  }
};

}  // namespace strata
