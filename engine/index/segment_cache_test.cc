// segment_cache_test.cc — the LRU of decoded leaves: accounting, eviction
// order, errors, and concurrent use.

#include "index/segment_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <random>
#include <thread>

namespace strata {
namespace {

// A leaf whose datoms identify it; `n` datoms of fixed size.
std::shared_ptr<const DecodedLeaf> MakeLeaf(uint64_t id, size_t n) {
  auto leaf = std::make_shared<DecodedLeaf>();
  leaf->id = id;
  for (size_t i = 0; i < n; ++i) {
    leaf->datoms.push_back({id, i, Value::Long(static_cast<int64_t>(id)), 1, true});
  }
  leaf->memory_bytes = LeafMemoryBytes(leaf->datoms);
  return leaf;
}

constexpr size_t kDatoms = 10;
const uint64_t kLeafBytes = kDatoms * sizeof(Datom);

class SegmentCacheTest : public ::testing::Test {
 protected:
  // Loads through the cache, counting calls of the loader.
  std::shared_ptr<const DecodedLeaf> Get(SegmentCache& c, uint64_t id) {
    auto r = c.GetOrLoad(id, [&]() -> Result<std::shared_ptr<const DecodedLeaf>> {
      ++loads_;
      return MakeLeaf(id, kDatoms);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }
  int loads_ = 0;
};

TEST_F(SegmentCacheTest, LeafMemoryBytes) {
  std::vector<Datom> ds = {{1, 2, Value::Long(3), 4, true},
                           {1, 2, Value::String(std::string(100, 'x')), 4, true}};
  EXPECT_EQ(LeafMemoryBytes(ds), 2 * sizeof(Datom) + ds[1].v.HeapBytes());
  EXPECT_GE(ds[1].v.HeapBytes(), 101u);
  EXPECT_EQ(LeafMemoryBytes({}), 0u);
}

TEST_F(SegmentCacheTest, HitsAndMisses) {
  SegmentCache c(10 * kLeafBytes);
  EXPECT_EQ(c.capacity(), 10 * kLeafBytes);
  auto a = Get(c, 1);
  auto b = Get(c, 1);
  EXPECT_EQ(a, b);  // the same decoded leaf, not a copy
  EXPECT_EQ(a->datoms[0].e, 1u);
  Get(c, 2);
  EXPECT_EQ(loads_, 2);
  const SegmentCacheStats s = c.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.bytes, 2 * kLeafBytes);
  EXPECT_EQ(s.evictions, 0u);
}

TEST_F(SegmentCacheTest, EvictsLeastRecentlyUsedWithinBytes) {
  SegmentCache c(3 * kLeafBytes);
  Get(c, 1);
  Get(c, 2);
  Get(c, 3);
  Get(c, 1);  // 2 is now the least recently used
  Get(c, 4);  // evicts 2
  EXPECT_EQ(c.stats().evictions, 1u);
  EXPECT_EQ(c.stats().bytes, 3 * kLeafBytes);
  loads_ = 0;
  Get(c, 1);
  Get(c, 3);
  Get(c, 4);
  EXPECT_EQ(loads_, 0);
  Get(c, 2);  // miss, evicts 1 (least recent after the hits above)
  EXPECT_EQ(loads_, 1);
  Get(c, 1);
  EXPECT_EQ(loads_, 2);
  const SegmentCacheStats s = c.stats();
  EXPECT_EQ(s.entries, 3u);
  EXPECT_LE(s.bytes, c.capacity());
  EXPECT_EQ(s.evictions, 3u);
}

TEST_F(SegmentCacheTest, EvictedLeavesStayAliveForTheirReaders) {
  SegmentCache c(kLeafBytes);
  auto first = Get(c, 1);
  Get(c, 2);  // evicts 1
  EXPECT_EQ(c.stats().entries, 1u);
  EXPECT_EQ(first->datoms.size(), kDatoms);
  EXPECT_EQ(first->datoms[0].e, 1u);
}

TEST_F(SegmentCacheTest, OversizedLeafIsReturnedButNotKept) {
  SegmentCache c(3 * kLeafBytes);
  Get(c, 1);
  Get(c, 2);
  auto big = c.GetOrLoad(9, []() -> Result<std::shared_ptr<const DecodedLeaf>> {
    return MakeLeaf(9, 4 * kDatoms);
  });
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)->datoms.size(), 4 * kDatoms);
  const SegmentCacheStats s = c.stats();
  EXPECT_EQ(s.entries, 2u);  // nothing was evicted for it
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.bytes, 2 * kLeafBytes);
}

