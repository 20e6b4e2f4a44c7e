// The planner: checks clause names, then orders a clause list by cost.
//
// Datomic runs clauses in the order written; strata chooses the order, so
// that the written order does not matter (docs/query.md). At each step it
// runs, among the clauses whose inputs are bound (a predicate's and a
// function's arguments, a `not`'s join variables, an or-join's required
// variables, a rule's required head arguments), the cheapest one:
//   1. filters (predicates, `not`) as soon as they can run: they only drop
//      rows, so a predicate on a pattern's value runs right after it;
//   2. functions, which add a column per row;
//   3. the smallest estimated work: datoms read (a scan of the attribute,
//      or a lookup per distinct binding at about kLookupCost datoms each,
//      whichever is less, as patterns.cc chooses) plus the rows built. A
//      clause not connected to what is bound may win: its relation is kept
//      apart (no cross product is built) until a clause joins the two, so
//      two selective patterns run before the value join between them
//      (qsame-age, and the two artists' years of the mbrainz query);
//   4. on equal estimates, a clause connected to what is bound.
// Estimates come from a bounded sample of each attribute (estimate.cc):
// its datom count, the share of a constant value, distinct values, datoms
// per entity. A variable bound by a scalar :in input is estimated as the
// constant it holds. Equal estimates are broken by the clause's printed
// form, never its position, so every permutation of a clause list gets one
// plan. The plan (order and estimated rows) shows in explain.
#include <algorithm>
#include <optional>
#include <tuple>

#include "eval.h"
#include "functions.h"

