// The job scheduler: one background thread (or the caller of IndexNow)
// runs sealed novelty through indexing jobs, publishes each new root, and
// collects the segments no live root reaches (roots held by database
// values, and superseded roots retained for segment_retain_ms).
#include <spdlog/spdlog.h>

#include "db/connection_rep.h"

namespace strata {

bool Connection::Rep::RunOneJob() {
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
  in.threads = options.index_job_threads;
  in.pool = &job_pool;
  auto schema = st->schema;
  in.no_history = [schema](EntityId a) {
    const Attribute* at = schema->Attr(a);
    return at && at->no_history;
  };
  in.unique = [schema](EntityId a) {
    const Attribute* at = schema->Attr(a);
    return at && at->unique != Unique::kNone;
  };
  job_running = true;
  mu.Unlock();
  JobMetrics m;
  auto result = RunIndexJob(*durable, in, &m);
  if (result.ok()) {
    MutexLock sl(&state_mu);
    auto next = std::make_shared<DbState>(*state);
    next->root = *result;
    next->sealed.erase(next->sealed.begin());
    next->pending_excisions.erase(next->pending_excisions.begin(),
                                  next->pending_excisions.begin() + static_cast<long>(in.excisions.size()));
    state = std::move(next);
  }
  mu.Lock();
  job_running = false;
  if (!result.ok()) {
    stats.job_failures++;
    spdlog::error("strata: {}: indexing job failed (will retry): {}", RedactLocation(dir), result.status().ToString());
    job_done_cv.SignalAll();
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
  mu.Unlock();
  auto gc = CollectGarbage(*durable->storage, live);
  mu.Lock();
  if (gc.ok()) stats.segments_collected += *gc;
  job_done_cv.SignalAll();
  return true;
}

void Connection::Rep::JobLoop() {
  MutexLock l(&mu);
  int failures = 0;
  while (!stop_jobs) {
    if (Current()->sealed.empty()) {
      job_cv.Wait();
      continue;
    }
    if (RunOneJob()) {
      failures = 0;
    } else if (!Current()->sealed.empty()) {
      // Back off before retrying; the log still holds everything.
      auto delay = std::chrono::milliseconds(std::min(5000, 50 << std::min(failures++, 7)));
      const auto until = std::chrono::steady_clock::now() + delay;
      while (!stop_jobs && job_cv.WaitUntil(until)) {
      }
    }
  }
}

Result<std::vector<JobMetrics>> Connection::IndexNow() {
  Rep& r = *rep_;
  if (r.options.read_only) return Status::InvalidArgument("index: " + r.dir + " is open read-only");
  MutexLock l(&r.mu);
  if (r.closed) return Status::Aborted("connection to " + RedactLocation(r.dir) + " is closed");
  // Wait out a commit in flight, then seal the open novelty.
  while (!r.writers.empty()) r.idle_cv.Wait();
  const size_t first_job = r.jobs.size();
  // What a job indexes must be durable in the log first.
  if (!r.failed.ok()) return r.failed;
  if (Status s = r.log->Sync(); !s.ok()) return s.WithContext("syncing the log before indexing");
  {
    MutexLock sl(&r.state_mu);
    if (r.state->mem->stats().datoms > 0 || !r.state->pending_excisions.empty()) {
      auto next = std::make_shared<DbState>(*r.state);
      next->sealed.push_back(DbState::Sealed{next->mem, next->basis_t, next->next_t, next->last_instant});
      next->mem = std::make_shared<MemIndex>();
      r.state = std::move(next);
    }
  }
  const uint64_t failures_before = r.stats.job_failures;
  if (r.options.background_indexing) {
    r.job_cv.SignalAll();
    while (!((r.Current()->sealed.empty() && !r.job_running) || r.stats.job_failures > failures_before))
      r.job_done_cv.Wait();
  } else {
    while (!r.Current()->sealed.empty())
      if (!r.RunOneJob()) break;
  }
  if (!r.Current()->sealed.empty()) return Status::IOError("indexing job failed; see the log; it will be retried");
  return std::vector<JobMetrics>(r.jobs.begin() + static_cast<long>(first_job), r.jobs.end());
}

std::vector<JobMetrics> Connection::Jobs() const {
  MutexLock l(&rep_->mu);
  return rep_->jobs;
}

std::string Connection::strategy() const {
  MutexLock l(&rep_->mu);
  return rep_->strategy->name();
}

Status Connection::SetStrategy(const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MergeStrategy> s, rep_->NewStrategy(name));
  MutexLock l(&rep_->mu);
  while (rep_->job_running) rep_->job_done_cv.Wait();
  rep_->strategy = std::move(s);
  return Status::OK();
}

}  // namespace strata
