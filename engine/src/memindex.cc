#include "memindex.h"

#include <algorithm>

namespace strata {
namespace {

// sizeof(Datom) plus the heap bytes of its value plus one slot per order.
uint64_t DatomBytes(const Datom& d) { return sizeof(Datom) + d.v.HeapBytes() + 3 * sizeof(uint32_t); }

class RunIterator final : public DatomIterator {
 public:
  RunIterator(const Run* run, Index order) : run_(run), order_(order) {
    perm_ = order == Index::kEavt ? nullptr : &run->perm[static_cast<int>(order) - 1];
    n_ = perm_ ? perm_->size() : run->datoms.size();
    pos_ = n_;
  }
  bool Valid() const override { return pos_ < n_; }
  void SeekToFirst() override { pos_ = 0; }
  void Seek(const Datom& target) override {
    size_t lo = 0, hi = n_;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (CompareDatoms(order_, At(mid), target) < 0) lo = mid + 1;
      else hi = mid;
    }
    pos_ = lo;
  }
  void Next() override { ++pos_; }
  const Datom& datom() const override { return At(pos_); }

 private:
  const Datom& At(size_t i) const { return perm_ ? run_->datoms[(*perm_)[i]] : run_->datoms[i]; }
  const Run* run_;
  Index order_;
  const std::vector<uint32_t>* perm_;
  size_t n_, pos_;
};

bool SameEav(const Datom& x, const Datom& y) { return x.e == y.e && x.a == y.a && x.v == y.v; }

}  // namespace

std::shared_ptr<const Run> Run::Build(std::vector<Datom> datoms, const std::function<bool(EntityId)>& is_ref) {
  auto run = std::make_shared<Run>();
  std::sort(datoms.begin(), datoms.end(), DatomLess{Index::kEavt});
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
    const Index order = static_cast<Index>(o);
    std::sort(p.begin(), p.end(), [&](uint32_t x, uint32_t y) { return CompareDatoms(order, ds[x], ds[y]) < 0; });
  }
  run->bytes = bytes;
  run->min_t = ds.empty() ? 0 : min_t;
  run->max_t = max_t;
  return run;
}

std::unique_ptr<DatomIterator> Run::NewIterator(Index order) const {
  return std::make_unique<RunIterator>(this, order);
}

namespace {

// Merges two time-adjacent current runs (older first). Assertion/retraction
// pairs that meet are cancelled: moved to *history (or dropped when the
// attribute keeps no history).
std::vector<Datom> MergeCurrent(const Run& older, const Run& newer, const std::function<bool(EntityId)>& no_history,
                                std::vector<Datom>* history) {
  std::vector<Datom> all;
  all.reserve(older.datoms.size() + newer.datoms.size());
  std::merge(older.datoms.begin(), older.datoms.end(), newer.datoms.begin(), newer.datoms.end(),
             std::back_inserter(all), DatomLess{Index::kEavt});
  std::vector<Datom> out;
  out.reserve(all.size());
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && SameEav(all[j], all[i])) ++j;
    // The group alternates assertion/retraction in tx order. A leading
    // retraction cancels an assertion in an older source: it stays current.
    size_t k = i;
    if (!all[k].added) out.push_back(std::move(all[k++]));
    for (; k + 1 < j; k += 2) {
      if (!all[k].added || all[k + 1].added) {  // not an (A R) pair: keep as is
        out.push_back(std::move(all[k]));
        out.push_back(std::move(all[k + 1]));
        continue;
      }
      if (!no_history(all[k].a)) {
        history->push_back(std::move(all[k]));
        history->push_back(std::move(all[k + 1]));
      }
    }
    if (k < j) out.push_back(std::move(all[k]));
    i = j;
  }
  return out;
}

std::vector<Datom> MergeAll(const Run& older, const Run& newer) {
  std::vector<Datom> all;
  all.reserve(older.datoms.size() + newer.datoms.size());
  std::merge(older.datoms.begin(), older.datoms.end(), newer.datoms.begin(), newer.datoms.end(),
             std::back_inserter(all), DatomLess{Index::kEavt});
  return all;
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
    std::vector<Datom> hist;
    auto merged = MergeCurrent(*older, *newer, no_history, &hist);
    st.merges++;
    st.datoms_merged += older->datoms.size() + newer->datoms.size();
    st.bytes -= older->bytes + newer->bytes;
    st.datoms -= older->datoms.size() + newer->datoms.size();
    auto m = Run::Build(std::move(merged), is_ref);
    st.bytes += m->bytes;
    st.datoms += m->datoms.size();
    next->current_.push_back(std::move(m));
    if (!hist.empty()) {
      auto h = Run::Build(std::move(hist), is_ref);
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
        auto hm = Run::Build(MergeAll(*ho, *hn), is_ref);
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
