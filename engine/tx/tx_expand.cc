// tx_expand.cc — transaction data to operations: list and map forms,
// tempids and their resolution (with upsert), retractEntity, cas and
// transaction functions (see builder.h).

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "tx/builder.h"

namespace strata::tx_internal {

EntRef Builder::NamedTemp(const std::string& key, bool entity_position) {
  auto [it, inserted] = named_temps_.try_emplace(key, static_cast<uint32_t>(temps_.size()));
  if (inserted) {
    temps_.emplace_back().key = key;
    if (key == kTxTempid) tx_temp_ = it->second;
  }
  EntRef r;
  r.temp = it->second;
  if (entity_position) temps_[r.temp].in_entity_position = true;
  return r;
}

EntRef Builder::NewAutoTemp(uint64_t partition, bool explicit_partition) {
  EntRef r;
  r.temp = static_cast<uint32_t>(temps_.size());
  TempInfo& ti = temps_.emplace_back();
  ti.auto_number = ++auto_counter_;
  ti.partition = partition;
  ti.explicit_partition = explicit_partition;
  ti.report = false;
  return r;
}

std::string Builder::DescribeTemp(uint32_t temp) const {
  const TempInfo& ti = temps_[temp];
  if (!ti.auto_number) return "tempid \"" + ti.key + "\"";
  // An unnamed tempid has no name the user wrote: say what made it.
  return ti.explicit_partition ? "an unnamed #db/id tempid" : "an entity map without :db/id";
}

bool Builder::Entid(const std::string& ident, EntityId* e) {
  if (ident_cache_.empty()) ident_cache_.resize(kIdentCacheSlots);
  // Eight bytes a step (a byte a step was most of this function's cost,
  // which every map key and enumeration value of a transaction pays).
  uint64_t h = ident.size() * 0x9e3779b97f4a7c15ULL;
  const char* p = ident.data();
  size_t n = ident.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
  }
  IdentSlot& slot = ident_cache_[(h ^ (h >> 29)) & (kIdentCacheSlots - 1)];
  if (slot.ident.data() == nullptr || slot.ident != ident) {
    slot.ident = ident;
    if (!s_.schema->Entid(ident, &slot.e)) slot.e = IdentSlot::kNone;
  }
  *e = slot.e;
  return slot.e != IdentSlot::kNone;
}

const Attribute* Builder::AttrByIdent(const std::string& ident) {
  EntityId e;
  return Entid(ident, &e) ? s_.schema->Attr(e) : nullptr;  // Schema::AttrByIdent
}

Result<const Attribute*> Builder::AttrOf(const edn::Node& n) {
  if (n.kind != edn::Kind::kKeyword) return ResolveAttr(s_, n);
  const Attribute* at = AttrByIdent(n.s);
  if (!at) return Status::InvalidArgument("unknown attribute " + Show(n));
  return at;
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
  if (n.kind == edn::Kind::kString) return NamedTemp(n.s, !value_position);
  if (n.kind == edn::Kind::kLong && n.i < 0) return NamedTemp(std::to_string(n.i), !value_position);
  EntRef r;
  if (n.kind == edn::Kind::kTagged && n.s == "db/id") {
    const edn::Node& body = n.items.at(0);
    if (!body.is_seq() || body.items.empty() || body.items[0].kind != edn::Kind::kKeyword)
      return Status::InvalidArgument("#db/id takes [partition] or [partition -n]: " + Show(n));
    EntityId part_e;
    if (!s_.schema->Entid(body.items[0].s, &part_e)) return Status::InvalidArgument("unknown partition " + Show(n));
    uint64_t part = part_e == sys::kDbPart ? kPartDb : part_e == sys::kTxPart ? kPartTx : kPartUser;
    if (body.items.size() >= 2 && body.items[1].kind == edn::Kind::kLong) {
      r = NamedTemp(std::to_string(body.items[1].i), !value_position);
      temps_[r.temp].partition = part;
      temps_[r.temp].explicit_partition = true;
      return r;
    }
    r = NewAutoTemp(part, true);
    if (!value_position) temps_[r.temp].in_entity_position = true;
    return r;
  }
  if (n.kind == edn::Kind::kKeyword) {  // an ident: ResolveEntityId's answer, through the table
    if (!Entid(n.s, &r.id)) return Status::NotFound("unknown ident " + Show(n));
    return r;
  }
  auto id = ResolveEntityId(s_, n, &cur_);
  if (!id.ok()) return id.status();
  if (n.kind == edn::Kind::kLong && !Allocated(*id))
    return Status::InvalidArgument("invalid entity id " + Show(n) +
                                   ": no such entity (:db.error/invalid-entity-id); entity ids are handed out by the "
                                   "transactor, name a new entity with a tempid");
  r.id = *id;
  return r;
}

