// iterator.h — the one iterator contract for every sorted datom source
// (internal): memory-index runs, durable segments, merged views, and the
// time views (current, as-of, since, history) layered on top.
//
// An iterator walks datoms in one sort order (CompareDatoms). Seek(target)
// positions at the first datom >= target; a "prefix" target is a datom
// whose trailing components are at their minimum (e=0, v=nil, tx=0), so a
// seek lands on the first datom of that prefix.
//
// Thread safety: an iterator is used by one thread; the sources it reads
// are immutable and may be shared.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "strata/cursor.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

// The status contract. An iterator that fails (a segment that cannot be
// read or does not check) records the error and becomes !Valid(); it never
// yields a datom after that. A reader that stops on !Valid() must take the
// status to learn whether it saw the end or an error. Taking is enforced:
// an iterator that failed and is destroyed without its status() having
// been called aborts the process, naming the error (dropping it is a bug,
// and stopping beats a silently short answer). A composite (merge, view,
// filter) takes its children's errors as its own, so only the outermost
// iterator's status needs taking. An iterator that never failed costs
// nothing to destroy unchecked (a read that stops early is fine).
class DatomIterator {
 public:
  DatomIterator() = default;
  DatomIterator(const DatomIterator&) = delete;
  DatomIterator& operator=(const DatomIterator&) = delete;
  virtual ~DatomIterator();

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void Seek(const Datom& target) = 0;
  virtual void Next() = 0;
  // Requires Valid(). Valid until the next call that moves the iterator.
  virtual const Datom& datom() const = 0;
  // Requires Valid(). What datom() is, written into *out (reusing its
  // value's string), and whether the current datom has d's (e a v): an
  // iterator over encoded datoms (a memory run) answers from its record
  // without building a Datom first.
  virtual void CopyDatom(Datom* out) const { *out = datom(); }
  // Requires Valid(). The current datom's fields (DatomCursor::ref): a view
  // that stepped by StepCurrent answers without building its Datom.
  virtual DatomRef ref() const { return DatomRef::Of(datom()); }
  virtual bool SameEav(const Datom& d) const {
    const Datom& x = datom();
    return x.e == d.e && x.a == d.a && x.v == d.v;
  }
  // Requires Valid(). Whether the current datom has target's first n
  // components (n <= 3: e a v in `order`'s sequence, the iterator's order).
  virtual bool SharesPrefix(Index order, const Datom& target, size_t n) const;
  // Lets go of what the position holds (a level's decoded leaf) while the
  // iterator waits to be reused (a cursor a state keeps): nothing but a
  // seek may follow. A composite parks its children.
  virtual void Park() {}
  // True when Seek to a target a few datoms ahead costs about what stepping
  // there would (it searches from its position): a merge then seeks it
  // instead of stepping (see SeekForward in iterator.cc).
  virtual bool SeeksNear() const { return false; }
  // The prefix this iterator ends its reads at, as NewPrefixMergingIterator
  // was given it (null: none); a view over it then need not check.
  virtual const std::vector<Value>* bounding_prefix() const { return nullptr; }
  // The current view's step, for an iterator that can fold its (e a v)
  // groups itself (a memory run; a merge with one source left): the time
  // view without as-of, since or history (ViewIterator) calls it instead of
  // stepping datom by datom through every layer. Standing on the first
  // datom of a group, it passes the groups whose last datom is a
  // retraction, writes the fields of the last datom of the first group
  // whose last datom is an assertion to *out (its text stays valid while
  // the iterator lives), and stands past that group: kFound, or
  // kFoundLast when it then stands at its end or past the bound (nothing
  // more for this read). kEnd: it stands at its end, or on a datom without
  // bound's first n components (n <= 3, in the iterator's order; n == 0: no
  // bound), and wrote nothing. kUnsupported: it moved nothing; the caller
  // steps as usual (the default; a merge of several sources).
  enum class CurrentStep : uint8_t { kUnsupported, kFound, kFoundLast, kEnd };
  virtual CurrentStep StepCurrent(DatomRef* out, const Datom* bound, size_t n) { return CurrentStep::kUnsupported; }
  // OK, or the first error a source hit (the iterator is then !Valid()).
  // Calling it takes the status (see above).
  Status status() const {
    status_taken_ = true;
    return status_;
  }
  // Whether it failed, without taking the status (a failed iterator
  // destroyed untaken still aborts).
  bool has_error() const { return !status_.ok(); }

 protected:
  // Records the first error; the implementation must then be !Valid().
  void Fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
    status_taken_ = false;
  }
  // Takes a child's error as this iterator's own (a no-op when it is OK).
  void Adopt(const DatomIterator& child) {
    if (!child.status_.ok()) Fail(child.status());
  }
  bool failed() const { return !status_.ok(); }

 private:
  Status status_;
  mutable bool status_taken_ = false;
};

