// pack_storage.cc — the folder backend's Storage interface, its reads and
// its index (see pack_storage.h for the design).

#include "strata/mutex.h"
#include "storage/folder/pack_storage.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace strata {
namespace folder {

Status EnvStorage::Put(const std::string& key, std::string_view value) {
  RoundTrip rt(counters_);
  Bump(counters_.puts);
  STRATA_RETURN_IF_ERROR(CheckKey(key));
  STRATA_RETURN_IF_ERROR(Writable("put " + key));
  if (key.size() > kMaxKey || value.size() > kMaxValue)
    return Status::InvalidArgument("storage put " + key + ": key or value too long for a pack record");
  std::string rec;
  rec.reserve(kHeaderSize + key.size() + value.size());
  pack::EncodeRecord(&rec, kPut, key, value);
  MutexLock w(&write_mu_);
  Result<uint64_t> at = Append(rec);
  if (!at.ok()) return at.status().WithContext("storage put " + key);
  {
    MutexLock l(&mu_);
    ApplyPut(key, Loc{current_seq_, *at, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())});
    packs_[current_seq_].end = current_size_;
  }
  Bump(counters_.bytes_put, value.size());
  return Status::OK();
}

Result<std::string> EnvStorage::Get(const std::string& key) {
  RoundTrip rt(counters_);
  Bump(counters_.gets);
  STRATA_RETURN_IF_ERROR(CheckKey(key));
  Result<std::string> r = Read(key);
  if (r.ok()) Bump(counters_.bytes_got, r->size());
  return r;
}

Status EnvStorage::Delete(const std::string& key) {
  RoundTrip rt(counters_);
  Bump(counters_.deletes);
  return DeleteKeys({key});
}

Status EnvStorage::DeleteMany(const std::vector<std::string>& keys) {
  RoundTrip rt(counters_);
  Bump(counters_.deletes, keys.size());
  return DeleteKeys(keys);
}

Result<std::vector<std::string>> EnvStorage::List(const std::string& prefix) {
  RoundTrip rt(counters_);
  if (options_.read_only) STRATA_RETURN_IF_ERROR(Rescan().WithContext("storage list"));
  MutexLock l(&mu_);
  std::vector<std::string> keys;
  for (auto it = index_.lower_bound(prefix); it != index_.end() && it->first.starts_with(prefix); ++it) {
    keys.push_back(it->first);
  }
  const size_t from_packs = keys.size();
  for (auto it = legacy_.lower_bound(prefix); it != legacy_.end() && it->starts_with(prefix); ++it) {
    if (!index_.count(*it)) keys.push_back(*it);
  }
  if (keys.size() > from_packs) std::sort(keys.begin(), keys.end());
  return keys;
}

Status EnvStorage::Sync() {
  RoundTrip rt(counters_);
  Bump(counters_.syncs);
  if (options_.read_only) return Status::OK();
  MutexLock w(&write_mu_);
  return SyncLocked().WithContext("storage sync");
}

Status EnvStorage::PublishRoot(std::string_view bytes, bool durable) {
  RoundTrip rt(counters_);
  Bump(counters_.root_publishes);
  STRATA_RETURN_IF_ERROR(Writable("publish root"));
  // WriteFileAtomic uses one temporary name: writers must serialize.
  MutexLock l(&root_mu_);
  Status s = durable ? WriteFileAtomic(env_, root_path_, bytes) : WriteUnsynced(bytes);
  if (!s.ok()) return s.WithContext("storage publish root");
  Bump(counters_.bytes_put, bytes.size());
  return Status::OK();
}

Result<std::optional<std::string>> EnvStorage::ReadRoot() {
  RoundTrip rt(counters_);
  Result<std::string> r = env_->ReadFile(root_path_);
  if (!r.ok()) {
    if (r.status().IsNotFound()) return std::optional<std::string>();
    return r.status().WithContext("storage read root");
  }
  Bump(counters_.bytes_got, r->size());
  return std::optional<std::string>(std::move(*r));
}