namespace strata::query {

namespace {

std::string Names(const std::vector<std::string>& vars) {
  std::string s;
  for (const auto& v : vars) s += (s.empty() ? "" : " ") + v;
  return s;
}

std::vector<std::string> VarTerms(const Clause& c) {
  std::vector<std::string> out;
  for (const auto& t : c.terms)
    if (t.kind == Term::kVar && std::find(out.begin(), out.end(), t.name) == out.end()) out.push_back(t.name);
  return out;
}

bool Bound(const Term& t, const std::set<std::string>& b) {
  return t.kind == Term::kConst || (t.kind == Term::kVar && b.count(t.name));
}

}  // namespace

Result<const Database*> Evaluator::Db(const std::string& src, const Clause& c) const {
  auto it = dbs.find(src);
  if (it == dbs.end()) {
    return Status::InvalidArgument("unknown source " + src + " (not a database in :in) in " + edn::Print(c.form));
  }
  return &it->second;
}

Status Evaluator::Validate(const Clauses& clauses) {
  std::set<std::string> seen;
  for (const auto& c : clauses) STRATA_RETURN_IF_ERROR(Validate(c, &seen));
  return Status::OK();
}

Status Evaluator::Validate(const Clause& c, std::set<std::string>* seen_rules) {
  const std::string where = " in " + edn::Print(c.form);
  if (c.kind == Clause::kPattern || c.kind == Clause::kRule || c.kind == Clause::kNot || c.kind == Clause::kOr) {
    if (!dbs.count(c.src) && !tuple_sources.count(c.src)) {
      // A clause without a source reads $; say which sources :in bound.
      std::string named;
      for (const auto& [name, _] : bound_dbs) named += (named.empty() ? "" : " ") + name;
      for (const auto& [name, _] : bound_tuples) named += (named.empty() ? "" : " ") + name;
      std::string hint = named.empty() ? " (:in binds no source)" : " (:in binds the sources " + named + ")";
      if (c.src == "$" && !named.empty()) hint += "; a clause without a source reads $: name one, e.g. [" +
                                                  named.substr(0, named.find(' ')) + " ?e ...]";
      return Status::InvalidArgument("unknown source " + c.src + where + hint);
    }
  }
  switch (c.kind) {
    case Clause::kPattern:
      if (dbs.count(c.src) && c.terms.size() > 1 && c.terms[1].kind == Term::kConst) {
        const Val& a = c.terms[1].val;
        if (ResolveAttribute(dbs.at(c.src), a) == nullptr) {
          return Status::InvalidArgument("unknown attribute " + Show(a) + where);
        }
      }
      return Status::OK();
    case Clause::kPred:
    case Clause::kFn:
      if (FindFunction(c.name) == nullptr) return Status::InvalidArgument(UnknownFunction(c.name) + where);
      for (const auto& t : c.terms) {
        if (t.kind == Term::kSrc && !dbs.count(t.name)) return Status::InvalidArgument("unknown source " + t.name + where);
      }
      return Status::OK();
    case Clause::kRule: {
      auto it = rules.find(c.name);
      if (it == rules.end()) return Status::InvalidArgument("unknown rule '" + c.name + "'" + where);
      const size_t arity = it->second[0].head.size();
      if (c.terms.size() != arity) {
        return Status::InvalidArgument("rule '" + c.name + "' takes " + std::to_string(arity) + " arguments, got " +
                                       std::to_string(c.terms.size()) + where);
      }
      // A rule body is checked once per source it is called with: its
      // clauses read the caller's source.
      if (!seen_rules->insert(c.name + "\x1f" + Resolve(c.src)).second) return Status::OK();
      DefaultSource src(this, c.src);
      for (const Rule& r : it->second)
        for (const auto& x : r.body) STRATA_RETURN_IF_ERROR(Validate(x, seen_rules));
      return Status::OK();
    }
    default: {
      DefaultSource src(this, c.src);  // ($x not ...), ($x or ...): bodies read $x
      for (const auto& b : c.branches)
        for (const auto& x : b) STRATA_RETURN_IF_ERROR(Validate(x, seen_rules));
      return Status::OK();
    }
  }
}

// The attribute of a data pattern over a database, when it is a constant.
const Attribute* Evaluator::ConstAttr(const Clause& c) const {
  if (c.kind != Clause::kPattern || c.terms.size() < 3 || c.terms[1].kind != Term::kConst) return nullptr;
  auto it = dbs.find(c.src);
  return it == dbs.end() ? nullptr : ResolveAttribute(it->second, c.terms[1].val);
}

namespace {

int GroupOf(const std::vector<EstGroup>& gs, const std::string& v) {
  for (size_t i = 0; i < gs.size(); ++i)
    if (gs[i].vars.count(v)) return static_cast<int>(i);
  return -1;
}

// Rows of the relations holding any of `vars`, multiplied (1 when none).
double RowsOf(const std::vector<EstGroup>& gs, const std::vector<std::string>& vars) {
  std::set<int> seen;
  double rows = 1;
  for (const auto& v : vars) {
    int g = GroupOf(gs, v);
    if (g >= 0 && seen.insert(g).second) rows *= gs[static_cast<size_t>(g)].rows;
  }
  return rows;
}

// Merges the relations holding `vars` into one of `rows` rows.
void Merge(std::vector<EstGroup>* gs, const std::vector<std::string>& vars, double rows) {
  EstGroup merged;
  merged.rows = std::max(rows, 0.0);
  merged.vars.insert(vars.begin(), vars.end());
  std::vector<EstGroup> keep;
  for (auto& g : *gs) {
    bool hit = std::any_of(vars.begin(), vars.end(), [&](const std::string& v) { return g.vars.count(v) > 0; });
    if (hit) merged.vars.insert(g.vars.begin(), g.vars.end());
    else keep.push_back(std::move(g));
  }
  keep.push_back(std::move(merged));
  *gs = std::move(keep);
}

// A lookup costs about as much as reading this many datoms of a scan
// (patterns.cc, kLookupCost).
constexpr double kLookupCost = 4;
// What a clause whose size cannot be estimated is assumed to cost: after
// every clause that can be estimated.
constexpr double kUnknown = 1e12;

}  // namespace

// The estimated work (datoms read, lookups, rows built) and result rows of
// running clause `c` next, with the variables `b` bound in the relations
// `gs`.
Evaluator::Estimate Evaluator::EstimateClause(const Clause& c, const std::vector<std::string>& vars,
                                              const std::set<std::string>& b, const std::vector<EstGroup>& gs) {
  Estimate out;
  std::vector<std::string> bound_vars;
  for (const auto& v : vars)
    if (b.count(v)) bound_vars.push_back(v);
  const double in_rows = RowsOf(gs, bound_vars);
  switch (c.kind) {
    case Clause::kPred:
    case Clause::kNot:
      // Filters run as soon as their inputs are bound: they only drop rows.
      out.cost = -1;
      out.rows = in_rows;
      out.known = true;
      return out;
    case Clause::kFn:
      out.cost = -0.5;  // right after the filters: one call per row
      out.rows = in_rows;
      out.known = true;
      return out;
    case Clause::kPattern: break;
    default: {
      // Rules and or: by how many of their arguments are bound.
      size_t bound_args = bound_vars.size();
      for (const auto& t : c.terms) bound_args += t.kind == Term::kConst;
      // A call with bound arguments reads from them (about 20 lookups a
      // row, fewer the more are bound); one without may read everything.
      out.cost = bound_args ? in_rows * 20 * kLookupCost / static_cast<double>(bound_args) : kUnknown;
      out.rows = in_rows;
      return out;
    }
  }
  if (auto it = tuple_sources.find(c.src); it != tuple_sources.end()) {
    out.cost = static_cast<double>(it->second.n);
    out.rows = in_rows * static_cast<double>(it->second.n);
    out.known = true;
    return out;
  }
  auto term = [&](size_t k) -> const Term* { return k < c.terms.size() ? &c.terms[k] : nullptr; };
  auto is_bound = [&](size_t k) { return term(k) != nullptr && Bound(*term(k), b); };
  // A variable bound by a scalar :in input is estimated as the constant it
  // holds (the pattern is read once, with that value, either way).
  auto constant = [&](size_t k) -> const Val* {
    const Term* t = term(k);
    if (t == nullptr) return nullptr;
    if (t->kind == Term::kConst) return &t->val;
    if (t->kind == Term::kVar) {
      auto it = scalar_inputs.find(t->name);
      if (it != scalar_inputs.end()) return &it->second;
    }
    return nullptr;
  };
  const Attribute* a = ConstAttr(c);
  if (a == nullptr) {
    // An attribute variable: a lookup by entity reads one entity's datoms;
    // anything else may read every datom.
    out.cost = is_bound(0) ? in_rows * kLookupCost * 10 : kUnknown;
    out.rows = is_bound(0) ? in_rows * 10 : kUnknown;
    return out;
  }
  const Database& db = dbs.at(c.src);
  out.known = true;
  // Estimates that need no sample: a unique value names one entity; an
  // entity has one value of a cardinality-one attribute at most.
  if (!is_bound(0) && constant(2) != nullptr && a->unique != Unique::kNone) {
    out.rows = in_rows;
    out.cost = kLookupCost + out.rows;
    return out;
  }
  if (is_bound(0) && !a->many && constant(2) == nullptr && !is_bound(2)) {
    const double e_rows = constant(0) != nullptr ? 1 : RowsOf(gs, {term(0)->name});
    out.rows = in_rows;
    out.cost = e_rows * kLookupCost + out.rows;
    return out;
  }
  const AttrSample& s = Sample(db, c.src, *a);
  const double n = s.Count();
  const Val* v_const = constant(2);
  double with_value = 0;
  if (v_const != nullptr) {
    std::optional<Value> value = ConstValue(db, *a, *v_const);
    with_value = value ? s.WithValue(*value) : 0.0;
  }
  const bool v_var_bound = v_const == nullptr && is_bound(2);
  const bool seek_v = a->in_avet() || a->is_ref();
  if (is_bound(0)) {
    const double e_rows = constant(0) != nullptr ? 1 : RowsOf(gs, {term(0)->name});
    const double sel = v_const ? with_value / std::max(n, 1.0) : v_var_bound ? 1 / std::max(s.distinct, 1.0) : 1;
    out.rows = in_rows * s.PerEntity() * sel;
    out.cost = std::min(e_rows * kLookupCost, n) + out.rows;
  } else if (v_const != nullptr) {
    out.rows = in_rows * with_value;
    out.cost = (seek_v ? with_value + kLookupCost : n) + out.rows;
  } else if (v_var_bound) {
    const double v_rows = RowsOf(gs, {term(2)->name});
    out.rows = in_rows * s.Fanout();
    out.cost = (seek_v ? std::min(v_rows * kLookupCost, n) : n) + out.rows;
  } else {
    out.rows = in_rows * n;
    out.cost = n + out.rows;
  }
  return out;
}

Result<const Plan*> Evaluator::PlanFor(const Clauses& clauses, const std::set<std::string>& bound_in) {
  std::set<std::string> mentioned;
  for (const auto& c : clauses) AllVars(c, &mentioned);
  std::set<std::string> bound;
  for (const auto& v : bound_in)
    if (mentioned.count(v)) bound.insert(v);
  // Per source too: a rule body's estimates differ with the source it reads.
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(&clauses)) + " " + default_src;
  for (const auto& v : bound) key += " " + v;
  if (auto it = plans_.find(key); it != plans_.end()) return &it->second;

