// Database values: views over one DbState, and the read APIs.
#include <algorithm>

#include "state/db_state.h"
#include "util/iterator.h"
#include "strata/database.h"
#include "state/db_access.h"
#include "index/durable_index.h"
#include "tx/transactor.h"
#include "util/planted_faults.h"

namespace strata {

// ---- cursor ---------------------------------------------------------------

struct DatomCursor::Rep : DbState::ReusableRead {
  std::shared_ptr<const DbState> hold;  // the value the cursor reads
  std::unique_ptr<DatomIterator> it;
  std::vector<Value> prefix;
  Index order = Index::kEavt;
  bool bounded = true;        // stop when the prefix no longer matches
  bool reseekable = false;    // opened by Datoms (DatomCursor::Seek)
  bool reusable = false;      // a Datoms cursor of a current view: back to DbState::cursor_slots when done
  bool avet_filtered = false; // AVET shows only indexed/unique attributes through a filter
  std::optional<Value> end;   // index_range: stop at v >= end
  std::optional<ValueFilter> filter;  // DatomsWithValue: the sources read its value and prefix
  size_t sources = 0;
};

DatomCursor::DatomCursor() = default;
DatomCursor::DatomCursor(DatomCursor&&) noexcept = default;
DatomCursor& DatomCursor::operator=(DatomCursor&&) noexcept = default;
DatomCursor::~DatomCursor() {
  // A finished cursor of a state's current view goes back to the state for
  // the next read of its order (DbState::cursor_slots); one whose read
  // failed does not (it stays failed), and is destroyed as any other.
  if (!rep_ || !rep_->reusable || !rep_->hold || !rep_->it || rep_->it->has_error()) return;
  rep_->it->Park();
  std::shared_ptr<const DbState> hold = std::move(rep_->hold);  // no cycle: the slot holds no state
  DbState::ReusableRead* old =
      hold->cursor_slots.slots[static_cast<int>(rep_->order)].exchange(rep_.release(), std::memory_order_acq_rel);
  delete old;
}

bool DatomCursor::Valid() const {
  if (!rep_ || !rep_->it || !rep_->it->Valid()) return false;  // a failed iterator is not Valid
  // The view ends the read at the prefix's first three components (see
  // RawIterator); only a tx component is left to check here.
  if (rep_->bounded && rep_->prefix.size() > 3 && !MatchesPrefix(rep_->order, rep_->it->datom(), rep_->prefix))
    return false;
  if (rep_->end && !(rep_->it->datom().v < *rep_->end)) return false;
  return true;
}
const Datom& DatomCursor::datom() const { return rep_->it->datom(); }
DatomRef DatomCursor::ref() const { return rep_->it->ref(); }
void DatomCursor::Next() { rep_->it->Next(); }
Status DatomCursor::status() const {
  if (!rep_ || !rep_->it) return Status::OK();
  Status s = rep_->it->status();
  // The bug this contract closes: a reader that takes a failed cursor's
  // end for the end of its datoms.
  if (PlantedFault("cursor-drops-status")) return Status::OK();
  return s;
}
size_t DatomCursor::sources_merged() const { return rep_ ? rep_->sources : 0; }

namespace {
// The components a read of `index` accepts (Datoms, SeekDatoms, a reseek).
Status CheckComponents(const DbState& state, Index index, const std::vector<Value>& components) {
  if (components.size() > 4) return Status::InvalidArgument("an index takes at most 4 components");
  if (index == Index::kAvet && !components.empty()) {
    const Attribute* a = state.schema->Attr(components[0].ref());
    if (a == nullptr) return Status::InvalidArgument("AVET: " + std::to_string(components[0].ref()) + " is not an attribute");
    if (!a->in_avet())
      return Status::InvalidArgument("AVET: attribute :" + a->ident + " is neither :db/index nor :db/unique");
  }
  return Status::OK();
}

void CountRead(size_t sources) {
  ReadCounters& counters = ThisThreadReads();
  ++counters.cursors;
  counters.sources_merged += sources;
}
}  // namespace

Status DatomCursor::Seek(std::vector<Value> components) {
  if (!rep_ || !rep_->it) return Status::InvalidArgument("reseek: the cursor reads nothing");
  Rep& r = *rep_;
  if (!r.reseekable) return Status::InvalidArgument("reseek: only a cursor of Database::Datoms can be moved");
  // Datoms(AVET) with an attribute has no filter of the attributes AVET
  // shows (see Database::Open): a reseek keeps to one attribute too.
  if (r.order == Index::kAvet && components.empty() && !r.avet_filtered)
    return Status::InvalidArgument("reseek: an AVET cursor needs an attribute");
  STRATA_RETURN_IF_ERROR(CheckComponents(*r.hold, r.order, components));
  CountRead(r.sources);
  r.prefix = std::move(components);  // the merge reads its bound from here
  if (r.prefix.empty()) r.it->SeekToFirst();
  else r.it->Seek(PrefixTarget(r.order, r.prefix));
  return Status::OK();
}

ReadCounters ThreadReadCounters() { return ThisThreadReads(); }

ReadCounters operator-(const ReadCounters& after, const ReadCounters& before) {
  ReadCounters d;
  d.cursors = after.cursors - before.cursors;
  d.sources_merged = after.sources_merged - before.sources_merged;
  for (int i = 0; i < kIndexCount; ++i) d.segments[i] = after.segments[i] - before.segments[i];
  d.cache_hits = after.cache_hits - before.cache_hits;
  d.storage_reads = after.storage_reads - before.storage_reads;
  d.storage_bytes = after.storage_bytes - before.storage_bytes;
  d.filter_skips = after.filter_skips - before.filter_skips;
  return d;
}

// ---- database -------------------------------------------------------------

Database::Database() : state_(BootstrapState()) {}
Database::Database(std::shared_ptr<const DbState> s) : state_(std::move(s)) {}

T Database::basis_t() const { return state_->basis_t; }
T Database::next_t() const { return state_->next_t; }

Database Database::AsOf(T t) const {
  Database d = *this;
  t = TOf(t);
  d.as_of_ = d.as_of_ ? std::min(*d.as_of_, t) : t;
  return d;
}

Result<Database> Database::AsOfInstant(int64_t ms) const {
  // The last transaction whose instant is <= ms.
  auto it = state_->CurrentOf(Index::kAvet);
  T t = 0;
  std::vector<Value> prefix{Value::Ref(sys::kTxInstant)};
  for (it->Seek(PrefixTarget(Index::kAvet, prefix)); it->Valid(); it->Next()) {
    const Datom& d = it->datom();
    if (d.a != sys::kTxInstant || d.v.instant_ms() > ms) break;
    t = std::max(t, TOf(d.e));
  }
  STRATA_RETURN_IF_ERROR(it->status().WithContext("finding the transaction at an instant"));
  return AsOf(t);
}

Database Database::Since(T t) const {
  Database d = *this;
  t = TOf(t);
  d.since_ = d.since_ ? std::max(*d.since_, t) : t;
  return d;
}

Database Database::History() const {
  Database d = *this;
  d.history_ = true;
  return d;
}

Database Database::Filter(DatomFilter pred) const {
  Database d = *this;
  auto fs = std::make_shared<std::vector<DatomFilter>>(filters_ ? *filters_ : std::vector<DatomFilter>{});
  fs->push_back(std::move(pred));
  d.filters_ = std::move(fs);
  return d;
}

namespace {
// Entries one state keeps (views times attributes); past it the cache starts
// over, so many as-of points of one value cannot grow it without bound.
constexpr size_t kMaxSamplesPerState = 4096;
}  // namespace

Result<std::shared_ptr<const AttributeSample>> Database::SampleAttribute(EntityId a, uint64_t limit) const {
  const bool cacheable = !filters_;  // a filter's predicate has no identity to key on
  const DbState::SampleCache::Key key{a, limit, as_of_, since_, history_};
  if (cacheable) {
    MutexLock l(&state_->samples.mu);
    auto& entries = state_->samples.entries;
    if (auto it = entries.find(key); it != entries.end()) return it->second;
  }
  auto s = std::make_shared<AttributeSample>();
  auto c = Datoms(Index::kAevt, {Value::Ref(a)});
  if (!c.ok()) return c.status();
  EntityId last = 0;
  for (; c->Valid() && s->datoms < limit; c->Next()) {
    const Datom& d = c->datom();
    ++s->datoms;
    ++s->values[d.v];
    if (s->datoms == 1 || d.e != last) ++s->entities;  // AEVT: an entity's datoms are adjacent
    last = d.e;
  }
  if (Status st = c->status(); !st.ok()) return st;
  s->complete = !c->Valid();
  if (cacheable) {
    MutexLock l(&state_->samples.mu);
    auto& entries = state_->samples.entries;
    if (entries.size() >= kMaxSamplesPerState) entries.clear();
    entries.emplace(key, s);  // a sample another thread stored first stays: they are equal
  }
  return std::shared_ptr<const AttributeSample>(std::move(s));
}

std::unique_ptr<DatomIterator> Database::RawIterator(Index index, size_t* sources, const std::vector<Value>* bound,
                                                    const ValueFilter* filter) const {
  const bool with_history = history_ || as_of_.has_value();
  std::vector<std::unique_ptr<DatomIterator>> kids;
  kids.reserve(8);
  state_->AddSources(index, with_history, &kids, filter);
  *sources = kids.size();
  ViewSpec spec;
  spec.as_of = as_of_;
  spec.since = since_;
  spec.history = history_;
  auto it = NewViewIterator(index, NewPrefixMergingIterator(index, std::move(kids), bound), spec, bound);
  if (filters_) {
    Database unfiltered = *this;
    unfiltered.filters_.reset();
    auto fs = filters_;
    it = NewFilterIterator(std::move(it), [unfiltered, fs](const Datom& d) {
      for (const auto& f : *fs)
        if (!f(unfiltered, d)) return false;
      return true;
    });
  }
  return it;
}

Result<DatomCursor> Database::Open(Index index, std::vector<Value> components, bool bounded,
                                   const std::optional<Value>& start, std::optional<Value> value,
                                   std::chrono::steady_clock::time_point deadline) const {
  STRATA_RETURN_IF_ERROR(CheckComponents(*state_, index, components));
  DatomCursor c;
  c.rep_ = std::make_unique<DatomCursor::Rep>();
  DatomCursor::Rep& r = *c.rep_;
  r.hold = state_;
  r.order = index;
  r.bounded = bounded;
  r.prefix = std::move(components);
  // A bounded read merges only the sources holding its prefix (the merge
  // reads r.prefix at each seek, so a reseek moves the bound too).
  // A value filter bounds its skips by the same prefix (r.prefix outlives
  // the sources: both belong to the cursor).
  if (value) r.filter = ValueFilter{std::move(*value), bounded ? &r.prefix : nullptr, deadline};
  r.it = RawIterator(index, &r.sources, bounded ? &r.prefix : nullptr, r.filter ? &*r.filter : nullptr);
  CountRead(r.sources);
  if (index == Index::kAvet && (r.prefix.empty() || !bounded)) {
    // Without an attribute, or when a seek runs on past it, AVET shows only
    // indexed/unique attributes. The filter wraps the iterator before it is
    // positioned, so the first datom is checked like every other.
    auto schema = state_->schema;
    r.it = NewFilterIterator(std::move(r.it), [schema](const Datom& d) {
      const Attribute* a = schema->Attr(d.a);
      return a && a->in_avet();
    });
    r.avet_filtered = true;
  }
  if (r.prefix.empty()) r.it->SeekToFirst();
  else if (start) r.it->Seek(PrefixTarget(index, {r.prefix.front(), *start}));
  else r.it->Seek(PrefixTarget(index, r.prefix));
  return c;
}

Result<DatomCursor> Database::Datoms(Index index, std::vector<Value> components) const {
  // The current view without filters reads the same sources every time:
  // take a finished cursor of this state when there is one, and move it.
  // (AVET without an attribute has a filter of its own; it is not kept.)
  const bool reusable = !as_of_ && !since_ && !history_ && !filters_ && !(index == Index::kAvet && components.empty());
  if (reusable) {
    auto& slot = state_->cursor_slots.slots[static_cast<int>(index)];
    if (slot.load(std::memory_order_relaxed) != nullptr) {
      if (DbState::ReusableRead* got = slot.exchange(nullptr, std::memory_order_acq_rel)) {
        DatomCursor c;
        c.rep_.reset(static_cast<DatomCursor::Rep*>(got));
        DatomCursor::Rep& r = *c.rep_;
        r.hold = state_;
        STRATA_RETURN_IF_ERROR(CheckComponents(*state_, index, components));  // c goes back to the slot
        r.prefix = std::move(components);  // the merge reads its bound from here
        CountRead(r.sources);
        if (r.prefix.empty()) r.it->SeekToFirst();
        else r.it->Seek(PrefixTarget(index, r.prefix));
        return c;
      }
    }
  }
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, Open(index, std::move(components), /*bounded=*/true));
  c.rep_->reseekable = true;
  c.rep_->reusable = reusable;
  return c;
}

