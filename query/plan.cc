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
      return Status::InvalidArgument("unknown source " + c.src + where);
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
      if (FindFunction(c.name) == nullptr) return Status::InvalidArgument("unknown function '" + c.name + "'" + where);
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
      if (!seen_rules->insert(c.name).second) return Status::OK();
      for (const Rule& r : it->second)
        for (const auto& x : r.body) STRATA_RETURN_IF_ERROR(Validate(x, seen_rules));
      return Status::OK();
    }
    default:
      for (const auto& b : c.branches)
        for (const auto& x : b) STRATA_RETURN_IF_ERROR(Validate(x, seen_rules));
      return Status::OK();
  }
}

Result<const Plan*> Evaluator::PlanFor(const Clauses& clauses, const std::set<std::string>& bound_in) {
  std::set<std::string> mentioned;
  for (const auto& c : clauses) AllVars(c, &mentioned);
  std::set<std::string> bound;
  for (const auto& v : bound_in)
    if (mentioned.count(v)) bound.insert(v);
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(&clauses));
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
          s = 60 + (at(1) ? 5 : 0) + (at(2) ? 5 : 0);
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
  return &plans_.emplace(key, std::move(plan)).first->second;
}

Status Evaluator::RunClauses(const Clauses& clauses, Ctx* ctx) {
  std::set<std::string> bound;
  for (const Rel& r : ctx->rels) bound.insert(r.vars.begin(), r.vars.end());
  for (const auto& [name, _] : logs) bound.insert(name);
  STRATA_ASSIGN_OR_RETURN(const Plan* plan, PlanFor(clauses, bound));
  for (size_t i : plan->order) {
    if (ctx->empty()) break;  // nothing can match any more
    STRATA_RETURN_IF_ERROR(RunClause(clauses[i], plan->not_join[i], ctx));
    STRATA_RETURN_IF_ERROR(budget.CheckTime());
  }
  return Status::OK();
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
