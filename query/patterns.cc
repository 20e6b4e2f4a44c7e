// Data patterns [e a v tx added]: which index to read, and how to join.
//
// With nothing of the pattern bound by earlier clauses, the pattern is
// read once with its constants (the index chosen by which positions they
// fix) and hash-joined into the context. When earlier clauses bound a
// variable that narrows the read — the entity, the attribute, or the value
// of an attribute that AVET or VAET can seek — the pattern is instead
// looked up once per distinct binding (an index nested-loop join), unless
// a bounded probe shows the attribute has so few datoms for so many
// bindings that one scan and a hash join are cheaper.
#include <algorithm>
#include <bit>
#include <limits>
#include <optional>

#include "eval.h"

namespace strata::query {

namespace {

// The positions a lookup fixes. `v` holds the exact datom value when the
// attribute is known; `raw_v` the query value when it is not.
struct Fixed {
  std::optional<EntityId> e;
  const Attribute* a = nullptr;
  std::optional<Value> v;
  std::optional<Val> raw_v;
  std::optional<EntityId> raw_v_entity;  // raw_v also names this entity (an ident)
  std::optional<EntityId> tx;
  std::optional<bool> added;
  bool impossible = false;  // a constant names nothing: no datom matches
};

// Fixes position `pos` to the query value `x` (an error when resolving a
// lookup ref failed to read or names a non-unique attribute).
Status FixPosition(const Database& db, int pos, const Val& x, Fixed* f) {
  switch (pos) {
    case 0: {
      if (x.tuple) STRATA_RETURN_IF_ERROR(CheckLookupRef(db, x));
      STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, ResolveEntity(db, x));
      if (!e || (f->e && *f->e != *e)) f->impossible = true;
      else f->e = e;
      break;
    }
    case 1: {
      const Attribute* a = ResolveAttribute(db, x);
      if (!a || (f->a && f->a != a)) f->impossible = true;
      else f->a = a;
      break;
    }
    case 2: f->raw_v = x; break;  // resolved in Finish, once the attribute is known
    case 3: {
      if (!x.is_long()) {
        f->impossible = true;
        break;
      }
      auto tx = static_cast<EntityId>(x.v.as_long());
      f->tx = PartitionOf(tx) == 0 ? TxId(tx) : tx;
      break;
    }
    case 4:
      if (x.tuple || x.v.type() != ValueType::kBoolean) f->impossible = true;
      else f->added = x.v.as_bool();
      break;
  }
  return Status::OK();
}

Status Finish(const Database& db, Fixed* f) {
  if (!f->raw_v || f->impossible) return Status::OK();
  if (f->a) {
    if (f->raw_v->tuple && f->a->is_ref()) STRATA_RETURN_IF_ERROR(CheckLookupRef(db, *f->raw_v));
    STRATA_ASSIGN_OR_RETURN(f->v, ToDatomValue(db, *f->a, *f->raw_v));
    if (!f->v) f->impossible = true;
    f->raw_v.reset();
  } else if (f->raw_v->is_keyword()) {
    STRATA_ASSIGN_OR_RETURN(f->raw_v_entity, ResolveEntity(db, *f->raw_v));
  }
  return Status::OK();
}

// The checks of Matches besides the entity and the attribute: what a read
// of Lookup needs (its prefix fixes those two whenever `f` does).
inline bool MatchesRest(const Fixed& f, const Datom& d) {
  if (f.v && !(d.v == *f.v)) return false;
  if (f.raw_v) {
    bool ok = Val(d.v) == *f.raw_v ||
              (f.raw_v_entity && d.v.type() == ValueType::kRef && d.v.ref() == *f.raw_v_entity);
    if (!ok) return false;
  }
  if (f.tx && d.tx != *f.tx) return false;
  if (f.added && d.added != *f.added) return false;
  return true;
}

bool Matches(const Fixed& f, const Datom& d) {
  if (f.e && d.e != *f.e) return false;
  if (f.a && d.a != f.a->id) return false;
  return MatchesRest(f, d);
}

// Reads the datoms matching `f` through the best index for what it fixes.
// With `limit`, stops after reading that many datoms and sets *cut.
// With `stop`, also the entity of the datom it stopped on. With `keep`,
// reuses (and leaves there) the cursor of an earlier lookup.
template <typename Fn>
Status Lookup(const Database& db, const Fixed& f, Budget* budget, Fn&& emit, uint64_t limit = UINT64_MAX,
              bool* cut = nullptr, EntityId* stop = nullptr, PatternCursor* keep = nullptr) {
  if (f.impossible) return Status::OK();
  Index index = Index::kEavt;
  std::vector<Value> comps;
  if (f.e) {
    comps.push_back(Value::Ref(*f.e));
    if (f.a) {
      comps.push_back(Value::Ref(f.a->id));
      if (f.v) comps.push_back(*f.v);
    }
  } else if (f.a) {
    if (f.v && f.a->in_avet()) {
      index = Index::kAvet;
      comps = {Value::Ref(f.a->id), *f.v};
    } else if (f.v && f.a->is_ref()) {
      index = Index::kVaet;
      comps = {*f.v, Value::Ref(f.a->id)};
    } else {
      index = Index::kAevt;
      comps = {Value::Ref(f.a->id)};
    }
  }
  // Only a value to check (a scan of an attribute for a constant that
  // AVET cannot seek): the read's sources compare it (DatomsWithValue), so
  // the datoms of other values (most of the attribute) never leave them.
  // Not for a bounded read (its limit counts the datoms scanned) or a kept
  // cursor (one moved from binding to binding).
  const bool value_only = f.v && !f.raw_v && !f.tx && !f.added;
  const bool pushed = value_only && index == Index::kAevt && limit == UINT64_MAX && keep == nullptr;
  std::optional<DatomCursor> opened;
  if (pushed) {
    STRATA_ASSIGN_OR_RETURN(opened, db.DatomsWithValue(index, std::move(comps), *f.v, budget->Deadline()));
  } else if (keep != nullptr && keep->cursor && keep->index == index) {
    STRATA_RETURN_IF_ERROR(keep->cursor->Seek(std::move(comps)));
  } else {
    STRATA_ASSIGN_OR_RETURN(DatomCursor fresh, db.Datoms(index, std::move(comps)));
    if (keep != nullptr) {
      keep->cursor = std::move(fresh);
      keep->index = index;
    } else {
      opened = std::move(fresh);
    }
  }
  DatomCursor& c = keep != nullptr ? *keep->cursor : *opened;
  QueryStats& st = budget->stats();
  ++st.index_lookups;
  uint64_t n = 0;
  const bool nothing_else = !f.v && !f.raw_v && !f.tx && !f.added;  // the prefix fixes all
  for (; c.Valid(); c.Next()) {
    if (n == limit) {
      *cut = true;
      if (stop != nullptr) *stop = c.datom().e;
      break;
    }
    if (++n % 8192 == 0) STRATA_RETURN_IF_ERROR(budget->CheckTime());
    // A value not pushed down is compared on the cursor's DatomRef, so a
    // datom it rejects is never built.
    if (value_only && !pushed && !c.ref().ValueIs(*f.v)) continue;
    const Datom& d = c.datom();
    if (!value_only && !nothing_else && !MatchesRest(f, d)) continue;  // e and a: the prefix read
    STRATA_RETURN_IF_ERROR(emit(d));
  }
  st.datoms += n;
  // A cursor that ended on a failed read gave a short answer: the query
  // fails with the read's error (never a partial result). A pushed-down
  // scan stopped by the deadline fails as the query's timeout.
  Status s = c.status();
  if (pushed && !s.ok()) STRATA_RETURN_IF_ERROR(budget->CheckTime());
  return s;
}

Val Field(const Datom& d, int pos) { return Val(d, pos); }

// The output variables of a pattern and the positions that fill them;
// `repeats` pairs positions that must hold equal values ([?x :a ?x]).
struct Shape {
  std::vector<std::string> vars;
  std::vector<int> pos;
  std::vector<std::pair<int, int>> repeats;
};

Shape ShapeOf(const Clause& c, const std::set<std::string>& skip) {
  Shape s;
  for (size_t p = 0; p < c.terms.size(); ++p) {
    const Term& t = c.terms[p];
    if (t.kind != Term::kVar || skip.count(t.name)) continue;
    bool seen = false;
    for (size_t k = 0; k < s.vars.size(); ++k) {
      if (s.vars[k] == t.name) {
        s.repeats.push_back({s.pos[k], static_cast<int>(p)});
        seen = true;
      }
    }
    if (!seen) {
      s.vars.push_back(t.name);
      s.pos.push_back(static_cast<int>(p));
    }
  }
  return s;
}

bool RepeatsHold(const Shape& s, const Datom& d) {
  for (auto [x, y] : s.repeats)
    if (!(Field(d, x) == Field(d, y))) return false;
  return true;
}

// Whether a read can yield one row twice: only when a position of the
// datom's identity (e a v; and tx, added on a history view) is dropped.
bool MayRepeat(const Clause& c, const Database& db) {
  if (db.is_history()) return true;
  for (size_t p = 0; p < 3; ++p)
    if (p >= c.terms.size() || c.terms[p].kind == Term::kBlank) return true;
  return false;
}

// Whether every value of column `col` is what a datom holds at position
// `pos` as it is (an entity id; a value of `a`'s type), so that rows can be
// joined with read datoms by hashing. Lookup refs, idents, and a long
// standing for a double must be resolved by FixPosition first.
bool AsStored(const Rel& r, int col, int pos, const Attribute* a) {
  for (size_t i = 0; i < r.n; ++i) {
    const Val& v = r.row(i)[col];
    if (pos == 0 || (pos == 2 && a != nullptr && a->is_ref())) {
      if (!v.is_long()) return false;
    } else if (pos == 2 && a == nullptr) {
      if (v.tuple || v.is_keyword()) return false;  // may name an entity of a ref attribute
    } else if (pos == 2 && (v.tuple || v.v.type() != a->type)) {
      return false;
    }
  }
  return true;
}

// A set of entity ids: open addressing, linear probing (0 is no entity id:
// ids start in a partition, so 0 marks an empty slot and is kept aside).
class EntitySet {
 public:
  explicit EntitySet(size_t expected) : slots_(std::max<size_t>(16, std::bit_ceil(expected * 2))), mask_(slots_.size() - 1) {}
  void Insert(EntityId e) {
    if (e == 0) {
      zero_ = true;
      return;
    }
    for (size_t i = Slot(e);; i = (i + 1) & mask_) {
      if (slots_[i] == e) return;
      if (slots_[i] == 0) {
        slots_[i] = e;
        return;
      }
    }
  }
  bool Contains(EntityId e) const {
    if (e == 0) return zero_;
    for (size_t i = Slot(e);; i = (i + 1) & mask_) {
      if (slots_[i] == e) return true;
      if (slots_[i] == 0) return false;
    }
  }

