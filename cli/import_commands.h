// cli/import_commands.h — `strata import` and `strata gen-csv`.
//
// main.cc registers each subcommand with its Add* function (which declares
// the options into the args struct) and, when it was parsed, calls the Run*
// function, which returns the exit code: 0 on success (an import under
// --on-error skip succeeds with bad rows listed), 1 on any error, 130 when
// Ctrl-C stopped the import (after the batch in flight was committed).
//
// Thread safety: called from main's thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace strata::cli {

struct ImportArgs {
  std::string db;                  // database folder; created if missing
  std::string mapping;             // mapping EDN file
  std::string on_error;            // fail | skip; empty: the mapping's (default fail)
  size_t batch = 0;                // rows per transaction; 0: the mapping's (default 1000)
  std::string sync = "batch";      // always | batch | never
  size_t show_errors = 20;         // bad rows printed on stderr (all are counted)
  std::string memory_index_threshold;  // SIZE; empty: the engine's default
  std::string memory_index_max;        // SIZE; empty: the engine's default
  std::string segment_cache;           // SIZE; empty: the engine's default
  std::vector<std::string> files;  // CSV files, matched to the mapping by base name
};

struct GenCsvArgs {
  std::string out;         // folder for the CSV files, mapping.edn and schema.edn
  std::string size;        // total size (e.g. 100m); empty: --clients decides
  uint64_t clients = 0;    // scale as a number of clients; 0: from --size
  double bad_rows = 0;     // share of malformed rows added after good ones
  uint64_t seed = 1;
};

// Declare the subcommand and its options on `app`; return it (for parsed()).
CLI::App* AddImportCommand(CLI::App& app, ImportArgs* args);
CLI::App* AddGenCsvCommand(CLI::App& app, GenCsvArgs* args);

int RunImport(const ImportArgs& args);
int RunGenCsv(const GenCsvArgs& args);

}  // namespace strata::cli
