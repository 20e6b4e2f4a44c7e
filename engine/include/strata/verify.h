// strata/verify.h — an offline consistency check of a database folder.
//
// Verify opens the database without background indexing and checks, in
// order:
//   1. every segment the root reaches (directories and leaves) reads back,
//      passes its checksum and format checks, and agrees with what refers
//      to it (order, datom count, size, first and last datom);
//   2. every level of every tree is sorted and its segments disjoint;
//   3. the sort orders hold the same datoms: EAVT, AEVT and AVET trees
//      (current and history together) the same set, VAET the subset whose
//      attribute is a ref (datoms of :db/noHistory attributes aside: when
//      a retraction meets its assertion in one tree they are dropped there,
//      and trees merge at different boundaries); and through the read
//      path, AVET shows exactly the
//      current datoms of indexed or unique attributes, VAET exactly those of
//      ref attributes;
//   4. (unless options say otherwise) the current and history views of all
//      four indexes equal those of a fresh in-memory database that replays
//      the whole log.
// Verify opens the database read-only (Options::read_only): it changes no
// byte, repairs nothing (see Repair below) and runs while a writer holds
// the database, checking the newest published root and the log as far as
// it is intact. Problems are collected, not thrown: a corrupt segment is
// reported by name and the check goes on; a database that cannot be
// opened (a damaged log, damage in front of data the root names, a log
// shorter than the root's basis) is one problem naming file and offset.
//
// Thread safety: any number of Verify calls and one writer may run at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

struct VerifyOptions {
  Env* env = nullptr;          // null: Env::Default()
  bool replay_log = true;      // step 4; costs a second copy of the database in memory
  size_t max_problems = 50;    // stop recording problems past this many
};

struct VerifyReport {
  bool ok = false;                 // no problems
  std::string strategy;            // the strategy recorded in the root
  T basis_t = 0;                   // the durable index's basis (0: never indexed)
  uint64_t segments_checked = 0;   // leaves and directories read
  uint64_t bytes_checked = 0;
  uint64_t datoms = 0;             // in the durable index (each once)
  std::vector<std::string> problems;  // one line each; segments named by id

  // Several lines: the figures, then each problem.
  std::string ToString() const;
};

// NotFound when there is no database at `dir`. A database that cannot be opened because it is corrupt gives
// a report (ok = false) naming what failed.
Result<VerifyReport> Verify(const std::string& dir, const VerifyOptions& options = {});

// ---- repair -----------------------------------------------------------------
//
// Repair does what can be done without losing an acknowledged transaction,
// and says exactly what it did:
//   - a torn tail of the log (a record whose commit was never acknowledged)
//     or of the newest pack (no published root names a blob in it) is cut;
//   - a damaged index (anything Verify finds, or a root or pack that cannot
//     be read) is moved aside into DIR/damaged-index-N (nothing is
//     deleted) and rebuilt from the log, which must be intact.
// It refuses — Corruption, and nothing is changed — when repairing would
// lose acknowledged data: a log damaged anywhere but a torn tail, or a log
// that ends below the index root's basis. Then the damaged bytes are the
// operator's to inspect (docs/reliability.md).
struct RepairOptions {
  Env* env = nullptr;  // null: Env::Default()
};

struct RepairReport {
  std::vector<std::string> actions;  // what was done, one line each; empty: nothing needed
  VerifyReport after;                // Verify of the repaired database

  // "repaired: ..." per action (or "nothing to repair"), then Verify's lines.
  std::string ToString() const;
};

// Folder databases only (InvalidArgument for a PostgreSQL location);
// NotFound when there is none at `dir`; Busy while a writer has it open.
Result<RepairReport> Repair(const std::string& dir, const RepairOptions& options = {});

}  // namespace strata
