// pg_backend.cc — the PostgreSQL backend kind (UsePostgresStorage):
// opening (tables, format check), the writer lock, destroying a strata
// database (see pg_backend.h).

#include "strata/mutex.h"
#include "storage/postgres/pg_backend.h"

#include <chrono>
#include <thread>

#include "storage/backend.h"
#include "strata/postgres.h"

namespace strata {

namespace pg {

namespace {

constexpr int kFormatVersion = 1;
constexpr size_t kPoolSessions = 4;

const char* const kCreateTables = R"sql(
SELECT pg_advisory_xact_lock(7135601263620330791);
CREATE TABLE IF NOT EXISTS strata_meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO strata_meta VALUES ('format', '1') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS strata_blobs (
  db text NOT NULL, key text COLLATE "C" NOT NULL, value bytea NOT NULL, checksum bigint NOT NULL,
  PRIMARY KEY (db, key));
CREATE TABLE IF NOT EXISTS strata_roots (
  db text PRIMARY KEY, root bytea NOT NULL, checksum bigint NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS strata_log (
  db text NOT NULL, t bigint NOT NULL, payload bytea NOT NULL, checksum bigint NOT NULL,
  PRIMARY KEY (db, t));
ALTER TABLE strata_blobs ALTER value SET STORAGE EXTERNAL;
)sql";

// Key of the writer's advisory lock: one per strata database.
int64_t LockKey(const std::string& db) { return Checksum("strata writer:" + db); }

}  // namespace

// ---- the writer lock --------------------------------------------------------

Status PgLock::Acquire(pg::Counters& c) {
  MutexLock l(&mu_);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAcquireWaitMs);
  for (;;) {
    Status s = TryLock(c);
    if (s.code() != Code::kBusy || std::chrono::steady_clock::now() >= until) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status PgLock::Check(pg::Counters& c) {
  MutexLock l(&mu_);
  if (released_) return Status::Aborted("strata database " + loc_.db + ": the writer lock was released");
  session_.Poll();
  if (!session_.broken()) return Status::OK();
  Status s = TryLock(c);
  if (s.code() == Code::kBusy) lost_ = true;
  return s;
}

void PgLock::Release() {
  MutexLock l(&mu_);
  released_ = true;
  session_.Poll();
  session_.set_counters(nullptr);  // the last caller's counters may be gone
  if (!session_.broken() && !lost_) (void)session_.Exec("SELECT pg_advisory_unlock($1)", {Int8(LockKey(loc_.db))});
  session_.Close();
}

Status PgLock::TryLock(pg::Counters& c) {
  bool got = false;
  STRATA_RETURN_IF_ERROR(pg::RunWithRetry(session_, c, "taking the writer lock", [&](Session& s) -> Status {
    STRATA_ASSIGN_OR_RETURN(Rows r, s.Exec("SELECT pg_try_advisory_lock($1)", {Int8(LockKey(loc_.db))}));
    got = r.boolean(0, 0);
    return Status::OK();
  }));
  if (!got)
    return Status::Busy("strata database " + loc_.db + " on PostgreSQL at " + loc_.server +
                        " is open for writing by another process (advisory lock held)");
  return Status::OK();
}

}  // namespace pg

namespace {

using pg::Bytea;
using pg::Int8;
using pg::Param;
using pg::Rows;
using pg::Session;
using pg::kCreateTables;
using pg::kFormatVersion;
using pg::kPoolSessions;
using pg::PgLock;
using pg::Text;

class PgLockHandle final : public BackendLock {
 public:
  explicit PgLockHandle(std::shared_ptr<PgLock> lock) : lock_(std::move(lock)) {}
  ~PgLockHandle() override { lock_->Release(); }

