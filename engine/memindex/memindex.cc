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

}  // namespace

std::shared_ptr<const Run> Run::Build(std::vector<Datom> datoms, const std::function<bool(EntityId)>& is_ref) {
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
  return run;
}

std::unique_ptr<DatomIterator> Run::NewIterator(Index order) const {
  return WithOrder(order, [&](auto o) -> std::unique_ptr<DatomIterator> {
    return std::make_unique<RunIterator<decltype(o)::value>>(this);
  });
}

namespace {

// Where a merge sends each datom of its two input runs.
enum Dest : uint8_t { kToFirst = 0, kToSecond = 1, kDropped = 2 };

// The datoms of two runs (older `a`, newer `b`) in EAVT order, each with
// its origin: bit 31 set for `b`, the rest its index there.
std::vector<uint32_t> MergeOrigins(const Run& a, const Run& b) {
  std::vector<uint32_t> out;
  out.reserve(a.datoms.size() + b.datoms.size());
  size_t i = 0, j = 0;
  const DatomLessIn<Index::kEavt> less;
  while (i < a.datoms.size() && j < b.datoms.size()) {
    if (less(b.datoms[j], a.datoms[i])) out.push_back(0x80000000u | static_cast<uint32_t>(j++));
    else out.push_back(static_cast<uint32_t>(i++));
  }
  while (i < a.datoms.size()) out.push_back(static_cast<uint32_t>(i++));
  while (j < b.datoms.size()) out.push_back(0x80000000u | static_cast<uint32_t>(j++));
  return out;
}

// Builds up to two runs from the datoms of `a` and `b`, routed by dest_a /
// dest_b. Each input run is sorted in every order already, so every order of
// the outputs is a linear merge of the inputs' orders (no re-sort).
void BuildMerged(const Run& a, const Run& b, const std::vector<uint32_t>& origins, const std::vector<Dest>& dest_a,
                 const std::vector<Dest>& dest_b, std::shared_ptr<Run> out[2]) {
  std::vector<uint32_t> pos_a(a.datoms.size()), pos_b(b.datoms.size());
  for (int k = 0; k < 2; ++k) {
    out[k] = std::make_shared<Run>();
    out[k]->bytes = sizeof(Run);
    out[k]->min_t = ~T{0};
  }
  for (uint32_t o : origins) {
    const bool from_b = o & 0x80000000u;
    const uint32_t idx = o & 0x7fffffffu;
    const Dest d = from_b ? dest_b[idx] : dest_a[idx];
    if (d == kDropped) continue;
    Run& r = *out[d];
    (from_b ? pos_b : pos_a)[idx] = static_cast<uint32_t>(r.datoms.size());
    const Datom& src = from_b ? b.datoms[idx] : a.datoms[idx];
    r.bytes += DatomBytes(src);
    r.min_t = std::min(r.min_t, src.t());
    r.max_t = std::max(r.max_t, src.t());
    r.datoms.push_back(src);
  }
  for (int k = 0; k < 2; ++k)
    if (out[k]->datoms.empty()) out[k]->min_t = 0;
  for (int o = 1; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    const auto& pa = a.perm[o - 1];
    const auto& pb = b.perm[o - 1];
    for (int k = 0; k < 2; ++k) out[k]->perm[o - 1].reserve(out[k]->datoms.size());
    auto emit = [&](bool from_b, uint32_t idx) {
      const Dest d = from_b ? dest_b[idx] : dest_a[idx];
      if (d != kDropped) out[d]->perm[o - 1].push_back((from_b ? pos_b : pos_a)[idx]);
    };
    size_t i = 0, j = 0;
    WithOrder(order, [&](auto ord) {
      while (i < pa.size() && j < pb.size()) {
        if (CompareDatomsIn<decltype(ord)::value>(b.datoms[pb[j]], a.datoms[pa[i]]) < 0) emit(true, pb[j++]);
        else emit(false, pa[i++]);
      }
    });
    for (; i < pa.size(); ++i) emit(false, pa[i]);
    for (; j < pb.size(); ++j) emit(true, pb[j]);
  }
}

// Merges two time-adjacent current runs (older first) into out[0].
// Assertion/retraction pairs that meet are cancelled: moved to out[1] (the
// history) or dropped when the attribute keeps no history.
void MergeCurrent(const Run& older, const Run& newer, const std::function<bool(EntityId)>& no_history,
                  std::shared_ptr<Run> out[2]) {
  const std::vector<uint32_t> origins = MergeOrigins(older, newer);
  std::vector<Dest> dest_a(older.datoms.size(), kToFirst), dest_b(newer.datoms.size(), kToFirst);
  auto at = [&](size_t i) -> const Datom& {
    const uint32_t o = origins[i];
    return (o & 0x80000000u) ? newer.datoms[o & 0x7fffffffu] : older.datoms[o];
  };
  auto route = [&](size_t i, Dest d) {
    const uint32_t o = origins[i];
    ((o & 0x80000000u) ? dest_b[o & 0x7fffffffu] : dest_a[o]) = d;
  };
  for (size_t i = 0; i < origins.size();) {
    size_t j = i;
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
  BuildMerged(older, newer, origins, dest_a, dest_b, out);
}

std::shared_ptr<const Run> MergeAll(const Run& older, const Run& newer) {
  std::shared_ptr<Run> out[2];
  BuildMerged(older, newer, MergeOrigins(older, newer), std::vector<Dest>(older.datoms.size(), kToFirst),
              std::vector<Dest>(newer.datoms.size(), kToFirst), out);
  return out[0];
}

bool ShouldMerge(const std::vector<std::shared_ptr<const Run>>& runs) {
  size_t n = runs.size();
  return n >= 2 && runs[n - 2]->datoms.size() <= 2 * runs[n - 1]->datoms.size();
}

}  // namespace

std::shared_ptr<const MemIndex> MemIndex::Add(std::vector<Datom> datoms, const std::function<bool(EntityId)>& is_ref,
                                              const std::function<bool(EntityId)>& no_history) const {
  auto next = std::make_shared<MemIndex>(*this);
  MemIndexStats& st = next->stats_;
  const size_t n = datoms.size();
  auto run = Run::Build(std::move(datoms), is_ref);
  st.datoms += n;
  st.bytes += run->bytes;
  next->current_.push_back(std::move(run));
  while (ShouldMerge(next->current_)) {
    auto newer = std::move(next->current_.back());
    next->current_.pop_back();
    auto older = std::move(next->current_.back());
    next->current_.pop_back();
    std::shared_ptr<Run> merged[2];
    MergeCurrent(*older, *newer, no_history, merged);
    st.merges++;
    st.datoms_merged += older->datoms.size() + newer->datoms.size();
    st.bytes -= older->bytes + newer->bytes;
    st.datoms -= older->datoms.size() + newer->datoms.size();
    std::shared_ptr<const Run> m = std::move(merged[0]);
    st.bytes += m->bytes;
    st.datoms += m->datoms.size();
    next->current_.push_back(std::move(m));
    if (!merged[1]->datoms.empty()) {
      std::shared_ptr<const Run> h = std::move(merged[1]);
      st.bytes += h->bytes;
      st.datoms += h->datoms.size();
      next->history_.push_back(std::move(h));
      while (ShouldMerge(next->history_)) {
        auto hn = std::move(next->history_.back());
        next->history_.pop_back();
        auto ho = std::move(next->history_.back());
        next->history_.pop_back();
        st.merges++;
        st.datoms_merged += ho->datoms.size() + hn->datoms.size();
        st.bytes -= ho->bytes + hn->bytes;
        auto hm = MergeAll(*ho, *hn);
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

uint64_t MemIndex::Count(Index order, bool history) const {
  uint64_t n = 0;
  for (const auto& r : history ? history_ : current_) n += order == Index::kVaet ? r->perm[2].size() : r->datoms.size();
  return n;
}

std::vector<Datom> MemIndex::Collect(Index order, bool history) const {
  std::vector<Datom> out;
  const auto& runs = history ? history_ : current_;
  size_t n = 0;
  for (const auto& r : runs) n += order == Index::kVaet ? r->perm[2].size() : r->datoms.size();
  out.reserve(n);
  std::vector<std::unique_ptr<DatomIterator>> kids;
  for (const auto& r : runs) kids.push_back(r->NewIterator(order));
  auto it = NewMergingIterator(order, std::move(kids));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.push_back(it->datom());
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
