#include "util/iterator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "util/planted_faults.h"

namespace strata {

namespace {
[[noreturn]] void AbortOnDroppedStatus(const Status& s) {
  std::fprintf(stderr,
               "strata: fatal: a datom iterator or cursor ended with an error nobody took (a read path drops its "
               "status): %s\n",
               s.ToString().c_str());
  std::fflush(stderr);
  std::abort();
}
}  // namespace

// Out of line: the check is a branch per iterator destroyed, and the abort
// path stays out of every caller.
DatomIterator::~DatomIterator() {
  if (!status_.ok() && !status_taken_) AbortOnDroppedStatus(status_);
}

namespace {

// Component slots in an order's sequence: 0=e 1=a 2=v 3=tx.
constexpr int kSlots[kIndexCount][4] = {{0, 1, 2, 3}, {1, 0, 2, 3}, {1, 2, 0, 3}, {2, 1, 0, 3}};

// True when d matches the first n components (in O's sequence).
template <Index O>
bool MatchesFirst(const Datom& d, const std::vector<Value>& components, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const Value& c = components[i];
    switch (kSlots[static_cast<int>(O)][i]) {
      case 0: if (d.e != c.ref()) return false; break;
      case 1: if (d.a != c.ref()) return false; break;
      case 2: if (!(d.v == c)) return false; break;
      default: break;  // tx never bounds a merge (see iterator.h)
    }
  }
  return true;
}

// MatchesFirst with the order known at run time.
bool MatchesFirstIn(Index order, const Datom& d, const std::vector<Value>& components, size_t n) {
  return WithOrder(order, [&](auto o) { return MatchesFirst<decltype(o)::value>(d, components, n); });
}

// SameFirst with the order known at run time.
bool SameFirstIn(Index order, const Datom& x, const Datom& y, size_t n) {
  return WithOrder(order, [&](auto o) { return SameFirst<decltype(o)::value>(x, y, n); });
}

}  // namespace

bool DatomIterator::SharesPrefix(Index order, const Datom& target, size_t n) const {
  return WithOrder(order, [&](auto o) { return SameFirst<decltype(o)::value>(datom(), target, n); });
}

namespace {

// A seek that goes forward steps first, when the iterator's position
// allows: an iterator positioned by a seek and then moved only by Next
// stands, for any target past every datom it has passed since (and not
// before the seek's target), on or before the first datom >= target, so
// a target a few datoms ahead is reached by stepping, which reads datoms
// in order, instead of by a search from the top (a cursor moved from
// binding to binding in entity order: a binary search over a memory run
// misses the cache at nearly every probe). The caller decides that the
// target is past every datom passed; past kSeekSteps, or at the end, it
// seeks; a step that fails stops there (the caller takes the error).
constexpr int kSeekSteps = 16;

template <typename Less>
void SeekForward(DatomIterator* it, const Datom& target, bool forward, Less less) {
  if (forward && it->Valid()) {
    // An iterator that seeks near as cheaply as it steps (SeeksNear) only
    // checks whether it already stands there (a reused cursor often does).
    const int steps = it->SeeksNear() ? 0 : kSeekSteps;
    for (int i = 0;; ++i) {
      if (!less(it->datom(), target)) return;
      if (i == steps) break;
      it->Next();
      if (!it->Valid()) {
        if (it->has_error()) return;  // the caller takes the error (never a seek past it)
        break;
      }
    }
  }
  it->Seek(target);
}

// One class per order, so the comparison is inlined (NewMergingIterator
// picks it).
template <Index O>
class MergingIterator final : public DatomIterator {
 public:
  MergingIterator(std::vector<std::unique_ptr<DatomIterator>> children, const std::vector<Value>* prefix)
      : children_(std::move(children)), prefix_(prefix) {
    active_.reserve(children_.size());
    for (auto& c : children_) seeks_near_ = seeks_near_ && c->SeeksNear();
  }