  const size_t n = clauses.size();
  Plan plan;
  plan.not_join.resize(n);
  std::vector<std::vector<std::string>> inputs(n), outputs(n);
  for (size_t i = 0; i < n; ++i) {
    const Clause& c = clauses[i];
    switch (c.kind) {
      case Clause::kPattern: outputs[i] = VarTerms(c); break;
      case Clause::kPred: inputs[i] = VarTerms(c); break;
      case Clause::kFn:
        inputs[i] = VarTerms(c);
        for (const auto& v : c.binding.vars)
          if (v != "_") outputs[i].push_back(v);
        break;
      case Clause::kRule: {
        outputs[i] = VarTerms(c);
        const Rule& r = rules.at(c.name)[0];
        for (size_t k = 0; k < r.head.size(); ++k) {
          bool req = std::find(r.required.begin(), r.required.end(), r.head[k]) != r.required.end();
          if (req && c.terms[k].kind == Term::kVar) inputs[i].push_back(c.terms[k].name);
        }
        break;
      }
      case Clause::kOr:
        inputs[i] = c.required;
        outputs[i] = c.join_vars;
        break;
      case Clause::kNot: {
        std::set<std::string> body;
        ClauseVars(c, &body);
        std::set<std::string> outside = bound;
        for (size_t j = 0; j < n; ++j) {
          if (j != i && clauses[j].kind != Clause::kNot) ClauseVars(clauses[j], &outside);
        }
        for (const auto& v : body)
          if (c.join_explicit || outside.count(v)) plan.not_join[i].push_back(v);
        if (plan.not_join[i].empty()) {
          return Status::InvalidArgument("insufficient bindings: none of the variables of " + edn::Print(c.form) +
                                         " is bound elsewhere");
        }
        inputs[i] = plan.not_join[i];
        break;
      }
      case Clause::kAnd: break;
    }
  }

