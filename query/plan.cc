// The planner: checks clause names, then orders a clause list greedily.
//
// At each step it runs, among the clauses whose inputs are bound, the one
// that is expected to narrow the relations most: filters first (predicates
// and `not`), then functions, then data patterns and rule calls by how
// many of their index positions are bound, preferring clauses connected to
// what is already bound so no cross product is built while a join exists.
// The order depends only on which variables are bound, never on the order
// the clauses were written in (ties aside).
#include <algorithm>
#include <optional>

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

// Estimated rows of each variable's relation after running `order`, from
// attribute samples; variables without an estimate are absent.
std::map<std::string, double> Evaluator::EstimateRows(const Clauses& clauses, const std::vector<size_t>& order,
                                                      const std::set<std::string>& bound_in) {
  std::map<std::string, double> est;
  std::set<std::string> b = bound_in;
  for (size_t i : order) {
    const Clause& c = clauses[i];
    const Attribute* a = ConstAttr(c);
    const std::vector<std::string> vars = VarTerms(c);
    if (a == nullptr) {
      if (c.kind == Clause::kPattern || c.kind == Clause::kRule || c.kind == Clause::kFn || c.kind == Clause::kOr)
        for (const auto& v : vars) est.erase(v);  // unknown from here on
      for (const auto& v : vars) b.insert(v);
      continue;
    }
    const AttrSample& s = Sample(dbs.at(c.src), c.src, *a);
    const Term& e = c.terms[0];
    const Term& v = c.terms[2];
    std::optional<Value> value;
    if (v.kind == Term::kConst) value = ConstValue(dbs.at(c.src), *a, v.val);
    auto known = [&](const Term& t) -> std::optional<double> {
      if (t.kind == Term::kConst) return 1.0;
      if (auto it = est.find(t.name); it != est.end()) return it->second;
      return std::nullopt;
    };
    std::optional<double> out;
    if (Bound(e, b)) {
      if (auto r = known(e)) {
        const double count = std::max(s.Count(), 1.0);
        out = *r * (value ? s.WithValue(*value) / count : v.kind == Term::kVar && b.count(v.name) ? 1.0 / count : 1.0);
      }
    } else if (v.kind == Term::kConst) {
      out = value ? s.WithValue(*value) : 0.0;
    } else if (v.kind == Term::kVar && b.count(v.name)) {
      if (auto r = known(v)) out = *r * s.Fanout();
    } else {
      out = s.Count();
    }
    for (const auto& x : vars) {
      if (out) est[x] = *out;
      else est.erase(x);
      b.insert(x);
    }
  }
  return est;
}

