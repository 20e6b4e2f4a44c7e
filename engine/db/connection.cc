// Connection: opening a database (the durable root, then the log replayed
// after it), the API that is neither commit nor indexing, and closing.
// The writer is in commit.cc, the job scheduler in jobs.cc; the shared
// state in connection_rep.h.
#include <spdlog/spdlog.h>

#include <limits>
#include <optional>
#include <unordered_set>

#include "db/connection_rep.h"
#include "db/replay.h"
#include "format/log.h"
#include "format/segment.h"
#include "util/env_readonly.h"

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
         " segment_datoms=" + std::to_string(segment_datoms) +
         " index_job_threads=" + std::to_string(index_job_threads) + " strategy_settings=" + settings +
         " segment_cache_bytes=" + std::to_string(segment_cache_bytes) +
         " subscriber_capacity=" + std::to_string(subscriber_capacity) +
         " recover_corrupt_log_tail=" + (recover_corrupt_log_tail ? "true" : "false") +
         (read_only ? " read_only=true" : "") +
         (segment_retain_ms ? " segment_retain_ms=" + std::to_string(segment_retain_ms) : std::string());
}

namespace {
// The datoms of a log record before the durable root that a reopen needs:
// excision requests (the log check after a crash mid-excision).
bool IsExcisionRequestAttr(EntityId a) {
  return a == sys::kExcise || a == sys::kExciseAttrs || a == sys::kExciseBefore || a == sys::kExciseBeforeT;
}

// The newest pack's torn tail (if any) against the root: true when there
// is one and the root reaches no blob at or after it (a writer may cut it);
// when the root does (or cannot be loaded for a blob missing there), it is
// damage in front of referenced data: Corruption naming the place.
// `root` is the loaded root or why loading failed.
Result<bool> CheckTornTail(Storage& storage, const Result<std::shared_ptr<const IndexRoot>>& root,
                           const std::string& dir) {
  std::optional<TornTail> tail = storage.torn_tail();
  if (!tail) return false;
  const std::string where = "opening " + RedactLocation(dir) + ": storage: " + tail->ToString();
  if (!root.ok()) {
    if (root.status().IsNotFound())
      return Status::Corruption(where + ", and the index root names data not before it (" + root.status().message() +
                                "); nothing was changed");
    return root.status().WithContext(where);
  }
  std::vector<uint64_t> ids;
  (*root)->CollectIds(&ids);
  if (!ids.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> keys, storage.List("seg/"));
    std::unordered_set<uint64_t> present;
    for (const std::string& k : keys) {
      uint64_t id;
      if (ParseSegmentKey(k, &id)) present.insert(id);
    }
    for (uint64_t id : ids) {
      if (!present.count(id))
        return Status::Corruption(where + ", and the index root names segment " + SegmentName(id) +
                                  ", which is not before it; nothing was changed");
    }
  }
  return true;
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
  const bool ro = options.read_only;
  BackendOptions bo;
  bo.env = options.env ? options.env : Env::Default();
  if (ro) {
    // Everything below sees only an Env that refuses to write.
    r.read_only_env = NewReadOnlyEnv(bo.env);
    bo.env = r.read_only_env.get();
    r.options.background_indexing = false;
  }
  bo.create_if_missing = options.create_if_missing && !ro;
  bo.writer = !ro;
  bo.sync = options.sync != SyncPolicy::kNever;
  STRATA_ASSIGN_OR_RETURN(r.backend, OpenBackend(dir, bo));
  r.log = r.backend.log.get();

