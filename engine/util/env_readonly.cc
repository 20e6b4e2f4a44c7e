// env_readonly.cc — NewReadOnlyEnv (see env_readonly.h).

#include "util/env_readonly.h"

namespace strata {

namespace {

class ReadOnlyEnv final : public Env {
 public:
  explicit ReadOnlyEnv(Env* base) : base_(base) {}

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return Refuse("append to", path);
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return Refuse("create", path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  Result<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<uint64_t> FileSize(const std::string& path) override { return base_->FileSize(path); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override { return base_->ListDir(dir); }
  Status CreateDirs(const std::string& dir) override { return Refuse("create the folder", dir); }
  Status DeleteFile(const std::string& path) override { return Refuse("delete", path); }
  Status RenameFile(const std::string& from, const std::string&) override { return Refuse("rename", from); }
  Status Truncate(const std::string& path, uint64_t) override { return Refuse("truncate", path); }
  Status SyncDir(const std::string& dir) override { return Refuse("sync", dir); }
  Status SyncDirContents(const std::string& dir) override { return Refuse("sync", dir); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override { return Refuse("lock", path); }

 private:
  static Status Refuse(const char* what, const std::string& path) {
    return Status::InvalidArgument(std::string("opened read-only: refusing to ") + what + " " + path);
  }

  Env* const base_;
};

}  // namespace

std::unique_ptr<Env> NewReadOnlyEnv(Env* base) { return std::make_unique<ReadOnlyEnv>(base); }

}  // namespace strata
