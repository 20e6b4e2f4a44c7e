// tx_finish.cc — operations to datoms (see builder.h): Finish resolves the
// operations against db-before, applies the rules that need the whole
// transaction (redundancy, implicit retractions, uniqueness, excision
// requests, schema alteration) and returns the transaction's datoms.

#include <algorithm>
#include <optional>

#include "tx/builder.h"
#include "tx/schema_guard.h"
#include "util/planted_faults.h"

namespace strata::tx_internal {

std::string ShowDatom(const DbState& s, EntityId e, const Attribute& at, const Value& v) {
  const std::string vs = edn::Print(edn::FromValue(v));
  return "[" + std::to_string(e) + " :" + at.ident + " " + vs + "]";
}

void ChangeSet::Seal() {
  const size_t n = items_.size();
  if (sealed_ == n) return;
  bool ordered = true;  // strictly ascending: sorted, no repeated key
  for (size_t i = std::max<size_t>(sealed_, 1); i < n && ordered; ++i)
    ordered = items_[i - 1].k.Compare(items_[i].k) < 0;
  if (ordered) {
    sealed_ = n;
    return;
  }
  // Sort positions, not 100-byte changes, by (e, a, v, position) (the
  // first added stays first; values are compared only within an (e, a)).
  // A transaction names an entity's attributes together (a map, or a run
  // of list forms), so the new changes are a few hundred stretches of one
  // entity: the stretches are sorted by entity (stable: a repeated entity's
  // stretches keep their order), then each entity's changes by (a, v).
  struct Stretch {
    EntityId e;
    uint32_t first, end;
  };
  std::vector<Stretch> stretches;
  for (size_t i = sealed_; i < n;) {
    const EntityId e = items_[i].k.e;
    const size_t first = i;
    while (i < n && items_[i].k.e == e) ++i;
    stretches.push_back(Stretch{e, static_cast<uint32_t>(first), static_cast<uint32_t>(i)});
  }
  std::stable_sort(stretches.begin(), stretches.end(), [](const Stretch& x, const Stretch& y) { return x.e < y.e; });
  std::vector<uint32_t> keys;
  keys.reserve(n - sealed_);
  const auto av_less = [&](uint32_t x, uint32_t y) {  // stable sorts keep positions ascending among equals
    const EavKey& kx = items_[x].k;
    const EavKey& ky = items_[y].k;
    if (kx.a != ky.a) return kx.a < ky.a;
    return kx.v.Compare(ky.v) < 0;
  };
  for (size_t s = 0; s < stretches.size();) {
    const size_t group = keys.size();
    const EntityId e = stretches[s].e;
    for (; s < stretches.size() && stretches[s].e == e; ++s)
      for (uint32_t i = stretches[s].first; i < stretches[s].end; ++i) keys.push_back(i);
    const auto first = keys.begin() + static_cast<long>(group);
    if (keys.end() - first <= 32) {
      for (auto it = first + 1; it < keys.end(); ++it)  // insertion sort: stable, and fast for a few
        for (auto j = it; j > first && av_less(*j, *(j - 1)); --j) std::iter_swap(j, j - 1);
    } else {
      std::stable_sort(first, keys.end(), av_less);
    }
  }
  std::vector<uint32_t> pos(n);
  for (uint32_t i = 0; i < sealed_; ++i) pos[i] = i;
  for (size_t i = 0; i < keys.size(); ++i) pos[sealed_ + i] = keys[i];
  const auto key_less = [&](uint32_t x, uint32_t y) { return items_[x].k.Compare(items_[y].k) < 0; };
  std::inplace_merge(pos.begin(), pos.begin() + static_cast<long>(sealed_), pos.end(), key_less);
  std::vector<Change> out;
  out.reserve(n);
  for (uint32_t i : pos) {
    if (!out.empty() && out.back().k.Compare(items_[i].k) == 0) continue;  // a repeated key: the first stays
    out.push_back(std::move(items_[i]));
  }
  items_ = std::move(out);
  sealed_ = items_.size();
}

const Change* ChangeSet::Find(const EavKey& k) const {
  const Change* it = std::lower_bound(begin(), end(), k, [](const Change& c, const EavKey& x) { return c.k.Compare(x) < 0; });
  return it != end() && it->k.Compare(k) == 0 ? it : nullptr;
}

std::pair<const Change*, const Change*> ChangeSet::Range(EntityId e, EntityId a) const {
  auto ea_less = [](const Change& c, std::pair<EntityId, EntityId> x) {
    return c.k.e != x.first ? c.k.e < x.first : c.k.a < x.second;
  };
  auto ea_greater = [](std::pair<EntityId, EntityId> x, const Change& c) {
    return x.first != c.k.e ? x.first < c.k.e : x.second < c.k.a;
  };
  const Change* lo = std::lower_bound(begin(), end(), std::pair{e, a}, ea_less);
  const Change* hi = std::upper_bound(lo, end(), std::pair{e, a}, ea_greater);
  return {lo, hi};
}

namespace {

// (attribute, value) -> the first entity of the transaction that asserts
// it: an open-addressing table sized once (no allocation per claim). The
// values are borrowed and must outlive it.
class AvClaims {
 public:
  explicit AvClaims(size_t capacity) {
    size_t n = 16;
    while (n < 2 * capacity) n *= 2;
    slots_.resize(n);
    mask_ = n - 1;
  }
  // The entity that claimed (a v) first, or nullopt after recording e as it.
  std::optional<EntityId> Claim(EntityId a, const Value& v, EntityId e) {
    uint64_t h = (static_cast<uint64_t>(v.Hash()) ^ (a * 0x9e3779b97f4a7c15ULL));
    h ^= h >> 33;  // murmur3's fmix64: sequential values spread over the slots
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.v) {
        s = Slot{&v, a, e};
        return std::nullopt;
      }
      if (s.a == a && *s.v == v) return s.e;
    }
  }

