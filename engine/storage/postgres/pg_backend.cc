// pg_backend.cc — the PostgreSQL backend: blobs, roots and the log in
// tables (docs/formats.md, "PostgreSQL storage").
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
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "storage/backend.h"
#include "strata/mutex.h"
#include "strata/postgres.h"
#include "storage/postgres/pg_conn.h"

namespace strata {

namespace {

using pg::Bytea;
using pg::Int8;
using pg::Param;
using pg::Rows;
using pg::Session;
using pg::Text;

constexpr int kFormatVersion = 1;
constexpr size_t kBatchBytes = 8u << 20;  // blob bytes per INSERT statement
constexpr int kPageRows = 256;             // log rows per SELECT when streaming (in Scan's SQL)
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

// $1 db; blobs: $2 keys, $3 values, $4 checksums; the root: $2 (or $5) bytes, $3 (or $6) checksum.
#define STRATA_UPSERT_BLOBS                                                       \
  "INSERT INTO strata_blobs (db, key, value, checksum)"                           \
  " SELECT $1, * FROM unnest($2::text[], $3::bytea[], $4::bigint[])"              \
  " ON CONFLICT (db, key) DO UPDATE SET value = EXCLUDED.value, checksum = EXCLUDED.checksum"
#define STRATA_UPSERT_ROOT(root, sum)                                             \
  "INSERT INTO strata_roots (db, root, checksum) VALUES ($1, " root ", " sum ")"  \
  " ON CONFLICT (db) DO UPDATE"                                                   \
  " SET root = EXCLUDED.root, checksum = EXCLUDED.checksum, published_at = now()"
const char* const kUpsertBlobs = STRATA_UPSERT_BLOBS;
const char* const kUpsertRoot = STRATA_UPSERT_ROOT("$2", "$3");
const char* const kUpsertBlobsAndRoot = "WITH blobs AS (" STRATA_UPSERT_BLOBS ") " STRATA_UPSERT_ROOT("$5", "$6");
#undef STRATA_UPSERT_BLOBS
#undef STRATA_UPSERT_ROOT

int64_t Checksum(std::string_view bytes) { return static_cast<int64_t>(XXH3_64bits(bytes.data(), bytes.size())); }

Status CheckKey(const std::string& key) {
  if (key.empty() || key == "." || key == ".." || key.find('\0') != std::string::npos) {
    return Status::InvalidArgument("storage: invalid blob key \"" + key + "\"");
  }
  return Status::OK();
}

// A text[] literal of `keys` ({"a","b\\"c"}), for `key = ANY($n::text[])`.
std::string TextArray(const std::vector<std::string>& keys) {
  std::string out = "{";
  for (const std::string& k : keys) {
    out += out.size() > 1 ? ",\"" : "\"";
    for (char c : k) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

// Key of the writer's advisory lock: one per strata database.
int64_t LockKey(const std::string& db) { return Checksum("strata writer:" + db); }

// ---- the writer lock --------------------------------------------------------

// The lock's session, shared by the log (which checks it before each sync)
// and the Backend's lock handle (whose end releases it).
class PgLock {
 public:
  PgLock(const pg::Location& loc, bool sync) : loc_(loc), session_(loc_, sync) {}

  // Busy when another session holds the lock. A writer that has just
  // gone (a crashed process whose session the server has not reaped yet)
  // gets kAcquireWaitMs to let go first.
  Status Acquire(pg::Counters& c) {
    MutexLock l(&mu_);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAcquireWaitMs);
    for (;;) {
      Status s = TryLock(c);
      if (s.code() != Code::kBusy || std::chrono::steady_clock::now() >= until) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  static constexpr int kAcquireWaitMs = 2000;

  // Called before each log sync: if the lock's session was lost (the server
  // released the lock with it), reconnect and take the lock again; Busy if
  // another writer took it meanwhile. Costs no round trip while connected.
  Status Check(pg::Counters& c) {
    MutexLock l(&mu_);
    if (released_) return Status::Aborted("strata database " + loc_.db + ": the writer lock was released");
    session_.Poll();
    if (!session_.broken()) return Status::OK();
    Status s = TryLock(c);
    if (s.code() == Code::kBusy) lost_ = true;
    return s;
  }

  // Unlocks, then ends the session. The unlock is what the next writer
  // waits for: a closed session's locks go only when the server has
  // reaped it, which can lag behind the close on a busy server.
  void Release() {
    MutexLock l(&mu_);
    released_ = true;
    session_.Poll();
    session_.set_counters(nullptr);  // the last caller's counters may be gone
    if (!session_.broken() && !lost_) (void)session_.Exec("SELECT pg_advisory_unlock($1)", {Int8(LockKey(loc_.db))});
    session_.Close();
  }

  // False once released, or taken by another writer after a loss.
  bool held() const {
    MutexLock l(&mu_);
    return !released_ && !lost_;
  }

 private:
  Status TryLock(pg::Counters& c) REQUIRES(mu_) {
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

  const pg::Location loc_;
  mutable Mutex mu_;
  Session session_ GUARDED_BY(mu_);
  bool released_ GUARDED_BY(mu_) = false, lost_ GUARDED_BY(mu_) = false;
};

class PgLockHandle final : public BackendLock {
 public:
  explicit PgLockHandle(std::shared_ptr<PgLock> lock) : lock_(std::move(lock)) {}
  ~PgLockHandle() override { lock_->Release(); }

 private:
  std::shared_ptr<PgLock> lock_;
};

// ---- blobs and the root -----------------------------------------------------

class PgStorage final : public Storage {
 public:
  explicit PgStorage(std::shared_ptr<pg::Pool> pool) : pool_(std::move(pool)), db_(pool_->location().db) {}

  Status Put(const std::string& key, std::string_view value) override {
    puts_++;
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    MutexLock l(&mu_);
    pending_[key] = std::string(value);
    bytes_put_ += value.size();
    return Status::OK();
  }

  Result<std::string> Get(const std::string& key) override {
    gets_++;
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    if (std::optional<std::string> b = Buffered(key)) {
      bytes_got_ += b->size();
      return std::move(*b);
    }
    std::string value;
    STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "get " + key, [&](Session& s) -> Status {
      STRATA_ASSIGN_OR_RETURN(Rows r, s.Exec("SELECT value, checksum FROM strata_blobs WHERE db = $1 AND key = $2",
                                             {Text(db_), Text(key)}));
      if (r.size() == 0) return Status::NotFound("storage get " + key + ": no such blob");
      if (Checksum(r.bytes(0, 0)) != r.int8(0, 1))
        return Status::Corruption("PostgreSQL strata_blobs db=" + db_ + " key=" + key + ": checksum mismatch");
      value = std::string(r.bytes(0, 0));
      return Status::OK();
    }));
    bytes_got_ += value.size();
    return value;
  }

  // One statement for every key not in the buffer (an indexing job's
  // window of segments, a root's directories).
  Result<std::vector<std::string>> GetMany(const std::vector<std::string>& keys) override {
    gets_ += keys.size();
    std::vector<std::string> out(keys.size());
    std::vector<size_t> missing;
    std::vector<std::string> wanted;
    for (size_t i = 0; i < keys.size(); ++i) {
      STRATA_RETURN_IF_ERROR(CheckKey(keys[i]));
      if (std::optional<std::string> b = Buffered(keys[i])) {
        out[i] = std::move(*b);
        continue;
      }
      missing.push_back(i);
      wanted.push_back(keys[i]);
    }
    if (!missing.empty()) {
      const std::string array = TextArray(wanted);
      std::map<std::string, std::string, std::less<>> got;
      STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "get " + std::to_string(missing.size()) + " blobs", [&](Session& s) -> Status {
        got.clear();
        STRATA_ASSIGN_OR_RETURN(Rows r, s.Exec("SELECT key, value, checksum FROM strata_blobs WHERE db = $1 AND key = ANY($2::text[])",
                                               {Text(db_), Text(array)}));
        for (int i = 0; i < r.size(); ++i) {
          const std::string key(r.bytes(i, 0));
          if (Checksum(r.bytes(i, 1)) != r.int8(i, 2))
            return Status::Corruption("PostgreSQL strata_blobs db=" + db_ + " key=" + key + ": checksum mismatch");
          got.emplace(key, std::string(r.bytes(i, 1)));
        }
        return Status::OK();
      }));
      for (size_t i : missing) {
        auto it = got.find(keys[i]);
        if (it == got.end()) return Status::NotFound("storage get " + keys[i] + ": no such blob");
        out[i] = it->second;
      }
    }
    for (const std::string& b : out) bytes_got_ += b.size();
    return out;
  }

  Status Delete(const std::string& key) override {
    deletes_++;
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    // Not while a flush may still write the key back.
    MutexLock f(&flush_mu_);
    {
      MutexLock l(&mu_);
      pending_.erase(key);
    }
    return pool_->Run(counters_, "delete " + key, [&](Session& s) -> Status {
      return s.Exec("DELETE FROM strata_blobs WHERE db = $1 AND key = $2", {Text(db_), Text(key)}).status();
    });
  }

  // One statement for all of them (garbage collection after a job).
  Status DeleteMany(const std::vector<std::string>& keys) override {
    if (keys.empty()) return Status::OK();
    deletes_ += keys.size();
    for (const std::string& k : keys) STRATA_RETURN_IF_ERROR(CheckKey(k));
    MutexLock f(&flush_mu_);
    {
      MutexLock l(&mu_);
      for (const std::string& k : keys) pending_.erase(k);
    }
    const std::string array = TextArray(keys);
    return pool_->Run(counters_, "delete " + std::to_string(keys.size()) + " blobs", [&](Session& s) -> Status {
      return s.Exec("DELETE FROM strata_blobs WHERE db = $1 AND key = ANY($2::text[])", {Text(db_), Text(array)}).status();
    });
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
    std::vector<std::string> keys;
    {
      // The buffer first: a blob flushed meanwhile is then in both.
      MutexLock l(&mu_);
      for (const auto* m : {&pending_, &flushing_})
        for (auto it = m->lower_bound(prefix); it != m->end() && it->first.starts_with(prefix); ++it)
          keys.push_back(it->first);
    }
    STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "list " + prefix, [&](Session& s) -> Status {
      STRATA_ASSIGN_OR_RETURN(Rows r, s.Exec("SELECT key FROM strata_blobs WHERE db = $1 AND starts_with(key, $2)",
                                             {Text(db_), Text(prefix)}));
      for (int i = 0; i < r.size(); ++i) keys.emplace_back(r.bytes(i, 0));
      return Status::OK();
    }));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

