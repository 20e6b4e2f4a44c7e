// strata/indexing.h — the durable index's shape, merge strategies, and
// indexing-job metrics (SPEC §6).
//
// The durable index is eight trees: the four sort orders, each split into
// a "current" tree (live assertions, and retractions whose assertion lies
// deeper) and a "history" tree (assertion/retraction pairs that met, so
// current reads never touch them). Each tree is a list of levels; a level
// is a sorted list of immutable leaf segments with disjoint key ranges.
// Level 0 is the newest: for a given (e a v), a shallower level never holds
// older datoms than a deeper one.
//
// A MergeStrategy is a planner without I/O (STYLE habit 7): from the
// immutable shape of the durable index and the size of the novelty it
// returns a MergePlan; the indexing job executes plans. Strategies live in
// indexing/, listed by name in one table (indexing/registry.cc); a database
// records the name of the strategy that wrote its root and may switch
// between jobs, because every plan works on every shape. Strategies must be
// indistinguishable to readers: they decide only which segments are
// rewritten.
//
// The engine knows no concrete strategy and none of their knobs: it names a
// strategy, passes that strategy's settings through as opaque text
// ("key=value,..."), and gives every plan the same strategy-neutral facts
// (StrategyOptions). The registry functions at the end of this header are
// declared here and defined in indexing/registry.cc, in the library
// strata_indexing that strata_engine links: a link-time seam (like LevelDB's
// Env::Default()) rather than an Options field, so no caller has to supply
// a registry and a program cannot link the engine without its strategies.
//
// Thread safety: shapes and plans are values; strategies are stateless and
// may be shared.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"
#include "strata/value.h"

namespace strata {

constexpr int kTreeCount = 8;
// Tree number: kind * 4 + order. Stable: written in roots.
enum class TreeKind : uint8_t { kCurrent = 0, kHistory = 1 };
constexpr int TreeNumber(TreeKind k, Index o) { return static_cast<int>(k) * 4 + static_cast<int>(o); }
constexpr TreeKind TreeKindOf(int tree) { return static_cast<TreeKind>(tree / 4); }
constexpr Index TreeOrder(int tree) { return static_cast<Index>(tree % 4); }
std::string TreeName(int tree);  // "eavt/current"

class UniqueValueFilter;  // engine internal (index/unique_value_filter.h)

// Where a leaf lives and what it covers (first and last datom, in order).
struct SegmentRef {
  uint64_t id = 0;
  uint64_t count = 0;  // datoms
  uint64_t bytes = 0;  // encoded size
  Datom first, last;
  // In memory only, never stored: for a leaf of the current AVET tree that
  // this process's indexing job wrote, a filter of its unique attributes'
  // (a v) keys; null otherwise (a leaf read from a stored directory).
  std::shared_ptr<const UniqueValueFilter> filter;
  // The leaf, not how this process knows it: the filter is not compared.
  bool operator==(const SegmentRef& o) const {
    return id == o.id && count == o.count && bytes == o.bytes && first == o.first && last == o.last;
  }
};

struct LevelShape {
  std::vector<SegmentRef> segments;  // sorted, disjoint
  uint64_t datoms = 0, bytes = 0;
};

struct IndexShape {
  T basis_t = 0;
  std::array<std::vector<LevelShape>, kTreeCount> trees;  // [tree][level]
};

struct NoveltyShape {
  std::array<uint64_t, kTreeCount> datoms{};  // novelty per tree
  uint64_t bytes = 0;                         // memory-index bytes
};

struct MergeStep {
  enum class Kind : uint8_t {
    kNovelty,  // merge the tree's novelty into `to_level`
    kCompact,  // move segments [first, first+count) of `from_level` into `to_level`
    kRebuild,  // merge every level and the novelty into one new level 0
  };
  Kind kind = Kind::kNovelty;
  int from_level = -1;
  size_t first = 0, count = 0;
  int to_level = 0;          // may equal the number of levels: a new deepest level
  bool rewrite_all = false;  // rewrite every segment of to_level, not only those the input touches
  // count == kAllSegments: a kCompact takes every segment from `first` to the
  // end of the level as it is when the step runs (none: the step does
  // nothing). A planner cannot know how many segments an earlier step of the
  // same job writes, so this is how it moves a level it merged into.
  static constexpr size_t kAllSegments = static_cast<size_t>(-1);
  // Input that falls wholly between two segments of to_level (or before the
  // first, after the last), sharing no (e a v) with them, becomes segments
  // of its own instead of being merged into a neighbour: an append into the
  // middle of a level rewrites nothing. Only runs of at least a quarter
  // segment, so a level does not fill with tiny segments. What such a step
  // writes in AEVT and AVET is also cut where the attribute changes, so an
  // attribute's appends find a boundary after its last datom.
  bool gaps = false;
  std::string ToString() const;
};

struct MergePlan {
  // Steps per tree, executed in order. Indices in a step refer to the
  // levels as they are when that step runs.
  std::array<std::vector<MergeStep>, kTreeCount> trees;
  std::string ToString() const;  // one line per tree, for golden tests
};

// What one novelty datom with a short value costs the memory index
// (engine/memindex: a 48-byte record and three 4-byte order slots), so a
// job's novelty is about memory_index_threshold / this many datoms.
// Strategies that size a level in jobs of novelty divide by it.
constexpr uint64_t kMemIndexBytesPerDatom = 60;

// Strategy-neutral facts about the connection, the same for every strategy
// (a strategy's own knobs are its settings, parsed when it is made).
struct StrategyOptions {
  uint64_t segment_datoms = 4096;               // target datoms per leaf segment
  uint64_t memory_index_threshold = 32u << 20;  // novelty per job, bytes (Options)
  uint32_t max_levels = 7;                      // most levels per tree; the deepest has no limit
};

class MergeStrategy {
 public:
  virtual ~MergeStrategy() = default;
  virtual std::string name() const = 0;
  // Pure: the same inputs give the same plan.
  virtual MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions& opts) const = 0;
};

