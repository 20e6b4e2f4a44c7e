// Connection: the single writer. Group commit (LevelDB's writer queue):
// callers queue; the one at the front becomes the leader, prepares and logs
// every queued transaction, syncs once per the policy, publishes the new
// database value and the reports in commit order, then wakes the others.
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include "storage/backend.h"
#include "state/db_access.h"
#include "index/index_job.h"
#include "format/log.h"
#include "db/replay.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/tx_report_queue.h"
#include "tx/transactor.h"

namespace strata {

const char* SyncPolicyName(SyncPolicy p) {
  switch (p) {
    case SyncPolicy::kAlways: return "always";
    case SyncPolicy::kBatch: return "batch";
    case SyncPolicy::kNever: return "never";
  }
  return "?";
}

bool ParseSyncPolicy(std::string_view s, SyncPolicy* out) {
  for (SyncPolicy p : {SyncPolicy::kAlways, SyncPolicy::kBatch, SyncPolicy::kNever}) {
    if (s == SyncPolicyName(p)) {
      *out = p;
      return true;
    }
  }
  return false;
}

std::string Options::ToString() const {
  // "adaptive:level_ratio=4;cow-tree:...", or "(none)": one token, no spaces.
  std::string settings;
  for (const auto& [name, text] : strategy_settings) settings += (settings.empty() ? "" : ";") + name + ":" + text;
  if (settings.empty()) settings = "(none)";
  return std::string("sync=") + SyncPolicyName(sync) + " batch_sync_interval_ms=" +
         std::to_string(batch_sync_interval_ms) + " memory_index_threshold=" + std::to_string(memory_index_threshold) +
         " memory_index_max=" + std::to_string(memory_index_max) +
         " strategy=" + (strategy.empty() ? std::string("(root)") : strategy) +
         " background_indexing=" + (background_indexing ? "true" : "false") +
         " segment_datoms=" + std::to_string(segment_datoms) + " strategy_settings=" + settings +
         " segment_cache_bytes=" + std::to_string(segment_cache_bytes) +
         " subscriber_capacity=" + std::to_string(subscriber_capacity) +
         " recover_corrupt_log_tail=" + (recover_corrupt_log_tail ? "true" : "false") +
         (segment_retain_ms ? " segment_retain_ms=" + std::to_string(segment_retain_ms) : std::string());
}

namespace {

struct Writer {
  const edn::Node* tx = nullptr;
  bool done = false;
  Result<TxReport> result = Status::Aborted("not run");
  std::condition_variable cv;
};

constexpr size_t kMaxGroup = 256;

}  // namespace

struct Connection::Rep {
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
    so.memory_index_threshold = options.memory_index_threshold;
    return so;
  }
  // The strategy `name` with its settings from the options.
  Result<std::unique_ptr<MergeStrategy>> NewStrategy(const std::string& name) const {
    auto it = options.strategy_settings.find(name);
    return MakeStrategy(name, it == options.strategy_settings.end() ? std::string_view() : std::string_view(it->second));
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

namespace {
// The datoms of a log record before the durable root that a reopen needs:
// excision requests (the log check after a crash mid-excision).
bool IsExcisionRequestAttr(EntityId a) {
  return a == sys::kExcise || a == sys::kExciseAttrs || a == sys::kExciseBefore || a == sys::kExciseBeforeT;
}
}  // namespace

Connection::Connection() : rep_(std::make_unique<Rep>()) {}

Connection::~Connection() {
  Status s = Close();
  if (!s.ok()) spdlog::warn("strata: closing {}: {}", rep_->dir, s.ToString());
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& dir, const Options& options) {
  std::unique_ptr<Connection> c(new Connection());
  Rep& r = *c->rep_;
  r.dir = dir;
  r.options = options;
  BackendOptions bo;
  bo.env = options.env;
  bo.create_if_missing = options.create_if_missing;
  bo.sync = options.sync != SyncPolicy::kNever;
  STRATA_ASSIGN_OR_RETURN(r.backend, OpenBackend(dir, bo));
  r.log = r.backend.log.get();

  // The durable index: load the newest root, if any.
  r.durable = std::make_shared<DurableContext>();
  r.durable->storage = std::move(r.backend.storage);
  r.durable->cache = std::make_shared<SegmentCache>(options.segment_cache_bytes);
  r.durable->sync = options.sync != SyncPolicy::kNever;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> root_bytes, r.durable->storage->ReadRoot());
  std::shared_ptr<const IndexRoot> root;
  if (root_bytes) {
    auto loaded = LoadRoot(*r.durable, *root_bytes);
    if (!loaded.ok()) return loaded.status().WithContext("opening " + dir);
    root = std::move(*loaded);
  } else {
    auto empty = std::make_shared<IndexRoot>();
    empty->strategy = options.strategy.empty() ? DefaultStrategyName() : options.strategy;
    // A new database records its strategy from the start (strata verify
    // shows it), before any job writes a root of its own.
    if (Status s = r.durable->storage->PublishRoot(EncodeRoot(*empty)); !s.ok()) return s.WithContext("creating " + dir);
    root = std::move(empty);
  }
  // Every strategy's settings are checked now, not when a switch needs them.
  for (const auto& [name, text] : options.strategy_settings) {
    auto made = MakeStrategy(name, text);
    if (!made.ok()) return made.status().WithContext("opening " + dir);
  }
  const std::string strategy_name = options.strategy.empty() ? root->strategy : options.strategy;
  auto made = r.NewStrategy(strategy_name);
  if (!made.ok()) return made.status().WithContext("opening " + dir);
  r.strategy = std::move(*made);

  auto loaded_state = StateFromRoot(r.durable, root);
  if (!loaded_state.ok()) return loaded_state.status().WithContext("opening " + dir);
  std::shared_ptr<const DbState> state = std::move(*loaded_state);
  r.live_roots.push_back(root);

  // Replay the log after the root: it is the source of truth.
  std::vector<ExcisionSpec> excisions;
  const RecoveryMode mode =
      options.recover_corrupt_log_tail ? RecoveryMode::kTruncateCorruptTail : RecoveryMode::kStrict;
  const T durable_t = root->generation == 0 ? 0 : root->basis_t;
  const bool indexed = root->generation > 0;
  auto res = r.log->Recover(mode, [&](LogRecord&& rec) -> Status {
    if (indexed && rec.t <= durable_t) {
      // Already in the durable index; remember excisions for the log check.
      if (HasExcision(rec.datoms)) {
        auto specs = ExcisionSpecs(*state, rec.t, rec.datoms);
        excisions.insert(excisions.end(), specs.begin(), specs.end());
      }
      return Status::OK();
    }
    ReplayTransaction(&state, rec.t, std::move(rec.datoms), &excisions);
    r.stats.recovered_transactions++;
    return Status::OK();
  }, LogSkim{indexed ? durable_t : 0, IsExcisionRequestAttr});
  if (!res.ok()) return res.status().WithContext("opening " + dir);
  if (res->torn_tail) {
    r.stats.recovered_torn_tail = true;
    spdlog::warn("strata: {}: dropped the log tail after byte {} ({})", dir, res->valid_bytes, res->dropped_reason);
  }
  r.state = state;
  // A crash between an excision's commit and its log rewrite leaves excised
  // datoms in the log: finish the rewrite now.
  if (!excisions.empty()) {
    bool dirty = false;
    Status scan = r.log->ReadRange(0, std::numeric_limits<T>::max(), [&](LogRecord&& rec) -> Status {
      for (const Datom& d : rec.datoms) dirty |= Excised(excisions, d);
      return Status::OK();
    });
    if (!scan.ok()) return scan;
    if (dirty) STRATA_RETURN_IF_ERROR(r.RewriteLog(excisions));
  }
  r.stats.log_bytes = r.log->size();
  // Segments no root reaches are leftovers of a job that did not publish.
  auto gc = CollectGarbage(*r.durable->storage, {root});
  if (gc.ok()) r.stats.segments_collected += *gc;
  else spdlog::warn("strata: {}: collecting garbage: {}", dir, gc.status().ToString());
  if (options.background_indexing) r.job_thread = std::thread([&r] { r.JobLoop(); });
  return c;
}

void Connection::Rep::PublishFromWriter(const std::shared_ptr<const DbState>& base,
                                        std::shared_ptr<const DbState> after) {
  std::lock_guard l(state_mu);
  if (state->root != base->root) {
    // A job published while the writer worked: keep its root and drop the
    // sealed novelty and excisions it consumed (always from the front).
    auto merged = std::make_shared<DbState>(*after);
    merged->root = state->root;
    const size_t gone = base->sealed.size() - state->sealed.size();
    merged->sealed.erase(merged->sealed.begin(), merged->sealed.begin() + static_cast<long>(gone));
    const size_t ex_gone = base->pending_excisions.size() - state->pending_excisions.size();
    merged->pending_excisions.erase(merged->pending_excisions.begin(),
                                    merged->pending_excisions.begin() + static_cast<long>(ex_gone));
    after = std::move(merged);
  }
  state = std::move(after);
}

bool Connection::Rep::RunOneJob(std::unique_lock<std::mutex>& l) {
  auto st = Current();
  if (st->sealed.empty()) return false;
  const DbState::Sealed sealed = st->sealed.front();
  JobInput in;
  in.root = st->root;
  in.novelty = sealed.mem;
  in.basis_t = sealed.basis_t;
  in.next_t = sealed.next_t;
  in.last_instant = sealed.last_instant;
  in.excisions = st->pending_excisions;
  in.strategy = strategy.get();
  in.options = strategy_options();
  auto schema = st->schema;
  in.no_history = [schema](EntityId a) {
    const Attribute* at = schema->Attr(a);
    return at && at->no_history;
  };
  job_running = true;
  l.unlock();
  JobMetrics m;
  auto result = RunIndexJob(*durable, in, &m);
  if (result.ok()) {
    std::lock_guard sl(state_mu);
    auto next = std::make_shared<DbState>(*state);
    next->root = *result;
    next->sealed.erase(next->sealed.begin());
    next->pending_excisions.erase(next->pending_excisions.begin(),
                                  next->pending_excisions.begin() + static_cast<long>(in.excisions.size()));
    state = std::move(next);
  }
  l.lock();
  job_running = false;
  if (!result.ok()) {
    stats.job_failures++;
    spdlog::error("strata: {}: indexing job failed (will retry): {}", dir, result.status().ToString());
    job_done_cv.notify_all();
    return false;
  }
  spdlog::info("strata: {}: job {} {} basis_t={} novelty={} db={} segments_written={} bytes_written={} "
               "rewritten={} wall_ms={:.1f}",
               dir, m.job, m.strategy, m.basis_t, m.novelty_datoms, m.db_datoms, m.segments_written,
               m.bytes_written, m.datoms_rewritten, m.wall_ms);
  stats.jobs++;
  jobs.push_back(m);
  live_roots.push_back(*result);
  const auto now = std::chrono::steady_clock::now();
  if (options.segment_retain_ms > 0) retained.emplace_back(now, in.root);
  while (!retained.empty() && now - retained.front().first > std::chrono::milliseconds(options.segment_retain_ms))
    retained.pop_front();
  std::vector<std::shared_ptr<const IndexRoot>> live;
  for (const auto& [when, root] : retained) live.push_back(root);
  for (auto it = live_roots.begin(); it != live_roots.end();) {
    if (auto p = it->lock()) {
      live.push_back(std::move(p));
      ++it;
    } else {
      it = live_roots.erase(it);
    }
  }
  // Roots still held by database values keep their segments.
  l.unlock();
  auto gc = CollectGarbage(*durable->storage, live);
  l.lock();
  if (gc.ok()) stats.segments_collected += *gc;
  job_done_cv.notify_all();
  return true;
}

void Connection::Rep::JobLoop() {
  std::unique_lock l(mu);
  int failures = 0;
  while (!stop_jobs) {
    if (Current()->sealed.empty()) {
      job_cv.wait(l);
      continue;
    }
    if (RunOneJob(l)) {
      failures = 0;
    } else if (!Current()->sealed.empty()) {
      // Back off before retrying; the log still holds everything.
      auto delay = std::chrono::milliseconds(std::min(5000, 50 << std::min(failures++, 7)));
      job_cv.wait_for(l, delay, [&] { return stop_jobs; });
    }
  }
}

Result<std::vector<JobMetrics>> Connection::IndexNow() {
  Rep& r = *rep_;
  std::unique_lock l(r.mu);
  if (r.closed) return Status::Aborted("connection to " + r.dir + " is closed");
  // Wait out a commit in flight, then seal the open novelty.
  r.job_done_cv.wait(l, [&] { return r.writers.empty(); });
  const size_t first_job = r.jobs.size();
  // What a job indexes must be durable in the log first.
  if (!r.failed.ok()) return r.failed;
  if (Status s = r.log->Sync(); !s.ok()) return s.WithContext("syncing the log before indexing");
  {
    std::lock_guard sl(r.state_mu);
    if (r.state->mem->stats().datoms > 0 || !r.state->pending_excisions.empty()) {
      auto next = std::make_shared<DbState>(*r.state);
      next->sealed.push_back(DbState::Sealed{next->mem, next->basis_t, next->next_t, next->last_instant});
      next->mem = std::make_shared<MemIndex>();
      r.state = std::move(next);
    }
  }
  const uint64_t failures_before = r.stats.job_failures;
  if (r.options.background_indexing) {
    r.job_cv.notify_all();
    r.job_done_cv.wait(l, [&] {
      return (r.Current()->sealed.empty() && !r.job_running) || r.stats.job_failures > failures_before;
    });
  } else {
    while (!r.Current()->sealed.empty())
      if (!r.RunOneJob(l)) break;
  }
  if (!r.Current()->sealed.empty()) return Status::IOError("indexing job failed; see the log; it will be retried");
  return std::vector<JobMetrics>(r.jobs.begin() + static_cast<long>(first_job), r.jobs.end());
}

std::vector<JobMetrics> Connection::Jobs() const {
  std::lock_guard l(rep_->mu);
  return rep_->jobs;
}

std::string Connection::strategy() const {
  std::lock_guard l(rep_->mu);
  return rep_->strategy->name();
}

Status Connection::SetStrategy(const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MergeStrategy> s, rep_->NewStrategy(name));
  std::unique_lock l(rep_->mu);
  rep_->job_done_cv.wait(l, [&] { return !rep_->job_running; });
  rep_->strategy = std::move(s);
  return Status::OK();
}

