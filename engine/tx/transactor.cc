#include "state/db_access.h"
#include "tx/transactor.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "util/planted_faults.h"

namespace strata {

int64_t NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

constexpr int kMaxFnDepth = 16;
constexpr const char* kTxTempid = "datomic.tx";

std::string Show(const edn::Node& n) {
  std::string s = edn::Print(n);
  if (s.size() > 160) s = s.substr(0, 157) + "...";
  std::string w = n.Where();
  return w.empty() ? s : s + " at " + w;
}

std::string Kw(const Attribute& a) { return ":" + a.ident; }

bool IsLookupRefShape(const DbState& s, const edn::Node& n) {
  if (n.kind != edn::Kind::kVector || n.items.size() != 2) return false;
  const edn::Node& a = n.items[0];
  if (a.kind == edn::Kind::kKeyword) {
    const Attribute* at = s.schema->AttrByIdent(a.s);
    return at && at->unique != Unique::kNone;
  }
  return a.kind == edn::Kind::kLong && s.schema->Attr(static_cast<EntityId>(a.i)) != nullptr;
}

Result<const Attribute*> ResolveAttr(const DbState& s, const edn::Node& n) {
  const Attribute* at = nullptr;
  if (n.kind == edn::Kind::kKeyword) at = s.schema->AttrByIdent(n.s);
  else if (n.kind == edn::Kind::kLong) at = s.schema->Attr(static_cast<EntityId>(n.i));
  if (!at) return Status::InvalidArgument("unknown attribute " + Show(n));
  return at;
}

}  // namespace

Result<EntityId> ResolveEntityId(const DbState& s, const edn::Node& eid) {
  switch (eid.kind) {
    case edn::Kind::kLong:
      if (eid.i < 0) return Status::InvalidArgument("not an entity id: " + Show(eid));
      return static_cast<EntityId>(eid.i);
    case edn::Kind::kKeyword: {
      EntityId e;
      if (!s.schema->Entid(eid.s, &e)) return Status::NotFound("unknown ident " + Show(eid));
      return e;
    }
    case edn::Kind::kVector: {
      if (eid.items.size() != 2) return Status::InvalidArgument("a lookup ref is [attribute value]: " + Show(eid));
      STRATA_ASSIGN_OR_RETURN(const Attribute* at, ResolveAttr(s, eid.items[0]));
      if (at->unique == Unique::kNone)
        return Status::InvalidArgument("lookup ref attribute " + Kw(*at) + " is not unique in " + Show(eid));
      STRATA_ASSIGN_OR_RETURN(Value v, CoerceValue(s, *at, eid.items[1]));
      auto e = s.EntityWith(at->id, v);
      if (!e) return Status::NotFound("lookup ref " + Show(eid) + " matches no entity");
      return *e;
    }
    default:
      return Status::InvalidArgument("not an entity identifier: " + Show(eid));
  }
}

Result<Value> CoerceValue(const DbState& s, const Attribute& attr, const edn::Node& v) {
  auto wrong = [&]() {
    return Status::InvalidArgument("value of the wrong type for " + Kw(attr) + " (expects " + ValueTypeName(attr.type) +
                                   "): got " + edn::KindName(v.kind) + " " + Show(v));
  };
  switch (attr.type) {
    case ValueType::kRef: {
      if (v.kind == edn::Kind::kMap || v.kind == edn::Kind::kString) return wrong();
      STRATA_ASSIGN_OR_RETURN(EntityId e, ResolveEntityId(s, v));
      return Value::Ref(e);
    }
    case ValueType::kKeyword:
      if (v.kind != edn::Kind::kKeyword) return wrong();
      return Value::Keyword(v.s);
    case ValueType::kString:
      if (v.kind != edn::Kind::kString) return wrong();
      return Value::String(v.s);
    case ValueType::kBoolean:
      if (v.kind != edn::Kind::kBool) return wrong();
      return Value::Boolean(v.b);
    case ValueType::kLong:
      if (v.kind != edn::Kind::kLong) return wrong();
      return Value::Long(v.i);
    case ValueType::kDouble:
      if (v.kind == edn::Kind::kDouble) return Value::Double(v.d);
      if (v.kind == edn::Kind::kLong) return Value::Double(static_cast<double>(v.i));
      return wrong();
    case ValueType::kInstant:
      if (v.kind != edn::Kind::kInst) return wrong();
      return Value::Instant(v.i);
    case ValueType::kUuid:
      if (v.kind != edn::Kind::kUuid) return wrong();
      return Value::FromUuid(v.uuid);
    case ValueType::kNil: break;
  }
  return wrong();
}

