// strata/database.h — database values and their reads.
//
// A Database is an immutable value: the state at one basis-t, seen through
// a view (current, as-of, since, history, filtered). No later write changes
// what a Database returns; reads never block the writer. Connections
// (strata/connection.h) hand them out.
//
// Thread safety: a Database may be shared between threads; a cursor or an
// Entity is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/attribute.h"
#include "strata/cursor.h"
#include "strata/edn.h"
#include "strata/indexing.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

class Database;
class DatomIterator;
struct ValueFilter;
class Entity;
struct DbState;
struct TxReport;

// A transaction function registered by name: `[:my/fn arg...]` in tx data
// calls it with the database before the transaction; it returns more tx
// data (a vector of operations), or an error that aborts the transaction.
using TxFunction = std::function<Result<edn::Node>(const Database& db_before, const std::vector<edn::Node>& args)>;

// Predicates named by :db.attr/preds (of an attribute) and :db.entity/preds
// (of an entity spec that tx data invokes with :db/ensure). Datomic names
// functions on the classpath; strata looks the names up in one registry
// per process, shared by every database, in which the clojure.core
// predicates on values are built in (pos?, nat-int?, string?, ... see
// tx/predicates.cc). An attribute predicate sees each value a transaction
// asserts for the attribute; an entity predicate sees the database after
// the transaction and the entity. The transactor calls them at the end of a
// transaction, which fails (nothing committed) when one returns false.
// They must be pure and thread-safe. Registering a name again replaces it.
using AttrPredicate = std::function<bool(const Value& v)>;
using EntityPredicate = std::function<bool(const Database& db_after, EntityId e)>;
void RegisterAttrPredicate(const std::string& name, AttrPredicate fn);
void RegisterEntityPredicate(const std::string& name, EntityPredicate fn);

// A predicate for Database::Filter: `db` is the unfiltered database.
using DatomFilter = std::function<bool(const Database& db, const Datom& d)>;

// The first datoms of one attribute in a view (its AEVT prefix, at most a
// limit), summarised for query planning (Database::SampleAttribute).
struct AttributeSample {
  struct ValueHash {
    size_t operator()(const Value& v) const { return v.Hash(); }
  };
  uint64_t datoms = 0;    // datoms read (at most the limit)
  bool complete = false;  // they are every datom of the attribute in the view
  uint64_t entities = 0;  // distinct entities among them
  std::unordered_map<Value, uint32_t, ValueHash> values;  // datoms per value among them
};

class Database {
 public:
  Database();  // an empty value; use Connection::db()

  // The t of the last transaction in this value.
  T basis_t() const;
  // The next t the transactor will hand out (for tools and tests).
  T next_t() const;

  // Views (SPEC §4); they compose.
  Database AsOf(T t) const;                 // t or a tx id
  Result<Database> AsOfInstant(int64_t ms) const;  // the last tx at or before ms (reads the index)
  Database Since(T t) const;                // t or a tx id
  Database History() const;
  Database Filter(DatomFilter pred) const;
  bool is_history() const { return history_; }
  std::optional<T> as_of_t() const { return as_of_; }
  std::optional<T> since_t() const { return since_; }
  // A speculative value with tx_data applied; nothing is committed.
  Result<TxReport> With(const edn::Node& tx_data) const;

  // Datoms of an index whose leading components equal `components` (in the
  // order's sequence: eavt = e a v tx ...). AVET requires an attribute that
  // is indexed or unique; VAET holds ref attributes only.
  Result<DatomCursor> Datoms(Index index, std::vector<Value> components = {}) const;
  // The datoms of Datoms(index, components) whose value is `value`
  // (Value::operator==: a long 1, a double 1.0 and a ref 1 differ): a scan
  // of an attribute for one value that AVET cannot seek (an attribute
  // without :db/index). Each source the read merges compares its own
  // datoms' values where it holds them (a memory run its records), so a
  // datom of another value is never built; in every view the result is
  // exactly those datoms of Datoms(index, components). The cursor cannot be
  // moved (Seek: InvalidArgument). Once `deadline` is past, a source that
  // is still passing leaves of other values fails the cursor with
  // Status::Aborted (a query's timeout reaches into its scans).
  Result<DatomCursor> DatomsWithValue(
      Index index, std::vector<Value> components, Value value,
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) const;
  // Every datom of the index from the first one >= components on.
  Result<DatomCursor> SeekDatoms(Index index, std::vector<Value> components = {}) const;
  // AVET datoms of `attr` with start <= v < end (either side open).
  Result<DatomCursor> IndexRange(EntityId attr, std::optional<Value> start, std::optional<Value> end) const;
  // A sample of attribute `a`: its first `limit` datoms in AEVT order in
  // this view. Computed once per database value and view (same state,
  // as-of, since and history; filtered views are sampled on every call) and
  // kept with the value, so repeated queries of one value read no datoms
  // for it. An error when the read failed (never cached).
  Result<std::shared_ptr<const AttributeSample>> SampleAttribute(EntityId a, uint64_t limit) const;
  // Convenience: collects a cursor into a vector.
  Result<std::vector<Datom>> DatomsVector(Index index, std::vector<Value> components = {}) const;

