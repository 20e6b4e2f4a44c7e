// strata/database.h — connections, database values, and transactions.
//
// A Connection owns one database (a folder holding the log and, later, the
// durable index) and is its single writer. A Database is an immutable
// value: the state at one basis-t, seen through a view (current, as-of,
// since, history, filtered). No later write changes what a Database
// returns; reads never block the writer.
//
// Thread safety: Connection methods may be called from any thread;
// transactions are serialized (group commit). Database values and cursors
// are immutable/owned: a Database may be shared between threads, a cursor
// is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/edn.h"
#include "strata/env.h"
#include "strata/indexing.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

class Database;
class DatomIterator;
struct DbState;

// ---- schema ---------------------------------------------------------------

enum class Unique : uint8_t { kNone, kValue, kIdentity };

// One attribute's definition, derived from its schema datoms.
struct Attribute {
  EntityId id = 0;
  std::string ident;  // "ns/name", no colon
  ValueType type = ValueType::kNil;
  bool many = false;
  Unique unique = Unique::kNone;
  bool indexed = false;
  bool component = false;
  bool no_history = false;
  bool has_cardinality = false;  // :db/cardinality asserted

  // Complete enough to be used in datoms: has a value type and cardinality.
  bool installed() const { return type != ValueType::kNil && has_cardinality; }
  bool is_ref() const { return type == ValueType::kRef; }
  // AVET exposes this attribute (SPEC §5).
  bool in_avet() const { return indexed || unique != Unique::kNone; }
};

// ---- options --------------------------------------------------------------

enum class SyncPolicy : uint8_t {
  kAlways,  // a commit is acknowledged after its log record is fsynced
  kBatch,   // fsync at most every batch_sync_interval_ms; a crash may lose
            // the acknowledged commits of that last interval
  kNever,   // never fsync the log or new index segments (the OS decides);
            // for throw-away loads and benchmarks
};
const char* SyncPolicyName(SyncPolicy p);
bool ParseSyncPolicy(std::string_view s, SyncPolicy* out);

struct Options {
  Env* env = nullptr;                          // null: Env::Default()
  SyncPolicy sync = SyncPolicy::kAlways;       // durability of commits
  uint32_t batch_sync_interval_ms = 10;        // kBatch: longest unsynced span
  bool create_if_missing = true;               // create the folder and log
  bool recover_corrupt_log_tail = false;       // drop a corrupt log tail instead of failing
  uint64_t memory_index_threshold = 32u << 20; // seal the novelty for an indexing job past this
  uint64_t memory_index_max = 512u << 20;      // transactions wait past this
  bool background_indexing = true;             // run indexing jobs on a background thread
  std::string strategy;                        // merge strategy; empty: the root's, else "adaptive"
  uint32_t segment_datoms = 4096;              // target datoms per leaf segment
  uint64_t level0_datoms = 0;                  // adaptive level-0 target; 0: 4 jobs' worth
  uint32_t level_ratio = 10;                   // adaptive: each level this many times the previous
  uint64_t segment_cache_bytes = 256u << 20;   // decoded leaves kept in memory
  size_t subscriber_capacity = 0;              // tx-report queue bound; 0 = unbounded
  uint32_t segment_retain_ms = 0;              // keep a superseded root's segments this long
                                               // (peers reading it from storage); 0: until
                                               // no database value here holds the root
  std::function<int64_t()> clock;              // ms since epoch for :db/txInstant; null: system clock

  // One line, for logs and results files.
  std::string ToString() const;
};

// ---- transactions ---------------------------------------------------------

struct TxReport;

// A transaction function registered by name: `[:my/fn arg...]` in tx data
// calls it with the database before the transaction; it returns more tx
// data (a vector of operations), or an error that aborts the transaction.
using TxFunction = std::function<Result<edn::Node>(const Database& db_before, const std::vector<edn::Node>& args)>;

// A predicate for Database::Filter: `db` is the unfiltered database.
using DatomFilter = std::function<bool(const Database& db, const Datom& d)>;

// ---- reads ----------------------------------------------------------------

// A forward cursor over datoms. Holds the database value it reads alive.
class DatomCursor {
 public:
  DatomCursor();
  DatomCursor(DatomCursor&&) noexcept;
  DatomCursor& operator=(DatomCursor&&) noexcept;
  ~DatomCursor();

  // False at the end, or when a source failed: check status() after the
  // loop, so a corrupt segment ends a read with an error, never silently.
  bool Valid() const;
  const Datom& datom() const;  // requires Valid()
  void Next();
  Status status() const;
  // How many sorted sources this read merges (memory runs, segments).
  size_t sources_merged() const { return sources_; }

 private:
  friend class Database;
  std::shared_ptr<const DbState> hold_;
  std::unique_ptr<DatomIterator> it_;
  std::vector<Value> prefix_;
  int order_ = 0;
  bool bounded_ = true;  // stop when the prefix no longer matches
  std::optional<Value> end_;  // index_range: stop at v >= end
  size_t sources_ = 0;
};

class Entity;

class Database {
 public:
  Database();  // an empty value; use Connection::db()

  // The t of the last transaction in this value.
  T basis_t() const;
  // The next t the transactor will hand out (for tools and tests).
  T next_t() const;