 private:
  struct Slot {
    const Value* v = nullptr;  // null: empty
    EntityId a = 0, e = 0;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace

Result<PreparedTx> Builder::Finish(int64_t now_ms) {
  const T t = s_.next_t;
  const EntityId tx = TxId(t);
  STRATA_RETURN_IF_ERROR(ResolveTempids(t));
  Changes ch;
  STRATA_RETURN_IF_ERROR(CollectOps(&ch));
  STRATA_RETURN_IF_ERROR(AddCompositeTuples(&ch));
  // Rules that need the whole transaction: all operations see db-before.
  STRATA_RETURN_IF_ERROR(CheckWholeTx(ch));
  PreparedTx out;
  out.t = t;
  STRATA_RETURN_IF_ERROR(EmitDatoms(ch, tx, now_ms, &out.datoms));
  STRATA_RETURN_IF_ERROR(CheckSystemSchema(s_, ch, out.datoms));
  STRATA_ASSIGN_OR_RETURN(out.excisions, CheckExcisions(t, out.datoms));
  STRATA_ASSIGN_OR_RETURN(out.schema_after, SchemaAfter(out.datoms));
  STRATA_RETURN_IF_ERROR(CheckPredicates(t, &out));
  for (const TempInfo& ti : temps_)
    if (ti.report) out.tempids[ti.key] = ti.id;
  out.tempids[kTxTempid] = tx;
  return out;
}

// Each operation's datoms, keyed by (e, a, v): what to assert, what to retract.
// An operation's value moves into its change (nothing reads it later).
Status Builder::CollectOps(Changes* ch) {
  // A ref operation's value is its resolved entity; any other's is op.v.
  auto resolve_ref = [&](Op& op) -> Status {
    if (!op.attr->is_ref()) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(EntityId id, Resolved(op.vref));
    op.v = Value::Ref(id);
    return Status::OK();
  };
  ch->asserts.Reserve(ops_.size());
  for (Op& op : ops_) {
    STRATA_ASSIGN_OR_RETURN(EntityId e, Resolved(op.e));
    switch (op.kind) {
      case Op::kAdd: {
        STRATA_RETURN_IF_ERROR(resolve_ref(op));
        ch->asserts.Add(e, op.attr->id, std::move(op.v), Pending{op.attr, &op});
        break;
      }
      case Op::kRetract: {
        STRATA_RETURN_IF_ERROR(resolve_ref(op));
        ch->retracts.Add(e, op.attr->id, std::move(op.v), Pending{op.attr, &op});
        break;
      }
      case Op::kRetractAttr: {
        STRATA_ASSIGN_OR_RETURN(std::vector<Value> vs, cur_.Values(e, op.attr->id));
        for (Value& v : vs) ch->retracts.Add(e, op.attr->id, std::move(v), Pending{op.attr, &op});
        break;
      }
      case Op::kRetractEntity: STRATA_RETURN_IF_ERROR(RetractEntity(e, op, ch)); break;
      case Op::kCas: {
        STRATA_RETURN_IF_ERROR(resolve_ref(op));
        STRATA_RETURN_IF_ERROR(CheckCas(op, e));
        ch->asserts.Add(e, op.attr->id, std::move(op.v), Pending{op.attr, &op});
        break;
      }
    }
  }
  ch->asserts.Seal();
  ch->retracts.Seal();
  return Status::OK();
}

// The entity, every ref to it, and its components, recursively.
Status Builder::RetractEntity(EntityId e, const Op& op, Changes* ch) {
  std::vector<EntityId> to_retract{e};
  while (!to_retract.empty()) {
    EntityId x = to_retract.back();
    to_retract.pop_back();
    if (!ch->retracted_entities.insert(x).second) continue;
    STRATA_ASSIGN_OR_RETURN(std::vector<Datom> own, cur_.ByEntity(x));
    STRATA_ASSIGN_OR_RETURN(std::vector<Datom> refs, cur_.RefsTo(x));
    for (Datom& d : own) {
      const Attribute* at = s_.schema->Attr(d.a);
      if (!at) continue;
      if (at->component && d.v.type() == ValueType::kRef) to_retract.push_back(d.v.ref());
      ch->retracts.Add(d.e, d.a, std::move(d.v), Pending{at, &op});
    }
    for (Datom& d : refs) {
      const Attribute* at = s_.schema->Attr(d.a);
      if (at) ch->retracts.Add(d.e, d.a, std::move(d.v), Pending{at, &op});
    }
  }
  return Status::OK();
}

Status Builder::CheckCas(const Op& op, EntityId e) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> cur, cur_.Values(e, op.attr->id));
  bool ok = op.cas_old_nil ? cur.empty() : (cur.size() == 1 && cur[0] == op.cas_old);
  if (ok) return Status::OK();
  std::string have = cur.empty() ? "no value" : ShowDatom(s_, e, *op.attr, cur[0]);
  return Status::Conflict(":db/cas failed: current is " + have + ", expected " +
                          (op.cas_old_nil ? std::string("no value") : ShowDatom(s_, e, *op.attr, op.cas_old)) +
                          " in " + Show(*op.src));
}