  bool Valid() const override { return current_ != nullptr; }
  void SeekToFirst() override {
    for (auto& c : children_) c->SeekToFirst();
    have_last_ = false;
    last_n_ = prefix_ == nullptr ? 0 : std::min<size_t>(prefix_->size(), 3);
    if (last_n_ > 0) {
      own_bound_ = PrefixTarget(O, *prefix_);
      bound_ = &own_bound_;
    }
    Activate();
  }
  void Seek(const Datom& target) override {
    const bool forward = Forward(target);  // before any child moves
    for (auto& c : children_)
      SeekForward(c.get(), target, forward, [](const Datom& x, const Datom& y) { return CompareDatomsIn<O>(x, y) < 0; });
    last_ = target;
    last_n_ = prefix_ == nullptr ? 0 : std::min<size_t>(prefix_->size(), 3);
    // The prefix as a datom, for children to compare their own datoms with:
    // a cursor's target starts with its prefix (then no copy is made).
    bound_ = &last_;
    if (last_n_ > 0 && !MatchesFirst<O>(target, *prefix_, last_n_)) {
      own_bound_ = PrefixTarget(O, *prefix_);
      bound_ = &own_bound_;
    }
    have_last_ = true;
    Activate();
  }
  void Next() override {
    current_->Next();
    // A child that ended, failed or left the prefix has nothing more for
    // this read: the others keep their order (ties go to the older source).
    if (!Usable(*current_)) active_.erase(active_.begin() + static_cast<ptrdiff_t>(current_at_));
    FindSmallest();
  }
  const Datom& datom() const override { return current_->datom(); }
  void CopyDatom(Datom* out) const override { current_->CopyDatom(out); }
  bool SameEav(const Datom& d) const override { return current_->SameEav(d); }
  bool SharesPrefix(Index order, const Datom& target, size_t n) const override {
    return current_->SharesPrefix(order, target, n);
  }
  bool SeeksNear() const override { return seeks_near_; }
  const std::vector<Value>* bounding_prefix() const override { return prefix_; }
  // With one source left, that source folds (the rest ended or hold
  // nothing of the prefix, so a group it starts is all there); a source
  // that then stands at its end or past the bound is set aside, as Next
  // does.
  CurrentStep StepCurrent(DatomRef* out, const Datom* bound, size_t n) override {
    if (active_.size() != 1 || failed()) {
      return active_.empty() && !failed() ? CurrentStep::kEnd : CurrentStep::kUnsupported;
    }
    DatomIterator* c = active_[0];
    const CurrentStep s = c->StepCurrent(out, bound, n);
    if (s == CurrentStep::kFoundLast || s == CurrentStep::kEnd) {
      Adopt(*c);
      active_.clear();
      current_ = nullptr;
    }
    return s;
  }
  void Park() override {
    for (auto& c : children_) c->Park();
    active_.clear();
    current_ = nullptr;
    have_last_ = false;
  }

