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

namespace strata::cli {

struct TransactArgs {
  std::string db;               // database folder; created if missing
  std::string sync = "always";  // always | batch | never
  std::string file = "-";       // EDN input; "-" is stdin
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

int RunTransact(const TransactArgs& args);
int RunDatoms(const DatomsArgs& args);
int RunLog(const LogArgs& args);
int RunDemo(const DemoArgs& args);

// Prints "strata: error: <message>" on stderr; returns 1.
int Fail(const std::string& message);

// Opens an existing database read-mostly: never creates one ("no database
// at DIR" otherwise).
Result<std::unique_ptr<Connection>> OpenExisting(const std::string& dir);

// A point in time from the command line: a t, a tx id, an instant
// (#inst "..." or an ISO-8601 date/time string).
struct TimePoint {
  bool is_instant = false;
  T t = 0;         // when !is_instant (a t; tx ids are reduced to their t)
  int64_t ms = 0;  // when is_instant
};
Result<TimePoint> ParseTimePoint(const std::string& text, const std::string& flag);

}  // namespace strata::cli
