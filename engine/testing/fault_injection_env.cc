// fault_injection_env.cc — FaultInjectionEnv: injected I/O errors and
// simulated crashes over any base Env.
//
// Crash model (DropUnsyncedData), deliberately simple:
//   - Every file the wrapper has seen has a "synced size": the bytes that a
//     Sync made durable. A crash truncates the file to it. A file that
//     existed before the wrapper first saw it counts as fully synced; a
//     file opened with NewWritableFile (O_TRUNC) starts at synced size 0.
//     Truncate lowers the synced size if it cuts below it.
//   - A file created through the wrapper is "pending" until SyncDir of its
//     parent folder; a crash deletes pending files, synced or not.
//   - RenameFile(from, to) is pending until SyncDir of the parent of `to`.
//     A crash undoes pending renames, newest first: `to` gets back the
//     durable (synced) content it had before the rename, or disappears if
//     it did not exist (or was itself pending); the renamed file reappears
//     under `from` with its synced bytes, unless it was pending itself (the
//     usual write-temp-then-rename case, where the temporary simply
//     vanishes).
//   - Not modelled: deletions (durable at once), folder creation, and writes
//     through a handle whose file was renamed after it was opened (its
//     Sync does not move the synced size of the new name).
// After a crash, WritableFiles opened before it fail every operation: the
// process that held them is gone.
//
// Faults: FailOp(kind) makes operations of that kind fail with an IOError
// whose message ends in "(EIO)" or "(ENOSPC)" after `after` more successes,
// until ClearFaults. Kinds: kWrite = WritableFile::Append and Env::Truncate;
// kSync = WritableFile::Sync and SyncDir; kRename = RenameFile; kRead =
// NewRandomAccessFile, RandomAccessFile::Read and ReadFile; kCreate =
// NewWritableFile, NewAppendableFile and CreateDirs; kDelete = DeleteFile.
// FileExists, FileSize, ListDir, Close and LockFile are never failed or
// counted. Read faults (SetReadFaults) come on top: a read that passed its
// FailOp check may still fail (EIO) or return flipped bits, as a hash of
// (seed, read number) decides; opening a file is never a read fault.
//
// Thread safety: one mutex serializes every operation through the wrapper;
// fine for tests, which is all this is for.

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "testing/fault_injection_env.h"

#include "strata/mutex.h"
#include "util/path.h"

namespace strata {

namespace {

constexpr int kFaultKinds = 6;


struct FileState {
  uint64_t synced = 0;   // bytes a crash keeps
  bool pending = false;  // created since the last SyncDir of its folder
};

struct PendingRename {
  std::string from, to;      // normalized
  bool had_target = false;   // `to` held durable content before the rename
  std::string target_bytes;  // that content, restored by a crash
};

struct Fault {
  bool active = false;
  bool enospc = false;
  int after = 0;
};

Status OverwriteFile(Env* env, const std::string& path, const std::string& data) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path));
  STRATA_RETURN_IF_ERROR(f->Append(data));
  return f->Close();
}

}  // namespace

// Everything a wrapper and its open files share. Lives outside the class so
// the file wrappers below can name it (FaultInjectionEnv::State is private);
// State just derives from it.
namespace fault_internal {

struct SharedState {
  explicit SharedState(Env* b) : base(b) {}

  Mutex mu;
  Env* const base;
  std::map<std::string, FileState> files GUARDED_BY(mu);  // by normalized path
  std::vector<PendingRename> renames GUARDED_BY(mu);      // oldest first
  Fault faults[kFaultKinds] GUARDED_BY(mu);
  uint64_t counts[kFaultKinds] GUARDED_BY(mu) = {};
  std::optional<size_t> short_write GUARDED_BY(mu);
  uint64_t epoch GUARDED_BY(mu) = 0;  // bumped by every simulated crash
  std::optional<ReadFaultSpec> read_faults GUARDED_BY(mu);
  uint64_t reads_drawn GUARDED_BY(mu) = 0;
  uint64_t reads_failed GUARDED_BY(mu) = 0, reads_corrupted GUARDED_BY(mu) = 0;