Result<TxReport> Connection::Transact(std::string_view edn_text) {
  STRATA_ASSIGN_OR_RETURN(edn::Node tx, edn::ReadOne(edn_text));
  return Transact(tx);
}

Result<TxReport> Connection::Transact(const edn::Node& tx_data) {
  Rep& r = *rep_;
  Writer w;
  w.tx = &tx_data;
  std::unique_lock l(r.mu);
  if (r.closed) return Status::Aborted("connection to " + r.dir + " is closed");
  if (!r.failed.ok()) return r.failed;
  r.writers.push_back(&w);
  w.cv.wait(l, [&] { return w.done || r.writers.front() == &w; });
  if (w.done) return std::move(w.result);

  // This writer leads a group of everything queued so far.
  std::vector<Writer*> group(r.writers.begin(), r.writers.begin() + std::min(r.writers.size(), kMaxGroup));
  TxFunctionRegistry fns = r.fns;
  l.unlock();
  r.CommitGroup(group, std::move(fns));
  l.lock();
  for (Writer* g : group) {
    r.writers.pop_front();
    g->done = true;
    if (g != &w) g->cv.notify_one();
  }
  if (!r.writers.empty()) r.writers.front()->cv.notify_one();
  else r.job_done_cv.notify_all();  // IndexNow waits for a quiet writer
  return std::move(w.result);
}