namespace {

// An entity position: a resolved id, or a tempid key.
struct EntRef {
  bool temp = false;
  std::string key;
  EntityId id = 0;
};

struct Op {
  enum Kind { kAdd, kRetract, kRetractAttr, kRetractEntity, kCas } kind = kAdd;
  EntRef e;
  const Attribute* attr = nullptr;
  EntRef vref;         // ref attributes: the value as an entity position
  Value v;             // other attributes (and refs once resolved)
  bool cas_old_nil = false;
  Value cas_old;
  const edn::Node* src = nullptr;  // the operation, printed only for error messages
};

struct TempInfo {
  uint64_t partition = kPartUser;
  bool explicit_partition = false;
  bool in_entity_position = false;
  bool asserted = false;  // some :db/add or cas names it (as entity or ref value)
  bool report = true;  // listed in the report's tempids
  bool installs_attribute = false;
};

class Builder {
 public:
  Builder(const Database& db, const DbState& s, const TxFunctionRegistry& fns)
      : db_(db), s_(s), fns_(fns), cur_(s) {}

  Status AddTxData(const edn::Node& tx, int depth);
  Result<PreparedTx> Finish(int64_t now_ms);

 private:
  Status AddOp(const edn::Node& op, int depth);
  Result<EntRef> ExpandMap(const edn::Node& m);
  Result<EntRef> EntityPos(const edn::Node& n, bool value_position);
  Status AddAssertion(const EntRef& e, const Attribute& at, const edn::Node& v, const edn::Node* src);
  Status AddValue(Op op, const edn::Node& v);
  EntRef NewAutoTemp(uint64_t partition, bool explicit_partition);
  void NoteTemp(const std::string& key, bool entity_position);

  Status ResolveTempids(T t);
  Result<EntityId> Resolved(const EntRef& r) const;