  // The read fault for one read of `path`: an error, or a bit to flip in
  // the `n` bytes read (nullopt: none). Deterministic per (seed, draw).
  Status DrawReadFault(const std::string& path, size_t n, std::optional<uint64_t>* flip_bit) REQUIRES(mu) {
    flip_bit->reset();
    if (!read_faults || path.find(read_faults->path_part) == std::string::npos) return Status::OK();
    const uint64_t h = Mix(read_faults->seed * 0x9E3779B97F4A7C15ULL + ++reads_drawn);
    const double u = static_cast<double>(h >> 11) / static_cast<double>(uint64_t{1} << 53);
    if (u < read_faults->fail_fraction) {
      ++reads_failed;
      return Status::IOError("read " + path + ": injected read fault: Input/output error (EIO)");
    }
    if (u < read_faults->fail_fraction + read_faults->corrupt_fraction && n > 0) {
      ++reads_corrupted;
      *flip_bit = Mix(h) % (uint64_t{n} * 8);
    }
    return Status::OK();
  }

  static uint64_t Mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  }

  // Counts one operation of kind `op`; returns the injected
  // error if that kind is failing now. `what` is "<op> <path>".
  Status Check(FaultOp op, const std::string& what) REQUIRES(mu) {
    const auto i = static_cast<size_t>(op);
    ++counts[i];
    Fault& f = faults[i];
    if (!f.active) return Status::OK();
    if (f.after > 0) {
      --f.after;
      return Status::OK();
    }
    return Status::IOError(what + ": injected fault: " +
                           (f.enospc ? "No space left on device (ENOSPC)" : "Input/output error (EIO)"));
  }

  // Remembers a file the wrapper has not seen as durable.
  void TrackExisting(const std::string& norm, uint64_t size) REQUIRES(mu) {
    files.try_emplace(norm, FileState{size, false});
  }
};

}  // namespace fault_internal

struct FaultInjectionEnv::State : fault_internal::SharedState {
  using SharedState::SharedState;
};

namespace {

using fault_internal::SharedState;

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(std::shared_ptr<SharedState> st, std::string path, std::string norm,
                    std::unique_ptr<WritableFile> base, uint64_t epoch)
      : st_(std::move(st)),
        path_(std::move(path)),
        norm_(std::move(norm)),
        base_(std::move(base)),
        epoch_(epoch) {}

  Status Append(std::string_view data) override {
    MutexLock l(&st_->mu);
    const std::string what = "append " + path_;
    STRATA_RETURN_IF_ERROR(Alive(what));
    STRATA_RETURN_IF_ERROR(st_->Check(FaultOp::kWrite, what));
    if (st_->short_write) {
      const size_t n = std::min(*st_->short_write, data.size());
      st_->short_write.reset();
      STRATA_RETURN_IF_ERROR(base_->Append(data.substr(0, n)));
      return Status::IOError(what + ": injected short write of " + std::to_string(n) + " of " +
                             std::to_string(data.size()) + " bytes: No space left on device (ENOSPC)");
    }
    return base_->Append(data);
  }

  Status Sync() override {
    MutexLock l(&st_->mu);
    const std::string what = "sync " + path_;
    STRATA_RETURN_IF_ERROR(Alive(what));
    STRATA_RETURN_IF_ERROR(st_->Check(FaultOp::kSync, what));
    STRATA_RETURN_IF_ERROR(base_->Sync());
    auto it = st_->files.find(norm_);
    if (it != st_->files.end()) it->second.synced = base_->Size();
    return Status::OK();
  }

  Status Close() override {
    MutexLock l(&st_->mu);
    return base_->Close();
  }

  uint64_t Size() const override { return base_->Size(); }

 private:
  Status Alive(const std::string& what) const REQUIRES(st_->mu) {
    if (epoch_ != st_->epoch) return Status::IOError(what + ": file handle lost in a simulated crash");
    return Status::OK();
  }

  std::shared_ptr<SharedState> st_;
  std::string path_, norm_;
  std::unique_ptr<WritableFile> base_;
  uint64_t epoch_;
};

