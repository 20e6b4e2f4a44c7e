// generators.cc — schemas and transaction streams (see generators.h).
#include "generators.h"

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace strata::props {
namespace {

using edn::Node;

template <typename T>
T Pick(const std::vector<T>& v) {
  return v[static_cast<size_t>(Uniform(0, static_cast<int>(v.size())))];
}
bool Chance(int percent) { return Uniform(0, 100) < percent; }

Node Kw(const std::string& s) { return Node::Keyword(s); }
Node Vec(std::vector<Node> xs) { return Node::Vector(std::move(xs)); }

const char* TypeName(ValueType t) { return ValueTypeName(t); }

// What the generators look at: the current datoms and the user schema.
struct Snapshot {
  const Model& m;
  std::vector<Datom> current;
  std::vector<const ModelAttr*> attrs;
  explicit Snapshot(const Model& model) : m(model), current(model.View({})), attrs(UserAttrs(model)) {}

  std::vector<const ModelAttr*> Where(bool (*pred)(const ModelAttr&)) const {
    std::vector<const ModelAttr*> out;
    for (const ModelAttr* a : attrs)
      if (pred(*a)) out.push_back(a);
    return out;
  }
};

Node ValueNode(const Value& v) { return edn::FromValue(v); }

// Three or four values per type: collisions on purpose. Now and then an
// extreme one (encodings: varints, zigzag, heap strings, sign bits).
Node GenScalar(ValueType t) {
  const bool extreme = Chance(8);
  switch (t) {
    case ValueType::kKeyword:
      if (extreme) return Kw("k/a-keyword-long-enough-to-live-on-the-heap");
      return Kw(Pick<std::string>({"k/a", "k/b", "k/c"}));
    case ValueType::kString:
      if (extreme) return Node::String(Pick<std::string>({"", "a string long enough to live on the heap", "\u00e9\n\"q\""}));
      return Node::String(Pick<std::string>({"a", "b", "c"}));
    case ValueType::kBoolean: return Node::Bool(Chance(50));
    case ValueType::kLong:
      if (extreme) return Node::Long(Pick<int64_t>({-1, INT64_MIN, INT64_MAX, int64_t{1} << 42}));
      return Node::Long(Uniform(0, 3));
    case ValueType::kDouble:
      if (extreme) return Node::Double(Pick<double>({-1e300, 5e-324, -2.5}));
      switch (Weighted({3, 3, 1, 1, 1})) {
        case 0: return Node::Double(0.5);
        case 1: return Node::Double(1.5);
        case 2: return Node::Double(0.0);
        case 3: return Node::Double(-0.0);  // a different value from 0.0 in the total order
        default: return Node::Long(2);      // coerced to 2.0
      }
    case ValueType::kInstant:
      if (extreme) return Node::Inst(Pick<int64_t>({-86400000, 0, int64_t{253402300799000}}));
      return Node::Inst(1000 * Uniform(1, 4));
    case ValueType::kUuid: {
      static const Uuid kUuids[] = {{1, 1}, {1, 2}, {0xabcdef, 7}, {~uint64_t{0}, ~uint64_t{0}}};
      return Node::FromUuid(kUuids[Uniform(0, extreme ? 4 : 3)]);
    }
    // Format version 2's types: numbers that collide numerically but not
    // as values (1.0M, 1.00M), floats that round, bytes over 0x7f.
    case ValueType::kBigInt: {
      Node n;
      n.kind = edn::Kind::kBigInt;
      n.s = extreme ? Pick<std::string>({"-100000000000000000000", "9223372036854775808"})
                    : Pick<std::string>({"1", "2", "-3"});
      return n;
    }
    case ValueType::kBigDec: {
      Node n;
      n.kind = edn::Kind::kBigDec;
      n.s = extreme ? Pick<std::string>({"-0.000000000000000000001", "123456789012345678901.5"})
                    : Pick<std::string>({"1.0", "1.00", "0.5"});
      return n;
    }
    case ValueType::kFloat:
      if (extreme) return Node::Double(Pick<double>({3e38, -1e-45, 16777217.0}));
      return Node::Double(Pick<double>({0.5, 1.1, -2.0}));
    case ValueType::kBytes:
      return Node::Tagged("bytes", Node::String(extreme ? "" : Pick<std::string>({"AAE=", "/w==", "AP8A"})));
    case ValueType::kUri:
      return Node::Tagged("uri", Node::String(Pick<std::string>({"https://a.example/x", "urn:isbn:1", "a:b"})));
    case ValueType::kSymbol:
      return Node::Symbol(Pick<std::string>({"s/a", "s-/a", "sa"}));  // :s/a < :s-/a, sa first
    case ValueType::kRef:
    case ValueType::kTuple:
    case ValueType::kNil: break;
  }
  return Node::Nil();
}

// A value of the wrong kind for type t.
Node GenWrongScalar(ValueType t) {
  switch (t) {
    case ValueType::kKeyword: return Node::String("k/a");
    case ValueType::kString: return Pick<Node>({Node::Long(1), Kw("a")});
    case ValueType::kBoolean: return Node::Long(1);
    case ValueType::kLong: return Pick<Node>({Node::String("1"), Node::Double(1.0)});
    case ValueType::kDouble: return Node::String("0.5");
    case ValueType::kInstant: return Node::Long(1000);
    case ValueType::kUuid: return Node::String("00000000-0000-0001-0000-000000000001");
    case ValueType::kRef: return Pick<Node>({Node::Bool(true), Node::Double(1.0)});
    case ValueType::kBigInt: return Node::Long(1);  // a long is not a bigint
    case ValueType::kBigDec: return Node::Double(1.0);
    case ValueType::kFloat: return Node::String("1.0");
    case ValueType::kBytes: return Node::String("AAE=");
    case ValueType::kUri: return Node::String("https://a.example/x");
    case ValueType::kSymbol: return Kw("s/a");
    case ValueType::kTuple:
    case ValueType::kNil: break;
  }
  return Node::Nil();
}

Node GenTempid() {
  switch (Weighted({3, 2, 2, 1, 1})) {
    case 0: return Node::String("a");
    case 1: return Node::String("b");
    case 2: return Node::String("c");
    case 3: return Node::Long(-1);
    default: return Node::Long(-2);
  }
}

bool IsLookupAttr(const ModelAttr& a) { return a.unique != Unique::kNone && !a.is_ref(); }
bool IsRefAttr(const ModelAttr& a) { return a.is_ref(); }
bool IsCardOne(const ModelAttr& a) { return !a.many; }

// [:unique/attr value]: resolves when some entity holds the value.
Node GenLookupRef(const Snapshot& s) {
  auto uniques = s.Where(IsLookupAttr);
  if (uniques.empty()) return Node::Long(-1);
  // Mostly a value some entity holds now; sometimes any value.
  std::vector<Datom> held;
  for (const Datom& d : s.current)
    for (const ModelAttr* a : uniques)
      if (d.a == a->id) held.push_back(d);
  if (!held.empty() && Chance(90)) {
    const Datom d = Pick(held);
    return Vec({Kw(s.m.schema().Attr(d.a)->ident), ValueNode(d.v)});
  }
  const ModelAttr* a = Pick(uniques);
  return Vec({Kw(a->ident), GenScalar(a->type)});
}

// An entity that usually exists: a known id or a lookup ref.
Node GenExisting(const Snapshot& s) {
  const auto& ids = s.m.user_entities();
  if (ids.empty()) return GenTempid();  // nothing exists yet
  if (Chance(25)) return GenLookupRef(s);
  // Favour the first few entities so that operations meet.
  const size_t n = std::min<size_t>(ids.size(), Chance(70) ? 4 : ids.size());
  return Node::Long(static_cast<int64_t>(ids[ids.size() - 1 - static_cast<size_t>(Uniform(0, static_cast<int>(n)))]));
}

// An entity position for an assertion: existing, a tempid, or a lookup ref.
Node GenEntity(const Snapshot& s) {
  switch (Weighted({5, 3, 1})) {
    case 0: return GenExisting(s);
    case 1: return GenTempid();
    default: return GenLookupRef(s);
  }
}

Node GenMap(const Snapshot& s, int depth, bool nested);

Node GenRefValue(const Snapshot& s, bool allow_map, int depth) {
  switch (Weighted({6, 2, 2, allow_map && depth < 2 ? 2 : 0, 1, 1})) {
    case 0: return GenExisting(s);
    case 1: return GenTempid();
    case 2: return GenLookupRef(s);
    case 3: return GenMap(s, depth + 1, true);
    case 4: return Node::String("datomic.tx");
    default: return Kw(Pick(s.attrs)->ident);  // an ident names an entity too
  }
}

Node GenValue(const Snapshot& s, const ModelAttr& a, bool allow_map, int depth) {
  return a.is_ref() ? GenRefValue(s, allow_map, depth) : GenScalar(a.type);
}

// A current value of (e a), if the model knows e by id and it has one.
std::optional<Datom> CurrentDatomOf(const Snapshot& s, const Node& e) {
  if (e.kind != edn::Kind::kLong || e.i < 0) return std::nullopt;
  std::vector<Datom> mine;
  for (const Datom& d : s.current)
    if (d.e == static_cast<EntityId>(e.i) && s.m.schema().Attr(d.a) && s.m.schema().Attr(d.a)->ident.starts_with("p/"))
      mine.push_back(d);
  if (mine.empty()) return std::nullopt;
  return Pick(mine);
}

Node GenMap(const Snapshot& s, int depth, bool nested) {
  std::vector<Node> kvs;
  if (nested ? Chance(30) : Chance(75)) {
    kvs.push_back(Kw("db/id"));
    kvs.push_back(nested ? Pick<Node>({GenTempid(), GenExisting(s)}) : GenEntity(s));
  }
  // One to three distinct forward attributes: a map always asserts something.
  std::vector<const ModelAttr*> attrs = s.attrs;
  const int n = Uniform(1, 4);
  for (int i = 0; i < n && !attrs.empty(); ++i) {
    const size_t k = static_cast<size_t>(Uniform(0, static_cast<int>(attrs.size())));
    const ModelAttr* a = attrs[k];
    attrs.erase(attrs.begin() + static_cast<long>(k));
    kvs.push_back(Kw(a->ident));
    if (a->many && Chance(50)) {
      std::vector<Node> xs;
      std::set<std::string> seen;
      const int m = Uniform(1, 4);
      for (int j = 0; j < m; ++j) {
        Node x = GenValue(s, *a, true, depth);
        if (seen.insert(edn::Print(x)).second) xs.push_back(std::move(x));
      }
      switch (Weighted({2, 1, 1})) {
        case 0: kvs.push_back(Node::Vector(std::move(xs))); break;
        case 1: kvs.push_back(Node::List(std::move(xs))); break;
        default: kvs.push_back(Node::Set(std::move(xs))); break;
      }
    } else {
      kvs.push_back(GenValue(s, *a, true, depth));
    }
  }
  auto refs = s.Where(IsRefAttr);
  if (!refs.empty() && Chance(20)) {
    const ModelAttr* r = Pick(refs);
    const size_t slash = r->ident.find('/');
    kvs.push_back(Kw(r->ident.substr(0, slash + 1) + "_" + r->ident.substr(slash + 1)));
    kvs.push_back(depth < 2 && Chance(30) ? GenMap(s, depth + 1, true) : GenExisting(s));
  }
  return Node::Map(std::move(kvs));
}

Node GenOp(const Snapshot& s, const TxMix& mix) {
  const Model& m = s.m;
  // Until something exists, create things.
  const bool empty = m.user_entities().empty();
  switch (Weighted({mix.add, empty ? 0 : mix.retract, empty ? 0 : mix.retract_attr, empty ? 0 : mix.retract_entity,
                    empty ? 0 : mix.cas, mix.map, mix.annotate, mix.instant, empty ? 0 : mix.excise})) {
    case 0: {
      const ModelAttr* a = Pick(s.attrs);
      return Vec({Kw("db/add"), GenEntity(s), Kw(a->ident), GenValue(s, *a, false, 0)});
    }
    case 1: {
      Node e = GenExisting(s);
      if (auto d = CurrentDatomOf(s, e); d && Chance(75))
        return Vec({Kw("db/retract"), e, Kw(m.schema().Attr(d->a)->ident), ValueNode(d->v)});
      const ModelAttr* a = Pick(s.attrs);
      return Vec({Kw("db/retract"), e, Kw(a->ident), GenValue(s, *a, false, 0)});
    }
    case 2: {
      Node e = GenExisting(s);
      if (auto d = CurrentDatomOf(s, e); d && Chance(75)) return Vec({Kw("db/retract"), e, Kw(m.schema().Attr(d->a)->ident)});
      return Vec({Kw("db/retract"), e, Kw(Pick(s.attrs)->ident)});
    }
    case 3: return Vec({Kw(Chance(50) ? "db/retractEntity" : "db.fn/retractEntity"), GenExisting(s)});
    case 4: {
      auto ones = s.Where(IsCardOne);
      const ModelAttr* a = ones.empty() || Chance(5) ? Pick(s.attrs) : Pick(ones);
      Node e = GenExisting(s);
      Node old = Node::Nil();
      std::vector<Value> cur;
      if (e.kind == edn::Kind::kLong) cur = m.CurrentValues(static_cast<EntityId>(e.i), a->id);
      switch (Weighted({6, 2, 2})) {
        case 0:
          if (!cur.empty()) old = ValueNode(cur.front());
          break;
        case 1: break;
        default:
          old = a->is_ref() ? GenExisting(s) : GenScalar(a->type);
          break;
      }
      return Vec({Kw(Chance(80) ? "db/cas" : "db.fn/cas"), e, Kw(a->ident), old, GenValue(s, *a, false, 0)});
    }
    case 5: return GenMap(s, 0, false);
    case 6: {
      const ModelAttr* a = Pick(s.attrs);
      return Vec({Kw("db/add"), Node::String("datomic.tx"), Kw(a->ident), GenValue(s, *a, false, 0)});
    }
    case 7: {
      const int64_t delta = Pick<int64_t>({-1, 0, 1, 500});
      return Vec({Kw("db/add"), Node::String("datomic.tx"), Kw("db/txInstant"), Node::Inst(m.last_instant() + delta)});
    }
    default: {
      // By id: a lookup ref could name a transaction entity; never an
      // excision request (see generators.h).
      std::set<EntityId> requests;
      const EntityId excise = SysIdsOf(m.schema()).excise;
      for (const Datom& d : m.datoms())
        if (d.a == excise) requests.insert(d.e);
      std::vector<EntityId> ids;
      for (EntityId id : m.user_entities())
        if (!requests.count(id)) ids.push_back(id);
      if (ids.empty()) return Vec({Kw("db/excise"), GenTempid()});  // refused: nothing to excise
      Node e = Node::Long(static_cast<int64_t>(ids[ids.size() - 1 - static_cast<size_t>(
                                                    Uniform(0, static_cast<int>(std::min<size_t>(ids.size(), 5))))]));
      switch (Weighted({4, 2, 1})) {
        case 0: return Vec({Kw("db/excise"), e});
        case 1: return Vec({Kw("db/excise"), e, Vec({Kw(Pick(s.attrs)->ident)})});
        default: {
          const auto& ts = m.ts();
          const T before = ts[static_cast<size_t>(Uniform(0, static_cast<int>(ts.size())))] + 1;
          return Vec({Kw("db/excise"), e, Vec({Kw(Pick(s.attrs)->ident)}), Node::Long(static_cast<int64_t>(before))});
        }
      }
    }
  }
}

}  // namespace

int Uniform(int lo, int hi) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi)); }