  // The durable index: load the newest root, if any.
  r.durable = std::make_shared<DurableContext>();
  r.durable->env = r.read_only_env;  // database values may outlive the connection
  r.durable->storage = std::move(r.backend.storage);
  r.durable->cache = std::make_shared<SegmentCache>(options.segment_cache_bytes);
  r.durable->sync = options.sync != SyncPolicy::kNever;
  std::shared_ptr<const IndexRoot> root;
  bool cut_pack_tail = false;  // the writer's, once the log is found whole
  for (int attempt = 0;; ++attempt) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> root_bytes, r.durable->storage->ReadRoot());
    if (!root_bytes) {
      auto empty = std::make_shared<IndexRoot>();
      empty->strategy = options.strategy.empty() ? DefaultStrategyName() : options.strategy;
      // A new database records its strategy from the start (strata verify
      // shows it), before any job writes a root of its own.
      if (!ro) {
        if (Status s = r.durable->storage->PublishRoot(EncodeRoot(*empty)); !s.ok())
          return s.WithContext("creating " + RedactLocation(dir));
      }
      root = std::move(empty);
      STRATA_ASSIGN_OR_RETURN(cut_pack_tail, CheckTornTail(*r.durable->storage, root, dir));
      break;
    }
    auto loaded = LoadRoot(*r.durable, *root_bytes);
    Result<bool> settled = CheckTornTail(*r.durable->storage, loaded, dir);
    if ((!settled.ok() || !loaded.ok()) && ro && attempt < 5) {
      // A reader races the writer: a newer root may have replaced this one
      // and its segments (its directories too) been collected meanwhile.
      // Look again; the same root failing is a real error.
      auto now = r.durable->storage->ReadRoot();
      if (now.ok() && *now != root_bytes) continue;
    }
    if (!settled.ok()) return settled.status();
    cut_pack_tail = *settled;
    if (!loaded.ok()) return loaded.status().WithContext("opening " + RedactLocation(dir));
    root = std::move(*loaded);
    break;
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

  // Replay the log after the root: it is the source of truth. It must hold
  // every transaction the root covers (LogSkim::must_reach).
  std::vector<ExcisionSpec> excisions;
  const RecoveryMode mode =
      options.recover_corrupt_log_tail ? RecoveryMode::kTruncateCorruptTail : RecoveryMode::kStrict;
  const T durable_t = root->generation == 0 ? 0 : root->basis_t;
  const bool indexed = root->generation > 0;
  uint64_t recovered = 0;
  auto on_record = [&](LogRecord&& rec) -> Status {
    if (indexed && rec.t <= durable_t) {
      // Already in the durable index; remember excisions for the log check.
      if (HasExcision(rec.datoms)) {
        STRATA_ASSIGN_OR_RETURN(std::vector<ExcisionSpec> specs, ExcisionSpecs(*state, rec.t, rec.datoms));
        excisions.insert(excisions.end(), specs.begin(), specs.end());
      }
      return Status::OK();
    }
    STRATA_RETURN_IF_ERROR(ReplayTransaction(&state, rec.t, rec.datoms, &excisions));
    recovered++;
    return Status::OK();
  };
  const LogSkim skim{indexed ? durable_t : 0, IsExcisionRequestAttr, /*must_reach=*/true};
  // A reader reads what is intact and changes nothing; the writer also
  // cuts a torn tail (never acknowledged: log.h) and readies the log.
  auto res = ro ? r.log->Read(on_record, skim) : r.log->Recover(mode, on_record, skim);
  if (!res.ok()) return res.status().WithContext("opening " + RedactLocation(dir));
  if (res->torn_tail && !ro) {
    r.stats.recovered_torn_tail = true;
    spdlog::warn("strata: {}: dropped the log tail after byte {} ({})", RedactLocation(dir), res->valid_bytes, res->dropped_reason);
  }
  // The pack's torn tail, checked against the root above (a reader leaves
  // it: perhaps a writer's append in flight).
  if (cut_pack_tail && !ro) {
    if (std::optional<TornTail> tail = r.durable->storage->torn_tail()) {
      STRATA_RETURN_IF_ERROR(r.durable->storage->CutTornTail().WithContext("opening " + RedactLocation(dir)));
      spdlog::warn("strata: {}: cut the torn tail of {} (no root names a blob in it)", RedactLocation(dir), tail->ToString());
    }
  }
  r.stats.recovered_transactions = recovered;
  {
    MutexLock sl(&r.state_mu);
    r.state = state;
  }
  // A crash between an excision's commit and its log rewrite leaves excised
  // datoms in the log: finish the rewrite now (a reader hides them instead).
  if (!excisions.empty()) {
    bool dirty = false;
    Status scan = r.log->ReadRange(0, std::numeric_limits<T>::max(), [&](LogRecord&& rec) -> Status {
      for (const Datom& d : rec.datoms) dirty |= Excised(excisions, d);
      return Status::OK();
    });
    if (!scan.ok()) return scan;
    if (dirty && ro) r.unrewritten_excisions = std::move(excisions);
    else if (dirty) STRATA_RETURN_IF_ERROR(r.RewriteLog(excisions));
  }
  r.stats.log_bytes = ro ? res->valid_bytes : r.log->size();
  if (ro) return c;
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
  const auto& hidden = rep_->unrewritten_excisions;
  return log->ReadRange(start, std::min(end, basis + 1), [&](LogRecord&& rec) {
    if (!hidden.empty()) std::erase_if(rec.datoms, [&](const Datom& d) { return Excised(hidden, d); });
    return fn(rec.t, rec.datoms);
  });
}

Result<uint64_t> Connection::StorageBytes() const { return rep_->durable->storage->BytesAtRest(); }

Status Connection::Sync() {
  MutexLock l(&rep_->mu);
  if (rep_->closed || rep_->options.read_only) return Status::OK();
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
  r.job_pool.Stop();
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
  ConnectionStats st;
  std::shared_ptr<const DbState> state;
  {
    MutexLock l(&rep_->mu);
    st = rep_->stats;
    state = rep_->Current();
  }
  st.sealed_novelty = state->sealed.size();
  st.memory_index_bytes = state->NoveltyBytes();
  st.memory_index_datoms = state->mem->stats().datoms;
  for (const DbState::Sealed& g : state->sealed) st.memory_index_datoms += g.mem->stats().datoms;
  if (state->root) {
    st.durable_datoms = state->root->datoms();
    for (const auto& tree : state->root->trees)
      for (const auto& level : tree) {
        st.durable_segments += level->segments.size();
        st.durable_bytes += level->bytes;
      }
  }
  // The durable context is set by Open before another thread sees the
  // connection; its storage and cache count with their own locks.
  if (const DurableContext* d = rep_->durable.get()) {
    if (d->storage) {
      const StorageStats s = d->storage->stats();
      st.storage_gets = s.gets;
      st.storage_bytes_got = s.bytes_got;
      st.storage_puts = s.puts;
      st.storage_bytes_put = s.bytes_put;
      st.storage_round_trips = s.round_trips;
      st.storage_wait_ms = s.wait_ms;
    }
    st.leaf_fetch_ms = d->LeafFetches();
    if (d->cache) {
      const SegmentCacheStats c = d->cache->stats();
      st.cache_hits = c.hits;
      st.cache_misses = c.misses;
      st.cache_evictions = c.evictions;
      st.cache_bytes = c.bytes;
      st.cache_capacity_bytes = d->cache->capacity();
    }
  }
  return st;
}

const Options& Connection::options() const { return rep_->options; }
const std::string& Connection::dir() const { return rep_->dir; }

}  // namespace strata
