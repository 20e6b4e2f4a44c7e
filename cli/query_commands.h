// cli/query_commands.h — `strata q` and `strata pull`: Datalog and pull on
// an existing database, over the current state or a view of time.
//
//   strata q --db DIR QUERY [INPUT...] [--source NAME=SPEC...] [--with FILE]
//            [--rules FILE] [--as-of T] [--since T] [--history]
//            [--format edn|json] [--repeat N] [--timeout S]
//            [--max-tuples N] [--max-bytes SIZE] [--explain]
//   strata pull --db DIR PATTERN ENTITY [same flags, without --source,
//            --rules and the max- limits]
//
// --db binds the query's $ (the default :in); when the :in has no $, the
// first source variable no --source names, unless the INPUTs fill every
// binding (`:in $data` with its collection given as an INPUT). --source
// binds a named source to another database, a view of one, or an EDN file
// (cli/sources.h); --with FILE applies a speculative transaction to the
// --db value first (nothing is committed). --as-of, --since and --history
// view the value --db binds. --rules binds %; the other :in bindings take
// the INPUTs (EDN) in order, the word `log` standing for the database's log. --repeat N runs the read
// N times after opening and prints {"repeat", "mean_us", "p50_us",
// "p99_us"} as one JSON line on stderr. --timeout (default 60 s; 0: none)
// stops a read that runs longer, inside evaluation (rules included):
// exit 1, "query timed out after S s". --max-tuples and --max-bytes are
// QueryOptions' limits on an intermediate relation. --explain prints the
// result under :ret beside Datomic's :query-stats (q) and :io-stats (q and
// pull; strata/query.h ExplainEdn). docs/query.md has the details.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "strata/connection.h"
#include "strata/edn.h"
#include "strata/query.h"

namespace strata::cli {

// Flags shared by q and pull: which database, which view, what output.
struct ReadViewArgs {
  std::string db;
  std::string as_of, since;  // t, tx id or instant; empty: none
  bool history = false;
  Format format = Format::kEdn;
  uint64_t repeat = 0;  // 0: run once, print no timing
  double timeout_s = 60;  // a read running longer fails (Aborted); 0: no limit
  bool explain = false;   // print {:ret result :query-stats .. :io-stats ..} (Datomic's shapes)
  std::string with;       // EDN file of speculative transactions; empty: none
};

struct QueryArgs : ReadViewArgs {
  std::string query;                // EDN
  std::vector<std::string> inputs;  // EDN, or `log`
  std::string rules;                // EDN file for %
  std::vector<std::string> sources;  // NAME=SPEC (cli/sources.h)
  uint64_t max_tuples = QueryOptions{}.max_tuples;
  uint64_t max_bytes = QueryOptions{}.max_bytes;
};

struct PullArgs : ReadViewArgs {
  std::string pattern;  // EDN
  std::string entity;   // EDN: id, ident or lookup ref
};

int RunQuery(const QueryArgs& args);
int RunPull(const PullArgs& args);

// What a read runs on: a database value and, when there is one, the
// connection whose log the query input `log` names.
struct ReadSource {
  Database db;
  const Connection* log = nullptr;
};
// The same, on the source `open` returns (called once the arguments
// parsed): `strata peer q` and `pull` read a peer's database this way.
int RunQuery(const QueryArgs& args, const std::function<Result<ReadSource>()>& open);
int RunPull(const PullArgs& args, const std::function<Result<ReadSource>()>& open);

// Registers the q and pull subcommands on `app`. When one is parsed its
// callback runs it and stores the exit code in *exit_code (left alone
// otherwise), which must outlive app.parse().
void AddQueryCommands(CLI::App& app, int* exit_code);

// `now` with --with's transactions applied (`now` itself without --with).
Result<Database> WithBase(const Database& now, const ReadViewArgs& args);
// The view the flags name, taken from `now` (after --with).
Result<Database> ReadView(const Database& now, const ReadViewArgs& args);
// JSON of a query or pull result, values as output.h maps them (keywords
// ":ns/name", strings starting with ':' or '\\' escaped with a '\\'),
// sets and lists as arrays, map keys as strings.
Json EdnToJson(const edn::Node& n);
// Runs `read` args.repeat times (at least once), prints the timing line
// when repeat > 0, and returns the last result.
Result<edn::Node> Repeat(const ReadViewArgs& args, const std::function<Result<edn::Node>()>& read);
// Prints a result in the chosen format.
void PrintResult(const ReadViewArgs& args, const edn::Node& result);
// --explain: prints {:ret result, and the entries of `stats`} (EDN; JSON
// from stats_json), stats being ExplainEdn/IoStatsEdn's map.
void PrintExplained(const ReadViewArgs& args, const edn::Node& result, const edn::Node& stats,
                    const std::string& stats_json);
// --timeout in milliseconds as QueryOptions and PullOptions take it (0: none).
uint64_t TimeoutMs(const ReadViewArgs& args);
// The flag that raises the limit a Busy or Aborted read ran into, as
// "; --flag raises it" to append to its message ("" for other errors).
std::string LimitHint(const Status& s);

}  // namespace strata::cli
