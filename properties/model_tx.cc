// model_tx.cc — the model's transaction rules: SPEC §3 transcribed, from the
// EDN of a transaction to its verdict and datoms (see model.h, and "Model
// rules" in docs/testing.md where the SPEC is silent).
#include <algorithm>
#include <map>
#include <set>

#include "model.h"

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

std::string Show(const edn::Node& n) {
  std::string s = edn::Print(n);
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

}  // namespace

class TxInterpreter {
 public:
  TxInterpreter(const Model& m, int64_t now) : m_(m), s_(m.schema_), sys_(SysIdsOf(m.schema_)), now_(now) {
    cur_ = m.View({});
    t_ = m.next_t_;
    tx_ = TxId(t_);
  }

  TxOutcome Run(const edn::Node& tx);

 private:
  // An entity position: an id, or a tempid.
  struct EPos {
    bool temp = false;
    std::string key;
    EntityId id = 0;
  };
  struct Op {
    enum Kind { kAdd, kRetract, kRetractAttr, kRetractEntity, kCas } kind = kAdd;
    EPos e;
    const ModelAttr* attr = nullptr;
    EPos vref;  // ref attributes
    Value v;    // other attributes
    bool cas_nil = false;
    Value cas_old;
  };
  struct Temp {
    bool entity_position = false;
    bool installs = false;  // asserts :db/valueType: a new attribute, db partition
    bool user = true;       // named by the user (reported in tempids)
  };

  bool Fail(const std::string& why) {
    if (why_.empty()) why_ = why;
    return false;
  }
  // ---- current state (db-before)
  std::vector<Value> CurVals(EntityId e, EntityId a) const {
    std::vector<Value> out;
    for (const Datom& d : cur_)
      if (d.e == e && d.a == a) out.push_back(d.v);
    return out;
  }
  bool IsCur(EntityId e, EntityId a, const Value& v) const {
    for (const Datom& d : cur_)
      if (d.e == e && d.a == a && d.v == v) return true;
    return false;
  }
  std::optional<EntityId> Holder(EntityId a, const Value& v) const {
    for (const Datom& d : cur_)
      if (d.a == a && d.v == v) return d.e;
    return std::nullopt;
  }

  void NoteTemp(const std::string& key, bool entity_position) {
    auto [it, inserted] = temps_.try_emplace(key);
    if (inserted) order_.push_back(key);
    if (entity_position) it->second.entity_position = true;
  }
  EPos AutoTemp() {
    EPos p;
    p.temp = true;
    p.key = "\x01" + std::to_string(++auto_);
    NoteTemp(p.key, true);
    temps_[p.key].user = false;
    return p;
  }