size_t Weighted(const std::vector<int>& w) {
  int total = 0;
  for (int x : w) total += x;
  int r = Uniform(0, total);
  for (size_t i = 0; i < w.size(); ++i) {
    if (r < w[i]) return i;
    r -= w[i];
  }
  return w.size() - 1;
}

std::vector<const ModelAttr*> UserAttrs(const Model& m) {
  std::vector<const ModelAttr*> out;
  for (const auto& [id, a] : m.schema().attrs)
    if (a.ident.starts_with("p/")) out.push_back(&a);
  return out;
}

edn::Node GenSchemaTx() {
  static const std::vector<ValueType> kAll = {
      ValueType::kRef,     ValueType::kKeyword, ValueType::kString, ValueType::kBoolean, ValueType::kLong,
      ValueType::kDouble,  ValueType::kInstant, ValueType::kUuid,   ValueType::kBigInt,  ValueType::kBigDec,
      ValueType::kFloat,   ValueType::kBytes,   ValueType::kUri,    ValueType::kSymbol};
  const int n = Uniform(4, 9);
  std::vector<Node> attrs;
  for (int i = 0; i < n; ++i) {
    ValueType t;
    bool many = Chance(40);
    Unique u = Unique::kNone;
    if (i == 0) {
      // Always one identity attribute: upserts and lookup refs need it.
      t = Pick<ValueType>({ValueType::kString, ValueType::kLong, ValueType::kKeyword, ValueType::kUuid});
      many = false;
      u = Unique::kIdentity;
    } else if (i == 1) {
      t = ValueType::kRef;  // and always one ref: components, retractEntity
    } else {
      t = Pick(kAll);
      switch (Weighted({6, 2, t == ValueType::kRef ? 0 : 2})) {
        case 1: u = Unique::kValue; break;
        case 2: u = Unique::kIdentity; break;
        default: break;
      }
    }
    std::vector<Node> kvs = {Kw("db/ident"), Kw(std::string("p/") + TypeName(t) + std::to_string(i)),
                             Kw("db/valueType"), Kw(std::string("db.type/") + TypeName(t)),
                             Kw("db/cardinality"), Kw(many ? "db.cardinality/many" : "db.cardinality/one")};
    if (u != Unique::kNone) {
      kvs.push_back(Kw("db/unique"));
      kvs.push_back(Kw(u == Unique::kIdentity ? "db.unique/identity" : "db.unique/value"));
    }
    if (Chance(30)) {
      kvs.push_back(Kw("db/index"));
      kvs.push_back(Node::Bool(true));
    }
    if (t == ValueType::kRef && Chance(50)) {
      kvs.push_back(Kw("db/isComponent"));
      kvs.push_back(Node::Bool(true));
    }
    if (i > 0 && Chance(15)) {
      kvs.push_back(Kw("db/noHistory"));
      kvs.push_back(Node::Bool(true));
    }
    attrs.push_back(Node::Map(std::move(kvs)));
  }
  return Node::Vector(std::move(attrs));
}

