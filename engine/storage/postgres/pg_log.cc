// pg_log.cc — the PostgreSQL backend's log (NewPgLog, see pg_backend.h):
// appends buffered until Sync, recovery streaming the rows in pages.

#include <atomic>
#include <mutex>

#include "strata/mutex.h"
#include "storage/postgres/pg_backend.h"

namespace strata::pg {

namespace {

constexpr int kPageRows = 256;             // log rows per SELECT when streaming (in Scan's SQL)
// Record bytes per INSERT of a sync (a record over it goes alone; records
// are at most kMaxLogPayloadBytes, under PostgreSQL's 1 GB limit).
constexpr size_t kSyncBatchBytes = 64u << 20;

class PgLog final : public LogStore {
 public:
  PgLog(std::shared_ptr<pg::Pool> pool, std::shared_ptr<PgLock> lock)
      : pool_(std::move(pool)), lock_(std::move(lock)), db_(pool_->location().db) {}

  Result<LogReadResult> Recover(RecoveryMode mode, const std::function<Status(LogRecord&&)>& fn,
                                LogSkim skim) override {
    if (!lock_) return Status::Aborted("log " + db_ + " is open for reading only");
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
    if ((st.ok() || !bad.empty()) && skim.must_reach && last_t < skim.through_t)
      return LogBelowBasis("log " + db_, last_t, res.valid_bytes, skim.through_t);
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

  Result<LogReadResult> Read(const std::function<Status(LogRecord&&)>& fn, LogSkim skim) const override {
    // Rows are committed whole: nothing is ever half written.
    LogReadResult res;
    T last_t = 0;
    STRATA_RETURN_IF_ERROR(Scan(0, kNoEnd, [&](T t, std::string_view payload, int64_t sum) -> Status {
      LogRecord rec;
      STRATA_RETURN_IF_ERROR(Decode(t, payload, sum, t <= skim.through_t ? skim.keep : nullptr, &rec));
      res.records++;
      res.valid_bytes += payload.size();
      last_t = t;
      return fn(std::move(rec));
    }));
    res.file_bytes = res.valid_bytes;
    if (skim.must_reach && last_t < skim.through_t)
      return LogBelowBasis("log " + db_, last_t, res.valid_bytes, skim.through_t);
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
    if (!lock_) return Status::Aborted("log " + db_ + " is open for reading only");
    MutexLock l(&mu_);
    if (rec.t <= last_t_)
      return Status::InvalidArgument("log " + db_ + ": append of t=" + std::to_string(rec.t) + " after t=" +
                                     std::to_string(last_t_));
    Pending p{rec.t, EncodeLogPayload(rec), 0};
    // Nothing buffered: the transaction is refused before it commits.
    if (p.payload.size() > kMaxLogPayloadBytes) return LogPayloadTooLarge(p.payload.size());
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
    if (!lock_) return Status::Aborted("log " + db_ + " is open for reading only");
    Status s = lock_->Check(counters_);
    if (s.ok()) {
      // PostgreSQL refuses a field or message over 1 GB, so the records go
      // in statements of at most kSyncBatchBytes (a record over it alone),
      // in one transaction when there are several: still all or nothing.
      std::vector<size_t> starts{0};
      for (size_t i = 0, bytes = 0; i < payloads.size(); ++i) {
        if (bytes > 0 && bytes + payloads[i].size() > kSyncBatchBytes) {
          starts.push_back(i);
          bytes = 0;
        }
        bytes += payloads[i].size();
      }
      starts.push_back(payloads.size());
      const bool transaction = starts.size() > 2;
      int64_t conflict = -1;
      s = pool_->Run(counters_, "log sync", [&](Session& ss) -> Status {
        conflict = -1;
        if (transaction) STRATA_RETURN_IF_ERROR(ss.Exec("BEGIN").status());
        for (size_t b = 0; b + 1 < starts.size(); ++b) {
          const auto lo = static_cast<ptrdiff_t>(starts[b]), hi = static_cast<ptrdiff_t>(starts[b + 1]);
          const std::vector<Param> params = {
              Text(db_), pg::Int8Array(std::vector<int64_t>(ts.begin() + lo, ts.begin() + hi)),
              pg::ByteaArray(std::vector<std::string_view>(payloads.begin() + lo, payloads.begin() + hi)),
              pg::Int8Array(std::vector<int64_t>(sums.begin() + lo, sums.begin() + hi))};
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
          if (!r.null(0, 1)) {
            conflict = r.int8(0, 1);
            // Earlier statements of this sync are rolled back (RunWithRetry).
            if (transaction) return Status::Aborted("conflict");
            return Status::OK();
          }
        }
        if (transaction) STRATA_RETURN_IF_ERROR(ss.Exec("COMMIT").status());
        return Status::OK();
      });
      if (conflict >= 0) s = Status::OK();  // reported below
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
    if (!lock_) return Status::Aborted("log " + db_ + " is open for reading only");
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

  bool writable() const override { return lock_ && lock_->held(); }
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

}  // namespace

std::unique_ptr<LogStore> NewPgLog(std::shared_ptr<Pool> pool, std::shared_ptr<PgLock> lock) {
  return std::make_unique<PgLog>(std::move(pool), std::move(lock));
}

}  // namespace strata::pg
