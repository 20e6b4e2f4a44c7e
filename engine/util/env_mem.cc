// env_mem.cc — NewMemEnv(): files and folders held in memory.
//
// Behaves like the POSIX Env where the engine can tell the difference, so
// code tested on it also works on disk:
//   - a file can only be created in an existing folder (CreateDirs first);
//   - missing files give NotFound, other refusals IOError, with the path;
//   - writable files append at the current end (O_APPEND): a Truncate
//     through the Env is seen by open handles, and a deleted or renamed
//     file stays usable through handles opened before;
//   - NewWritableFile truncates the existing file in place, like O_TRUNC;
//   - LockFile conflicts with any other live lock on the same path.
// Sync and SyncDir succeed and do nothing: memory is as durable as it gets
// (FaultInjectionEnv models crashes on top of this).
//
// Thread safety: the namespace is guarded by one mutex, each file's bytes by
// their own, so readers of one file do not block writers of another.

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "strata/env.h"
#include "strata/mutex.h"
#include "util/path.h"

namespace strata {

namespace {

struct MemFile {
  mutable Mutex mu;
  std::string data GUARDED_BY(mu);
};


Status Missing(const std::string& op, const std::string& path) {
  return Status::NotFound(op + " " + path + ": No such file or directory");
}

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<MemFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}

  Status Append(std::string_view data) override {
    if (closed_) return Status::IOError("append " + path_ + ": file is closed");
    MutexLock l(&file_->mu);
    file_->data.append(data);
    return Status::OK();
  }
  Status Sync() override {
    if (closed_) return Status::IOError("sync " + path_ + ": file is closed");
    return Status::OK();
  }
  Status Close() override {
    closed_ = true;
    return Status::OK();
  }
  uint64_t Size() const override {
    MutexLock l(&file_->mu);
    return file_->data.size();
  }

 private:
  std::string path_;
  std::shared_ptr<MemFile> file_;
  bool closed_ = false;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<MemFile> file) : file_(std::move(file)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    MutexLock l(&file_->mu);
    if (offset >= file_->data.size()) {
      out->clear();
    } else {
      out->assign(file_->data, static_cast<size_t>(offset), n);
    }
    return Status::OK();
  }
  uint64_t Size() const override {
    MutexLock l(&file_->mu);
    return file_->data.size();
  }

 private:
  std::shared_ptr<MemFile> file_;
};

// Shared with the locks so a lock may outlive the Env without dangling.
struct LockTable {
  Mutex mu;
  std::set<std::string> held GUARDED_BY(mu);
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<LockTable> table, std::string path)
      : table_(std::move(table)), path_(std::move(path)) {}
  ~MemFileLock() override {
    MutexLock l(&table_->mu);
    table_->held.erase(path_);
  }

 private:
  std::shared_ptr<LockTable> table_;
  std::string path_;
};

