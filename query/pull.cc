// Pull: walks an entity and the entities it refers to, per a compiled
// pattern (pull_pattern.cc), through the public Database API only.
#include <algorithm>
#include <chrono>
#include <map>

#include "pull_pattern.h"
#include "relation.h"
#include "val.h"

namespace strata {
namespace query {

namespace {

constexpr uint64_t kDefaultLimit = 1000;

// `*slot` on `prefix`: opened on first use, moved afterwards. A cursor
// that failed reports its error on every later use (cursor.h).
Result<DatomCursor*> CursorAt(const Database& db, std::unique_ptr<DatomCursor>* slot, Index index,
                              std::vector<Value> prefix) {
  if (*slot == nullptr) {
    STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(index, std::move(prefix)));
    *slot = std::make_unique<DatomCursor>(std::move(c));
  } else {
    STRATA_RETURN_IF_ERROR((*slot)->Seek(std::move(prefix)));
  }
  return slot->get();
}

struct PullState {
  PullState(const Database& d, const PullOptions& opts, PullCursors* c) : db(d), o(opts), cursors(c) {
    if (o.timeout_ms) deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
  }
  const Database& db;
  const PullOptions& o;
  PullCursors* cursors;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  uint64_t nodes = 0;
  std::vector<EntityId> path;               // entities being pulled, outermost first
  std::map<const PullAttr*, int> depth;     // recursions in progress per spec

  // The EAVT cursor of the entity being pulled (path.back()'s depth).
  Result<DatomCursor*> Eavt(std::vector<Value> prefix) {
    const size_t d = path.empty() ? 0 : path.size() - 1;
    if (cursors->eavt.size() <= d) cursors->eavt.resize(d + 1);
    return CursorAt(db, &cursors->eavt[d], Index::kEavt, std::move(prefix));
  }
  Result<DatomCursor*> Vaet(std::vector<Value> prefix) {
    return CursorAt(db, &cursors->vaet, Index::kVaet, std::move(prefix));
  }
};

edn::Node IdMap(EntityId e) {
  std::vector<edn::Node> kv(2);  // built in place: an initializer list would copy both nodes
  kv[0].kind = edn::Kind::kKeyword;
  kv[0].s = "db/id";
  kv[1].kind = edn::Kind::kLong;
  kv[1].i = static_cast<int64_t>(e);
  return edn::Node::Map(std::move(kv));
}

// A wildcard's key for attribute aid: its ident, or its id when it has none.
void PushKey(std::vector<edn::Node>* kvs, const Database& db, EntityId aid) {
  edn::Node& k = kvs->emplace_back();
  if (const std::string* name = db.ident(aid)) {
    k.kind = edn::Kind::kKeyword;
    k.s = *name;
  } else {
    k.kind = edn::Kind::kLong;
    k.i = static_cast<int64_t>(aid);
  }
}

Status Count(PullState* s) {
  if (++s->nodes > s->o.max_nodes) {
    return Status::Busy("pull result exceeds max_nodes (" + std::to_string(s->o.max_nodes) + ")");
  }
  if (s->o.timeout_ms && (s->nodes & 1023) == 0 && std::chrono::steady_clock::now() > s->deadline) {
    return Status::Aborted("pull timed out after " + FormatSeconds(s->o.timeout_ms));
  }
  return Status::OK();
}

bool OnPath(const PullState& s, EntityId e) { return std::find(s.path.begin(), s.path.end(), e) != s.path.end(); }

// The values of one attribute of one entity in this view, folded from its
// datoms in EAVT order as a cursor yields them. A history view shows every
// value ever asserted; for cardinality one, the latest assertion.
class ValueFold {
 public:
  ValueFold(const Database& db, const Attribute& a) : history_(db.is_history()), many_(a.many) {}
  // Starts over with another attribute, keeping the buffer (a wildcard
  // folds every attribute of its entity through one fold).
  void Start(const Attribute& a) {
    many_ = a.many;
    latest_ = 0;
    out_.clear();
  }
  void Add(const Datom& d) {
    if (!history_) {
      out_.push_back(d.v);
      return;
    }
    if (!d.added) return;
    if (!many_) {
      if (out_.empty() || d.tx >= latest_) out_ = {d.v};
      latest_ = std::max(latest_, d.tx);
    } else if (out_.empty() || !(out_.back() == d.v)) {
      out_.push_back(d.v);
    }
  }
  std::vector<Value>& values() { return out_; }

