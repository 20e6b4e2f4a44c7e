// state_machine.h — model-based tests with RapidCheck's state commands.
//
// A property is a PropertySpec: which commands its sequences draw (and how
// often), which SPEC §8 checks run after every step, and its case budget.
// One case: a random schema, then a random command sequence run against
// the engine (Sut) and the model side by side. Commands:
//
//   Transact          a generated transaction; the engine must accept it
//                     exactly when the model does, recording the datoms,
//                     t and tempids the model predicts
//   TransactInvalid   one with an injected error: rejected, nothing changes
//   AlterSchema       :db/index, :db/noHistory, cardinality, :db/unique,
//                     :db/isComponent, :db/doc of a user attribute
//   Excise            [:db/excise e ...]
//   IndexNow          an indexing job; every read is the same after it
//   Reopen, Crash     restart cleanly, or crash (DropUnsyncedData) and recover
//   CrashDuringJob    fail the disk part-way through a job, then crash
//   CrashDuringCommit fail the log append or sync of a commit, then crash
//   HoldDbValue       keep a database value; later it reads the same
//   SwitchStrategy    the next jobs use another strategy
//   With              a speculative transaction: predicted, nothing committed
//   Subscribe         one more tx-report queue
//   FaultyReads       a share of segment reads fail or return flipped bits:
//                     reads in every view and order, a transaction, maybe
//                     an index job or a reopen, each right or an error;
//                     nothing commits after a failed read; then faults off
//
// On failure the stream so far (schema first, rejected transactions as
// #_ forms, other commands as comments) is written where ReplayPath says,
// ready for `strata transact`.
#pragma once

#include <cstdint>
#include <string>

#include "checks.h"
#include "generators.h"

namespace strata::props {

struct CommandWeights {
  int transact = 10, invalid = 2, alter = 0, excise = 0, index_now = 2, reopen = 0, crash = 0, crash_job = 0,
      crash_commit = 0, hold = 0, switch_strategy = 0, with = 0, subscribe = 0, faulty_reads = 0;
};

enum class Background { kNever, kSometimes, kAlways };

struct PropertySpec {
  std::string name;      // the SPEC §8 invariant it checks
  int cases = 30;        // CI budget; RC_PARAMS="max_success=N" overrides
  int max_size = 40;     // command sequences grow up to this; RC_PARAMS max_size overrides
  uint32_t checks = 0;   // Check bits run after every step
  CommandWeights weights;
  TxMix mix;
  Background background = Background::kSometimes;
  // Where each case's database lives: empty for a folder in a fault-
  // injecting in-memory Env; else a PostgreSQL URI, each case getting its
  // own strata_db (the disk-fault commands are then left out: PostgreSQL
  // is not behind the Env they fail).
  std::string storage;
};

// One case of the property, inside a RapidCheck property body.
void RunCase(const PropertySpec& spec, const std::string& strategy);

// Runs the property with RapidCheck. Returns "" on success, else the
// failure report (seed, shrunk command sequence, replay file path).
std::string CheckProperty(const PropertySpec& spec, const std::string& strategy);

// Where a failing case's replay goes: <build>/property-failures/<name>-<strategy>.edn
std::string ReplayPath(const PropertySpec& spec, const std::string& strategy);

}  // namespace strata::props
