// cli/net_commands.h — `strata transactor` and `strata peer`: a database
// served over the network, and a peer process reading it locally
// (docs/network.md).
//
//   strata transactor --db LOCATION --listen 127.0.0.1:PORT [--strategy S]
//                     [--sync always|batch|never]
//   strata peer --connect 127.0.0.1:PORT transact [FILE|-]
//   strata peer --connect 127.0.0.1:PORT q QUERY [INPUT...] [--t T] [view flags]
//   strata peer --connect 127.0.0.1:PORT pull PATTERN ENTITY [--t T] [view flags]
//   strata peer --connect 127.0.0.1:PORT watch [--count N]
//   strata peer --connect 127.0.0.1:PORT sync --t T
//
// The transactor prints one line when it listens ("strata transactor:
// listening on tcp://127.0.0.1:PORT ..."; port 0 picks a free one) and
// serves until SIGINT or SIGTERM, then stops, syncs and closes.
#pragma once

#include <CLI/CLI.hpp>

namespace strata::cli {

// Registers both commands; a parsed one runs from its callback and stores
// its exit code in *exit_code, which must outlive app.parse().
void AddNetCommands(CLI::App& app, int* exit_code);

}  // namespace strata::cli
