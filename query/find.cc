// :find — projection, aggregates, pull, and the result's shape.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "find.h"
#include "functions.h"
#include "pull_internal.h"

namespace strata::query {

namespace {

bool IsAggregate(const FindElem& f) { return f.kind == FindElem::kAgg; }

Result<size_t> CountArg(const FindElem& f) {
  if (f.args.size() != 1 || !f.args[0].is_long() || f.args[0].v.as_long() < 0) {
    return Status::InvalidArgument("expected (" + f.fn + " n ?x) with a number n: " + edn::Print(f.form));
  }
  return static_cast<size_t>(f.args[0].v.as_long());
}

std::vector<Val> Distinct(std::vector<Val> xs) {
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  return xs;
}

Status SortByQueryOrder(std::vector<Val>* xs) {
  Status st;
  std::stable_sort(xs->begin(), xs->end(), [&](const Val& a, const Val& b) {
    Result<int> c = QueryCompare(a, b);
    if (!c.ok()) {
      st = c.status();
      return Compare(a, b) < 0;
    }
    return *c < 0;
  });
  return st;
}

Result<Val> Numbers(const FindElem& f, const std::vector<Val>& xs) {
  for (const Val& x : xs) {
    if (!x.is_number()) return Status::InvalidArgument("(" + f.fn + ") needs numbers, got " + Show(x));
  }
  return Val();
}

double AsDouble(const Val& v) { return v.is_long() ? static_cast<double>(v.v.as_long()) : v.v.as_double(); }

// sum, avg, variance or stddev of n numbers (at(i): the i-th; the caller
// checked that they are numbers): a sum of longs is a long, anything else
// a double.
template <typename At>
Result<Val> NumericAggregate(const std::string& fn, size_t n, At&& at) {
  bool all_long = true;
  for (size_t i = 0; i < n; ++i) all_long = all_long && at(i).is_long();
  if (fn == "sum" && all_long) {
    int64_t s = 0;
    for (size_t i = 0; i < n; ++i)
      if (__builtin_add_overflow(s, at(i).v.as_long(), &s)) return Status::InvalidArgument("integer overflow in (sum)");
    return Val::Long(s);
  }
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += AsDouble(at(i));
  if (fn == "sum") return Val(Value::Double(s));
  const double mean = n == 0 ? 0 : s / static_cast<double>(n);
  if (fn == "avg") return Val(Value::Double(mean));
  double var = 0;
  for (size_t i = 0; i < n; ++i) var += (AsDouble(at(i)) - mean) * (AsDouble(at(i)) - mean);
  var = n == 0 ? 0 : var / static_cast<double>(n);
  return Val(Value::Double(fn == "variance" ? var : std::sqrt(var)));
}

bool IsNumericAggregate(const std::string& fn) {
  return fn == "sum" || fn == "avg" || fn == "variance" || fn == "stddev";
}

// One aggregate over the values of its variable in one group.
Result<Val> Aggregate(const FindElem& f, std::vector<Val> xs) {
  const std::string& fn = f.fn;
  if (fn == "count") return Val::Long(static_cast<int64_t>(xs.size()));
  if (fn == "count-distinct") return Val::Long(static_cast<int64_t>(Distinct(std::move(xs)).size()));
  if (fn == "distinct") return Val::Tuple(Distinct(std::move(xs)));
  if (IsNumericAggregate(fn)) {
    STRATA_RETURN_IF_ERROR(Numbers(f, xs).status());
    return NumericAggregate(fn, xs.size(), [&](size_t i) -> const Val& { return xs[i]; });
  }
  if (fn == "median") {
    STRATA_RETURN_IF_ERROR(Numbers(f, xs).status());
    STRATA_RETURN_IF_ERROR(SortByQueryOrder(&xs));
    const size_t h = xs.size() / 2;
    if (xs.size() % 2 == 1) return xs[h];
    const Val &a = xs[h - 1], &b = xs[h];
    if (a.is_long() && b.is_long()) {
      // The sum of two longs may not fit one; their mean always does.
      const __int128 sum = static_cast<__int128>(a.v.as_long()) + b.v.as_long();
      if (sum % 2 == 0) return Val::Long(static_cast<int64_t>(sum / 2));
    }
    return Val(Value::Double((AsDouble(a) + AsDouble(b)) / 2));
  }
  if (fn == "min" || fn == "max") {
    const bool is_max = fn == "max";
    if (f.args.empty()) {
      Val best = xs[0];
      for (const Val& x : xs) {
        STRATA_ASSIGN_OR_RETURN(int c, QueryCompare(x, best));
        if (is_max ? c > 0 : c < 0) best = x;
      }
      return best;
    }
    STRATA_ASSIGN_OR_RETURN(size_t n, CountArg(f));
    xs = Distinct(std::move(xs));
    STRATA_RETURN_IF_ERROR(SortByQueryOrder(&xs));
    n = std::min(n, xs.size());
    if (is_max) return Val::Tuple({xs.end() - static_cast<long>(n), xs.end()});
    return Val::Tuple({xs.begin(), xs.begin() + static_cast<long>(n)});
  }
  if (fn == "sample" || fn == "rand") {
    // Deterministic: the first n values in sort order (distinct for sample).
    STRATA_ASSIGN_OR_RETURN(size_t n, CountArg(f));
    if (fn == "sample") xs = Distinct(std::move(xs));
    else std::sort(xs.begin(), xs.end());
    xs.resize(std::min(n, xs.size()));
    return Val::Tuple(std::move(xs));
  }
  return Status::InvalidArgument("unknown aggregate '" + fn + "' in :find " + edn::Print(f.form));
}

// ToEdn(v) built in place at the end of `row`: the common scalars set
// their node's fields (no node built and moved in); the rest via ToEdn.
void AppendEdn(const Val& v, std::vector<edn::Node>* row) {
  edn::Node& n = row->emplace_back();
  if (!v.tuple) {
    switch (v.v.type()) {
      case ValueType::kLong: n.kind = edn::Kind::kLong; n.i = v.v.as_long(); return;
      case ValueType::kDouble: n.kind = edn::Kind::kDouble; n.d = v.v.as_double(); return;
      case ValueType::kString: n.kind = edn::Kind::kString; n.s = v.v.str(); return;
      case ValueType::kKeyword: n.kind = edn::Kind::kKeyword; n.s = v.v.str(); return;
      default: break;
    }
  }
  n = ToEdn(v);
}

}  // namespace

Result<edn::Node> BuildResult(Evaluator& ev, const Query& q, Ctx& ctx, const std::map<std::string, edn::Node>& raw) {
  // The variables the result reads: find elements, then :with.
  std::vector<std::string> vars;
  auto add = [&](const std::string& v) {
    if (std::find(vars.begin(), vars.end(), v) == vars.end()) vars.push_back(v);
  };
  for (const auto& f : q.find) add(f.var);
  for (const auto& w : q.with) add(w);
  const bool aggregates = std::any_of(q.find.begin(), q.find.end(), IsAggregate);
  // :with and no aggregate: a bag, the find variables of every distinct
  // tuple of find and :with variables, duplicates kept (Datomic).
  const bool bag = !aggregates && !q.with.empty();
  // Aggregate arguments given as :in scalars ((max ?n ?x)) take their values.
  std::vector<FindElem> find = q.find;
  for (auto& f : find) {
    for (size_t i = 0; i < f.arg_vars.size(); ++i) {
      if (f.arg_vars[i].empty()) continue;
      auto it = raw.find(f.arg_vars[i]);
      if (it == raw.end()) {
        return Status::InvalidArgument("aggregate argument " + f.arg_vars[i] + " is not an :in scalar in :find " +
                                       edn::Print(f.form));
      }
      STRATA_ASSIGN_OR_RETURN(f.args[i], FromEdn(it->second));
    }
  }
  for (const auto& f : q.find) {
    if (f.kind == FindElem::kAgg && f.fn != "count" && f.fn != "count-distinct" && f.fn != "distinct" &&
        f.fn != "sum" && f.fn != "avg" && f.fn != "median" && f.fn != "variance" && f.fn != "stddev" &&
        f.fn != "min" && f.fn != "max" && f.fn != "sample" && f.fn != "rand") {
      if (f.fn.find('/') != std::string::npos) {
        return Status::InvalidArgument("not supported by strata: custom aggregate '" + f.fn +
                                       "' (strata calls only its built-in aggregates) in :find " + edn::Print(f.form));
      }
      return Status::InvalidArgument("unknown aggregate '" + f.fn + "' in :find " + edn::Print(f.form));
    }
  }

  Rel rows;
  rows.vars = vars;
  if (!ctx.empty()) {
    for (const auto& v : vars) {
      if (!ctx.bound(v)) return Status::InvalidArgument("find variable " + v + " is not bound by the query");
    }
    STRATA_ASSIGN_OR_RETURN(int ri, ctx.Gather(vars, &ev.budget));
    Rel& gathered = ctx.rels[ri];
    // Distinct rows over exactly these variables are taken as they are:
    // everything below reads columns by name, so their order does not
    // matter (no pass moving every cell into the find order).
    const bool as_is = gathered.distinct && gathered.vars.size() == vars.size() &&
                       std::all_of(vars.begin(), vars.end(), [&](const std::string& v) { return gathered.has(v); });
    rows = as_is ? std::move(gathered) : Project(std::move(gathered), vars);
  }

  // The output rows: one column per find element, in `out` (each row
  // once), read in `order` (sorted, so results print alike every run).
  Rel out;
  std::vector<int> out_cols;  // column of out for each find element
  if (!aggregates) {
    std::vector<std::string> fvars;
    for (const auto& f : q.find) fvars.push_back(f.var);
    out = bag || fvars == vars ? std::move(rows) : Project(rows, fvars);
    for (const auto& f : q.find) out_cols.push_back(out.col(f.var));
  } else {
    // Group by the non-aggregate elements; each aggregate sees its
    // variable's values over the group's rows (a bag, kept by :with).
    std::vector<int> key_cols;
    for (const auto& f : q.find)
      if (!IsAggregate(f)) key_cols.push_back(rows.col(f.var));
    RowTable groups_by_hash(rows.n);
    std::vector<std::vector<size_t>> groups;
    for (size_t i = 0; i < rows.n; ++i) {
      const size_t h = HashCols(rows.row(i), key_cols);
      bool placed = groups_by_hash.Any(h, [&](uint32_t g) {
        if (!EqualCols(rows.row(i), key_cols, rows.row(groups[g][0]), key_cols)) return false;
        groups[g].push_back(i);
        return true;
      });
      if (!placed) {
        groups_by_hash.Insert(h, static_cast<uint32_t>(groups.size()));
        groups.push_back({i});
      }
    }
    for (size_t k = 0; k < q.find.size(); ++k) {
      out.vars.push_back("#" + std::to_string(k));
      out_cols.push_back(static_cast<int>(k));
    }
    std::vector<Val> r(q.find.size());
    for (const auto& g : groups) {
      for (size_t k = 0; k < q.find.size(); ++k) {
        const FindElem& f = q.find[k];
        const int col = rows.col(f.var);
        if (!IsAggregate(f)) {
          r[k] = rows.row(g[0])[col];
          continue;
        }
        if (f.fn == "count") {  // the group's size: no values copied to count them
          r[k] = Val::Long(static_cast<int64_t>(g.size()));
          continue;
        }
        if (IsNumericAggregate(f.fn)) {
          // Numbers aggregated where they stand (no copy of the group's
          // values); anything else goes to Aggregate for its error.
          auto at = [&](size_t i) -> const Val& { return rows.row(g[i])[col]; };
          bool numbers = true;
          for (size_t i = 0; i < g.size() && numbers; ++i) numbers = at(i).is_number();
          if (numbers) {
            STRATA_ASSIGN_OR_RETURN(r[k], NumericAggregate(f.fn, g.size(), at));
            continue;
          }
        }
        std::vector<Val> xs;
        xs.reserve(g.size());
        for (size_t i : g) xs.push_back(rows.row(i)[col]);
        STRATA_ASSIGN_OR_RETURN(r[k], Aggregate(find[k], std::move(xs)));
      }
      out.AddMoved(r.data());
    }
  }
  auto row_less = [&](uint32_t a, uint32_t b) {
    const Val* x = out.row(a);
    const Val* y = out.row(b);
    for (int col : out_cols) {
      int c = Compare(x[col], y[col]);
      if (c != 0) return c < 0;
    }
    return false;
  };
  std::vector<uint32_t> order(out.n);
  const bool first_long = !out_cols.empty() && [&] {
    for (size_t i = 0; i < out.n; ++i)
      if (!out.row(i)[out_cols[0]].is_long()) return false;
    return true;
  }();
  if (first_long) {
    // Entity ids and other longs first: sort by that long, the rest on ties.
    std::vector<std::pair<int64_t, uint32_t>> keyed(out.n);
    for (size_t i = 0; i < out.n; ++i) keyed[i] = {out.row(i)[out_cols[0]].v.as_long(), static_cast<uint32_t>(i)};
    auto keyed_less = [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return row_less(a.second, b.second);
    };
    // Rows read in entity order (an AEVT scan, lookups by entity) often
    // arrive sorted: one pass checks it.
    if (!std::is_sorted(keyed.begin(), keyed.end(), keyed_less)) std::sort(keyed.begin(), keyed.end(), keyed_less);
    for (size_t i = 0; i < out.n; ++i) order[i] = keyed[i].second;
  } else {
    for (size_t i = 0; i < out.n; ++i) order[i] = static_cast<uint32_t>(i);
    std::sort(order.begin(), order.end(), row_less);
  }

  // Render: pulls, sets for (distinct), then the find spec's shape.
  std::vector<std::shared_ptr<const PullPattern>> patterns(q.find.size());
  for (size_t k = 0; k < q.find.size(); ++k) {
    const FindElem& f = q.find[k];
    if (f.kind != FindElem::kPull) continue;
    STRATA_ASSIGN_OR_RETURN(const Database* db, ev.Db(f.src, Clause{}));
    const edn::Node* pat = &f.pattern;
    if (!f.pattern_var.empty()) {
      auto it = raw.find(f.pattern_var);
      if (it == raw.end()) {
        return Status::InvalidArgument("pull pattern " + f.pattern_var + " is not bound by :in (a pattern name or a scalar)");
      }
      pat = &it->second;
    }
    STRATA_ASSIGN_OR_RETURN(patterns[k], CompilePull(*db, *pat));
  }
  std::vector<edn::Node> nodes;
  PullOptions pull = ev.options.pull;
  const bool has_pull = std::any_of(patterns.begin(), patterns.end(), [](const auto& p) { return p != nullptr; });
  // Two entities may pull to equal maps; a set holds them once (the
  // rows differed only in entity ids the pattern does not show). Pulled
  // maps list keys in pattern order, so equal maps print alike.
  const bool dedupe = has_pull && !bag && q.find_kind == Query::kRelation;
  std::unordered_set<std::string> seen;
  // Each pull element reads through cursors moved from row to row (its
  // database is the same on every row).
  std::vector<PullCursors> pull_cursors(has_pull ? q.find.size() : 0);
  nodes.reserve(order.size());
  for (uint32_t oi : order) {
    const Val* r = out.row(oi);
    if (has_pull || (nodes.size() & 1023) == 0) {
      STRATA_RETURN_IF_ERROR(ev.budget.CheckTime());
      // A pull gets what is left of the query's time.
      if (uint64_t left = ev.budget.RemainingMs()) pull.timeout_ms = left;
    }
    // The row is built in the result's last node (no Node moved per cell
    // and per row); a row a pull dedupes away is popped again.
    nodes.emplace_back();
    std::vector<edn::Node>& row = nodes.back().items;
    row.reserve(q.find.size());
    for (size_t k = 0; k < q.find.size(); ++k) {
      const FindElem& f = q.find[k];
      const Val& cell = r[out_cols[k]];
      if (f.kind == FindElem::kPull) {
        if (!cell.is_long() && !cell.is_tuple() && !cell.is_keyword())
          return Status::InvalidArgument("pull of a non-entity value " + Show(cell));
        const Database* db = &ev.dbs.at(f.src);
        // An id, or an ident or lookup ref bound by :in.
        STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, EntityOf(*db, cell));
        if (!e) {
          row.push_back(edn::Node::Nil());
          continue;
        }
        STRATA_ASSIGN_OR_RETURN(edn::Node p, PullCompiled(*db, *patterns[k], *e, pull, &pull_cursors[k]));
        row.push_back(std::move(p));
        continue;
      }
      AppendEdn(cell, &row);
      if (f.kind == FindElem::kAgg && f.fn == "distinct") row.back().kind = edn::Kind::kSet;
    }
    edn::Node& built = nodes.back();
    built.kind = edn::Kind::kVector;
    if (dedupe && !seen.insert(edn::Print(built)).second) {
      nodes.pop_back();
      continue;
    }
    if (q.keys_kind != Query::kNoKeys) {
      std::vector<edn::Node> kvs;
      for (size_t k = 0; k < row.size(); ++k) {
        kvs.push_back(q.keys_kind == Query::kKeys   ? edn::Node::Keyword(q.keys[k])
                      : q.keys_kind == Query::kSyms ? edn::Node::Symbol(q.keys[k])
                                                    : edn::Node::String(q.keys[k]));
        kvs.push_back(std::move(row[k]));
      }
      built = edn::Node::Map(std::move(kvs));
    }
  }
  switch (q.find_kind) {
    case Query::kScalar:
      if (nodes.empty()) return edn::Node::Nil();
      return q.keys_kind != Query::kNoKeys ? nodes[0] : nodes[0].items[0];
    case Query::kTuple:
      if (nodes.empty()) return edn::Node::Nil();
      return nodes[0];
    case Query::kColl: {
      std::vector<edn::Node> xs;
      for (auto& n : nodes) xs.push_back(q.keys_kind != Query::kNoKeys ? n : n.items[0]);
      return edn::Node::Vector(std::move(xs));
    }
    case Query::kRelation:
      if (q.keys_kind != Query::kNoKeys || bag) return edn::Node::Vector(std::move(nodes));
      return edn::Node::Set(std::move(nodes));
  }
  return edn::Node::Nil();
}

}  // namespace strata::query