  bool IsLookupRefShape(const edn::Node& n) const {
    if (n.kind != edn::Kind::kVector || n.items.size() != 2) return false;
    const edn::Node& a = n.items[0];
    if (a.kind == edn::Kind::kKeyword) {
      const ModelAttr* at = s_.AttrByIdent(a.s);
      return at && at->unique != Unique::kNone;
    }
    return a.kind == edn::Kind::kLong && s_.Attr(static_cast<EntityId>(a.i)) != nullptr;
  }
  bool ResolveAttr(const edn::Node& n, const ModelAttr** out) {
    const ModelAttr* at = nullptr;
    if (n.kind == edn::Kind::kKeyword) at = s_.AttrByIdent(n.s);
    else if (n.kind == edn::Kind::kLong) at = s_.Attr(static_cast<EntityId>(n.i));
    if (!at) return Fail("unknown attribute " + Show(n));
    *out = at;
    return true;
  }
  // An existing entity named by id, ident or lookup ref (no tempids).
  bool Existing(const edn::Node& n, EntityId* out) {
    switch (n.kind) {
      case edn::Kind::kLong:
        if (n.i < 0) return Fail("not an entity id: " + Show(n));
        *out = static_cast<EntityId>(n.i);
        return true;
      case edn::Kind::kKeyword: {
        auto it = s_.idents.find(n.s);
        if (it == s_.idents.end()) return Fail("unknown ident " + Show(n));
        *out = it->second;
        return true;
      }
      case edn::Kind::kVector: {
        if (n.items.size() != 2) return Fail("malformed lookup ref " + Show(n));
        const ModelAttr* at;
        if (!ResolveAttr(n.items[0], &at)) return false;
        if (at->unique == Unique::kNone) return Fail("lookup ref on a non-unique attribute " + Show(n));
        Value v;
        if (!Coerce(*at, n.items[1], &v)) return false;
        auto h = Holder(at->id, v);
        if (!h) return Fail("lookup ref matches nothing: " + Show(n));
        *out = *h;
        return true;
      }
      default:
        return Fail("not an entity identifier: " + Show(n));
    }
  }
  bool Coerce(const ModelAttr& at, const edn::Node& n, Value* out) {
    const bool ok = [&] {
      switch (at.type) {
        case ValueType::kRef: {
          if (n.kind == edn::Kind::kMap || n.kind == edn::Kind::kString) return false;
          EntityId e;
          if (!Existing(n, &e)) return false;
          *out = Value::Ref(e);
          return true;
        }
        case ValueType::kKeyword:
          if (n.kind != edn::Kind::kKeyword) return false;
          *out = Value::Keyword(n.s);
          return true;
        case ValueType::kString:
          if (n.kind != edn::Kind::kString) return false;
          *out = Value::String(n.s);
          return true;
        case ValueType::kBoolean:
          if (n.kind != edn::Kind::kBool) return false;
          *out = Value::Boolean(n.b);
          return true;
        case ValueType::kLong:
          if (n.kind != edn::Kind::kLong) return false;
          *out = Value::Long(n.i);
          return true;
        case ValueType::kDouble:
          if (n.kind == edn::Kind::kDouble) *out = Value::Double(n.d);
          else if (n.kind == edn::Kind::kLong) *out = Value::Double(static_cast<double>(n.i));
          else return false;
          return true;
        case ValueType::kInstant:
          if (n.kind != edn::Kind::kInst) return false;
          *out = Value::Instant(n.i);
          return true;
        case ValueType::kUuid:
          if (n.kind != edn::Kind::kUuid) return false;
          *out = Value::FromUuid(n.uuid);
          return true;
        // The EDN forms of format version 2's types (strata/edn.h ToValue,
        // shared with the engine: the model checks transaction semantics,
        // not the spelling of a bigint).
        case ValueType::kBigInt:
        case ValueType::kBigDec:
        case ValueType::kFloat:
        case ValueType::kBytes:
        case ValueType::kUri:
        case ValueType::kSymbol: {
          Result<Value> v = edn::ToValue(at.type, n);
          if (!v.ok()) return false;
          *out = std::move(*v);
          return true;
        }
        case ValueType::kTuple:  // not generated (no tuple attributes in the model)
        case ValueType::kNil: break;
      }
      return false;
    }();
    if (!ok) return Fail("wrong value for :" + at.ident + ": " + Show(n));
    return true;
  }
  bool EntityPos(const edn::Node& n, bool value_position, EPos* out) {
    if (n.kind == edn::Kind::kString || (n.kind == edn::Kind::kLong && n.i < 0)) {
      out->temp = true;
      out->key = n.kind == edn::Kind::kString ? n.s : std::to_string(n.i);
      NoteTemp(out->key, !value_position);
      return true;
    }
    EntityId e;
    if (!Existing(n, &e)) return false;
    // An id must have been handed out already, in a partition that exists
    // (Datomic's :db.error/invalid-entity-id; the db partition included).
    const uint64_t part = PartitionOf(e);
    if (n.kind == edn::Kind::kLong &&
        ((part != kPartDb && part != kPartTx && part != kPartUser) || TOf(e) >= m_.next_t_))
      return Fail("invalid entity id: " + Show(n));
    out->id = e;
    return true;
  }
  bool AddValue(Op op, const edn::Node& v) {
    if (op.attr->is_ref()) {
      if (!EntityPos(v, true, &op.vref)) return false;
    } else if (!Coerce(*op.attr, v, &op.v)) {
      return false;
    }
    ops_.push_back(std::move(op));
    return true;
  }
  bool AddAssertion(const EPos& e, const ModelAttr& at, const edn::Node& v) {
    Op op;
    op.e = e;
    op.attr = &at;
    if (at.is_ref() && v.kind == edn::Kind::kMap) {
      if (!ExpandMap(v, &op.vref)) return false;
      ops_.push_back(std::move(op));
      return true;
    }
    if (at.id == sys_.value_type && e.temp) temps_[e.key].installs = true;
    return AddValue(std::move(op), v);
  }
  bool ExpandMap(const edn::Node& m, EPos* self_out);
  bool AddOp(const edn::Node& n);
  bool Resolve(const EPos& p, EntityId* out) const {
    if (!p.temp) {
      *out = p.id;
      return true;
    }
    auto it = resolved_.find(p.key);
    if (it == resolved_.end()) return false;
    *out = it->second;
    return true;
  }
  bool ValueOf(const Op& op, Value* out) const {
    if (!op.attr->is_ref()) {
      *out = op.v;
      return true;
    }
    EntityId id;
    if (!Resolve(op.vref, &id)) return false;
    *out = Value::Ref(id);
    return true;
  }
  bool ResolveTempids();
  bool CheckSchema(const std::vector<Datom>& datoms);
  ExciseSpec SpecOf(const Datom& request, const std::vector<Datom>& tx_datoms) const {
    return ExcisionOf(m_, sys_, t_, request, tx_datoms);
  }