Result<uint64_t> EnvStorage::BytesAtRest() {
  RoundTrip rt(counters_);
  uint64_t total = 0;
  uint64_t seq;
  std::string key;
  for (const std::string& dir : {packs_dir_, legacy_dir_}) {
    if (!env_->FileExists(dir)) continue;
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir));
    for (const std::string& name : names) {
      if (dir == packs_dir_ ? !ParsePackName(name, &seq) : !FileNameToKey(name, &key)) continue;
      STRATA_RETURN_IF_ERROR(AddSize(dir + "/" + name, &total));
    }
  }
  STRATA_RETURN_IF_ERROR(AddSize(root_path_, &total));
  return total;
}

Result<BlobLocation> EnvStorage::Locate(const std::string& key) {
  MutexLock l(&mu_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    const Loc& loc = it->second;
    return BlobLocation{PackPath(loc.pack), loc.offset + kHeaderSize + loc.key_len, loc.value_len};
  }
  if (legacy_.count(key)) {
    const std::string path = LegacyPath(key);
    STRATA_ASSIGN_OR_RETURN(uint64_t size, env_->FileSize(path));
    return BlobLocation{path, 0, size};
  }
  return Status::NotFound("storage locate " + key + ": no such blob");
}

Status EnvStorage::AddSize(const std::string& path, uint64_t* total) {
  Result<uint64_t> size = env_->FileSize(path);
  if (size.ok()) {
    *total += *size;
  } else if (!size.status().IsNotFound()) {  // deleted meanwhile: not at rest
    return size.status();
  }
  return Status::OK();
}

Status EnvStorage::WriteUnsynced(std::string_view bytes) {
  const std::string tmp = root_path_ + ".tmp";
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->NewWritableFile(tmp));
  STRATA_RETURN_IF_ERROR(f->Append(bytes));
  STRATA_RETURN_IF_ERROR(f->Close());
  return env_->RenameFile(tmp, root_path_);
}

void EnvStorage::ApplyPut(const std::string& key, const Loc& loc) {
  auto [it, inserted] = index_.try_emplace(key, loc);
  if (!inserted) {
    Unlive(it->second);
    it->second = loc;
  }
  packs_[loc.pack].live += loc.size();
}

void EnvStorage::ApplyDelete(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  Unlive(it->second);
  index_.erase(it);
}

Result<std::shared_ptr<const RandomAccessFile>> EnvStorage::PackFile(uint64_t seq) {
  {
    MutexLock l(&mu_);
    auto p = packs_.find(seq);
    if (p != packs_.end() && p->second.file) return p->second.file;
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, env_->NewRandomAccessFile(PackPath(seq)));
  std::shared_ptr<const RandomAccessFile> shared(std::move(f));
  MutexLock l(&mu_);
  auto p = packs_.find(seq);
  if (p == packs_.end()) return shared;  // compacted meanwhile: use it once
  if (!p->second.file) p->second.file = shared;
  return p->second.file;
}

Result<std::string> EnvStorage::ReadRecord(const Loc& loc, const std::string& key) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RandomAccessFile> file, PackFile(loc.pack));
  std::string rec;
  STRATA_RETURN_IF_ERROR(file->Read(loc.offset, static_cast<size_t>(loc.size()), &rec));
  const char* problem = rec.size() < loc.size() ? "record cut short" : pack::CheckPutRecord(rec, key);
  if (problem) {
    return Status::Corruption("pack " + PackPath(loc.pack) + ": " + problem + " in record at offset " +
                              std::to_string(loc.offset) + " (key " + key + ")");
  }
  return rec;
}

