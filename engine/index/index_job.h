// index_job.h — executes a merge strategy's plan: one indexing job
// (internal).
//
// A job merges one sealed memory index (the novelty up to basis_t) into the
// durable index: it asks the strategy for a plan, runs each tree's steps
// (current tree before history tree of the same order, because
// assertion/retraction pairs that meet in the current tree move to the
// history tree), writes the new leaves and directories, syncs storage and
// publishes the new root. Nothing the previous root reaches is modified, so
// readers of older database values are unaffected, and a crash before the
// publish leaves only unreachable garbage.
//
// Thread safety: runs on the indexing thread; reads immutable inputs.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "index/durable_index.h"
#include "index/excision.h"
#include "memindex/memindex.h"
#include "strata/indexing.h"
#include "strata/mutex.h"

namespace strata {

// The threads indexing jobs run their index orders on, kept from one job
// to the next (a connection keeps one for its life): a job no longer
// starts and joins threads, and what a thread keeps for itself (its zstd
// contexts and its encode and decode scratch buffers, format/segment.cc)
// is allocated and first touched once, not per job. Threads start when a
// job first asks for them. One job uses the pool at a time; a second job
// asking meanwhile runs on its own thread alone.
//
// Thread safety: all methods may be called from any thread.
class IndexJobPool {
 public:
  IndexJobPool() = default;
  IndexJobPool(const IndexJobPool&) = delete;
  IndexJobPool& operator=(const IndexJobPool&) = delete;
  ~IndexJobPool() { Stop(); }

  // Runs work(false) on up to `helpers` pool threads and work(true) on the
  // caller's, and returns when every call has returned. A pool thread that
  // has not begun by the time the caller's call returns does not begin
  // (work hands out its tasks itself: the caller returns once none is
  // left). Fewer helpers when threads cannot be started, none after Stop
  // or while another Run uses the pool.
  void Run(uint32_t helpers, const std::function<void(bool on_caller)>& work) EXCLUDES(mu_);
  // Ends and joins the pool's threads (after the work they are running);
  // later Runs use the caller's thread alone. Idempotent.
  void Stop() EXCLUDES(mu_);

 private:
  void Loop() EXCLUDES(mu_);

  Mutex mu_;
  CondVar start_cv_{&mu_};  // work to start, or stop
  CondVar done_cv_{&mu_};   // a pool thread's call returned
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  const std::function<void(bool)>* work_ GUARDED_BY(mu_) = nullptr;
  uint32_t to_start_ GUARDED_BY(mu_) = 0;  // pool threads still to begin work_
  uint32_t running_ GUARDED_BY(mu_) = 0;   // pool threads in work_
  bool busy_ GUARDED_BY(mu_) = false;      // a Run is in progress
  bool stopped_ GUARDED_BY(mu_) = false;
};

struct JobInput {
  std::shared_ptr<const IndexRoot> root;      // the current durable index
  std::shared_ptr<const MemIndex> novelty;    // sealed novelty (may be empty)
  T basis_t = 0;                              // the last t in the novelty
  T next_t = 0;                               // the t counter at basis_t
  int64_t last_instant = 0;                   // the instant of basis_t
  std::vector<ExcisionSpec> excisions;        // to remove from every tree
  const MergeStrategy* strategy = nullptr;
  StrategyOptions options;
  std::function<bool(EntityId)> no_history;   // attributes whose cancelled pairs are dropped (called from several threads)
  // Attributes whose (a v) keys the current AVET tree's new leaves keep a
  // UniqueValueFilter of (index/unique_value_filter.h; called from the AVET task's
  // thread); empty: no filters.
  std::function<bool(EntityId)> unique;
  // Threads the job runs its index orders on (one task per order: its
  // current then its history tree); 0: min(4, hardware cores); 1: serial.
  uint32_t threads = 0;
  // Below this much novelty (datoms summed over the trees) the job runs
  // serially: starting threads costs more than a small job's work.
  uint64_t parallel_min_datoms = 1u << 15;
  // Where those threads come from (kept by the caller across jobs); null:
  // the job starts and joins its own.
  IndexJobPool* pool = nullptr;
};

// Runs the job, publishes the root, and returns it. On error nothing is
// published (segments already written are garbage for the next GC).
Result<std::shared_ptr<const IndexRoot>> RunIndexJob(DurableContext& ctx, const JobInput& in, JobMetrics* metrics);

// Deletes every segment in storage that none of `live` reaches. Returns
// how many were deleted.
Result<uint64_t> CollectGarbage(Storage& storage, const std::vector<std::shared_ptr<const IndexRoot>>& live);

// Cancels assertion/retraction pairs that meet in a sorted run of one
// tree (SPEC: current trees hold no such pair once they have met). Pairs go
// to *cancelled unless no_history(a). Exposed for tests.
std::vector<Datom> CancelPairs(std::vector<Datom> sorted, const std::function<bool(EntityId)>& no_history,
                               std::vector<Datom>* cancelled);
// The same in place: what stays is moved to the front of `sorted` (the
// rest is left moved-from); returns how many stay.
size_t CancelPairsInPlace(std::span<Datom> sorted, const std::function<bool(EntityId)>& no_history,
                          std::vector<Datom>* cancelled);

}  // namespace strata
