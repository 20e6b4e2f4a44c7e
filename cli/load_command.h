// cli/load_command.h — `strata load WORKLOAD --db DIR`: commits a workload's
// data (its schema and transactions; never its reads) into a persistent
// database, to explore afterwards with datoms, log, q and pull.
//
// The database is created if missing; loading into one that already holds
// the workload's data relies on the workload's idempotence ("mbrainz"
// upserts by gid and adds nothing but transaction entities). At the end the
// novelty is indexed (IndexNow) so the next open does not replay the log.
// A progress line (transactions, rate, ETA) goes to stderr when it is a
// terminal; the summary goes to stdout. Ctrl-C stops after the transaction
// in flight and leaves what was committed (exit code 130).
//
// Thread safety: called from main.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace strata::cli {

struct LoadArgs {
  std::string workload;       // registry name: mbrainz, mbrainz-synth, uniform...
  std::string db;             // database folder; created if missing
  double scale = 1;           // workload size
  uint64_t seed = 1;          // workload seed
  std::string data_dir;       // data set folder, for workloads over real data
  std::string sync = "never"; // always | batch | never (the log is synced at the end)
  bool index = true;          // index the novelty at the end
};

// `strata gen WORKLOAD --out DIR`: writes a workload's transaction stream
// to a dataset folder (workloads/dataset.h) that `strata run --workload
// replay --data-dir DIR` and `strata load replay --data-dir DIR` replay.
struct GenArgs {
  std::string workload;
  std::string out;        // dataset folder; created; must not hold a dataset
  double scale = 1;
  uint64_t seed = 1;
  std::string data_dir;   // data set folder, for workloads over real data
};

// Declares the `load` subcommand and its options on `app`, filling *args.
CLI::App* AddLoadCommand(CLI::App& app, LoadArgs* args);

// Runs it: 0 on success, 1 on error (one line on stderr), 130 when
// interrupted.
int RunLoad(const LoadArgs& args);

CLI::App* AddGenCommand(CLI::App& app, GenArgs* args);
int RunGen(const GenArgs& args);

}  // namespace strata::cli