class FaultRandomAccessFile final : public RandomAccessFile {
 public:
  FaultRandomAccessFile(std::shared_ptr<SharedState> st, std::string path,
                        std::unique_ptr<RandomAccessFile> base)
      : st_(std::move(st)), path_(std::move(path)), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    std::optional<uint64_t> flip;
    {
      MutexLock l(&st_->mu);
      STRATA_RETURN_IF_ERROR(st_->Check(FaultOp::kRead, "read " + path_));
      STRATA_RETURN_IF_ERROR(st_->DrawReadFault(path_, n, &flip));
    }
    STRATA_RETURN_IF_ERROR(base_->Read(offset, n, out));
    if (flip && *flip / 8 < out->size()) (*out)[*flip / 8] ^= static_cast<char>(1u << (*flip % 8));
    return Status::OK();
  }
  uint64_t Size() const override { return base_->Size(); }

 private:
  std::shared_ptr<SharedState> st_;
  std::string path_;
  std::unique_ptr<RandomAccessFile> base_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(Env* base) : state_(std::make_shared<State>(base)), base_(base) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::FailOp(FaultOp op, bool enospc, int after) {
  MutexLock l(&state_->mu);
  state_->faults[static_cast<size_t>(op)] = Fault{true, enospc, after < 0 ? 0 : after};
}

void FaultInjectionEnv::ShortWriteNext(size_t bytes) {
  MutexLock l(&state_->mu);
  state_->short_write = bytes;
}

void FaultInjectionEnv::ClearFaults() {
  MutexLock l(&state_->mu);
  for (Fault& f : state_->faults) f = Fault{};
  state_->short_write.reset();
  state_->read_faults.reset();
}

void FaultInjectionEnv::SetReadFaults(const ReadFaultSpec& spec) {
  MutexLock l(&state_->mu);
  state_->read_faults = spec;
  state_->reads_drawn = 0;
}

uint64_t FaultInjectionEnv::ReadsFailed() const {
  MutexLock l(&state_->mu);
  return state_->reads_failed;
}

uint64_t FaultInjectionEnv::ReadsCorrupted() const {
  MutexLock l(&state_->mu);
  return state_->reads_corrupted;
}

uint64_t FaultInjectionEnv::Count(FaultOp op) const {
  MutexLock l(&state_->mu);
  return state_->counts[static_cast<size_t>(op)];
}

Status FaultInjectionEnv::DropUnsyncedData() {
  State& st = *state_;
  MutexLock l(&st.mu);
  ++st.epoch;
  Status first;
  auto note = [&first](const Status& s) {
    if (first.ok() && !s.ok()) first = s;
  };

  // Undo pending renames, newest first, so chains unwind in order.
  for (auto r = st.renames.rbegin(); r != st.renames.rend(); ++r) {
    auto it = st.files.find(r->to);
    if (it != st.files.end() && base_->FileExists(r->to)) {
      if (!it->second.pending) {
        // The renamed file was durable under its old name: it comes back.
        Result<std::string> data = base_->ReadFile(r->to);
        note(data.status());
        if (data.ok()) {
          data->resize(std::min<uint64_t>(data->size(), it->second.synced));
          note(OverwriteFile(base_, r->from, *data));
          st.files[r->from] = FileState{data->size(), false};
        }
      }
    }
    if (r->had_target) {
      note(OverwriteFile(base_, r->to, r->target_bytes));
      st.files[r->to] = FileState{r->target_bytes.size(), false};
    } else {
      if (base_->FileExists(r->to)) note(base_->DeleteFile(r->to));
      st.files.erase(r->to);
    }
  }
  st.renames.clear();

  // Then every file loses what was never made durable.
  for (auto it = st.files.begin(); it != st.files.end();) {
    const std::string& path = it->first;
    if (!base_->FileExists(path)) {
      it = st.files.erase(it);
      continue;
    }
    if (it->second.pending) {
      note(base_->DeleteFile(path));
      it = st.files.erase(it);
      continue;
    }
    Result<uint64_t> size = base_->FileSize(path);
    note(size.status());
    if (size.ok() && *size > it->second.synced) note(base_->Truncate(path, it->second.synced));
    ++it;
  }
  return first;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(const std::string& path) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kCreate, "open " + path));
  const std::string norm = NormalizePath(path);
  const bool existed = base_->FileExists(path);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, base_->NewAppendableFile(path));
  if (existed) {
    state_->TrackExisting(norm, f->Size());
  } else {
    state_->files[norm] = FileState{0, true};
  }
  return std::unique_ptr<WritableFile>(
      new FaultWritableFile(state_, path, norm, std::move(f), state_->epoch));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kCreate, "open " + path));
  const std::string norm = NormalizePath(path);
  const bool existed = base_->FileExists(path);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, base_->NewWritableFile(path));
  // The truncation is not durable until a Sync; assume the worst (empty).
  FileState& fs = state_->files[norm];
  fs.synced = 0;
  if (!existed) fs.pending = true;
  return std::unique_ptr<WritableFile>(
      new FaultWritableFile(state_, path, norm, std::move(f), state_->epoch));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(const std::string& path) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kRead, "open " + path));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, base_->NewRandomAccessFile(path));
  return std::unique_ptr<RandomAccessFile>(new FaultRandomAccessFile(state_, path, std::move(f)));
}