 private:
  // False for a child that is not Valid (its error, if any, becomes this
  // iterator's: every failed child is taken, the first error is this
  // one's) or stands past the prefix.
  bool Usable(const DatomIterator& c) {
    if (!c.Valid()) {
      Adopt(c);
      return false;
    }
    return last_n_ == 0 || c.SharesPrefix(O, *bound_, last_n_);
  }
  // Whether target is past every datom a child passed since the last
  // seek (see SeekForward): it is not before the current datom (every
  // datom passed came before it), or, the merge bounded by the last seek's
  // prefix, it is past that prefix (every datom passed matched it; a child
  // that left it stopped on the first that does not).
  bool Forward(const Datom& target) const {
    if (!have_last_ || failed()) return false;
    if (current_ != nullptr) return CompareDatomsIn<O>(current_->datom(), target) <= 0;
    if (last_n_ == 0 || CompareDatomsIn<O>(last_, target) > 0) return false;
    return !SameFirst<O>(target, last_, last_n_);
  }
  void Activate() {
    active_.clear();
    for (auto& c : children_)
      if (Usable(*c)) active_.push_back(c.get());
    FindSmallest();
  }
  // A linear scan over the active children: reads merge few sources
  // (bounded by the run policy; a point read, one or two), so this beats
  // a heap's bookkeeping. Only a child that moved can have failed, and
  // Next and the seeks look at it then, so the scan makes no virtual call
  // for a status (one per source per step was a tenth of a point read).
  void FindSmallest() {
    current_ = nullptr;
    if (failed()) return;  // a failed source ends the read
    for (size_t i = 0; i < active_.size(); ++i) {
      DatomIterator* c = active_[i];
      if (current_ == nullptr || CompareDatomsIn<O>(c->datom(), current_->datom()) < 0) {
        current_ = c;
        current_at_ = i;
      }
    }
  }
  std::vector<std::unique_ptr<DatomIterator>> children_;
  const std::vector<Value>* prefix_;  // null: every datom
  std::vector<DatomIterator*> active_;  // children that may still yield, in children_'s order
  DatomIterator* current_ = nullptr;
  size_t current_at_ = 0;  // current_'s place in active_
  Datom last_;             // the last seek's target (have_last_), for Forward
  size_t last_n_ = 0;      // the components of *prefix_ that bounded it
  const Datom* bound_ = &last_;  // those components: last_, or own_bound_
  Datom own_bound_;
  bool have_last_ = false;
  bool seeks_near_ = true;  // every child does (then so does the merge)
};

class ViewIterator final : public DatomIterator {
 public:
  ViewIterator(Index order, std::unique_ptr<DatomIterator> in, ViewSpec spec, const std::vector<Value>* prefix)
      : order_(order),
        in_(std::move(in)),
        spec_(spec),
        current_only_(!spec.history && !spec.as_of && !spec.since),
        prefix_(prefix),
        input_bounds_(prefix != nullptr && in_->bounding_prefix() == prefix) {}

  bool Valid() const override { return valid_; }
  void SeekToFirst() override {
    SetBoundN();
    if (bound_n_ > 0) seek_ = PrefixTarget(order_, *prefix_);
    step_wait_ = 0;  // a new read: the sources in range may be one
    in_->SeekToFirst();
    Advance();
  }
  void Seek(const Datom& target) override {
    // Land on the start of target's group so the fold sees all of it. The
    // input stands just past the datoms this view has read, the current
    // one's group included (it is read ahead), so a seek may step forward
    // only to a target past the current datom.
    seek_ = target;  // reuses its string
    seek_.tx = 0;
    seek_.added = false;
    // The bound: a cursor's target starts with its prefix (then the target
    // is the bound too).
    SetBoundN();
    if (bound_n_ > 0 && !MatchesFirstIn(order_, seek_, *prefix_, bound_n_)) {
      // Seek past a target outside its own prefix (never from a cursor):
      // seek the target, bound by the prefix.
      const Datom t = seek_;
      seek_ = PrefixTarget(order_, *prefix_);
      SeekInput(t);
    } else {
      SeekInput(seek_);
    }
    while (valid_ && CompareDatoms(order_, datom(), target) < 0) Advance();
  }
  void Next() override { Advance(); }
  // A datom StepCurrent found is built from its fields when first asked for.
  const Datom& datom() const override {
    if (!decoded_) {
      cur_.e = ref_.e;
      cur_.a = ref_.a;
      cur_.tx = ref_.tx;
      cur_.added = ref_.added;
      cur_.v.AssignFields(ref_.type, ref_.num, ref_.aux, ref_.text);
      decoded_ = true;
    }
    return cur_;
  }
  void CopyDatom(Datom* out) const override { *out = datom(); }
  DatomRef ref() const override { return decoded_ ? DatomRef::Of(cur_) : ref_; }
  void Park() override {
    in_->Park();
    valid_ = false;
  }

 private:
  // The prefix may have changed since the last read (a cursor's reseek).
  void SetBoundN() { bound_n_ = prefix_ == nullptr ? 0 : std::min<size_t>(prefix_->size(), 3); }
  void SeekInput(const Datom& t) {
    const bool forward = valid_ && !failed() && CompareDatoms(order_, datom(), t) < 0;
    step_wait_ = 0;  // a new read: the sources in range may be one
    SeekForward(in_.get(), t, forward, [this](const Datom& x, const Datom& y) { return CompareDatoms(order_, x, y) < 0; });
    Advance();
  }
  bool InTime(const Datom& d) const {
    if (PlantedFault("asof-excludes-t")) return !spec_.as_of || d.t() < *spec_.as_of;
    return !spec_.as_of || d.t() <= *spec_.as_of;
  }
  bool AfterSince(const Datom& d) const {
    if (PlantedFault("since-includes-t")) return !spec_.since || d.t() >= *spec_.since;
    return !spec_.since || d.t() > *spec_.since;
  }
  // Whether d has the bound's components (every datom does without one, and
  // every datom of an input that ends at the same prefix).
  bool InBound(const Datom& d) const {
    return bound_n_ == 0 || input_bounds_ || SameFirstIn(order_, d, seek_, bound_n_);
  }

