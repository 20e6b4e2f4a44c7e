// cli/net_commands.h — `strata transactor` and `strata peer`: a database
// served over the network, and a peer process reading it locally
// (docs/network.md).
//
//   strata transactor --db LOCATION --listen 127.0.0.1:PORT [--strategy S]
//                     [--sync always|batch|never]
//                     [--server-key FILE --authorized-keys FILE|DIR] [--insecure]
//   strata keygen --out PREFIX        (PREFIX.key, PREFIX.pub: net/keys.h)
//   strata peer --connect HOST:PORT [--client-key FILE --server-public-key FILE] ...
//   strata peer --connect 127.0.0.1:PORT transact [FILE|-]
//   strata peer --connect 127.0.0.1:PORT q QUERY [INPUT...] [--t T] [view flags]
//   strata peer --connect 127.0.0.1:PORT pull PATTERN ENTITY [--t T] [view flags]
//   strata peer --connect 127.0.0.1:PORT watch [--count N]
//   strata peer --connect 127.0.0.1:PORT sync --t T
//
// The transactor prints one line when it listens ("strata transactor:
// listening on tcp://127.0.0.1:PORT ..."; port 0 picks a free one) and
// serves until SIGINT or SIGTERM, then stops, syncs and closes. Without
// keys it listens only on loopback unless --insecure (then it warns).
#pragma once

#include <CLI/CLI.hpp>

namespace strata::cli {

// Registers the commands (transactor, peer, keygen); a parsed one runs from its callback and stores
// its exit code in *exit_code, which must outlive app.parse().
void AddNetCommands(CLI::App& app, int* exit_code);

}  // namespace strata::cli
