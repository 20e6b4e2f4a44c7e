// storage.cc — Storage backends: files through an Env, and a plain map.
//
// EnvStorage lays a database folder out as
//   dir/segments/<file name of key>   one file per blob
//   dir/root                          the root, replaced with WriteFileAtomic
// A key's file name is the key with '/' replaced by '_' ("seg/00ab" ->
// "seg_00ab"). So that List can map names back to keys, '_' and '%' in a
// key are escaped as "%5F" and "%25" (keys in use have neither). Keys that
// cannot be file names (empty, ".", "..", NUL) are InvalidArgument.
//
// Durability: Put writes and closes the file without syncing and records
// the key as pending; Sync reopens each pending file to fsync it (so no
// file handles stay open between Put and Sync, however many blobs a job
// writes), then syncs the segments folder, which also makes creations and
// deletions durable. A key re-Put while a Sync runs stays pending.
//
// Counting: every call of EnvStorage counts as one round trip in
// StorageStats, whatever its outcome, and its wall time as wait time;
// bytes count only when they moved. MemStorage makes no round trips.

#include "storage.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>

namespace strata {

namespace {

// Thread-safe counters behind StorageStats.
struct Counters {
  std::atomic<uint64_t> puts{0}, gets{0}, deletes{0}, syncs{0}, root_publishes{0};
  std::atomic<uint64_t> bytes_put{0}, bytes_got{0};
  std::atomic<uint64_t> round_trips{0}, wait_us{0};

  StorageStats Snapshot() const {
    StorageStats s;
    s.puts = puts.load(std::memory_order_relaxed);
    s.gets = gets.load(std::memory_order_relaxed);
    s.deletes = deletes.load(std::memory_order_relaxed);
    s.syncs = syncs.load(std::memory_order_relaxed);
    s.root_publishes = root_publishes.load(std::memory_order_relaxed);
    s.bytes_put = bytes_put.load(std::memory_order_relaxed);
    s.bytes_got = bytes_got.load(std::memory_order_relaxed);
    s.round_trips = round_trips.load(std::memory_order_relaxed);
    s.wait_ms = static_cast<double>(wait_us.load(std::memory_order_relaxed)) / 1000;
    return s;
  }
};

void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

// One round trip for the life of the scope, its wall time as wait time.
class RoundTrip {
 public:
  explicit RoundTrip(Counters& c) : c_(c), t0_(std::chrono::steady_clock::now()) {}
  ~RoundTrip() {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0_);
    Bump(c_.round_trips);
    Bump(c_.wait_us, static_cast<uint64_t>(us.count()));
  }

