// segment_cache.cc — SegmentCache: an LRU of decoded leaves bounded by bytes.
//
// Entries live in an unordered_map (lookup by id, and ownership) and are
// threaded on a Boost.Intrusive list (most recently used at the front), so
// moving an entry to the front on a hit neither allocates nor frees.
// Loads run outside the mutex: a miss on a slow storage must not stall
// every other reader. Two threads missing the same id may both load it;
// the first to come back inserts, the second returns that entry and drops
// its own copy, so all readers share one decoded leaf.
//
// The charge of an entry is the leaf's memory_bytes, but at least 1, so
// that a loader that leaves memory_bytes at 0 cannot grow the cache without
// bound (entries <= capacity).

#include "index/segment_cache.h"
#include "strata/mutex.h"

#include <boost/intrusive/list.hpp>

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace strata {

namespace {

struct Entry : boost::intrusive::list_base_hook<> {
  uint64_t id = 0;
  uint64_t charge = 0;
  std::shared_ptr<const DecodedLeaf> leaf;
};

using LruList = boost::intrusive::list<Entry, boost::intrusive::constant_time_size<false>>;

uint64_t ChargeOf(const DecodedLeaf& leaf) {
  return std::max<uint64_t>(leaf.memory_bytes, 1);
}

}  // namespace

struct SegmentCache::Rep {
  explicit Rep(uint64_t cap) : capacity(cap) {}
  ~Rep() { lru.clear(); }  // unlink before the map frees the entries

  // Unlinks and frees `it`.
  void Remove(std::unordered_map<uint64_t, std::unique_ptr<Entry>>::iterator it) REQUIRES(mu) {
    lru.erase(lru.iterator_to(*it->second));
    bytes -= it->second->charge;
    map.erase(it);
  }

  const uint64_t capacity;
  mutable Mutex mu;
  std::unordered_map<uint64_t, std::unique_ptr<Entry>> map GUARDED_BY(mu);
  LruList lru GUARDED_BY(mu);  // front: most recently used
  uint64_t bytes GUARDED_BY(mu) = 0;
  uint64_t hits GUARDED_BY(mu) = 0, misses GUARDED_BY(mu) = 0, evictions GUARDED_BY(mu) = 0;
};

SegmentCache::SegmentCache(uint64_t capacity_bytes) : rep_(std::make_unique<Rep>(capacity_bytes)) {}

SegmentCache::~SegmentCache() = default;

Result<std::shared_ptr<const DecodedLeaf>> SegmentCache::GetOrLoad(
    uint64_t id, const std::function<Result<std::shared_ptr<const DecodedLeaf>>()>& load) {
  Rep& r = *rep_;
  {
    MutexLock l(&r.mu);
    auto it = r.map.find(id);
    if (it != r.map.end()) {
      ++r.hits;
      Entry& e = *it->second;
      r.lru.splice(r.lru.begin(), r.lru, r.lru.iterator_to(e));
      return e.leaf;
    }
    ++r.misses;
  }

  Result<std::shared_ptr<const DecodedLeaf>> loaded = load();
  if (!loaded.ok()) return loaded.status();  // not cached: the next reader retries
  std::shared_ptr<const DecodedLeaf> leaf = std::move(*loaded);
  if (!leaf) return Status::InvalidArgument("segment cache: loader returned no leaf");

  MutexLock l(&r.mu);
  auto it = r.map.find(id);
  if (it != r.map.end()) {  // another reader loaded it meanwhile: share theirs
    Entry& e = *it->second;
    r.lru.splice(r.lru.begin(), r.lru, r.lru.iterator_to(e));
    return e.leaf;
  }
  const uint64_t charge = ChargeOf(*leaf);
  if (charge > r.capacity) return leaf;  // would evict everything and still not fit

  auto entry = std::make_unique<Entry>();
  entry->id = id;
  entry->charge = charge;
  entry->leaf = leaf;
  r.lru.push_front(*entry);
  r.bytes += charge;
  r.map.emplace(id, std::move(entry));
  while (r.bytes > r.capacity) {
    // The new entry is at the front and fits alone, so this stops before it.
    Entry& victim = r.lru.back();
    r.Remove(r.map.find(victim.id));
    ++r.evictions;
  }
  return leaf;
}

void SegmentCache::Erase(uint64_t id) {
  MutexLock l(&rep_->mu);
  auto it = rep_->map.find(id);
  if (it != rep_->map.end()) rep_->Remove(it);
}

SegmentCacheStats SegmentCache::stats() const {
  MutexLock l(&rep_->mu);
  SegmentCacheStats s;
  s.hits = rep_->hits;
  s.misses = rep_->misses;
  s.evictions = rep_->evictions;
  s.bytes = rep_->bytes;
  s.entries = rep_->map.size();
  return s;
}

uint64_t SegmentCache::capacity() const { return rep_->capacity; }

uint64_t LeafMemoryBytes(const std::vector<Datom>& datoms) {
  uint64_t total = 0;
  for (const Datom& d : datoms) total += sizeof(Datom) + d.v.HeapBytes();
  return total;
}

}  // namespace strata