  const Model& m_;
  const ModelSchema& s_;
  const SysIds sys_;
  const int64_t now_;
  std::vector<Datom> cur_;
  T t_;
  EntityId tx_;
  std::string why_;
  std::vector<Op> ops_;
  std::vector<std::string> order_;  // tempids by first mention
  std::map<std::string, Temp> temps_;
  std::map<std::string, EntityId> resolved_;
  std::set<EntityId> new_;
  std::vector<EntityId> new_order_;
  int auto_ = 0;
};

bool TxInterpreter::ExpandMap(const edn::Node& m, EPos* self_out) {
  EPos self;
  if (const edn::Node* id = m.Get("db/id")) {
    // {:db/id x} alone, nested under a ref attribute, is a reference to x.
    if (!EntityPos(*id, m.items.size() == 2, &self)) return false;
  } else {
    self = AutoTemp();
  }
  for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
    const edn::Node& k = m.items[i];
    const edn::Node& v = m.items[i + 1];
    if (k.is_keyword("db/id")) continue;
    if (k.kind != edn::Kind::kKeyword) return Fail("map key is not a keyword: " + Show(k));
    const size_t slash = k.s.find('/');
    const size_t name_at = slash == std::string::npos ? 0 : slash + 1;
    if (k.s.compare(name_at, 1, "_") == 0 && !s_.AttrByIdent(k.s)) {
      // Reverse key :ns/_name or :_name: [other :ns/name self] for each target.
      const std::string fwd = k.s.substr(0, name_at) + k.s.substr(name_at + 1);
      const ModelAttr* at = s_.AttrByIdent(fwd);
      if (!at) return Fail("unknown attribute :" + fwd);
      if (!at->is_ref()) return Fail("reverse key on a non-ref attribute " + Show(k));
      std::vector<const edn::Node*> targets;
      if ((v.kind == edn::Kind::kVector && !IsLookupRefShape(v)) || v.kind == edn::Kind::kSet ||
          v.kind == edn::Kind::kList) {
        for (const auto& x : v.items) targets.push_back(&x);
      } else {
        targets.push_back(&v);
      }
      for (const edn::Node* x : targets) {
        Op op;
        op.attr = at;
        op.vref = self;
        if (x->kind == edn::Kind::kMap) {
          if (!ExpandMap(*x, &op.e)) return false;
          if (op.e.temp) NoteTemp(op.e.key, true);
        } else if (!EntityPos(*x, false, &op.e)) {
          return false;
        }
        ops_.push_back(std::move(op));
      }
      continue;
    }
    const ModelAttr* at = s_.AttrByIdent(k.s);
    if (!at) return Fail("unknown attribute " + Show(k));
    const bool coll = v.kind == edn::Kind::kSet || v.kind == edn::Kind::kList ||
                      (v.kind == edn::Kind::kVector && !(at->is_ref() && IsLookupRefShape(v)));
    if (coll) {
      if (!at->many) return Fail("a collection for cardinality-one :" + at->ident);
      for (const auto& x : v.items)
        if (!AddAssertion(self, *at, x)) return false;
    } else if (!AddAssertion(self, *at, v)) {
      return false;
    }
  }
  *self_out = self;
  return true;
}

