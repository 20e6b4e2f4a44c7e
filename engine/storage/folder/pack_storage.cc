// pack_storage.cc — the folder backend (NewEnvStorage): blobs appended to a
// few large pack files instead of one file each.
//
// A database folder holds
//   dir/packs/<seq, 10 digits>.pack   records, appended (docs/formats.md)
//   dir/root                          the root, replaced with WriteFileAtomic
//   dir/segments/<file name of key>   blobs of the old layout, one file each
// One file per blob made the kernel's inode allocation and unlink (garbage
// collection deletes thousands of blobs a job) the largest single cost of
// a long import; packs create and delete a file per 64 MiB instead.
//
// A record is a 28-byte header (magic, kind put | delete, key and value
// lengths, xxh3 of the value, xxh3 of header and key), the key, the value.
// A delete is a record with the key only (a tombstone). pack_format.h
// encodes and scans records.
//
// Writer. Appends go to the current (newest) pack, under write_mu_. Once it
// holds options.pack_bytes it is synced and closed ("sealed") before the
// next pack is created, so only the newest pack can have a torn tail. An
// index in memory maps each key to its latest record (a re-Put wins), and
// each pack counts its live bytes (the records the index points at).
//
// Durability: Put appends without syncing. Sync fdatasyncs the current pack
// and syncs dir/packs if a pack was created or deleted since (dir/segments
// if an old-layout file was deleted). Jobs publish a root only after Sync,
// so a root never names a blob a crash could lose. An append that fails is
// cut off again (Truncate) before the next write, so a partial record never
// lies in front of good ones.
//
// Deletes append tombstones (a DeleteMany in one Append) and drop the keys
// from the index. Then a sealed pack without live bytes is deleted, and up
// to options.compactions_per_call sealed packs less than half live are
// compacted: their live records are copied into the current pack (under the
// same keys: roots name keys, not locations), the current pack is synced,
// and only then are the old packs deleted and the folder synced. So a crash
// at any point keeps every blob that was durable (perhaps twice: the later
// copy wins). Tombstones are not copied and leave with their pack, so after
// a restart a deleted blob may come back from an older pack. That is
// harmless: garbage collection (CollectGarbage, index_job.cc) lists every
// seg/ key and deletes the ones no root reaches again.
//
// Opening reads the header and key of every record, skipping values by
// their length, to rebuild the index. In the newest pack an incomplete
// record, or one whose header checksum fails, is a torn tail: a writer
// truncates the pack there, a reader stops there. In any other pack it is
// Corruption naming pack and offset. Get verifies both checksums and the
// key; a mismatch is Corruption naming pack, offset and key.
//
// Readers (read_only; replicas and peers in other processes). The writer
// appends and compacts meanwhile, so on a miss, or when a pack vanished, a
// reader rescans (the new tail of known packs, new packs, forgetting
// vanished ones) and tries once more. Pack files are opened once and held
// by shared_ptr, so a read racing with a pack's deletion still reads it.
//
// Old layout: a key's file name is the key with '/' replaced by '_', and
// '_' and '%' escaped as "%5F" and "%25". Get falls back to that file when
// the packs lack the key, List merges those keys, Delete removes the file.
// New blobs always go to packs.
//
// Counting: every call counts as one round trip in StorageStats, whatever
// its outcome, and its wall time as wait time; bytes count when they moved;
// the values compaction copies count in bytes_put.
//
// Lock order: write_mu_ before mu_.

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_set>

#include "format/pack_format.h"
#include "storage/storage.h"
#include "storage/storage_internal.h"
#include "strata/mutex.h"

namespace strata {

namespace {

using storage_internal::Bump;
using storage_internal::CheckKey;
using storage_internal::RoundTrip;
using pack::FileNameToKey;
using pack::Header;
using pack::kDelete;
using pack::kHeaderSize;
using pack::KeyToFileName;
using pack::kMaxKey;
using pack::kMaxValue;
using pack::kPut;
using pack::PackName;
using pack::PackScanner;
using pack::ParsePackName;

// ---- the storage ------------------------------------------------------------------

struct Loc {
  uint64_t pack = 0, offset = 0;
  uint32_t key_len = 0, value_len = 0;
  uint64_t size() const { return kHeaderSize + key_len + value_len; }
  bool operator==(const Loc&) const = default;
};

struct Pack {
  uint64_t end = 0;     // bytes indexed (scanned, or written by this writer)
  uint64_t live = 0;    // bytes of the records the index points at
  bool sealed = false;  // writer: synced, closed, never appended to again
  std::shared_ptr<const RandomAccessFile> file;  // opened on first read
};

class EnvStorage final : public Storage {
 public:
  EnvStorage(Env* env, std::string dir, const EnvStorageOptions& options)
      : env_(env),
        options_(options),
        dir_(std::move(dir)),
        packs_dir_(dir_ + "/packs"),
        legacy_dir_(dir_ + "/segments"),
        root_path_(dir_ + "/root") {}