  // The written form of each clause breaks ties, so that equal estimates
  // give one order whatever order the clauses were written in.
  std::vector<std::string> printed(n);
  std::vector<std::vector<std::string>> vars(n);
  for (size_t i = 0; i < n; ++i) {
    printed[i] = edn::Print(clauses[i].form);
    std::set<std::string> vs;
    ClauseVars(clauses[i], &vs);
    vars[i].assign(vs.begin(), vs.end());
  }
  std::vector<EstGroup> groups;
  for (const auto& v : bound) {
    auto it = input_rows.find(v);
    Merge(&groups, {v}, it == input_rows.end() ? 1 : it->second);
  }
  std::vector<bool> done(n, false);
  std::set<std::string> b = bound;
  for (size_t step = 0; step < n; ++step) {
    // The clause to run next: among those whose inputs are bound, filters
    // and functions first; then the cheapest estimate; then one connected
    // to what is bound.
    long best = -1;
    Estimate best_est;
    std::tuple<int, double, double, int> best_key;
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      bool ready = true;
      for (const auto& v : inputs[i]) ready = ready && b.count(v) > 0;
      if (!ready) continue;
      bool connects = b.empty();
      for (const auto& v : vars[i]) connects = connects || b.count(v) > 0;
      const Estimate e = n == 1 && !options.explain ? Estimate{} : EstimateClause(clauses[i], vars[i], b, groups);
      const bool filter = e.cost < 0;
      const std::tuple<int, double, double, int> key{filter ? 0 : 1, filter ? e.cost : 0, e.cost, connects ? 0 : 1};
      if (best < 0 || key < best_key || (key == best_key && printed[i] < printed[static_cast<size_t>(best)])) {
        best = static_cast<long>(i);
        best_est = e;
        best_key = key;
      }
    }
    if (best < 0) {
      for (size_t i = 0; i < n; ++i) {
        if (done[i]) continue;
        std::vector<std::string> missing;
        for (const auto& v : inputs[i])
          if (!b.count(v)) missing.push_back(v);
        return Status::InvalidArgument("insufficient bindings: " + Names(missing) + " not bound in " +
                                       edn::Print(clauses[i].form));
      }
    }
    const size_t pick = static_cast<size_t>(best);
    done[pick] = true;
    plan.order.push_back(pick);
    plan.est_rows.push_back(best_est.known ? best_est.rows : -1);
    for (const auto& v : outputs[pick]) b.insert(v);
    Merge(&groups, vars[pick], best_est.known ? best_est.rows : kUnknown);
  }
  if (!read_error_.ok()) return read_error_;  // the estimates read a failed index
  return &plans_.emplace(key, std::move(plan)).first->second;
}