bool TxInterpreter::AddOp(const edn::Node& n) {
  if (n.kind == edn::Kind::kMap) {
    // A map of :db/id alone asserts nothing (a given id must still exist).
    const edn::Node* id = n.Get("db/id");
    if (id && n.items.size() == 2) {
      if (id->kind == edn::Kind::kString || (id->kind == edn::Kind::kLong && id->i < 0) ||
          id->kind == edn::Kind::kTagged)
        return true;
      EPos ignored;
      return EntityPos(*id, true, &ignored);
    }
    EPos ignored;
    return ExpandMap(n, &ignored);
  }
  if (!n.is_seq() || n.items.empty() || n.items[0].kind != edn::Kind::kKeyword)
    return Fail("not an operation: " + Show(n));
  const std::string& name = n.items[0].s;
  const auto& it = n.items;
  auto arity = [&](size_t lo, size_t hi) { return it.size() >= lo && it.size() <= hi ? true : Fail("arity: " + Show(n)); };
  if (name == "db/add" || name == "db/retract") {
    if (!(name == "db/add" ? arity(4, 4) : arity(3, 4))) return false;
    Op op;
    if (!EntityPos(it[1], false, &op.e) || !ResolveAttr(it[2], &op.attr)) return false;
    if (name == "db/add") {
      op.kind = Op::kAdd;
      if (op.attr->id == sys_.value_type && op.e.temp) temps_[op.e.key].installs = true;
      return AddValue(std::move(op), it[3]);
    }
    if (op.e.temp) return Fail("retract from a tempid: " + Show(n));
    if (it.size() == 3) {
      op.kind = Op::kRetractAttr;
      ops_.push_back(std::move(op));
      return true;
    }
    op.kind = Op::kRetract;
    return AddValue(std::move(op), it[3]);
  }
  if (name == "db/retractEntity" || name == "db.fn/retractEntity") {
    if (!arity(2, 2)) return false;
    Op op;
    op.kind = Op::kRetractEntity;
    if (!EntityPos(it[1], false, &op.e)) return false;
    if (op.e.temp) return Fail("retractEntity of a tempid: " + Show(n));
    ops_.push_back(std::move(op));
    return true;
  }
  if (name == "db/cas" || name == "db.fn/cas") {
    if (!arity(5, 5)) return false;
    Op op;
    op.kind = Op::kCas;
    if (!EntityPos(it[1], false, &op.e)) return false;
    if (op.e.temp) return Fail("cas on a tempid: " + Show(n));
    if (!ResolveAttr(it[2], &op.attr)) return false;
    if (op.attr->many) return Fail("cas on a cardinality-many attribute: " + Show(n));
    if (it[3].kind == edn::Kind::kNil) op.cas_nil = true;
    else if (!Coerce(*op.attr, it[3], &op.cas_old)) return false;
    return AddValue(std::move(op), it[4]);
  }
  if (name == "db/excise") {
    if (!arity(2, 4)) return false;
    EPos target;
    if (!EntityPos(it[1], false, &target)) return false;
    if (target.temp) return Fail("excise of a tempid: " + Show(n));
    std::vector<edn::Node> kvs{edn::Node::Keyword("db/excise"), edn::Node::Long(static_cast<int64_t>(target.id))};
    if (it.size() >= 3) {
      if (!it[2].is_seq()) return Fail("excise attributes must be a vector: " + Show(n));
      kvs.push_back(edn::Node::Keyword("db.excise/attrs"));
      kvs.push_back(edn::Node::Vector(it[2].items));
    }
    if (it.size() == 4) {
      if (it[3].kind == edn::Kind::kInst) kvs.push_back(edn::Node::Keyword("db.excise/before"));
      else if (it[3].kind == edn::Kind::kLong) kvs.push_back(edn::Node::Keyword("db.excise/beforeT"));
      else return Fail("excise before must be a t or an instant: " + Show(n));
      kvs.push_back(it[3]);
    }
    EPos ignored;
    return ExpandMap(edn::Node::Map(std::move(kvs)), &ignored);
  }
  return Fail("unknown operation :" + name);
}