void Connection::Rep::CommitGroup(std::vector<Writer*>& group, TxFunctionRegistry fns_copy) {
  if (options.background_indexing && Current()->NoveltyBytes() >= options.memory_index_max) {
    // Backpressure: wait for a job to shrink the novelty; measured.
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_lock l(mu);
    job_cv.notify_all();
    job_done_cv.wait(l, [&] { return Current()->NoveltyBytes() < options.memory_index_max || stop_jobs; });
    stats.backpressure_wait_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  auto base = Current();
  auto state = base;
  struct Done {
    Writer* w;
    TxReport report;
  };
  std::vector<Done> committed;
  std::vector<ExcisionSpec> excisions;
  Status io;
  {
    std::lock_guard l(mu);
    io = failed;
  }
  for (Writer* w : group) {
    if (!io.ok()) {
      w->result = io;
      continue;
    }
    Database before = DbAccess::Make(state);
    auto prepared = PrepareTx(before, *w->tx, fns_copy, options.clock ? options.clock() : NowMillis());
    if (!prepared.ok()) {
      w->result = prepared.status();
      std::lock_guard l(mu);
      stats.rejected++;
      continue;
    }
    PreparedTx& p = *prepared;
    LogRecord rec{p.t, p.datoms};
    if (Status s = log->Append(rec); !s.ok()) {
      // Nothing of this transaction is acknowledged; the writer has cut the
      // half record off. Later transactions of the group are refused too.
      io = s.WithContext("appending to the log");
      w->result = io;
      continue;
    }
    auto after = ApplyDatoms(*state, p.t, p.datoms, p.schema_after);
    if (HasExcision(p.datoms)) {
      auto specs = ExcisionSpecs(*after, p.t, p.datoms);
      uint64_t removed = 0;
      after = ApplyExcisions(after, specs, &removed);
      excisions.insert(excisions.end(), specs.begin(), specs.end());
    }
    TxReport rep;
    rep.db_before = before;
    rep.db_after = DbAccess::Make(after);
    rep.tx_data = std::move(p.datoms);
    rep.tempids = std::move(p.tempids);
    rep.t = p.t;
    rep.tx = TxId(p.t);
    committed.push_back(Done{w, std::move(rep)});
    state = std::move(after);
  }
  if (committed.empty()) return;

  // A job may only index what the log holds durably (a root must never be
  // ahead of the log), so sealing novelty forces a sync whatever the policy.
  const bool will_seal = state->mem->stats().bytes >= options.memory_index_threshold;
  bool sync = options.sync == SyncPolicy::kAlways || !excisions.empty() || will_seal;
  if (options.sync == SyncPolicy::kBatch &&
      std::chrono::steady_clock::now() - last_sync >= std::chrono::milliseconds(options.batch_sync_interval_ms))
    sync = true;
  if (sync) {
    if (Status s = log->Sync(); !s.ok()) {
      // The records may or may not be on disk: acknowledge none, and refuse
      // further writes until the database is reopened (recovery then keeps
      // exactly what reached the disk).
      Status why = s.WithContext("syncing the log; reopen the database to recover");
      std::lock_guard l(mu);
      failed = why;
      for (Done& d : committed) d.w->result = why;
      return;
    }
    last_sync = std::chrono::steady_clock::now();
  }
  if (!excisions.empty()) {
    if (Status s = RewriteLog(excisions); !s.ok()) {
      // The excision is committed; the rewrite finishes on the next open.
      spdlog::error("strata: {}: excision log rewrite failed: {}", dir, s.ToString());
      if (!log->writable()) {
        std::lock_guard l(mu);
        failed = s.WithContext("reopening the log after an excision rewrite; reopen the database to recover");
      }
    }
  }
  // Seal the novelty for a job once it passes the threshold: the writer
  // decides where each job's novelty ends, so job boundaries are the same
  // in every run.
  bool sealed = false;
  if (will_seal) {
    auto next = std::make_shared<DbState>(*state);
    next->sealed.push_back(DbState::Sealed{next->mem, next->basis_t, next->next_t, next->last_instant});
    next->mem = std::make_shared<MemIndex>();
    state = std::move(next);
    sealed = true;
  }
  PublishFromWriter(base, state);
  std::lock_guard l(mu);
  if (sealed) job_cv.notify_all();
  stats.group_commits++;
  if (sync) stats.syncs++;
  stats.log_bytes = log->size();
  for (Done& d : committed) {
    stats.transactions++;
    stats.datoms += d.report.tx_data.size();
    for (auto it = subscribers.begin(); it != subscribers.end();) {
      if (auto q = it->lock()) {
        q->Push(d.report);
        ++it;
      } else {
        it = subscribers.erase(it);
      }
    }
    d.w->result = std::move(d.report);
  }
}

Database Connection::db() const { return DbAccess::Make(rep_->Current()); }

std::shared_ptr<TxReportQueue> Connection::Subscribe() {
  auto q = std::make_shared<ReportQueue>(rep_->options.subscriber_capacity);
  std::lock_guard l(rep_->mu);
  rep_->subscribers.push_back(q);
  return q;
}

void Connection::RegisterTxFunction(const std::string& name, TxFunction fn) {
  std::lock_guard l(rep_->mu);
  std::string key = !name.empty() && name[0] == ':' ? name.substr(1) : name;
  rep_->fns[key] = std::move(fn);
}

Status Connection::TxRange(T start, T end,
                           const std::function<Status(T t, const std::vector<Datom>& datoms)>& fn) const {
  // Only what this connection has published: a record being appended is
  // not yet part of any database value.
  const T basis = rep_->Current()->basis_t;
  std::unique_lock l(rep_->mu);
  if (rep_->closed) return Status::Aborted("connection to " + rep_->dir + " is closed");
  LogStore* log = rep_->log;
  l.unlock();
  return log->ReadRange(start, std::min(end, basis + 1), [&](LogRecord&& rec) { return fn(rec.t, rec.datoms); });
}

Result<uint64_t> Connection::StorageBytes() const { return rep_->durable->storage->BytesAtRest(); }

Status Connection::Sync() {
  std::lock_guard l(rep_->mu);
  if (rep_->closed) return Status::OK();
  // Wait out a leader in flight: syncing concurrently with its append would
  // race on the writer.
  while (!rep_->writers.empty()) {
    rep_->mu.unlock();
    std::this_thread::yield();
    rep_->mu.lock();
  }
  if (!rep_->failed.ok()) return rep_->failed;
  Status s = rep_->log->Sync();
  if (s.ok()) rep_->stats.syncs++;
  return s;
}

Status Connection::Close() {
  Rep& r = *rep_;
  std::unique_lock l(r.mu);
  if (r.closed) return Status::OK();
  while (!r.writers.empty()) {
    l.unlock();
    std::this_thread::yield();
    l.lock();
  }
  r.closed = true;
  r.stop_jobs = true;
  r.job_cv.notify_all();
  r.job_done_cv.notify_all();
  if (r.job_thread.joinable()) {
    l.unlock();
    r.job_thread.join();
    l.lock();
  }
  Status s = r.log && r.log->writable() ? r.log->Sync() : Status::OK();
  for (auto& w : r.subscribers)
    if (auto q = w.lock()) q->Close(Status::Aborted("connection closed"));
  r.subscribers.clear();
  r.backend.lock.reset();
  return s;
}

ConnectionStats Connection::stats() const {
  std::lock_guard l(rep_->mu);
  ConnectionStats st = rep_->stats;
  st.sealed_novelty = rep_->Current()->sealed.size();
  return st;
}

const Options& Connection::options() const { return rep_->options; }
const std::string& Connection::dir() const { return rep_->dir; }

}  // namespace strata