  void Advance() {
    valid_ = false;
    if (spec_.history) {
      for (; in_->Valid(); in_->Next()) {
        const Datom& d = in_->datom();
        if (!InBound(d)) return;  // sorted: nothing after it is in the prefix
        if (PlantedFault("history-drops-retraction") && !d.added) continue;
        if (InTime(d) && AfterSince(d)) {
          in_->CopyDatom(&cur_);
          decoded_ = true;
          in_->Next();
          // The source may fail on that step: take its error now (a reader
          // that stops after this datom would otherwise drop it), and end
          // the read as the current view does.
          if (!in_->Valid()) Adopt(*in_);
          valid_ = !failed();
          return;
        }
      }
      Adopt(*in_);
      return;
    }
    // Fold one (e a v) group at a time: its last datom within as_of
    // decides. A group is ascending by tx, so the decider is its last
    // in-time datom: copy the group's first datom once (into cur_, reusing
    // its string buffer), then only tx and added change.
    for (;;) {
      if (current_only_ && --step_wait_ <= 0) {
        // The input folds its groups itself when it can (one memory run,
        // or a merge down to one): one call per datom instead of a step of
        // each layer per datom.
        switch (in_->StepCurrent(&ref_, bound_n_ > 0 ? &seek_ : nullptr, bound_n_)) {
          case CurrentStep::kFound:
            valid_ = true;
            decoded_ = false;
            return;
          case CurrentStep::kFoundLast:
            decoded_ = false;
            // The source may have failed on its last step (see below).
            if (!in_->Valid()) Adopt(*in_);
            valid_ = !failed();
            return;
          case CurrentStep::kEnd:
            Adopt(*in_);
            return;
          case CurrentStep::kUnsupported:
            // Sources end only now and then: ask again some groups on
            // (a merge of several sources pays for the question once per
            // kStepWait groups, not once per group).
            step_wait_ = kStepWait;
            break;
        }
      }
      if (!in_->Valid()) break;
      in_->CopyDatom(&cur_);
      decoded_ = true;
      if (!InBound(cur_)) return;  // sorted: nothing after it is in the prefix
      bool have = InTime(cur_);
      for (in_->Next(); in_->Valid(); in_->Next()) {
        if (!in_->SameEav(cur_)) break;
        const Datom& d = in_->datom();
        if (InTime(d)) {
          cur_.tx = d.tx;
          cur_.added = d.added;
          have = true;
        }
      }
      if (have && cur_.added && AfterSince(cur_)) {
        // A source that failed mid-group ends the read: never show a fold
        // of a partial group (cursors rely on !Valid() after a failure).
        if (!in_->Valid()) Adopt(*in_);
        valid_ = !failed();
        return;
      }
    }
    Adopt(*in_);
  }

  Index order_;
  std::unique_ptr<DatomIterator> in_;
  ViewSpec spec_;
  static constexpr int kStepWait = 32;
  bool current_only_;                  // no as-of, since or history: the input may fold (StepCurrent)
  int step_wait_ = 0;                  // groups before StepCurrent is asked again after kUnsupported
  const std::vector<Value>* prefix_;   // null: no bound
  bool input_bounds_;                  // the input ends at prefix_ itself (a prefix merge)
  Datom seek_;                         // the last seek's group target; the bound when bound_n_ > 0
  size_t bound_n_ = 0;                 // the prefix components that bound the read
  DatomRef ref_;                       // the current datom as StepCurrent found it (when !decoded_)
  mutable Datom cur_;                  // the current datom, once built (decoded_)
  mutable bool decoded_ = true;
  bool valid_ = false;
};

class FilterIterator final : public DatomIterator {
 public:
  FilterIterator(std::unique_ptr<DatomIterator> in, std::function<bool(const Datom&)> keep)
      : in_(std::move(in)), keep_(std::move(keep)) {}
  bool Valid() const override { return in_->Valid(); }
  void SeekToFirst() override {
    in_->SeekToFirst();
    Skip();
  }
  void Seek(const Datom& target) override {
    in_->Seek(target);
    Skip();
  }
  void Next() override {
    in_->Next();
    Skip();
  }
  const Datom& datom() const override { return in_->datom(); }
  DatomRef ref() const override { return in_->ref(); }
  void Park() override { in_->Park(); }

