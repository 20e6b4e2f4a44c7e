// Connection: the single writer. Group commit (LevelDB's writer queue):
// callers queue; the one at the front becomes the leader, prepares and logs
// every queued transaction, syncs once per the policy, publishes the new
// database value and the reports in commit order, then wakes the others.
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "db_state.h"
#include "log.h"
#include "strata/database.h"
#include "transactor.h"

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
  return std::string("sync=") + SyncPolicyName(sync) + " batch_sync_interval_ms=" +
         std::to_string(batch_sync_interval_ms) + " memory_index_threshold=" + std::to_string(memory_index_threshold) +
         " memory_index_max=" + std::to_string(memory_index_max) + " strategy=" + strategy +
         " subscriber_capacity=" + std::to_string(subscriber_capacity) +
         " recover_corrupt_log_tail=" + (recover_corrupt_log_tail ? "true" : "false");
}

namespace {

class QueueImpl final : public TxReportQueue {
 public:
  explicit QueueImpl(size_t capacity) : capacity_(capacity) {}

  bool Pop(TxReport* out, int timeout_ms) override {
    std::unique_lock l(mu_);
    auto ready = [&] { return !q_.empty() || closed_; };
    if (timeout_ms < 0) cv_.wait(l, ready);
    else if (!cv_.wait_for(l, std::chrono::milliseconds(timeout_ms), ready)) return false;
    if (q_.empty()) return false;
    *out = std::move(q_.front());
    q_.pop_front();
    return true;
  }
  size_t size() const override {
    std::lock_guard l(mu_);
    return q_.size();
  }
  Status status() const override {
    std::lock_guard l(mu_);
    return status_;
  }
  void Push(const TxReport& r) {
    std::lock_guard l(mu_);
    if (closed_) return;
    if (capacity_ && q_.size() >= capacity_) {
      closed_ = true;
      status_ = Status::Busy("subscriber fell " + std::to_string(capacity_) +
                             " reports behind and was closed at t=" + std::to_string(r.t) +
                             "; resubscribe and read the rest from TxRange");
    } else {
      q_.push_back(r);
    }
    cv_.notify_all();
  }
  void Close(Status why) {
    std::lock_guard l(mu_);
    if (!closed_) status_ = std::move(why);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TxReport> q_;
  size_t capacity_;
  bool closed_ = false;
  Status status_;
};

struct Writer {
  const edn::Node* tx = nullptr;
  bool done = false;
  Result<TxReport> result = Status::Aborted("not run");
  std::condition_variable cv;
};

constexpr size_t kMaxGroup = 256;

}  // namespace

struct Connection::Rep {
  Env* env = nullptr;
  std::string dir, log_path;
  Options options;
  std::unique_ptr<FileLock> lock;
  std::unique_ptr<LogWriter> log;

  mutable std::mutex state_mu;  // guards state
  std::shared_ptr<const DbState> state;

  std::mutex mu;  // guards everything below
  std::deque<Writer*> writers;
  TxFunctionRegistry fns;
  std::vector<std::weak_ptr<QueueImpl>> subscribers;
  ConnectionStats stats;
  Status failed;  // once a log sync fails, no more writes (fsync gate)
  bool closed = false;
  std::chrono::steady_clock::time_point last_sync = std::chrono::steady_clock::now();