  // Resolves an entity identifier: an entity id, an ident keyword, or a
  // lookup ref [:unique/attr value], as of this value's as-of point (since,
  // history and filters do not change identity). NotFound when it names
  // nothing.
  Result<EntityId> Entid(const edn::Node& eid) const;
  // Converts EDN to a value of the attribute's type (refs resolve through
  // Entid). InvalidArgument names the attribute and the expected type.
  Result<Value> ToValue(const Attribute& attr, const edn::Node& v) const;
  // Turns EDN index components (attribute idents, lookup refs, values) into
  // values for Datoms().
  Result<std::vector<Value>> ResolveComponents(Index index, const std::vector<edn::Node>& components) const;

  // A lazy entity (SPEC §5): nothing is read until asked. `eid` is an id,
  // an ident or a lookup ref.
  Result<Entity> entity(const edn::Node& eid) const;

  const Attribute* attribute(EntityId a) const;
  const Attribute* attribute(const std::string& ident) const;
  const std::string* ident(EntityId e) const;
  // The values of attribute `a` of entity `e` in this view; an error when
  // the read failed (never a short list).
  Result<std::vector<Value>> Values(EntityId e, EntityId a) const;
  // The instant of transaction t (the value of its :db/txInstant), none when
  // t has no instant.
  Result<std::optional<int64_t>> TxInstant(T t) const;

  // EDN rendering of a value: refs to idents print as keywords when
  // `idents` is set; otherwise numbers.
  edn::Node ValueToEdn(const Value& v) const;
  edn::Node DatomToEdn(const Datom& d) const;  // [e :attr v tx added]

  // Memory-index figures of this value (datoms, bytes, runs).
  uint64_t memory_index_bytes() const;
  uint64_t memory_index_datoms() const;
  size_t memory_index_runs() const;
  // The durable index this value reads (strata/indexing.h): each tree's
  // levels and their segments; its basis_t is the root's (what came after
  // is in the memory index). For tools that show the index (the console).
  IndexShape durable_index_shape() const;

 private:
  friend struct DbAccess;
  explicit Database(std::shared_ptr<const DbState> s);
  // `start`, when given, is where the cursor is first positioned instead of
  // the prefix's first datom (IndexRange: one seek, not two).
  // `value`, when given, keeps only datoms of that value (DatomsWithValue).
  Result<DatomCursor> Open(Index index, std::vector<Value> components, bool bounded,
                           const std::optional<Value>& start = std::nullopt,
                           std::optional<Value> value = std::nullopt,
                           std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) const;
  std::unique_ptr<DatomIterator> RawIterator(Index index, size_t* sources, const std::vector<Value>* bound,
                                             const ValueFilter* filter = nullptr) const;

  std::shared_ptr<const DbState> state_;
  std::optional<T> as_of_, since_;
  bool history_ = false;
  std::shared_ptr<const std::vector<DatomFilter>> filters_;
};

// An entity of one database value, read lazily.
class Entity {
 public:
  Entity(Database db, EntityId id) : db_(std::move(db)), id_(id) {}
  EntityId id() const { return id_; }
  const Database& db() const { return db_; }
  // The values of an attribute ("ns/name"); "ns/_name" gives the entities
  // whose ref attribute ns/name points here. Empty when none.
  Result<std::vector<Value>> Get(const std::string& attr) const;
  // The idents of the attributes this entity has.
  Result<std::vector<std::string>> Keys() const;

 private:
  Database db_;
  EntityId id_;
};

struct TxReport {
  Database db_before;
  Database db_after;
  std::vector<Datom> tx_data;               // what the transaction recorded
  std::map<std::string, EntityId> tempids;  // "-1", "alice", "datomic.tx", ...
  T t = 0;
  EntityId tx = 0;
};

}  // namespace strata