std::optional<Value> Evaluator::ConstValue(const Database& db, const Attribute& a, const Val& v) {
  auto r = ToDatomValue(db, a, v);
  if (!r.ok()) {
    NoteReadError(r.status());
    return std::nullopt;
  }
  return *r;
}

Status Evaluator::RunClauses(const Clauses& clauses, Ctx* ctx) {
  std::set<std::string> bound;
  for (const Rel& r : ctx->rels) bound.insert(r.vars.begin(), r.vars.end());
  for (const auto& [name, _] : logs) bound.insert(name);
  STRATA_ASSIGN_OR_RETURN(const Plan* plan, PlanFor(clauses, bound));
  // query-stats: the phase's index (nested runs append after it, so no
  // pointer into the vector is held across a clause).
  QueryStats& st = budget.stats();
  long phase = -1;
  if (options.explain) {
    if (st.phases.size() < QueryStats::kMaxPhases) {
      phase = static_cast<long>(st.phases.size());
      st.phases.emplace_back();
    } else {
      ++st.phases_dropped;
    }
  }
  // Steps whose predicates the bounded read before them already applied
  // to every row (ScanBounds::enforced).
  std::vector<size_t> implied;
  std::vector<bool> ran(plan->order.size(), false);  // run with an earlier step (star.cc)
  for (size_t step = 0; step < plan->order.size(); ++step) {
    const size_t i = plan->order[step];
    if (ctx->empty()) break;  // nothing can match any more
    if (ran[step]) continue;
    if (std::find(implied.begin(), implied.end(), step) != implied.end()) {
      if (phase >= 0) {
        ClauseStats cs = ClauseEntry(clauses[i], *ctx);
        cs.position = i;
        const double est = plan->est_rows[step];
        cs.est_rows = est < 0 ? -1 : est >= 9e18 ? INT64_MAX : static_cast<int64_t>(est + 0.5);
        ClauseExit(clauses[i], *ctx, &cs);
        st.phases[static_cast<size_t>(phase)].clauses.push_back(std::move(cs));
      }
      continue;
    }
    scan_bounds_ = BoundsAfter(clauses, plan->order, step, *ctx);
    fill_entities_ = false;
    est_rows_ = plan->est_rows[step];
    if (const Clause& c = clauses[i]; c.kind == Clause::kPattern && !c.terms.empty() && c.terms[0].kind == Term::kVar) {
      for (size_t later = step + 1; later < plan->order.size() && !fill_entities_; ++later) {
        const Clause& d = clauses[plan->order[later]];
        fill_entities_ = d.kind == Clause::kPattern && !d.terms.empty() && d.terms[0].kind == Term::kVar &&
                         d.terms[0].name == c.terms[0].name && d.src == c.src;
      }
      // Not when the planner expects this pattern to drop most entities:
      // their whole reads would mostly go unused.
      for (const Rel& r : ctx->rels) {
        const double est = plan->est_rows[step];
        if (fill_entities_ && r.has(c.terms[0].name) && est >= 0 && est < 0.5 * static_cast<double>(r.n))
          fill_entities_ = false;
      }
    }
    // Patterns on one bound entity run together (star.cc); `star` holds
    // the steps that ran.
    std::vector<size_t> star;
    auto run = [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(star, RunStar(clauses, plan->order, step, ctx));
      if (!star.empty()) return Status::OK();
      return RunClause(clauses[i], plan->not_join[i], ctx);
    };
    if (phase < 0) {
      STRATA_RETURN_IF_ERROR(run());
    } else {
      ClauseStats cs = ClauseEntry(clauses[i], *ctx);
      cs.position = i;
      const double est = plan->est_rows[step];
      cs.est_rows = est < 0 ? -1 : est >= 9e18 ? INT64_MAX : static_cast<int64_t>(est + 0.5);
      const uint64_t datoms = st.datoms, lookups = st.index_lookups;
      const ReadCounters reads = ThreadReadCounters();
      STRATA_RETURN_IF_ERROR(run());
      ClauseExit(clauses[i], *ctx, &cs);
      cs.datoms = st.datoms - datoms;
      cs.index_lookups = st.index_lookups - lookups;
      const ReadCounters d = ThreadReadCounters() - reads;
      for (uint64_t n : d.segments) cs.segments += n;
      st.phases[static_cast<size_t>(phase)].clauses.push_back(std::move(cs));
      // The group's other patterns read nothing of their own (the first
      // one's reads served them); their rows are the group's.
      for (size_t k : star) {
        if (k == step) continue;
        const size_t j = plan->order[k];
        ClauseStats other = ClauseEntry(clauses[j], *ctx);
        other.position = j;
        const double e = plan->est_rows[k];
        other.est_rows = e < 0 ? -1 : e >= 9e18 ? INT64_MAX : static_cast<int64_t>(e + 0.5);
        ClauseExit(clauses[j], *ctx, &other);
        other.binds_in.erase(std::remove_if(other.binds_in.begin(), other.binds_in.end(),
                                            [&](const std::string& v) { return v != clauses[j].terms[0].name; }),
                             other.binds_in.end());
        for (const auto& t : clauses[j].terms)
          if (t.kind == Term::kVar && t.name != clauses[j].terms[0].name) other.binds_out.push_back(t.name);
        st.phases[static_cast<size_t>(phase)].clauses.push_back(std::move(other));
      }
    }
    if (scan_bounds_ && scan_bounds_->enforced) implied = scan_bounds_->steps;
    for (size_t k : star) ran[k] = true;
    scan_bounds_.reset();
    fill_entities_ = false;
    est_rows_ = -1;
    STRATA_RETURN_IF_ERROR(budget.CheckTime());
  }
  scan_bounds_.reset();
  fill_entities_ = false;
  est_rows_ = -1;
  return Status::OK();
}