bool TxInterpreter::ResolveTempids() {
  for (const auto& key : order_)
    if (key != "datomic.tx" && !temps_[key].entity_position)
      return Fail("tempid \"" + key + "\" is used only in value position");
  resolved_["datomic.tx"] = tx_;
  // Upsert: a tempid asserting a :db.unique/identity value that exists is
  // that entity; repeat while resolutions enable more.
  for (bool progress = true; progress;) {
    progress = false;
    for (const Op& op : ops_) {
      if (op.kind != Op::kAdd || !op.e.temp || op.attr->unique != Unique::kIdentity) continue;
      Value v;
      if (!ValueOf(op, &v)) continue;
      auto holder = Holder(op.attr->id, v);
      if (!holder) continue;
      auto [it, inserted] = resolved_.try_emplace(op.e.key, *holder);
      if (inserted) progress = true;
      else if (it->second != *holder) return Fail("tempid \"" + op.e.key + "\" upserts to two entities");
    }
  }
  // Tempids asserting the same new identity value are one entity, named by
  // the first mentioned of them.
  std::map<std::string, size_t> pos;
  for (size_t i = 0; i < order_.size(); ++i) pos[order_[i]] = i;
  std::map<std::string, std::string> parent;
  auto rep = [&](std::string k) {
    while (parent.count(k)) k = parent[k];
    return k;
  };
  std::map<std::pair<EntityId, Value>, std::string> first_with;
  for (const Op& op : ops_) {
    if (op.kind != Op::kAdd || !op.e.temp || op.attr->unique != Unique::kIdentity || resolved_.count(op.e.key))
      continue;
    Value v;
    if (!ValueOf(op, &v)) continue;
    auto [it, inserted] = first_with.try_emplace({op.attr->id, v}, op.e.key);
    if (inserted) continue;
    std::string a = rep(it->second), b = rep(op.e.key);
    if (a == b) continue;
    if (pos[b] < pos[a]) std::swap(a, b);
    parent[b] = a;
  }
  // The rest are new entities, taking the t values after the transaction's
  // own, in order of first mention.
  T next = t_ + 1;
  for (const auto& key : order_) {
    if (resolved_.count(key)) continue;
    if (const std::string r = rep(key); r != key) {
      resolved_[key] = resolved_.at(r);
      continue;
    }
    const EntityId id = MakeEntityId(temps_[key].installs ? kPartDb : kPartUser, next++);
    resolved_[key] = id;
    new_.insert(id);
    new_order_.push_back(id);
  }
  return true;
}

