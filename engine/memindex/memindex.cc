#include "memindex/memindex.h"

#include <algorithm>

namespace strata {
namespace {

// sizeof(Datom) plus the heap bytes of its value plus one slot per order.
uint64_t DatomBytes(const Datom& d) { return sizeof(Datom) + d.v.HeapBytes() + 3 * sizeof(uint32_t); }

template <Index O>
class RunIterator final : public DatomIterator {
 public:
  explicit RunIterator(const Run* run) : run_(run) {
    perm_ = O == Index::kEavt ? nullptr : &run->perm[static_cast<int>(O) - 1];
    n_ = perm_ ? perm_->size() : run->datoms.size();
    pos_ = n_;
  }
  bool Valid() const override { return pos_ < n_; }
  void SeekToFirst() override { pos_ = 0; }
  void Seek(const Datom& target) override {
    size_t lo = 0, hi = n_;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (CompareDatomsIn<O>(At(mid), target) < 0) lo = mid + 1;
      else hi = mid;
    }
    pos_ = lo;
  }
  void Next() override { ++pos_; }
  const Datom& datom() const override { return At(pos_); }

 private:
  const Datom& At(size_t i) const { return perm_ ? run_->datoms[(*perm_)[i]] : run_->datoms[i]; }
  const Run* run_;
  const std::vector<uint32_t>* perm_;
  size_t n_, pos_;
};

bool SameEav(const Datom& x, const Datom& y) { return x.e == y.e && x.a == y.a && x.v == y.v; }

// Value types whose Compare is 0 exactly when their fields are equal, so
// equal keys hash alike (tuples, big numbers, floats and symbols compare by
// decoded content: looked up by binary search instead).
bool AvHashable(ValueType t) {
  switch (t) {
    case ValueType::kRef:
    case ValueType::kKeyword:
    case ValueType::kString:
    case ValueType::kBoolean:
    case ValueType::kLong:
    case ValueType::kDouble:
    case ValueType::kInstant:
    case ValueType::kUuid:
    case ValueType::kBytes:
    case ValueType::kUri: return true;
    default: return false;
  }
}

// Value::Hash of a long or ref is nearly linear in the number: finish with
// a full mix (murmur3's fmix64) so sequential ids spread over the slots.
size_t AvHash(EntityId a, const Value& v) {
  uint64_t h = v.Hash() ^ (a * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

bool SameAv(const Datom& d, EntityId a, const Value& v) { return d.a == a && d.v == v; }

}  // namespace

void Run::BuildAvIndex(const std::function<bool(EntityId)>& is_unique) {
  const auto& avet = perm[static_cast<int>(Index::kAvet) - 1];
  if (avet.size() < kAvIndexMinDatoms || avet.size() >= 0x7fffffffu) return;
  size_t groups = 0;  // of hashed attributes
  for (size_t i = 0; i < avet.size();) {
    const EntityId a = datoms[avet[i]].a;
    AttrSpan span{a, static_cast<uint32_t>(i), 0, is_unique && is_unique(a)};
    for (; i < avet.size() && datoms[avet[i]].a == a; ++i)
      if (span.hashed && (i == span.first || !(datoms[avet[i]].v == datoms[avet[i - 1]].v))) ++groups;
    span.end = static_cast<uint32_t>(i);
    av_attrs.push_back(span);
  }
  if (groups > 0) {
    size_t cap = 16;
    while (cap < 2 * groups) cap *= 2;
    av_slots.assign(cap, 0);
    const size_t mask = cap - 1;
    for (const AttrSpan& span : av_attrs) {
      if (!span.hashed) continue;
      for (size_t i = span.first; i < span.end; ++i) {
        const Datom& d = datoms[avet[i]];
        if (i > span.first && datoms[avet[i - 1]].v == d.v) continue;
        if (!AvHashable(d.v.type())) continue;
        size_t slot = AvHash(d.a, d.v) & mask;
        while (av_slots[slot] != 0) slot = (slot + 1) & mask;
        av_slots[slot] = static_cast<uint32_t>(i + 1);
      }
    }
  }
  bytes += av_slots.size() * sizeof(uint32_t) + av_attrs.size() * sizeof(AttrSpan);
}

void Run::AppendWithAv(EntityId a, const Value& v, std::vector<Datom>* out) const {
  const auto& avet = perm[static_cast<int>(Index::kAvet) - 1];
  size_t lo = 0, hi = avet.size();
  bool hashed = false;
  if (!av_attrs.empty()) {
    // The attribute's span; outside its first and last value nothing to do
    // (ids that only grow are found past every run without a probe).
    auto it = std::lower_bound(av_attrs.begin(), av_attrs.end(), a,
                               [](const AttrSpan& s, EntityId x) { return s.a < x; });
    if (it == av_attrs.end() || it->a != a) return;
    if (v.Compare(datoms[avet[it->first]].v) < 0 || v.Compare(datoms[avet[it->end - 1]].v) > 0) return;
    lo = it->first;
    hi = it->end;
    hashed = it->hashed && AvHashable(v.type());
  }
  size_t pos;
  if (hashed) {
    const size_t mask = av_slots.size() - 1;
    size_t slot = AvHash(a, v) & mask;
    for (;; slot = (slot + 1) & mask) {
      if (av_slots[slot] == 0) return;  // no group (a v) here
      pos = av_slots[slot] - 1;
      if (SameAv(datoms[avet[pos]], a, v)) break;
    }
  } else {
    Datom target;
    target.a = a;
    target.v = v;
    target.added = false;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (CompareDatomsIn<Index::kAvet>(datoms[avet[mid]], target) < 0) lo = mid + 1;
      else hi = mid;
    }
    pos = lo;
  }
  for (; pos < avet.size() && SameAv(datoms[avet[pos]], a, v); ++pos) out->push_back(datoms[avet[pos]]);
}

std::shared_ptr<const Run> Run::Build(std::vector<Datom> datoms, const std::function<bool(EntityId)>& is_ref,
                                      const std::function<bool(EntityId)>& is_unique) {
  auto run = std::make_shared<Run>();
  // The transactor hands its datoms over in EAVT order already.
  if (!std::is_sorted(datoms.begin(), datoms.end(), DatomLessIn<Index::kEavt>{}))
    std::sort(datoms.begin(), datoms.end(), DatomLessIn<Index::kEavt>{});
  run->datoms = std::move(datoms);
  const auto& ds = run->datoms;
  uint64_t bytes = sizeof(Run);
  T min_t = ~T{0}, max_t = 0;
  for (const Datom& d : ds) {
    bytes += DatomBytes(d);
    min_t = std::min(min_t, d.t());
    max_t = std::max(max_t, d.t());
  }
  for (int o = 1; o < kIndexCount; ++o) {
    auto& p = run->perm[o - 1];
    p.reserve(ds.size());
    bool ref_value_type_only = o == static_cast<int>(Index::kVaet);
    for (uint32_t i = 0; i < ds.size(); ++i) {
      if (ref_value_type_only && (ds[i].v.type() != ValueType::kRef || !is_ref(ds[i].a))) continue;
      p.push_back(i);
    }
    WithOrder(static_cast<Index>(o), [&](auto order) {
      std::sort(p.begin(), p.end(),
                [&](uint32_t x, uint32_t y) { return CompareDatomsIn<decltype(order)::value>(ds[x], ds[y]) < 0; });
    });
  }
  run->bytes = bytes;
  run->min_t = ds.empty() ? 0 : min_t;
  run->max_t = max_t;
  run->BuildAvIndex(is_unique);
  return run;
}

std::unique_ptr<DatomIterator> Run::NewIterator(Index order) const {
  return WithOrder(order, [&](auto o) -> std::unique_ptr<DatomIterator> {
    return std::make_unique<RunIterator<decltype(o)::value>>(this);
  });
}

namespace {

// Where a merge sends each datom of its input runs.
enum Dest : uint8_t { kToFirst = 0, kToSecond = 1, kDropped = 2 };

// The most runs one merge takes: the tiered policy merges four runs of
// about the same size, so a datom is copied ~log4(novelty / transaction)
// times rather than log2 as with pairwise merges.
constexpr size_t kFanIn = 4;

// One datom of a merge's inputs: which run (0 = oldest) and where in it.
struct Origin {
  uint32_t run;
  uint32_t idx;
};

// A k-way merge of k <= kFanIn sorted sequences. `cmp(r, i, s, j)` compares
// element i of sequence r with element j of sequence s (<0, 0, >0); `emit(r, i)` receives
// the elements in order, ties (none in practice: runs hold disjoint
// transactions) to the older sequence first. The heads are kept sorted, so
// when one long sequence supplies most elements each step costs one
// comparison.
template <class Cmp, class Emit>
void KWayMerge(size_t k, const size_t* sizes, const Cmp& cmp, const Emit& emit) {
  uint32_t live[kFanIn];
  size_t pos[kFanIn] = {};
  size_t n = 0;
  auto before = [&](uint32_t x, uint32_t y) {  // is x's head before y's?
    const int c = cmp(x, pos[x], y, pos[y]);
    return c < 0 || (c == 0 && x < y);
  };
  for (uint32_t r = 0; r < k; ++r) {
    if (sizes[r] == 0) continue;
    size_t p = n++;
    live[p] = r;
    for (; p > 0 && before(live[p], live[p - 1]); --p) std::swap(live[p], live[p - 1]);
  }
  while (n > 0) {
    const uint32_t r = live[0];
    emit(r, pos[r]);
    if (++pos[r] == sizes[r]) {
      for (size_t p = 1; p < n; ++p) live[p - 1] = live[p];
      --n;
      continue;
    }
    for (size_t p = 0; p + 1 < n && before(live[p + 1], live[p]); ++p) std::swap(live[p], live[p + 1]);
  }
}

// The datoms of `in` (oldest first) in EAVT order, each with its origin.
std::vector<Origin> MergeOrigins(const std::vector<const Run*>& in) {
  size_t sizes[kFanIn], total = 0;
  for (size_t r = 0; r < in.size(); ++r) total += sizes[r] = in[r]->datoms.size();
  std::vector<Origin> out;
  out.reserve(total);
  KWayMerge(
      in.size(), sizes,
      [&](uint32_t r, size_t i, uint32_t s, size_t j) {
        return CompareDatomsIn<Index::kEavt>(in[r]->datoms[i], in[s]->datoms[j]);
      },
      [&](uint32_t r, size_t i) { out.push_back(Origin{r, static_cast<uint32_t>(i)}); });
  return out;
}

// Builds up to two runs from the datoms of `in`, routed by dest[run][idx].
// Each input run is sorted in every order already, so every order of the
// outputs is a linear merge of the inputs' orders (no re-sort).
void BuildMerged(const std::vector<const Run*>& in, const std::vector<Origin>& origins,
                 const std::vector<std::vector<Dest>>& dest, std::shared_ptr<Run> out[2]) {
  std::vector<std::vector<uint32_t>> pos(in.size());
  for (size_t r = 0; r < in.size(); ++r) pos[r].resize(in[r]->datoms.size());
  size_t counts[2] = {0, 0};
  for (const Origin& o : origins)
    if (dest[o.run][o.idx] != kDropped) ++counts[dest[o.run][o.idx]];
  for (int k = 0; k < 2; ++k) {
    out[k] = std::make_shared<Run>();
    out[k]->bytes = sizeof(Run);
    out[k]->min_t = ~T{0};
    out[k]->datoms.reserve(counts[k]);
  }
  for (const Origin& o : origins) {
    const Dest d = dest[o.run][o.idx];
    if (d == kDropped) continue;
    Run& r = *out[d];
    pos[o.run][o.idx] = static_cast<uint32_t>(r.datoms.size());
    const Datom& src = in[o.run]->datoms[o.idx];
    r.bytes += DatomBytes(src);
    r.min_t = std::min(r.min_t, src.t());
    r.max_t = std::max(r.max_t, src.t());
    r.datoms.push_back(src);
  }
  for (int k = 0; k < 2; ++k)
    if (out[k]->datoms.empty()) out[k]->min_t = 0;
  for (int o = 1; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    size_t sizes[kFanIn];
    for (size_t r = 0; r < in.size(); ++r) sizes[r] = in[r]->perm[o - 1].size();
    for (int k = 0; k < 2; ++k) out[k]->perm[o - 1].reserve(counts[k]);
    WithOrder(order, [&](auto ord) {
      KWayMerge(
          in.size(), sizes,
          [&](uint32_t r, size_t i, uint32_t s, size_t j) {
            return CompareDatomsIn<decltype(ord)::value>(in[r]->datoms[in[r]->perm[o - 1][i]],
                                                         in[s]->datoms[in[s]->perm[o - 1][j]]);
          },
          [&](uint32_t r, size_t i) {
            const uint32_t idx = in[r]->perm[o - 1][i];
            const Dest d = dest[r][idx];
            if (d != kDropped) out[d]->perm[o - 1].push_back(pos[r][idx]);
          });
    });
  }
}

// Merges time-adjacent current runs (oldest first) into out[0].
// Assertion/retraction pairs that meet are cancelled: moved to out[1] (the
// history) or dropped when the attribute keeps no history.
void MergeCurrent(const std::vector<const Run*>& in, const std::function<bool(EntityId)>& no_history,
                  std::shared_ptr<Run> out[2]) {
  const std::vector<Origin> origins = MergeOrigins(in);
  std::vector<std::vector<Dest>> dest(in.size());
  for (size_t r = 0; r < in.size(); ++r) dest[r].assign(in[r]->datoms.size(), kToFirst);
  auto at = [&](size_t i) -> const Datom& { return in[origins[i].run]->datoms[origins[i].idx]; };
  auto route = [&](size_t i, Dest d) { dest[origins[i].run][origins[i].idx] = d; };
  for (size_t i = 0; i < origins.size();) {
    size_t j = i + 1;
    while (j < origins.size() && SameEav(at(j), at(i))) ++j;
    // The group alternates assertion/retraction in tx order. A leading
    // retraction cancels an assertion in an older source: it stays current.
    size_t k = i;
    if (!at(k).added) ++k;
    for (; k + 1 < j; k += 2) {
      if (!at(k).added || at(k + 1).added) continue;  // not an (A R) pair: keep as is
      const Dest d = no_history(at(k).a) ? kDropped : kToSecond;
      route(k, d);
      route(k + 1, d);
    }
    i = j;
  }
  BuildMerged(in, origins, dest, out);
}

std::shared_ptr<const Run> MergeAll(const std::vector<const Run*>& in) {
  std::shared_ptr<Run> out[2];
  std::vector<std::vector<Dest>> dest(in.size());
  for (size_t r = 0; r < in.size(); ++r) dest[r].assign(in[r]->datoms.size(), kToFirst);
  BuildMerged(in, MergeOrigins(in), dest, out);
  return out[0];
}

// How many of the newest runs to merge now (0: none). Tiered: the newest
// kFanIn runs merge once the oldest of them is at most twice the size of
// the newest, i.e. they are about one size; a merged run then waits for
// three more of its size. Reads merge at most ~3 runs per size tier.
size_t MergeWidth(const std::vector<std::shared_ptr<const Run>>& runs) {
  const size_t n = runs.size();
  if (n < kFanIn) return 0;
  return runs[n - kFanIn]->datoms.size() <= 2 * runs[n - 1]->datoms.size() ? kFanIn : 0;
}

// Takes the newest `width` runs off `runs`, oldest first.
std::vector<std::shared_ptr<const Run>> TakeNewest(std::vector<std::shared_ptr<const Run>>* runs, size_t width) {
  std::vector<std::shared_ptr<const Run>> out(std::make_move_iterator(runs->end() - static_cast<ptrdiff_t>(width)),
                                              std::make_move_iterator(runs->end()));
  runs->resize(runs->size() - width);
  return out;
}

std::vector<const Run*> Raw(const std::vector<std::shared_ptr<const Run>>& runs) {
  std::vector<const Run*> out;
  for (const auto& r : runs) out.push_back(r.get());
  return out;
}

}  // namespace

std::shared_ptr<const MemIndex> MemIndex::Add(std::vector<Datom> datoms, const std::function<bool(EntityId)>& is_ref,
                                              const std::function<bool(EntityId)>& no_history,
                                              const std::function<bool(EntityId)>& is_unique) const {
  auto next = std::make_shared<MemIndex>(*this);
  MemIndexStats& st = next->stats_;
  const size_t n = datoms.size();
  auto run = Run::Build(std::move(datoms), is_ref, is_unique);
  st.datoms += n;
  st.bytes += run->bytes;
  next->current_.push_back(std::move(run));
  for (size_t width; (width = MergeWidth(next->current_)) != 0;) {
    const auto in = TakeNewest(&next->current_, width);
    std::shared_ptr<Run> merged[2];
    MergeCurrent(Raw(in), no_history, merged);
    st.merges++;
    for (const auto& r : in) {
      st.datoms_merged += r->datoms.size();
      st.bytes -= r->bytes;
      st.datoms -= r->datoms.size();
    }
    merged[0]->BuildAvIndex(is_unique);
    std::shared_ptr<const Run> m = std::move(merged[0]);
    st.bytes += m->bytes;
    st.datoms += m->datoms.size();
    next->current_.push_back(std::move(m));
    if (!merged[1]->datoms.empty()) {
      std::shared_ptr<const Run> h = std::move(merged[1]);
      st.bytes += h->bytes;
      st.datoms += h->datoms.size();
      next->history_.push_back(std::move(h));
      for (size_t hw; (hw = MergeWidth(next->history_)) != 0;) {
        const auto hin = TakeNewest(&next->history_, hw);
        st.merges++;
        for (const auto& r : hin) {
          st.datoms_merged += r->datoms.size();
          st.bytes -= r->bytes;
        }
        auto hm = MergeAll(Raw(hin));
        st.bytes += hm->bytes;
        next->history_.push_back(std::move(hm));
      }
    }
  }
  st.current_runs = next->current_.size();
  st.history_runs = next->history_.size();
  return next;
}

std::shared_ptr<const MemIndex> MemIndex::Without(const std::function<bool(const Datom&)>& drop,
                                                  const std::function<bool(EntityId)>& is_ref) const {
  auto next = std::make_shared<MemIndex>();
  next->stats_.merges = stats_.merges;
  next->stats_.datoms_merged = stats_.datoms_merged;
  auto filter = [&](const std::vector<std::shared_ptr<const Run>>& in, std::vector<std::shared_ptr<const Run>>* out) {
    for (const auto& r : in) {
      std::vector<Datom> keep;
      bool changed = false;
      for (const Datom& d : r->datoms) {
        if (drop(d)) changed = true;
        else keep.push_back(d);
      }
      auto nr = changed ? Run::Build(std::move(keep), is_ref) : r;
      if (nr->datoms.empty()) continue;
      next->stats_.datoms += nr->datoms.size();
      next->stats_.bytes += nr->bytes;
      out->push_back(std::move(nr));
    }
  };
  filter(current_, &next->current_);
  filter(history_, &next->history_);
  next->stats_.current_runs = next->current_.size();
  next->stats_.history_runs = next->history_.size();
  return next;
}

void MemIndex::AppendCurrentWithAv(EntityId a, const Value& v, std::vector<Datom>* out) const {
  for (const auto& r : current_) r->AppendWithAv(a, v, out);
}

uint64_t MemIndex::Count(Index order, bool history) const {
  uint64_t n = 0;
  for (const auto& r : history ? history_ : current_) n += order == Index::kVaet ? r->perm[2].size() : r->datoms.size();
  return n;
}

std::vector<Datom> MemIndex::Collect(Index order, bool history) const {
  // A heap of the runs' heads (log2 of the runs' count comparisons per
  // datom, no virtual calls): an indexing job collects all its novelty
  // through here, and the tiered policy keeps ~3 runs per size tier.
  std::vector<Datom> out;
  const auto& runs = history ? history_ : current_;
  struct Head {
    const Datom* datoms;
    const uint32_t* perm;  // null: EAVT, the datoms' own order
    size_t pos, n;
    uint32_t run;  // ties (none in practice) to the older run
    const Datom& at() const { return perm ? datoms[perm[pos]] : datoms[pos]; }
  };
  std::vector<Head> heap;
  size_t total = 0;
  for (uint32_t i = 0; i < runs.size(); ++i) {
    const Run& r = *runs[i];
    const uint32_t* perm = order == Index::kEavt ? nullptr : r.perm[static_cast<int>(order) - 1].data();
    const size_t n = order == Index::kEavt ? r.datoms.size() : r.perm[static_cast<int>(order) - 1].size();
    total += n;
    if (n > 0) heap.push_back(Head{r.datoms.data(), perm, 0, n, i});
  }
  out.reserve(total);
  WithOrder(order, [&](auto ord) {
    constexpr Index O = decltype(ord)::value;
    auto after = [](const Head& x, const Head& y) {  // x comes after y
      const int c = CompareDatomsIn<O>(x.at(), y.at());
      return c > 0 || (c == 0 && x.run > y.run);
    };
    std::make_heap(heap.begin(), heap.end(), after);
    while (!heap.empty()) {
      Head& top = heap.front();
      out.push_back(top.at());
      if (++top.pos == top.n) {
        std::pop_heap(heap.begin(), heap.end(), after);
        heap.pop_back();
        continue;
      }
      // Sift the advanced head down from the root.
      const size_t n = heap.size();
      for (size_t i = 0;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && after(heap[c], heap[c + 1])) ++c;
        if (!after(heap[i], heap[c])) break;
        std::swap(heap[i], heap[c]);
        i = c;
      }
    }
  });
  return out;
}

void MemIndex::AddSources(Index order, bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out) const {
  // Iterators borrow the runs: the caller keeps this MemIndex alive (a
  // Database value holds it) for as long as they exist.
  for (const auto& r : current_) out->push_back(r->NewIterator(order));
  if (with_history)
    for (const auto& r : history_) out->push_back(r->NewIterator(order));
}

}  // namespace strata
