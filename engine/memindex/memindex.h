// memindex.h — the memory index of novelty, log-structured (internal).
//
// Each commit adds its datoms as one small immutable Run, sorted in every
// order (the datoms are stored once, as fixed-width Records in EAVT order;
// the other orders are permutations of 32-bit positions: 60 bytes a datom
// with a number or a text of up to 15 bytes; AEVT is built on first read). Runs are merged as they accumulate
// (a tiered policy: the newest four runs merge in one pass once they are
// about one size, so a datom is copied ~log4(novelty / transaction) times),
// a read merges at most ~3·log4(novelty) runs, and no datom is ever
// inserted into a tree node.
//
// Current and historical datoms are kept apart. "Current" runs hold live
// assertions and the retractions whose assertion lives in an older source;
// when a merge brings an assertion and its retraction together, the pair
// moves to the "history" runs (or is dropped for a :db/noHistory
// attribute). A current read merges only current runs; history and as-of
// reads merge both.
//
// Thread safety: a MemIndex is immutable; Add returns a new one sharing the
// unchanged runs. Database values hold shared_ptr<const MemIndex>.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "util/iterator.h"
#include "strata/value.h"

namespace strata {

class Schema;

// One datom of a run, fixed width (48 bytes; a Datom is 88). The value's
// payload is its number fields (as_long(), uuid().lo); or its text inline
// when it is at most 15 bytes (what std::string holds without allocating,
// so turning a record back into a Datom allocates nothing); or a pointer to
// an immutable, reference-counted copy of a longer text (a LongText), which
// every run the datom is merged into shares instead of copying it.
struct Record {
  static constexpr uint8_t kLongText = 0xff;  // len: the text is a LongText
  static constexpr size_t kInlineMax = 15;
  static constexpr size_t kLongTextHeader = 8;  // a LongText's bytes before its text
  EntityId e = 0;
  EntityId a = 0;
  EntityId tx = 0;
  // Number values: {as_long(), uuid().lo}. Text values: the bytes, zero
  // padded; or {address of a LongText's bytes, their size}.
  uint64_t p[2] = {0, 0};
  ValueType type = ValueType::kNil;
  bool added = true;
  uint8_t len = 0;  // text bytes inline, or kLongText
};
static_assert(sizeof(Record) == 48);

struct Run {
  std::vector<Record> recs;            // EAVT order
  // AVET and VAET positions (VAET: ref values only), built with the run:
  // unique-value lookups read AVET, and merges merge both. AEVT is built by
  // Perm on first use (see below).
  std::vector<uint32_t> avet, vaet;
  // For unique-value lookups: each attribute's span of AVET positions, and
  // a hash of the (a v) groups of the attributes unique when the run was
  // built (open addressing, each slot 0 (empty) or 1 + the AVET position of
  // a group's first datom, with the top bits of the group's hash above it).
  // Built for runs of kAvIndexMinDatoms or more (a binary search over a
  // small run is as fast); empty otherwise.
  struct AttrSpan {
    EntityId a;
    uint32_t first, end;  // AVET positions [first, end)
    bool hashed;          // its groups are in av_slots
  };
  std::vector<AttrSpan> av_attrs;  // ascending by a
  std::vector<uint32_t> av_slots;
  // Memory held, exactly: sizeof(Run), a Record and three permutation slots
  // per datom, each LongText the run refers to (its header and bytes; each
  // belongs to one datom, so no two runs of one index count it twice), and
  // the lookup hash.
  uint64_t bytes = 0;
  uint64_t long_texts = 0;             // records with len == kLongText
  T min_t = 0, max_t = 0;

  Run() = default;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run();  // releases the LongTexts