 private:
  size_t Slot(EntityId e) const { return static_cast<size_t>((e * 0x9e3779b97f4a7c15ull) >> 32) & mask_; }
  std::vector<EntityId> slots_;
  size_t mask_;
  bool zero_ = false;
};

}  // namespace

Status CheckLookupRef(const Database& db, const Val& v) {
  if (!v.tuple || v.tuple->size() != 2) return Status::OK();
  const Attribute* a = ResolveAttribute(db, (*v.tuple)[0]);
  if (a == nullptr || a->unique != Unique::kNone) return Status::OK();
  return Status::InvalidArgument("lookup ref attribute :" + a->ident + " is not unique in " + Show(v));
}

Result<std::optional<EntityId>> EntityOf(const Database& db, const Val& v) {
  STRATA_RETURN_IF_ERROR(CheckLookupRef(db, v));
  return ResolveEntity(db, v);
}

// One read of the pattern with its constants only, into a relation of its
// variables; with `limit`, gives up (sets *cut) past that many datoms.
// With `entities`, datoms of other entities are dropped as the read scans
// (a semi-join with the relation the rows are about to join).
namespace {
Status ReadPattern(const Clause& c, const Database& db, Fixed base, Budget* budget, Rel* out,
                   uint64_t limit = UINT64_MAX, bool* cut = nullptr,
                   std::optional<ScanBounds>* bounds = nullptr,
                   const EntitySet* entities = nullptr, size_t rows_hint = 0) {
  // Whether every value kept was a long inside the bounds.
  bool all_long = true;
  STRATA_RETURN_IF_ERROR(Finish(db, &base));
  const Shape shape = ShapeOf(c, {});
  out->vars = shape.vars;
  if (rows_hint > 0) out->cells.reserve(rows_hint * shape.vars.size());
  STRATA_RETURN_IF_ERROR(Lookup(
      db, base, budget,
      [&](const Datom& d) -> Status {
        if (entities && !entities->Contains(d.e)) return Status::OK();
        if (bounds && *bounds) {
          if (!(*bounds)->Keeps(d.v)) return Status::OK();  // the predicates after would drop it
          all_long = all_long && d.v.type() == ValueType::kLong;
        }
        if (!shape.repeats.empty() && !RepeatsHold(shape, d)) return Status::OK();
        out->AddEmplaced([&](std::vector<Val>& cells) {
          for (int p : shape.pos) cells.emplace_back(d, p);
        });
        if ((out->n & 4095) == 0) return budget->Charge(4096, *out);
        return budget->Fits(*out);
      },
      limit, cut));
  STRATA_RETURN_IF_ERROR(budget->Charge(out->n & 4095, *out));
  if (bounds && *bounds && (*bounds)->var == (c.terms.size() > 2 ? c.terms[2].name : "")) (*bounds)->enforced = all_long;
  if (MayRepeat(c, db)) Dedupe(out);
  else out->distinct = true;  // one row per datom, and datoms are distinct on (e a v)
  return Status::OK();
}
}  // namespace

