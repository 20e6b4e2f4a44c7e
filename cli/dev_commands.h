// cli/dev_commands.h — hidden developer subcommands of `strata`.
//
// These are tools for the project's own scripts (scripts/crash-loop), not
// for users: they are registered without a help group, so `strata --help`
// does not list them. Each Add* function registers its subcommand on the
// app and returns it; main.cc calls the matching Run* when it was parsed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "strata/env.h"

namespace CLI {
class App;
}

namespace strata::cli {

// `strata crash-writer`: a writer meant to be killed with SIGKILL. It opens
// (or creates) --db with --strategy, a tiny memory-index threshold (so
// indexing jobs run all the time) and sync always, then commits a
// deterministic stream of numbered transactions, resuming after the
// highest number already in the database. Transaction n asserts the
// entity {:w/n n :w/a "a-<n>" :w/b <n*7>} and sets :w/u of entity n/2 to
// n (an update: a retraction and an assertion). After Transact returns OK
// it prints n on its own line and flushes stdout: every printed number is
// acknowledged and must survive a crash.
struct CrashWriterArgs {
  std::string db;
  std::string strategy = "adaptive";
  uint64_t memory_index_threshold = 16u << 10;  // bytes of novelty per indexing job
  uint64_t transactions = 0;                    // stop after this many; 0: until killed
  uint32_t payload_bytes = 64;                  // length of each :w/a string
  // Not flags of `strata crash-writer`: the fault writer
  // (cli/fault_writer_main.cc, a test program) sets them. With `env`, the
  // database is opened on it; `fault_env_on` is called once the database
  // is open (faults during the open itself would be EIO only, retried).
  // `retry_failed` keeps going after a transaction fails with IOError or
  // Corruption (a failed read commits nothing), retrying the same number.
  Env* env = nullptr;
  std::function<void()> fault_env_on;
  bool retry_failed = false;
};

CLI::App* AddCrashWriter(CLI::App& app, CrashWriterArgs* args);
int RunCrashWriter(const CrashWriterArgs& args);

}  // namespace strata::cli
