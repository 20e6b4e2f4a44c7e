// Q: binds the :in inputs, runs :where, and builds the :find result.
#include "strata/query.h"

#include <new>

#include "eval.h"
#include "find.h"

namespace strata {
namespace query {

namespace {

Status BindInput(Evaluator* ev, const InSpec& in, const QueryInput& input, Ctx* ctx,
                 std::map<std::string, edn::Node>* raw) {
  const std::string where = " for :in " + edn::Print(in.form);
  if (in.kind == InSpec::kSrc) {
    if (const auto* db = std::get_if<Database>(&input)) {
      ev->dbs[in.name] = *db;
      return Status::OK();
    }
    const auto* n = std::get_if<edn::Node>(&input);
    if (n == nullptr || (!n->is_seq() && !n->is(edn::Kind::kSet))) {
      return Status::InvalidArgument("expected a database or a collection of tuples" + where);
    }
    Rel r;
    r.vars = {"tuple"};
    for (const auto& item : n->items) {
      STRATA_ASSIGN_OR_RETURN(Val t, FromEdn(item));
      if (!t.is_tuple()) return Status::InvalidArgument("a data source holds tuples, got " + edn::Print(item) + where);
      r.Add(&t);
    }
    ev->tuple_sources[in.name] = std::move(r);
    return Status::OK();
  }
  if (in.kind == InSpec::kRules) {
    const auto* n = std::get_if<edn::Node>(&input);
    if (n == nullptr) return Status::InvalidArgument("expected a rule set" + where);
    STRATA_ASSIGN_OR_RETURN(RuleSet rules, ParseRules(*n));
    for (auto& [name, defs] : rules) {
      auto& mine = ev->rules[name];
      if (!mine.empty() && mine[0].head.size() != defs[0].head.size()) {
        return Status::InvalidArgument("rule " + name + " is defined with two arities" + where);
      }
      for (auto& d : defs) mine.push_back(std::move(d));
    }
    return Status::OK();
  }
  if (in.kind == InSpec::kPattern) {
    const auto* n = std::get_if<edn::Node>(&input);
    if (n == nullptr) return Status::InvalidArgument("expected a pull pattern" + where);
    (*raw)[in.name] = *n;  // compiled by the (pull ?e name) that reads it
    return Status::OK();
  }
  const Binding& b = in.binding;
  if (const auto* log = std::get_if<LogSource>(&input)) {
    if (b.kind != Binding::kScalar || log->conn == nullptr) return Status::InvalidArgument("a log binds to one variable" + where);
    ev->logs[b.vars[0]] = *log;
    return Status::OK();
  }
  if (std::holds_alternative<Database>(input)) {
    return Status::InvalidArgument("a database binds to a source ($ or $name), not a variable" + where);
  }
  const edn::Node& n = std::get<edn::Node>(input);
  if (b.kind == Binding::kScalar) (*raw)[b.vars[0]] = n;
  // The tuples the input contributes, one value per binding variable.
  std::vector<std::vector<Val>> tuples;
  auto need_seq = [&](const edn::Node& x) -> Status {
    if (x.is_seq() || x.is(edn::Kind::kSet)) return Status::OK();
    return Status::InvalidArgument("expected a collection, got " + edn::Print(x) + where);
  };
  auto tuple_of = [&](const edn::Node& x) -> Status {
    STRATA_RETURN_IF_ERROR(need_seq(x));
    if (x.items.size() != b.vars.size()) {
      return Status::InvalidArgument("expected a tuple of " + std::to_string(b.vars.size()) + ", got " + edn::Print(x) + where);
    }
    std::vector<Val> t;
    for (const auto& item : x.items) {
      STRATA_ASSIGN_OR_RETURN(Val v, FromEdn(item));
      t.push_back(std::move(v));
    }
    tuples.push_back(std::move(t));
    return Status::OK();
  };
  switch (b.kind) {
    case Binding::kScalar: {
      STRATA_ASSIGN_OR_RETURN(Val v, FromEdn(n));
      tuples.push_back({std::move(v)});
      break;
    }
    case Binding::kTuple: STRATA_RETURN_IF_ERROR(tuple_of(n)); break;
    case Binding::kColl:
      STRATA_RETURN_IF_ERROR(need_seq(n));
      for (const auto& item : n.items) {
        STRATA_ASSIGN_OR_RETURN(Val v, FromEdn(item));
        tuples.push_back({std::move(v)});
      }
      break;
    case Binding::kRel:
      STRATA_RETURN_IF_ERROR(need_seq(n));
      for (const auto& item : n.items) STRATA_RETURN_IF_ERROR(tuple_of(item));
      break;
    case Binding::kNone: break;
  }
  Rel r;
  std::vector<size_t> keep;
  for (size_t k = 0; k < b.vars.size(); ++k) {
    if (b.vars[k] == "_" || r.has(b.vars[k])) continue;
    r.vars.push_back(b.vars[k]);
    keep.push_back(k);
  }
  std::vector<Val> row(keep.size());
  for (const auto& t : tuples) {
    // A variable named twice ([?a ?a]) must get one value.
    bool ok = true;
    for (size_t k = 0; k < b.vars.size() && ok; ++k) {
      if (b.vars[k] != "_") ok = t[k] == t[keep[static_cast<size_t>(r.col(b.vars[k]))]];
    }
    if (!ok) continue;
    for (size_t j = 0; j < keep.size(); ++j) row[j] = t[keep[j]];
    r.Add(row.data());
  }
  Dedupe(&r);
  // For the planner: a scalar's value (estimated like a constant) and the
  // rows every input binds.
  if (b.kind == Binding::kScalar && r.n == 1 && r.width() == 1) ev->scalar_inputs[r.vars[0]] = r.row(0)[0];
  for (const auto& v : r.vars) ev->input_rows[v] = static_cast<double>(r.n);
  return ctx->Absorb(std::move(r), &ev->budget);
}

// Every :find and :with variable must be one :in or :where can bind.
Status CheckFindVars(const Query& q) {
  std::set<std::string> bindable;
  for (const auto& in : q.in) bindable.insert(in.binding.vars.begin(), in.binding.vars.end());
  for (const auto& c : q.where)
    if (c.kind != Clause::kNot) ClauseVars(c, &bindable);
  auto check = [&](const std::string& v, const char* what) -> Status {
    if (bindable.count(v)) return Status::OK();
    return Status::InvalidArgument(std::string(what) + " variable " + v + " is not bound by :in or :where");
  };
  for (const auto& f : q.find) STRATA_RETURN_IF_ERROR(check(f.var, ":find"));
  for (const auto& w : q.with) STRATA_RETURN_IF_ERROR(check(w, ":with"));
  return Status::OK();
}

}  // namespace

}  // namespace query

namespace query {
namespace {

Result<edn::Node> Run(const edn::Node& query_form, const std::vector<QueryInput>& inputs, const QueryOptions& options,
                      QueryStats* stats) {
  STRATA_ASSIGN_OR_RETURN(Query q, ParseQuery(query_form));
  if (q.in.size() != inputs.size()) {
    // Name the :in forms: a source ($, $data: any symbol starting with $)
    // takes an input like every other binding.
    std::vector<edn::Node> forms;
    for (const auto& in : q.in) forms.push_back(in.form.is(edn::Kind::kNil) ? edn::Node::Symbol("$") : in.form);
    return Status::InvalidArgument("query :in " + edn::Print(edn::Node::Vector(forms)) + " takes " +
                                   std::to_string(q.in.size()) + (q.in.size() == 1 ? " input" : " inputs") + " but " +
                                   std::to_string(inputs.size()) + (inputs.size() == 1 ? " was given" : " were given"));
  }
  STRATA_RETURN_IF_ERROR(CheckFindVars(q));
  Evaluator ev(options, stats);
  Ctx ctx;
  ctx.rels.push_back(UnitRel());
  std::map<std::string, edn::Node> raw;
  for (size_t i = 0; i < inputs.size(); ++i) STRATA_RETURN_IF_ERROR(BindInput(&ev, q.in[i], inputs[i], &ctx, &raw));
  ev.bound_dbs = ev.dbs;
  ev.bound_tuples = ev.tuple_sources;
  STRATA_RETURN_IF_ERROR(ev.Validate(q.where));
  for (const auto& f : q.find) {
    if (f.kind == FindElem::kPull && !ev.dbs.count(f.src)) {
      return Status::InvalidArgument("unknown source " + f.src + " in :find " + edn::Print(f.form));
    }
  }
  STRATA_RETURN_IF_ERROR(ev.RunClauses(q.where, &ctx));
  return BuildResult(ev, q, ctx, raw);
}

}  // namespace
}  // namespace query

Result<edn::Node> Q(const edn::Node& query_form, const std::vector<QueryInput>& inputs, const QueryOptions& options,
                    QueryStats* stats) {
  IoMeter meter("query");
  Result<edn::Node> r = [&]() -> Result<edn::Node> {
    try {
      return query::Run(query_form, inputs, options, stats);
    } catch (const std::bad_alloc&) {
      // A query is read-only: what it built is freed on the way out, and
      // the caller gets an error, not an abort (max_bytes bounds the
      // relations, not every allocation; the process may run under a
      // memory limit).
      return Status::Busy("query ran out of memory (max_bytes " + std::to_string(options.max_bytes) +
                          "); --max-bytes SIZE lowers the bound on intermediate relations");
    }
  }();
  if (stats != nullptr) stats->io = meter.Stop();
  return r;
}

Result<edn::Node> Q(std::string_view query_text, const std::vector<QueryInput>& inputs, const QueryOptions& options,
                    QueryStats* stats) {
  STRATA_ASSIGN_OR_RETURN(edn::Node q, edn::ReadOne(query_text));
  return Q(q, inputs, options, stats);
}

Status ParseRuleSet(const edn::Node& rules) { return query::ParseRules(rules).status(); }

}  // namespace strata