// The strategy registry (defined in indexing/registry.cc).
//
// Makes the strategy `name` with its settings, "key=value,..." (empty: its
// defaults). InvalidArgument for an unknown name (listing the known ones),
// or an unknown key or bad value (naming the strategy and the key).
Result<std::unique_ptr<MergeStrategy>> MakeStrategy(const std::string& name, std::string_view settings = {});
std::vector<std::string> StrategyNames();  // every registered strategy, sorted
std::string DefaultStrategyName();         // what a new database uses unless told

// What one indexing job did (SPEC §6). Counters are exact; times are not.
struct JobMetrics {
  uint64_t job = 0;            // sequence number in this database
  std::string strategy;
  T basis_t = 0;               // the last t the job indexed
  uint64_t db_datoms = 0;      // datoms in the durable index after the job
  uint64_t novelty_datoms = 0;
  uint64_t novelty_bytes = 0;  // encoded size of the novelty (write-amplification base)
  uint64_t segments_read = 0, segments_written = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  uint64_t directory_bytes_written = 0;  // part of bytes_written spent on directories
  uint64_t datoms_rewritten = 0;  // datoms written that were already durable
  uint64_t datoms_written = 0;
  uint64_t segments_moved = 0;    // moved between levels without rewriting
  uint64_t levels_max = 0;        // deepest tree after the job
  uint64_t max_read_sources = 0;  // most durable sources a read of one tree merges
  double wall_ms = 0, cpu_ms = 0;  // cpu_ms: summed over the job's threads (Options::index_job_threads)
  // What storage charged during the job (StorageStats before and after):
  // requests and the time spent waiting on them. Storage bytes put equal
  // bytes_written. Readers fetching segments meanwhile count too.
  uint64_t storage_round_trips = 0;
  double storage_wait_ms = 0;
  uint64_t peak_memory_bytes = 0;  // largest working set the job held (orders run on several threads: their sum)
  // The in-memory filters of unique values on the new root's current AVET
  // leaves (SegmentRef::filter): the keys they hold and their bytes.
  uint64_t value_filter_keys = 0, value_filter_bytes = 0;
  std::string plan;                // MergePlan::ToString()
};

}  // namespace strata
