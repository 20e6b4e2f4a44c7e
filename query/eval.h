// eval.h — the clause evaluator (internal).
//
// An Evaluator holds what one query run needs: its sources, rules, limits
// and the tables of rule results. RunClauses plans a clause list (plan.cc)
// and runs each clause into a Ctx:
//   data patterns   patterns.cc   index lookups per binding, or scan + hash join
//   [(f ...) ...]   functions.cc  predicates and functions, row by row
//   rules, or, not  rules.cc      bodies evaluated with the caller's bindings
//                                 as seeds; recursive rules to a fixpoint
//
// Thread safety: one Evaluator per query run.
#pragma once

#include <climits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "parse.h"
#include "relation.h"
#include "strata/query.h"

namespace strata::query {

// The order to run a clause list in, for one set of variables bound on entry.
struct Plan {
  std::vector<size_t> order;
  std::vector<std::vector<std::string>> not_join;  // per clause: a `not`'s join variables
  std::vector<double> est_rows;  // per step of `order`: the rows expected after it (-1: unknown)
};

// A relation the planner expects while it orders a clause list (plan.cc):
// which variables live together and how many rows it holds (evaluation
// keeps unconnected variables apart; so does the estimate).
struct EstGroup {
  std::set<std::string> vars;
  double rows = 1;
};

// A bounded sample of one attribute's datoms (estimate.cc), for the
// planner's cardinality estimates. The datoms are read by
// Database::SampleAttribute, once per database value and view.
struct AttrSample {
  uint64_t n = 0;         // datoms sampled
  bool complete = false;  // the sample holds every datom of the attribute
  bool unique = false;
  double distinct = 0;    // estimated distinct values
  double entities = 0;    // distinct entities in the sample
  std::shared_ptr<const AttributeSample> data;  // datoms per value; null when the read failed

  double Count() const;                   // datoms of the attribute
  double WithValue(const Value& v) const;  // datoms with value v
  double Fanout() const;                  // datoms per distinct value
  double PerEntity() const;               // datoms per entity that has the attribute
};

// Results of one rule called with some argument positions bound (the
// mask), for every seed (tuple of bound arguments) asked so far. Columns
// are named by argument position: "#0", "#1", ...
struct RuleTable {
  std::string name, src;
  uint32_t mask = 0;
  RowSet seeds;    // every seed asked for
  Rel pending;     // seeds not evaluated yet
  Rel done;        // seeds evaluated (recursive rules re-run them with deltas)
  RowSet results;  // rows over every position
  Rel delta;       // rows new in the previous round (recursive rules)
  Rel next;        // rows new in this round
};

class Evaluator;

// The entity a query value names (an id, an ident, a lookup ref), as
// ResolveEntity; a lookup ref on an attribute that is not :db/unique is an
// error (Datomic's rule, and what transact and datoms say), not "nothing".
Result<std::optional<EntityId>> EntityOf(const Database& db, const Val& v);
// That error alone, for positions resolved elsewhere (a ref attribute's value).
Status CheckLookupRef(const Database& db, const Val& v);

// Makes `src` the default source ($) while a body is checked or read:
// inside ($x not ...), ($x or ...) and a rule called as ($x rule ...), and
// in every rule those call, "$" means $x. Sources are named by what :in
// bound them to, so rule tables keyed by that name never mix two sources.
class DefaultSource {
 public:
  DefaultSource(Evaluator* ev, const std::string& src);
  ~DefaultSource();
  DefaultSource(const DefaultSource&) = delete;
  DefaultSource& operator=(const DefaultSource&) = delete;