Status Evaluator::RunPattern(const Clause& c, Ctx* ctx) {
  STRATA_ASSIGN_OR_RETURN(const Database* dbp, Db(c.src, c));
  const Database& db = *dbp;
  Fixed base;
  for (size_t p = 0; p < c.terms.size(); ++p) {
    if (c.terms[p].kind == Term::kConst)
      STRATA_RETURN_IF_ERROR(FixPosition(db, static_cast<int>(p), c.terms[p].val, &base));
  }
  // Variables bound by earlier clauses, and whether they narrow the read.
  std::set<std::string> bound;
  bool narrows = false;
  for (size_t p = 0; p < c.terms.size(); ++p) {
    const Term& t = c.terms[p];
    if (t.kind != Term::kVar || !ctx->bound(t.name)) continue;
    bound.insert(t.name);
    if (p == 0 || p == 1) narrows = true;
    if (p == 2 && base.a && (base.a->in_avet() || base.a->is_ref())) narrows = true;
  }
  // Bound variables may live in separate relations ([?e2 :age ?a] with ?e2
  // from one clause and ?a from another): look up with the relation of the
  // narrowing variable only and hash-join the others afterwards, rather
  // than multiplying the relations out first.
  bool split = false;
  if (narrows) {
    std::string key_var;
    for (size_t p = 0; p < c.terms.size() && p < 3 && key_var.empty(); ++p) {
      const Term& t = c.terms[p];
      if (t.kind != Term::kVar || !bound.count(t.name)) continue;
      if (p < 2 || (base.a && (base.a->in_avet() || base.a->is_ref()))) key_var = t.name;
    }
    // Only a value can be joined by hashing the datoms' values; entity,
    // attribute and tx inputs need resolving (idents, t) by FixPosition,
    // and so do values that are not stored as they are (a lookup ref bound
    // by :in for a ref attribute's value).
    auto value_only = [&](const std::string& var) {
      for (size_t p = 0; p < c.terms.size(); ++p)
        if (p != 2 && c.terms[p].kind == Term::kVar && c.terms[p].name == var) return false;
      for (const Rel& r : ctx->rels)
        if (r.has(var)) return AsStored(r, r.col(var), 2, base.a);
      return true;
    };
    for (const Rel& r : ctx->rels) {
      if (!r.has(key_var)) continue;
      std::set<std::string> keep;
      for (const auto& v : bound)
        if (r.has(v) || !value_only(v)) keep.insert(v);
      if (keep.size() < bound.size() && std::all_of(keep.begin(), keep.end(), [&](const auto& v) { return r.has(v); })) {
        bound = std::move(keep);
        split = true;
      }
      break;
    }
  }
  if (narrows) {
    STRATA_ASSIGN_OR_RETURN(int ri, ctx->Gather({bound.begin(), bound.end()}, &budget));
    Rel& r = ctx->rels[ri];  // its cells are moved into the result as their groups are done
    // Group the rows by their bound values: one lookup per group.
    std::vector<int> key_cols;
    std::vector<int> key_pos;
    for (size_t p = 0; p < c.terms.size(); ++p) {
      const Term& t = c.terms[p];
      if (t.kind == Term::kVar && bound.count(t.name)) {
        key_cols.push_back(r.col(t.name));
        key_pos.push_back(static_cast<int>(p));
      }
    }
    // Group g's rows are group_rows[group_start[g] .. group_start[g + 1]),
    // its first row first_row[g] (no vector per group: a relation of
    // 20,000 entities made 20,000 allocations here).
    std::vector<uint32_t> first_row;
    std::vector<uint32_t> row_group;
    std::vector<uint32_t> group_start;
    std::vector<uint32_t> group_rows;
    // Keyed by the entity alone, as stored (an id): the groups are runs
    // of equal ids, found by sorting (rows often come in entity order, from
    // an AEVT scan: then one pass checks it), not by hashing each row.
    const bool entity_key_only = key_pos.size() == 1 && key_pos[0] == 0 && AsStored(r, key_cols[0], 0, base.a);
    if (entity_key_only) {
      const int kc = key_cols[0];
      std::vector<std::pair<int64_t, uint32_t>> by_id(r.n);
      for (size_t i = 0; i < r.n; ++i) by_id[i] = {r.row(i)[kc].v.as_long(), static_cast<uint32_t>(i)};
      if (!std::is_sorted(by_id.begin(), by_id.end())) std::sort(by_id.begin(), by_id.end());
      group_rows.resize(r.n);
      for (size_t i = 0; i < by_id.size(); ++i) {
        if (i == 0 || by_id[i].first != by_id[i - 1].first) {
          group_start.push_back(static_cast<uint32_t>(i));
          first_row.push_back(by_id[i].second);
        }
        group_rows[i] = by_id[i].second;
      }
      group_start.push_back(static_cast<uint32_t>(r.n));
    } else {
      row_group.resize(r.n);
      RowTable by_hash(r.n);
      for (size_t i = 0; i < r.n; ++i) {
        const size_t h = HashCols(r.row(i), key_cols);
        bool placed = by_hash.Any(h, [&](uint32_t g) {
          if (!EqualCols(r.row(i), key_cols, r.row(first_row[g]), key_cols)) return false;
          row_group[i] = g;
          return true;
        });
        if (!placed) {
          row_group[i] = static_cast<uint32_t>(first_row.size());
          by_hash.Insert(h, row_group[i]);
          first_row.push_back(static_cast<uint32_t>(i));
        }
      }
    }
    const size_t ngroups = first_row.size();
    if (!entity_key_only) {
      group_start.assign(ngroups + 1, 0);
      for (size_t i = 0; i < r.n; ++i) ++group_start[row_group[i] + 1];
      for (size_t g = 0; g < ngroups; ++g) group_start[g + 1] += group_start[g];
      group_rows.resize(r.n);
      std::vector<uint32_t> at(group_start.begin(), group_start.end() - 1);
      for (size_t i = 0; i < r.n; ++i) group_rows[at[row_group[i]]++] = static_cast<uint32_t>(i);
    }
    // Few datoms for many bindings: one scan of the attribute and a hash
    // join beat a lookup per binding (a lookup costs about as much as
    // reading kLookupCost datoms of an attribute scan: measured about 4 on
    // the people benchmark, where an AEVT scan reads datoms scattered over
    // the EAVT-ordered memory runs and costs a cache miss each, while
    // lookups in entity order share most of their path). The scan itself is the
    // probe: past that many datoms it stops and the lookups take over (for
    // the entities it has not passed, when the entity is a key; else all
    // of them, so at worst the work doubles), and a scan that fits is read once.
    constexpr uint64_t kLookupCost = 4;
    bool attribute_scan_possible = !base.e && base.a && ngroups > 64 &&
                                   std::none_of(key_pos.begin(), key_pos.end(), [](int p) { return p == 1; });
    for (size_t k = 0; k < key_pos.size() && attribute_scan_possible; ++k)
      attribute_scan_possible = AsStored(r, key_cols[k], key_pos[k], base.a);
    // The bound entities, when the entity is a key: the scan keeps only
    // their datoms, and, read in AEVT (entity order within the
    // attribute), a scan cut short has read every datom of the entities
    // before the one it stopped on: those groups take their datoms from
    // the scan and only the rest are looked up, so the probe is not lost.
    const bool entity_key = std::find(key_pos.begin(), key_pos.end(), 0) != key_pos.end();
    std::vector<Datom> scanned;                     // the kept datoms, in entity order
    EntityId scan_stop = 0;                         // groups of entities below it use `scanned`
    // Entities an earlier clause read whole need no lookup: only the
    // others count towards the scan's limit (none left: no scan).
    size_t to_look_up = ngroups;
    if (attribute_scan_possible && entity_key) {
      auto cached = entity_cache_.find(Resolve(c.src));
      if (cached != entity_cache_.end()) {
        const int ecol = key_cols[static_cast<size_t>(std::find(key_pos.begin(), key_pos.end(), 0) - key_pos.begin())];
        for (uint32_t g0 : first_row) {
          const Val& x = r.row(g0)[ecol];
          auto it = cached->second.find(static_cast<EntityId>(x.v.as_long()));
          if (it != cached->second.end() && it->second.whole) --to_look_up;
        }
      }
      attribute_scan_possible = to_look_up > 64;
    }
    if (attribute_scan_possible && entity_key) {
      STRATA_RETURN_IF_ERROR(Finish(db, &base));
      const bool aevt = !(base.v && (base.a->in_avet() || base.a->is_ref()));
      if (aevt) {
        EntitySet entities(ngroups);
        const int ecol = key_cols[static_cast<size_t>(std::find(key_pos.begin(), key_pos.end(), 0) - key_pos.begin())];
        for (uint32_t g0 : first_row) entities.Insert(static_cast<EntityId>(r.row(g0)[ecol].v.as_long()));
        bool cut = false;
        EntityId stop = 0;
        uint64_t bytes = 0;
        STRATA_RETURN_IF_ERROR(Lookup(
            db, base, &budget,
            [&](const Datom& d) -> Status {
              if (!entities.Contains(d.e)) return Status::OK();
              if (scan_bounds_ && !scan_bounds_->Keeps(d.v)) return Status::OK();  // the predicates after drop it
              scanned.push_back(d);
              bytes += sizeof(Datom) + d.v.HeapBytes();
              if ((scanned.size() & 1023) == 0) return budget.Charge(0, scanned.size(), bytes);
              return Status::OK();
            },
            to_look_up * kLookupCost, &cut, &stop));
        // Not cut: every group takes its datoms from the scan.
        scan_stop = cut ? stop : std::numeric_limits<EntityId>::max();
      }
    } else if (attribute_scan_possible) {
      Rel scanned_rows;
      bool cut = false;
      STRATA_RETURN_IF_ERROR(
          ReadPattern(c, db, base, &budget, &scanned_rows, ngroups * kLookupCost, &cut, &scan_bounds_));
      if (scan_bounds_ && cut) scan_bounds_->enforced = false;  // lookups follow, unbounded
      if (!cut) return ctx->Absorb(std::move(scanned_rows), &budget);
    }
    const Shape shape = ShapeOf(c, bound);
    Rel out;
    out.vars = r.vars;
    out.vars.insert(out.vars.end(), shape.vars.begin(), shape.vars.end());
    // About a row out per row in (a cardinality-one attribute): room for
    // them up front, not regrown (and every cell moved) a dozen times.
    out.cells.reserve(r.n * out.vars.size());
    Rel found;  // new values for one group
    found.vars = shape.vars;
    const bool repeat = MayRepeat(c, db);
    PatternCursor cursor;  // moved from group to group
    // The constants resolved once, not per group.
    if (base.a) STRATA_RETURN_IF_ERROR(Finish(db, &base));
    // Keyed by the entity alone, as stored (an id): the group's key is
    // set in place of a copy of `base` resolved per group.
    const bool entity_only = entity_key_only && !base.e;
    Fixed f = base;
    size_t scan_at = 0;      // where the previous group's datoms in `scanned` ended
    uint64_t uncharged = 0;  // rows of the fast path not charged yet
    for (size_t g = 0; g < ngroups; ++g) {
      const uint32_t g0 = first_row[g];
      const size_t g_size = group_start[g + 1] - group_start[g];
      if (entity_only) {
        const int64_t id = r.row(g0)[key_cols[0]].v.as_long();
        f.impossible = base.impossible || id < 0;
        f.e = static_cast<EntityId>(id);
      } else {
        f = base;
        for (size_t k = 0; k < key_pos.size(); ++k)
          STRATA_RETURN_IF_ERROR(FixPosition(db, key_pos[k], r.row(g0)[key_cols[k]], &f));
        STRATA_RETURN_IF_ERROR(Finish(db, &f));
      }
      // The datoms the scan kept for this entity (each matches `base`, and
      // the entity is the only key) join straight into the result: found
      // by galloping from where the previous group's ended (groups mostly
      // come in entity order), without a relation per group.
      if (entity_only && !f.impossible && *f.e < scan_stop && shape.repeats.empty() && !repeat) {
        const EntityId e = *f.e;
        const size_t ns = scanned.size();
        size_t lo = scan_at < ns && scanned[scan_at].e <= e ? scan_at : 0, hi = lo;
        for (size_t stride = 1; hi < ns && scanned[hi].e < e; stride *= 2) {
          lo = hi;
          hi = std::min(ns, lo + stride);
        }
        lo = static_cast<size_t>(std::lower_bound(scanned.begin() + static_cast<long>(lo), scanned.begin() + static_cast<long>(hi),
                                                  e, [](const Datom& d, EntityId x) { return d.e < x; }) -
                                 scanned.begin());
        size_t end = lo;
        while (end < ns && scanned[end].e == e) ++end;
        scan_at = end;
        const size_t more = (end - lo) * g_size;
        if (more > 1) {
          STRATA_RETURN_IF_ERROR(budget.Charge(0, out.n + more, out.bytes + more * out.width() * sizeof(Val)));
        }
        const size_t w = r.width();
        for (size_t gi = group_start[g]; gi < group_start[g + 1]; ++gi) {
          Val* from = r.cells.data() + group_rows[gi] * w;
          for (size_t j = lo; j < end; ++j) {
            out.AddEmplaced([&](std::vector<Val>& cells) {
              EmplaceCells(from, w, j + 1 == end, &cells);
              for (int p : shape.pos) cells.emplace_back(scanned[j], p);
            });
          }
        }
        uncharged += more;
        if (uncharged >= 1024) {
          STRATA_RETURN_IF_ERROR(budget.Charge(uncharged, out));
          uncharged = 0;
        } else {
          STRATA_RETURN_IF_ERROR(budget.Fits(out));
        }
        continue;
      }
      found.Clear();
      auto emit = [&](const Datom& d) -> Status {
        if (!RepeatsHold(shape, d)) return Status::OK();
        found.AddEmplaced([&](std::vector<Val>& cells) {
          for (int p : shape.pos) cells.emplace_back(d, p);
        });
        return Status::OK();
      };
      if (f.e && *f.e < scan_stop && !f.impossible) {
        auto lo = std::lower_bound(scanned.begin(), scanned.end(), *f.e,
                                   [](const Datom& d, EntityId e) { return d.e < e; });
        for (; lo != scanned.end() && lo->e == *f.e; ++lo)
          if (Matches(f, *lo)) STRATA_RETURN_IF_ERROR(emit(*lo));
      } else {
        const EntityDatoms* whole = nullptr;
        if (f.e && !f.impossible && (fill_entities_ || !entity_cache_.empty())) {
          STRATA_ASSIGN_OR_RETURN(whole, EntityDatomsOf(db, Resolve(c.src), *f.e, fill_entities_, &cursor));
        }
        if (whole != nullptr) {
          for (const Datom& d : whole->datoms)
            if (Matches(f, d)) STRATA_RETURN_IF_ERROR(emit(d));
        } else {
          STRATA_RETURN_IF_ERROR(Lookup(db, f, &budget, emit, UINT64_MAX, nullptr, nullptr, &cursor));
        }
      }
      if (found.n > 1 && repeat) Dedupe(&found);
      // The group's rows times its matches, checked before they are built
      // (a fuzz finding: one group of many rows grew past max_tuples, and
      // past the memory, before the charge after it).
      STRATA_RETURN_IF_ERROR(budget.Charge(0, out.n + found.n * g_size,
                                           out.bytes + (found.bytes + found.n * r.width() * sizeof(Val)) * g_size));
      const size_t w = r.width();
      for (size_t gi = group_start[g]; gi < group_start[g + 1]; ++gi) {
        Val* from = r.cells.data() + group_rows[gi] * w;
        for (size_t j = 0; j < found.n; ++j) {
          // The row's cells are copied for all its matches but the last,
          // which takes them (each row is in one group: none reads it again).
          out.AddEmplaced([&](std::vector<Val>& cells) {
            EmplaceCells(from, w, j + 1 == found.n, &cells);
            EmplaceCells(found.cells.data() + j * found.width(), found.width(), g_size == 1, &cells);
          });
        }
      }
      STRATA_RETURN_IF_ERROR(budget.Charge(found.n * g_size, out));
    }
    STRATA_RETURN_IF_ERROR(budget.Charge(uncharged, out));
    out.distinct = r.distinct;  // each row of r once with each distinct match
    if (split) {
      ctx->rels.erase(ctx->rels.begin() + ri);
      return ctx->Absorb(std::move(out), &budget);
    }
    ctx->rels[ri] = std::move(out);
    return Status::OK();
  }
  // One read with the constants; the bound variables join by hashing.
  Rel out;
  STRATA_RETURN_IF_ERROR(
      ReadPattern(c, db, base, &budget, &out, UINT64_MAX, nullptr, &scan_bounds_, nullptr, RowsHint(ShapeOf(c, {}).vars.size())));
  return ctx->Absorb(std::move(out), &budget);
}

