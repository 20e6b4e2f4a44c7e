// Rules, `or` and `not`: bodies evaluated with the caller's bindings.
//
// A body runs in a fresh context seeded with the distinct values of the
// caller's bound arguments, so a rule reads only what the call can use
// (sideways information passing). Rule results are tabled per (rule,
// bound positions): a seed is evaluated once per query. Rules that call
// themselves, directly or through others, are evaluated to a fixpoint,
// semi-naively: each round evaluates the new seeds in full and re-runs
// the earlier seeds once per recursive call, that call reading only the
// rows found in the previous round. Negation through recursion is refused.
#include "eval.h"

namespace strata::query {

namespace {

std::string Pos(size_t k) { return "#" + std::to_string(k); }

std::vector<std::string> Positions(size_t n, uint32_t mask, bool only_masked) {
  std::vector<std::string> out;
  for (size_t k = 0; k < n; ++k)
    if (!only_masked || (mask >> k & 1)) out.push_back(Pos(k));
  return out;
}

void Calls(const Clause& c, std::set<std::string>* out) {
  if (c.kind == Clause::kRule) out->insert(c.name);
  for (const auto& b : c.branches)
    for (const auto& x : b) Calls(x, out);
}

void CallSites(const Clause& c, std::vector<const Clause*>* out) {
  if (c.kind == Clause::kRule) out->push_back(&c);
  for (const auto& b : c.branches)
    for (const auto& x : b) CallSites(x, out);
}

}  // namespace

DefaultSource::DefaultSource(Evaluator* ev, const std::string& src) : ev_(ev), saved_(ev->default_src) {
  const std::string target = ev->Resolve(src);
  active_ = target != ev->default_src;
  if (active_) Bind(target);
}

DefaultSource::~DefaultSource() {
  if (active_) Bind(saved_);
}

void DefaultSource::Bind(const std::string& target) {
  ev_->default_src = target;
  ev_->dbs.erase("$");
  ev_->tuple_sources.erase("$");
  if (auto it = ev_->bound_dbs.find(target); it != ev_->bound_dbs.end()) ev_->dbs["$"] = it->second;
  if (auto it = ev_->bound_tuples.find(target); it != ev_->bound_tuples.end()) ev_->tuple_sources["$"] = it->second;
}

void Evaluator::ComputeSccs() {
  std::map<std::string, std::set<std::string>> calls;
  for (const auto& [name, defs] : rules)
    for (const Rule& r : defs)
      for (const auto& c : r.body) Calls(c, &calls[name]);
  // Reachability by depth-first search from each rule (rule sets are small).
  std::map<std::string, std::set<std::string>> reach;
  for (const auto& [name, _] : rules) {
    std::vector<std::string> stack(calls[name].begin(), calls[name].end());
    auto& seen = reach[name];
    while (!stack.empty()) {
      std::string x = stack.back();
      stack.pop_back();
      if (!seen.insert(x).second) continue;
      for (const auto& y : calls[x]) stack.push_back(y);
    }
  }
  for (const auto& [name, _] : rules) {
    if (scc_of_.count(name)) continue;
    const int id = static_cast<int>(scc_recursive_.size());
    scc_recursive_.push_back(reach[name].count(name) > 0);
    for (const auto& [other, __] : rules) {
      if (other == name || (reach[name].count(other) && reach[other].count(name))) scc_of_[other] = id;
    }
  }
  for (const auto& [rule_name, defs] : rules) {
    const std::string& name = rule_name;  // a lambda may not capture a structured binding (clang 14)
    auto& sites = internal_calls_[name];
    for (const Rule& r : defs)
      for (const auto& c : r.body) CallSites(c, &sites);
    std::erase_if(sites, [&](const Clause* c) { return !rules.count(c->name) || SccOf(c->name) != SccOf(name); });
  }
}

int Evaluator::SccOf(const std::string& rule) {
  if (scc_of_.empty()) ComputeSccs();
  return scc_of_.at(rule);
}

Result<Rel> Evaluator::RunBody(const Clauses& body, const Rel& seeds, const std::vector<std::string>& out_vars,
                               const edn::Node& form) {
  Ctx sub;
  sub.rels.push_back(seeds);
  STRATA_RETURN_IF_ERROR(RunClauses(body, &sub));
  Rel empty;
  empty.vars = out_vars;
  if (sub.empty()) return empty;
  for (const auto& v : out_vars) {
    if (!sub.bound(v)) return Status::InvalidArgument("insufficient bindings: " + v + " is not bound by " + edn::Print(form));
  }
  STRATA_ASSIGN_OR_RETURN(int ri, sub.Gather(out_vars, &budget));
  if (ri < 0) return UnitRel();
  return Project(sub.rels[ri], out_vars);
}

Status Evaluator::RunNot(const Clause& c, const std::vector<std::string>& join, Ctx* ctx) {
  DefaultSource src(this, c.src);
  STRATA_ASSIGN_OR_RETURN(int ri, ctx->Gather(join, &budget));
  Rel seeds = Project(ctx->rels[ri], join);
  ++in_not_;
  Result<Rel> matched = RunBody(c.branches[0], seeds, join, c.form);
  --in_not_;
  if (!matched.ok()) return matched.status();
  ctx->rels[ri] = AntiJoin(ctx->rels[ri], *matched);
  return Status::OK();
}

Status Evaluator::RunOr(const Clause& c, Ctx* ctx) {
  DefaultSource src(this, c.src);
  std::vector<std::string> bound;
  for (const auto& v : c.join_vars)
    if (ctx->bound(v)) bound.push_back(v);
  Rel seeds = UnitRel();
  if (!bound.empty()) {
    STRATA_ASSIGN_OR_RETURN(int ri, ctx->Gather(bound, &budget));
    seeds = Project(ctx->rels[ri], bound);
  }
  Rel all;
  all.vars = c.join_vars;
  for (const auto& branch : c.branches) {
    STRATA_ASSIGN_OR_RETURN(Rel part, RunBody(branch, seeds, c.join_vars, c.form));
    Append(&all, part);
    STRATA_RETURN_IF_ERROR(budget.Fits(all));
  }
  Dedupe(&all);
  STRATA_RETURN_IF_ERROR(budget.Charge(all.n, all));
  return ctx->Absorb(std::move(all), &budget);
}

Status Evaluator::RunRule(const Clause& c, Ctx* ctx) {
  const size_t n = c.terms.size();
  if (n > 32) return Status::InvalidArgument("rules take at most 32 arguments in " + edn::Print(c.form));
  uint32_t mask = 0;
  std::vector<std::string> bound;
  for (size_t k = 0; k < n; ++k) {
    const Term& t = c.terms[k];
    if (t.kind == Term::kConst || (t.kind == Term::kVar && ctx->bound(t.name))) mask |= 1u << k;
    if (t.kind == Term::kVar && ctx->bound(t.name) && std::find(bound.begin(), bound.end(), t.name) == bound.end()) {
      bound.push_back(t.name);
    }
  }
  // Seeds: the distinct values of the bound arguments, by position.
  Rel seeds;
  seeds.vars = Positions(n, mask, true);
  Rel in = UnitRel();
  if (!bound.empty()) {
    STRATA_ASSIGN_OR_RETURN(int ri, ctx->Gather(bound, &budget));
    in = Project(ctx->rels[ri], bound);
  }
  std::vector<Val> row(seeds.vars.size());
  for (size_t i = 0; i < in.n; ++i) {
    size_t j = 0;
    for (size_t k = 0; k < n; ++k) {
      if (!(mask >> k & 1)) continue;
      const Term& t = c.terms[k];
      row[j++] = t.kind == Term::kConst ? t.val : in.row(i)[in.col(t.name)];
    }
    seeds.Add(row.data());
  }
  STRATA_ASSIGN_OR_RETURN(Rel res, CallRule(c, mask, seeds));
  // Back to the caller's variables: constants and _ drop out, a repeated
  // variable must hold one value.
  Rel out;
  std::vector<int> first_pos;
  for (size_t k = 0; k < n; ++k) {
    if (c.terms[k].kind != Term::kVar) continue;
    if (out.col(c.terms[k].name) >= 0) continue;
    out.vars.push_back(c.terms[k].name);
    first_pos.push_back(static_cast<int>(k));
  }
  std::vector<Val> orow(out.vars.size());
  for (size_t i = 0; i < res.n; ++i) {
    const Val* r = res.row(i);
    bool ok = true;
    for (size_t k = 0; k < n && ok; ++k) {
      if (c.terms[k].kind != Term::kVar) continue;
      int col = out.col(c.terms[k].name);
      ok = r[first_pos[col]] == r[k];
    }
    if (!ok) continue;
    for (size_t j = 0; j < first_pos.size(); ++j) orow[j] = r[first_pos[j]];
    out.Add(orow.data());
  }
  if (out.vars.size() < n) Dedupe(&out);
  return ctx->Absorb(std::move(out), &budget);
}

Result<Rel> Evaluator::CallRule(const Clause& call, uint32_t mask, const Rel& seeds) {
  const std::string& name = call.name;
  const size_t n = call.terms.size();
  const std::string src = Resolve(call.src);
  auto key = std::make_pair(name + "\x1f" + src, mask);
  auto it = tables_.find(key);
  if (it == tables_.end()) {
    RuleTable t;
    t.name = name;
    t.src = src;
    t.mask = mask;
    t.seeds = RowSet(seeds.vars);
    t.pending.vars = t.done.vars = seeds.vars;
    t.results = RowSet(Positions(n, mask, false));
    t.delta.vars = t.next.vars = t.results.rel.vars;
    it = tables_.emplace(key, std::move(t)).first;
  }
  RuleTable& t = it->second;
  const int scc = SccOf(name);
  Rel fresh;
  fresh.vars = seeds.vars;
  for (size_t i = 0; i < seeds.n; ++i)
    if (t.seeds.Insert(seeds.row(i))) fresh.Add(seeds.row(i));

  if (!scc_recursive_[scc]) {
    if (fresh.n > 0) STRATA_RETURN_IF_ERROR(EvalTable(&t, fresh, nullptr));
    return Join(t.results.rel, seeds, &budget);
  }
  const bool internal = !active_scc_.empty() && active_scc_.back() == scc;
  if (internal) {
    if (in_not_ > fixpoint_not_depth_.back()) {
      return Status::InvalidArgument("rule '" + name + "' is negated inside its own recursion (not stratified) in " +
                                     edn::Print(call.form));
    }
    Append(&t.pending, fresh);
    return Join(delta_call_ == &call ? t.delta : t.results.rel, seeds, &budget);
  }
  Append(&t.pending, fresh);
  STRATA_RETURN_IF_ERROR(Fixpoint(scc));
  return Join(t.results.rel, seeds, &budget);
}

Status Evaluator::EvalTable(RuleTable* t, const Rel& seeds, const Clause* delta) {
  DefaultSource src(this, t->src);
  const Clause* saved = delta_call_;
  delta_call_ = delta;
  const bool recursive = scc_recursive_[SccOf(t->name)];
  Status status;
  for (const Rule& r : rules.at(t->name)) {
    // The seeds under this definition's head variable names.
    Rel s = seeds;
    bool clash = false;
    for (size_t j = 0, k = 0; k < r.head.size(); ++k) {
      if (!(t->mask >> k & 1)) continue;
      if (std::find(s.vars.begin(), s.vars.end(), r.head[k]) != s.vars.end()) clash = true;
      s.vars[j++] = r.head[k];
    }
    if (clash) {
      status = Status::InvalidArgument("rule head repeats a variable: " + edn::Print(r.form));
      break;
    }
    for (size_t k = 0; k < r.head.size(); ++k) {
      bool req = std::find(r.required.begin(), r.required.end(), r.head[k]) != r.required.end();
      if (req && !(t->mask >> k & 1)) {
        status = Status::InvalidArgument("insufficient bindings: rule '" + r.name + "' requires " + r.head[k] +
                                         " to be bound");
        break;
      }
    }
    if (!status.ok()) break;
    Result<Rel> rows = RunBody(r.body, s, r.head, r.form);
    if (!rows.ok()) {
      status = rows.status();
      break;
    }
    for (size_t i = 0; i < rows->n; ++i) {
      if (!recursive) {
        t->results.Insert(rows->row(i));
      } else if (!t->results.Contains(rows->row(i))) {
        t->next.Add(rows->row(i));
      }
    }
    status = budget.Charge(rows->n, t->results.rel.n + t->next.n, t->results.rel.bytes + t->next.bytes);
    if (!status.ok()) break;
  }
  delta_call_ = saved;
  return status;
}

Status Evaluator::Fixpoint(int scc) {
  active_scc_.push_back(scc);
  fixpoint_not_depth_.push_back(in_not_);
  Status status;
  for (;;) {
    ++budget.stats().rule_rounds;
    std::vector<RuleTable*> ts;
    bool any_delta = false;
    for (auto& [_, t] : tables_) {
      if (SccOf(t.name) != scc) continue;
      ts.push_back(&t);
      any_delta = any_delta || t.delta.n > 0;
    }
    for (RuleTable* t : ts) {
      Rel fresh = std::move(t->pending);
      t->pending = Rel();
      t->pending.vars = fresh.vars;
      if (fresh.n > 0) status = EvalTable(t, fresh, nullptr);
      if (status.ok() && any_delta && t->done.n > 0) {
        for (const Clause* call : internal_calls_[t->name]) {
          status = EvalTable(t, t->done, call);
          if (!status.ok()) break;
        }
      }
      if (!status.ok()) break;
      Append(&t->done, fresh);
    }
    if (!status.ok()) break;
    bool changed = false;
    for (auto& [_, t] : tables_) {
      if (SccOf(t.name) != scc) continue;
      Rel delta;
      delta.vars = t.results.rel.vars;
      for (size_t i = 0; i < t.next.n; ++i)
        if (t.results.Insert(t.next.row(i))) delta.Add(t.next.row(i));
      t.next.Clear();
      t.delta = std::move(delta);
      changed = changed || t.delta.n > 0 || t.pending.n > 0;
    }
    if (!changed) break;
    status = budget.CheckTime();
    if (!status.ok()) break;
  }
  active_scc_.pop_back();
  fixpoint_not_depth_.pop_back();
  return status;
}

}  // namespace strata::query