bool TxInterpreter::CheckSchema(const std::vector<Datom>& datoms) {
  const std::set<EntityId> def_attrs{sys_.value_type, sys_.cardinality, sys_.unique,
                                     sys_.index,      sys_.is_component, sys_.no_history};
  bool touches = false;
  std::set<EntityId> changed;
  for (const Datom& d : datoms) {
    if (d.a == sys_.ident || def_attrs.count(d.a)) touches = true;
    if (def_attrs.count(d.a)) changed.insert(d.e);
  }
  if (!touches) return true;
  // The schema after: the current datoms with the transaction applied.
  std::map<Eav, Datom> after;
  for (const Datom& d : cur_) after[Eav{d.e, d.a, d.v}] = d;
  for (const Datom& d : datoms) {
    if (d.added) after[Eav{d.e, d.a, d.v}] = d;
    else after.erase(Eav{d.e, d.a, d.v});
  }
  std::vector<Datom> next;
  for (const auto& [k, d] : after) next.push_back(d);
  const ModelSchema s = DeriveSchema(next, sys_.ident);
  for (EntityId id : changed) {
    if (PartitionOf(id) == kPartDb && id < 1000) return Fail("cannot alter a system attribute");
    const ModelAttr* now = s.Attr(id);
    const ModelAttr* was = s_.Attr(id);
    if (!now) return Fail("attribute " + std::to_string(id) + " lacks :db/ident, :db/valueType or :db/cardinality");
    if (now->component && !now->is_ref()) return Fail(":db/isComponent on a non-ref attribute");
    if (!was) continue;
    if (was->type != now->type) return Fail("cannot change :db/valueType");
    if (was->many && !now->many) {
      std::map<EntityId, int> per_entity;
      for (const Datom& d : cur_)
        if (d.a == id && ++per_entity[d.e] > 1) return Fail("cannot make :" + now->ident + " cardinality one");
    }
    if (was->unique == Unique::kNone && now->unique != Unique::kNone) {
      std::map<Value, EntityId> holder;
      for (const Datom& d : cur_) {
        if (d.a != id) continue;
        auto [it, inserted] = holder.try_emplace(d.v, d.e);
        if (!inserted && it->second != d.e) return Fail("cannot make :" + now->ident + " unique: shared values");
      }
    }
  }
  return true;
}

