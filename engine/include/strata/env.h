// strata/env.h — the one environment through which all file I/O goes.
//
// The engine never calls the operating system for files directly: it asks
// an Env. Two implementations are public:
//   - Env::Default(): POSIX files.
//   - NewMemEnv(): files in memory (tests, speculative databases).
// Tests add a third, FaultInjectionEnv (engine/testing/, not part of the
// engine library), which fails chosen operations and simulates crashes.
//
// Thread safety: an Env is safe to use from many threads. A WritableFile is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends bytes at the end. On error, some prefix of `data` may have been
  // written: the caller must not acknowledge anything that depends on it.
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Bytes in the file, including unsynced ones.
  virtual uint64_t Size() const = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into *out (fewer only at end of file).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  // Opens for appending, creating the file if needed; Size() starts at the
  // current length.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // Creates or truncates.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;  // names only
  virtual Status CreateDirs(const std::string& dir) = 0;  // like mkdir -p
  virtual Status DeleteFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;  // atomic replace
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // Makes the directory's entries (creations, renames, deletions) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Makes every file in `dir` and its entries durable at once: one call for
  // thousands of new segments instead of an fsync each. The default syncs
  // file by file; POSIX uses syncfs (which flushes the whole file system).
  virtual Status SyncDirContents(const std::string& dir);
  // Takes an exclusive advisory lock on `path` for the life of the returned
  // object; Busy if another process holds it.
  virtual Result<std::unique_ptr<class FileLock>> LockFile(const std::string& path) = 0;
};

class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Writes `data` to `path` atomically and durably: write to a temporary
// file, sync it, rename over `path`, sync the directory.
Status WriteFileAtomic(Env* env, const std::string& path, std::string_view data);

std::unique_ptr<Env> NewMemEnv();

}  // namespace strata
