// strata/options.h — how a connection opens and runs a database.
//
// Plain structs with defaults; Options::ToString() prints one line for logs
// and results files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "strata/env.h"

namespace strata {

enum class SyncPolicy : uint8_t {
  kAlways,  // a commit is acknowledged after its log record is fsynced
  kBatch,   // fsync at most every batch_sync_interval_ms; a crash may lose
            // the acknowledged commits of that last interval
  kNever,   // never fsync the log or new index segments (the OS decides);
            // for throw-away loads and benchmarks
};
const char* SyncPolicyName(SyncPolicy p);
bool ParseSyncPolicy(std::string_view s, SyncPolicy* out);

struct Options {
  Env* env = nullptr;                          // null: Env::Default()
  SyncPolicy sync = SyncPolicy::kAlways;       // durability of commits
  uint32_t batch_sync_interval_ms = 10;        // kBatch: longest unsynced span
  bool create_if_missing = true;               // create the folder and log
  // Open for reading only: no lock (works while a writer runs), no
  // recovery, no file created, no byte changed; reads the newest published
  // root and the log as far as it is intact. Transact and IndexNow fail.
  bool read_only = false;
  bool recover_corrupt_log_tail = false;       // drop a corrupt log tail instead of failing
  uint64_t memory_index_threshold = 32u << 20; // seal the novelty for an indexing job past this
  uint64_t memory_index_max = 512u << 20;      // transactions wait past this
  bool background_indexing = true;             // run indexing jobs on a background thread
  std::string strategy;                        // merge strategy; empty: the root's, else DefaultStrategyName()
  uint32_t segment_datoms = 4096;              // target datoms per leaf segment
  // Threads an indexing job runs its index orders' trees on (EAVT, AEVT,
  // AVET, VAET: one task each); 0: min(4, hardware cores); 1: one after
  // the other on the job's thread. The segments written are the same.
  uint32_t index_job_threads = 0;
  // Per strategy name, that strategy's own settings, "key=value,..." (e.g.
  // {"adaptive", "level_ratio=4"}; indexing/<strategy>.h lists the keys).
  // Opaque to the engine: each is checked by its strategy when the
  // connection opens, and used whenever that strategy runs.
  std::map<std::string, std::string> strategy_settings;
  uint64_t segment_cache_bytes = 256u << 20;   // decoded leaves kept in memory
  size_t subscriber_capacity = 0;              // tx-report queue bound; 0 = unbounded
  uint32_t segment_retain_ms = 0;              // keep a superseded root's segments this long
                                               // (peers reading it from storage); 0: until
                                               // no database value here holds the root
  std::function<int64_t()> clock;              // ms since epoch for :db/txInstant; null: system clock

  // One line, for logs and results files.
  std::string ToString() const;
};

}  // namespace strata