  const Database& db_;
  const DbState& s_;
  const TxFunctionRegistry& fns_;
  std::vector<Op> ops_;
  std::vector<std::string> temp_order_;
  std::unordered_map<std::string, TempInfo> temps_;
  std::unordered_map<std::string, EntityId> resolved_;
  std::unordered_set<EntityId> new_entities_;
  uint64_t auto_counter_ = 0;
  std::deque<edn::Node> owned_;  // tx data made here (excision maps, function results)
  CurrentReader cur_;             // point reads of db-before
};

void Builder::NoteTemp(const std::string& key, bool entity_position) {
  auto [it, inserted] = temps_.try_emplace(key);
  if (inserted) temp_order_.push_back(key);
  if (entity_position) it->second.in_entity_position = true;
}

EntRef Builder::NewAutoTemp(uint64_t partition, bool explicit_partition) {
  EntRef r;
  r.temp = true;
  r.key = "\x01" + std::to_string(++auto_counter_);
  NoteTemp(r.key, false);
  TempInfo& ti = temps_[r.key];
  ti.partition = partition;
  ti.explicit_partition = explicit_partition;
  ti.report = false;
  return r;
}

Result<EntRef> Builder::EntityPos(const edn::Node& n, bool value_position) {
  EntRef r;
  if (n.kind == edn::Kind::kString || (n.kind == edn::Kind::kLong && n.i < 0)) {
    r.temp = true;
    r.key = n.kind == edn::Kind::kString ? n.s : std::to_string(n.i);
    NoteTemp(r.key, !value_position);
    return r;
  }
  if (n.kind == edn::Kind::kTagged && n.s == "db/id") {
    const edn::Node& body = n.items.at(0);
    if (!body.is_seq() || body.items.empty() || body.items[0].kind != edn::Kind::kKeyword)
      return Status::InvalidArgument("#db/id takes [partition] or [partition -n]: " + Show(n));
    EntityId part_e;
    if (!s_.schema->Entid(body.items[0].s, &part_e)) return Status::InvalidArgument("unknown partition " + Show(n));
    uint64_t part = part_e == sys::kDbPart ? kPartDb : part_e == sys::kTxPart ? kPartTx : kPartUser;
    if (body.items.size() >= 2 && body.items[1].kind == edn::Kind::kLong) {
      r.temp = true;
      r.key = std::to_string(body.items[1].i);
      NoteTemp(r.key, !value_position);
      temps_[r.key].partition = part;
      temps_[r.key].explicit_partition = true;
      return r;
    }
    r = NewAutoTemp(part, true);
    if (!value_position) temps_[r.key].in_entity_position = true;
    return r;
  }
  auto id = ResolveEntityId(s_, n);
  if (!id.ok()) return id.status();
  if (n.kind == edn::Kind::kLong && TOf(*id) >= s_.next_t && PartitionOf(*id) != kPartDb)
    return Status::NotFound("entity id " + Show(n) + " does not exist yet");
  r.id = *id;
  return r;
}

Status Builder::AddValue(Op op, const edn::Node& v) {
  if (op.attr->is_ref()) {
    STRATA_ASSIGN_OR_RETURN(op.vref, EntityPos(v, /*value_position=*/true));
  } else {
    STRATA_ASSIGN_OR_RETURN(op.v, CoerceValue(s_, *op.attr, v));
  }
  ops_.push_back(std::move(op));
  return Status::OK();
}

Status Builder::AddAssertion(const EntRef& e, const Attribute& at, const edn::Node& v, const edn::Node* src) {
  Op op;
  op.kind = Op::kAdd;
  op.e = e;
  op.attr = &at;
  op.src = src;
  if (at.is_ref() && v.kind == edn::Kind::kMap) {
    STRATA_ASSIGN_OR_RETURN(EntRef sub, ExpandMap(v));
    op.vref = sub;
    ops_.push_back(std::move(op));
    return Status::OK();
  }
  if (at.ident == "db/valueType" && e.temp) temps_[e.key].installs_attribute = true;
  return AddValue(std::move(op), v);
}

Result<EntRef> Builder::ExpandMap(const edn::Node& m) {
  EntRef self;
  if (const edn::Node* id = m.Get("db/id")) {
    STRATA_ASSIGN_OR_RETURN(self, EntityPos(*id, false));
  } else {
    self = NewAutoTemp(kPartUser, false);
    temps_[self.key].in_entity_position = true;
  }
  const edn::Node* src = &m;
  for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
    const edn::Node& k = m.items[i];
    const edn::Node& v = m.items[i + 1];
    if (k.is_keyword("db/id")) continue;
    if (k.kind != edn::Kind::kKeyword) return Status::InvalidArgument("map keys must be attribute keywords: " + Show(k));
    // Reverse key :ns/_name links the other way: [v :ns/name self].
    const size_t slash = k.s.find('/');
    if (slash != std::string::npos && k.s.compare(slash + 1, 1, "_") == 0 && !s_.schema->AttrByIdent(k.s)) {
      std::string fwd = k.s.substr(0, slash + 1) + k.s.substr(slash + 2);
      const Attribute* at = s_.schema->AttrByIdent(fwd);
      if (!at) return Status::InvalidArgument("unknown attribute :" + fwd + " (reverse key " + Show(k) + ")");
      if (!at->is_ref()) return Status::InvalidArgument("reverse key " + Show(k) + " names a non-ref attribute");
      std::vector<const edn::Node*> targets;
      if ((v.kind == edn::Kind::kVector && !IsLookupRefShape(s_, v)) || v.kind == edn::Kind::kSet ||
          v.kind == edn::Kind::kList) {
        for (const auto& x : v.items) targets.push_back(&x);
      } else {
        targets.push_back(&v);
      }
      for (const edn::Node* x : targets) {
        EntRef other;
        if (x->kind == edn::Kind::kMap) {
          STRATA_ASSIGN_OR_RETURN(other, ExpandMap(*x));
        } else {
          STRATA_ASSIGN_OR_RETURN(other, EntityPos(*x, false));
        }
        Op op;
        op.kind = Op::kAdd;
        op.e = other;
        op.attr = at;
        op.vref = self;
        op.src = src;
        if (self.temp) NoteTemp(self.key, false);
        ops_.push_back(std::move(op));
      }
      continue;
    }
    const Attribute* at = s_.schema->AttrByIdent(k.s);
    if (!at) return Status::InvalidArgument("unknown attribute " + Show(k) + " in " + Show(m));
    const bool coll = v.kind == edn::Kind::kSet || v.kind == edn::Kind::kList ||
                      (v.kind == edn::Kind::kVector && !(at->is_ref() && IsLookupRefShape(s_, v)));
    if (coll) {
      if (!at->many)
        return Status::InvalidArgument("a collection for cardinality-one attribute " + Kw(*at) + ": " + Show(v));
      for (const auto& x : v.items) STRATA_RETURN_IF_ERROR(AddAssertion(self, *at, x, src));
    } else {
      STRATA_RETURN_IF_ERROR(AddAssertion(self, *at, v, src));
    }
  }
  return self;
}