  size_t size() const { return recs.size(); }
  // The positions of recs in order o (not EAVT, the records' own order).
  // AEVT is built from recs the first time it is asked for, by any thread,
  // in one pass (EAVT bucketed by attribute): during an import nothing reads
  // it from a run that is merged again (the transactor reads EAVT, AVET and
  // VAET), so a run merged ~log4 times before a job collects it merged its
  // AEVT ~log4 times for nothing. (VAET stays eager: built from AVET it is
  // a sort by value, which costs more than the merges it would save.)
  const std::vector<uint32_t>& Perm(Index o) const;
  // Builds a run from datoms in any order (fastest in EAVT order).
  // `is_ref(a)` says which attributes go to VAET.
  static std::shared_ptr<const Run> Build(const std::vector<Datom>& datoms, const std::function<bool(EntityId)>& is_ref,
                                          const std::function<bool(EntityId)>& is_unique = {});
  // With `filter`, the iterator yields only its value's datoms (ValueFilter).
  std::unique_ptr<DatomIterator> NewIterator(Index order, const ValueFilter* filter = nullptr) const;
  // Appends the run's datoms with attribute a and value v, in AVET order.
  void AppendWithAv(EntityId a, const Value& v, std::vector<Datom>* out) const;
  // The same with the lookup's hash of (a v) computed by the caller (the
  // memory index asks every run with one hash).
  void AppendWithAv(EntityId a, const Value& v, size_t hash, std::vector<Datom>* out) const;
  // Builds av_attrs and av_slots (and counts them in bytes) when the run is
  // large enough; `is_unique(a)` says which attributes to hash (may be empty).
  void BuildAvIndex(const std::function<bool(EntityId)>& is_unique);

 private:
  mutable std::vector<uint32_t> aevt_;  // once aevt_once_ is set
  mutable std::once_flag aevt_once_;
};
// The datom a record holds, written into *d (reusing its value's string).
void DecodeRecord(const Record& r, Datom* d);
// Bytes held by every LongText alive in the process (headers and texts):
// what shows that merges share long texts instead of copying them.
uint64_t LongTextBytesAlive();
constexpr size_t kAvIndexMinDatoms = 2048;

struct MemIndexStats {
  uint64_t datoms = 0;
  uint64_t bytes = 0;
  uint64_t current_runs = 0;
  uint64_t history_runs = 0;
  uint64_t merges = 0;          // run merges performed so far
  uint64_t datoms_merged = 0;   // datoms copied by those merges
};

class MemIndex {
 public:
  MemIndex() = default;

  // A new index with `datoms` (one transaction's) added and runs merged per
  // the policy. `no_history(a)` says which attributes drop cancelled pairs;
  // `is_ref(a)` which go to VAET; `is_unique(a)` which to hash for
  // AppendCurrentWithAv (optional: lookups of others binary-search).
  std::shared_ptr<const MemIndex> Add(const std::vector<Datom>& datoms, const std::function<bool(EntityId)>& is_ref,
                                      const std::function<bool(EntityId)>& no_history,
                                      const std::function<bool(EntityId)>& is_unique = {}) const;
  // A new index without the datoms for which drop(d) is true (excision).
  std::shared_ptr<const MemIndex> Without(const std::function<bool(const Datom&)>& drop,
                                          const std::function<bool(EntityId)>& is_ref) const;

  // Children for a merged read: current runs, plus history runs if asked;
  // with `filter`, each yields only its value's datoms (ValueFilter).
  void AddSources(Index order, bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                  const ValueFilter* filter = nullptr) const;
  // Appends every datom of the current runs with attribute a and value v:
  // the memory index's part of a unique-value lookup (upserts, lookup refs,
  // uniqueness checks), through each large run's hash instead of a seek in
  // every run. Sorted within each run only.
  void AppendCurrentWithAv(EntityId a, const Value& v, std::vector<Datom>* out) const;
  // Every datom of the current (or history) runs, sorted in `order`; the
  // vector has room for `spare` more (an indexing job merges a segment
  // into the novelty's end in place).
  std::vector<Datom> Collect(Index order, bool history, size_t spare = 0) const;
  // How many datoms Collect(order, history) would return, without copying.
  uint64_t Count(Index order, bool history) const;
  size_t SourceCount(bool with_history) const {
    return current_.size() + (with_history ? history_.size() : 0);
  }

  const MemIndexStats& stats() const { return stats_; }

 private:
  std::vector<std::shared_ptr<const Run>> current_;  // oldest first
  std::vector<std::shared_ptr<const Run>> history_;  // oldest first
  MemIndexStats stats_;
};

}  // namespace strata
