// harness.h — the engine under test and the comparisons the properties make.
//
// A Sut owns an in-memory Env wrapped in a FaultInjectionEnv (so a crash is
// DropUnsyncedData), one Connection with small indexing thresholds (so jobs
// and levels happen within a few transactions), its tx-report queues, the
// database values a test holds, a deterministic clock, and the replay: the
// transaction stream so far as EDN that `strata transact` accepts.
//
// Check functions return "" when the engine agrees with the model, else a
// message saying what differs; commands turn a message into RC_FAIL. They
// are plain functions so that reader threads can call them too.
//
// Thread safety: a Sut is used by one thread, except that Connection and
// Database values may be read from others (see concurrency_test.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testing/fault_injection_env.h"
#include "model.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/env.h"

namespace strata::props {

struct SutConfig {
  std::string strategy;                // merge strategy the connection opens with
  bool background = false;             // jobs on the background thread
  uint64_t memory_index_threshold = 3 << 10;
  uint32_t segment_datoms = 16;
  bool reference = false;              // keep a never-indexed twin (transparency)
  uint64_t segment_cache_bytes = 16 << 10;  // small: reads go to storage
  std::string location;                // empty: "/db" in the fault-injecting Env
};

// What a subscriber must receive for one commit.
struct ExpectedReport {
  T t = 0;
  T before_t = 0;             // db_before.basis_t
  std::vector<Datom> datoms;  // EAVT order
  std::map<std::string, EntityId> tempids;
};

// A database value taken earlier and what it returned then.
struct HeldDb {
  Database db;
  std::vector<std::pair<ViewQuery, Index>> queries;
  std::vector<std::vector<Datom>> reads;  // one per query, when taken
};

class Sut {
 public:
  explicit Sut(SutConfig cfg);
  ~Sut();

  // Opens the connection over the same Env (a restart), subscribes a queue.
  void Open();
  // A clean shutdown and restart.
  void Reopen();
  // A clean shutdown and an attempt to open again; on failure (the error is
  // returned) the Sut has no connection until Open().
  Status TryReopen();
  // A crash: the disk freezes (every write, sync, rename, create and delete
  // fails from now on), the process goes away, unsynced data is dropped,
  // and the database is opened again. On PostgreSQL the process goes away
  // (its sessions end; what the server committed stays) and comes back.
  void Crash();

  Connection& conn() { return *conn_; }
  Connection* reference() { return ref_.get(); }
  FaultInjectionEnv& fenv() { return *fenv_; }
  const SutConfig& config() const { return cfg_; }

  // The value the engine's clock returns for the next transaction.
  std::atomic<int64_t> now{0};

  // Subscriber queues of the current connection, and the reports they
  // must still deliver, in order (filled by the commands that commit).
  std::vector<std::shared_ptr<TxReportQueue>> queues;
  std::vector<std::deque<ExpectedReport>> expected_reports;
  // Queues the report of an acknowledged commit for every subscriber.
  void ExpectReport(const ExpectedReport& r);
  void Subscribe();
  // Pops what every queue holds and compares it with what it must hold.
  std::string CheckQueues();

  std::deque<HeldDb> held;
  std::vector<T> committed_ts;  // every t acknowledged, in order (monotonic time)

  // ---- replay
  // Also writes every recorded line to `path` as it goes (flushed), so that
  // a crash of the test process itself leaves the stream behind.
  void StartLiveReplay(const std::string& path);
  void StopLiveReplay();  // and removes the file
  void Record(const std::string& line);
  // Writes the replay to `path` (creating folders); returns the path.
  std::string WriteReplay(const std::string& path) const;
  const std::vector<std::string>& replay() const { return replay_; }

 private:
  Options MakeOptions(Env* env, bool reference) const;

  SutConfig cfg_;
  std::unique_ptr<Env> mem_;
  std::unique_ptr<FaultInjectionEnv> fenv_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<Env> ref_env_;
  std::unique_ptr<Connection> ref_;
  std::vector<std::string> replay_;
  std::string live_path_;
  std::unique_ptr<std::ofstream> live_;
};

// ---- reads ----------------------------------------------------------------

Database ApplyView(const Database& db, const ViewQuery& q);
// Every datom of an index (optionally under a prefix); *err on failure.
std::vector<Datom> ReadIndex(const Database& db, Index order, const std::vector<Value>& prefix = {},
                             std::string* err = nullptr);

// ---- comparisons ------------------------------------------------------------

// "" when equal, else the first differences, labelled.
std::string DiffDatoms(const std::string& label, const std::vector<Datom>& want, const std::vector<Datom>& got);
// Compares one view and order of the engine with the model. History and
// past as-of views exempt attributes that have ever been :db/noHistory:
// for those the engine must hold a subset of the model's datoms.
std::string CompareView(const Model& m, const Database& db, const ViewQuery& q, Index order);
// Two reads of the same view that must agree, with the same exemption:
// datoms of ever-:db/noHistory attributes in `got` need only be in `want`.
std::string CompareReads(const std::string& label, const Model& m, const ViewQuery& q, const std::vector<Datom>& want,
                         const std::vector<Datom>& got);
// The log (TxRange) against the model's, every user transaction.
std::string CompareLog(const Model& m, const Connection& conn);
// basis_t and next_t.
std::string CompareCounters(const Model& m, const Database& db);
// Sorted strictly in `order` (so no duplicates).
std::string CheckSorted(const std::string& label, const std::vector<Datom>& ds, Index order);

// Views worth comparing for this model: current, history, and a few as-of
// and since points spread over the model's transactions.
std::vector<ViewQuery> SampleViews(const Model& m, size_t points);

std::string ShowDatom(const Datom& d);

// The bootstrap datoms of a fresh database (t = 0), read once.
const std::vector<Datom>& BootstrapDatoms();

}  // namespace strata::props
