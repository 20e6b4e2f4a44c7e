// tuples.cc — tuple values in transactions: coercion of a tuple to its
// attribute's element types, the checks of a tuple attribute's definition,
// and the composite tuples (:db/tupleAttrs) the transactor maintains.
//
// Datomic (docs.datomic.com/schema/schema-reference.html#tuples): a tuple
// has 2 to 8 elements; a homogeneous tuple (:db/tupleType) any number of
// elements of one type, a heterogeneous one (:db/tupleTypes) one element
// per type, a composite one (:db/tupleAttrs) one element per attribute,
// taken from the entity's values of those attributes, nil where it has none.
// Composite attributes are entirely managed by the transactor: a user may
// name one in a transaction only with the value its components will give
// (which is how an upsert or a lookup ref by a composite is written).

#include <algorithm>
#include <set>

#include "tx/builder.h"

namespace strata {

namespace {

std::string TupleKinds() { return ":db/tupleType, :db/tupleTypes or :db/tupleAttrs"; }

}  // namespace

Result<Value> CoerceTuple(const DbState& s, const Attribute& attr, const edn::Node& v) {
  using tx_internal::Kw;
  using tx_internal::Show;
  if (v.kind != edn::Kind::kVector) {
    return Status::InvalidArgument("value of the wrong type for " + Kw(attr) + " (expects tuple, a vector): got " +
                                   edn::KindName(v.kind) + " " + Show(v));
  }
  const size_t n = v.items.size();
  if (n < 2 || n > kMaxTupleElements) {
    return Status::InvalidArgument("a tuple has 2 to " + std::to_string(kMaxTupleElements) + " elements: " +
                                   std::to_string(n) + " in " + Show(v) + " for " + Kw(attr));
  }
  size_t want = 0;  // 0: any length (homogeneous)
  if (attr.is_composite()) want = attr.tuple_attrs.size();
  else if (!attr.tuple_types.empty()) want = attr.tuple_types.size();
  else if (attr.tuple_type == ValueType::kNil) return Status::InvalidArgument(Kw(attr) + " has no " + TupleKinds());
  if (want != 0 && n != want) {
    return Status::InvalidArgument(Kw(attr) + " takes tuples of " + std::to_string(want) + " elements: got " +
                                   std::to_string(n) + " in " + Show(v));
  }
  std::vector<Value> items;
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    const edn::Node& x = v.items[i];
    if (x.kind == edn::Kind::kNil) {  // nil: the lowest value, in any slot
      items.emplace_back();
      continue;
    }
    Attribute elem;  // the element's type, under the tuple attribute's name
    elem.id = attr.id;
    elem.ident = attr.ident;
    if (attr.is_composite()) {
      const Attribute* c = s.schema->Attr(attr.tuple_attrs[i]);
      if (c == nullptr) return Status::InvalidArgument(Kw(attr) + " names an attribute that does not exist");
      elem.type = c->type;
      elem.ident = c->ident;
    } else {
      elem.type = attr.tuple_types.empty() ? attr.tuple_type : attr.tuple_types[i];
    }
    STRATA_ASSIGN_OR_RETURN(Value ev, CoerceValue(s, elem, x));
    bytes += ev.str().size() + 16;
    items.push_back(std::move(ev));
  }
  if (bytes > kMaxValueBytes) {
    return Status::InvalidArgument("tuple for " + Kw(attr) + " is over the " + std::to_string(kMaxValueBytes) +
                                   "-byte (64 MiB) value limit");
  }
  return Value::Tuple(items);
}

