// segment_cache.h — a bounded LRU cache of decoded segments (internal).
//
// Reads of the durable index go through the cache: a hit costs a hash
// lookup; a miss reads and decodes the segment from storage. The cache is
// bounded by the decoded bytes it holds; entries in use by a reader stay
// alive (shared_ptr) even after eviction. The LRU list is a
// Boost.Intrusive list, so an entry costs no extra allocation.
//
// Thread safety: all methods are thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "strata/status.h"
#include "strata/value.h"

namespace strata {

struct DecodedLeaf {
  uint64_t id = 0;
  Index order = Index::kEavt;
  std::vector<Datom> datoms;
  uint64_t memory_bytes = 0;  // what it holds in memory (the cache's charge)
};

struct SegmentCacheStats {
  uint64_t hits = 0, misses = 0, evictions = 0, bytes = 0, entries = 0;
};

class SegmentCache {
 public:
  explicit SegmentCache(uint64_t capacity_bytes);
  ~SegmentCache();
  // The cached leaf, or the result of load() (inserted, then returned).
  // load errors are returned and nothing is cached.
  Result<std::shared_ptr<const DecodedLeaf>> GetOrLoad(
      uint64_t id, const std::function<Result<std::shared_ptr<const DecodedLeaf>>()>& load);
  void Erase(uint64_t id);
  SegmentCacheStats stats() const;
  uint64_t capacity() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// Decoded size charged for a leaf (datoms plus their heap bytes).
uint64_t LeafMemoryBytes(const std::vector<Datom>& datoms);

}  // namespace strata