Result<std::string> FaultInjectionEnv::ReadFile(const std::string& path) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kRead, "read " + path));
  std::optional<uint64_t> flip;
  STRATA_ASSIGN_OR_RETURN(std::string data, base_->ReadFile(path));
  STRATA_RETURN_IF_ERROR(state_->DrawReadFault(path, data.size(), &flip));
  if (flip) data[*flip / 8] ^= static_cast<char>(1u << (*flip % 8));
  return data;
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Result<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) { return base_->FileSize(path); }

Result<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  return base_->ListDir(dir);
}

Status FaultInjectionEnv::CreateDirs(const std::string& dir) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kCreate, "mkdir " + dir));
  return base_->CreateDirs(dir);
}

Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kDelete, "unlink " + path));
  STRATA_RETURN_IF_ERROR(base_->DeleteFile(path));
  state_->files.erase(NormalizePath(path));
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kRename, "rename " + from + " -> " + to));
  const std::string nf = NormalizePath(from), nt = NormalizePath(to);
  if (nf == nt) return base_->RenameFile(from, to);

  // Capture what a crash must restore at `to` before it is replaced.
  PendingRename pr{nf, nt, false, {}};
  if (base_->FileExists(to)) {
    auto it = state_->files.find(nt);
    if (it == state_->files.end() || !it->second.pending) {
      STRATA_ASSIGN_OR_RETURN(std::string old, base_->ReadFile(to));
      if (it != state_->files.end()) old.resize(std::min<uint64_t>(old.size(), it->second.synced));
      pr.had_target = true;
      pr.target_bytes = std::move(old);
    }
  }
  // The source's durability state travels with it.
  FileState moved;
  auto src = state_->files.find(nf);
  if (src != state_->files.end()) {
    moved = src->second;
  } else {
    Result<uint64_t> size = base_->FileSize(from);
    moved = FileState{size.ok() ? *size : 0, false};
  }

  STRATA_RETURN_IF_ERROR(base_->RenameFile(from, to));
  state_->files.erase(nf);
  state_->files[nt] = moved;
  state_->renames.push_back(std::move(pr));
  return Status::OK();
}

Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kWrite, "truncate " + path));
  STRATA_RETURN_IF_ERROR(base_->Truncate(path, size));
  auto it = state_->files.find(NormalizePath(path));
  if (it != state_->files.end()) it->second.synced = std::min(it->second.synced, size);
  return Status::OK();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kSync, "fsync " + dir));
  STRATA_RETURN_IF_ERROR(base_->SyncDir(dir));
  const std::string d = NormalizePath(dir);
  for (auto& [path, fs] : state_->files) {
    if (ParentOf(path) == d) fs.pending = false;
  }
  std::erase_if(state_->renames, [&](const PendingRename& r) { return ParentOf(r.to) == d; });
  return Status::OK();
}

Status FaultInjectionEnv::SyncDirContents(const std::string& dir) {
  MutexLock l(&state_->mu);
  STRATA_RETURN_IF_ERROR(state_->Check(FaultOp::kSync, "syncfs " + dir));
  STRATA_RETURN_IF_ERROR(base_->SyncDirContents(dir));
  const std::string d = NormalizePath(dir);
  for (auto& [path, fs] : state_->files) {
    if (ParentOf(path) != d) continue;
    fs.pending = false;
    auto size = base_->FileSize(path);
    if (size.ok()) fs.synced = *size;
  }
  std::erase_if(state_->renames, [&](const PendingRename& r) { return ParentOf(r.to) == d; });
  return Status::OK();
}

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

}  // namespace strata