edn::Node GenTx(const Model& m, const TxMix& mix) {
  Snapshot s(m);
  std::vector<Node> ops;
  const int n = Uniform(1, 5);
  for (int i = 0; i < n; ++i) ops.push_back(GenOp(s, mix));
  return Node::Vector(std::move(ops));
}

edn::Node GenInvalidTx(const Model& m) {
  Snapshot s(m);
  std::vector<Node> ops;
  const int n = Uniform(0, 3);
  for (int i = 0; i < n; ++i) ops.push_back(GenOp(s, TxMix{}));
  const ModelAttr* a = Pick(s.attrs);
  Node bad;
  switch (Uniform(0, 14)) {
    case 0: bad = Vec({Kw("db/add"), GenEntity(s), Kw("nope/attr"), Node::Long(1)}); break;
    case 1: bad = Vec({Kw("db/add"), GenEntity(s), Kw(a->ident), GenWrongScalar(a->type)}); break;
    case 2: {
      auto ones = s.Where(IsCardOne);
      const ModelAttr* o = ones.empty() ? a : Pick(ones);
      Node v1 = GenValue(s, *o, false, 0), v2 = GenValue(s, *o, false, 0);
      ops.push_back(Vec({Kw("db/add"), Node::String("x"), Kw(o->ident), v1}));
      bad = Vec({Kw("db/add"), Node::String("x"), Kw(o->ident), v2});
      break;
    }
    case 3: {
      Node e = GenExisting(s);
      Node v = GenValue(s, *a, false, 0);
      ops.push_back(Vec({Kw("db/add"), e, Kw(a->ident), v}));
      bad = Vec({Kw("db/retract"), e, Kw(a->ident), v});
      break;
    }
    case 4: {
      auto uniques = s.Where(IsLookupAttr);
      const ModelAttr* u = uniques.empty() ? s.attrs.front() : Pick(uniques);
      Node missing = u->type == ValueType::kLong ? Node::Long(99) : u->type == ValueType::kKeyword ? Kw("k/none")
                   : u->type == ValueType::kUuid ? Node::FromUuid(Uuid{9, 9}) : Node::String("zzz");
      bad = Vec({Kw("db/add"), Vec({Kw(u->ident), missing}), Kw(a->ident), GenValue(s, *a, false, 0)});
      break;
    }
    case 5: {
      auto ones = s.Where(IsCardOne);
      const ModelAttr* o = ones.empty() ? a : Pick(ones);
      bad = Vec({Kw("db/cas"), GenExisting(s), Kw(o->ident), GenValue(s, *o, false, 0), GenValue(s, *o, false, 0)});
      break;
    }
    case 6: {
      auto refs = s.Where(IsRefAttr);
      bad = Vec({Kw("db/add"), GenExisting(s), Kw(refs.empty() ? a->ident : Pick(refs)->ident), Node::String("lonely")});
      break;
    }
    case 7: {
      // A unique value some entity already holds, asserted for another.
      std::vector<Datom> held;
      for (const Datom& d : s.current) {
        const ModelAttr* at = m.schema().Attr(d.a);
        if (at && at->ident.starts_with("p/") && at->unique != Unique::kNone) held.push_back(d);
      }
      if (held.empty()) {
        bad = Vec({Kw("db/add"), GenEntity(s), Kw("nope/attr"), Node::Long(1)});
      } else {
        const Datom d = Pick(held);
        Node other = Chance(50) ? Node::String("x") : GenExisting(s);
        if (m.schema().Attr(d.a)->unique == Unique::kIdentity) other = GenExisting(s);
        bad = Vec({Kw("db/add"), other, Kw(m.schema().Attr(d.a)->ident), ValueNode(d.v)});
      }
      break;
    }
    case 8:
      bad = Vec({Kw("db/add"), Node::String("datomic.tx"), Kw("db/txInstant"), Node::Inst(m.last_instant() - 1)});
      break;
    case 9: bad = Vec({Kw("db/retract"), Node::String("x"), Kw(a->ident), GenValue(s, *a, false, 0)}); break;
    case 10: bad = Vec({Kw("db/excise"), Kw(a->ident)}); break;
    case 11:
      bad = Vec({Kw("db/add"), Node::Long(static_cast<int64_t>(MakeEntityId(kPartUser, m.next_t() + 50))), Kw(a->ident),
                 GenValue(s, *a, false, 0)});
      break;
    case 12:
      bad = Pick<Node>({Vec({Kw("db/add"), GenExisting(s), Kw(a->ident)}), Vec({Kw("db/frobnicate"), Node::Long(1)}),
                        Node::String("not an operation")});
      break;
    default: {
      auto ones = s.Where(IsCardOne);
      const ModelAttr* o = ones.empty() ? a : Pick(ones);
      bad = Node::Map({Kw("db/id"), GenEntity(s), Kw(o->ident), Vec({GenScalar(o->is_ref() ? ValueType::kLong : o->type),
                                                                      GenScalar(o->is_ref() ? ValueType::kLong : o->type)})});
      break;
    }
  }
  ops.insert(ops.begin() + static_cast<long>(static_cast<size_t>(Uniform(0, static_cast<int>(ops.size())) + 1)), std::move(bad));
  return Node::Vector(std::move(ops));
}

