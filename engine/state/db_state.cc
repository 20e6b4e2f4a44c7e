#include "state/db_state.h"

#include <algorithm>

#include "index/unique_value_filter.h"
#include "util/planted_faults.h"

namespace strata {
namespace {

std::unique_ptr<DatomIterator> CurrentIter(const DbState& s, Index order) {
  std::vector<std::unique_ptr<DatomIterator>> kids;
  s.AddSources(order, /*with_history=*/false, &kids);
  return NewViewIterator(order, NewMergingIterator(order, std::move(kids)), ViewSpec{});
}

}  // namespace

void DbState::AddSources(Index order, bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                         const ValueFilter* filter) const {
  AddIndexSources(order, with_history, out, filter);
  for (const auto& m : sealed) m.mem->AddSources(order, with_history, out, filter);
  mem->AddSources(order, with_history, out, filter);
}

void DbState::AddIndexSources(Index order, bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                              const ValueFilter* filter) const {
  if (durable && root) {
    const size_t first = out->size();
    AddDurableSources(durable, *root, order, with_history, out, filter);
    if (!pending_excisions.empty()) {
      auto specs = std::make_shared<const std::vector<ExcisionSpec>>(pending_excisions);
      for (size_t i = first; i < out->size(); ++i)
        (*out)[i] = NewFilterIterator(std::move((*out)[i]), [specs](const Datom& d) { return !Excised(*specs, d); });
    }
  }
}

uint64_t DbState::NoveltyBytes() const {
  uint64_t n = mem->stats().bytes;
  for (const auto& m : sealed) n += m.mem->stats().bytes;
  return n;
}

std::unique_ptr<DatomIterator> DbState::CurrentOf(Index order) const { return CurrentIter(*this, order); }

DatomIterator* CurrentReader::It(Index order) {
  auto& it = its_[static_cast<int>(order)];
  if (!it) it = CurrentIter(s_, order);
  return it.get();
}

namespace {
// The status of a point read that stopped: OK, or the error that ended it,
// naming what was read. Taking it is what makes the read's answer
// trustworthy (see util/iterator.h).
Status ReadStatus(Status s, const char* what) {
  if (PlantedFault("tx-reader-drops-status")) return Status::OK();
  return s.WithContext(what);
}
Status ReadStatus(const DatomIterator& it, const char* what) { return ReadStatus(it.status(), what); }
}  // namespace

Result<std::vector<Value>> CurrentReader::Values(EntityId e, EntityId a) {
  std::vector<Value> out;
  DatomIterator* it = It(Index::kEavt);
  for (it->Seek(PrefixTarget(Index::kEavt, {Value::Ref(e), Value::Ref(a)})); it->Valid(); it->Next()) {
    const Datom& d = it->datom();
    if (d.e != e || d.a != a) return out;
    out.push_back(d.v);
  }
  STRATA_RETURN_IF_ERROR(ReadStatus(*it, "reading the current values of an entity"));
  return out;
}

Result<bool> CurrentReader::IsCurrent(EntityId e, EntityId a, const Value& v) {
  DatomIterator* it = It(Index::kEavt);
  const std::vector<Value> prefix{Value::Ref(e), Value::Ref(a), v};
  it->Seek(PrefixTarget(Index::kEavt, prefix));
  if (it->Valid()) return MatchesPrefix(Index::kEavt, it->datom(), prefix);
  STRATA_RETURN_IF_ERROR(ReadStatus(*it, "reading whether a datom is current"));
  return false;
}

Result<std::optional<EntityId>> CurrentReader::EntityWith(EntityId a, const Value& v) {
  // The datoms with (a v) of every source, folded per entity as the current
  // view folds them: the durable index level by level, each level's leaves
  // that hold no (a v) by their value filter skipped unread (during an
  // import almost every value looked up is new, and seeking every level
  // for it was a fifth of the transactor's time), the memory index through
  // each run's hash of its (a v) groups (a seek in every run was a quarter).
  av_.clear();
  if (s_.durable && s_.root) {
    const auto& levels = s_.root->trees[TreeNumber(TreeKind::kCurrent, Index::kAvet)];
    const uint64_t hash = levels.empty() ? 0 : ValueKeyHash(a, v);
    for (const auto& l : levels)
      STRATA_RETURN_IF_ERROR(ReadStatus(AppendLevelAv(*s_.durable, *l, a, v, hash, &av_),
                                        "reading the entity holding a unique value"));
    if (!s_.pending_excisions.empty())
      std::erase_if(av_, [&](const Datom& d) { return Excised(s_.pending_excisions, d); });
  }
  for (const auto& m : s_.sealed) m.mem->AppendCurrentWithAv(a, v, &av_);
  s_.mem->AppendCurrentWithAv(a, v, &av_);
  if (av_.empty()) return std::optional<EntityId>();
  std::sort(av_.begin(), av_.end(), DatomLessIn<Index::kAvet>{});
  // Each entity's datoms ascend by tx: the last one decides.
  for (size_t i = 0; i < av_.size(); ++i)
    if ((i + 1 == av_.size() || av_[i + 1].e != av_[i].e) && av_[i].added) return std::optional<EntityId>(av_[i].e);
  return std::optional<EntityId>();
}

size_t CurrentReader::AvHash::operator()(const std::pair<EntityId, Value>& k) const {
  uint64_t h = static_cast<uint64_t>(k.second.Hash()) ^ (k.first * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 33;  // murmur3's fmix64
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<size_t>(h);
}

Result<std::optional<EntityId>> CurrentReader::EntityWithRemembered(EntityId a, const Value& v) {
  std::pair<EntityId, Value> key{a, v};
  if (auto it = remembered_.find(key); it != remembered_.end()) return it->second;
  STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, EntityWith(a, v));
  remembered_.emplace(std::move(key), e);
  return e;
}

Result<std::vector<Datom>> CurrentReader::ByEntity(EntityId e) {
  std::vector<Datom> out;
  DatomIterator* it = It(Index::kEavt);
  for (it->Seek(PrefixTarget(Index::kEavt, {Value::Ref(e)})); it->Valid(); it->Next()) {
    if (it->datom().e != e) return out;
    out.push_back(it->datom());
  }
  STRATA_RETURN_IF_ERROR(ReadStatus(*it, "reading the datoms of an entity"));
  return out;
}

Result<std::vector<Datom>> CurrentReader::RefsTo(EntityId e) {
  std::vector<Datom> out;
  DatomIterator* it = It(Index::kVaet);
  for (it->Seek(PrefixTarget(Index::kVaet, {Value::Ref(e)})); it->Valid(); it->Next()) {
    const Datom& d = it->datom();
    if (d.v.type() != ValueType::kRef || d.v.ref() != e) return out;
    out.push_back(d);
  }
  STRATA_RETURN_IF_ERROR(ReadStatus(*it, "reading the references to an entity"));
  return out;
}

Result<std::vector<Value>> DbState::CurrentValues(EntityId e, EntityId a) const {
  return CurrentReader(*this).Values(e, a);
}
Result<std::optional<EntityId>> DbState::EntityWith(EntityId a, const Value& v) const {
  return CurrentReader(*this).EntityWith(a, v);
}

std::shared_ptr<const DbState> BootstrapState() {
  static const std::shared_ptr<const DbState> kBoot = [] {
    auto s = std::make_shared<DbState>();
    auto schema = std::make_shared<Schema>();
    std::vector<Datom> datoms = BootstrapDatoms();
    ApplySchemaDatoms(schema.get(), datoms);
    s->schema = schema;
    s->mem = std::make_shared<MemIndex>();
    s->root = std::make_shared<IndexRoot>();
    DbState tmp = *s;
    return ApplyDatoms(tmp, 0, datoms, schema);
  }();
  return kBoot;
}

std::shared_ptr<const DbState> ApplyDatoms(const DbState& before, T t, const std::vector<Datom>& datoms,
                                           std::shared_ptr<const Schema> schema_after) {
  auto s = std::make_shared<DbState>(before);
  s->schema = std::move(schema_after);
  s->basis_t = t;
  T next = std::max(before.next_t, t + 1);
  // Every entity the transaction created takes a t (SPEC §1), including one
  // that appears only as a ref value (a map of reverse keys); a ref value
  // can name no entity beyond next_t other than a new one.
  for (const Datom& d : datoms) {
    next = std::max(next, TOf(d.e) + 1);
    if (d.added && d.v.type() == ValueType::kRef && PartitionOf(d.v.ref()) != kPartDb && s->IsRef(d.a))
      next = std::max(next, TOf(d.v.ref()) + 1);
    if (d.a == sys::kTxInstant && d.e == TxId(t) && d.added) s->last_instant = d.v.instant_ms();
  }
  s->next_t = t == 0 ? kFirstUserT : next;
  const DbState* sp = s.get();
  s->mem = before.mem->Add(
      datoms, [sp](EntityId a) { return sp->IsRef(a); }, [sp](EntityId a) { return sp->NoHistory(a); },
      [sp](EntityId a) {
        const Attribute* at = sp->schema->Attr(a);
        return at && at->unique != Unique::kNone;
      });
  return s;
}

Result<std::shared_ptr<const Schema>> LoadSchema(const DbState& s) {
  auto schema = std::make_shared<Schema>();
  Status failed;
  auto read = [&](EntityId a, bool history) {
    std::vector<std::unique_ptr<DatomIterator>> kids;
    s.AddSources(Index::kAevt, history, &kids);
    ViewSpec spec;
    spec.history = history;
    auto it = NewViewIterator(Index::kAevt, NewMergingIterator(Index::kAevt, std::move(kids)), spec);
    std::vector<Datom> out;
    for (it->Seek(PrefixTarget(Index::kAevt, {Value::Ref(a)})); it->Valid() && it->datom().a == a; it->Next())
      out.push_back(it->datom());
    Status st = it->status();
    if (failed.ok()) failed = std::move(st);
    return out;
  };
  std::vector<Datom> idents = read(sys::kIdent, true);
  std::stable_sort(idents.begin(), idents.end(), [](const Datom& x, const Datom& y) { return x.tx < y.tx; });
  for (size_t i = 0; i < idents.size();) {
    size_t j = i;
    while (j < idents.size() && idents[j].tx == idents[i].tx) ++j;
    ApplySchemaDatoms(schema.get(), std::vector<Datom>(idents.begin() + i, idents.begin() + j));
    i = j;
  }
  for (EntityId a = sys::kValueType; a <= sys::kNoHistory; ++a) ApplySchemaDatoms(schema.get(), read(a, false));
  ApplySchemaDatoms(schema.get(), read(sys::kAttrPreds, false));
  for (EntityId a = sys::kTupleType; a <= sys::kTupleAttrs; ++a) ApplySchemaDatoms(schema.get(), read(a, false));
  if (!failed.ok()) return failed.WithContext("loading the schema");
  return std::shared_ptr<const Schema>(std::move(schema));
}

bool HasExcision(const std::vector<Datom>& tx_datoms) {
  for (const Datom& d : tx_datoms)
    if (d.a == sys::kExcise && d.added) return true;
  return false;
}

Result<std::vector<ExcisionSpec>> ExcisionSpecs(const DbState& state, T t, const std::vector<Datom>& tx_datoms) {
  std::vector<ExcisionSpec> out;
  for (const Datom& req : tx_datoms) {
    if (req.a != sys::kExcise || !req.added) continue;
    ExcisionSpec spec;
    spec.target = req.v.ref();
    spec.limit = t;  // never the excision's own transaction
    for (const Datom& d : tx_datoms) {
      if (d.e != req.e || !d.added) continue;
      if (d.a == sys::kExciseAttrs) spec.attrs.push_back(d.v.ref());
      if (d.a == sys::kExciseBeforeT)
        spec.limit = std::min<T>(spec.limit, static_cast<T>(std::max<int64_t>(0, d.v.as_long())));
      if (d.a == sys::kExciseBefore) {
        // The first transaction at or after the instant bounds the excision.
        auto it = state.CurrentOf(Index::kAvet);
        it->Seek(PrefixTarget(Index::kAvet, {Value::Ref(sys::kTxInstant), d.v}));
        if (it->Valid() && it->datom().a == sys::kTxInstant) spec.limit = std::min(spec.limit, TOf(it->datom().e));
        if (!it->Valid()) STRATA_RETURN_IF_ERROR(it->status().WithContext("reading the instant of :db/excise/before"));
      }
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::shared_ptr<const DbState> ApplyExcisions(std::shared_ptr<const DbState> state,
                                              const std::vector<ExcisionSpec>& specs, uint64_t* removed) {
  uint64_t n = 0;
  auto drop = [&](const Datom& d) {
    bool hit = Excised(specs, d);
    n += hit;
    return hit;
  };
  const DbState* sp = state.get();
  auto is_ref = [sp](EntityId a) { return sp->IsRef(a); };
  auto next = std::make_shared<DbState>(*state);
  next->mem = state->mem->Without(drop, is_ref);
  for (auto& m : next->sealed) m.mem = m.mem->Without(drop, is_ref);
  next->pending_excisions.insert(next->pending_excisions.end(), specs.begin(), specs.end());
  *removed = n;
  return next;
}

}  // namespace strata