// No datom both asserted and retracted; one value per cardinality-one attribute.
Status Builder::CheckWholeTx(const Changes& ch) {
  const EavKey* prev = nullptr;
  for (const auto& [k, p] : ch.asserts) {
    if (!ch.retracts.empty() && ch.retracts.Contains(k))
      return Status::InvalidArgument("datom both asserted and retracted in one transaction: " +
                                     ShowDatom(s_, k.e, *p.attr, k.v) + " in " + Show(*p.op->src));
    if (prev && !p.attr->many && prev->e == k.e && prev->a == k.a)
      return Status::InvalidArgument("two values for cardinality-one attribute " + Kw(*p.attr) + " of entity " +
                                     std::to_string(k.e) + ": " + ShowDatom(s_, k.e, *p.attr, prev->v) + " and " +
                                     ShowDatom(s_, k.e, *p.attr, k.v) + " in " + Show(*p.op->src));
    prev = &k;
  }
  return Status::OK();
}

// The datoms, in EAVT order: assertions that are not redundant, implicit
// retractions of replaced cardinality-one values, retractions of current
// datoms, and :db/txInstant unless the transaction set it. They are
// emitted in that order as far as it goes (each replaced value beside its
// replacement, the instant at its place among the assertions, retractions
// merged in), so the final sort usually only checks.
Status Builder::EmitDatoms(const Changes& ch, EntityId tx, int64_t now_ms, std::vector<Datom>* datoms) {
  datoms->reserve(ch.asserts.size() + ch.retracts.size() + 1);
  // The transaction's own instant, when it sets none: it goes before the
  // first datom of a later (e, a). The tx entity is new, so an assertion
  // of its :db/txInstant is never redundant.
  const bool user_instant = [&] {
    auto [lo, hi] = ch.asserts.Range(tx, sys::kTxInstant);
    return lo != hi;
  }();
  bool instant_due = !user_instant;
  auto emit_instant_before = [&](EntityId e, EntityId a) {
    if (instant_due && (e > tx || (e == tx && a > sys::kTxInstant))) {
      datoms->push_back(Datom{tx, sys::kTxInstant, Value::Instant(std::max(now_ms, s_.last_instant)), tx, true});
      instant_due = false;
    }
  };
  size_t unique_asserts = 0;
  for (const auto& [k, p] : ch.asserts) unique_asserts += p.attr->unique != Unique::kNone;
  AvClaims unique_in_tx(unique_asserts);
  std::vector<Value> olds;
  for (const Change& c : ch.asserts) {
    const EavKey& k = c.k;  // named, not bound: the lambda below captures it
    const Pending& p = c.p;
    const bool fresh = IsNew(k.e) || k.e == tx;
    if (!fresh) {
      STRATA_ASSIGN_OR_RETURN(bool redundant, cur_.IsCurrent(k.e, k.a, k.v));
      if (redundant) continue;
    }
    if (k.e == tx && k.a == sys::kTxInstant) {
      if (k.v.instant_ms() < s_.last_instant)
        return Status::InvalidArgument(":db/txInstant " + edn::Print(edn::Node::Inst(k.v.instant_ms())) +
                                       " is before the previous transaction's " +
                                       edn::Print(edn::Node::Inst(s_.last_instant)));
    }
    if (p.attr->unique != Unique::kNone)
      STRATA_RETURN_IF_ERROR(CheckUnique(k, p, ch, unique_in_tx.Claim(k.a, k.v, k.e)));
    emit_instant_before(k.e, k.a);
    olds.clear();
    if (!p.attr->many && !fresh) {
      // Implicit retraction of the value being replaced (the current values
      // come in value order).
      STRATA_ASSIGN_OR_RETURN(olds, cur_.Values(k.e, k.a));
      std::erase_if(olds, [&](const Value& old) {
        if (old == k.v) return true;
        if (PlantedFault("implicit-retraction-forgets-old")) return true;
        return !ch.retracts.empty() && ch.retracts.Contains(EavKey{k.e, k.a, old});
      });
    }
    size_t o = 0;
    for (; o < olds.size() && olds[o] < k.v; ++o) datoms->push_back(Datom{k.e, k.a, std::move(olds[o]), tx, false});
    datoms->push_back(Datom{k.e, k.a, k.v, tx, true});
    for (; o < olds.size(); ++o) datoms->push_back(Datom{k.e, k.a, std::move(olds[o]), tx, false});
  }
  // Still due: its place is after every assertion.
  emit_instant_before(~EntityId{0}, ~EntityId{0});
  const size_t asserted_end = datoms->size();
  for (const auto& [k, p] : ch.retracts) {
    if (IsNew(k.e)) continue;
    STRATA_ASSIGN_OR_RETURN(bool current, cur_.IsCurrent(k.e, k.a, k.v));
    if (!current) continue;  // nothing to retract
    datoms->push_back(Datom{k.e, k.a, k.v, tx, false});
  }
  if (datoms->size() > asserted_end) {
    std::inplace_merge(datoms->begin(), datoms->begin() + static_cast<long>(asserted_end), datoms->end(),
                       DatomLessIn<Index::kEavt>{});
  }
  SortDatoms(Index::kEavt, datoms);  // checks the order; sorts only if the emission missed it
  return Status::OK();
}