Status Builder::AddOp(const edn::Node& n, int depth) {
  if (n.kind == edn::Kind::kMap) return ExpandMap(n).status();
  if (!n.is_seq() || n.items.empty() || n.items[0].kind != edn::Kind::kKeyword)
    return Status::InvalidArgument("an operation is a map or [:op ...]: " + Show(n));
  const std::string& name = n.items[0].s;
  const auto& it = n.items;
  const edn::Node* src = &n;
  auto show = [&] { return Show(n); };
  auto arity = [&](size_t lo, size_t hi) -> Status {
    if (it.size() < lo || it.size() > hi)
      return Status::InvalidArgument(":" + name + " takes " + std::to_string(lo - 1) +
                                     (hi != lo ? "-" + std::to_string(hi - 1) : "") + " arguments: " + show());
    return Status::OK();
  };
  if (name == "db/add" || name == "db/retract") {
    STRATA_RETURN_IF_ERROR(name == "db/add" ? arity(4, 4) : arity(3, 4));
    Op op;
    op.src = src;
    STRATA_ASSIGN_OR_RETURN(op.e, EntityPos(it[1], false));
    STRATA_ASSIGN_OR_RETURN(op.attr, ResolveAttr(s_, it[2]));
    if (name == "db/add") {
      op.kind = Op::kAdd;
      if (op.attr->ident == "db/valueType" && op.e.temp) temps_[op.e.key].installs_attribute = true;
      return AddValue(std::move(op), it[3]);
    }
    if (op.e.temp) return Status::InvalidArgument("cannot retract from a tempid: " + show());
    if (it.size() == 3) {
      op.kind = Op::kRetractAttr;
      ops_.push_back(std::move(op));
      return Status::OK();
    }
    op.kind = Op::kRetract;
    return AddValue(std::move(op), it[3]);
  }
  if (name == "db/retractEntity" || name == "db.fn/retractEntity") {
    STRATA_RETURN_IF_ERROR(arity(2, 2));
    Op op;
    op.kind = Op::kRetractEntity;
    op.src = src;
    STRATA_ASSIGN_OR_RETURN(op.e, EntityPos(it[1], false));
    if (op.e.temp) return Status::InvalidArgument("cannot retract a tempid: " + show());
    ops_.push_back(std::move(op));
    return Status::OK();
  }
  if (name == "db/cas" || name == "db.fn/cas") {
    STRATA_RETURN_IF_ERROR(arity(5, 5));
    Op op;
    op.kind = Op::kCas;
    op.src = src;
    STRATA_ASSIGN_OR_RETURN(op.e, EntityPos(it[1], false));
    if (op.e.temp) return Status::InvalidArgument(":db/cas needs an existing entity: " + show());
    STRATA_ASSIGN_OR_RETURN(op.attr, ResolveAttr(s_, it[2]));
    if (op.attr->many) return Status::InvalidArgument(":db/cas needs a cardinality-one attribute: " + show());
    if (it[3].kind == edn::Kind::kNil) {
      op.cas_old_nil = true;
    } else {
      STRATA_ASSIGN_OR_RETURN(op.cas_old, CoerceValue(s_, *op.attr, it[3]));
    }
    return AddValue(std::move(op), it[4]);
  }
  if (name == "db/excise") {
    // [:db/excise e] [:db/excise e [attrs...]] [:db/excise e [attrs...] before]
    STRATA_RETURN_IF_ERROR(arity(2, 4));
    STRATA_ASSIGN_OR_RETURN(EntRef target, EntityPos(it[1], false));
    if (target.temp) return Status::InvalidArgument(":db/excise needs an existing entity: " + show());
    std::vector<edn::Node> kvs{edn::Node::Keyword("db/excise"), edn::Node::Long(static_cast<int64_t>(target.id))};
    if (it.size() >= 3) {
      if (!it[2].is_seq()) return Status::InvalidArgument(":db/excise attributes must be a vector: " + show());
      kvs.push_back(edn::Node::Keyword("db.excise/attrs"));
      kvs.push_back(edn::Node::Vector(it[2].items));
    }
    if (it.size() == 4) {
      if (it[3].kind == edn::Kind::kInst) kvs.push_back(edn::Node::Keyword("db.excise/before"));
      else if (it[3].kind == edn::Kind::kLong) kvs.push_back(edn::Node::Keyword("db.excise/beforeT"));
      else return Status::InvalidArgument(":db/excise before must be a t or an #inst: " + show());
      kvs.push_back(it[3]);
    }
    edn::Node m = edn::Node::Map(std::move(kvs));
    m.line = n.line;
    m.col = n.col;
    owned_.push_back(std::move(m));  // ops point at it until the end
    return ExpandMap(owned_.back()).status();
  }
  auto fn = fns_.find(name);
  if (fn == fns_.end()) return Status::InvalidArgument("unknown operation or transaction function :" + name + " in " + show());
  if (depth >= kMaxFnDepth) return Status::InvalidArgument("transaction functions nested too deeply at " + show());
  std::vector<edn::Node> args(it.begin() + 1, it.end());
  auto more = fn->second(db_, args);
  if (!more.ok()) return more.status().WithContext("transaction function :" + name);
  owned_.push_back(std::move(*more));  // ops point into it until the end
  return AddTxData(owned_.back(), depth + 1);
}