namespace {
// The long a term stands for: a constant, or a variable the context binds to
// a single value (a relation of one row holds it).
std::optional<int64_t> LongOf(const Term& t, const Ctx& ctx) {
  if (t.kind == Term::kConst) return t.val.is_long() ? std::optional<int64_t>(t.val.v.as_long()) : std::nullopt;
  if (t.kind != Term::kVar) return std::nullopt;
  for (const Rel& r : ctx.rels) {
    auto it = std::find(r.vars.begin(), r.vars.end(), t.name);
    if (it == r.vars.end()) continue;
    if (r.n != 1) return std::nullopt;
    const Val& v = r.row(0)[it - r.vars.begin()];
    return v.is_long() ? std::optional<int64_t>(v.v.as_long()) : std::nullopt;
  }
  return std::nullopt;
}
}  // namespace

std::optional<ScanBounds> Evaluator::BoundsAfter(const Clauses& clauses, const std::vector<size_t>& order,
                                                            size_t step, const Ctx& ctx) {
  const Clause& c = clauses[order[step]];
  if (c.kind != Clause::kPattern || c.terms.size() < 3 || c.terms[2].kind != Term::kVar) return std::nullopt;
  ScanBounds b;
  b.var = c.terms[2].name;
  bool any = false;
  // The predicates the plan runs right after the pattern.
  for (size_t k = step + 1; k < order.size() && clauses[order[k]].kind == Clause::kPred; ++k) {
    const Clause& p = clauses[order[k]];
    if (p.terms.size() != 2) continue;
    const Term& x = p.terms[0];
    const Term& y = p.terms[1];
    // (op ?v n) or (op n ?v), with n a long: as ?v op' n.
    std::string op = p.name;
    int64_t n = 0;
    const bool x_is_v = x.kind == Term::kVar && x.name == b.var;
    const bool y_is_v = y.kind == Term::kVar && y.name == b.var;
    if (x_is_v == y_is_v) continue;
    std::optional<int64_t> other = LongOf(x_is_v ? y : x, ctx);
    if (!other) continue;
    n = *other;
    if (y_is_v) op = op == "<" ? ">" : op == ">" ? "<" : op == "<=" ? ">=" : op == ">=" ? "<=" : "";
    if (op == ">") {
      if (n == INT64_MAX) return std::nullopt;
      b.lo = std::max(b.lo, n + 1);
    } else if (op == ">=") {
      b.lo = std::max(b.lo, n);
    } else if (op == "<") {
      if (n == INT64_MIN) return std::nullopt;
      b.hi = std::min(b.hi, n - 1);
    } else if (op == "<=") {
      b.hi = std::min(b.hi, n);
    } else {
      continue;
    }
    b.steps.push_back(k);
    any = true;
  }
  if (!any) return std::nullopt;
  return b;
}