  Status Sync() override {
    syncs_++;
    return Flush(nullptr);
  }

  // Writes what is still buffered too (a job that skips Sync with sync
  // policy never must not publish a root naming unwritten blobs), in the
  // same transaction. `durable` = false is served durably.
  Status PublishRoot(std::string_view bytes, bool) override {
    root_publishes_++;
    STRATA_RETURN_IF_ERROR(Flush(&bytes));
    bytes_put_ += bytes.size();
    return Status::OK();
  }

  Result<std::optional<std::string>> ReadRoot() override {
    std::optional<std::string> root;
    STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "read root", [&](Session& s) -> Status {
      STRATA_ASSIGN_OR_RETURN(Rows r, s.Exec("SELECT root, checksum FROM strata_roots WHERE db = $1", {Text(db_)}));
      if (r.size() == 0) return Status::OK();
      if (Checksum(r.bytes(0, 0)) != r.int8(0, 1))
        return Status::Corruption("PostgreSQL strata_roots db=" + db_ + ": checksum mismatch");
      root = std::string(r.bytes(0, 0));
      return Status::OK();
    }));
    if (root) bytes_got_ += root->size();
    return root;
  }

  Result<uint64_t> BytesAtRest() override {
    std::map<std::string, uint64_t> buffered;
    {
      MutexLock l(&mu_);
      for (const auto& [k, v] : flushing_) buffered[k] = v.size();
      for (const auto& [k, v] : pending_) buffered[k] = v.size();
    }
    std::vector<std::string_view> keys;
    uint64_t total = 0;
    for (const auto& [k, n] : buffered) {
      keys.push_back(k);
      total += n;
    }
    int64_t stored = 0;
    STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "bytes at rest", [&](Session& s) -> Status {
      STRATA_ASSIGN_OR_RETURN(
          Rows r, s.Exec("SELECT (SELECT coalesce(sum(octet_length(value)), 0) FROM strata_blobs"
                         "         WHERE db = $1 AND key <> ALL($2))::bigint"
                         "     + coalesce((SELECT octet_length(root) FROM strata_roots WHERE db = $1), 0)::bigint",
                         {Text(db_), pg::TextArray(keys)}));
      stored = r.int8(0, 0);
      return Status::OK();
    }));
    return total + static_cast<uint64_t>(stored);
  }

  StorageStats stats() const override {
    StorageStats s;
    s.puts = puts_.load();
    s.gets = gets_.load();
    s.deletes = deletes_.load();
    s.syncs = syncs_.load();
    s.root_publishes = root_publishes_.load();
    s.bytes_put = bytes_put_.load();
    s.bytes_got = bytes_got_.load();
    s.round_trips = counters_.round_trips.load();
    s.reconnects = counters_.reconnects.load();
    s.wait_ms = counters_.wait_ms();
    return s;
  }

  std::string Describe() const override { return pool_->location().described; }

 private:
  std::optional<std::string> Buffered(const std::string& key) {
    MutexLock l(&mu_);
    for (const auto* m : {&pending_, &flushing_}) {
      auto it = m->find(key);
      if (it != m->end()) return it->second;
    }
    return std::nullopt;
  }

  // Writes every buffered blob, and `root` if given, in one transaction
  // (a single statement needs none). On failure the blobs stay buffered.
  Status Flush(const std::string_view* root) {
    MutexLock f(&flush_mu_);
    {
      MutexLock l(&mu_);
      flushing_.swap(pending_);  // readers still find them in flushing_
    }
    std::vector<std::vector<const std::pair<const std::string, std::string>*>> batches;
    size_t bytes = kBatchBytes;
    for (const auto& entry : FlushingForFlusher()) {
      if (bytes + entry.second.size() > kBatchBytes && !(batches.size() && batches.back().empty())) {
        batches.emplace_back();
        bytes = 0;
      }
      batches.back().push_back(&entry);
      bytes += entry.second.size();
    }
    // A batch's parameters are built when it is sent: one batch's copy of
    // the blobs in memory at a time.
    auto batch_params = [&](size_t i) -> std::vector<Param> {
      std::vector<std::string_view> keys, values;
      std::vector<int64_t> sums;
      for (const auto* e : batches[i]) {
        keys.push_back(e->first);
        values.push_back(e->second);
        sums.push_back(Checksum(e->second));
      }
      return {Text(db_), pg::TextArray(keys), pg::ByteaArray(values), pg::Int8Array(sums)};
    };
    Status s = Status::OK();
    if (!batches.empty() || root) {
      // The root goes with the last batch, in one statement (a
      // data-modifying WITH is atomic); a transaction only for several.
      const bool transaction = batches.size() > 1;
      s = pool_->Run(counters_, root ? "publish root" : "sync", [&](Session& ss) -> Status {
        if (transaction) STRATA_RETURN_IF_ERROR(ss.Exec("BEGIN").status());
        for (size_t i = 0; i < batches.size(); ++i) {
          std::vector<Param> p = batch_params(i);
          const bool with_root = root && i + 1 == batches.size();
          if (with_root) {
            p.push_back(Bytea(*root));
            p.push_back(Int8(Checksum(*root)));
          }
          STRATA_RETURN_IF_ERROR(ss.Exec(with_root ? kUpsertBlobsAndRoot : kUpsertBlobs, p).status());
        }
        if (root && batches.empty())
          STRATA_RETURN_IF_ERROR(ss.Exec(kUpsertRoot, {Text(db_), Bytea(*root), Int8(Checksum(*root))}).status());
        if (transaction) STRATA_RETURN_IF_ERROR(ss.Exec("COMMIT").status());
        return Status::OK();
      });
    }
    MutexLock l(&mu_);
    if (!s.ok()) {
      for (auto& [k, v] : flushing_) pending_.emplace(k, std::move(v));  // a newer Put wins
    }
    flushing_.clear();
    return s.WithContext("storage " + db_);
  }

  // flushing_ changes only under flush_mu_ (and mu_, for readers), so
  // the flusher may read it holding flush_mu_ alone.
  const std::map<std::string, std::string>& FlushingForFlusher() const REQUIRES(flush_mu_) NO_THREAD_SAFETY_ANALYSIS {
    return flushing_;
  }

  std::shared_ptr<pg::Pool> pool_;
  const std::string db_;
  pg::Counters counters_;
  std::atomic<uint64_t> puts_{0}, gets_{0}, deletes_{0}, syncs_{0}, root_publishes_{0}, bytes_put_{0}, bytes_got_{0};
  Mutex flush_mu_;  // one flush (or delete) at a time
  Mutex mu_ ACQUIRED_AFTER(flush_mu_);
  std::map<std::string, std::string> pending_ GUARDED_BY(mu_);   // Put, not yet flushed
  std::map<std::string, std::string> flushing_ GUARDED_BY(mu_);  // being flushed
};