 private:
  const bool history_;
  bool many_;
  EntityId latest_ = 0;
  std::vector<Value> out_;
};

Result<std::vector<Value>> ForwardValues(PullState* s, EntityId e, const Attribute& a) {
  ValueFold fold(s->db, a);
  STRATA_ASSIGN_OR_RETURN(DatomCursor * c, s->Eavt({Value::Ref(e), Value::Ref(a.id)}));
  for (; c->Valid(); c->Next()) fold.Add(c->datom());
  STRATA_RETURN_IF_ERROR(c->status());
  return std::move(fold.values());
}

// The entities whose attribute `a` refers to e.
Result<std::vector<Value>> ReverseValues(PullState* s, EntityId e, const Attribute& a) {
  std::vector<Value> out;
  STRATA_ASSIGN_OR_RETURN(DatomCursor * c, s->Vaet({Value::Ref(e), Value::Ref(a.id)}));
  for (; c->Valid(); c->Next()) {
    const Datom& d = c->datom();
    if (!d.added) continue;
    if (out.empty() || out.back().ref() != d.e) out.push_back(Value::Ref(d.e));
  }
  STRATA_RETURN_IF_ERROR(c->status());
  return out;
}

const PullPattern& Wildcard() {
  static const PullPattern w{true, {}};
  return w;
}

Result<edn::Node> PullEntity(PullState* s, const PullPattern& p, EntityId e);

// One value of an attribute as the result shows it; nil means "leave out".
Result<edn::Node> Render(PullState* s, const PullAttr* spec, const Attribute& a, const Value& v, bool forward) {
  STRATA_RETURN_IF_ERROR(Count(s));
  if (v.type() != ValueType::kRef) return s->db.ValueToEdn(v);
  const EntityId r = v.ref();
  if (spec && spec->sub) return PullEntity(s, *spec->sub, r);
  if (spec && spec->recursive) {
    if (OnPath(*s, r)) return IdMap(r);
    ++s->depth[spec];
    Result<edn::Node> out = PullEntity(s, *spec->parent, r);
    --s->depth[spec];
    return out;
  }
  if (forward && a.component) {
    if (OnPath(*s, r)) return IdMap(r);
    STRATA_ASSIGN_OR_RETURN(edn::Node m, PullEntity(s, Wildcard(), r));
    return m.is(edn::Kind::kNil) ? IdMap(r) : m;
  }
  return IdMap(r);
}

// Renders an attribute's values: one node for cardinality one (and for a
// reverse component), else a vector. Returns nil when nothing remains.
Result<edn::Node> RenderValues(PullState* s, const PullAttr* spec, const Attribute& a, const std::vector<Value>& vs,
                               bool forward) {
  const bool single = forward ? !a.many : a.component;
  if (single) {
    if (vs.empty()) return edn::Node::Nil();
    return Render(s, spec, a, vs.front(), forward);
  }
  std::optional<uint64_t> limit = kDefaultLimit;
  if (spec && spec->limit_given) limit = spec->limit;
  std::vector<edn::Node> out;
  for (const Value& v : vs) {
    if (limit && out.size() >= *limit) break;
    STRATA_ASSIGN_OR_RETURN(edn::Node x, Render(s, spec, a, v, forward));
    if (!x.is(edn::Kind::kNil)) out.push_back(std::move(x));
  }
  if (out.empty()) return edn::Node::Nil();
  return edn::Node::Vector(std::move(out));
}

Result<edn::Node> PullEntity(PullState* s, const PullPattern& p, EntityId e) {
  if (s->path.size() >= s->o.max_depth) {
    return Status::Busy("pull nests deeper than max_depth (" + std::to_string(s->o.max_depth) + ")");
  }
  STRATA_RETURN_IF_ERROR(Count(s));
  s->path.push_back(e);
  std::vector<edn::Node> kvs;
  kvs.reserve(2 * p.attrs.size() + (p.wildcard ? 32 : 0));
  auto done = [&](Status st) -> Result<edn::Node> {
    s->path.pop_back();
    if (!st.ok()) return st;
    if (kvs.empty()) return edn::Node::Nil();
    return edn::Node::Map(std::move(kvs));
  };
  if (p.wildcard) {
    kvs.push_back(edn::Node::Keyword("db/id"));
    kvs.push_back(edn::Node::Long(static_cast<int64_t>(e)));
    // One read of the entity's datoms serves every attribute: each
    // attribute's run of datoms is folded as the cursor passes it.
    Result<DatomCursor*> cr = s->Eavt({Value::Ref(e)});
    if (!cr.ok()) return done(cr.status());
    DatomCursor* c = *cr;
    ValueFold fold(s->db, Attribute{});
    while (c->Valid()) {
      const EntityId aid = c->datom().a;
      const Attribute* a = s->db.attribute(aid);
      const bool explicit_spec = a && std::any_of(p.attrs.begin(), p.attrs.end(), [&](const PullAttr& x) {
        return x.kind == PullAttr::kAttr && x.attr == a;
      });
      if (a == nullptr || explicit_spec) {
        while (c->Valid() && c->datom().a == aid) c->Next();
        continue;
      }
      fold.Start(*a);
      bool ended = false;  // one Valid() per datom, as the loop above
      do {
        fold.Add(c->datom());
        c->Next();
        ended = !c->Valid();
      } while (!ended && c->datom().a == aid);
      // A read that failed mid-attribute must not render a partial fold.
      if (ended)
        if (Status st = c->status(); !st.ok()) return done(st);
      const std::vector<Value>& vs = fold.values();
      if (vs.empty()) continue;  // nothing in this view: left out, as RenderValues leaves it
      if (!a->many && !(a->component && vs.front().type() == ValueType::kRef)) {
        // One value and no nested pull (most attributes): rendered straight
        // into the map, as Render would render it, without the moves of
        // the general path's results.
        if (Status st = Count(s); !st.ok()) return done(st);
        PushKey(&kvs, s->db, aid);
        const Value& x = vs.front();
        kvs.push_back(x.type() == ValueType::kRef ? IdMap(x.ref()) : s->db.ValueToEdn(x));
        continue;
      }
      Result<edn::Node> v = RenderValues(s, nullptr, *a, vs, true);
      if (!v.ok()) return done(v.status());
      if (v->is(edn::Kind::kNil)) continue;
      PushKey(&kvs, s->db, aid);
      kvs.push_back(std::move(*v));
    }
    if (Status st = c->status(); !st.ok()) return done(st);
  }
  for (const PullAttr& spec : p.attrs) {
    if (spec.kind == PullAttr::kDbId) {
      kvs.push_back(spec.key);
      kvs.push_back(edn::Node::Long(static_cast<int64_t>(e)));
      continue;
    }
    if (spec.kind == PullAttr::kMissing) {
      if (spec.def) {
        kvs.push_back(spec.key);
        kvs.push_back(*spec.def);
      }
      continue;
    }
    if (spec.max_depth && s->depth[&spec] >= *spec.max_depth) continue;  // depth reached: leave out
    const bool forward = spec.kind == PullAttr::kAttr;
    Result<std::vector<Value>> vs = forward ? ForwardValues(s, e, *spec.attr) : ReverseValues(s, e, *spec.attr);
    if (!vs.ok()) return done(vs.status());
    Result<edn::Node> v = RenderValues(s, &spec, *spec.attr, *vs, forward);
    if (!v.ok()) return done(v.status());
    if (v->is(edn::Kind::kNil)) {
      if (!spec.def) continue;
      *v = *spec.def;
    }
    kvs.push_back(spec.key);
    kvs.push_back(std::move(*v));
  }
  return done(Status::OK());
}

// The AVET prefix (a v) of a lookup ref [:attr value] on a unique attribute whose
// value EDN writes in the attribute's own type (a uuid, string or long:
// the usual identities), as FromEdn and ToDatomValue would make it; none
// for every other ref, which takes the general path (and its errors).
std::optional<std::vector<Value>> SameTypeValue(const Database& db, const edn::Node& eid) {
  if (!eid.is(edn::Kind::kVector) || eid.items.size() != 2 || !eid.items[0].is(edn::Kind::kKeyword)) return {};
  const Attribute* a = db.attribute(eid.items[0].s);
  if (a == nullptr || a->unique == Unique::kNone) return {};
  const edn::Node& v = eid.items[1];
  std::vector<Value> av{Value::Ref(a->id)};
  if (a->type == ValueType::kUuid && v.is(edn::Kind::kUuid)) av.push_back(Value::FromUuid(v.uuid));
  else if (a->type == ValueType::kString && v.is(edn::Kind::kString)) av.push_back(Value::String(v.s));
  else if (a->type == ValueType::kLong && v.is(edn::Kind::kLong)) av.push_back(Value::Long(v.i));
  else return {};
  return av;
}

// The entity an identifier names, or nullopt when it names none.
Result<std::optional<EntityId>> EntityOf(const Database& db, const edn::Node& eid) {
  if (eid.is(edn::Kind::kLong)) {
    if (eid.i < 0) return Status::InvalidArgument("not an entity id: " + edn::Print(eid));
    return std::optional<EntityId>(static_cast<EntityId>(eid.i));
  }
  if (!eid.is(edn::Kind::kKeyword) && !eid.is_seq()) {
    return Status::InvalidArgument("expected an entity id, ident or lookup ref, got " + edn::Print(eid));
  }
  if (eid.is_seq() && eid.items.size() != 2) return Status::InvalidArgument("a lookup ref is [attr value]: " + edn::Print(eid));
  if (std::optional<std::vector<Value>> av = SameTypeValue(db, eid)) {
    // What ResolveEntity does for this ref, without converting it to a
    // query value first: the first assertion of (a v) in this view.
    std::optional<EntityId> found;
    STRATA_RETURN_IF_ERROR(ForEach(db.Datoms(Index::kAvet, std::move(*av)),
                                   [&](const Datom& d) {
                                     if (d.added) found = d.e;
                                     return !found;
                                   }));
    return found;
  }
  STRATA_ASSIGN_OR_RETURN(Val v, FromEdn(eid));
  if (v.is_tuple()) {
    // A lookup ref needs a unique attribute (Datomic; transact and datoms
    // refuse the same way). A value that matches no entity is nil.
    const Attribute* a = ResolveAttribute(db, (*v.tuple)[0]);
    if (a == nullptr) {
      return Status::InvalidArgument("unknown attribute " + edn::Print(eid.items[0]) + " in lookup ref " +
                                     edn::Print(eid));
    }
    if (a->unique == Unique::kNone) {
      return Status::InvalidArgument("lookup ref attribute :" + a->ident + " is not unique in " + edn::Print(eid));
    }
  }
  return ResolveEntity(db, v);
}

}  // namespace

Result<edn::Node> PullCompiled(const Database& db, const PullPattern& pattern, EntityId e, const PullOptions& options,
                               PullCursors* cursors) {
  PullCursors own;
  PullState s(db, options, cursors ? cursors : &own);
  return PullEntity(&s, pattern, e);
}

Result<edn::Node> PullCompiled(const Database& db, const PullPattern& pattern, EntityId e, const PullOptions& options) {
  return PullCompiled(db, pattern, e, options, nullptr);
}

}  // namespace query

Result<edn::Node> Pull(const Database& db, const edn::Node& pattern, const edn::Node& eid, const PullOptions& options) {
  STRATA_ASSIGN_OR_RETURN(auto compiled, query::CompilePull(db, pattern));
  STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, query::EntityOf(db, eid));
  if (!e) return edn::Node::Nil();
  return query::PullCompiled(db, *compiled, *e, options);
}

Result<edn::Node> PullMany(const Database& db, const edn::Node& pattern, const std::vector<edn::Node>& eids,
                           const PullOptions& options) {
  STRATA_ASSIGN_OR_RETURN(auto compiled, query::CompilePull(db, pattern));
  std::vector<edn::Node> out;
  out.reserve(eids.size());
  query::PullCursors cursors;  // one set of sources for every entity
  for (const auto& eid : eids) {
    STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, query::EntityOf(db, eid));
    if (!e) {
      out.push_back(edn::Node::Nil());
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(edn::Node r, query::PullCompiled(db, *compiled, *e, options, &cursors));
    out.push_back(std::move(r));
  }
  return edn::Node::Vector(std::move(out));
}

}  // namespace strata