namespace {

// Rows of the relations holding any of `vars` (multiplied: the context
// keeps unconnected relations apart), saturating; 0 when none does.
uint64_t RowsOver(const Ctx& ctx, const std::set<std::string>& vars) {
  uint64_t rows = 0;
  bool any = false;
  for (const Rel& r : ctx.rels) {
    if (std::none_of(r.vars.begin(), r.vars.end(), [&](const std::string& v) { return vars.count(v) > 0; })) continue;
    const uint64_t n = r.n;
    rows = !any ? n : (n != 0 && rows > UINT64_MAX / n ? UINT64_MAX : rows * n);
    any = true;
  }
  return rows;
}

}  // namespace

ClauseStats Evaluator::ClauseEntry(const Clause& c, const Ctx& ctx) const {
  ClauseStats cs;
  cs.clause = c.form;
  std::set<std::string> vars;
  ClauseVars(c, &vars);
  for (const auto& v : vars)
    if (ctx.bound(v)) cs.binds_in.push_back(v);
  cs.rows_in = RowsOver(ctx, vars);
  return cs;
}

void Evaluator::ClauseExit(const Clause& c, const Ctx& ctx, ClauseStats* cs) const {
  std::set<std::string> vars;
  ClauseVars(c, &vars);
  for (const auto& v : vars)
    if (ctx.bound(v) && std::find(cs->binds_in.begin(), cs->binds_in.end(), v) == cs->binds_in.end())
      cs->binds_out.push_back(v);
  cs->rows_out = RowsOver(ctx, vars);
}

Status Evaluator::RunClause(const Clause& c, const std::vector<std::string>& not_join, Ctx* ctx) {
  switch (c.kind) {
    case Clause::kPattern:
      if (auto it = tuple_sources.find(c.src); it != tuple_sources.end()) return RunTuplePattern(c, it->second, ctx);
      return RunPattern(c, ctx);
    case Clause::kPred:
    case Clause::kFn: return RunExpression(c, ctx);
    case Clause::kRule: return RunRule(c, ctx);
    case Clause::kOr: return RunOr(c, ctx);
    case Clause::kNot: return RunNot(c, not_join, ctx);
    case Clause::kAnd: return RunClauses(c.branches[0], ctx);
  }
  return Status::OK();
}

}  // namespace strata::query