 private:
  void Skip() {
    while (in_->Valid()) {
      if (keep_(in_->datom())) return;
      in_->Next();
    }
    Adopt(*in_);
  }
  std::unique_ptr<DatomIterator> in_;
  std::function<bool(const Datom&)> keep_;
};

class VectorIterator final : public DatomIterator {
 public:
  VectorIterator(Index order, const std::vector<Datom>* v) : order_(order), v_(v), pos_(v->size()) {}
  bool Valid() const override { return pos_ < v_->size(); }
  void SeekToFirst() override { pos_ = 0; }
  void Seek(const Datom& target) override {
    pos_ = std::lower_bound(v_->begin(), v_->end(), target, DatomLess{order_}) - v_->begin();
  }
  void Next() override { ++pos_; }
  const Datom& datom() const override { return (*v_)[pos_]; }

 private:
  Index order_;
  const std::vector<Datom>* v_;
  size_t pos_;
};

}  // namespace

std::unique_ptr<DatomIterator> NewMergingIterator(Index order, std::vector<std::unique_ptr<DatomIterator>> children) {
  return NewPrefixMergingIterator(order, std::move(children), nullptr);
}

std::unique_ptr<DatomIterator> NewPrefixMergingIterator(Index order,
                                                        std::vector<std::unique_ptr<DatomIterator>> children,
                                                        const std::vector<Value>* prefix) {
  if (children.size() == 1) return std::move(children[0]);
  return WithOrder(order, [&](auto o) -> std::unique_ptr<DatomIterator> {
    return std::make_unique<MergingIterator<decltype(o)::value>>(std::move(children), prefix);
  });
}

std::unique_ptr<DatomIterator> NewViewIterator(Index order, std::unique_ptr<DatomIterator> input, ViewSpec spec,
                                               const std::vector<Value>* prefix) {
  return std::make_unique<ViewIterator>(order, std::move(input), spec, prefix);
}

std::unique_ptr<DatomIterator> NewFilterIterator(std::unique_ptr<DatomIterator> input,
                                                 std::function<bool(const Datom&)> keep) {
  return std::make_unique<FilterIterator>(std::move(input), std::move(keep));
}

std::unique_ptr<DatomIterator> NewVectorIterator(Index order, const std::vector<Datom>* datoms) {
  return std::make_unique<VectorIterator>(order, datoms);
}

Datom PrefixTarget(Index order, const std::vector<Value>& components) {
  Datom d;
  d.added = false;
  for (size_t i = 0; i < components.size() && i < 4; ++i) {
    const Value& c = components[i];
    switch (kSlots[static_cast<int>(order)][i]) {
      case 0: d.e = c.ref(); break;
      case 1: d.a = c.ref(); break;
      case 2: d.v = c; break;
      case 3: d.tx = c.ref(); break;
    }
  }
  return d;
}

bool MatchesPrefix(Index order, const Datom& d, const std::vector<Value>& components) {
  for (size_t i = 0; i < components.size() && i < 4; ++i) {
    const Value& c = components[i];
    switch (kSlots[static_cast<int>(order)][i]) {
      case 0: if (d.e != c.ref()) return false; break;
      case 1: if (d.a != c.ref()) return false; break;
      case 2: if (!(d.v == c)) return false; break;
      case 3: if (d.tx != c.ref()) return false; break;
    }
  }
  return true;
}

}  // namespace strata
