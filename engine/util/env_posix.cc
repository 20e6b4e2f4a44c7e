// env_posix.cc — Env::Default() over POSIX file descriptors, and
// WriteFileAtomic (which works over any Env).
//
// Errors carry the operation, the path and strerror(errno). ENOENT maps to
// NotFound (a missing file is an answer, not an I/O failure); every other
// errno is an IOError.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "strata/env.h"

namespace strata {

namespace {

Status PosixError(const std::string& op, const std::string& path, int err) {
  // std::generic_category().message is thread-safe, unlike strerror().
  std::string msg = op + " " + path + ": " + std::generic_category().message(err);
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

// Retries a syscall interrupted by a signal.
template <typename F>
auto RetryEintr(F f) {
  decltype(f()) r;
  do {
    r = f();
  } while (r < 0 && errno == EINTR);
  return r;
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::IOError("append " + path_ + ": file is closed");
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = RetryEintr([&] { return ::write(fd_, p, left); });
      if (n < 0) return PosixError("append", path_, errno);
      // A short write is not an error: keep going until the kernel refuses.
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

  Status Sync() override {
    if (fd_ < 0) return Status::IOError("sync " + path_ + ": file is closed");
#if defined(__APPLE__)
    // fsync on macOS does not reach the platter; F_FULLFSYNC does.
    if (::fcntl(fd_, F_FULLFSYNC) != 0) return PosixError("sync", path_, errno);
#elif defined(__linux__)
    if (RetryEintr([&] { return ::fdatasync(fd_); }) != 0) return PosixError("sync", path_, errno);
#else
    if (RetryEintr([&] { return ::fsync(fd_); }) != 0) return PosixError("sync", path_, errno);
#endif
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int r = ::close(fd_);
    fd_ = -1;
    // close() may report a deferred write error (NFS); never retry it.
    if (r != 0) return PosixError("close", path_, errno);
    return Status::OK();
  }

  // The size as seen through this handle; a Truncate through the Env while
  // the handle is open is not reflected (reopen after truncating).
  uint64_t Size() const override { return size_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = RetryEintr(
          [&] { return ::pread(fd_, out->data() + got, n - got, static_cast<off_t>(offset + got)); });
      if (r < 0) {
        out->clear();
        return PosixError("read", path_, errno);
      }
      if (r == 0) break;  // end of file
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::OK();
  }

  // Current length (the file may still be growing), 0 if fstat fails.
  uint64_t Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return 0;
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  // Closing the descriptor releases the flock.
  ~PosixFileLock() override { ::close(fd_); }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return OpenWritable(path, O_APPEND);
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return OpenWritable(path, O_TRUNC);
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    int fd = RetryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    int fd = RetryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return PosixError("open", path, errno);
    std::string data;
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
    char buf[64 * 1024];
    for (;;) {
      ssize_t r = RetryEintr([&] { return ::read(fd, buf, sizeof buf); });
      if (r < 0) {
        int err = errno;
        ::close(fd);
        return PosixError("read", path, err);
      }
      if (r == 0) break;
      data.append(buf, static_cast<size_t>(r));
    }
    ::close(fd);
    return data;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* ent = ::readdir(d)) {
      std::string name = ent->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
      errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return PosixError("readdir", dir, err);
    return names;
  }

  Status CreateDirs(const std::string& dir) override {
    if (dir.empty()) return Status::OK();
    // Create each prefix in turn; EEXIST is fine as long as it is a folder.
    for (size_t pos = 0; pos != std::string::npos;) {
      pos = dir.find('/', pos + 1);
      std::string prefix = dir.substr(0, pos);
      if (prefix.empty() || prefix == "/") continue;
      if (::mkdir(prefix.c_str(), 0755) != 0) {
        int err = errno;
        struct stat st;
        if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
        return PosixError("mkdir", prefix, err);
      }
    }
    return Status::OK();
  }

  Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError("rename", from + " -> " + to, errno);
    return Status::OK();
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    if (RetryEintr([&] { return ::truncate(path.c_str(), static_cast<off_t>(size)); }) != 0) {
      return PosixError("truncate", path, errno);
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = RetryEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return PosixError("open", dir, errno);
    Status s;
    if (RetryEintr([&] { return ::fsync(fd); }) != 0) s = PosixError("fsync", dir, errno);
    ::close(fd);
    return s;
  }

  Status SyncDirContents(const std::string& dir) override {
    int fd = RetryEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return PosixError("open", dir, errno);
    Status s;
    if (::syncfs(fd) != 0) s = PosixError("syncfs", dir, errno);
    else if (RetryEintr([&] { return ::fsync(fd); }) != 0) s = PosixError("fsync", dir, errno);
    ::close(fd);
    return s;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = RetryEintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); });
    if (fd < 0) return PosixError("open", path, errno);
    // flock locks belong to the open file description, so a second LockFile
    // in this same process conflicts too: one database directory, one owner.
    if (RetryEintr([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return Status::Busy("lock " + path + ": held by another owner");
      return PosixError("flock", path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

 private:
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, int mode_flag) {
    int fd =
        RetryEintr([&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | mode_flag, 0644); });
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError("fstat", path, err);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size)));
  }
};

}  // namespace

Env* Env::Default() {
  // Leaked on purpose: other static destructors may still log or flush.
  static Env* env = new PosixEnv();
  return env;
}

Status Env::SyncDirContents(const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  for (const auto& n : names) {
    const std::string path = dir + "/" + n;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, NewAppendableFile(path));
    Status s = f->Sync();
    Status c = f->Close();
    STRATA_RETURN_IF_ERROR(s);
    STRATA_RETURN_IF_ERROR(c);
  }
  return SyncDir(dir);
}

Status WriteFileAtomic(Env* env, const std::string& path, std::string_view data) {
  // A fixed temporary name: a crash leaves at most one stale temporary,
  // which the next write overwrites. Writers of one path must serialize.
  const std::string tmp = path + ".tmp";
  Status s = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(tmp));
    STRATA_RETURN_IF_ERROR(f->Append(data));
    STRATA_RETURN_IF_ERROR(f->Sync());  // data durable before the name points at it
    STRATA_RETURN_IF_ERROR(f->Close());
    STRATA_RETURN_IF_ERROR(env->RenameFile(tmp, path));
    return env->SyncDir(ParentDir(path));  // the rename itself durable
  }();
  if (!s.ok() && env->FileExists(tmp)) (void)env->DeleteFile(tmp);
  return s;
}

}  // namespace strata
