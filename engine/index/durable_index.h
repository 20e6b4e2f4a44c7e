// durable_index.h — the durable index in memory: roots, levels, and the
// iterators that read them (internal).
//
// A root names, for each of the eight trees, its levels; a level is a
// sorted list of leaf SegmentRefs, stored in storage as directory segments
// chunked by content (a directory ends after a leaf whose id hashes to a
// boundary, at kMaxDirectoryRefs, or before a ref that would take it past
// kDirectoryTargetBytes of cost: format/segment.h), so a local change rewrites only the
// directories around it. Opening a database reads the root and every
// directory, so the shape of the index is always in memory; leaves are read
// on demand through the segment cache.
//
// Root format (docs/formats.md): "STRATROOT" | u32 version | strategy name
// | varint basis_t, generation, next_segment, next_t | zigzag last_instant
// | per tree: varint levels, per
// level: varint directories, each varint id | u64 xxh3 of all before.
//
// Thread safety: IndexRoot and Level are immutable once published and
// shared by database values; DurableContext is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "util/iterator.h"
#include "index/segment_cache.h"
#include "storage/storage.h"
#include "strata/cursor.h"
#include "strata/connection.h"
#include "strata/indexing.h"

namespace strata {

// 2: segments of format version 2 (keywords ordered by namespace, then
// name; new value types). A version 1 root is refused on open with a
// message naming both versions: its segments sort keywords as whole strings
// (docs/formats.md, "Versions").
constexpr uint32_t kRootVersion = 2;
constexpr size_t kMaxDirectoryRefs = 1024;

struct Level {
  std::vector<SegmentRef> segments;  // sorted, disjoint
  uint64_t datoms = 0, bytes = 0;
  std::vector<uint64_t> directories;     // directory segment ids, in order
  std::vector<uint32_t> directory_refs;  // how many refs each one lists
};

struct IndexRoot {
  std::string strategy;
  T basis_t = 0;            // every datom with t <= basis_t is in the index
  uint64_t generation = 0;  // jobs that produced this root
  uint64_t next_segment = 1;
  T next_t = 0;              // the database's t counter at basis_t
  int64_t last_instant = 0;  // :db/txInstant of basis_t
  std::array<std::vector<std::shared_ptr<const Level>>, kTreeCount> trees;

  IndexShape Shape() const;
  uint64_t datoms() const;
  size_t MaxLevels() const;
  // Every segment id the root reaches (leaves and directories).
  void CollectIds(std::vector<uint64_t>* out) const;
};

// Storage, the segment cache, and read counters shared by database values.
struct DurableContext {
  std::shared_ptr<Env> env;  // an Env the storage uses that no one else owns (a read-only open's)
  std::shared_ptr<Storage> storage;
  std::shared_ptr<SegmentCache> cache;
  bool sync = true;                         // fsync new segments before a root names them
  std::atomic<uint64_t> leaves_read{0};     // storage reads of leaves
  std::atomic<uint64_t> leaf_bytes_read{0};
  // Each leaf fetch from storage (a cache miss), timed: buckets of
  // LatencyHistogram::kBoundsMs (metrics; relaxed atomics, no lock).
  std::array<std::atomic<uint64_t>, LatencyHistogram::kBoundsMs.size() + 1> leaf_fetch_buckets{};
  std::atomic<uint64_t> leaf_fetch_ns{0};
  LatencyHistogram LeafFetches() const;
};

std::string SegmentKey(uint64_t id);  // "seg/<16 hex>"
bool ParseSegmentKey(const std::string& key, uint64_t* id);

std::string EncodeRoot(const IndexRoot& root);
// Decodes only a root's header (strategy, basis_t, generation, counters),
// checking its checksum; reads nothing from storage. The trees stay empty.
Result<IndexRoot> ReadRootHeader(std::string_view bytes);
// Decodes a root and reads its directories.
Result<std::shared_ptr<const IndexRoot>> LoadRoot(DurableContext& ctx, std::string_view bytes);

// The calling thread's read counters (strata/cursor.h ThreadReadCounters).
ReadCounters& ThisThreadReads();

// Reads a leaf through the cache; Corruption names the segment. Counts the
// read in ThisThreadReads (a cache hit, or a storage read).
Result<std::shared_ptr<const DecodedLeaf>> ReadLeaf(DurableContext& ctx, const SegmentRef& ref);

// An iterator over one level. Holds the level and the context alive.
std::unique_ptr<DatomIterator> NewLevelIterator(std::shared_ptr<DurableContext> ctx,
                                                std::shared_ptr<const Level> level, Index order);

// Appends iterators over every level of the tree(s) for a read. They
// borrow ctx and the root's levels (as MemIndex::AddSources borrows its
// runs): the caller keeps both alive, as a database value's state does,
// for as long as the iterators exist (no reference count per level per
// read). With `filter`, each yields only its value's datoms (ValueFilter).
void AddDurableSources(const std::shared_ptr<DurableContext>& ctx, const IndexRoot& root, Index order,
                       bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                       const ValueFilter* filter = nullptr);

// Appends to *out, in order, the datoms of one level of the current AVET
// tree with attribute a and value v (Value::operator==), for a unique-value
// lookup; hash is ValueKeyHash(a, v) (index/unique_value_filter.h). Only the leaves
// whose range holds (a v) are considered, and of those a leaf whose
// SegmentRef::filter says it holds no (a v) is skipped without touching the
// segment cache (counted in ThisThreadReads().filter_skips); a leaf without
// a filter is read and searched. An error names the leaf that failed.
Status AppendLevelAv(DurableContext& ctx, const Level& level, EntityId a, const Value& v, uint64_t hash,
                     std::vector<Datom>* out);

// Expected refs per directory, as a power of two, for leaves of
// `segment_datoms`: a directory costs about as much to rewrite as a few
// leaves, whatever the leaf size.
int DirectoryBits(uint64_t segment_datoms);

// Splits a level's refs into directories by content (see above), writes
// the directories that are new, and fills level->directories. Directories
// whose refs are unchanged from `previous` keep their ids.
Status WriteDirectories(Storage& storage, Index order, int bits, const Level* previous, Level* level,
                        uint64_t* next_id, uint64_t* segments_written, uint64_t* bytes_written);

}  // namespace strata
