// unique_value_filter.h — an in-memory filter over the (attribute, value) keys of
// one AVET leaf, for unique-value lookups that find nothing (internal).
//
// The transactor looks up every :db.unique value a transaction asserts
// (upserts, uniqueness checks, lookup refs). During an import almost every
// such value is new, and a lookup seeked every durable AVET level for it: a
// directory search, a segment-cache lookup and a leaf search per level, a
// storage read and decode on a miss. A UniqueValueFilter lets a lookup skip a
// leaf that holds no datom of (a v) without touching the cache, as
// LevelDB's and RocksDB's per-table filters do for point reads.
//
// It is a blocked Bloom filter (RocksDB's "fast local" layout): each key
// sets kProbes bits inside one 512-bit block chosen by its hash, so a probe
// reads one cache line. kBitsPerKey = 10 and kProbes = 6 give about 1%
// false positives. It covers only the datoms of the attributes it lists
// (those unique when the leaf was written): a lookup of another attribute
// gets "may contain", so an attribute made unique later, or a leaf loaded
// from storage (which has no filter), is searched as before. There are no
// false negatives: every datom of a covered attribute is added, whatever
// its entity, tx or added flag.
//
// Made by the indexing job when it writes a leaf of the current AVET tree,
// carried on the leaf's SegmentRef to every later root that keeps the
// leaf, never stored: the on-disk format is unchanged.
//
// Thread safety: immutable once built; shared by roots on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "strata/value.h"

namespace strata {

// The hash a filter keys on. Equal values (Value::operator==: type and
// payload bit for bit, so -0.0 and 0.0, or two NaNs of different bits,
// are different values, as everywhere else in the index) hash equal.
uint64_t ValueKeyHash(EntityId a, const Value& v);

class UniqueValueFilter {
 public:
  static constexpr int kBitsPerKey = 10;
  static constexpr int kProbes = 6;

  // A filter over `avet` (a leaf's datoms in AVET order) covering the
  // attributes for which covered(a) is true; null when the leaf holds no
  // datom of a covered attribute. covered is called once per attribute run.
  static std::shared_ptr<const UniqueValueFilter> Build(std::span<const Datom> avet,
                                                  const std::function<bool(EntityId)>& covered);

  // Whether the filter speaks for attribute a (its leaf's datoms of a were
  // all added).
  bool Covers(EntityId a) const;
  // False only if the leaf holds no datom (a v): a is covered and the
  // hash's bits are not all set. hash is ValueKeyHash(a, v).
  bool MayContain(EntityId a, uint64_t hash) const { return !Covers(a) || MayContainHash(hash); }
  // The bit test alone (for a covered attribute).
  bool MayContainHash(uint64_t hash) const;

  uint64_t keys() const { return keys_; }
  // Heap bytes the filter holds (its blocks and attribute list) and itself.
  size_t MemoryBytes() const;

 private:
  UniqueValueFilter() = default;
  static constexpr int kBlockWords = 8;  // 512 bits: one cache line
  std::vector<EntityId> attrs_;          // covered attributes present, ascending
  std::vector<uint64_t> words_;          // blocks_ * kBlockWords
  uint32_t blocks_ = 0;
  uint64_t keys_ = 0;
};

}  // namespace strata
