// Query values: order, hashing, EDN conversion and entity resolution.
#include "val.h"

#include <algorithm>

namespace strata::query {

Val Val::Set(std::vector<Val> xs) {
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  Val t = Tuple(std::move(xs));
  t.coll = Coll::kSet;
  return t;
}

Val Val::Map(const std::vector<Val>& kvs) {
  std::vector<std::pair<Val, Val>> pairs;
  for (size_t i = 0; i + 1 < kvs.size(); i += 2) pairs.emplace_back(kvs[i], kvs[i + 1]);
  // Sorted by key, stably, so of equal keys the last written comes last.
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<Val> flat;
  flat.reserve(2 * pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i + 1 < pairs.size() && pairs[i + 1].first == pairs[i].first) continue;
    flat.push_back(std::move(pairs[i].first));
    flat.push_back(std::move(pairs[i].second));
  }
  Val t = Tuple(std::move(flat));
  t.coll = Coll::kMap;
  return t;
}

std::vector<Val> Val::Elements() const {
  if (!tuple) return {};
  if (coll != Coll::kMap) return *tuple;
  std::vector<Val> out;
  for (size_t i = 0; i + 1 < tuple->size(); i += 2) out.push_back(Tuple({(*tuple)[i], (*tuple)[i + 1]}));
  return out;
}

Val Val::FromTupleValue(const Value& x) {
  std::vector<Val> xs;
  for (Value& item : x.tuple_items()) xs.push_back(Val(std::move(item)));
  return Tuple(std::move(xs));
}

bool CollEquals(const Val& a, const Val& b) {
  if (!a.tuple || !b.tuple || a.coll != b.coll) return false;
  if (a.tuple == b.tuple) return true;
  return *a.tuple == *b.tuple;
}

int Compare(const Val& a, const Val& b) {
  if (!a.tuple && !b.tuple) {
    auto c = a.v <=> b.v;
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (!a.tuple) return -1;
  if (!b.tuple) return 1;
  if (a.coll != b.coll) return a.coll < b.coll ? -1 : 1;
  const auto& x = *a.tuple;
  const auto& y = *b.tuple;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    int c = Compare(x[i], y[i]);
    if (c != 0) return c;
  }
  return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
}

size_t HashColl(const Val& v) {
  size_t h = 0x9e3779b97f4a7c15ull + static_cast<size_t>(v.coll);
  for (const Val& x : *v.tuple) h = (h ^ HashVal(x)) * 0x100000001b3ull;
  return h;
}

namespace {

Result<Val> ToDatomScalar(ValueType t, const edn::Node& n) {
  STRATA_ASSIGN_OR_RETURN(Value v, edn::ToValue(t, n));
  return Val(std::move(v));
}

}  // namespace

Result<Val> FromEdn(const edn::Node& n) {
  switch (n.kind) {
    case edn::Kind::kNil: return Val();
    case edn::Kind::kBool: return Val(Value::Boolean(n.b));
    case edn::Kind::kLong: return Val(Value::Long(n.i));
    case edn::Kind::kDouble: return Val(Value::Double(n.d));
    case edn::Kind::kString: return Val(Value::String(n.s));
    case edn::Kind::kKeyword: return Val(Value::Keyword(n.s));
    case edn::Kind::kInst: return Val(Value::Instant(n.i));
    case edn::Kind::kUuid: return Val(Value::FromUuid(n.uuid));
    case edn::Kind::kBigInt: {
      Value v;
      if (Value::ParseBigInt(n.s, &v)) return Val(std::move(v));
      break;
    }
    case edn::Kind::kBigDec: {
      Value v;
      if (Value::ParseBigDec(n.s, &v)) return Val(std::move(v));
      break;
    }
    case edn::Kind::kTagged:
      if (n.s == "uri") return ToDatomScalar(ValueType::kUri, n);
      if (n.s == "bytes") return ToDatomScalar(ValueType::kBytes, n);
      break;
    case edn::Kind::kVector:
    case edn::Kind::kList:
    case edn::Kind::kSet:
    case edn::Kind::kMap: {
      std::vector<Val> xs;
      xs.reserve(n.items.size());
      for (const edn::Node& item : n.items) {
        STRATA_ASSIGN_OR_RETURN(Val x, FromEdn(item));
        xs.push_back(std::move(x));
      }
      if (n.kind == edn::Kind::kSet) return Val::Set(std::move(xs));
      if (n.kind == edn::Kind::kMap) return Val::Map(xs);
      return Val::Tuple(std::move(xs));
    }
    default: break;
  }
  return Status::InvalidArgument("a query value cannot be a " + std::string(edn::KindName(n.kind)) + ": " +
                                 edn::Print(n));
}