size_t Evaluator::RowsHint(size_t width) const {
  // At most a sixteenth of max_bytes and a million rows: an estimate far
  // too high costs that much unused capacity, never more.
  if (est_rows_ < 1 || width == 0) return 0;
  const double cap = std::min<double>(1 << 20, static_cast<double>(options.max_bytes / 16 / (width * sizeof(Val))));
  return static_cast<size_t>(std::min(est_rows_ * 1.1 + 16, cap));
}

Result<const Evaluator::EntityDatoms*> Evaluator::EntityDatomsOf(const Database& db, const std::string& src, EntityId e,
                                                                 bool fill, PatternCursor* keep) {
  auto& by_entity = entity_cache_[src];
  if (auto it = by_entity.find(e); it != by_entity.end()) return it->second.whole ? &it->second : nullptr;
  // Kept within a quarter of max_bytes too: the relations' bound is the
  // query's memory bound, and this copy is not one of them.
  if (!fill || entity_cache_bytes_ > std::min<uint64_t>(kMaxEntityCacheBytes, options.max_bytes / 4)) return nullptr;
  EntityDatoms ed;
  Fixed f;
  f.e = e;
  bool cut = false;
  STRATA_RETURN_IF_ERROR(Lookup(
      db, f, &budget,
      [&](const Datom& d) -> Status {
        ed.datoms.push_back(d);
        entity_cache_bytes_ += sizeof(Datom) + d.v.HeapBytes();
        return Status::OK();
      },
      kMaxEntityDatoms + 1, &cut, nullptr, keep));
  ed.whole = !cut;
  if (!ed.whole) ed.datoms.clear();
  auto& kept = by_entity.emplace(e, std::move(ed)).first->second;
  return kept.whole ? &kept : nullptr;
}

Status Evaluator::RunTuplePattern(const Clause& c, const Rel& source, Ctx* ctx) {
  const Shape shape = ShapeOf(c, {});
  Rel out;
  out.vars = shape.vars;
  std::vector<Val> row(shape.vars.size());
  for (size_t i = 0; i < source.n; ++i) {
    const Val& t = source.row(i)[0];
    if (!t.tuple || t.tuple->size() < c.terms.size()) continue;
    const auto& xs = *t.tuple;
    bool ok = true;
    for (size_t p = 0; p < c.terms.size() && ok; ++p) {
      if (c.terms[p].kind == Term::kConst) ok = xs[p] == c.terms[p].val;
    }
    for (auto [x, y] : shape.repeats) ok = ok && xs[x] == xs[y];
    if (!ok) continue;
    for (size_t k = 0; k < shape.pos.size(); ++k) row[k] = xs[shape.pos[k]];
    out.Add(row.data());
  }
  STRATA_RETURN_IF_ERROR(budget.Charge(out.n, out));
  Dedupe(&out);
  return ctx->Absorb(std::move(out), &budget);
}

}  // namespace strata::query