  // Reads the folder: old-layout keys, then every pack's records.
  Status Open() {
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

  Status Put(const std::string& key, std::string_view value) override {
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

  Result<std::string> Get(const std::string& key) override {
    RoundTrip rt(counters_);
    Bump(counters_.gets);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    Result<std::string> r = Read(key);
    if (r.ok()) Bump(counters_.bytes_got, r->size());
    return r;
  }

  Status Delete(const std::string& key) override {
    RoundTrip rt(counters_);
    Bump(counters_.deletes);
    return DeleteKeys({key});
  }

  Status DeleteMany(const std::vector<std::string>& keys) override {
    RoundTrip rt(counters_);
    Bump(counters_.deletes, keys.size());
    return DeleteKeys(keys);
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
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

  Status Sync() override {
    RoundTrip rt(counters_);
    Bump(counters_.syncs);
    if (options_.read_only) return Status::OK();
    MutexLock w(&write_mu_);
    return SyncLocked().WithContext("storage sync");
  }

  Status PublishRoot(std::string_view bytes, bool durable) override {
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

  StorageStats stats() const override { return counters_.Snapshot(); }
  std::string Describe() const override { return "file:" + dir_; }

  Result<BlobLocation> Locate(const std::string& key) {
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

 private:
  std::string PackPath(uint64_t seq) const { return packs_dir_ + "/" + PackName(seq); }
  std::string LegacyPath(const std::string& key) const { return legacy_dir_ + "/" + KeyToFileName(key); }

  Status Writable(const std::string& what) const {
    if (!options_.read_only) return Status::OK();
    return Status::InvalidArgument("storage " + what + ": " + dir_ + " is open read-only");
  }

  Status AddSize(const std::string& path, uint64_t* total) {
    Result<uint64_t> size = env_->FileSize(path);
    if (size.ok()) {
      *total += *size;
    } else if (!size.status().IsNotFound()) {  // deleted meanwhile: not at rest
      return size.status();
    }
    return Status::OK();
  }

  // ---- index (requires mu_) ----

  void Unlive(const Loc& loc) REQUIRES(mu_) {
    auto p = packs_.find(loc.pack);
    if (p != packs_.end()) p->second.live -= std::min(p->second.live, loc.size());
  }
  void ApplyPut(const std::string& key, const Loc& loc) REQUIRES(mu_) {
    auto [it, inserted] = index_.try_emplace(key, loc);
    if (!inserted) {
      Unlive(it->second);
      it->second = loc;
    }
    packs_[loc.pack].live += loc.size();
  }
  void ApplyDelete(const std::string& key) REQUIRES(mu_) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    Unlive(it->second);
    index_.erase(it);
  }

  // ---- reading ----

  // The pack's file, opened on first use; NotFound if it vanished.
  Result<std::shared_ptr<const RandomAccessFile>> PackFile(uint64_t seq) {
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

  // The whole record at loc, checked against its checksums and key.
  Result<std::string> ReadRecord(const Loc& loc, const std::string& key) {
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

  Result<std::string> Read(const std::string& key) {
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
      } else if (!options_.read_only || attempt > 0) {
        return Status::NotFound("storage get " + key + ": no such blob");
      }
      if (attempt > 0) return Status::NotFound("storage get " + key + ": no such blob");
      if (options_.read_only) STRATA_RETURN_IF_ERROR(Rescan().WithContext("storage get " + key));
    }
  }

  // ---- scanning ----

  Status Rescan() EXCLUDES(write_mu_) {
    MutexLock w(&write_mu_);
    return Scan(/*initial=*/false);
  }

  // Requires write_mu_. Indexes the records of dir/packs not yet indexed:
  // all of them when initial, else new packs and the new tails of known
  // ones (forgetting packs that vanished).
  Status Scan(bool initial) REQUIRES(write_mu_) {
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
      STRATA_RETURN_IF_ERROR(ScanPack(seq, *file, from, size, /*newest=*/seq == seqs.back(), initial));
    }
    return Status::OK();
  }

  // Requires write_mu_.
  Status ScanPack(uint64_t seq, const std::shared_ptr<const RandomAccessFile>& file, uint64_t from, uint64_t size,
                  bool newest, bool initial) REQUIRES(write_mu_) {
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
      if (o == PackScanner::kEnd) break;
      if (o == PackScanner::kBad) {
        if (!newest) {
          return Status::Corruption("storage: pack " + PackPath(seq) + ": " + why + " in record at offset " +
                                    std::to_string(scanner.offset()));
        }
        // A torn tail of the newest pack: what a crash left of its last
        // appends (or, for a reader, what the writer is appending now).
        if (initial && !options_.read_only) {
          STRATA_RETURN_IF_ERROR(env_->Truncate(PackPath(seq), scanner.offset()).WithContext("storage open " + dir_));
        }
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

  // Requires write_mu_. Drops the packs not in `present` (sorted), and the
  // index entries still pointing into them.
  void ForgetVanished(const std::vector<uint64_t>& present) REQUIRES(write_mu_) {
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

  // ---- writing (all require write_mu_) ----

  // Cuts off a partial record a failed append left, and opens (or starts)
  // the pack to append to.
  Status PrepareCurrent() REQUIRES(write_mu_) {
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

  // Makes the current pack durable (with its folder entry) and closes it.
  Status Seal() REQUIRES(write_mu_) {
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

  // Appends `records` to the current pack; returns the offset they start at.
  Result<uint64_t> Append(std::string_view records) REQUIRES(write_mu_) {
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

  Status SyncLocked() REQUIRES(write_mu_) {
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

  Status DeleteKeys(const std::vector<std::string>& keys) EXCLUDES(write_mu_) {
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

  // Deletes sealed packs without live bytes and compacts a few less than
  // half live (see the top of the file).
  Status Maintain() REQUIRES(write_mu_) {
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

  // Copies the live records of sealed pack `seq` to the current pack.
  Status CopyLive(uint64_t seq) REQUIRES(write_mu_) {
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

  // Write a temporary and rename it over the root, without fsync (sync
  // policy never): still atomic, not durable.
  Status WriteUnsynced(std::string_view bytes) {
    const std::string tmp = root_path_ + ".tmp";
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->NewWritableFile(tmp));
    STRATA_RETURN_IF_ERROR(f->Append(bytes));
    STRATA_RETURN_IF_ERROR(f->Close());
    return env_->RenameFile(tmp, root_path_);
  }

  Env* const env_;
  const EnvStorageOptions options_;
  const std::string dir_, packs_dir_, legacy_dir_, root_path_;
  storage_internal::Counters counters_;

  Mutex write_mu_;  // serializes appends, syncs, scans and maintenance; guards below
  std::unique_ptr<WritableFile> current_ GUARDED_BY(write_mu_);
  uint64_t current_seq_ GUARDED_BY(write_mu_) = 0;  // the pack appended to; 0 before the first
  uint64_t current_size_ GUARDED_BY(write_mu_) = 0;
  uint64_t next_seq_ GUARDED_BY(write_mu_) = 1;
  bool unsynced_ GUARDED_BY(write_mu_) = false;          // appended since the current pack's last Sync
  bool packs_dir_dirty_ GUARDED_BY(write_mu_) = false;   // a pack created or deleted since the last SyncDir
  bool legacy_dir_dirty_ GUARDED_BY(write_mu_) = false;  // an old-layout file deleted since
  std::optional<uint64_t> repair_ GUARDED_BY(write_mu_);  // a failed append left bytes past this offset

  Mutex mu_;  // guards below; never held across I/O on the pack being written
  std::map<std::string, Loc> index_ GUARDED_BY(mu_);
  std::map<uint64_t, Pack> packs_ GUARDED_BY(mu_);
  std::set<std::string> legacy_ GUARDED_BY(mu_);  // keys with an old-layout file

  Mutex root_mu_;  // serializes PublishRoot
};

}  // namespace

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
  auto storage = std::make_unique<EnvStorage>(env, d, options);
  STRATA_RETURN_IF_ERROR(storage->Open());
  return std::unique_ptr<Storage>(std::move(storage));
}

Result<BlobLocation> LocateBlob(Storage& storage, const std::string& key) {
  auto* s = dynamic_cast<EnvStorage*>(&storage);
  if (!s) return Status::InvalidArgument("LocateBlob: " + storage.Describe() + " is not a folder storage");
  return s->Locate(key);
}

}  // namespace strata
