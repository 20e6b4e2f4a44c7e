// strata/query.h — Datalog queries (Datomic's dialect) over database values.
//
//   Q("[:find ?name :in $ ?min :where [?e :item/count ?c] [(>= ?c ?min)]
//       [?e :item/id ?name]]", {db, edn::Node::Long(10)})
//
// Supported: :find with relations, scalar (?x .), collection ([?x ...]),
// tuple ([?x ?y]), (pull ?e pattern), aggregates (count count-distinct sum
// avg median variance stddev min max distinct sample, (min n ?x),
// (max n ?x)), :keys/:syms/:strs, :with; :in with $ and $name sources,
// scalars, tuples, collections, relations, rules (%) and log sources;
// :where data patterns [e a v tx added] (constants, _, idents and lookup
// refs), predicates and functions (docs/query.md lists them), not,
// not-join, or, or-join, and, rules (recursive ones evaluated bottom-up,
// semi-naively, with the call's bound arguments pushed in), tx-ids and
// tx-data over a Connection's log.
//
// Evaluation picks the clause order itself, by estimated cost (cardinalities
// sampled from the index; the written order does not matter), reads each data pattern through the
// index its bound components allow (EAVT, AEVT, AVET for indexed/unique
// attributes, VAET for refs) and joins relations by hashing. It reads only
// through the public Database API, so it works over every view.
//
// Results: a relation is a set of vectors; with :keys/:syms/:strs a vector
// of maps. Entity ids are longs; keywords stay keywords.
//
// Thread safety: Q may run concurrently on shared Database values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/cursor.h"
#include "strata/edn.h"
#include "strata/pull.h"
#include "strata/status.h"

namespace strata {

// A log input: tx-ids and tx-data read this connection's log. The
// connection must outlive the query.
struct LogSource {
  const Connection* conn = nullptr;
};

// One :in binding's value: a database ($ and $name), EDN (a scalar, tuple,
// collection, relation, a rule set for %, or a collection of tuples used
// as a data source), or a log.
using QueryInput = std::variant<Database, edn::Node, LogSource>;

// Limits of one query run. Each is checked inside evaluation (every clause,
// join, function row and rule round), so a hostile query ends with an
// error instead of exhausting the process. Like Datomic's query :timeout
// (milliseconds), the timeout is approximate: it is checked cooperatively,
// every few thousand tuples and once per round of a recursive rule.
struct QueryOptions {
  uint64_t max_tuples = 20'000'000;  // largest intermediate relation, in tuples; past it: Busy
  uint64_t max_bytes = 1ull << 30;   // largest intermediate relation, in bytes (cells and
                                     // their strings); past it: Busy
  uint64_t timeout_ms = 0;           // 0: none; past it: Aborted "query timed out after ..."
  PullOptions pull;                  // limits of (pull ...) in :find (its timeout is this one's)
  bool explain = false;              // fill QueryStats::phases (Datomic's :query-stats); costs a
                                     // little per clause, so off unless asked for
};

// Datomic's io-stats (https://docs.datomic.com/reference/io-stats.html) of
// one call: the index reads it made, on the calling thread.
struct IoStats {
  std::string api;     // "query", "pull"
  double api_ms = 0;   // the call's wall time
  ReadCounters reads;  // strata/cursor.h: leaves by index, cache hits, storage reads, merges
};

// Measures one call: construct it before the call, Stop() after (same thread).
class IoMeter {
 public:
  explicit IoMeter(std::string api);
  IoStats Stop() const;

 private:
  std::string api_;
  ReadCounters start_;
  std::chrono::steady_clock::time_point t0_;
};

// One clause as it ran (Datomic's query-stats :clauses entry).
struct ClauseStats {
  edn::Node clause;                    // as written
  uint64_t rows_in = 0;                // rows of the relations holding its variables, before
  uint64_t rows_out = 0;               // and after (0 in: nothing of it was bound yet)
  std::vector<std::string> binds_in;   // its variables bound on entry
  std::vector<std::string> binds_out;  // its variables it bound
  uint64_t datoms = 0;                 // datoms read by it (and the rules, or and not it runs)
  uint64_t index_lookups = 0;          // index cursors it opened
  uint64_t segments = 0;               // index leaves it read (cache or storage)
  // The plan: where the clause was written in its list (0-based), and the
  // planner's estimate of rows_out (-1: none; docs/query.md, "The planner").
  uint64_t position = 0;
  int64_t est_rows = -1;
};

// One clause list run: the :where, or a rule, or, or not body (Datomic's
// :phases entry). Its clauses are in the order the planner chose (:sched).
struct PhaseStats {
  std::vector<ClauseStats> clauses;
};

// What a query did, for tests and tools.
struct QueryStats {
  uint64_t tuples = 0;          // tuples produced by all clauses
  uint64_t datoms = 0;          // datoms read from indexes
  uint64_t index_lookups = 0;   // index cursors opened
  uint64_t rule_rounds = 0;     // semi-naive iterations of recursive rules
  uint64_t planner_datoms = 0;  // of `datoms`, those the planner sampled for its estimates
                                // (at most 512 per attribute and source)
  // With QueryOptions::explain: each clause list run, in the order it began
  // (a rule body once per evaluation). At most kMaxPhases are kept.
  static constexpr size_t kMaxPhases = 1000;
  std::vector<PhaseStats> phases;
  uint64_t phases_dropped = 0;  // runs past kMaxPhases, not kept
  IoStats io;                   // the query's reads, always filled
};

// Datomic's shapes, in EDN:
//   {:query-stats {:query q :phases [{:sched ([clause ...]) :clauses [{:clause c :rows-in n
//                  :rows-out n :binds-in (?a) :binds-out [?b] :datoms n :index-lookups n
//                  :segments n :position n :est-rows n} ...]} ...] :phases-dropped n}
//    :io-stats {:api :query :api-ms 1.2 :reads {:eavt n :aevt n :avet n :vaet n :ocache n :dev n
//               :dev-bytes n :cursors n :sources-merged n}}}
// (:ocache: leaves found in the segment cache; :dev: leaves read from
// storage; strata adds :datoms, :index-lookups, :segments, :position (where
// the clause was written), :est-rows (the planner's estimate of :rows-out,
// absent when it has none), :dev-bytes, :cursors, :sources-merged and
// :phases-dropped). The JSON form has the same
// keys without the colon; clauses and the query are EDN text strings.
edn::Node IoStatsEdn(const IoStats& io);
edn::Node ExplainEdn(const edn::Node& query, const QueryStats& stats);
std::string IoStatsJson(const IoStats& io);
std::string ExplainJson(const edn::Node& query, const QueryStats& stats);

// Runs a query (vector or map form). Errors are InvalidArgument naming
// the offending clause (unknown function or rule, unbound variable,
// insufficient bindings, arity mismatch, malformed :find/:in/:where, a
// function's bad operands such as integer overflow or division by zero, an
// unsupported regular expression), Busy for max_tuples and max_bytes,
// Aborted for the timeout.
Result<edn::Node> Q(const edn::Node& query, const std::vector<QueryInput>& inputs, const QueryOptions& options = {},
                    QueryStats* stats = nullptr);

// Parses EDN text and runs it (convenience for tools and tests).
Result<edn::Node> Q(std::string_view query, const std::vector<QueryInput>& inputs, const QueryOptions& options = {},
                    QueryStats* stats = nullptr);

// Checks that `rules` is a well-formed rule set ([[(name ?a ...) clause...] ...]).
Status ParseRuleSet(const edn::Node& rules);

}  // namespace strata