  // Views (SPEC §4); they compose.
  Database AsOf(T t) const;                 // t or a tx id
  Database AsOfInstant(int64_t ms) const;   // the last tx at or before ms
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
  // Every datom of the index from the first one >= components on.
  Result<DatomCursor> SeekDatoms(Index index, std::vector<Value> components = {}) const;
  // AVET datoms of `attr` with start <= v < end (either side open).
  Result<DatomCursor> IndexRange(EntityId attr, std::optional<Value> start, std::optional<Value> end) const;
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
  // The values of attribute `a` of entity `e` in this view.
  std::vector<Value> Values(EntityId e, EntityId a) const;
  // The instant of transaction t (the value of its :db/txInstant).
  std::optional<int64_t> TxInstant(T t) const;

  // EDN rendering of a value: refs to idents print as keywords when
  // `idents` is set; otherwise numbers.
  edn::Node ValueToEdn(const Value& v) const;
  edn::Node DatomToEdn(const Datom& d) const;  // [e :attr v tx added]

  // Memory-index figures of this value (datoms, bytes, runs).
  uint64_t memory_index_bytes() const;
  uint64_t memory_index_datoms() const;
  size_t memory_index_runs() const;

 private:
  friend struct DbAccess;
  explicit Database(std::shared_ptr<const DbState> s);
  Result<DatomCursor> Open(Index index, std::vector<Value> components, bool bounded) const;
  std::unique_ptr<DatomIterator> RawIterator(Index index, size_t* sources) const;

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
  std::vector<std::string> Keys() const;

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

// A subscriber's queue of committed transactions (SPEC §5). Every commit is
// delivered once, in commit order. With Options::subscriber_capacity > 0, a
// subscriber that falls that many reports behind is closed with an error
// (status() says so) rather than silently skipping any: it resubscribes and
// reads what it missed from Connection::TxRange.
class TxReportQueue {
 public:
  virtual ~TxReportQueue() = default;
  // Waits up to timeout_ms (-1: forever) for the next report; false when
  // none came, or the queue is closed and drained.
  virtual bool Pop(TxReport* out, int timeout_ms = -1) = 0;
  virtual size_t size() const = 0;
  virtual Status status() const = 0;  // OK, or why the queue was closed
};

struct ConnectionStats {
  uint64_t transactions = 0;        // committed since open
  uint64_t datoms = 0;              // datoms committed since open
  uint64_t rejected = 0;            // transactions refused since open
  uint64_t log_bytes = 0;           // size of the log file
  uint64_t syncs = 0;               // fsyncs of the log
  uint64_t group_commits = 0;       // groups written (one sync each at most)
  uint64_t recovered_transactions = 0;  // replayed from the log on open
  bool recovered_torn_tail = false;     // a torn/corrupt tail was dropped on open
  uint64_t jobs = 0;                    // indexing jobs completed since open
  uint64_t job_failures = 0;            // failed attempts (retried)
  uint64_t segments_collected = 0;      // unreachable segments deleted
  double backpressure_wait_ms = 0;      // time transactions waited at memory_index_max
  uint64_t sealed_novelty = 0;          // novelty generations waiting for a job now
};

// ---- locations ------------------------------------------------------------
//
// A database lives at a location: a folder ("/data/db", "file:/data/db"),
// or a PostgreSQL URI naming the server, its database and the strata
// database inside it ("postgres://user@host:5432/pgdb?strata_db=music"; many
// strata databases share one PostgreSQL database).

// `location` with its strata_db parameter set to `name` (PostgreSQL); for a
// folder, the folder `name` beside it.
std::string WithStrataDb(const std::string& location, const std::string& name);
// `location` fit for logs and output: a PostgreSQL URI without its password
// (as the backend itself names it); a folder as is.
std::string RedactLocation(const std::string& location);
// Deletes the database at `location` (every blob, root and log record);
// OK when there is none. Nothing may have it open.
Status DestroyDatabase(const std::string& location, Env* env = nullptr);

class Connection {
 public:
  // Opens (or creates, per options) the database at a location: a folder
  // (the embedded default) or a PostgreSQL URI.
  static Result<std::unique_ptr<Connection>> Open(const std::string& dir, const Options& options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one transaction (a vector of operations, SPEC §3). Atomic: on
  // error nothing changes. Returns once the commit is durable per the sync
  // policy.
  Result<TxReport> Transact(const edn::Node& tx_data);
  Result<TxReport> Transact(std::string_view edn_text);

  Database db() const;
  std::shared_ptr<TxReportQueue> Subscribe();
  // Registers (or replaces) a transaction function.
  void RegisterTxFunction(const std::string& name, TxFunction fn);

  // The log: transactions with start <= t < end, in t order.
  Status TxRange(T start, T end, const std::function<Status(T t, const std::vector<Datom>& datoms)>& fn) const;

  // Seals the open novelty (if any) and waits until every sealed
  // generation is indexed; returns the metrics of the jobs that ran.
  Result<std::vector<JobMetrics>> IndexNow();
  // Every job since open, in order.
  std::vector<JobMetrics> Jobs() const;
  // The strategy later jobs use (switchable between jobs).
  std::string strategy() const;
  Status SetStrategy(const std::string& name);

  // Bytes of the durable index at rest (segments, directories, root).
  Result<uint64_t> StorageBytes() const;
  Status Sync();   // fsyncs the log now
  Status Close();  // syncs and releases the folder; further calls fail
  ConnectionStats stats() const;
  const Options& options() const;
  const std::string& dir() const;

 private:
  Connection();
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace strata
