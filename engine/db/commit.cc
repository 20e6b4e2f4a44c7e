// Group commit (LevelDB's writer queue): callers queue; the one at the
// front becomes the leader, prepares and logs every queued transaction,
// syncs once per the policy, publishes the new database value and the
// reports in commit order, then wakes the others.
#include <spdlog/spdlog.h>

#include "db/connection_rep.h"
#include "format/log.h"
#include "tx/transactor.h"

namespace strata {


void Connection::Rep::PublishFromWriter(const std::shared_ptr<const DbState>& base,
                                        std::shared_ptr<const DbState> after) {
  MutexLock l(&state_mu);
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

Result<TxReport> Connection::Transact(std::string_view edn_text) {
  STRATA_ASSIGN_OR_RETURN(edn::Node tx, edn::ReadOne(edn_text));
  return Transact(tx);
}

Result<TxReport> Connection::Transact(const edn::Node& tx_data) {
  Rep& r = *rep_;
  if (r.options.read_only) return Status::InvalidArgument("transact: " + r.dir + " is open read-only");
  const auto t0 = std::chrono::steady_clock::now();
  // Committed transactions count in stats.transact_ms, from here to the
  // return (queueing and the sync included); mu is held at every return.
  auto timed = [&](Result<TxReport> result) REQUIRES(r.mu) {
    if (result.ok())
      r.stats.transact_ms.Record(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return result;
  };
  Rep::Writer w(&r.mu);
  w.tx = &tx_data;
  MutexLock l(&r.mu);
  if (r.closed) return Status::Aborted("connection to " + RedactLocation(r.dir) + " is closed");
  if (!r.failed.ok()) return r.failed;
  if (!r.refusing.ok()) return r.refusing;
  r.writers.push_back(&w);
  while (!w.done && r.writers.front() != &w) w.cv.Wait();
  if (w.done) return timed(std::move(w.result));

  // This writer leads a group of everything queued so far.
  std::vector<Rep::Writer*> group(r.writers.begin(), r.writers.begin() + std::min(r.writers.size(), Rep::kMaxGroup));
  TxFunctionRegistry fns = r.fns;
  r.mu.Unlock();
  r.CommitGroup(group, std::move(fns));
  r.mu.Lock();
  for (Rep::Writer* g : group) {
    r.writers.pop_front();
    g->done = true;
    if (g != &w) g->cv.Signal();
  }
  if (!r.writers.empty()) r.writers.front()->cv.Signal();
  else r.idle_cv.SignalAll();  // IndexNow, Sync and Close wait for a quiet writer
  return timed(std::move(w.result));
}

void Connection::Rep::CommitGroup(std::vector<Writer*>& group, TxFunctionRegistry fns_copy) {
  if (options.background_indexing && Current()->NoveltyBytes() >= options.memory_index_max) {
    // Backpressure: wait for a job to shrink the novelty; measured.
    const auto t0 = std::chrono::steady_clock::now();
    MutexLock l(&mu);
    job_cv.SignalAll();
    while (Current()->NoveltyBytes() >= options.memory_index_max && !stop_jobs && refusing.ok()) job_done_cv.Wait();
    stats.backpressure_wait_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!refusing.ok()) {  // nothing of the group was logged: each fails cleanly
      for (Writer* w : group) w->result = refusing;
      return;
    }
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
    MutexLock l(&mu);
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
      MutexLock l(&mu);
      stats.rejected++;
      continue;
    }
    PreparedTx& p = *prepared;
    // The record borrows the datoms (no copy of the transaction) and gives
    // them back whatever Append returns.
    LogRecord rec{p.t, std::move(p.datoms)};
    Status appended = log->Append(rec);
    p.datoms = std::move(rec.datoms);
    if (Status s = std::move(appended); !s.ok()) {
      if (s.IsInvalidArgument()) {
        // Refused before a byte was written (a record over
        // kMaxLogPayloadBytes): this transaction only.
        w->result = s;
        MutexLock l(&mu);
        stats.rejected++;
        continue;
      }
      // Nothing of this transaction is acknowledged; the writer has cut the
      // half record off. Later transactions of the group are refused too.
      io = s.WithContext("appending to the log");
      w->result = io;
      continue;
    }
    auto after = ApplyDatoms(*state, p.t, p.datoms, p.schema_after);
    if (HasExcision(p.datoms)) {
      // Computed while preparing (from db-before, which gives the same
      // limits): nothing may fail after the log append.
      const std::vector<ExcisionSpec>& specs = p.excisions;
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
      MutexLock l(&mu);
      failed = why;
      for (Done& d : committed) d.w->result = why;
      return;
    }
    last_sync = std::chrono::steady_clock::now();
  }
  if (!excisions.empty()) {
    if (Status s = RewriteLog(excisions); !s.ok()) {
      // The excision is committed; the rewrite finishes on the next open.
      spdlog::error("strata: {}: excision log rewrite failed: {}", RedactLocation(dir), s.ToString());
      if (!log->writable()) {
        MutexLock l(&mu);
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
  MutexLock l(&mu);
  if (sealed) job_cv.SignalAll();
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

}  // namespace strata