edn::Node GenAlterSchema(const Model& m) {
  Snapshot s(m);
  const ModelAttr* a = Pick(s.attrs);
  Node kw = Kw(a->ident);
  switch (Weighted({3, 3, 3, 3, 1, 1})) {
    case 0:
      if (a->indexed && Chance(50)) return Vec({Vec({Kw("db/retract"), kw, Kw("db/index"), Node::Bool(true)})});
      return Vec({Vec({Kw("db/add"), kw, Kw("db/index"), Node::Bool(!a->indexed)})});
    case 1: return Vec({Vec({Kw("db/add"), kw, Kw("db/noHistory"), Node::Bool(!a->no_history)})});
    case 2:
      return Vec({Vec({Kw("db/add"), kw, Kw("db/cardinality"), Kw(a->many ? "db.cardinality/one" : "db.cardinality/many")})});
    case 3: {
      const char* cur = a->unique == Unique::kIdentity ? "db.unique/identity" : "db.unique/value";
      if (a->unique != Unique::kNone && Chance(50)) return Vec({Vec({Kw("db/retract"), kw, Kw("db/unique"), Kw(cur)})});
      // Never identity on a ref attribute (no upsert chains).
      const bool identity = !a->is_ref() && (a->unique == Unique::kValue || (a->unique == Unique::kNone && Chance(50)));
      return Vec({Vec({Kw("db/add"), kw, Kw("db/unique"), Kw(identity ? "db.unique/identity" : "db.unique/value")})});
    }
    case 4: return Vec({Vec({Kw("db/add"), kw, Kw("db/isComponent"), Node::Bool(!a->component)})});
    default: return Vec({Vec({Kw("db/add"), kw, Kw("db/doc"), Node::String(Pick<std::string>({"x", "y"}))})});
  }
}

