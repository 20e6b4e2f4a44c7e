// workloads/uniform.h — the `uniform` workload: a deterministic stream of
// transactions over one entity type with every value type.
//
// The schema (namespace :u) has a unique identity string id, a string name,
// a long count (:db/index), a double score, a boolean, an instant, a uuid, a
// keyword, a ref (:u/parent), a cardinality-many ref (:u/links) and a
// cardinality-many string tag (:u/tags). Each transaction then
//   - creates `entities_per_tx` entities (maps with string tempids), with
//     refs to earlier entities by lookup ref [:u/id "u-<n>"] (or to an
//     entity created earlier in the same transaction, by tempid);
//   - updates earlier entities (a cardinality-one replacement, recorded as
//     an implicit retraction plus the new assertion) or adds / retracts
//     their tags, each targeted entity touched by one operation only, so a
//     transaction never clashes with itself;
//   - retracts (:db/retractEntity) the "doomed" entities created by the
//     previous transaction. An entity is doomed when n % 97 == 13; doomed
//     entities are never referenced or updated, so no later operation names
//     a retracted entity.
//
// The generator streams: it remembers counters only (transactions produced,
// entities created, the range created by the previous transaction), never
// the data. Entity n has the id "u-<n>" (n counts from 0).
//
// Determinism: the same options produce the same transactions (edn::Print
// output) on every run and platform — the generator draws raw
// std::mt19937_64 outputs and never uses <random> distributions, whose
// results are implementation-defined.
//
// Thread safety: a UniformWorkload is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "strata/edn.h"
#include "workloads/workload.h"

namespace strata::workloads {

struct UniformOptions {
  uint64_t transactions = 1000;  // data transactions after the schema
  uint64_t seed = 1;             // seeds the generator
  int entities_per_tx = 4;       // new entities per transaction
  double update_ratio = 0.3;     // per new entity, odds of also touching an earlier one
  double tag_ratio = 0.3;        // share of those touches that add or retract a tag
  int64_t base_ms = 1700000000000;  // :u/created instants start here

  // One line, for logs and reports.
  std::string ToString() const;
};

class UniformWorkload {
 public:
  explicit UniformWorkload(UniformOptions options);

  // The schema transaction; transact it before the first Next().
  edn::Node Schema() const;
  // The next data transaction into *tx; false when all are produced.
  bool Next(edn::Node* tx);

  // Entity n's unique id, "u-<n>".
  static std::string IdOf(uint64_t n);
  // Entities created by the transactions produced so far.
  uint64_t created() const { return created_; }
  uint64_t produced() const { return produced_; }
  // True for entities that are retracted right after they are created.
  static bool Doomed(uint64_t n) { return n % 97 == 13; }

  const UniformOptions& options() const { return options_; }

 private:
  uint64_t Rand() { return rng_(); }
  bool Chance(double p) { return static_cast<double>(Rand() >> 11) * 0x1.0p-53 < p; }
  // A random earlier entity (< created_) that is not doomed; created_ > 0.
  uint64_t PickEarlier();
  edn::Node NewEntity(uint64_t n, uint64_t first_in_tx);
  edn::Node Touch(uint64_t n);
  edn::Node RandomValue(const std::string& attr, uint64_t n);

  UniformOptions options_;
  std::mt19937_64 rng_;
  uint64_t produced_ = 0;
  uint64_t created_ = 0;
  uint64_t prev_first_ = 0, prev_end_ = 0;  // entities created by the previous transaction
};

// The registry's "uniform": UniformWorkload behind the Workload interface.
// Scale 1 is kUniformTransactionsPerScale transactions (at least one).
// With read_ratio > 0, each transaction is followed on average by
// read_ratio reads, named
//   "entity-by-id"  every EAVT datom of a lookup ref [:u/id "u-<n>"];
//   "attr-range"    an AVET IndexRange over :u/count, 4 values wide;
//   "as-of-entity"  an entity's EAVT datoms as of a t between its creation
//                   and the basis of the database read;
// each about a third of the time, on entities already committed (never a
// doomed one), drawn from a generator seeded by the workload seed.
constexpr uint64_t kUniformTransactionsPerScale = 2000;
std::unique_ptr<Workload> NewUniformWorkload(const WorkloadOptions& options);

}  // namespace strata::workloads