// ---- the log ----------------------------------------------------------------

class PgLog final : public LogStore {
 public:
  PgLog(std::shared_ptr<pg::Pool> pool, std::shared_ptr<PgLock> lock)
      : pool_(std::move(pool)), lock_(std::move(lock)), db_(pool_->location().db) {}

  Result<LogReadResult> Recover(RecoveryMode mode, const std::function<Status(LogRecord&&)>& fn,
                                LogSkim skim) override {
    LogReadResult res;
    T last_t = 0;
    std::string bad;  // why the row at bad_t is corrupt
    T bad_t = 0;
    Status st = Scan(0, kNoEnd, [&](T t, std::string_view payload, int64_t sum) -> Status {
      LogRecord rec;
      Status s = Decode(t, payload, sum, t <= skim.through_t ? skim.keep : nullptr, &rec);
      if (s.IsCorruption() && mode == RecoveryMode::kTruncateCorruptTail) {
        bad = s.message();
        bad_t = t;
        return Status::Aborted("stop");
      }
      STRATA_RETURN_IF_ERROR(s);
      res.records++;
      res.valid_bytes += payload.size();
      last_t = t;
      return fn(std::move(rec));
    });
    res.file_bytes = res.valid_bytes;
    if (!bad.empty()) {
      int64_t dropped = 0, dropped_bytes = 0;
      STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "truncating the log", [&](Session& s) -> Status {
        STRATA_ASSIGN_OR_RETURN(Rows r, s.Exec("WITH d AS (DELETE FROM strata_log WHERE db = $1 AND t >= $2"
                                               "           RETURNING octet_length(payload) AS n)"
                                               " SELECT count(*)::bigint, coalesce(sum(n), 0)::bigint FROM d",
                                               {Text(db_), Int8(static_cast<int64_t>(bad_t))}));
        dropped = r.int8(0, 0);
        dropped_bytes = r.int8(0, 1);
        return Status::OK();
      }));
      res.torn_tail = true;
      res.file_bytes += static_cast<uint64_t>(dropped_bytes);
      res.dropped_reason = bad + "; dropped " + std::to_string(dropped) + " rows from t=" + std::to_string(bad_t);
    } else {
      STRATA_RETURN_IF_ERROR(st);
    }
    MutexLock l(&mu_);
    unsynced_.clear();
    last_t_ = synced_t_ = last_t;
    size_ = res.valid_bytes;
    return res;
  }

  Status ReadRange(T start, T end, const std::function<Status(LogRecord&&)>& fn) const override {
    // The buffer first: a record synced meanwhile is then read from it.
    std::vector<Pending> buffered;
    T first_unsynced = kNoEnd;
    {
      MutexLock l(&mu_);
      if (!unsynced_.empty()) first_unsynced = unsynced_.front().t;
      for (const Pending& p : unsynced_)
        if (p.t >= start && p.t < end) buffered.push_back(p);
    }
    STRATA_RETURN_IF_ERROR(Scan(start, std::min(end, first_unsynced), [&](T t, std::string_view payload, int64_t sum) {
      LogRecord rec;
      STRATA_RETURN_IF_ERROR(Decode(t, payload, sum, nullptr, &rec));
      return fn(std::move(rec));
    }));
    for (const Pending& p : buffered) {
      LogRecord rec;
      STRATA_RETURN_IF_ERROR(DecodeLogPayload(p.payload, &rec).WithContext("unsynced log record t=" + std::to_string(p.t)));
      STRATA_RETURN_IF_ERROR(fn(std::move(rec)));
    }
    return Status::OK();
  }

  Status Append(const LogRecord& rec) override {
    MutexLock l(&mu_);
    if (rec.t <= last_t_)
      return Status::InvalidArgument("log " + db_ + ": append of t=" + std::to_string(rec.t) + " after t=" +
                                     std::to_string(last_t_));
    Pending p{rec.t, EncodeLogPayload(rec), 0};
    p.checksum = Checksum(p.payload);
    size_ += p.payload.size();
    bytes_written_ += p.payload.size();
    last_t_ = rec.t;
    unsynced_.push_back(std::move(p));
    appends_++;
    return Status::OK();
  }

  Status Sync() override {
    syncs_++;
    std::vector<std::string_view> payloads;
    std::vector<int64_t> ts, sums;
    {
      MutexLock l(&mu_);  // Append runs on this thread: only readers race
      for (const Pending& p : unsynced_) {
        ts.push_back(static_cast<int64_t>(p.t));
        payloads.push_back(p.payload);
        sums.push_back(p.checksum);
      }
    }
    if (ts.empty()) return Status::OK();
    Status s = lock_->Check(counters_);
    if (s.ok()) {
      const std::vector<Param> params = {Text(db_), pg::Int8Array(ts), pg::ByteaArray(payloads), pg::Int8Array(sums)};
      int64_t conflict = -1;
      s = pool_->Run(counters_, "log sync", [&](Session& ss) -> Status {
        // All or nothing, in one statement: a row already there (a retry
        // after a commit whose reply was lost) must hold the same record.
        STRATA_ASSIGN_OR_RETURN(
            Rows r, ss.Exec("WITH n AS (SELECT * FROM unnest($2::bigint[], $3::bytea[], $4::bigint[])"
                            "           AS n(t, payload, checksum)),"
                            " bad AS (SELECT n.t FROM n JOIN strata_log l ON l.db = $1 AND l.t = n.t"
                            "         WHERE l.checksum <> n.checksum),"
                            " ins AS (INSERT INTO strata_log (db, t, payload, checksum)"
                            "         SELECT $1, t, payload, checksum FROM n WHERE NOT EXISTS (SELECT 1 FROM bad)"
                            "         ON CONFLICT (db, t) DO NOTHING RETURNING 1)"
                            " SELECT (SELECT count(*) FROM ins)::bigint, (SELECT min(t) FROM bad)",
                            params));
        conflict = r.null(0, 1) ? -1 : r.int8(0, 1);
        return Status::OK();
      });
      if (s.ok() && conflict >= 0)
        s = Status::Conflict("log " + db_ + ": PostgreSQL strata_log already holds a different record at t=" +
                             std::to_string(conflict) + " (another writer?); nothing of this sync was written");
    }
    MutexLock l(&mu_);
    if (!s.ok()) {
      // Abandoned: never acknowledged (backend.h).
      for (const Pending& p : unsynced_) size_ -= p.payload.size();
      unsynced_.clear();
      last_t_ = synced_t_;
      return s.WithContext("log sync");
    }
    unsynced_.erase(unsynced_.begin(), unsynced_.begin() + static_cast<ptrdiff_t>(ts.size()));
    synced_t_ = static_cast<T>(ts.back());
    return Status::OK();
  }

  Status Rewrite(const std::function<void(LogRecord&)>& edit) override {
    STRATA_RETURN_IF_ERROR(Sync());
    std::vector<int64_t> ts, sums;
    std::vector<std::string> payloads;
    uint64_t size = 0;
    STRATA_RETURN_IF_ERROR(Scan(0, kNoEnd, [&](T t, std::string_view payload, int64_t sum) -> Status {
      LogRecord rec;
      STRATA_RETURN_IF_ERROR(Decode(t, payload, sum, nullptr, &rec));
      edit(rec);
      std::string out = EncodeLogPayload(rec);
      size += out.size();
      if (out != payload) {
        ts.push_back(static_cast<int64_t>(t));
        sums.push_back(Checksum(out));
        payloads.push_back(std::move(out));
      }
      return Status::OK();
    }).WithContext("rewriting the log"));
    if (!ts.empty()) {
      const std::vector<std::string_view> views(payloads.begin(), payloads.end());
      const std::vector<Param> params = {Text(db_), pg::Int8Array(ts), pg::ByteaArray(views), pg::Int8Array(sums)};
      // One statement: the log is wholly old or wholly new.
      STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "log rewrite", [&](Session& s) -> Status {
        return s.Exec("UPDATE strata_log l SET payload = n.payload, checksum = n.checksum"
                      " FROM unnest($2::bigint[], $3::bytea[], $4::bigint[]) AS n(t, payload, checksum)"
                      " WHERE l.db = $1 AND l.t = n.t",
                      params)
            .status();
      }));
    }
    MutexLock l(&mu_);
    size_ = size;
    return Status::OK();
  }

  bool writable() const override { return lock_->held(); }
  uint64_t size() const override {
    MutexLock l(&mu_);
    return size_;
  }
  LogStoreStats stats() const override {
    LogStoreStats s;
    s.appends = appends_.load();
    s.syncs = syncs_.load();
    s.round_trips = counters_.round_trips.load();
    s.reconnects = counters_.reconnects.load();
    s.bytes_written = bytes_written_.load();
    s.wait_ms = counters_.wait_ms();
    return s;
  }
  std::string Describe() const override { return pool_->location().described; }

 private:
  static constexpr T kNoEnd = ~T{0} >> 1;
  struct Pending {
    T t;
    std::string payload;
    int64_t checksum;
  };

  // Rows with start <= t < end in t order, a page at a time (keyset
  // pagination: memory stays bounded however long the log). fn's error
  // stops the scan and is returned.
  Status Scan(T start, T end, const std::function<Status(T, std::string_view, int64_t)>& fn) const {
    int64_t after = static_cast<int64_t>(start) - 1;
    for (;;) {
      std::optional<Rows> page;
      STRATA_RETURN_IF_ERROR(pool_->Run(counters_, "log read", [&](Session& s) -> Status {
        STRATA_ASSIGN_OR_RETURN(
            Rows r, s.Exec("SELECT t, payload, checksum FROM strata_log WHERE db = $1 AND t > $2 AND t < $3"
                           " ORDER BY t LIMIT 256",  // kPageRows
                           {Text(db_), Int8(after), Int8(static_cast<int64_t>(end))}));
        page.emplace(std::move(r));
        return Status::OK();
      }));
      for (int i = 0; i < page->size(); ++i) {
        after = page->int8(i, 0);
        STRATA_RETURN_IF_ERROR(fn(static_cast<T>(after), page->bytes(i, 1), page->int8(i, 2)));
      }
      if (page->size() < kPageRows) return Status::OK();
    }
  }

  Status Decode(T t, std::string_view payload, int64_t sum, bool (*keep)(EntityId), LogRecord* rec) const {
    const std::string where = "PostgreSQL strata_log db=" + db_ + " t=" + std::to_string(t);
    if (Checksum(payload) != sum) return Status::Corruption(where + ": checksum mismatch");
    Status s = DecodeLogPayload(payload, rec, keep);
    if (!s.ok()) return Status::Corruption(where + ": " + s.message());
    if (rec->t != t) return Status::Corruption(where + ": the record holds t=" + std::to_string(rec->t));
    return Status::OK();
  }

  std::shared_ptr<pg::Pool> pool_;
  const std::shared_ptr<PgLock> lock_;
  const std::string db_;
  mutable pg::Counters counters_;
  std::atomic<uint64_t> appends_{0}, syncs_{0}, bytes_written_{0};
  mutable Mutex mu_;
  std::vector<Pending> unsynced_ GUARDED_BY(mu_);  // appended, not yet synced, in t order
  T last_t_ GUARDED_BY(mu_) = 0;                   // the last appended t
  T synced_t_ GUARDED_BY(mu_) = 0;                 // the last synced t
  uint64_t size_ GUARDED_BY(mu_) = 0;
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

}  // namespace

namespace {

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
    b.log = std::make_unique<PgLog>(pool, lock);
    b.lock = std::make_unique<PgLockHandle>(std::move(lock));
  }
  b.storage = std::make_unique<PgStorage>(pool);
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
