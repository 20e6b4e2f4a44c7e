// model.cc — the reference model: a vector of datoms, folded on demand (the
// transaction rules are in model_tx.cc).
#include "model.h"

#include <algorithm>
#include <tuple>

namespace strata::props {
namespace {

// (e a v) as a map key.
struct Eav {
  EntityId e, a;
  Value v;
  bool operator<(const Eav& o) const {
    if (e != o.e) return e < o.e;
    if (a != o.a) return a < o.a;
    return v < o.v;
  }
};

ValueType TypeNamed(const std::string& ident) {
  static const std::map<std::string, ValueType> kTypes = {
      {"db.type/ref", ValueType::kRef},         {"db.type/keyword", ValueType::kKeyword},
      {"db.type/string", ValueType::kString},   {"db.type/boolean", ValueType::kBoolean},
      {"db.type/long", ValueType::kLong},       {"db.type/double", ValueType::kDouble},
      {"db.type/instant", ValueType::kInstant}, {"db.type/uuid", ValueType::kUuid},
      {"db.type/bigint", ValueType::kBigInt},   {"db.type/bigdec", ValueType::kBigDec},
      {"db.type/float", ValueType::kFloat},     {"db.type/bytes", ValueType::kBytes},
      {"db.type/uri", ValueType::kUri},         {"db.type/symbol", ValueType::kSymbol},
  };
  auto it = kTypes.find(ident);
  return it == kTypes.end() ? ValueType::kNil : it->second;
}

}  // namespace

ModelSchema DeriveSchema(const std::vector<Datom>& current, EntityId ident_attr) {
  ModelSchema s;
  std::map<EntityId, std::string> name_of;
  for (const Datom& d : current) {
    if (d.a == ident_attr && d.v.type() == ValueType::kKeyword) {
      s.idents[d.v.str()] = d.e;
      name_of[d.e] = d.v.str();
    }
  }
  auto id = [&](const char* name) -> EntityId {
    auto it = s.idents.find(name);
    return it == s.idents.end() ? ~EntityId{0} : it->second;
  };
  const EntityId type = id("db/valueType"), card = id("db/cardinality"), uniq = id("db/unique"),
                 index = id("db/index"), comp = id("db/isComponent"), nohist = id("db/noHistory");
  std::map<EntityId, ModelAttr> partial;
  std::set<EntityId> has_type, has_card;
  auto ref_name = [&](const Value& v) -> std::string {
    if (v.type() != ValueType::kRef) return "";
    auto it = name_of.find(v.ref());
    return it == name_of.end() ? "" : it->second;
  };
  for (const Datom& d : current) {
    if (d.a != type && d.a != card && d.a != uniq && d.a != index && d.a != comp && d.a != nohist) continue;
    ModelAttr& at = partial[d.e];
    at.id = d.e;
    if (d.a == type) {
      at.type = TypeNamed(ref_name(d.v));
      if (at.type != ValueType::kNil) has_type.insert(d.e);
    } else if (d.a == card) {
      at.many = ref_name(d.v) == "db.cardinality/many";
      has_card.insert(d.e);
    } else if (d.a == uniq) {
      const std::string u = ref_name(d.v);
      at.unique = u == "db.unique/identity" ? Unique::kIdentity : u == "db.unique/value" ? Unique::kValue : Unique::kNone;
    } else if (d.a == index) {
      at.indexed = d.v.as_bool();
    } else if (d.a == comp) {
      at.component = d.v.as_bool();
    } else if (d.a == nohist) {
      at.no_history = d.v.as_bool();
    }
  }
  for (auto& [e, at] : partial) {
    if (!has_type.count(e) || !has_card.count(e) || !name_of.count(e)) continue;
    at.ident = name_of[e];
    s.attrs[e] = at;
  }
  return s;
}

bool ModelLess(Index order, const Datom& x, const Datom& y) {
  switch (order) {
    case Index::kEavt:
      return std::tie(x.e, x.a, x.v, x.tx, x.added) < std::tie(y.e, y.a, y.v, y.tx, y.added);
    case Index::kAevt:
      return std::tie(x.a, x.e, x.v, x.tx, x.added) < std::tie(y.a, y.e, y.v, y.tx, y.added);
    case Index::kAvet:
      return std::tie(x.a, x.v, x.e, x.tx, x.added) < std::tie(y.a, y.v, y.e, y.tx, y.added);
    case Index::kVaet:
      return std::tie(x.v, x.a, x.e, x.tx, x.added) < std::tie(y.v, y.a, y.e, y.tx, y.added);
  }
  return false;
}

const ModelAttr* ModelSchema::Attr(EntityId a) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? nullptr : &it->second;
}