TEST_F(SegmentCacheTest, LoadErrorsAreNotCached) {
  SegmentCache c(10 * kLeafBytes);
  int calls = 0;
  auto failing = [&]() -> Result<std::shared_ptr<const DecodedLeaf>> {
    ++calls;
    return Status::Corruption("segment 0000000000000001: checksum mismatch");
  };
  auto r = c.GetOrLoad(1, failing);
  EXPECT_TRUE(r.status().IsCorruption());
  r = c.GetOrLoad(1, failing);
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.stats().bytes, 0u);
  EXPECT_EQ(Get(c, 1)->datoms[0].e, 1u);  // a later good load is cached
  EXPECT_EQ(c.stats().entries, 1u);
}

TEST_F(SegmentCacheTest, Erase) {
  SegmentCache c(10 * kLeafBytes);
  Get(c, 1);
  Get(c, 2);
  c.Erase(1);
  c.Erase(77);  // absent: nothing happens
  EXPECT_EQ(c.stats().entries, 1u);
  EXPECT_EQ(c.stats().bytes, kLeafBytes);
  Get(c, 1);
  EXPECT_EQ(loads_, 3);
}

TEST_F(SegmentCacheTest, ConcurrentLoadsOfOneIdKeepOne) {
  SegmentCache c(10 * kLeafBytes);
  std::latch both_loading(2);
  std::shared_ptr<const DecodedLeaf> got[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto r = c.GetOrLoad(7, [&]() -> Result<std::shared_ptr<const DecodedLeaf>> {
        both_loading.arrive_and_wait();  // both threads miss before either inserts
        return MakeLeaf(7, kDatoms);
      });
      ASSERT_TRUE(r.ok());
      got[t] = *r;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(got[0], got[1]);
  EXPECT_EQ(c.stats().entries, 1u);
  EXPECT_EQ(c.stats().bytes, kLeafBytes);
  EXPECT_EQ(c.stats().misses, 2u);
}

TEST_F(SegmentCacheTest, ManyThreadsStayWithinCapacity) {
  SegmentCache c(8 * kLeafBytes);
  std::atomic<int> loads{0};
  std::atomic<bool> over{false}, wrong{false};
  constexpr int kOps = 3000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      for (int i = 0; i < kOps; ++i) {
        const uint64_t id = rng() % 24;
        auto r = c.GetOrLoad(id, [&]() -> Result<std::shared_ptr<const DecodedLeaf>> {
          loads.fetch_add(1);
          return MakeLeaf(id, kDatoms);
        });
        if (!r.ok() || (*r)->datoms.size() != kDatoms || (*r)->datoms[0].e != id || (*r)->id != id) {
          wrong = true;
        }
        if (i % 64 == 0) c.Erase(rng() % 24);
        const SegmentCacheStats s = c.stats();
        if (s.bytes > c.capacity() || s.entries > 8) over = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(wrong);
  EXPECT_FALSE(over);
  const SegmentCacheStats s = c.stats();
  EXPECT_EQ(s.hits + s.misses, 4u * kOps);
  EXPECT_EQ(s.misses, static_cast<uint64_t>(loads.load()));
  EXPECT_EQ(s.bytes, s.entries * kLeafBytes);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.evictions, 0u);
}

}  // namespace
}  // namespace strata
