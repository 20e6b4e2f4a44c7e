// Patterns on one bound entity, read together ([?e :a ?x] [?e :b ?y] ...
// once ?e is bound): one EAVT read of each entity serves every pattern of
// the group, instead of a lookup (or an attribute scan) per pattern.
//
// The planner's order is kept: the group is a run of consecutive steps of
// the plan, so the result, the rows and the order of the later clauses are
// those of running the patterns one by one (a conjunction of patterns on
// the same entity gives the same rows whichever of them runs first). What
// changes is the reads: an entity's datoms are contiguous in EAVT, so one
// seek and a few datoms read in order replace a seek per pattern, or an
// AEVT scan that takes a cache miss per datom (the memory index keeps its
// records in EAVT order; AEVT is a permutation over them).
#include <algorithm>

#include "eval.h"

namespace strata::query {

namespace {

// One pattern of a group: its attribute, its value (a constant, a new
// variable, or anything) and where its variable goes in the output row.
struct StarPattern {
  const Attribute* a = nullptr;
  std::optional<Value> v;  // a constant value
  bool has_var = false;    // the value is a new variable
  std::vector<Val> found;  // this entity's matching values (has_var)
  bool any = false;        // this entity has a matching datom
};

// The entity variable of a pattern that a group may hold: [?e :attr],
// [?e :attr v] with a constant attribute, on a database; the value a
// constant, a blank or a variable not bound yet and not ?e.
const std::string* StarVar(const Clause& c) {
  if (c.kind != Clause::kPattern || c.terms.size() < 2 || c.terms.size() > 3) return nullptr;
  if (c.terms[0].kind != Term::kVar || c.terms[1].kind != Term::kConst) return nullptr;
  if (c.terms.size() == 3 && c.terms[2].kind == Term::kVar && c.terms[2].name == c.terms[0].name) return nullptr;
  if (c.terms.size() == 3 && c.terms[2].kind == Term::kSrc) return nullptr;
  return &c.terms[0].name;
}

}  // namespace

Result<std::vector<size_t>> Evaluator::RunStar(const Clauses& clauses, const std::vector<size_t>& order, size_t step,
                                               Ctx* ctx) {
  using Steps = std::vector<size_t>;
  const Clause& first = clauses[order[step]];
  const std::string* ev = StarVar(first);
  if (ev == nullptr || !ctx->bound(*ev) || tuple_sources.count(first.src) || !dbs.count(first.src)) return Steps();
  const Database& db = dbs.at(first.src);
  if (db.is_history()) return Steps();  // a history read may repeat (e a v): the lookups dedupe it
  // The group: this pattern and the steps after it on the same entity and
  // source, each value variable new (unbound, not in another member). A
  // predicate between them is passed over: it only drops rows, and it runs
  // after the group instead of between its patterns (its inputs were bound
  // before it, so it reads nothing the group binds later).
  std::vector<const Clause*> group;
  Steps steps;
  std::set<std::string> new_vars;
  for (size_t k = step; k < order.size(); ++k) {
    const Clause& c = clauses[order[k]];
    if (k > step && c.kind == Clause::kPred) continue;
    const std::string* v = StarVar(c);
    if (v == nullptr || *v != *ev || c.src != first.src) break;
    if (c.terms.size() == 3 && c.terms[2].kind == Term::kVar) {
      const std::string& x = c.terms[2].name;
      if (ctx->bound(x) || !new_vars.insert(x).second) break;
    }
    group.push_back(&c);
    steps.push_back(k);
  }
  if (group.size() < 2) return Steps();
  std::vector<StarPattern> ps(group.size());
  for (size_t k = 0; k < group.size(); ++k) {
    const Clause& c = *group[k];
    ps[k].a = ResolveAttribute(db, c.terms[1].val);
    if (ps[k].a == nullptr) return Steps();  // the one-by-one path says it matches nothing
    if (c.terms.size() == 3 && c.terms[2].kind == Term::kConst) {
      if (c.terms[2].val.tuple && ps[k].a->is_ref()) STRATA_RETURN_IF_ERROR(CheckLookupRef(db, c.terms[2].val));
      STRATA_ASSIGN_OR_RETURN(ps[k].v, ToDatomValue(db, *ps[k].a, c.terms[2].val));
      if (!ps[k].v) return Steps();  // names nothing: the one-by-one path empties the relation
    }
    ps[k].has_var = c.terms.size() == 3 && c.terms[2].kind == Term::kVar;
  }
  STRATA_ASSIGN_OR_RETURN(int ri, ctx->Gather({*ev}, &budget));
  Rel& r = ctx->rels[static_cast<size_t>(ri)];
  const int ecol = r.col(*ev);
  // Entities by id (their EAVT order), each with its rows; a value that is
  // not an entity id as stored (an ident, a lookup ref from :in) is left
  // to the one-by-one path, which resolves it.
  std::vector<std::pair<EntityId, uint32_t>> rows(r.n);
  for (size_t i = 0; i < r.n; ++i) {
    const Val& x = r.row(i)[ecol];
    if (!x.is_long() || x.v.as_long() < 0) return Steps();
    rows[i] = {static_cast<EntityId>(x.v.as_long()), static_cast<uint32_t>(i)};
  }
  // Rows of an AEVT read come in entity order: one pass checks it.
  if (!std::is_sorted(rows.begin(), rows.end())) std::sort(rows.begin(), rows.end());
  size_t entities = 0;
  for (size_t i = 0; i < rows.size(); ++i) entities += i == 0 || rows[i].first != rows[i - 1].first;
  // Worth it when the patterns' own reads (a scan of each attribute, or a
  // lookup per entity, whichever is less: patterns.cc) cost more than a
  // read of each entity (a seek, and a few datoms in EAVT order, about
  // half the price of an AEVT datom each). An attribute larger than its
  // sample counts as a lookup per entity: reading the group's entities
  // costs a few units per row of the relation they came from, never more.
  // Few entities: always.
  constexpr double kLookupCost = 4;
  constexpr double kEntityRead = kLookupCost + 3;
  if (entities > 64) {
    const double lookups = static_cast<double>(entities) * kLookupCost;
    double separate = 0;
    for (const StarPattern& p : ps) {
      const AttrSample& s = Sample(db, first.src, *p.a);
      separate += s.complete ? std::min(s.Count(), lookups) : lookups;
    }
    if (!read_error_.ok()) return read_error_;
    if (static_cast<double>(entities) * kEntityRead >= separate) return Steps();
  }
  EntityId max_a = 0;
  for (const StarPattern& p : ps) max_a = std::max(max_a, p.a->id);

  Rel out;
  out.vars = r.vars;
  for (size_t k = 0; k < group.size(); ++k)
    if (ps[k].has_var) out.vars.push_back(group[k]->terms[2].name);
  const size_t w = r.width();
  std::vector<size_t> at(ps.size(), 0);  // the value each pattern gives the row being built
  std::optional<DatomCursor> cursor;
  QueryStats& st = budget.stats();
  uint64_t read = 0, reads = 0;
  // Reads the datoms under `comps` (EAVT) into the patterns that match
  // them, up to attribute max_a; false (and nothing kept) past `limit`.
  auto collect = [&](std::vector<Value> comps, uint64_t limit, bool* whole) -> Status {
    if (cursor) {
      STRATA_RETURN_IF_ERROR(cursor->Seek(std::move(comps)));
    } else {
      STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kEavt, std::move(comps)));
      cursor = std::move(c);
    }
    ++st.index_lookups;
    uint64_t n = 0;
    *whole = true;
    for (; cursor->Valid(); cursor->Next()) {
      const Datom& d = cursor->datom();
      if (d.a > max_a) break;
      if (++n > limit) {
        *whole = false;
        break;
      }
      for (StarPattern& p : ps) {
        if (p.a->id != d.a || (p.v && !(d.v == *p.v))) continue;
        p.any = true;
        if (p.has_var) p.found.emplace_back(d.v);
      }
    }
    read += n;
    if (++reads % 64 == 0) STRATA_RETURN_IF_ERROR(budget.CheckTime());
    return cursor->status();
  };
  for (size_t i = 0; i < rows.size();) {
    const EntityId e = rows[i].first;
    size_t end = i;
    while (end < rows.size() && rows[end].first == e) ++end;
    for (StarPattern& p : ps) {
      p.found.clear();
      p.any = false;
    }
    bool whole = false;
    STRATA_RETURN_IF_ERROR(collect({Value::Ref(e)}, Evaluator::kMaxEntityDatoms, &whole));
    if (!whole) {
      // An entity with many datoms: a lookup per attribute instead.
      for (StarPattern& p : ps) {
        p.found.clear();
        p.any = false;
      }
      for (size_t k = 0; k < ps.size(); ++k) {
        bool seen = false;
        for (size_t j = 0; j < k; ++j) seen = seen || ps[j].a == ps[k].a;
        if (seen) continue;
        STRATA_RETURN_IF_ERROR(collect({Value::Ref(e), Value::Ref(ps[k].a->id)}, UINT64_MAX, &whole));
      }
    }
    bool all = true;
    uint64_t product = 1;
    for (const StarPattern& p : ps) {
      all = all && p.any;
      if (p.has_var) product *= p.found.size();
    }
    if (all) {
      const uint64_t more = product * (end - i);
      STRATA_RETURN_IF_ERROR(budget.Charge(0, out.n + more, out.bytes + more * out.vars.size() * sizeof(Val)));
      for (size_t j = i; j < end; ++j) {
        // Each row of r is read here only: its cells move into its one
        // combination, and so do the values of an entity with one row
        // and one combination (cardinality-one attributes).
        Val* base = r.cells.data() + static_cast<size_t>(rows[j].second) * w;
        const bool move_base = product == 1;
        const bool move_found = product == 1 && end - i == 1;
        // Every combination of the patterns' values (one each for
        // cardinality-one attributes).
        std::fill(at.begin(), at.end(), 0);
        while (true) {
          out.AddEmplaced([&](std::vector<Val>& cells) {
            EmplaceCells(base, w, move_base, &cells);
            for (size_t k = 0; k < ps.size(); ++k) {
              if (!ps[k].has_var) continue;
              if (move_found) cells.emplace_back(std::move(ps[k].found[at[k]]));
              else cells.emplace_back(ps[k].found[at[k]]);
            }
          });
          size_t k = ps.size();
          while (k > 0) {
            --k;
            if (!ps[k].has_var) continue;
            if (++at[k] < ps[k].found.size()) break;
            at[k] = 0;
          }
          bool done = true;
          for (size_t q = 0; q < ps.size(); ++q) done = done && (!ps[q].has_var || at[q] == 0);
          if (done) break;
        }
      }
      STRATA_RETURN_IF_ERROR(budget.Charge(more, out));
    }
    i = end;
  }
  st.datoms += read;
  // Rows of r once with each distinct combination: datoms of a view (not
  // history) are distinct on (e a v).
  out.distinct = r.distinct;
  ctx->rels[static_cast<size_t>(ri)] = std::move(out);
  return steps;
}

}  // namespace strata::query