 private:
  void Bind(const std::string& target);
  Evaluator* ev_;
  std::string saved_;
  bool active_ = false;
};

// Long bounds on the value of the pattern about to run, from the
// comparison predicates the plan runs right after it ([(> ?v 10)]): the
// pattern's read with its constants (patterns.cc) drops datoms outside them
// as it scans instead of building their rows. Only ever drops what those
// predicates drop (they still run), so a value that is not a long passes.
struct ScanBounds {
  std::string var;          // the pattern's value variable
  int64_t lo = INT64_MIN;   // v >= lo
  int64_t hi = INT64_MAX;   // v <= hi
  std::vector<size_t> steps;  // the plan's steps of those predicates
  // Set by the read that applied the bounds to every row it made, when
  // every value it kept was a long: those predicates then hold on every
  // row and are not run again (RunClauses).
  bool enforced = false;
  bool Keeps(const Value& v) const {
    return v.type() != ValueType::kLong || (v.as_long() >= lo && v.as_long() <= hi);
  }
};

// The cursor a pattern keeps across its lookups (one per binding group):
// a lookup of the same index moves it (DatomCursor::Seek) instead of
// opening another, so the sources it merges are opened once per clause.
struct PatternCursor {
  std::optional<DatomCursor> cursor;
  Index index = Index::kEavt;
};

class Evaluator {
 public:
  Evaluator(const QueryOptions& o, QueryStats* stats) : budget(o, stats), options(o) {}

  std::map<std::string, Database> dbs;     // $ and $name
  std::map<std::string, Rel> tuple_sources;  // $name bound to a collection of tuples
  std::map<std::string, LogSource> logs;   // ?log variables
  RuleSet rules;
  // The sources as :in bound them (dbs and tuple_sources are the working
  // maps, where "$" may stand for another source inside a ($x ...) body).
  std::map<std::string, Database> bound_dbs;
  std::map<std::string, Rel> bound_tuples;
  std::string default_src = "$";  // the bound source "$" stands for now
  std::string Resolve(const std::string& src) const { return src == "$" ? default_src : src; }
  // Variables bound by a scalar :in input, with their value: the planner
  // estimates a pattern reading one as it would the constant. And the rows
  // each :in input binds its variables to (estimates of what follows).
  std::map<std::string, Val> scalar_inputs;
  std::map<std::string, double> input_rows;
  Budget budget;
  QueryOptions options;

  // Checks every clause reachable from `clauses`: known functions, known
  // rules with the right arity, sources that exist.
  Status Validate(const Clauses& clauses);
  // Runs `clauses` into ctx, in the planner's order.
  Status RunClauses(const Clauses& clauses, Ctx* ctx);
  Result<const Database*> Db(const std::string& src, const Clause& c) const;

 private:
  friend class RuleEval;
  Status Validate(const Clause& c, std::set<std::string>* seen_rules);
  Result<const Plan*> PlanFor(const Clauses& clauses, const std::set<std::string>& bound);
  const Attribute* ConstAttr(const Clause& c) const;
  // The planner's estimate of one clause run next (plan.cc): its work
  // (datoms read, lookups, rows built; negative for filters and functions,
  // which run as soon as their inputs are bound) and the rows of the
  // relation holding its variables after it.
  struct Estimate {
    double cost = 0;
    double rows = 0;
    bool known = false;  // rows could be estimated
  };
  Estimate EstimateClause(const Clause& c, const std::vector<std::string>& vars, const std::set<std::string>& b,
                          const std::vector<EstGroup>& gs);
  // The sample of attribute `a` in source `src` (read once per query run).
  // A failed read is noted (NoteReadError) and PlanFor returns it.
  const AttrSample& Sample(const Database& db, const std::string& src, const Attribute& a);
  // ToDatomValue for the planner's estimates; a failed read is noted.
  std::optional<Value> ConstValue(const Database& db, const Attribute& a, const Val& v);
  // Estimates cannot fail mid-way: the first read error met while planning
  // is kept here and the plan is refused with it.
  void NoteReadError(const Status& s) {
    if (read_error_.ok() && !s.ok()) read_error_ = s;
  }
  Status RunClause(const Clause& c, const std::vector<std::string>& not_join, Ctx* ctx);
  // query-stats of one clause: what is bound before it runs, and after.
  ClauseStats ClauseEntry(const Clause& c, const Ctx& ctx) const;
  void ClauseExit(const Clause& c, const Ctx& ctx, ClauseStats* cs) const;
  Status RunPattern(const Clause& c, Ctx* ctx);
  // Runs the step of `order` at `step` together with the steps after it
  // that are patterns on the same bound entity ([?e :a ?x] [?e :b ?y] ...,
  // predicates between them passed over; star.cc): one read per entity
  // serves them all. Returns the steps it ran (none: run them one by one).
  Result<std::vector<size_t>> RunStar(const Clauses& clauses, const std::vector<size_t>& order, size_t step, Ctx* ctx);
  Status RunTuplePattern(const Clause& c, const Rel& source, Ctx* ctx);
  Status RunExpression(const Clause& c, Ctx* ctx);
  Status RunRule(const Clause& c, Ctx* ctx);
  Status RunOr(const Clause& c, Ctx* ctx);
  Status RunNot(const Clause& c, const std::vector<std::string>& join, Ctx* ctx);
  // Runs a body with `seeds` bound and returns the distinct rows over `out_vars`.
  Result<Rel> RunBody(const Clauses& body, const Rel& seeds, const std::vector<std::string>& out_vars,
                      const edn::Node& form);
  // Rule results for the seeds (over the bound head positions of `mask`).
  Result<Rel> CallRule(const Clause& call, uint32_t mask, const Rel& seeds);
  Status Fixpoint(int scc);
  Status EvalTable(RuleTable* t, const Rel& seeds, const Clause* delta);
  int SccOf(const std::string& rule);
  void ComputeSccs();

