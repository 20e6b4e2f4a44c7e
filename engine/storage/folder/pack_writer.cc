// pack_writer.cc — the folder backend's writer: appending to the current
// pack, sealing and syncing it, deleting (tombstones) and compacting packs
// that are mostly dead (see pack_storage.h).

#include <algorithm>

#include "strata/mutex.h"
#include "storage/folder/pack_storage.h"

namespace strata::folder {

Status EnvStorage::PrepareCurrent() {
  {
    MutexLock l(&mu_);
    if (tail_) return Status::Corruption("storage: " + tail_->ToString() + " was not cut: nothing is appended after it");
  }
  if (repair_) {
    if (current_) (void)current_->Close();
    current_.reset();
    STRATA_RETURN_IF_ERROR(env_->Truncate(PackPath(current_seq_), *repair_));
    repair_.reset();
  }
  if (!current_ && current_seq_ != 0) {
    STRATA_ASSIGN_OR_RETURN(current_, env_->NewAppendableFile(PackPath(current_seq_)));
    current_size_ = current_->Size();
  }
  if (current_ && current_size_ >= options_.pack_bytes) STRATA_RETURN_IF_ERROR(Seal());
  if (!current_) {
    const uint64_t seq = next_seq_;
    STRATA_ASSIGN_OR_RETURN(current_, env_->NewAppendableFile(PackPath(seq)));
    ++next_seq_;
    current_seq_ = seq;
    current_size_ = current_->Size();
    packs_dir_dirty_ = true;
    MutexLock l(&mu_);
    packs_[seq].end = current_size_;
  }
  return Status::OK();
}

Status EnvStorage::Seal() {
  STRATA_RETURN_IF_ERROR(current_->Sync());
  unsynced_ = false;
  if (packs_dir_dirty_) {
    STRATA_RETURN_IF_ERROR(env_->SyncDir(packs_dir_));
    packs_dir_dirty_ = false;
  }
  STRATA_RETURN_IF_ERROR(current_->Close());
  current_.reset();
  MutexLock l(&mu_);
  packs_[current_seq_].sealed = true;
  current_seq_ = 0;
  return Status::OK();
}

Result<uint64_t> EnvStorage::Append(std::string_view records) {
  STRATA_RETURN_IF_ERROR(PrepareCurrent());
  const uint64_t at = current_size_;
  Status s = current_->Append(records);
  if (!s.ok()) {
    repair_ = at;
    (void)PrepareCurrent();  // or before the next append
    return s;
  }
  current_size_ += records.size();
  unsynced_ = true;
  return at;
}

Status EnvStorage::SyncLocked() {
  if (repair_) STRATA_RETURN_IF_ERROR(PrepareCurrent());
  if (current_ && unsynced_) {
    STRATA_RETURN_IF_ERROR(current_->Sync());
    unsynced_ = false;
  }
  if (packs_dir_dirty_) {
    STRATA_RETURN_IF_ERROR(env_->SyncDir(packs_dir_));
    packs_dir_dirty_ = false;
  }
  if (legacy_dir_dirty_) {
    STRATA_RETURN_IF_ERROR(env_->SyncDir(legacy_dir_));
    legacy_dir_dirty_ = false;
  }
  return Status::OK();
}

Status EnvStorage::DeleteKeys(const std::vector<std::string>& keys) {
  for (const std::string& k : keys) STRATA_RETURN_IF_ERROR(CheckKey(k));
  STRATA_RETURN_IF_ERROR(Writable("delete"));
  MutexLock w(&write_mu_);
  std::string tombstones;
  std::vector<std::string> in_packs, legacy;
  {
    MutexLock l(&mu_);
    for (const std::string& k : keys) {
      if (index_.count(k)) {
        pack::EncodeRecord(&tombstones, kDelete, k, {});
        in_packs.push_back(k);
      }
      if (legacy_.count(k)) legacy.push_back(k);
    }
  }
  if (!tombstones.empty()) {
    Result<uint64_t> at = Append(tombstones);
    if (!at.ok()) return at.status().WithContext("storage delete");
    MutexLock l(&mu_);
    for (const std::string& k : in_packs) ApplyDelete(k);
    packs_[current_seq_].end = current_size_;
  }
  for (const std::string& k : legacy) {
    Status s = env_->DeleteFile(LegacyPath(k));
    if (!s.ok() && !s.IsNotFound()) return s.WithContext("storage delete " + k);
    legacy_dir_dirty_ = true;
    MutexLock l(&mu_);
    legacy_.erase(k);
  }
  return Maintain().WithContext("storage delete: reclaiming packs");
}

Status EnvStorage::Maintain() {
  std::vector<uint64_t> empty;
  std::vector<std::pair<uint64_t, uint64_t>> sparse;  // (live, seq)
  {
    MutexLock l(&mu_);
    for (const auto& [seq, p] : packs_) {
      if (!p.sealed) continue;
      if (p.live == 0) {
        empty.push_back(seq);
      } else if (p.live * 2 < p.end) {
        sparse.emplace_back(p.live, seq);
      }
    }
  }
  if (empty.empty() && sparse.empty()) return Status::OK();
  std::sort(sparse.begin(), sparse.end());
  if (sparse.size() > static_cast<size_t>(std::max(0, options_.compactions_per_call)))
    sparse.resize(static_cast<size_t>(std::max(0, options_.compactions_per_call)));
  Status copy_status;
  std::vector<uint64_t> drop = empty;
  for (const auto& [live, seq] : sparse) {
    Status s = CopyLive(seq);
    if (s.ok()) {
      drop.push_back(seq);
    } else if (copy_status.ok()) {
      copy_status = s;  // the pack stays; the others go on
    }
  }
  if (drop.empty()) return copy_status;
  // What superseded the records of the packs must be durable before they go.
  STRATA_RETURN_IF_ERROR(SyncLocked());
  for (uint64_t seq : drop) {
    Status s = env_->DeleteFile(PackPath(seq));
    if (!s.ok() && !s.IsNotFound()) return s;
    packs_dir_dirty_ = true;
    MutexLock l(&mu_);
    packs_.erase(seq);
  }
  STRATA_RETURN_IF_ERROR(SyncLocked());
  return copy_status;
}

Status EnvStorage::CopyLive(uint64_t seq) {
  std::vector<std::pair<Loc, std::string>> live;
  {
    MutexLock l(&mu_);
    for (const auto& [key, loc] : index_) {
      if (loc.pack == seq) live.emplace_back(loc, key);
    }
  }
  std::sort(live.begin(), live.end(),
            [](const auto& a, const auto& b) { return a.first.offset < b.first.offset; });
  constexpr size_t kBatch = 1 << 20;
  size_t i = 0;
  while (i < live.size()) {
    std::string batch;
    const size_t first = i;
    uint64_t value_bytes = 0;
    for (; i < live.size() && (batch.empty() || batch.size() < kBatch); ++i) {
      STRATA_ASSIGN_OR_RETURN(std::string rec, ReadRecord(live[i].first, live[i].second));
      batch += rec;
      value_bytes += live[i].first.value_len;
    }
    STRATA_ASSIGN_OR_RETURN(uint64_t at, Append(batch));
    MutexLock l(&mu_);
    for (size_t j = first; j < i; ++j) {
      const Loc& old = live[j].first;
      ApplyPut(live[j].second, Loc{current_seq_, at, old.key_len, old.value_len});
      at += old.size();
    }
    packs_[current_seq_].end = current_size_;
    Bump(counters_.bytes_put, value_bytes);
  }
  return Status::OK();
}

}  // namespace strata::folder
