// pack_scan.cc — opening a folder and scanning its packs into the index:
// all of them on open, new packs and new tails when a reader rescans
// (see pack_storage.h).

#include <algorithm>
#include <unordered_set>

#include "strata/mutex.h"
#include "storage/folder/pack_storage.h"

namespace strata::folder {

Status EnvStorage::Open() {
  if (env_->FileExists(legacy_dir_)) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(legacy_dir_));
    std::string key;
    MutexLock l(&mu_);
    for (const std::string& name : names) {
      if (FileNameToKey(name, &key)) legacy_.insert(key);
    }
  }
  MutexLock w(&write_mu_);
  STRATA_RETURN_IF_ERROR(Scan(/*initial=*/true));
  MutexLock l(&mu_);
  if (!packs_.empty()) {
    current_seq_ = packs_.rbegin()->first;  // continued by the first append
    next_seq_ = current_seq_ + 1;
    for (auto& [seq, p] : packs_) p.sealed = seq != current_seq_;
  }
  return Status::OK();
}

Status EnvStorage::Rescan() {
  MutexLock w(&write_mu_);
  return Scan(/*initial=*/false);
}

Status EnvStorage::Scan(bool initial) {
  std::vector<uint64_t> seqs;
  if (env_->FileExists(packs_dir_)) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(packs_dir_));
    uint64_t seq;
    for (const std::string& name : names) {
      if (ParsePackName(name, &seq)) seqs.push_back(seq);
    }
    std::sort(seqs.begin(), seqs.end());
  }
  if (!initial) ForgetVanished(seqs);
  {
    // A tail found in a pack that is no longer the newest is rescanned
    // below (and is Corruption there unless the writer completed it).
    MutexLock l(&mu_);
    if (tail_ && (seqs.empty() || tail_->path != PackPath(seqs.back()))) tail_.reset();
  }
  for (uint64_t seq : seqs) {
    uint64_t from = 0;
    bool known = false;
    {
      MutexLock l(&mu_);
      auto p = packs_.find(seq);
      if (p != packs_.end()) from = p->second.end, known = true;
    }
    Result<std::shared_ptr<const RandomAccessFile>> file = PackFile(seq);
    // Compacted meanwhile by a writer (this one's own folder cannot change under it).
    if (!file.ok() && file.status().IsNotFound() && (options_.read_only || !initial)) continue;
    if (!file.ok()) return file.status().WithContext("storage open " + dir_);
    const uint64_t size = (*file)->Size();
    if (known && size <= from) continue;
    STRATA_RETURN_IF_ERROR(ScanPack(seq, *file, from, size, /*newest=*/seq == seqs.back()));
  }
  return Status::OK();
}

Status EnvStorage::ScanPack(uint64_t seq, const std::shared_ptr<const RandomAccessFile>& file, uint64_t from, uint64_t size,
                bool newest) {
  struct Rec {
    uint8_t kind;
    std::string key;
    Loc loc;
  };
  std::vector<Rec> recs;
  PackScanner scanner(*file, from, size);
  Header h;
  std::string key, why;
  uint64_t end = from;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(PackScanner::Outcome o, scanner.Next(&h, &key, &why));
    if (o == PackScanner::kEnd) {
      if (newest) {
        MutexLock l(&mu_);
        tail_.reset();
      }
      break;
    }
    if (o == PackScanner::kBad) {
      if (!newest) {
        return Status::Corruption("storage: pack " + PackPath(seq) + ": " + why + " in record at offset " +
                                  std::to_string(scanner.offset()));
      }
      // The end of the newest pack: what a crash left of its last appends
      // (or, for a reader, what the writer is appending now) — or damage.
      // Left as it is: CutTornTail decides (see pack_storage.h).
      MutexLock l(&mu_);
      tail_ = TornTail{PackPath(seq), scanner.offset(), size - scanner.offset(), why};
      break;
    }
    recs.push_back(Rec{h.kind, key, Loc{seq, scanner.offset(), h.key_len, h.value_len}});
    end = scanner.offset() + h.RecordSize();
  }
  MutexLock l(&mu_);
  Pack& p = packs_[seq];
  if (!p.file) p.file = file;
  for (const Rec& r : recs) {
    if (r.kind == kPut) {
      ApplyPut(r.key, r.loc);
    } else {
      ApplyDelete(r.key);
    }
  }
  p.end = end;
  return Status::OK();
}

std::optional<TornTail> EnvStorage::torn_tail() {
  MutexLock l(&mu_);
  return tail_;
}

Status EnvStorage::CutTornTail() {
  STRATA_RETURN_IF_ERROR(Writable("cut a torn tail"));
  MutexLock w(&write_mu_);
  std::optional<TornTail> tail;
  {
    MutexLock l(&mu_);
    tail = tail_;
  }
  if (!tail) return Status::OK();
  if (current_) (void)current_->Close();  // reopened at the new end by the next append
  current_.reset();
  STRATA_RETURN_IF_ERROR(env_->Truncate(tail->path, tail->offset).WithContext("storage: cutting " + tail->ToString()));
  MutexLock l(&mu_);
  tail_.reset();
  return Status::OK();
}

void EnvStorage::ForgetVanished(const std::vector<uint64_t>& present) {
  MutexLock l(&mu_);
  std::unordered_set<uint64_t> gone;
  for (auto it = packs_.begin(); it != packs_.end();) {
    if (std::binary_search(present.begin(), present.end(), it->first)) {
      ++it;
    } else {
      gone.insert(it->first);
      it = packs_.erase(it);
    }
  }
  if (gone.empty()) return;
  std::erase_if(index_, [&](const auto& kv) { return gone.count(kv.second.pack) > 0; });
}

}  // namespace strata::folder