Result<DatomCursor> Database::DatomsWithValue(Index index, std::vector<Value> components, Value value,
                                              std::chrono::steady_clock::time_point deadline) const {
  // Never a reused cursor (DbState::cursor_slots): its sources are built
  // with the filter, and the cursor is not moved (see ValueFilter).
  return Open(index, std::move(components), /*bounded=*/true, std::nullopt, std::move(value), deadline);
}

Result<DatomCursor> Database::SeekDatoms(Index index, std::vector<Value> components) const {
  return Open(index, std::move(components), /*bounded=*/false);
}

Result<DatomCursor> Database::IndexRange(EntityId attr, std::optional<Value> start, std::optional<Value> end) const {
  std::vector<Value> comps{Value::Ref(attr)};
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, Open(Index::kAvet, comps, true, start));
  c.rep_->end = std::move(end);
  return c;
}

Result<std::vector<Datom>> Database::DatomsVector(Index index, std::vector<Value> components) const {
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, Datoms(index, std::move(components)));
  std::vector<Datom> out;
  STRATA_RETURN_IF_ERROR(ForEach(c, [&](const Datom& d) { out.push_back(d); }));
  return out;
}

const Attribute* Database::attribute(EntityId a) const { return state_->schema->Attr(a); }
const Attribute* Database::attribute(const std::string& ident) const { return state_->schema->AttrByIdent(ident); }
const std::string* Database::ident(EntityId e) const { return state_->schema->IdentOf(e); }