Status Builder::AddTxData(const edn::Node& tx, int depth) {
  if (!tx.is_seq()) return Status::InvalidArgument("transaction data must be a vector of operations: " + Show(tx));
  for (const auto& op : tx.items) STRATA_RETURN_IF_ERROR(AddOp(op, depth));
  return Status::OK();
}

Result<EntityId> Builder::Resolved(const EntRef& r) const {
  if (!r.temp) return r.id;
  auto it = resolved_.find(r.key);
  if (it == resolved_.end()) return Status::InvalidArgument("unresolved tempid \"" + r.key + "\"");
  return it->second;
}

Status Builder::ResolveTempids(T t) {
  // A tempid must name an entity it says something about: a new entity
  // takes a t (SPEC §1), and only its datoms record that it exists.
  for (const Op& op : ops_) {
    if (op.kind != Op::kAdd && op.kind != Op::kCas) continue;
    if (op.e.temp) temps_[op.e.key].asserted = true;
    if (op.vref.temp) temps_[op.vref.key].asserted = true;
  }
  for (const auto& key : temp_order_) {
    const TempInfo& ti = temps_[key];
    if (key == kTxTempid) continue;
    if (!ti.in_entity_position)
      return Status::InvalidArgument("tempid \"" + key + "\" is used only in value position");
    if (!ti.asserted)
      return Status::InvalidArgument(ti.report ? "tempid \"" + key + "\" names an entity the transaction asserts nothing about"
                                               : std::string("an entity map asserts no attribute"));
  }
  resolved_[kTxTempid] = TxId(t);
  // Upsert: a tempid asserting an existing :db.unique/identity value is that
  // entity. Repeat while resolutions enable more (refs to upserted tempids).
  for (int round = 0; round < 4; ++round) {
    bool progress = false;
    for (const Op& op : ops_) {
      if (op.kind != Op::kAdd || !op.e.temp || op.attr->unique != Unique::kIdentity) continue;
      Value v = op.v;
      if (op.attr->is_ref()) {
        if (op.vref.temp) {
          auto r = resolved_.find(op.vref.key);
          if (r == resolved_.end()) continue;
          v = Value::Ref(r->second);
        } else {
          v = Value::Ref(op.vref.id);
        }
      }
      auto existing = cur_.EntityWith(op.attr->id, v);
      if (!existing) continue;
      auto [it, inserted] = resolved_.try_emplace(op.e.key, *existing);
      if (inserted) {
        progress = true;
      } else if (it->second != *existing) {
        return Status::Conflict("tempid \"" + op.e.key + "\" upserts to two entities, " + std::to_string(it->second) +
                                " and " + std::to_string(*existing) + " (" + Kw(*op.attr) + ") in " + Show(*op.src));
      }
    }
    if (!progress) break;
  }
  T next = t + 1;
  for (const auto& key : temp_order_) {
    if (resolved_.count(key)) continue;
    const TempInfo& ti = temps_[key];
    uint64_t part = ti.explicit_partition ? ti.partition : ti.installs_attribute ? kPartDb : kPartUser;
    EntityId id = MakeEntityId(part, next++);
    resolved_[key] = id;
    new_entities_.insert(id);
  }
  return Status::OK();
}

