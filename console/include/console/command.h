// console/command.h — `strata console`, registered on the strata tool.
//
//   strata console --db LOCATION [--listen 127.0.0.1:8080] [--writable]
//   strata console --connect HOST:PORT [--listen ...] [--writable]
//                  [--timeout S] [--max-tuples N] [--max-bytes SIZE]
//                  [--results DIR] [--insecure]
//
// With --db the console opens the database itself: read-only (no lock; a
// writer may run elsewhere, and the console shows the database as of its
// opening) unless --writable, which makes it the database's writer. With
// --connect it is a peer of a transactor (net/peer.h): it follows every
// transaction committed anywhere, and --writable sends transactions to
// the transactor. It prints one line when it listens ("strata console:
// listening on http://127.0.0.1:PORT ..."; port 0 picks a free one) and
// serves until SIGINT or SIGTERM. Without --insecure it listens only on
// loopback: the console has no authentication.
#pragma once

#include <CLI/CLI.hpp>

namespace strata::console {

// A parsed `console` runs from its callback and stores its exit code in
// *exit_code, which must outlive app.parse().
void AddConsoleCommand(CLI::App& app, int* exit_code);

}  // namespace strata::console