Result<std::vector<Value>> Database::Values(EntityId e, EntityId a) const {
  std::vector<Value> out;
  STRATA_RETURN_IF_ERROR(
      ForEach(Datoms(Index::kEavt, {Value::Ref(e), Value::Ref(a)}), [&](const Datom& d) { out.push_back(d.v); }));
  return out;
}

Result<std::optional<int64_t>> Database::TxInstant(T t) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> v, state_->CurrentValues(TxId(t), sys::kTxInstant));
  if (v.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(v.front().instant_ms());
}

Result<EntityId> Database::Entid(const edn::Node& eid) const {
  // Identity resolves as of the view's point in time; since, history and
  // filters restrict what a read shows, not which entity a lookup ref names.
  const bool viewed = as_of_.has_value();
  if (!viewed || eid.kind != edn::Kind::kVector || eid.items.size() != 2) return ResolveEntityId(*state_, eid);
  // A lookup ref resolves in this view: as of its t, through its filters.
  const edn::Node& an = eid.items[0];
  const Attribute* at = an.kind == edn::Kind::kKeyword ? attribute(an.s)
                        : an.kind == edn::Kind::kLong  ? attribute(static_cast<EntityId>(an.i))
                                                       : nullptr;
  if (!at) return Status::InvalidArgument("unknown attribute " + edn::Print(an) + " in lookup ref " + edn::Print(eid));
  if (at->unique == Unique::kNone)
    return Status::InvalidArgument("lookup ref attribute :" + at->ident + " is not unique in " + edn::Print(eid));
  STRATA_ASSIGN_OR_RETURN(Value v, CoerceValue(*state_, *at, eid.items[1]));
  Database current = *this;
  current.history_ = false;
  current.since_.reset();
  current.filters_.reset();
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, current.Datoms(Index::kAvet, {Value::Ref(at->id), v}));
  if (!c.Valid()) STRATA_RETURN_IF_ERROR(c.status().WithContext("resolving lookup ref " + edn::Print(eid)));
  if (!c.Valid()) return Status::NotFound("lookup ref " + edn::Print(eid) + " matches no entity in this view");
  return c.datom().e;
}

