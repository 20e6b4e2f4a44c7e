// Expression clauses: [(pred args...)] filters rows, [(f args...) binding]
// extends them with what f returns, bound as a scalar, tuple, collection
// or relation. A nil result drops the row, as in Datomic.
#include "eval.h"
#include "functions.h"

namespace strata::query {

namespace {

// The tuples a result contributes under a binding form.
Status Unpack(const Binding& b, const Val& result, const edn::Node& form, std::vector<std::vector<Val>>* out) {
  out->clear();
  if (result.is_nil()) return Status::OK();
  auto need_coll = [&](const Val& v) -> Status {
    if (v.is_tuple()) return Status::OK();
    return Status::InvalidArgument("binding expects a collection, got " + Show(v) + " in " + edn::Print(form));
  };
  switch (b.kind) {
    case Binding::kScalar: out->push_back({result}); break;
    case Binding::kTuple: {
      STRATA_RETURN_IF_ERROR(need_coll(result));
      const std::vector<Val> xs = result.Elements();  // a map's are [k v]
      if (xs.size() < b.vars.size()) return Status::OK();
      out->push_back({xs.begin(), xs.begin() + static_cast<long>(b.vars.size())});
      break;
    }
    case Binding::kColl:
      STRATA_RETURN_IF_ERROR(need_coll(result));
      for (const Val& x : result.Elements()) out->push_back({x});
      break;
    case Binding::kRel:
      STRATA_RETURN_IF_ERROR(need_coll(result));
      for (const Val& x : result.Elements()) {
        STRATA_RETURN_IF_ERROR(need_coll(x));
        if (x.tuple->size() < b.vars.size()) continue;
        out->push_back({x.tuple->begin(), x.tuple->begin() + static_cast<long>(b.vars.size())});
      }
      break;
    case Binding::kNone: break;
  }
  return Status::OK();
}

}  // namespace

Status Evaluator::RunExpression(const Clause& c, Ctx* ctx) {
  const BuiltinFn fn = FindFunction(c.name);
  const std::string where = " in " + edn::Print(c.form);
  std::vector<std::string> gather;
  // An argument whose relation holds one row (an :in scalar) is read as a
  // constant: joining that relation in would only copy it into every row.
  std::map<std::string, const Val*> single;
  for (const auto& t : c.terms) {
    if (t.kind == Term::kVar && !logs.count(t.name)) {
      if (!ctx->bound(t.name)) return Status::InvalidArgument("insufficient bindings: " + t.name + " is not bound" + where);
      const bool binds = std::find(c.binding.vars.begin(), c.binding.vars.end(), t.name) != c.binding.vars.end();
      for (const Rel& r : ctx->rels) {
        if (r.n == 1 && !binds && r.has(t.name)) single[t.name] = &r.row(0)[r.col(t.name)];
      }
      if (!single.count(t.name)) gather.push_back(t.name);
    }
  }
  std::vector<std::string> fresh;  // binding variables not bound yet
  for (const auto& v : c.binding.vars) {
    if (v == "_") continue;
    if (ctx->bound(v)) gather.push_back(v);
    else if (std::find(fresh.begin(), fresh.end(), v) == fresh.end()) fresh.push_back(v);
  }
  std::vector<FnArg> args(c.terms.size());
  for (size_t i = 0; i < c.terms.size(); ++i) {
    const Term& t = c.terms[i];
    if (t.kind == Term::kSrc) {
      STRATA_ASSIGN_OR_RETURN(args[i].db, Db(t.name, c));
    } else if (t.kind == Term::kVar && logs.count(t.name)) {
      args[i].log = &logs.at(t.name);
    } else if (t.kind == Term::kConst) {
      args[i].val = t.val;
    } else if (t.kind == Term::kVar && single.count(t.name)) {
      args[i].val = *single.at(t.name);
    }
  }

  Rel in = UnitRel();
  int ri = -1;
  if (!gather.empty()) {
    STRATA_ASSIGN_OR_RETURN(ri, ctx->Gather(gather, &budget));
  }
  const Rel& r = ri >= 0 ? ctx->rels[ri] : in;
  std::vector<int> arg_cols(c.terms.size(), -1);
  for (size_t i = 0; i < c.terms.size(); ++i) {
    if (c.terms[i].kind == Term::kVar && !logs.count(c.terms[i].name) && !single.count(c.terms[i].name))
      arg_cols[i] = r.col(c.terms[i].name);
  }
  std::vector<int> bind_cols;  // per binding var: column in r, or -1 for fresh, -2 for _
  for (const auto& v : c.binding.vars) bind_cols.push_back(v == "_" ? -2 : r.col(v));

  if (c.kind == Clause::kPred && ri >= 0) {
    // A predicate only drops rows: keep the passing ones in place.
    std::vector<uint32_t> keep;
    for (size_t i = 0; i < r.n; ++i) {
      const Val* cur = r.row(i);
      for (size_t k = 0; k < args.size(); ++k)
        if (arg_cols[k] >= 0) args[k].val = cur[arg_cols[k]];
      Result<Val> res = fn(args);
      if (!res.ok()) return Status(res.status()).WithContext(edn::Print(c.form));
      if (res->truthy()) keep.push_back(static_cast<uint32_t>(i));
      if ((i & 15) == 15) STRATA_RETURN_IF_ERROR(budget.CheckTime());
    }
    Rel& kept = ctx->rels[ri];
    if (keep.size() < kept.n) kept.KeepRows(keep);
    return budget.Charge(kept.n, kept);
  }
  Rel out;
  out.vars = r.vars;
  out.vars.insert(out.vars.end(), fresh.begin(), fresh.end());
  std::vector<Val> row(out.vars.size());
  std::vector<std::vector<Val>> tuples;
  for (size_t i = 0; i < r.n; ++i) {
    const Val* cur = r.row(i);
    for (size_t k = 0; k < args.size(); ++k)
      if (arg_cols[k] >= 0) args[k].val = cur[arg_cols[k]];
    Result<Val> res = fn(args);
    if (!res.ok()) return Status(res.status()).WithContext(edn::Print(c.form));
    if (c.kind == Clause::kPred) {
      if (res->truthy()) out.Add(cur);
      if ((i & 15) == 15) STRATA_RETURN_IF_ERROR(budget.CheckTime());
      continue;
    }
    STRATA_RETURN_IF_ERROR(Unpack(c.binding, *res, c.form, &tuples));
    for (const auto& t : tuples) {
      std::copy(cur, cur + r.width(), row.begin());
      size_t next = r.width();
      bool ok = true;
      for (size_t k = 0; k < bind_cols.size() && ok; ++k) {
        if (bind_cols[k] == -2) continue;
        if (bind_cols[k] >= 0) {
          ok = cur[bind_cols[k]] == t[k];
          continue;
        }
        // A fresh variable: the first position that names it fills it.
        const std::string& v = c.binding.vars[k];
        size_t col = r.width() + static_cast<size_t>(std::find(fresh.begin(), fresh.end(), v) - fresh.begin());
        if (col == next) {
          row[col] = t[k];
          ++next;
        } else {
          ok = row[col] == t[k];
        }
      }
      if (ok) out.Add(row.data());
    }
    // Every row: a function's result may be large (a string of up to
    // kMaxFnResult bytes), so the bytes are checked before the next one;
    // a call may be slow (a regular expression over a long string), so
    // the clock is read every 16 calls.
    STRATA_RETURN_IF_ERROR(budget.Fits(out));
    if ((i & 15) == 15) STRATA_RETURN_IF_ERROR(budget.CheckTime());
  }
  STRATA_RETURN_IF_ERROR(budget.Charge(out.n, out));
  if (ri >= 0) {
    ctx->rels[ri] = std::move(out);
    return Status::OK();
  }
  return ctx->Absorb(std::move(out), &budget);
}

}  // namespace strata::query