  // The bounds for the pattern at `step` of a plan (none when it has none);
  // a variable the context binds to one value (an :in scalar) counts as
  // that constant.
  static std::optional<ScanBounds> BoundsAfter(const Clauses& clauses, const std::vector<size_t>& order, size_t step,
                                               const Ctx& ctx);
  std::optional<ScanBounds> scan_bounds_;  // the pattern running now (RunClauses)

  // Datoms of entities read whole (EAVT [e]) while a pattern looked its
  // entities up, when a later clause of the same list looks the same
  // entity variable up again ([?e :a ?x] [?e :b ?y]): one cursor per
  // entity instead of one per clause. Per bound source; an entity with
  // more than kMaxEntityDatoms datoms is not kept (`whole` false), and
  // nothing more is kept past kMaxEntityCacheBytes.
  struct EntityDatoms {
    std::vector<Datom> datoms;
    bool whole = false;
  };
  static constexpr uint64_t kMaxEntityDatoms = 32;
  static constexpr uint64_t kMaxEntityCacheBytes = 64 << 20;
  // The datoms of entity e in `db` (source `src`, resolved), reading and
  // keeping them when `fill` (through `keep`'s cursor); null when they
  // are not kept.
  Result<const EntityDatoms*> EntityDatomsOf(const Database& db, const std::string& src, EntityId e, bool fill,
                                             PatternCursor* keep);
  std::map<std::string, std::unordered_map<EntityId, EntityDatoms>> entity_cache_;
  uint64_t entity_cache_bytes_ = 0;
  bool fill_entities_ = false;  // the pattern running now keeps the entities it looks up
  // The planner's rows expected after the step running now (-1: unknown):
  // a pattern's one read reserves its relation's cells from it (a hint,
  // bounded by RowsHint) instead of regrowing them, each time moving every cell.
  double est_rows_ = -1;
  size_t RowsHint(size_t width) const;

  std::map<std::string, Plan> plans_;
  std::map<std::pair<std::string, EntityId>, AttrSample> samples_;
  Status read_error_;  // see NoteReadError
  std::map<std::pair<std::string, uint32_t>, RuleTable> tables_;  // (name and source, mask)
  std::map<std::string, int> scc_of_;     // rule name -> strongly connected component
  std::vector<bool> scc_recursive_;
  std::map<std::string, std::vector<const Clause*>> internal_calls_;  // calls into the rule's own component
  std::vector<int> fixpoint_not_depth_;   // in_not_ when each active fixpoint began
  std::vector<int> active_scc_;           // fixpoints in progress (innermost last)
  const Clause* delta_call_ = nullptr;    // in a delta round: the call that reads `delta`
  int in_not_ = 0;                        // depth of `not` bodies being evaluated
};

}  // namespace strata::query