Result<Value> Database::ToValue(const Attribute& attr, const edn::Node& v) const {
  return CoerceValue(*state_, attr, v);
}

Result<std::vector<Value>> Database::ResolveComponents(Index index, const std::vector<edn::Node>& comps) const {
  // Slot sequence per order: 0=e 1=a 2=v 3=tx.
  static constexpr int kSlots[kIndexCount][4] = {{0, 1, 2, 3}, {1, 0, 2, 3}, {1, 2, 0, 3}, {2, 1, 0, 3}};
  std::vector<Value> out;
  const Attribute* attr = nullptr;
  for (size_t i = 0; i < comps.size(); ++i) {
    if (i >= 4) return Status::InvalidArgument("an index takes at most 4 components");
    const edn::Node& n = comps[i];
    switch (kSlots[static_cast<int>(index)][i]) {
      case 0:
      case 3: {
        STRATA_ASSIGN_OR_RETURN(EntityId e, Entid(n));
        out.push_back(Value::Ref(e));
        break;
      }
      case 1: {
        STRATA_ASSIGN_OR_RETURN(EntityId a, Entid(n));
        attr = attribute(a);
        if (!attr) return Status::InvalidArgument("not an attribute: " + edn::Print(n));
        out.push_back(Value::Ref(a));
        break;
      }
      case 2: {
        if (attr) {
          STRATA_ASSIGN_OR_RETURN(Value v, ToValue(*attr, n));
          out.push_back(std::move(v));
        } else {
          // VAET without an attribute yet: the value is an entity.
          STRATA_ASSIGN_OR_RETURN(EntityId e, Entid(n));
          out.push_back(Value::Ref(e));
        }
        break;
      }
    }
  }
  return out;
}

