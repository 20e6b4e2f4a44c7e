// pg_storage.cc — the PostgreSQL backend's blobs and root (NewPgStorage,
// see pg_backend.h): puts buffered until Sync or PublishRoot, written with
// multi-row upserts.

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>

#include "strata/mutex.h"
#include "storage/postgres/pg_backend.h"

namespace strata::pg {

namespace {

constexpr size_t kBatchBytes = 8u << 20;  // blob bytes per INSERT statement

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

}  // namespace

std::unique_ptr<Storage> NewPgStorage(std::shared_ptr<Pool> pool) {
  return std::make_unique<PgStorage>(std::move(pool));
}

}  // namespace strata::pg
