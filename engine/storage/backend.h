// backend.h — where a database lives: its log, its blobs and its root
// (internal).
//
// A database is named by a location: a folder path ("/data/db" or
// "file:/data/db"), the embedded default, or a PostgreSQL URI
// ("postgres://user@host:port/pgdb?strata_db=NAME"). OpenBackend turns a
// location into a Backend: a LogStore (the transaction log), a Storage
// (segments, directories and the root; storage.h) and, for the single
// writer, an exclusive lock on the database.
//
// LogStore protocol, used by Connection (the writer):
//   Recover(...) once          every intact record, in t order
//   Append(...)* Sync()        a group commit; records are durable after Sync
//   Rewrite(...)               an excision: every record edited, atomically
// Readers (TxRange, a transactor catching up a peer) call ReadRange from any
// thread; it sees every record appended so far, synced or not. A reader's
// LogStore (OpenBackend writer=false) offers Read and ReadRange only.
//
// Thread safety: Recover, Append, Sync and Rewrite are called by one thread
// at a time; ReadRange, size, stats and Describe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "format/log.h"
#include "storage/storage.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata {

struct LogStoreStats {
  uint64_t appends = 0, syncs = 0, round_trips = 0, bytes_written = 0;
  uint64_t reconnects = 0;  // connections re-established after a loss
  double wait_ms = 0;  // time spent waiting on the store (network or fsync)
};

class LogStore {
 public:
  virtual ~LogStore() = default;
  // Reads every intact record in t order, applying the recovery rules of
  // log.h (a torn tail is dropped; a corrupt record is Corruption naming
  // where, or with kTruncateCorruptTail is dropped with all after it), and
  // readies the store for appending after the last intact record.
  virtual Result<LogReadResult> Recover(RecoveryMode mode, const std::function<Status(LogRecord&&)>& fn,
                                        LogSkim skim) = 0;
  // Reads every intact record in t order like Recover, changing nothing: a
  // torn tail is left where it is (a reader's open, while a writer may be
  // appending; repair's check). A record the writer is appending meanwhile
  // is left out, not reported as corrupt.
  virtual Result<LogReadResult> Read(const std::function<Status(LogRecord&&)>& fn, LogSkim skim) const = 0;
  // Records with start <= t < end, in t order, including appended but
  // unsynced ones. A corrupt record is Corruption.
  virtual Status ReadRange(T start, T end, const std::function<Status(LogRecord&&)>& fn) const = 0;
  // Appends one record, not yet durable. On failure nothing of it is
  // acknowledged and a later Sync does not make it durable.
  virtual Status Append(const LogRecord& rec) = 0;
  // Makes every record appended so far durable. On failure the unsynced
  // records are abandoned (never acknowledged, possibly lost).
  virtual Status Sync() = 0;
  // Replaces every record by edit(record), atomically: after a crash the
  // log is either wholly old or wholly new. On failure the old log stands
  // and the store stays usable unless writable() turns false.
  virtual Status Rewrite(const std::function<void(LogRecord&)>& edit) = 0;
  virtual bool writable() const = 0;
  virtual uint64_t size() const = 0;  // bytes of the log
  virtual LogStoreStats stats() const = 0;
  virtual std::string Describe() const = 0;
};

// Held by the writer for as long as it writes; releasing it lets another
// process open the database for writing.
class BackendLock {
 public:
  virtual ~BackendLock() = default;
};

struct Backend {
  std::string location;              // as given
  std::unique_ptr<Storage> storage;
  std::unique_ptr<LogStore> log;     // a reader's (writer=false) reads only
  std::unique_ptr<BackendLock> lock; // null for a reader
  bool existed = false;              // a log was there before this open
};

struct BackendOptions {
  Env* env = nullptr;          // folder backends; null: Env::Default()
  bool create_if_missing = true;
  bool writer = true;          // take the lock and open the log for appending;
                               // false: create, lock, repair and write nothing
  bool sync = true;            // false: no fsync / synchronous_commit off
};

// True for PostgreSQL locations ("postgres://", "postgresql://"), whether
// or not this program links the PostgreSQL backend.
bool IsPostgresLocation(const std::string& location);
// Any location. A PostgreSQL location needs the PostgreSQL backend linked
// and registered (strata/postgres.h); without it, InvalidArgument says so.
Result<Backend> OpenBackend(const std::string& location, const BackendOptions& options);
// The folder backend: dir/log, dir/packs/, dir/root, dir/LOCK.
Result<Backend> OpenFolderBackend(const std::string& dir, const BackendOptions& options);

// A storage kind besides folders, living in a library of its own so that
// only the programs that use it link its client (PostgreSQL: libpq). The
// library registers it when the program asks (UsePostgresStorage()).
struct BackendKind {
  const char* name = "";                               // for messages
  bool (*handles)(const std::string& location) = nullptr;
  Result<Backend> (*open)(const std::string& location, const BackendOptions& options) = nullptr;
  Status (*destroy)(const std::string& location) = nullptr;
  std::string (*redact)(const std::string& location) = nullptr;  // without credentials
};
// Adds a kind; registering the same name again replaces it. Thread-safe.
void RegisterBackendKind(const BackendKind& kind);

}  // namespace strata
