// fault_injection_env.h — an Env that fails on purpose (tests only).
//
// FaultInjectionEnv wraps another Env; it fails chosen operation kinds with
// EIO/ENOSPC, makes short writes, and simulates a crash by dropping every
// byte that was not synced (and every file created or renamed since the
// last directory sync). It also fails or corrupts a chosen fraction of reads
// (SetReadFaults), deterministically for a seed: the read-fault storage of
// the property suite. It lives in the strata_testing library, which only
// test programs link.
//
// Thread safety: like every Env, safe to use from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/env.h"

namespace strata {

// Operation kinds a FaultInjectionEnv can fail.
enum class FaultOp : uint8_t { kWrite, kSync, kRename, kRead, kCreate, kDelete };

// Which reads go wrong, and how. Each RandomAccessFile::Read and ReadFile of
// a path containing `path_part` draws a number from a hash of (seed, the
// read's sequence number): below fail_fraction the read fails with an
// IOError (EIO); below fail_fraction + corrupt_fraction it succeeds with one
// bit of the returned bytes flipped (the bytes on disk are untouched).
struct ReadFaultSpec {
  double fail_fraction = 0;
  double corrupt_fraction = 0;
  uint64_t seed = 1;
  std::string path_part;  // "" = every path; e.g. "/packs/" for segments only
};

class FaultInjectionEnv : public Env {
 public:
  // `base` must outlive this object.
  explicit FaultInjectionEnv(Env* base);
  ~FaultInjectionEnv() override;

  // From now on, operations of kind `op` fail with `error` (an IOError whose
  // message says EIO or ENOSPC) — after `after` more successful ones.
  void FailOp(FaultOp op, bool enospc = false, int after = 0);
  // The next Append writes only the first `bytes` bytes, then fails.
  void ShortWriteNext(size_t bytes);
  // Starts failing and corrupting reads as `spec` says (until ClearFaults
  // or another call).
  void SetReadFaults(const ReadFaultSpec& spec);
  // How many reads were failed, and how many corrupted, so far.
  uint64_t ReadsFailed() const;
  uint64_t ReadsCorrupted() const;
  // Clears every fault, read faults included.
  void ClearFaults();
  // Simulated crash: every file loses the bytes appended since its last
  // Sync, files created since the last SyncDir of their folder disappear,
  // and renames not followed by SyncDir are undone. Open WritableFiles are
  // invalidated (their further operations fail).
  Status DropUnsyncedData();
  // How many operations of a kind have run (successful or not).
  uint64_t Count(FaultOp op) const;

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Result<std::string> ReadFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status DeleteFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Status SyncDirContents(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

 private:
  struct State;
  std::shared_ptr<State> state_;
  Env* base_;
};

}  // namespace strata