edn::Node GenExciseTx(const Model& m) {
  Snapshot s(m);
  TxMix only;
  only = TxMix{0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::vector<Node> ops{GenOp(s, only)};
  if (Chance(40)) ops.push_back(GenOp(s, TxMix{}));
  return Node::Vector(std::move(ops));
}

int64_t GenNow(const Model& m) {
  const int64_t base = std::max(m.last_instant(), kClockBase);
  return base + Pick<int64_t>({1000, 1000, 1000, 0, 1, -3000});
}

// ---- invented entity ids (issue 17, transaction semantics) ----------------
// Kept apart from the generators above: an id the transactor never handed
// out, in some partition (the db partition, :db.part/tx or :db.part/user
// beyond the t counter, or a partition that does not exist), named in
// some position: the entity of an assertion, retraction, cas or
// retractEntity, a map's :db/id (alone or with attributes), a ref value,
// or {:db/id id} nested under a ref attribute. Datomic refuses every one
// (:db.error/invalid-entity-id), whatever else the transaction holds.

edn::Node GenInventedId(const Model& m) {
  const T beyond = m.next_t() + static_cast<T>(Pick<int>({0, 1, 7, 1000, 1 << 20}));
  switch (Uniform(0, 5)) {
    case 0: return Node::Long(static_cast<int64_t>(MakeEntityId(kPartDb, beyond)));
    case 1: return Node::Long(static_cast<int64_t>(MakeEntityId(kPartTx, beyond)));
    case 2: return Node::Long(static_cast<int64_t>(MakeEntityId(kPartUser, beyond)));
    case 3: return Node::Long(12345678 + static_cast<int64_t>(m.next_t()));  // the example, db partition
    default: {
      // A partition strata does not have, with a t that was handed out.
      const uint64_t part = Pick<uint64_t>({1, 2, 5, 9, 1 << 10});
      return Node::Long(static_cast<int64_t>(MakeEntityId(part, static_cast<T>(Uniform(0, 2000)))));
    }
  }
}

edn::Node GenInventedIdTx(const Model& m) {
  Snapshot s(m);
  std::vector<Node> ops;
  const int n = Uniform(0, 3);
  for (int i = 0; i < n; ++i) ops.push_back(GenOp(s, TxMix{}));
  const Node e = GenInventedId(m);
  const ModelAttr* a = Pick(s.attrs);
  auto refs = s.Where(IsRefAttr);
  auto ones = s.Where(IsCardOne);
  Node bad;
  switch (Uniform(0, 8)) {
    case 0: bad = Vec({Kw("db/add"), e, Kw(a->ident), GenValue(s, *a, false, 0)}); break;
    case 1: bad = Vec({Kw("db/retract"), e, Kw(a->ident), GenValue(s, *a, false, 0)}); break;
    case 2: bad = Node::Map({Kw("db/id"), e, Kw(a->ident), GenValue(s, *a, false, 0)}); break;
    case 3: bad = Node::Map({Kw("db/id"), e}); break;
    case 4: bad = Vec({Kw("db/retractEntity"), e}); break;
    case 5: {
      const ModelAttr* o = ones.empty() ? a : Pick(ones);
      bad = Vec({Kw("db/cas"), e, Kw(o->ident), GenValue(s, *o, false, 0), GenValue(s, *o, false, 0)});
      break;
    }
    case 6:
      if (refs.empty()) {
        bad = Vec({Kw("db/add"), e, Kw(a->ident), GenValue(s, *a, false, 0)});
      } else {
        bad = Vec({Kw("db/add"), GenEntity(s), Kw(Pick(refs)->ident), e});
      }
      break;
    default:
      if (refs.empty()) {
        bad = Node::Map({Kw("db/id"), e});
      } else {
        bad = Node::Map({Kw(Pick(refs)->ident), Node::Map({Kw("db/id"), e})});
      }
      break;
  }
  ops.insert(ops.begin() + static_cast<long>(static_cast<size_t>(Uniform(0, static_cast<int>(ops.size()) + 1))),
             std::move(bad));
  return Node::Vector(std::move(ops));
}

}  // namespace strata::props