class MemEnv final : public Env {
 public:
  MemEnv() : locks_(std::make_shared<LockTable>()) {
    dirs_.insert(".");
    dirs_.insert("/");
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    MutexLock l(&mu_);
    Result<std::shared_ptr<MemFile>> f = OpenOrCreateLocked(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new MemWritableFile(path, std::move(f).value()));
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    MutexLock l(&mu_);
    Result<std::shared_ptr<MemFile>> f = OpenOrCreateLocked(path);
    if (!f.ok()) return f.status();
    {
      // Truncate in place: handles opened earlier see it, as with O_TRUNC.
      MutexLock fl(&(*f)->mu);
      (*f)->data.clear();
    }
    return std::unique_ptr<WritableFile>(new MemWritableFile(path, std::move(f).value()));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    MutexLock l(&mu_);
    auto it = files_.find(NormalizePath(path));
    if (it == files_.end()) return Missing("open", path);
    return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(it->second));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    std::shared_ptr<MemFile> f;
    {
      MutexLock l(&mu_);
      auto it = files_.find(NormalizePath(path));
      if (it == files_.end()) return Missing("open", path);
      f = it->second;
    }
    MutexLock fl(&f->mu);
    return f->data;
  }

  bool FileExists(const std::string& path) override {
    MutexLock l(&mu_);
    std::string p = NormalizePath(path);
    return files_.count(p) > 0 || dirs_.count(p) > 0;
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    MutexLock l(&mu_);
    std::string p = NormalizePath(path);
    auto it = files_.find(p);
    if (it == files_.end()) {
      if (dirs_.count(p)) return uint64_t{0};
      return Missing("stat", path);
    }
    MutexLock fl(&it->second->mu);
    return static_cast<uint64_t>(it->second->data.size());
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    MutexLock l(&mu_);
    std::string d = NormalizePath(dir);
    if (!dirs_.count(d)) {
      if (files_.count(d)) return Status::IOError("opendir " + dir + ": Not a directory");
      return Missing("opendir", dir);
    }
    std::vector<std::string> names;
    for (const auto& [p, f] : files_) {
      if (ParentOf(p) == d) names.push_back(BaseName(p));
    }
    for (const std::string& p : dirs_) {
      if (p != d && p != "." && p != "/" && ParentOf(p) == d) names.push_back(BaseName(p));
    }
    return names;
  }

  Status CreateDirs(const std::string& dir) override {
    MutexLock l(&mu_);
    std::string d = NormalizePath(dir);
    for (size_t pos = 0; pos != std::string::npos;) {
      pos = d.find('/', pos + 1);
      std::string prefix = d.substr(0, pos);
      if (prefix.empty() || dirs_.count(prefix)) continue;
      if (files_.count(prefix)) return Status::IOError("mkdir " + prefix + ": File exists");
      dirs_.insert(prefix);
    }
    return Status::OK();
  }

  Status DeleteFile(const std::string& path) override {
    MutexLock l(&mu_);
    std::string p = NormalizePath(path);
    if (dirs_.count(p)) return Status::IOError("unlink " + path + ": Is a directory");
    if (files_.erase(p) == 0) return Missing("unlink", path);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    MutexLock l(&mu_);
    std::string f = NormalizePath(from), t = NormalizePath(to);
    const std::string what = from + " -> " + to;
    auto it = files_.find(f);
    if (it == files_.end()) {
      if (dirs_.count(f)) return Status::IOError("rename " + what + ": renaming folders is not supported");
      return Missing("rename", what);
    }
    if (dirs_.count(t)) return Status::IOError("rename " + what + ": Is a directory");
    if (!dirs_.count(ParentOf(t))) return Missing("rename", what);
    if (f == t) return Status::OK();
    std::shared_ptr<MemFile> file = it->second;
    files_.erase(it);
    files_[t] = std::move(file);  // replaces any existing target atomically
    return Status::OK();
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    MutexLock l(&mu_);
    auto it = files_.find(NormalizePath(path));
    if (it == files_.end()) return Missing("truncate", path);
    MutexLock fl(&it->second->mu);
    it->second->data.resize(static_cast<size_t>(size), '\0');  // grows with zeros, like ftruncate
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    MutexLock l(&mu_);
    if (!dirs_.count(NormalizePath(dir))) return Missing("open", dir);
    return Status::OK();
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    MutexLock l(&mu_);
    Result<std::shared_ptr<MemFile>> f = OpenOrCreateLocked(path);  // a lock file exists, like O_CREAT
    if (!f.ok()) return f.status();
    std::string p = NormalizePath(path);
    MutexLock ll(&locks_->mu);
    if (!locks_->held.insert(p).second) return Status::Busy("lock " + path + ": held by another owner");
    return std::unique_ptr<FileLock>(new MemFileLock(locks_, p));
  }

 private:
  Result<std::shared_ptr<MemFile>> OpenOrCreateLocked(const std::string& path) REQUIRES(mu_) {
    std::string p = NormalizePath(path);
    auto it = files_.find(p);
    if (it != files_.end()) return it->second;
    if (dirs_.count(p)) return Status::IOError("open " + path + ": Is a directory");
    if (!dirs_.count(ParentOf(p))) return Missing("open", path);
    auto f = std::make_shared<MemFile>();
    files_[p] = f;
    return f;
  }

  Mutex mu_;
  std::map<std::string, std::shared_ptr<MemFile>> files_ GUARDED_BY(mu_);  // by normalized path
  std::set<std::string> dirs_ GUARDED_BY(mu_);                            // normalized; "." and "/" always
  std::shared_ptr<LockTable> locks_;
};

}  // namespace

std::unique_ptr<Env> NewMemEnv() { return std::make_unique<MemEnv>(); }

}  // namespace strata