struct EavKey {
  EntityId e, a;
  Value v;
  bool operator<(const EavKey& o) const {
    if (e != o.e) return e < o.e;
    if (a != o.a) return a < o.a;
    return v < o.v;
  }
};

std::string ShowDatom(const DbState& s, EntityId e, const Attribute& at, const Value& v) {
  Database dummy;
  std::string vs;
  switch (v.type()) {
    case ValueType::kString: vs = edn::Print(edn::Node::String(v.str())); break;
    case ValueType::kKeyword: vs = ":" + v.str(); break;
    case ValueType::kRef: vs = std::to_string(v.ref()); break;
    case ValueType::kLong: vs = std::to_string(v.as_long()); break;
    case ValueType::kBoolean: vs = v.as_bool() ? "true" : "false"; break;
    case ValueType::kDouble: vs = edn::Print(edn::Node::Double(v.as_double())); break;
    case ValueType::kInstant: vs = edn::Print(edn::Node::Inst(v.instant_ms())); break;
    case ValueType::kUuid: vs = edn::Print(edn::Node::FromUuid(v.uuid())); break;
    case ValueType::kNil: vs = "nil"; break;
  }
  return "[" + std::to_string(e) + " :" + at.ident + " " + vs + "]";
}

Result<PreparedTx> Builder::Finish(int64_t now_ms) {
  const T t = s_.next_t;
  const EntityId tx = TxId(t);
  STRATA_RETURN_IF_ERROR(ResolveTempids(t));

  struct Pending {
    const Attribute* attr;
    const Op* op;
  };
  std::map<EavKey, Pending> asserts, retracts;
  auto value_of = [&](const Op& op) -> Result<Value> {
    if (!op.attr->is_ref()) return op.v;
    STRATA_ASSIGN_OR_RETURN(EntityId id, Resolved(op.vref));
    return Value::Ref(id);
  };
  std::set<EntityId> retracted_entities;
  std::vector<EntityId> to_retract;
  for (const Op& op : ops_) {
    STRATA_ASSIGN_OR_RETURN(EntityId e, Resolved(op.e));
    switch (op.kind) {
      case Op::kAdd: {
        STRATA_ASSIGN_OR_RETURN(Value v, value_of(op));
        asserts.emplace(EavKey{e, op.attr->id, std::move(v)}, Pending{op.attr, &op});
        break;
      }
      case Op::kRetract: {
        STRATA_ASSIGN_OR_RETURN(Value v, value_of(op));
        retracts.emplace(EavKey{e, op.attr->id, std::move(v)}, Pending{op.attr, &op});
        break;
      }
      case Op::kRetractAttr:
        for (Value& v : cur_.Values(e, op.attr->id))
          retracts.emplace(EavKey{e, op.attr->id, std::move(v)}, Pending{op.attr, &op});
        break;
      case Op::kRetractEntity:
        // The entity, every ref to it, and its components, recursively.
        to_retract.push_back(e);
        while (!to_retract.empty()) {
          EntityId x = to_retract.back();
          to_retract.pop_back();
          if (!retracted_entities.insert(x).second) continue;
          for (Datom& d : cur_.ByEntity(x)) {
            const Attribute* at = s_.schema->Attr(d.a);
            if (!at) continue;
            if (at->component && d.v.type() == ValueType::kRef) to_retract.push_back(d.v.ref());
            retracts.emplace(EavKey{d.e, d.a, std::move(d.v)}, Pending{at, &op});
          }
          for (Datom& d : cur_.RefsTo(x)) {
            const Attribute* at = s_.schema->Attr(d.a);
            if (at) retracts.emplace(EavKey{d.e, d.a, std::move(d.v)}, Pending{at, &op});
          }
        }
        break;
      case Op::kCas: {
        STRATA_ASSIGN_OR_RETURN(Value v, value_of(op));
        std::vector<Value> cur = cur_.Values(e, op.attr->id);
        bool ok = op.cas_old_nil ? cur.empty() : (cur.size() == 1 && cur[0] == op.cas_old);
        if (!ok) {
          std::string have = cur.empty() ? "no value" : ShowDatom(s_, e, *op.attr, cur[0]);
          return Status::Conflict(":db/cas failed: current is " + have + ", expected " +
                                  (op.cas_old_nil ? std::string("no value") : ShowDatom(s_, e, *op.attr, op.cas_old)) +
                                  " in " + Show(*op.src));
        }
        asserts.emplace(EavKey{e, op.attr->id, std::move(v)}, Pending{op.attr, &op});
        break;
      }
    }
  }

  // Rules that need the whole transaction: all operations see db-before.
  const Attribute* prev_attr = nullptr;
  const EavKey* prev = nullptr;
  for (const auto& [k, p] : asserts) {
    if (retracts.count(k))
      return Status::InvalidArgument("datom both asserted and retracted in one transaction: " +
                                     ShowDatom(s_, k.e, *p.attr, k.v) + " in " + Show(*p.op->src));
    if (prev && !p.attr->many && prev->e == k.e && prev->a == k.a)
      return Status::InvalidArgument("two values for cardinality-one attribute " + Kw(*p.attr) + " of entity " +
                                     std::to_string(k.e) + ": " + ShowDatom(s_, k.e, *p.attr, prev->v) + " and " +
                                     ShowDatom(s_, k.e, *p.attr, k.v) + " in " + Show(*p.op->src));
    prev = &k;
    prev_attr = p.attr;
  }
  (void)prev_attr;

  PreparedTx out;
  out.t = t;
  std::vector<Datom>& datoms = out.datoms;
  bool user_instant = false;
  std::map<std::pair<EntityId, Value>, EntityId> unique_in_tx;
  for (const auto& [k, p] : asserts) {
    const bool fresh = new_entities_.count(k.e) > 0 || k.e == tx;
    if (!fresh && cur_.IsCurrent(k.e, k.a, k.v)) continue;  // redundant
    if (k.e == tx && k.a == sys::kTxInstant) {
      if (k.v.instant_ms() < s_.last_instant)
        return Status::InvalidArgument(":db/txInstant " + edn::Print(edn::Node::Inst(k.v.instant_ms())) +
                                       " is before the previous transaction's " +
                                       edn::Print(edn::Node::Inst(s_.last_instant)));
      user_instant = true;
    }
    if (p.attr->unique != Unique::kNone) {
      auto [it, inserted] = unique_in_tx.try_emplace({k.a, k.v}, k.e);
      if (!inserted && it->second != k.e)
        return Status::Conflict("unique conflict: " + Kw(*p.attr) + " value asserted for two entities, " +
                                std::to_string(it->second) + " and " + std::to_string(k.e) + " in " + Show(*p.op->src));
      auto holder = cur_.EntityWith(k.a, k.v);
      if (holder && *holder != k.e && !retracts.count(EavKey{*holder, k.a, k.v}) &&
          !retracted_entities.count(*holder))
        return Status::Conflict("unique conflict: " + ShowDatom(s_, k.e, *p.attr, k.v) + " but entity " +
                                std::to_string(*holder) + " already has that value, in " + Show(*p.op->src));
    }
    datoms.push_back(Datom{k.e, k.a, k.v, tx, true});
    if (!p.attr->many && !fresh) {
      // Implicit retraction of the value being replaced.
      for (Value& old : cur_.Values(k.e, k.a)) {
        if (old == k.v) continue;
        EavKey rk{k.e, k.a, old};
        if (PlantedFault("implicit-retraction-forgets-old")) continue;
        if (!retracts.count(rk)) datoms.push_back(Datom{k.e, k.a, std::move(old), tx, false});
      }
    }
  }
  for (const auto& [k, p] : retracts) {
    if (new_entities_.count(k.e) || !cur_.IsCurrent(k.e, k.a, k.v)) continue;  // nothing to retract
    datoms.push_back(Datom{k.e, k.a, k.v, tx, false});
  }
  if (!user_instant) datoms.push_back(Datom{tx, sys::kTxInstant, Value::Instant(std::max(now_ms, s_.last_instant)), tx, true});
  SortDatoms(Index::kEavt, &datoms);

  // Schema alteration (SPEC §2): validate against the data in db-before.
  bool touches_schema = false;
  for (const Datom& d : datoms) {
    if (IsSchemaAttr(d.a)) touches_schema = true;
    if (d.a == sys::kExcise && PartitionOf(d.v.ref()) == kPartDb)
      return Status::InvalidArgument("cannot excise schema entity " + std::to_string(d.v.ref()));
  }
  if (HasExcision(datoms)) {
    // SPEC §7: an excision request stays visible, so no excision may remove
    // the datoms of one (they also carry the excision across restarts until
    // an indexing job has applied it).
    for (const ExcisionSpec& spec : ExcisionSpecs(s_, t, datoms)) {
      STRATA_ASSIGN_OR_RETURN(DatomCursor c, db_.History().Datoms(Index::kEavt, {Value::Ref(spec.target)}));
      for (; c.Valid(); c.Next()) {
        const Datom& d = c.datom();
        const bool request_attr = d.a == sys::kExcise || d.a == sys::kExciseAttrs || d.a == sys::kExciseBefore ||
                                  d.a == sys::kExciseBeforeT;
        if (request_attr && spec.Matches(d))
          return Status::InvalidArgument("cannot excise excision request " + std::to_string(spec.target) +
                                         ": an excision request stays visible");
      }
      STRATA_RETURN_IF_ERROR(c.status());
    }
  }
  out.schema_after = s_.schema;
  if (touches_schema) {
    auto next = std::make_shared<Schema>(*s_.schema);
    std::vector<EntityId> changed = ApplySchemaDatoms(next.get(), datoms);
    for (EntityId id : changed) {
      auto it = next->attributes().find(id);
      if (it == next->attributes().end()) continue;
      const Attribute& now = it->second;
      const Attribute* was = s_.schema->Attr(id);
      const std::string name = now.ident.empty() ? std::to_string(id) : ":" + now.ident;
      if (PartitionOf(id) == kPartDb && id < kFirstUserT)
        return Status::InvalidArgument("cannot alter system attribute " + name);
      if (!now.installed()) {
        if (was) return Status::InvalidArgument("cannot retract :db/valueType or :db/cardinality of " + name);
        return Status::InvalidArgument("attribute " + name + " needs :db/ident, :db/valueType and :db/cardinality");
      }
      if (now.ident.empty()) return Status::InvalidArgument("attribute " + name + " needs a :db/ident");
      if (now.component && !now.is_ref())
        return Status::InvalidArgument(":db/isComponent needs a ref attribute: " + name);
      if (!was) continue;
      if (was->type != now.type)
        return Status::InvalidArgument("cannot change :db/valueType of " + name + " from " + ValueTypeName(was->type) +
                                       " to " + ValueTypeName(now.type));
      if (was->many && !now.many) {
        // Refused while some entity holds several current values.
        auto cur = s_.CurrentOf(Index::kAevt);
        for (cur->Seek(PrefixTarget(Index::kAevt, {Value::Ref(id)})); cur->Valid() && cur->datom().a == id;) {
          EntityId e = cur->datom().e;
          int n = 0;
          for (; cur->Valid() && cur->datom().a == id && cur->datom().e == e; cur->Next()) ++n;
          if (n > 1)
            return Status::Conflict("cannot change " + name + " to cardinality one: entity " + std::to_string(e) +
                                    " has " + std::to_string(n) + " values");
        }
      }
      if (was->unique == Unique::kNone && now.unique != Unique::kNone) {
        auto cur = s_.CurrentOf(Index::kAvet);
        std::optional<Datom> last;
        for (cur->Seek(PrefixTarget(Index::kAvet, {Value::Ref(id)})); cur->Valid() && cur->datom().a == id;
             cur->Next()) {
          if (last && last->v == cur->datom().v && last->e != cur->datom().e)
            return Status::Conflict("cannot make " + name + " unique: entities " + std::to_string(last->e) + " and " +
                                    std::to_string(cur->datom().e) + " share a value");
          last = cur->datom();
        }
      }
    }
    out.schema_after = std::move(next);
  }

  for (const auto& key : temp_order_)
    if (temps_[key].report) out.tempids[key] = resolved_[key];
  out.tempids[kTxTempid] = tx;
  return out;
}

}  // namespace

Result<PreparedTx> PrepareTx(const Database& db_before, const edn::Node& tx_data, const TxFunctionRegistry& fns,
                             int64_t now_ms) {
  const DbState& s = *DbAccess::State(db_before);
  Builder b(db_before, s, fns);
  STRATA_RETURN_IF_ERROR(b.AddTxData(tx_data, 0));
  return b.Finish(now_ms);
}

}  // namespace strata