 private:
  Counters& c_;
  const std::chrono::steady_clock::time_point t0_;
};

Status CheckKey(const std::string& key) {
  if (key.empty() || key == "." || key == ".." || key.find('\0') != std::string::npos) {
    return Status::InvalidArgument("storage: invalid blob key \"" + key + "\"");
  }
  return Status::OK();
}

std::string KeyToFileName(const std::string& key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    switch (c) {
      case '/': out.push_back('_'); break;
      case '_': out.append("%5F"); break;
      case '%': out.append("%25"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

// False for names no key maps to (stray files in the folder).
bool FileNameToKey(const std::string& name, std::string* key) {
  key->clear();
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_') {
      key->push_back('/');
    } else if (c == '%') {
      const std::string_view esc = std::string_view(name).substr(i, 3);
      if (esc == "%5F") {
        key->push_back('_');
      } else if (esc == "%25") {
        key->push_back('%');
      } else {
        return false;
      }
      i += 2;
    } else {
      key->push_back(c);
    }
  }
  return !key->empty() && KeyToFileName(*key) == name;
}

class EnvStorage final : public Storage {
 public:
  EnvStorage(Env* env, std::string dir)
      : env_(env), dir_(std::move(dir)), seg_dir_(dir_ + "/segments"), root_path_(dir_ + "/root") {}

  Status Put(const std::string& key, std::string_view value) override {
    RoundTrip rt(counters_);
    Bump(counters_.puts);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    const std::string path = PathOf(key);
    Status s = [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->NewWritableFile(path));
      Status st = f->Append(value);
      Status closed = f->Close();
      return st.ok() ? closed : st;
    }();
    if (!s.ok()) {
      // A partial blob is garbage; remove it if we can (a later GC would
      // otherwise have to).
      if (env_->FileExists(path)) (void)env_->DeleteFile(path);
      return s.WithContext("storage put " + key);
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      pending_[key] = ++generation_;
    }
    Bump(counters_.bytes_put, value.size());
    return Status::OK();
  }

  Result<std::string> Get(const std::string& key) override {
    RoundTrip rt(counters_);
    Bump(counters_.gets);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    Result<std::string> r = env_->ReadFile(PathOf(key));
    if (!r.ok()) return r.status().WithContext("storage get " + key);
    Bump(counters_.bytes_got, r->size());
    return r;
  }

  Status Delete(const std::string& key) override {
    RoundTrip rt(counters_);
    Bump(counters_.deletes);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    {
      std::lock_guard<std::mutex> l(mu_);
      pending_.erase(key);
    }
    Status s = env_->DeleteFile(PathOf(key));
    if (s.IsNotFound()) return Status::OK();  // idempotent: a retried GC converges
    return s.WithContext("storage delete " + key);
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
    RoundTrip rt(counters_);
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(seg_dir_));
    std::vector<std::string> keys;
    std::string key;
    for (const std::string& name : names) {
      if (FileNameToKey(name, &key) && key.starts_with(prefix)) keys.push_back(key);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  Status Sync() override {
    RoundTrip rt(counters_);
    Bump(counters_.syncs);
    std::map<std::string, uint64_t> batch;
    {
      std::lock_guard<std::mutex> l(mu_);
      batch = pending_;
    }
    if (batch.size() > 8) {
      // Many new blobs (an indexing job): one file-system sync beats an
      // fsync per file by orders of magnitude.
      STRATA_RETURN_IF_ERROR(env_->SyncDirContents(seg_dir_).WithContext("storage sync"));
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& [key, gen] : batch) {
        auto it = pending_.find(key);
        if (it != pending_.end() && it->second == gen) pending_.erase(it);
      }
      return Status::OK();
    }
    for (const auto& entry : batch) {
      const std::string& key = entry.first;
      const std::string path = PathOf(key);
      // Reopening a file that vanished would create an empty one: the blob
      // is lost, and a root must not name it.
      if (!env_->FileExists(path)) {
        std::lock_guard<std::mutex> l(mu_);
        auto it = pending_.find(key);
        if (it != pending_.end() && it->second == entry.second) pending_.erase(it);
        return Status::IOError("storage sync " + key + ": blob vanished before it was synced");
      }
      Status s = [&]() -> Status {
        STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->NewAppendableFile(path));
        Status st = f->Sync();
        Status closed = f->Close();
        return st.ok() ? closed : st;
      }();
      if (!s.ok()) return s.WithContext("storage sync " + key);
    }
    // Creations (and deletions) become durable with the folder.
    STRATA_RETURN_IF_ERROR(env_->SyncDir(seg_dir_).WithContext("storage sync"));
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [key, gen] : batch) {
      auto it = pending_.find(key);
      if (it != pending_.end() && it->second == gen) pending_.erase(it);
    }
    return Status::OK();
  }

  Status PublishRoot(std::string_view bytes, bool durable) override {
    RoundTrip rt(counters_);
    Bump(counters_.root_publishes);
    // WriteFileAtomic uses one temporary name: writers must serialize.
    std::lock_guard<std::mutex> l(root_mu_);
    Status s = durable ? WriteFileAtomic(env_, root_path_, bytes) : WriteUnsynced(bytes);
    if (!s.ok()) return s.WithContext("storage publish root");
    Bump(counters_.bytes_put, bytes.size());
    return Status::OK();
  }

  // Write a temporary and rename it over the root, without fsync (sync
  // policy never): still atomic, not durable.
  Status WriteUnsynced(std::string_view bytes) {
    const std::string tmp = root_path_ + ".tmp";
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->NewWritableFile(tmp));
    STRATA_RETURN_IF_ERROR(f->Append(bytes));
    STRATA_RETURN_IF_ERROR(f->Close());
    return env_->RenameFile(tmp, root_path_);
  }

  Result<std::optional<std::string>> ReadRoot() override {
    RoundTrip rt(counters_);
    Result<std::string> r = env_->ReadFile(root_path_);
    if (!r.ok()) {
      if (r.status().IsNotFound()) return std::optional<std::string>();
      return r.status().WithContext("storage read root");
    }
    Bump(counters_.bytes_got, r->size());
    return std::optional<std::string>(std::move(*r));
  }

  Result<uint64_t> BytesAtRest() override {
    RoundTrip rt(counters_);
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(seg_dir_));
    uint64_t total = 0;
    std::string key;
    for (const std::string& name : names) {
      if (!FileNameToKey(name, &key)) continue;
      Result<uint64_t> size = env_->FileSize(seg_dir_ + "/" + name);
      if (size.ok()) {
        total += *size;
      } else if (!size.status().IsNotFound()) {  // deleted meanwhile: not at rest
        return size.status();
      }
    }
    Result<uint64_t> root = env_->FileSize(root_path_);
    if (root.ok()) {
      total += *root;
    } else if (!root.status().IsNotFound()) {
      return root.status();
    }
    return total;
  }

  StorageStats stats() const override { return counters_.Snapshot(); }
  std::string Describe() const override { return "file:" + dir_; }

 private:
  std::string PathOf(const std::string& key) const { return seg_dir_ + "/" + KeyToFileName(key); }

  Env* const env_;
  const std::string dir_, seg_dir_, root_path_;
  Counters counters_;
  std::mutex mu_;                             // guards pending_, generation_
  std::map<std::string, uint64_t> pending_;  // key -> generation of its last Put
  uint64_t generation_ = 0;
  std::mutex root_mu_;  // serializes PublishRoot
};

