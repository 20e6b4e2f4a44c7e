// tx_expand.cc — transaction data to operations: list and map forms,
// tempids and their resolution (with upsert), retractEntity, cas and
// transaction functions (see builder.h).

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "tx/builder.h"

namespace strata::tx_internal {

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

// An id the transactor handed out: in one of the partitions, with a t the
// counter has passed (every entity, transaction and attribute takes a t,
// SPEC §1). Anything else names nothing, and accepting it would push the
// counter past it (db_state.cc ApplyDatoms).
bool Builder::Allocated(EntityId id) const {
  const uint64_t part = PartitionOf(id);
  if (part != kPartDb && part != kPartTx && part != kPartUser) return false;
  return TOf(id) < s_.next_t;
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
  if (n.kind == edn::Kind::kLong && !Allocated(*id))
    return Status::InvalidArgument("invalid entity id " + Show(n) +
                                   ": no such entity (:db.error/invalid-entity-id); entity ids are handed out by the "
                                   "transactor, name a new entity with a tempid");
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
    // Nested under a ref attribute, {:db/id x} alone is a reference to x.
    const bool only_id = m.items.size() == 2;
    STRATA_ASSIGN_OR_RETURN(self, EntityPos(*id, only_id));
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
    // Reverse key :ns/_name (or :_name) links the other way: [v :ns/name self].
    const size_t slash = k.s.find('/');
    const size_t name_at = slash == std::string::npos ? 0 : slash + 1;
    if (k.s.compare(name_at, 1, "_") == 0 && !s_.schema->AttrByIdent(k.s)) {
      std::string fwd = k.s.substr(0, name_at) + k.s.substr(name_at + 1);
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
          if (other.temp) NoteTemp(other.key, true);  // the subject of [other :a self]
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
                      (v.kind == edn::Kind::kVector && !(at->is_ref() && IsLookupRefShape(s_, v)) &&
                       !IsTupleValue(*at, v));
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
  if (n.kind == edn::Kind::kMap) {
    // A map of :db/id alone asserts nothing: it expands to no operation
    // (tx_semantics_test.cc cites Datomic), and its tempid names no entity.
    // A given id must still be one that exists.
    const edn::Node* id = n.Get("db/id");
    if (id && n.items.size() == 2) {
      if (id->kind == edn::Kind::kString || (id->kind == edn::Kind::kLong && id->i < 0) ||
          id->kind == edn::Kind::kTagged)
        return Status::OK();
      return EntityPos(*id, /*value_position=*/true).status();
    }
    return ExpandMap(n).status();
  }
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
  // The value an operation asserts for a :db.unique/identity attribute of a
  // tempid, once its ref (if any) is resolved.
  auto identity_value = [&](const Op& op) -> std::optional<Value> {
    if (op.kind != Op::kAdd || !op.e.temp || op.attr->unique != Unique::kIdentity) return std::nullopt;
    if (!op.attr->is_ref()) return op.v;
    if (!op.vref.temp) return Value::Ref(op.vref.id);
    auto r = resolved_.find(op.vref.key);
    if (r == resolved_.end()) return std::nullopt;
    return Value::Ref(r->second);
  };
  // Upsert: a tempid asserting an existing :db.unique/identity value is that
  // entity. Repeat while resolutions enable more (refs to upserted tempids).
  for (int round = 0; round < 4; ++round) {
    bool progress = false;
    for (const Op& op : ops_) {
      std::optional<Value> v = identity_value(op);
      if (!v) continue;
      STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> existing, cur_.EntityWith(op.attr->id, *v));
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
  // Tempids asserting the same new :db.unique/identity value are one entity
  // (Datomic unifies them rather than reporting a conflict): each group is
  // represented by its first-mentioned tempid.
  std::unordered_map<std::string, size_t> pos;  // filled at the first shared value
  std::unordered_map<std::string, std::string> parent;
  auto rep = [&](std::string k) {
    for (auto it = parent.find(k); it != parent.end(); it = parent.find(k)) k = it->second;
    return k;
  };
  std::map<std::pair<EntityId, Value>, const std::string*> first_with;  // -> a key in ops_
  for (const Op& op : ops_) {
    std::optional<Value> v = identity_value(op);
    if (!v || resolved_.count(op.e.key)) continue;
    auto [it, inserted] = first_with.try_emplace({op.attr->id, std::move(*v)}, &op.e.key);
    if (inserted || *it->second == op.e.key) continue;
    if (pos.empty())
      for (size_t i = 0; i < temp_order_.size(); ++i) pos[temp_order_[i]] = i;
    std::string a = rep(*it->second), b = rep(op.e.key);
    if (a == b) continue;
    if (pos[b] < pos[a]) std::swap(a, b);
    parent[b] = a;
  }
  T next = t + 1;
  for (const auto& key : temp_order_) {
    if (resolved_.count(key)) continue;
    if (!parent.empty()) {
      const std::string r = rep(key);
      if (r != key) {  // its representative came first and is resolved
        resolved_[key] = resolved_.at(r);
        continue;
      }
    }
    const TempInfo& ti = temps_[key];
    uint64_t part = ti.explicit_partition ? ti.partition : ti.installs_attribute ? kPartDb : kPartUser;
    EntityId id = MakeEntityId(part, next++);
    resolved_[key] = id;
    new_entities_.insert(id);
  }
  return Status::OK();
}

}  // namespace strata::tx_internal
