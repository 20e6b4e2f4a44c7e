// pg_backend.h — the PostgreSQL backend's parts (internal to
// storage/postgres/): pg_storage.cc blobs and the root, pg_log.cc the log,
// pg_backend.cc the writer lock, opening and destroying (the Backend kind
// that UsePostgresStorage registers). docs/formats.md, "PostgreSQL
// storage", describes the tables.
//
// Many strata databases share one PostgreSQL database: every row carries
// its strata database's name in `db`. Every value is stored with its xxh3
// checksum, verified on every read.
//
// Batching: Storage::Put and LogStore::Append only buffer (reads see the
// buffer). Storage::Sync writes every buffered blob with one multi-row
// upsert per ~8 MB (inside one transaction when there are several);
// PublishRoot writes what is still buffered and the root atomically (one
// statement when the blobs fit one batch). LogStore::Sync inserts every
// buffered record with one statement. Every statement is idempotent, so a
// statement or transaction cut by a lost connection runs again after
// reconnecting (pg_conn.h).
//
// The writer holds a session-level advisory lock, keyed by the strata
// database's name, on a session of its own.
//
// Thread safety: PgLock, and the Storage and LogStore the factories
// return, may be used from any thread.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "strata/mutex.h"
#include "storage/backend.h"
#include "storage/postgres/pg_conn.h"

namespace strata::pg {

// The xxh3 of a value, as stored beside it.
inline int64_t Checksum(std::string_view bytes) {
  return static_cast<int64_t>(XXH3_64bits(bytes.data(), bytes.size()));
}

class PgLock {
 public:
  PgLock(const Location& loc, bool sync) : loc_(loc), session_(loc_, sync) {}

  // Busy when another session holds the lock. A writer that has just
  // gone (a crashed process whose session the server has not reaped yet)
  // gets kAcquireWaitMs to let go first.
  Status Acquire(Counters& c);
  static constexpr int kAcquireWaitMs = 2000;

  // Called before each log sync: if the lock's session was lost (the server
  // released the lock with it), reconnect and take the lock again; Busy if
  // another writer took it meanwhile. Costs no round trip while connected.
  Status Check(Counters& c);

  // Unlocks, then ends the session. The unlock is what the next writer
  // waits for: a closed session's locks go only when the server has
  // reaped it, which can lag behind the close on a busy server.
  void Release();

  // False once released, or taken by another writer after a loss.
  bool held() const {
    MutexLock l(&mu_);
    return !released_ && !lost_;
  }

 private:
  Status TryLock(Counters& c) REQUIRES(mu_);

  const pg::Location loc_;
  mutable Mutex mu_;
  Session session_ GUARDED_BY(mu_);
  bool released_ GUARDED_BY(mu_) = false, lost_ GUARDED_BY(mu_) = false;
};

// Blobs and the root in strata_blobs and strata_roots (pg_storage.cc).
std::unique_ptr<Storage> NewPgStorage(std::shared_ptr<Pool> pool);

// The log in strata_log (pg_log.cc); each sync first checks that `lock`
// is still held. Without a lock (a reader's) it only reads.
std::unique_ptr<LogStore> NewPgLog(std::shared_ptr<Pool> pool, std::shared_ptr<PgLock> lock);

}  // namespace strata::pg