Status Builder::SetValue(Op* op, const edn::Node& v) {
  if (op->attr->is_ref()) {
    STRATA_ASSIGN_OR_RETURN(op->vref, EntityPos(v, /*value_position=*/true));
  } else {
    STRATA_ASSIGN_OR_RETURN(op->v, CoerceValue(s_, *op->attr, v, &cur_));
  }
  return Status::OK();
}

Status Builder::AddValue(Op&& op, const edn::Node& v) {
  STRATA_RETURN_IF_ERROR(SetValue(&op, v));
  ops_.push_back(std::move(op));
  return Status::OK();
}

Status Builder::AddAssertion(const EntRef& e, const Attribute& at, const edn::Node& v, const edn::Node* src) {
  if (at.is_ref() && v.kind == edn::Kind::kMap) {
    STRATA_ASSIGN_OR_RETURN(EntRef sub, ExpandMap(v));
    Op& op = ops_.emplace_back();
    op.kind = Op::kAdd;
    op.e = e;
    op.attr = &at;
    op.src = src;
    op.vref = sub;
    return Status::OK();
  }
  if (at.id == sys::kValueType && e.is_temp()) temps_[e.temp].installs_attribute = true;
  // Built in place (nothing below adds operations); a failure fails the
  // whole transaction, so a half-filled operation is never read.
  Op& op = ops_.emplace_back();
  op.kind = Op::kAdd;
  op.e = e;
  op.attr = &at;
  op.src = src;
  return SetValue(&op, v);
}

Result<EntRef> Builder::ExpandMap(const edn::Node& m) {
  EntRef self;
  if (const edn::Node* id = m.Get("db/id")) {
    // Nested under a ref attribute, {:db/id x} alone is a reference to x.
    const bool only_id = m.items.size() == 2;
    STRATA_ASSIGN_OR_RETURN(self, EntityPos(*id, only_id));
  } else {
    self = NewAutoTemp(kPartUser, false);
    temps_[self.temp].in_entity_position = true;
  }
  const edn::Node* src = &m;
  for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
    const edn::Node& k = m.items[i];
    const edn::Node& v = m.items[i + 1];
    if (k.is_keyword("db/id")) continue;
    if (k.kind != edn::Kind::kKeyword) return Status::InvalidArgument("map keys must be attribute keywords: " + Show(k));
    const Attribute* at = AttrByIdent(k.s);
    // Reverse key :ns/_name (or :_name), not itself an attribute, links
    // the other way: [v :ns/name self].
    const size_t slash = at ? std::string::npos : k.s.find('/');
    const size_t name_at = slash == std::string::npos ? 0 : slash + 1;
    if (!at && k.s.compare(name_at, 1, "_") == 0) {
      std::string fwd = k.s.substr(0, name_at) + k.s.substr(name_at + 1);
      const Attribute* ref_at = s_.schema->AttrByIdent(fwd);
      if (!ref_at) return Status::InvalidArgument("unknown attribute :" + fwd + " (reverse key " + Show(k) + ")");
      if (!ref_at->is_ref()) return Status::InvalidArgument("reverse key " + Show(k) + " names a non-ref attribute");
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
          NoteEntityPosition(other);  // the subject of [other :a self]
        } else {
          STRATA_ASSIGN_OR_RETURN(other, EntityPos(*x, false));
        }
        Op op;
        op.kind = Op::kAdd;
        op.e = other;
        op.attr = ref_at;
        op.vref = self;
        op.src = src;
        ops_.push_back(std::move(op));
      }
      continue;
    }
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
    STRATA_ASSIGN_OR_RETURN(op.attr, AttrOf(it[2]));
    if (name == "db/add") {
      op.kind = Op::kAdd;
      if (op.attr->id == sys::kValueType && op.e.is_temp()) temps_[op.e.temp].installs_attribute = true;
      return AddValue(std::move(op), it[3]);
    }
    if (op.e.is_temp()) return Status::InvalidArgument("cannot retract from a tempid: " + show());
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
    if (op.e.is_temp()) return Status::InvalidArgument("cannot retract a tempid: " + show());
    ops_.push_back(std::move(op));
    return Status::OK();
  }
  if (name == "db/cas" || name == "db.fn/cas") {
    STRATA_RETURN_IF_ERROR(arity(5, 5));
    Op op;
    op.kind = Op::kCas;
    op.src = src;
    STRATA_ASSIGN_OR_RETURN(op.e, EntityPos(it[1], false));
    if (op.e.is_temp()) return Status::InvalidArgument(":db/cas needs an existing entity: " + show());
    STRATA_ASSIGN_OR_RETURN(op.attr, AttrOf(it[2]));
    if (op.attr->many) return Status::InvalidArgument(":db/cas needs a cardinality-one attribute: " + show());
    if (it[3].kind == edn::Kind::kNil) {
      op.cas_old_nil = true;
    } else {
      STRATA_ASSIGN_OR_RETURN(op.cas_old, CoerceValue(s_, *op.attr, it[3], &cur_));
    }
    return AddValue(std::move(op), it[4]);
  }
  if (name == "db/excise") {
    // [:db/excise e] [:db/excise e [attrs...]] [:db/excise e [attrs...] before]
    STRATA_RETURN_IF_ERROR(arity(2, 4));
    STRATA_ASSIGN_OR_RETURN(EntRef target, EntityPos(it[1], false));
    if (target.is_temp()) return Status::InvalidArgument(":db/excise needs an existing entity: " + show());
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
  if (depth == 0) {
    // Room for the usual count (an operation per list form or map entry):
    // growing the vector moves every operation.
    size_t n = 0;
    for (const auto& op : tx.items) n += op.kind == edn::Kind::kMap ? op.items.size() / 2 : 1;
    ops_.reserve(n);
  }
  for (const auto& op : tx.items) STRATA_RETURN_IF_ERROR(AddOp(op, depth));
  return Status::OK();
}