const ModelAttr* ModelSchema::AttrByIdent(const std::string& ident) const {
  auto it = idents.find(ident);
  return it == idents.end() ? nullptr : Attr(it->second);
}

std::string ViewQuery::ToString() const {
  std::string s = "db";
  if (as_of) s += ".as_of(" + std::to_string(*as_of) + ")";
  if (since) s += ".since(" + std::to_string(*since) + ")";
  if (history) s += ".history";
  return s;
}

SysIds SysIdsOf(const ModelSchema& s) {
  auto id = [&](const char* name) { return s.idents.at(name); };
  return SysIds{id("db/ident"),          id("db/valueType"),        id("db/cardinality"),     id("db/unique"),
                id("db/index"),          id("db/isComponent"),      id("db/noHistory"),       id("db/doc"),
                id("db/txInstant"),      id("db/excise"),           id("db.excise/attrs"),    id("db.excise/before"),
                id("db.excise/beforeT"), id("db.cardinality/one"),  id("db.cardinality/many"), id("db.unique/value"),
                id("db.unique/identity")};
}

// ---- views ----------------------------------------------------------------

std::vector<Datom> Model::View(const ViewQuery& q) const {
  auto in_time = [&](const Datom& d) { return !q.as_of || d.t() <= *q.as_of; };
  auto after_since = [&](const Datom& d) { return !q.since || d.t() > *q.since; };
  std::vector<Datom> out;
  if (q.history) {
    for (const Datom& d : datoms_)
      if (in_time(d) && after_since(d)) out.push_back(d);
  } else {
    // Fold: the latest datom of each (e a v) within as_of decides.
    std::map<Eav, const Datom*> last;
    for (const Datom& d : datoms_) {
      if (!in_time(d)) continue;
      const Datom*& slot = last[Eav{d.e, d.a, d.v}];
      if (slot == nullptr || d.tx > slot->tx) slot = &d;
    }
    for (const auto& [k, d] : last)
      if (d->added && after_since(*d)) out.push_back(*d);
  }
  std::sort(out.begin(), out.end(), [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); });
  return out;
}

std::vector<Datom> Model::Datoms(const ViewQuery& q, Index order) const {
  std::vector<Datom> out;
  for (const Datom& d : View(q)) {
    const ModelAttr* at = schema_.Attr(d.a);
    if (order == Index::kAvet && !(at && at->in_avet())) continue;
    if (order == Index::kVaet && !(at && at->is_ref() && d.v.type() == ValueType::kRef)) continue;
    out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [order](const Datom& x, const Datom& y) { return ModelLess(order, x, y); });
  return out;
}

ModelSchema Model::SchemaAsOf(T t) const {
  ViewQuery q;
  q.as_of = t;
  return DeriveSchema(View(q), schema_.idents.at("db/ident"));
}

std::map<T, std::vector<Datom>> Model::Log() const {
  std::map<T, std::vector<Datom>> out;
  for (T t : ts_) out[t];  // a transaction stays in the log even if excision empties it
  for (const Datom& d : datoms_) out[d.t()].push_back(d);
  for (auto& [t, ds] : out)
    std::sort(ds.begin(), ds.end(), [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); });
  return out;
}

std::map<T, int64_t> Model::instants() const {
  const EntityId tx_instant = schema_.idents.at("db/txInstant");
  std::map<T, int64_t> out;
  for (const Datom& d : datoms_)
    if (d.a == tx_instant && d.added && PartitionOf(d.e) == kPartTx) out[TOf(d.e)] = d.v.instant_ms();
  return out;
}