// True when x and y agree on the first n (at most three) components in
// O's sequence: e, a or v (the tx never bounds a read).
template <Index O>
bool SameFirst(const Datom& x, const Datom& y, size_t n) {
  constexpr int kSlot[kIndexCount][3] = {{0, 1, 2}, {1, 0, 2}, {1, 2, 0}, {2, 1, 0}};
  for (size_t i = 0; i < n && i < 3; ++i) {
    switch (kSlot[static_cast<int>(O)][i]) {
      case 0: if (x.e != y.e) return false; break;
      case 1: if (x.a != y.a) return false; break;
      default: if (!(x.v == y.v)) return false; break;
    }
  }
  return true;
}

// A scan's constant value (Database::DatomsWithValue), given to the sorted
// sources of a read when they are built: a source with a filter yields, of
// its datoms that have the read's prefix (*prefix's first components, at
// most three in the order's sequence, read at each seek; none when prefix
// is null), only those whose value is `v` (Value::operator==: a long 1, a
// double 1.0 and a ref 1 differ), and stops, as without one, on the first
// datom past the prefix. Each source compares values in its own
// representation (a memory run its records), so a rejected datom is never
// built. Every view folds whole (e a v) groups, and a group has one value,
// so dropping the groups of other values at the sources leaves the fold of
// each group kept unchanged: the merge and the view above need not know.
// A filtered source must be positioned by Seek or SeekToFirst after the
// prefix last changed (it takes its bound there): a filtered read is never
// moved to another prefix (DatomCursor::Seek refuses it). The filter must
// outlive the sources built with it.
// A source that passes whole leaves without a match (a durable level: a
// rare value in a large attribute) checks `deadline` before each next leaf
// and, once it is past, fails with Status::Aborted: a scan that finds
// nothing for a long time still ends when its reader's time is up.
struct ValueFilter {
  Value v;
  const std::vector<Value>* prefix = nullptr;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// Merges sorted children into one sorted stream. Equal datoms from several
// children are all returned (children hold disjoint datoms by construction).
std::unique_ptr<DatomIterator> NewMergingIterator(Index order, std::vector<std::unique_ptr<DatomIterator>> children);
// The same for a read bounded by a prefix (a cursor of Database::Datoms):
// after each seek, a child whose next datom does not match the first
// components of *prefix (at most three: e a v in the order's sequence; a
// time view seeks the start of a whole (e a v) group, so tx never bounds
// it) is set aside until the next seek, and so is a child that steps past
// the prefix: its datoms are sorted, so it has nothing more for this read.
// A point read then merges only the sources that hold the key (often one)
// instead of comparing every level's next datom at each step, and the
// merge ends at the prefix's end. *prefix is read at each seek (its owner
// may change it between seeks: a reused cursor) and must outlive the
// iterator.
std::unique_ptr<DatomIterator> NewPrefixMergingIterator(Index order,
                                                        std::vector<std::unique_ptr<DatomIterator>> children,
                                                        const std::vector<Value>* prefix);

// How a view folds the datoms of one (e a v) group (contiguous in every
// order, ascending by tx).
struct ViewSpec {
  std::optional<T> as_of;  // ignore datoms with t > as_of
  std::optional<T> since;  // emit only datoms with t > since
  bool history = false;    // emit every datom instead of the fold
};

// Wraps a merged stream and applies the time view: without history, each
// (e a v) group yields its last datom (within as_of) if it is an assertion.
// With `prefix` (a cursor of Database::Datoms; read at each seek, it must
// outlive the iterator), the view ends at the first datom without the
// prefix's first components (at most three: tx never bounds it), as the
// merge under it does.
std::unique_ptr<DatomIterator> NewViewIterator(Index order, std::unique_ptr<DatomIterator> input, ViewSpec spec,
                                               const std::vector<Value>* prefix = nullptr);

// Wraps an iterator and yields only datoms for which keep(d) is true.
std::unique_ptr<DatomIterator> NewFilterIterator(std::unique_ptr<DatomIterator> input,
                                                 std::function<bool(const Datom&)> keep);

// Iterates a sorted vector (owned by the caller, must outlive it).
std::unique_ptr<DatomIterator> NewVectorIterator(Index order, const std::vector<Datom>* datoms);

// The prefix target for components (e, a, v, tx in the order's sequence):
// unset trailing components are minimal.
Datom PrefixTarget(Index order, const std::vector<Value>& components);
// True when `d` matches every given component of the order's prefix.
bool MatchesPrefix(Index order, const Datom& d, const std::vector<Value>& components);

}  // namespace strata