// A unique value goes to one entity in the transaction (`other_in_tx`: the
// entity that asserted it first, if another), and to none that holds it in
// db-before and keeps it.
Status Builder::CheckUnique(const EavKey& k, const Pending& p, const Changes& ch, std::optional<EntityId> other_in_tx) {
  if (other_in_tx && *other_in_tx != k.e)
    return Status::Conflict("unique conflict: " + Kw(*p.attr) + " value asserted for two entities, " +
                            std::to_string(*other_in_tx) + " and " + std::to_string(k.e) + " in " + Show(*p.op->src));
  STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> holder, HolderBefore(*p.op, k.a, k.v));
  if (holder && *holder != k.e && !(!ch.retracts.empty() && ch.retracts.Contains(EavKey{*holder, k.a, k.v})) &&
      !ch.retracted_entities.count(*holder))
    return Status::Conflict("unique conflict: " + ShowDatom(s_, k.e, *p.attr, k.v) + " but entity " +
                            std::to_string(*holder) + " already has that value, in " + Show(*p.op->src));
  return Status::OK();
}

// Schema entities cannot be excised; SPEC §7: an excision request stays
// visible, so no excision may remove the datoms of one (they also carry the
// excision across restarts until an indexing job has applied it).
Result<std::vector<ExcisionSpec>> Builder::CheckExcisions(T t, const std::vector<Datom>& datoms) const {
  for (const Datom& d : datoms) {
    if (d.a == sys::kExcise && PartitionOf(d.v.ref()) == kPartDb)
      return Status::InvalidArgument("cannot excise schema entity " + std::to_string(d.v.ref()));
  }
  if (!HasExcision(datoms)) return std::vector<ExcisionSpec>();
  STRATA_ASSIGN_OR_RETURN(std::vector<ExcisionSpec> specs, ExcisionSpecs(s_, t, datoms));
  for (const ExcisionSpec& spec : specs) {
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
  return specs;
}

// Schema alteration (SPEC §2): the schema after the datoms, each changed
// attribute validated against the data in db-before.
Result<std::shared_ptr<const Schema>> Builder::SchemaAfter(const std::vector<Datom>& datoms) const {
  bool touches_schema = false;
  for (const Datom& d : datoms) {
    if (IsSchemaAttr(d.a)) touches_schema = true;
  }
  if (!touches_schema) return s_.schema;
  auto next = std::make_shared<Schema>(*s_.schema);
  std::vector<EntityId> changed = ApplySchemaDatoms(next.get(), datoms);
  for (EntityId id : changed) {
    auto it = next->attributes().find(id);
    if (it == next->attributes().end()) continue;
    STRATA_RETURN_IF_ERROR(CheckAlteration(id, it->second, s_.schema->Attr(id)));
    STRATA_RETURN_IF_ERROR(CheckTupleSchema(*next, it->second, s_.schema->Attr(id)));
  }
  return std::shared_ptr<const Schema>(std::move(next));
}

// Attribute `id` as it is after the transaction (`now`) and before (`was`,
// null for a new attribute).
Status Builder::CheckAlteration(EntityId id, const Attribute& now, const Attribute* was) const {
  const std::string name = now.ident.empty() ? std::to_string(id) : ":" + now.ident;
  if (PartitionOf(id) == kPartDb && id < kFirstUserT)
    return Status::InvalidArgument("cannot alter system attribute " + name);
  if (!now.installed()) {
    if (was) return Status::InvalidArgument("cannot retract :db/valueType or :db/cardinality of " + name);
    return Status::InvalidArgument("attribute " + name + " needs :db/ident, :db/valueType and :db/cardinality");
  }
  if (now.ident.empty()) return Status::InvalidArgument("attribute " + name + " needs a :db/ident");
  if (now.component && !now.is_ref()) return Status::InvalidArgument(":db/isComponent needs a ref attribute: " + name);
  if (!was) return Status::OK();
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
      if (!cur->Valid())  // the end, or a failed read: then n may be short
        STRATA_RETURN_IF_ERROR(cur->status().WithContext("checking " + name + " for cardinality one"));
      if (n > 1)
        return Status::Conflict("cannot change " + name + " to cardinality one: entity " + std::to_string(e) +
                                " has " + std::to_string(n) + " values");
    }
    STRATA_RETURN_IF_ERROR(cur->status().WithContext("checking " + name + " for cardinality one"));
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
    STRATA_RETURN_IF_ERROR(cur->status().WithContext("checking " + name + " for uniqueness"));
  }
  return Status::OK();
}

}  // namespace strata::tx_internal