std::vector<Value> Model::CurrentValues(EntityId e, EntityId a) const {
  std::vector<Value> out;
  for (const Datom& d : View({}))
    if (d.e == e && d.a == a) out.push_back(d.v);
  return out;
}

std::optional<EntityId> Model::EntityWith(EntityId a, const Value& v) const {
  for (const Datom& d : View({}))
    if (d.a == a && d.v == v) return d.e;
  return std::nullopt;
}

Model Model::FromBootstrap(std::vector<Datom> boot) {
  Model m;
  m.datoms_ = std::move(boot);
  m.ts_ = {0};
  m.basis_t_ = 0;
  m.next_t_ = 1000;  // SPEC §1 leaves the first user t to the engine; strata starts at 1000
  for (const Datom& d : m.datoms_)
    if (d.e == TxId(0) && d.v.type() == ValueType::kInstant) m.last_instant_ = d.v.instant_ms();
  m.Rebuild();
  return m;
}

void Model::Rebuild() {
  // :db/ident is the attribute that names itself.
  EntityId ident_attr = 0;
  for (const Datom& d : datoms_)
    if (d.added && d.e == d.a && d.v.type() == ValueType::kKeyword && d.v.str() == "db/ident") ident_attr = d.e;
  schema_ = DeriveSchema(View({}), ident_attr);
  for (const auto& [id, at] : schema_.attrs)
    if (at.no_history) ever_no_history_.insert(id);
}

// ---- transactions -----------------------------------------------------------

// What one [x :db/excise target] request of transaction t removes (SPEC §7):
// the target's datoms before t (or before the given t or instant), limited
// to the listed attributes.
ExciseSpec ExcisionOf(const Model& m, const SysIds& sys, T t, const Datom& request, const std::vector<Datom>& tx_datoms) {
  ExciseSpec spec;
  spec.target = request.v.ref();
  spec.limit = t;
  for (const Datom& d : tx_datoms) {
    if (d.e != request.e || !d.added) continue;
    if (d.a == sys.excise_attrs) spec.attrs.insert(d.v.ref());
    if (d.a == sys.excise_before_t) spec.limit = std::min<T>(spec.limit, static_cast<T>(std::max<int64_t>(0, d.v.as_long())));
    if (d.a == sys.excise_before) {
      for (const auto& [tt, ms] : m.instants())
        if (ms >= d.v.instant_ms()) {
          spec.limit = std::min(spec.limit, tt);
          break;
        }
    }
  }
  return spec;
}

// Interprets one transaction against the model's current state (SPEC §3).
TxOutcome Model::Predict(const edn::Node& tx, int64_t now_ms) const { return Interpret(*this, tx, now_ms); }

TxOutcome Model::Transact(const edn::Node& tx, int64_t now_ms) {
  TxOutcome out = Predict(tx, now_ms);
  if (!out.ok) return out;
  const SysIds sys = SysIdsOf(schema_);
  const T t = out.t;
  datoms_.insert(datoms_.end(), out.datoms.begin(), out.datoms.end());
  ts_.push_back(t);
  basis_t_ = t;
  next_t_ = t + 1 + out.new_entities.size();
  for (const Datom& d : out.datoms)
    if (d.e == TxId(t) && d.a == sys.tx_instant && d.added) last_instant_ = d.v.instant_ms();
  for (EntityId e : out.new_entities)
    if (PartitionOf(e) == kPartUser) user_entities_.push_back(e);
  if (out.excises) {
    for (const Datom& req : out.datoms) {
      if (req.a != sys.excise || !req.added) continue;
      const ExciseSpec spec = ExcisionOf(*this, sys, t, req, out.datoms);
      const size_t before = datoms_.size();
      std::erase_if(datoms_, [&](const Datom& d) { return spec.Matches(d); });
      excised_ += before - datoms_.size();
    }
  }
  Rebuild();
  return out;
}

}  // namespace strata::props