TxOutcome TxInterpreter::Run(const edn::Node& tx) {
  TxOutcome out;
  auto reject = [&]() {
    out.ok = false;
    out.why = why_.empty() ? "rejected" : why_;
    return out;
  };
  if (!tx.is_seq()) {
    Fail("transaction data must be a vector");
    return reject();
  }
  for (const auto& op : tx.items)
    if (!AddOp(op)) return reject();
  if (!ResolveTempids()) return reject();

  // Every operation sees db-before: collect assertions and retractions.
  std::map<Eav, const ModelAttr*> asserts, retracts;
  for (const Op& op : ops_) {
    EntityId e;
    if (!Resolve(op.e, &e)) {
      Fail("unresolved tempid");
      return reject();
    }
    switch (op.kind) {
      case Op::kAdd:
      case Op::kRetract: {
        Value v;
        if (!ValueOf(op, &v)) {
          Fail("unresolved tempid in value position");
          return reject();
        }
        (op.kind == Op::kAdd ? asserts : retracts)[Eav{e, op.attr->id, v}] = op.attr;
        break;
      }
      case Op::kRetractAttr:
        for (const Value& v : CurVals(e, op.attr->id)) retracts[Eav{e, op.attr->id, v}] = op.attr;
        break;
      case Op::kRetractEntity: {
        // The entity, every ref to it, and its components, recursively.
        std::vector<EntityId> work{e};
        std::set<EntityId> seen;
        while (!work.empty()) {
          const EntityId x = work.back();
          work.pop_back();
          if (!seen.insert(x).second) continue;
          for (const Datom& d : cur_) {
            const ModelAttr* at = s_.Attr(d.a);
            if (!at) continue;
            if (d.e == x) {
              if (at->component && d.v.type() == ValueType::kRef) work.push_back(d.v.ref());
              retracts[Eav{d.e, d.a, d.v}] = at;
            } else if (at->is_ref() && d.v.type() == ValueType::kRef && d.v.ref() == x) {
              retracts[Eav{d.e, d.a, d.v}] = at;
            }
          }
        }
        break;
      }
      case Op::kCas: {
        Value v;
        if (!ValueOf(op, &v)) {
          Fail("unresolved tempid in value position");
          return reject();
        }
        const std::vector<Value> cur = CurVals(e, op.attr->id);
        const bool ok = op.cas_nil ? cur.empty() : (cur.size() == 1 && cur[0] == op.cas_old);
        if (!ok) {
          Fail(":db/cas failed on :" + op.attr->ident);
          return reject();
        }
        asserts[Eav{e, op.attr->id, v}] = op.attr;
        break;
      }
    }
  }
  // Whole-transaction rules.
  std::map<std::pair<EntityId, EntityId>, int> card_one;
  for (const auto& [k, at] : asserts) {
    if (retracts.count(k)) {
      Fail("datom both asserted and retracted");
      return reject();
    }
    if (!at->many && ++card_one[{k.e, k.a}] > 1) {
      Fail("two values for cardinality-one :" + at->ident);
      return reject();
    }
  }
  std::vector<Datom> datoms;
  bool user_instant = false;
  int64_t instant = std::max(now_, m_.last_instant_);
  std::map<std::pair<EntityId, Value>, EntityId> unique_in_tx;
  for (const auto& [k, at] : asserts) {
    const bool fresh = new_.count(k.e) > 0 || k.e == tx_;
    if (!fresh && IsCur(k.e, k.a, k.v)) continue;  // redundant: records nothing
    if (k.e == tx_ && k.a == sys_.tx_instant) {
      if (k.v.instant_ms() < m_.last_instant_) {
        Fail(":db/txInstant before the previous transaction's");
        return reject();
      }
      user_instant = true;
      instant = k.v.instant_ms();
    }
    if (at->unique != Unique::kNone) {
      auto [it, inserted] = unique_in_tx.try_emplace({k.a, k.v}, k.e);
      if (!inserted && it->second != k.e) {
        Fail("unique value asserted for two entities in one transaction");
        return reject();
      }
      auto holder = Holder(k.a, k.v);
      if (holder && *holder != k.e && !retracts.count(Eav{*holder, k.a, k.v})) {
        Fail("unique conflict on :" + at->ident);
        return reject();
      }
    }
    datoms.push_back(Datom{k.e, k.a, k.v, tx_, true});
    if (!at->many && !fresh) {
      // Cardinality one: the value being replaced is retracted.
      for (const Value& old : CurVals(k.e, k.a))
        if (!(old == k.v) && !retracts.count(Eav{k.e, k.a, old})) datoms.push_back(Datom{k.e, k.a, old, tx_, false});
    }
  }
  for (const auto& [k, at] : retracts) {
    if (new_.count(k.e) || !IsCur(k.e, k.a, k.v)) continue;  // not current: records nothing
    datoms.push_back(Datom{k.e, k.a, k.v, tx_, false});
  }
  if (!user_instant) datoms.push_back(Datom{tx_, sys_.tx_instant, Value::Instant(instant), tx_, true});
  std::sort(datoms.begin(), datoms.end(), [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); });
  for (const Datom& d : datoms) {
    if (d.a == sys_.excise && d.added && d.v.type() == ValueType::kRef && PartitionOf(d.v.ref()) == kPartDb) {
      Fail("cannot excise a schema entity");
      return reject();
    }
    if (d.a == sys_.excise && d.added) {
      out.excises = true;
      // SPEC §7: the excision request stays visible, so no excision may
      // remove a request (model rule; see docs/testing.md).
      const ExciseSpec spec = SpecOf(d, datoms);
      for (const Datom& old : m_.datoms_)
        if (spec.Matches(old) && (old.a == sys_.excise || old.a == sys_.excise_attrs || old.a == sys_.excise_before ||
                                  old.a == sys_.excise_before_t)) {
          Fail("cannot excise an excision request");
          return reject();
        }
    }
  }
  if (!CheckSchema(datoms)) return reject();

  out.ok = true;
  out.t = t_;
  out.datoms = std::move(datoms);
  out.new_entities = new_order_;
  for (const auto& key : order_)
    if (temps_[key].user) out.tempids[key] = resolved_[key];
  out.tempids["datomic.tx"] = tx_;
  return out;
}

TxOutcome Interpret(const Model& m, const edn::Node& tx, int64_t now_ms) {
  TxInterpreter in(m, now_ms);
  return in.Run(tx);
}

}  // namespace strata::props