Result<std::string> EnvStorage::Read(const std::string& key) {
  for (int attempt = 0;; ++attempt) {
    std::optional<Loc> loc;
    bool legacy = false;
    {
      MutexLock l(&mu_);
      auto it = index_.find(key);
      if (it != index_.end()) loc = it->second;
      legacy = !loc && legacy_.count(key);
    }
    if (loc) {
      Result<std::string> rec = ReadRecord(*loc, key);
      if (rec.ok()) {
        rec->erase(0, kHeaderSize + loc->key_len);
        return rec;
      }
      // The pack vanished (compacted): look the key up again.
      if (!rec.status().IsNotFound() || attempt > 0) return rec.status().WithContext("storage get " + key);
    } else if (legacy) {
      Result<std::string> r = env_->ReadFile(LegacyPath(key));
      if (r.ok() || !r.status().IsNotFound()) return r.ok() ? r : r.status().WithContext("storage get " + key);
      MutexLock l(&mu_);
      legacy_.erase(key);
    } else if (!options_.read_only) {
      return Status::NotFound("storage get " + key + ": no such blob");
    } else if (attempt > 0) {
      // Found on the look behind damage: one more pass reads it.
      if (attempt > 1) return Status::NotFound("storage get " + key + ": no such blob");
      STRATA_RETURN_IF_ERROR(MissingBehindDamage(key));
      continue;
    }
    if (attempt > 1 || (attempt > 0 && !options_.read_only))
      return Status::NotFound("storage get " + key + ": no such blob");
    if (options_.read_only) STRATA_RETURN_IF_ERROR(Rescan().WithContext("storage get " + key));
  }
}

// A reader missed `key` twice. If the newest pack's scan stopped at a
// damaged record header (not at a record that runs past the end, which is
// what a writer's append in flight looks like), the blob may lie behind
// it: look again a moment later (the header may have been half copied
// while the writer wrote it), and if the same place is still damaged and
// the key still missing, that is Corruption naming the place, not a blob
// that was never there. Otherwise NotFound, as for a writer. OK when the
// key turned up on the later look.
Status EnvStorage::MissingBehindDamage(const std::string& key) {
  const Status not_found = Status::NotFound("storage get " + key + ": no such blob");
  auto damaged_tail = [this]() -> std::optional<TornTail> {
    MutexLock l(&mu_);
    if (tail_ && (tail_->why == "header checksum mismatch" || tail_->why == "not a record header")) return tail_;
    return std::nullopt;
  };
  const std::optional<TornTail> first = damaged_tail();
  if (!first) return not_found;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  STRATA_RETURN_IF_ERROR(Rescan().WithContext("storage get " + key));
  {
    MutexLock l(&mu_);
    if (index_.count(key)) return Status::OK();
  }
  const std::optional<TornTail> again = damaged_tail();
  if (!again || again->path != first->path || again->offset != first->offset) return not_found;
  return Status::Corruption("storage get " + key + ": no such blob before the damaged " + again->ToString() +
                            "; it may lie behind it");
}

}  // namespace folder

Result<std::unique_ptr<Storage>> NewEnvStorage(Env* env, const std::string& dir, const EnvStorageOptions& options) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const std::string packs_dir = d + "/packs";
  if (!options.read_only && !env->FileExists(packs_dir)) {
    STRATA_RETURN_IF_ERROR(env->CreateDirs(packs_dir).WithContext("storage open " + d));
    // The new folder's entry in `dir` must survive a crash before any blob
    // (and root) relies on it.
    STRATA_RETURN_IF_ERROR(env->SyncDir(d).WithContext("storage open " + d));
  }
  auto storage = std::make_unique<folder::EnvStorage>(env, d, options);
  STRATA_RETURN_IF_ERROR(storage->Open());
  return std::unique_ptr<Storage>(std::move(storage));
}

Result<BlobLocation> LocateBlob(Storage& storage, const std::string& key) {
  auto* s = dynamic_cast<folder::EnvStorage*>(&storage);
  if (!s) return Status::InvalidArgument("LocateBlob: " + storage.Describe() + " is not a folder storage");
  return s->Locate(key);
}

}  // namespace strata