  std::shared_ptr<const DbState> Current() const {
    std::lock_guard l(state_mu);
    return state;
  }
  void CommitGroup(std::vector<Writer*>& group, TxFunctionRegistry fns_copy);
  Status RewriteLog(const std::vector<ExcisionSpec>& specs);
};

Connection::Connection() : rep_(std::make_unique<Rep>()) {}

Connection::~Connection() {
  Status s = Close();
  if (!s.ok()) spdlog::warn("strata: closing {}: {}", rep_->dir, s.ToString());
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& dir, const Options& options) {
  std::unique_ptr<Connection> c(new Connection());
  Rep& r = *c->rep_;
  r.env = options.env ? options.env : Env::Default();
  r.dir = dir;
  r.log_path = dir + "/log";
  r.options = options;
  if (!r.env->FileExists(r.log_path)) {
    if (!options.create_if_missing) return Status::NotFound("no database at " + dir);
    STRATA_RETURN_IF_ERROR(r.env->CreateDirs(dir));
  }
  STRATA_ASSIGN_OR_RETURN(r.lock, r.env->LockFile(dir + "/LOCK"));

  // Replay the log: it is the source of truth.
  auto state = BootstrapState();
  std::vector<ExcisionSpec> excisions;
  uint64_t excised = 0;
  uint64_t valid_bytes = 0;
  if (r.env->FileExists(r.log_path)) {
    const RecoveryMode mode =
        options.recover_corrupt_log_tail ? RecoveryMode::kTruncateCorruptTail : RecoveryMode::kStrict;
    auto res = ReadLog(r.env, r.log_path, mode, [&](LogRecord&& rec) -> Status {
      auto schema = state->schema;
      bool touches = false;
      for (const Datom& d : rec.datoms) touches |= IsSchemaAttr(d.a);
      if (touches) {
        auto next = std::make_shared<Schema>(*schema);
        ApplySchemaDatoms(next.get(), rec.datoms);
        schema = std::move(next);
      }
      const bool excise = HasExcision(rec.datoms);
      std::vector<Datom> copy;
      if (excise) copy = rec.datoms;
      state = ApplyDatoms(*state, rec.t, std::move(rec.datoms), std::move(schema));
      if (excise) {
        auto specs = ExcisionSpecs(*state, rec.t, copy);
        uint64_t removed = 0;
        state = ApplyExcisions(state, specs, &removed);
        excised += removed;
        excisions.insert(excisions.end(), specs.begin(), specs.end());
      }
      r.stats.recovered_transactions++;
      return Status::OK();
    });
    if (!res.ok()) return res.status().WithContext("opening " + dir);
    valid_bytes = res->valid_bytes;
    if (res->torn_tail) {
      r.stats.recovered_torn_tail = true;
      spdlog::warn("strata: {}: dropped the log tail after byte {} ({})", dir, res->valid_bytes, res->dropped_reason);
    }
  }
  r.state = state;
  STRATA_ASSIGN_OR_RETURN(r.log, LogWriter::Open(r.env, r.log_path, valid_bytes));
  STRATA_RETURN_IF_ERROR(r.log->Sync());
  STRATA_RETURN_IF_ERROR(r.env->SyncDir(dir));
  // A crash between an excision's commit and its log rewrite leaves excised
  // datoms in the log: finish the rewrite now.
  if (excised > 0) STRATA_RETURN_IF_ERROR(r.RewriteLog(excisions));
  r.stats.log_bytes = r.log->size();
  return c;
}

Status Connection::Rep::RewriteLog(const std::vector<ExcisionSpec>& specs) {
  const std::string tmp = log_path + ".rewrite";
  if (env->FileExists(tmp)) STRATA_RETURN_IF_ERROR(env->DeleteFile(tmp));
  {
    STRATA_ASSIGN_OR_RETURN(auto out, LogWriter::Open(env, tmp, 0));
    auto res = ReadLog(env, log_path, RecoveryMode::kStrict, [&](LogRecord&& rec) -> Status {
      std::erase_if(rec.datoms, [&](const Datom& d) { return Excised(specs, d); });
      return out->Append(rec);
    });
    if (!res.ok()) return res.status().WithContext("rewriting the log for excision");
    STRATA_RETURN_IF_ERROR(out->Sync());
  }
  log.reset();
  STRATA_RETURN_IF_ERROR(env->RenameFile(tmp, log_path));
  STRATA_RETURN_IF_ERROR(env->SyncDir(dir));
  STRATA_ASSIGN_OR_RETURN(uint64_t size, env->FileSize(log_path));
  STRATA_ASSIGN_OR_RETURN(log, LogWriter::Open(env, log_path, size));
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
  return std::move(w.result);
}

void Connection::Rep::CommitGroup(std::vector<Writer*>& group, TxFunctionRegistry fns_copy) {
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
    auto prepared = PrepareTx(before, *w->tx, fns_copy, NowMillis());
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

  bool sync = options.sync == SyncPolicy::kAlways || !excisions.empty();
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
    }
  }
  {
    std::lock_guard l(state_mu);
    this->state = state;
  }
  std::lock_guard l(mu);
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
  auto q = std::make_shared<QueueImpl>(rep_->options.subscriber_capacity);
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
  const T basis = rep_->Current()->basis_t;
  auto res = ReadLog(rep_->env, rep_->log_path, RecoveryMode::kTruncateCorruptTail, [&](LogRecord&& rec) -> Status {
    if (rec.t > basis) return Status::Aborted("past basis");
    if (rec.t >= start && rec.t < end) return fn(rec.t, rec.datoms);
    return Status::OK();
  });
  if (!res.ok() && res.status().code() != Code::kAborted) return res.status();
  if (!res.ok() && res.status().message() != "past basis") return res.status();
  return Status::OK();
}

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
  Status s = r.log ? r.log->Sync() : Status::OK();
  for (auto& w : r.subscribers)
    if (auto q = w.lock()) q->Close(Status::Aborted("connection closed"));
  r.subscribers.clear();
  r.log.reset();
  r.lock.reset();
  return s;
}

ConnectionStats Connection::stats() const {
  std::lock_guard l(rep_->mu);
  return rep_->stats;
}

const Options& Connection::options() const { return rep_->options; }
const std::string& Connection::dir() const { return rep_->dir; }

}  // namespace strata