edn::Node ToEdn(const Val& v) {
  if (v.tuple) {
    std::vector<edn::Node> xs;
    xs.reserve(v.tuple->size());
    for (const Val& x : *v.tuple) xs.push_back(ToEdn(x));
    if (v.coll == Val::Coll::kSet) return edn::Node::Set(std::move(xs));
    if (v.coll == Val::Coll::kMap) return edn::Node::Map(std::move(xs));
    return edn::Node::Vector(std::move(xs));
  }
  return edn::FromValue(v.v);
}

std::string Show(const Val& v) { return edn::Print(ToEdn(v)); }

const Attribute* ResolveAttribute(const Database& db, const Val& v) {
  if (v.tuple) return nullptr;
  if (v.v.type() == ValueType::kKeyword) return db.attribute(v.v.str());
  if (v.v.type() == ValueType::kLong) return db.attribute(static_cast<EntityId>(v.v.as_long()));
  return nullptr;
}

Result<std::optional<EntityId>> ResolveEntity(const Database& db, const Val& v) {
  using Id = std::optional<EntityId>;
  if (v.tuple) {
    if (!v.is_vector() || v.tuple->size() != 2) return Id();
    const Attribute* a = ResolveAttribute(db, (*v.tuple)[0]);
    if (a == nullptr || a->unique == Unique::kNone) return Id();
    STRATA_ASSIGN_OR_RETURN(std::optional<Value> value, ToDatomValue(db, *a, (*v.tuple)[1]));
    if (!value) return Id();
    Id found;
    STRATA_RETURN_IF_ERROR(ForEach(db.Datoms(Index::kAvet, {Value::Ref(a->id), *value}), [&](const Datom& d) {
      if (d.added) found = d.e;
      return !found;
    }));
    return found;
  }
  switch (v.v.type()) {
    case ValueType::kLong:
      if (v.v.as_long() < 0) return Id();
      return Id(static_cast<EntityId>(v.v.as_long()));
    case ValueType::kRef: return Id(v.v.ref());
    case ValueType::kKeyword: {
      // An ident resolves through the schema, without reading an index.
      auto e = db.Entid(edn::Node::Keyword(v.v.str()));
      if (!e.ok()) return Id();
      return Id(*e);
    }
    default: return Id();
  }
}

Result<std::optional<Value>> ToDatomValue(const Database& db, const Attribute& a, const Val& v) {
  using V = std::optional<Value>;
  if (a.type == ValueType::kRef) {
    STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, ResolveEntity(db, v));
    if (!e) return V();
    return V(Value::Ref(*e));
  }
  if (a.type == ValueType::kTuple) {
    // Each element as a value of its slot's type (strata/attribute.h).
    if (!v.tuple) return V();
    const std::vector<Val>& xs = *v.tuple;
    const size_t want = a.is_composite() ? a.tuple_attrs.size() : a.tuple_types.size();
    if (xs.size() < 2 || xs.size() > kMaxTupleElements || (want != 0 && xs.size() != want)) return V();
    std::vector<Value> items;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (xs[i].is_nil()) {
        items.emplace_back();
        continue;
      }
      Attribute elem;
      if (a.is_composite()) {
        const Attribute* c = db.attribute(a.tuple_attrs[i]);
        if (c == nullptr) return V();
        elem.type = c->type;
      } else {
        elem.type = a.tuple_types.empty() ? a.tuple_type : a.tuple_types[i];
      }
      STRATA_ASSIGN_OR_RETURN(std::optional<Value> x, ToDatomValue(db, elem, xs[i]));
      if (!x) return V();
      items.push_back(std::move(*x));
    }
    return V(Value::Tuple(items));
  }
  if (v.tuple) return V();
  if (v.v.type() == a.type) return V(v.v);
  if (a.type == ValueType::kFloat && (v.v.type() == ValueType::kDouble || v.v.type() == ValueType::kLong)) {
    const double d = v.v.type() == ValueType::kLong ? static_cast<double>(v.v.as_long()) : v.v.as_double();
    // As a transaction stores it (edn::ToValue): the nearest float.
    return V(Value::Float(static_cast<float>(d)));
  }
  if (a.type == ValueType::kDouble && v.v.type() == ValueType::kLong) {
    return V(Value::Double(static_cast<double>(v.v.as_long())));
  }
  return V();
}

}  // namespace strata::query