// A value join — [?e :a ?v] with ?v bound and ?e not — multiplies the rows
// of ?v's relation by the attribute's datoms per value. When a pattern with
// a constant attribute and value, not yet connected, is estimated to bind
// fewer rows, it runs first: its entities then narrow the value join to
// lookups (qsame-age: two people sets joined on age). Samples are read only
// when such a choice exists.
size_t Evaluator::DeferValueJoin(const Clauses& clauses, const std::vector<size_t>& order,
                                 const std::set<std::string>& bound_in, const std::set<std::string>& b,
                                 const std::vector<bool>& done, const std::vector<std::vector<std::string>>& inputs,
                                 size_t best) {
  const Clause& j = clauses[best];
  const Attribute* ja = ConstAttr(j);
  if (ja == nullptr || Bound(j.terms[0], b) || j.terms[2].kind != Term::kVar || !b.count(j.terms[2].name)) return best;
  std::vector<size_t> alternatives;
  for (size_t i = 0; i < clauses.size(); ++i) {
    if (done[i] || i == best) continue;
    const Clause& c = clauses[i];
    if (!ConstAttr(c) || c.terms[0].kind != Term::kVar || b.count(c.terms[0].name) || c.terms[2].kind != Term::kConst)
      continue;
    bool ready = true;
    for (const auto& v : inputs[i]) ready = ready && b.count(v) > 0;
    if (ready) alternatives.push_back(i);
  }
  if (alternatives.empty()) return best;
  const std::map<std::string, double> est = EstimateRows(clauses, order, bound_in);
  auto r = est.find(j.terms[2].name);
  if (r == est.end()) return best;
  double cheapest = r->second * Sample(dbs.at(j.src), j.src, *ja).Fanout();
  size_t pick = best;
  for (size_t i : alternatives) {
    const Clause& c = clauses[i];
    const Attribute* a = ConstAttr(c);
    auto value = ConstValue(dbs.at(c.src), *a, c.terms[2].val);
    const double rows = value ? Sample(dbs.at(c.src), c.src, *a).WithValue(*value) : 0.0;
    if (rows < cheapest) {
      cheapest = rows;
      pick = i;
    }
  }
  return pick;
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

  auto score = [&](size_t i, const std::set<std::string>& b) -> double {
    const Clause& c = clauses[i];
    bool connects = b.empty();
    for (const auto& v : outputs[i]) connects = connects || b.count(v) > 0;
    const double bonus = connects ? 1000 : 0;
    switch (c.kind) {
      case Clause::kPred:
      case Clause::kNot: return 1e6;
      case Clause::kFn: return 9e5;
      case Clause::kPattern: {
        if (tuple_sources.count(c.src)) return 15 + bonus;
        auto at = [&](size_t k) { return k < c.terms.size() && Bound(c.terms[k], b); };
        double s = 0;
        if (at(0)) {
          // A constant value only filters; a bound variable may join two relations.
          s = 60 + (at(1) ? 5 : 0) + (at(2) ? (c.terms[2].kind == Term::kConst ? 6 : 5) : 0);
        } else if (at(1) && at(2)) {
          s = 40;
          if (c.terms[1].kind == Term::kConst && dbs.count(c.src)) {
            const Attribute* a = ResolveAttribute(dbs.at(c.src), c.terms[1].val);
            s = a && (a->in_avet() || a->is_ref()) ? 50 : 25;
          }
        } else if (at(1)) {
          s = 20;
        } else if (at(2)) {
          s = 10;
        }
        if (at(3)) s += 2;
        return s + bonus;
      }
      default: {
        size_t bound_args = 0;
        for (const auto& v : outputs[i]) bound_args += b.count(v);
        for (const auto& t : c.terms) bound_args += t.kind == Term::kConst;
        return (bound_args ? 45 + bound_args : 5) + bonus;
      }
    }
  };

  std::vector<bool> done(n, false);
  std::set<std::string> b = bound;
  for (size_t step = 0; step < n; ++step) {
    long best = -1;
    double best_score = -1;
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      bool ready = true;
      for (const auto& v : inputs[i]) ready = ready && b.count(v) > 0;
      if (!ready) continue;
      double s = score(i, b);
      if (s > best_score) {
        best_score = s;
        best = static_cast<long>(i);
      }
    }
    if (best >= 0) best = DeferValueJoin(clauses, plan.order, bound, b, done, inputs, static_cast<size_t>(best));
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
    done[best] = true;
    plan.order.push_back(static_cast<size_t>(best));
    for (const auto& v : outputs[best]) b.insert(v);
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
  for (size_t i : plan->order) {
    if (ctx->empty()) break;  // nothing can match any more
    if (phase < 0) {
      STRATA_RETURN_IF_ERROR(RunClause(clauses[i], plan->not_join[i], ctx));
    } else {
      ClauseStats cs = ClauseEntry(clauses[i], *ctx);
      const uint64_t datoms = st.datoms, lookups = st.index_lookups;
      const ReadCounters reads = ThreadReadCounters();
      STRATA_RETURN_IF_ERROR(RunClause(clauses[i], plan->not_join[i], ctx));
      ClauseExit(clauses[i], *ctx, &cs);
      cs.datoms = st.datoms - datoms;
      cs.index_lookups = st.index_lookups - lookups;
      const ReadCounters d = ThreadReadCounters() - reads;
      for (uint64_t n : d.segments) cs.segments += n;
      st.phases[static_cast<size_t>(phase)].clauses.push_back(std::move(cs));
    }
    STRATA_RETURN_IF_ERROR(budget.CheckTime());
  }
  return Status::OK();
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