edn::Node Database::ValueToEdn(const Value& v) const { return edn::FromValue(v); }

edn::Node Database::DatomToEdn(const Datom& d) const {
  const std::string* a = ident(d.a);
  return edn::Node::Vector({edn::Node::Long(static_cast<int64_t>(d.e)),
                            a ? edn::Node::Keyword(*a) : edn::Node::Long(static_cast<int64_t>(d.a)), ValueToEdn(d.v),
                            edn::Node::Long(static_cast<int64_t>(d.tx)), edn::Node::Bool(d.added)});
}

Result<Entity> Database::entity(const edn::Node& eid) const {
  STRATA_ASSIGN_OR_RETURN(EntityId e, Entid(eid));
  return Entity(*this, e);
}

Result<std::vector<Value>> Entity::Get(const std::string& attr) const {
  std::string name = !attr.empty() && attr[0] == ':' ? attr.substr(1) : attr;
  const size_t slash = name.find('/');
  const bool reverse = slash != std::string::npos && name.compare(slash + 1, 1, "_") == 0 && !db_.attribute(name);
  if (reverse) name.erase(slash + 1, 1);
  const Attribute* a = db_.attribute(name);
  if (!a) return Status::InvalidArgument("unknown attribute :" + name);
  std::vector<Value> out;
  if (!reverse) return db_.Values(id_, a->id);
  if (!a->is_ref()) return Status::InvalidArgument("reverse lookup needs a ref attribute: :" + name);
  STRATA_RETURN_IF_ERROR(ForEach(db_.Datoms(Index::kVaet, {Value::Ref(id_), Value::Ref(a->id)}),
                                 [&](const Datom& d) { out.push_back(Value::Ref(d.e)); }));
  return out;
}

Result<std::vector<std::string>> Entity::Keys() const {
  std::vector<std::string> out;
  STRATA_RETURN_IF_ERROR(ForEach(db_.Datoms(Index::kEavt, {Value::Ref(id_)}), [&](const Datom& d) {
    const std::string* name = db_.ident(d.a);
    if (name && (out.empty() || out.back() != *name)) out.push_back(*name);
  }));
  return out;
}

uint64_t Database::memory_index_bytes() const { return state_->NoveltyBytes(); }
uint64_t Database::memory_index_datoms() const {
  uint64_t n = state_->mem->stats().datoms;
  for (const auto& m : state_->sealed) n += m.mem->stats().datoms;
  return n;
}
size_t Database::memory_index_runs() const {
  size_t n = state_->mem->SourceCount(true);
  for (const auto& m : state_->sealed) n += m.mem->SourceCount(true);
  return n;
}

IndexShape Database::durable_index_shape() const {
  if (state_ == nullptr || state_->root == nullptr) return {};  // an empty value
  return state_->root->Shape();
}

Result<TxReport> Database::With(const edn::Node& tx_data) const {
  TxFunctionRegistry none;
  STRATA_ASSIGN_OR_RETURN(PreparedTx p, PrepareTx(*this, tx_data, none, NowMillis()));
  TxReport r;
  r.db_before = *this;
  auto after = ApplyDatoms(*state_, p.t, p.datoms, p.schema_after);
  if (HasExcision(p.datoms)) {
    uint64_t removed = 0;
    after = ApplyExcisions(after, p.excisions, &removed);
  }
  r.db_after = Database(after);
  r.tx_data = std::move(p.datoms);
  r.tempids = std::move(p.tempids);
  r.t = p.t;
  r.tx = TxId(p.t);
  return r;
}

}  // namespace strata
