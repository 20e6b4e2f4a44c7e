// Connection: opening a database (the durable root, then the log replayed
// after it), the API that is neither commit nor indexing, and closing.
// The writer is in commit.cc, the job scheduler in jobs.cc; the shared
// state in connection_rep.h.
#include <spdlog/spdlog.h>

#include <limits>

#include "db/connection_rep.h"
#include "db/replay.h"
#include "format/log.h"

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
// The datoms of a log record before the durable root that a reopen needs:
// excision requests (the log check after a crash mid-excision).
bool IsExcisionRequestAttr(EntityId a) {
  return a == sys::kExcise || a == sys::kExciseAttrs || a == sys::kExciseBefore || a == sys::kExciseBeforeT;
}
}  // namespace

Connection::Connection() : rep_(std::make_unique<Rep>()) {}

Connection::~Connection() {
  Status s = Close();
  if (!s.ok()) spdlog::warn("strata: closing {}: {}", RedactLocation(rep_->dir), s.ToString());
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& dir, const Options& options) {
  std::unique_ptr<Connection> c(new Connection());
  Rep& r = *c->rep_;
  // No other thread sees r yet: the lock is for the analysis (and is
  // released before the caller can reach the connection).
  MutexLock l(&r.mu);
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
    if (!loaded.ok()) return loaded.status().WithContext("opening " + RedactLocation(dir));
    root = std::move(*loaded);
  } else {
    auto empty = std::make_shared<IndexRoot>();
    empty->strategy = options.strategy.empty() ? DefaultStrategyName() : options.strategy;
    // A new database records its strategy from the start (strata verify
    // shows it), before any job writes a root of its own.
    if (Status s = r.durable->storage->PublishRoot(EncodeRoot(*empty)); !s.ok()) return s.WithContext("creating " + RedactLocation(dir));
    root = std::move(empty);
  }
  // Every strategy's settings are checked now, not when a switch needs them.
  for (const auto& [name, text] : options.strategy_settings) {
    auto made = MakeStrategy(name, text);
    if (!made.ok()) return made.status().WithContext("opening " + RedactLocation(dir));
  }
  const std::string strategy_name = options.strategy.empty() ? root->strategy : options.strategy;
  auto made = r.NewStrategy(strategy_name);
  if (!made.ok()) return made.status().WithContext("opening " + RedactLocation(dir));
  r.strategy = std::move(*made);

  auto loaded_state = StateFromRoot(r.durable, root);
  if (!loaded_state.ok()) return loaded_state.status().WithContext("opening " + RedactLocation(dir));
  std::shared_ptr<const DbState> state = std::move(*loaded_state);
  r.live_roots.push_back(root);

  // Replay the log after the root: it is the source of truth.
  std::vector<ExcisionSpec> excisions;
  const RecoveryMode mode =
      options.recover_corrupt_log_tail ? RecoveryMode::kTruncateCorruptTail : RecoveryMode::kStrict;
  const T durable_t = root->generation == 0 ? 0 : root->basis_t;
  const bool indexed = root->generation > 0;
  uint64_t recovered = 0;
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
    recovered++;
    return Status::OK();
  }, LogSkim{indexed ? durable_t : 0, IsExcisionRequestAttr});
  if (!res.ok()) return res.status().WithContext("opening " + RedactLocation(dir));
  if (res->torn_tail) {
    r.stats.recovered_torn_tail = true;
    spdlog::warn("strata: {}: dropped the log tail after byte {} ({})", RedactLocation(dir), res->valid_bytes, res->dropped_reason);
  }
  r.stats.recovered_transactions = recovered;
  {
    MutexLock sl(&r.state_mu);
    r.state = state;
  }
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
  else spdlog::warn("strata: {}: collecting garbage: {}", RedactLocation(dir), gc.status().ToString());
  if (options.background_indexing) r.job_thread = std::thread([&r] { r.JobLoop(); });
  return c;
}

Database Connection::db() const { return DbAccess::Make(rep_->Current()); }

std::shared_ptr<TxReportQueue> Connection::Subscribe() {
  auto q = NewReportQueue(rep_->options.subscriber_capacity);
  MutexLock l(&rep_->mu);
  rep_->subscribers.push_back(q);
  return q;
}

void Connection::RegisterTxFunction(const std::string& name, TxFunction fn) {
  MutexLock l(&rep_->mu);
  std::string key = !name.empty() && name[0] == ':' ? name.substr(1) : name;
  rep_->fns[key] = std::move(fn);
}

Status Connection::TxRange(T start, T end,
                           const std::function<Status(T t, const std::vector<Datom>& datoms)>& fn) const {
  // Only what this connection has published: a record being appended is
  // not yet part of any database value.
  const T basis = rep_->Current()->basis_t;
  LogStore* log = rep_->log;
  {
    MutexLock l(&rep_->mu);
    if (rep_->closed) return Status::Aborted("connection to " + RedactLocation(rep_->dir) + " is closed");
  }
  return log->ReadRange(start, std::min(end, basis + 1), [&](LogRecord&& rec) { return fn(rec.t, rec.datoms); });
}

Result<uint64_t> Connection::StorageBytes() const { return rep_->durable->storage->BytesAtRest(); }

Status Connection::Sync() {
  MutexLock l(&rep_->mu);
  if (rep_->closed) return Status::OK();
  // Wait out a leader in flight: syncing concurrently with its append would
  // race on the writer.
  while (!rep_->writers.empty()) rep_->idle_cv.Wait();
  if (!rep_->failed.ok()) return rep_->failed;
  Status s = rep_->log->Sync();
  if (s.ok()) rep_->stats.syncs++;
  return s;
}

Status Connection::Close() {
  Rep& r = *rep_;
  MutexLock l(&r.mu);
  if (r.closed) return Status::OK();
  while (!r.writers.empty()) r.idle_cv.Wait();
  r.closed = true;
  r.stop_jobs = true;
  r.job_cv.SignalAll();
  r.job_done_cv.SignalAll();
  if (r.job_thread.joinable()) {
    r.mu.Unlock();
    r.job_thread.join();
    r.mu.Lock();
  }
  Status s = r.log && r.log->writable() ? r.log->Sync() : Status::OK();
  for (auto& w : r.subscribers)
    if (auto q = w.lock()) q->Close(Status::Aborted("connection closed"));
  r.subscribers.clear();
  r.backend.lock.reset();
  return s;
}

void Connection::RefuseWrites(Status why) {
  MutexLock l(&rep_->mu);
  rep_->refusing = std::move(why);
  rep_->job_done_cv.SignalAll();  // a leader waiting for memory-index room
}

ConnectionStats Connection::stats() const {
  MutexLock l(&rep_->mu);
  ConnectionStats st = rep_->stats;
  st.sealed_novelty = rep_->Current()->sealed.size();
  return st;
}

const Options& Connection::options() const { return rep_->options; }
const std::string& Connection::dir() const { return rep_->dir; }

}  // namespace strata