 private:
  std::shared_ptr<PgLock> lock_;
};

// Connects one session for opening: creates the tables if asked, checks
// the format, and tells whether the strata database exists.
struct Found {
  bool tables = false;   // the strata tables exist
  bool existed = false;  // the strata database has a root or log rows
};

Result<Found> Prepare(const pg::Location& loc, pg::Counters& c, bool create) {
  Session s(loc, true);
  bool existed = false, tables = false;
  STRATA_RETURN_IF_ERROR(pg::RunWithRetry(s, c, "opening " + loc.db, [&](Session& ss) -> Status {
    STRATA_ASSIGN_OR_RETURN(Rows r, ss.Exec("SELECT to_regclass('strata_log') IS NOT NULL"));
    tables = r.boolean(0, 0);
    if (!tables && create) {
      STRATA_RETURN_IF_ERROR(ss.ExecScript(kCreateTables));
      tables = true;
    }
    if (!tables) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(Rows f, ss.Exec("SELECT value FROM strata_meta WHERE key = 'format'"));
    if (f.size() != 1 || f.bytes(0, 0) != std::to_string(kFormatVersion))
      return Status::InvalidArgument("PostgreSQL at " + loc.server + ": strata tables of format " +
                                     (f.size() ? std::string(f.bytes(0, 0)) : "?") + ", this build reads format " +
                                     std::to_string(kFormatVersion));
    STRATA_ASSIGN_OR_RETURN(Rows e, ss.Exec("SELECT EXISTS (SELECT 1 FROM strata_roots WHERE db = $1)"
                                            " OR EXISTS (SELECT 1 FROM strata_log WHERE db = $1)",
                                            {Text(loc.db)}));
    existed = e.boolean(0, 0);
    return Status::OK();
  }));
  return Found{tables, existed};
}

Result<Backend> OpenPgBackend(const std::string& uri, const BackendOptions& options) {
  STRATA_ASSIGN_OR_RETURN(pg::Location loc, pg::ParseLocation(uri));
  pg::Counters open_counters;
  const bool create = options.create_if_missing && options.writer;
  STRATA_ASSIGN_OR_RETURN(Found found, Prepare(loc, open_counters, create));
  const bool existed = found.existed;
  if (!existed && !create) return Status::NotFound("no strata database " + loc.db + " at " + loc.described);
  Backend b;
  b.location = uri;
  b.existed = existed;
  auto pool = std::make_shared<pg::Pool>(loc, options.sync, kPoolSessions);
  if (options.writer) {
    auto lock = std::make_shared<PgLock>(loc, options.sync);
    STRATA_RETURN_IF_ERROR(lock->Acquire(open_counters));
    b.log = pg::NewPgLog(pool, lock);
    b.lock = std::make_unique<PgLockHandle>(std::move(lock));
  } else {
    b.log = pg::NewPgLog(pool, nullptr);  // reads only
  }
  b.storage = pg::NewPgStorage(pool);
  return b;
}

Status DestroyPgDatabase(const std::string& uri) {
  STRATA_ASSIGN_OR_RETURN(pg::Location loc, pg::ParseLocation(uri));
  pg::Counters c;
  STRATA_ASSIGN_OR_RETURN(Found found, Prepare(loc, c, false));
  if (!found.tables) return Status::OK();
  PgLock lock(loc, true);  // refused (Busy) while a writer has it open
  STRATA_RETURN_IF_ERROR(lock.Acquire(c));
  Session s(loc, true);
  return pg::RunWithRetry(s, c, "destroying " + loc.db, [&](Session& ss) -> Status {
    STRATA_RETURN_IF_ERROR(ss.Exec("BEGIN").status());
    for (const char* sql : {"DELETE FROM strata_blobs WHERE db = $1", "DELETE FROM strata_roots WHERE db = $1",
                            "DELETE FROM strata_log WHERE db = $1"})
      STRATA_RETURN_IF_ERROR(ss.Exec(sql, {Text(loc.db)}).status());
    return ss.Exec("COMMIT").status();
  });
}

std::string RedactPgLocation(const std::string& uri) {
  auto parsed = pg::ParseLocation(uri);
  return parsed.ok() ? parsed->described : "postgres://(unparsable location)";
}

}  // namespace

void UsePostgresStorage() {
  BackendKind kind;
  kind.name = "postgres";
  kind.handles = &IsPostgresLocation;
  kind.open = &OpenPgBackend;
  kind.destroy = &DestroyPgDatabase;
  kind.redact = &RedactPgLocation;
  RegisterBackendKind(kind);
}

}  // namespace strata
