// cli/commands.h — the `strata` subcommands.
//
// main.cc parses the command line into these plain argument structs and
// calls the matching Run function, which returns the process exit code:
// 0 on success, 1 on any error (reported by Fail as one line on stderr,
// "strata: error: <what and where>"), 130 when the demo was interrupted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/output.h"
#include "strata/database.h"
#include "strata/connection.h"

namespace strata::cli {

struct TransactArgs {
  std::string db;               // database folder; created if missing
  std::string sync = "always";  // always | batch | never
  std::string file = "-";       // EDN input; "-" is stdin
  std::string strategy;         // merge strategy; empty: the root's (adaptive for a new database)
  Format format = Format::kEdn;
};

struct DatomsArgs {
  std::string db;
  std::string index;                    // eavt | aevt | avet | vaet
  std::vector<std::string> components;  // EDN texts
  std::string as_of, since;             // t, tx id or instant; empty: none
  bool history = false;
  Format format = Format::kEdn;
  uint64_t limit = 0;  // 0: no limit
};

struct LogArgs {
  std::string db;
  std::string from, to;  // t, tx id or instant; empty: open end
  Format format = Format::kEdn;
};

struct DemoArgs {
  std::string dir;  // empty: a fresh temporary folder
  bool keep = false;  // keep the temporary folder
  uint64_t transactions = 10000;
  uint64_t seed = 42;
  int entities_per_tx = 4;
  std::string sync = "never";
};

struct RunArgs {
  std::string workload = "uniform";
  double scale = 1;
  std::string strategies;            // comma-separated; required
  uint64_t seed = 1;
  std::string out = "results";       // results files and the temporary databases
  std::string memory_index_threshold;  // SIZE (k/m/g suffixes); empty: the engine's default
  std::string memory_index_max;        // SIZE; empty: the engine's default
  std::string segment_cache;           // SIZE; empty: the engine's default
  uint32_t segment_datoms = 0;       // 0: the engine's default
  uint32_t index_job_threads = 0;    // 0: the engine's default
  std::string sync = "never";
  double read_ratio = 0;
  int repetitions = 1;
  bool keep = false;                 // keep the databases under --out
  std::string storage;               // empty: folders under --out; else a location (postgres://...)
  std::string data_dir;              // for workloads over real data sets
  std::string command_line;          // recorded in the results' context
  std::string metrics;               // HOST:PORT to serve /metrics on; empty: none (docs/metrics.md)
  bool metrics_remote = false;       // allow a non-loopback --metrics address
  bool icount = false;               // no background threads (harness::RunConfig::icount)
};

struct IndexArgs {
  std::string db;
  std::string strategy;  // empty: the one the root records
  Format format = Format::kEdn;
};

struct VerifyArgs {
  std::string db;
  Format format = Format::kEdn;
};

struct RepairArgs {
  std::string db;
  Format format = Format::kEdn;
};

int RunTransact(const TransactArgs& args);
int RunDatoms(const DatomsArgs& args);
int RunLog(const LogArgs& args);
int RunDemo(const DemoArgs& args);
// Exit 0, 1 on error, 130 when interrupted (what was measured is written).
int RunRun(const RunArgs& args);
int RunIndex(const IndexArgs& args);
// Exit 1 when the database is not consistent.
int RunVerify(const VerifyArgs& args);
// Exit 1 when it refuses (repairing would lose acknowledged data) or the
// repaired database still does not verify.
int RunRepair(const RepairArgs& args);

// Prints a cursor's datoms to stdout (EDN: a vector a line; JSON: one
// array), at most `limit` of them (0: all); a note on stderr when it stops
// at the limit with more to come. A failed read ends the output with
// Fail("<what>: <error>"), exit 1.
int PrintDatoms(const Database& db, DatomCursor* cursor, Format format, uint64_t limit, const std::string& what);

// Prints "strata: error: <message>" on stderr; returns 1.
int Fail(const std::string& message);
// A status as an error message: the message alone, except that a failed
// read says what it is ("Corruption: ...", "IOError: ..."): a reader must
// not mistake it for an empty answer or a bad input.
std::string ErrorText(const Status& s);

// Opens an existing database read-only (Options::read_only): no lock, so
// it works while a writer runs; no recovery, no byte changed; never creates
// one ("no database at DIR" otherwise).
Result<std::unique_ptr<Connection>> OpenExisting(const std::string& dir);

// A point in time from the command line: a t, a tx id, an instant
// (#inst "..." or an ISO-8601 date/time string).
struct TimePoint {
  bool is_instant = false;
  T t = 0;         // when !is_instant (a t; tx ids are reduced to their t)
  int64_t ms = 0;  // when is_instant
};
Result<TimePoint> ParseTimePoint(const std::string& text, const std::string& flag);
// The view of `now` that read commands' --as-of, --since and --history ask
// for (empty texts: none); since an instant is since the last transaction
// at or before it.
Result<Database> ViewOf(const Database& now, const std::string& as_of, const std::string& since, bool history);

// A byte count: digits with an optional k, m or g suffix (binary: 64k =
// 65536), case-insensitive, optionally followed by "b" or "ib".
Result<uint64_t> ParseSize(const std::string& text, const std::string& flag);

// SIGINT sets a flag (Interrupted()) instead of killing the process, once:
// a second Ctrl-C kills as usual.
void CatchSigint();
bool Interrupted();

}  // namespace strata::cli