class MemStorage final : public Storage {
 public:
  Status Put(const std::string& key, std::string_view value) override {
    Bump(counters_.puts);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    std::lock_guard<std::mutex> l(mu_);
    blobs_[key] = std::string(value);
    Bump(counters_.bytes_put, value.size());
    return Status::OK();
  }

  Result<std::string> Get(const std::string& key) override {
    Bump(counters_.gets);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    std::lock_guard<std::mutex> l(mu_);
    auto it = blobs_.find(key);
    if (it == blobs_.end()) return Status::NotFound("storage get " + key + ": no such blob");
    Bump(counters_.bytes_got, it->second.size());
    return it->second;
  }

  Status Delete(const std::string& key) override {
    Bump(counters_.deletes);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    std::lock_guard<std::mutex> l(mu_);
    blobs_.erase(key);
    return Status::OK();
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> keys;
    for (auto it = blobs_.lower_bound(prefix); it != blobs_.end() && it->first.starts_with(prefix); ++it) {
      keys.push_back(it->first);
    }
    return keys;
  }

  // Memory is as durable as this backend gets.
  Status Sync() override {
    Bump(counters_.syncs);
    return Status::OK();
  }

  Status PublishRoot(std::string_view bytes, bool) override {
    Bump(counters_.root_publishes);
    std::lock_guard<std::mutex> l(mu_);
    root_ = std::string(bytes);
    Bump(counters_.bytes_put, bytes.size());
    return Status::OK();
  }

  Result<std::optional<std::string>> ReadRoot() override {
    std::lock_guard<std::mutex> l(mu_);
    if (root_) Bump(counters_.bytes_got, root_->size());
    return root_;
  }

  Result<uint64_t> BytesAtRest() override {
    std::lock_guard<std::mutex> l(mu_);
    uint64_t total = root_ ? root_->size() : 0;
    for (const auto& [key, blob] : blobs_) total += blob.size();
    return total;
  }

  StorageStats stats() const override { return counters_.Snapshot(); }
  std::string Describe() const override { return "memory"; }

 private:
  Counters counters_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> blobs_;
  std::optional<std::string> root_;
};

}  // namespace

Result<std::unique_ptr<Storage>> NewEnvStorage(Env* env, const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const std::string seg_dir = d + "/segments";
  if (!env->FileExists(seg_dir)) {
    STRATA_RETURN_IF_ERROR(env->CreateDirs(seg_dir).WithContext("storage open " + d));
    // The new folder's entry in `dir` must survive a crash before any blob
    // (and root) relies on it.
    STRATA_RETURN_IF_ERROR(env->SyncDir(d).WithContext("storage open " + d));
  }
  return std::unique_ptr<Storage>(new EnvStorage(env, d));
}

std::unique_ptr<Storage> NewMemStorage() { return std::make_unique<MemStorage>(); }

}  // namespace strata
