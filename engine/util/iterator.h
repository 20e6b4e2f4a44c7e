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

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "strata/status.h"
#include "strata/value.h"

namespace strata {

class DatomIterator {
 public:
  virtual ~DatomIterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void Seek(const Datom& target) = 0;
  virtual void Next() = 0;
  // Requires Valid(). Valid until the next call that moves the iterator.
  virtual const Datom& datom() const = 0;
  // Not OK when a source failed (a corrupt or unreadable segment); the
  // iterator is then !Valid(). A reader must check it at the end.
  virtual Status status() const { return Status::OK(); }
};

// Merges sorted children into one sorted stream. Equal datoms from several
// children are all returned (children hold disjoint datoms by construction).
std::unique_ptr<DatomIterator> NewMergingIterator(Index order, std::vector<std::unique_ptr<DatomIterator>> children);

// How a view folds the datoms of one (e a v) group (contiguous in every
// order, ascending by tx).
struct ViewSpec {
  std::optional<T> as_of;  // ignore datoms with t > as_of
  std::optional<T> since;  // emit only datoms with t > since
  bool history = false;    // emit every datom instead of the fold
};

// Wraps a merged stream and applies the time view: without history, each
// (e a v) group yields its last datom (within as_of) if it is an assertion.
std::unique_ptr<DatomIterator> NewViewIterator(Index order, std::unique_ptr<DatomIterator> input, ViewSpec spec);

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
