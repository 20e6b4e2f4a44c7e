// db_state.h — what a database value holds (internal).
//
// DbState is immutable: the writer builds a new one per commit, sharing
// everything unchanged (schema, memory-index runs) with the previous one.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "index/durable_index.h"
#include "index/excision.h"
#include "memindex/memindex.h"
#include "state/schema.h"
#include "strata/attribute.h"
#include "strata/database.h"
#include "strata/mutex.h"
#include "strata/indexing.h"

namespace strata {

struct DbState {
  T basis_t = 0;
  T next_t = kFirstUserT;     // the next t the transactor hands out
  int64_t last_instant = 0;   // :db/txInstant of basis_t
  std::shared_ptr<const Schema> schema;
  // The durable index (an empty root before the first job) and where its
  // segments live; null context for a database that was never opened.
  std::shared_ptr<DurableContext> durable;
  std::shared_ptr<const IndexRoot> root;
  // Novelty sealed for indexing jobs (oldest first), then the open novelty.
  struct Sealed {
    std::shared_ptr<const MemIndex> mem;
    T basis_t = 0;             // its last transaction
    T next_t = 0;              // the t counter after it
    int64_t last_instant = 0;  // the instant of basis_t
  };
  std::vector<Sealed> sealed;
  std::shared_ptr<const MemIndex> mem;
  // Excisions committed but not yet applied to the durable index: reads
  // hide their datoms until the next job removes them.
  std::vector<ExcisionSpec> pending_excisions;

  // Attribute samples taken of this state (Database::SampleAttribute), per
  // view: derived data, not part of the value. A copy of the state (the
  // writer's next value) starts empty.
  struct SampleCache {
    // (attribute, limit, as-of, since, history)
    using Key = std::tuple<EntityId, uint64_t, std::optional<T>, std::optional<T>, bool>;
    SampleCache() = default;
    SampleCache(const SampleCache&) {}
    SampleCache& operator=(const SampleCache&) = delete;
    Mutex mu;
    std::map<Key, std::shared_ptr<const AttributeSample>> entries GUARDED_BY(mu);
  };
  mutable SampleCache samples;

  // Finished cursors of this state's current view, one per order, that the
  // next Database::Datoms of the same order takes and moves to its prefix
  // instead of building an iterator per source again (db/database.cc puts
  // and takes them; a point read opens two cursors, and building and
  // freeing their iterators was a fifth of it). Each slot owns what it
  // holds; exchanging it hands a cursor to one thread at a time. Declared
  // last, so it is destroyed first: the cursors borrow the runs and levels
  // above. A copy of the state starts empty.
  struct ReusableRead {
    virtual ~ReusableRead() = default;
  };
  struct CursorSlots {
    CursorSlots() = default;
    CursorSlots(const CursorSlots&) {}
    CursorSlots& operator=(const CursorSlots&) = delete;
    ~CursorSlots() {
      for (auto& s : slots) delete s.load(std::memory_order_acquire);
    }
    std::atomic<ReusableRead*> slots[kIndexCount] = {};
  };
  mutable CursorSlots cursor_slots;

  // Every sorted source a read of `order` merges, newest last; with
  // `filter`, each yields only its value's datoms (util/iterator.h).
  void AddSources(Index order, bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                  const ValueFilter* filter = nullptr) const;
  // The durable index's part of those (pending excisions filtered out).
  void AddIndexSources(Index order, bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                       const ValueFilter* filter = nullptr) const;
  uint64_t NoveltyBytes() const;

  bool IsRef(EntityId a) const {
    const Attribute* at = schema->Attr(a);
    return at && at->is_ref();
  }
  bool NoHistory(EntityId a) const {
    const Attribute* at = schema->Attr(a);
    return at && at->no_history;
  }

  // Current-state point reads used by the transactor (ignore views). Each
  // is an error when a read failed: never an empty or short answer.
  Result<std::vector<Value>> CurrentValues(EntityId e, EntityId a) const;
  // The entity holding (a v) now, if any (any attribute, via AVET).
  Result<std::optional<EntityId>> EntityWith(EntityId a, const Value& v) const;
  // An iterator over the current view in the given order (not positioned;
  // its status must be taken, see util/iterator.h).
  std::unique_ptr<DatomIterator> CurrentOf(Index order) const;
};

// Point reads of a state's current view that reuse one merged iterator per
// order across calls: the transactor makes thousands of them per large
// transaction, and building the iterator stack is most of a lookup's cost.
// Every read returns an error when a source failed (a segment that cannot
// be read or fails its checksum), never an empty answer: the transactor
// decides uniqueness, upserts and implicit retractions from these, and a
// read treated as empty would commit a wrong transaction. A failed source
// stays failed, so every later read of that order fails too (EntityWith
// reads the durable index's levels afresh each call: every lookup that
// reaches a failing leaf fails).
// Used by one thread; `state` must outlive it.
class CurrentReader {
 public:
  explicit CurrentReader(const DbState& state) : s_(state) {}
  Result<std::vector<Value>> Values(EntityId e, EntityId a);
  Result<bool> IsCurrent(EntityId e, EntityId a, const Value& v);
  Result<std::optional<EntityId>> EntityWith(EntityId a, const Value& v);
  // EntityWith, remembering each (a v) it answered: for lookup refs, which
  // a transaction often repeats (every release naming its artist).
  Result<std::optional<EntityId>> EntityWithRemembered(EntityId a, const Value& v);
  // Every current datom with entity e (EAVT), or with value e (VAET).
  Result<std::vector<Datom>> ByEntity(EntityId e);
  Result<std::vector<Datom>> RefsTo(EntityId e);

 private:
  DatomIterator* It(Index order);
  const DbState& s_;
  std::unique_ptr<DatomIterator> its_[kIndexCount];
  std::vector<Datom> av_;  // EntityWith's datoms of one (a v)
  struct AvHash {
    size_t operator()(const std::pair<EntityId, Value>& k) const;
  };
  std::unordered_map<std::pair<EntityId, Value>, std::optional<EntityId>, AvHash> remembered_;
};

// The state of a database holding only the bootstrap transaction.
std::shared_ptr<const DbState> BootstrapState();

// Rebuilds the schema from the datoms a state holds (after opening a
// durable index): every :db/ident ever asserted in t order, so retired
// names resolve as they did, then the current attribute definitions.
Result<std::shared_ptr<const Schema>> LoadSchema(const DbState& s);

// A new state with one transaction's datoms applied (schema effects,
// t counter, instant, memory index). Used by commit, with() and replay.
std::shared_ptr<const DbState> ApplyDatoms(const DbState& before, T t, const std::vector<Datom>& datoms,
                                           std::shared_ptr<const Schema> schema_after);

// The excisions requested by the :db/excise datoms of transaction t (an
// error when reading the instants of :db/excise/before failed).
Result<std::vector<ExcisionSpec>> ExcisionSpecs(const DbState& state, T t, const std::vector<Datom>& tx_datoms);
// A new state without the excised datoms; *removed counts them.
std::shared_ptr<const DbState> ApplyExcisions(std::shared_ptr<const DbState> state,
                                              const std::vector<ExcisionSpec>& specs, uint64_t* removed);
// True when the transaction's datoms request an excision.
bool HasExcision(const std::vector<Datom>& tx_datoms);

}  // namespace strata