Result<EntityId> Builder::Resolved(const EntRef& r) const {
  if (!r.is_temp()) return r.id;
  const TempInfo& ti = temps_[r.temp];
  if (!ti.resolved) return Status::InvalidArgument("unresolved " + DescribeTemp(r.temp));
  return ti.id;
}

Result<std::optional<EntityId>> Builder::HolderBefore(const Op& op, EntityId a, const Value& v) {
  const std::less<const Op*> before;
  const bool in_ops = !before(&op, ops_.data()) && before(&op, ops_.data() + ops_.size());
  const size_t i = in_ops ? static_cast<size_t>(&op - ops_.data()) : op_lookup_.size();
  if (i < op_lookup_.size() && op_lookup_[i] >= 0) {
    const UniqueLookup& l = lookups_[static_cast<size_t>(op_lookup_[i])];
    if (l.a == a && l.v == v) return l.holder;
  }
  return cur_.EntityWith(a, v);
}

Status Builder::ResolveTempids(T t) {
  // A tempid must name an entity it says something about: a new entity
  // takes a t (SPEC §1), and only its datoms record that it exists.
  for (const Op& op : ops_) {
    if (op.kind != Op::kAdd && op.kind != Op::kCas) continue;
    if (op.e.is_temp()) temps_[op.e.temp].asserted = true;
    if (op.vref.is_temp()) temps_[op.vref.temp].asserted = true;
  }
  for (uint32_t i = 0; i < temps_.size(); ++i) {
    const TempInfo& ti = temps_[i];
    if (i == tx_temp_) continue;
    if (!ti.in_entity_position)
      return Status::InvalidArgument(DescribeTemp(i) + " is used only in value position");
    if (!ti.asserted)
      return Status::InvalidArgument(ti.report ? DescribeTemp(i) + " names an entity the transaction asserts nothing about"
                                               : std::string("an entity map asserts no attribute"));
  }
  if (tx_temp_ != EntRef::kNoTemp) {
    temps_[tx_temp_].resolved = true;
    temps_[tx_temp_].id = TxId(t);
  }
  // The value an operation asserts for a :db.unique/identity attribute of a
  // tempid, once its ref (if any) is resolved.
  auto identity_value = [&](const Op& op) -> std::optional<Value> {
    if (op.kind != Op::kAdd || !op.e.is_temp() || op.attr->unique != Unique::kIdentity) return std::nullopt;
    if (!op.attr->is_ref()) return op.v;
    if (!op.vref.is_temp()) return Value::Ref(op.vref.id);
    const TempInfo& r = temps_[op.vref.temp];
    if (!r.resolved) return std::nullopt;
    return Value::Ref(r.id);
  };
  // Upsert: a tempid asserting an existing :db.unique/identity value is that
  // entity. Repeat while resolutions enable more (refs to upserted tempids).
  // Each lookup is kept (lookups_) for the uniqueness check of the same value.
  op_lookup_.assign(ops_.size(), -1);
  for (int round = 0; round < 4; ++round) {
    bool progress = false;
    for (size_t i = 0; i < ops_.size(); ++i) {
      const Op& op = ops_[i];
      std::optional<Value> v = identity_value(op);
      if (!v) continue;
      std::optional<EntityId> existing;
      int32_t& memo = op_lookup_[i];
      if (memo >= 0 && lookups_[static_cast<size_t>(memo)].v == *v) {
        existing = lookups_[static_cast<size_t>(memo)].holder;
      } else {
        STRATA_ASSIGN_OR_RETURN(existing, cur_.EntityWith(op.attr->id, *v));
        memo = static_cast<int32_t>(lookups_.size());
        lookups_.push_back(UniqueLookup{op.attr->id, std::move(*v), existing});
      }
      if (!existing) continue;
      TempInfo& ti = temps_[op.e.temp];
      if (!ti.resolved) {
        ti.resolved = true;
        ti.id = *existing;
        progress = true;
      } else if (ti.id != *existing) {
        return Status::Conflict(DescribeTemp(op.e.temp) + " upserts to two entities, " +
                                std::to_string(ti.id) + " and " + std::to_string(*existing) + " (" + Kw(*op.attr) +
                                ") in " + Show(*op.src));
      }
    }
    if (!progress) break;
  }
  // Tempids asserting the same new :db.unique/identity value are one entity
  // (Datomic unifies them rather than reporting a conflict): each group is
  // represented by its first-mentioned tempid (the lowest index), whatever
  // order the groups are found in.
  struct Claim {
    EntityId a;
    Value v;
    uint32_t temp;
  };
  std::vector<Claim> claims;
  for (const Op& op : ops_) {
    std::optional<Value> v = identity_value(op);
    if (!v || temps_[op.e.temp].resolved) continue;
    claims.push_back(Claim{op.attr->id, std::move(*v), op.e.temp});
  }
  std::vector<uint32_t> parent;  // empty until two tempids share a value
  auto rep = [&](uint32_t k) {
    while (parent[k] != k) k = parent[k];
    return k;
  };
  if (claims.size() > 1) {
    std::vector<uint32_t> order(claims.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    auto less = [&](uint32_t x, uint32_t y) {
      if (claims[x].a != claims[y].a) return claims[x].a < claims[y].a;
      return claims[x].v.Compare(claims[y].v) < 0;
    };
    if (!std::is_sorted(order.begin(), order.end(), less)) std::sort(order.begin(), order.end(), less);
    for (size_t i = 1; i < order.size(); ++i) {
      const Claim& x = claims[order[i - 1]];
      const Claim& y = claims[order[i]];
      if (x.a != y.a || x.v != y.v || x.temp == y.temp) continue;
      if (parent.empty()) {
        parent.resize(temps_.size());
        for (uint32_t k = 0; k < parent.size(); ++k) parent[k] = k;
      }
      uint32_t a = rep(x.temp), b = rep(y.temp);
      if (a == b) continue;
      if (b < a) std::swap(a, b);
      parent[b] = a;
    }
  }
  T next = t + 1;
  first_new_t_ = next;
  new_ids_.clear();
  for (uint32_t i = 0; i < temps_.size(); ++i) {
    TempInfo& ti = temps_[i];
    if (ti.resolved) continue;
    if (!parent.empty()) {
      const uint32_t r = rep(i);
      if (r != i) {  // its representative came first and is resolved
        ti.resolved = true;
        ti.id = temps_[r].id;
        continue;
      }
    }
    uint64_t part = ti.explicit_partition ? ti.partition : ti.installs_attribute ? kPartDb : kPartUser;
    EntityId id = MakeEntityId(part, next++);
    ti.resolved = true;
    ti.id = id;
    new_ids_.push_back(id);
  }
  return Status::OK();
}

}  // namespace strata::tx_internal