namespace tx_internal {

bool IsTupleValue(const Attribute& at, const edn::Node& v) {
  if (at.type != ValueType::kTuple || v.kind != edn::Kind::kVector) return false;
  if (!at.many) return true;
  return !std::all_of(v.items.begin(), v.items.end(), [](const edn::Node& x) { return x.kind == edn::Kind::kVector; }) ||
         v.items.empty();
}

Status CheckTupleSchema(const Schema& schema, const Attribute& now, const Attribute* was) {
  const std::string name = ":" + now.ident;
  const int kinds = (now.tuple_type != ValueType::kNil) + !now.tuple_types.empty() + now.is_composite();
  if (now.type != ValueType::kTuple) {
    if (kinds != 0)
      return Status::InvalidArgument(TupleKinds() + " need :db/valueType :db.type/tuple: " + name);
    return Status::OK();
  }
  if (kinds != 1) {
    return Status::InvalidArgument("tuple attribute " + name + " needs exactly one of " + TupleKinds());
  }
  auto scalar = [](ValueType t) {
    return (t >= ValueType::kRef && t <= ValueType::kUuid) || (t >= ValueType::kBigInt && t <= ValueType::kSymbol);
  };
  auto bad_count = [&](size_t n, const char* what) {
    return n < 2 || n > kMaxTupleElements
               ? Status::InvalidArgument(std::string(what) + " of " + name + " must name 2 to " +
                                         std::to_string(kMaxTupleElements) + ", not " + std::to_string(n))
               : Status::OK();
  };
  if (!now.tuple_types.empty()) {
    STRATA_RETURN_IF_ERROR(bad_count(now.tuple_types.size(), ":db/tupleTypes"));
    for (ValueType t : now.tuple_types)
      if (!scalar(t)) return Status::InvalidArgument(":db/tupleTypes of " + name + " names a type that is not a scalar value type");
  } else if (!now.is_composite()) {
    if (!scalar(now.tuple_type))
      return Status::InvalidArgument(":db/tupleType of " + name + " names a type that is not a scalar value type");
  } else {
    STRATA_RETURN_IF_ERROR(bad_count(now.tuple_attrs.size(), ":db/tupleAttrs"));
    if (now.many) return Status::InvalidArgument("composite tuple " + name + " must have cardinality one");
    std::set<EntityId> seen;
    for (EntityId c : now.tuple_attrs) {
      const Attribute* at = c == 0 ? nullptr : schema.Attr(c);
      if (at == nullptr) return Status::InvalidArgument(":db/tupleAttrs of " + name + " names an attribute that does not exist");
      if (at->many || at->type == ValueType::kTuple) {
        return Status::InvalidArgument(":db/tupleAttrs of " + name + " names :" + at->ident +
                                       ", which is " + (at->many ? "cardinality many" : "a tuple"));
      }
      if (!seen.insert(c).second) return Status::InvalidArgument(":db/tupleAttrs of " + name + " names :" + at->ident + " twice");
    }
  }
  if (was != nullptr && (was->tuple_type != now.tuple_type || was->tuple_types != now.tuple_types ||
                         was->tuple_attrs != now.tuple_attrs)) {
    return Status::InvalidArgument("cannot alter the tuple definition of " + name);
  }
  return Status::OK();
}

// For every entity whose component values the transaction changes, the
// composite's value after it: asserted (replacing the old one through the
// usual cardinality-one retraction), or retracted when every component is
// gone. A user's own assertion of a composite must equal that value; a
// user's retraction of one is refused.
Status Builder::AddCompositeTuples(Changes* ch) {
  if (s_.schema->composites().empty()) return Status::OK();
  std::vector<const Attribute*> composites;
  for (EntityId id : s_.schema->composites()) composites.push_back(s_.schema->Attr(id));

  for (const auto& [k, p] : ch->retracts) {
    if (p.attr->is_composite() && p.op->kind != Op::kRetractEntity) {
      return Status::InvalidArgument("composite tuple " + Kw(*p.attr) +
                                     " is maintained by the transactor and cannot be retracted: " + Show(*p.op->src));
    }
  }
  // (entity, composite) pairs to recompute, with an operation to blame.
  std::map<std::pair<EntityId, const Attribute*>, const Op*> touched;
  auto note = [&](const EavKey& k, const Pending& p) {
    if (ch->retracted_entities.count(k.e)) return;
    for (const Attribute* c : composites) {
      if (c == p.attr) touched.emplace(std::pair{k.e, c}, p.op);
      else if (std::find(c->tuple_attrs.begin(), c->tuple_attrs.end(), k.a) != c->tuple_attrs.end())
        touched.emplace(std::pair{k.e, c}, p.op);
    }
  };
  for (const auto& [k, p] : ch->asserts) note(k, p);
  for (const auto& [k, p] : ch->retracts) note(k, p);

  for (const auto& [key, op] : touched) {
    const auto [e, c] = key;
    std::vector<Value> items;
    bool any = false;
    for (EntityId a : c->tuple_attrs) {
      std::optional<Value> v;
      // An assertion wins (cardinality one); else a current value not retracted.
      auto [lo, hi] = ch->asserts.Range(e, a);
      if (lo != hi) v = lo->k.v;
      if (!v && !IsNew(e)) {
        STRATA_ASSIGN_OR_RETURN(std::vector<Value> cur, cur_.Values(e, a));
        for (Value& x : cur)
          if (!ch->retracts.Contains(EavKey{e, a, x})) v = std::move(x);
      }
      any |= v.has_value();
      items.push_back(v ? std::move(*v) : Value());
    }
    const Value tuple = Value::Tuple(items);
    // What the user asserted of the composite itself, if anything.
    // (Composites added below are sealed after the loop: no lookup here
    // sees them, and none needs to, since no composite is part of another.)
    for (auto [it, hi] = ch->asserts.Range(e, c->id); it != hi; ++it) {
      if (any && it->k.v == tuple) continue;
      return Status::InvalidArgument("composite tuple " + Kw(*c) + " is maintained by the transactor: " +
                                     ShowDatom(s_, e, *c, it->k.v) + " does not match its attributes' values " +
                                     ShowDatom(s_, e, *c, tuple) + ", in " + Show(*it->p.op->src));
    }
    if (any) {
      ch->asserts.Add(e, c->id, Value(tuple), Pending{c, op});
    } else if (!IsNew(e)) {
      STRATA_ASSIGN_OR_RETURN(std::vector<Value> cur, cur_.Values(e, c->id));
      for (Value& x : cur) ch->retracts.Add(e, c->id, std::move(x), Pending{c, op});
    }
  }
  ch->asserts.Seal();
  ch->retracts.Seal();
  return Status::OK();
}

}  // namespace tx_internal
}  // namespace strata
