// pack_storage.h — the folder backend (NewEnvStorage): blobs appended to a
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
// record, or one whose header checksum fails, ends the scan there: it is
// the torn_tail(), which only CutTornTail truncates — after the opener
// (Connection::Open) has checked that the published root reaches no blob
// in or after it, so damage in front of referenced blobs is never cut
// away as if a crash had left it. Until then the writer appends nothing.
// In any other pack it is Corruption naming pack and offset. Get verifies
// both checksums and the key; a mismatch is Corruption naming pack, offset
// and key. Opening never changes a byte.
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
//
// Internal to storage/folder/: pack_storage.cc holds the Storage interface
// and reading, pack_scan.cc opening and scanning, pack_writer.cc appending,
// deleting and compacting.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "strata/mutex.h"
#include "format/pack_format.h"
#include "storage/storage.h"
#include "storage/storage_internal.h"

namespace strata::folder {

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

// Where a key's latest record lies.
struct Loc {
  uint64_t pack = 0, offset = 0;
  uint32_t key_len = 0, value_len = 0;
  uint64_t size() const { return kHeaderSize + key_len + value_len; }
  bool operator==(const Loc&) const = default;
};

// What the index knows of one pack file.
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

  // Reads the folder: old-layout keys, then every pack's records
  // (pack_scan.cc).
  Status Open();

  // The Storage interface (pack_storage.cc).
  Status Put(const std::string& key, std::string_view value) override;
  Result<std::string> Get(const std::string& key) override;
  Status Delete(const std::string& key) override;
  Status DeleteMany(const std::vector<std::string>& keys) override;
  Result<std::vector<std::string>> List(const std::string& prefix) override;
  Status Sync() override;
  Status PublishRoot(std::string_view bytes, bool durable) override;
  Result<std::optional<std::string>> ReadRoot() override;
  Result<uint64_t> BytesAtRest() override;
  StorageStats stats() const override { return counters_.Snapshot(); }
  std::string Describe() const override { return "file:" + dir_; }
  std::optional<TornTail> torn_tail() override EXCLUDES(mu_);
  Status CutTornTail() override EXCLUDES(write_mu_, mu_);

  // Where the blob's value lies (LocateBlob).
  Result<BlobLocation> Locate(const std::string& key);

 private:
  std::string PackPath(uint64_t seq) const { return packs_dir_ + "/" + PackName(seq); }
  std::string LegacyPath(const std::string& key) const { return legacy_dir_ + "/" + KeyToFileName(key); }

  Status Writable(const std::string& what) const {
    if (!options_.read_only) return Status::OK();
    return Status::InvalidArgument("storage " + what + ": " + dir_ + " is open read-only");
  }

  Status AddSize(const std::string& path, uint64_t* total);

  // ---- index (requires mu_) ----

  void Unlive(const Loc& loc) REQUIRES(mu_) {
    auto p = packs_.find(loc.pack);
    if (p != packs_.end()) p->second.live -= std::min(p->second.live, loc.size());
  }
  void ApplyPut(const std::string& key, const Loc& loc) REQUIRES(mu_);
  void ApplyDelete(const std::string& key) REQUIRES(mu_);

  // ---- reading (pack_storage.cc) ----

  // The pack's file, opened on first use; NotFound if it vanished.
  Result<std::shared_ptr<const RandomAccessFile>> PackFile(uint64_t seq);

  // The whole record at loc, checked against its checksums and key.
  Result<std::string> ReadRecord(const Loc& loc, const std::string& key);

  Result<std::string> Read(const std::string& key);
  Status MissingBehindDamage(const std::string& key) EXCLUDES(mu_);

  // ---- scanning (pack_scan.cc) ----

  Status Rescan() EXCLUDES(write_mu_);

  // Requires write_mu_. Indexes the records of dir/packs not yet indexed:
  // all of them when initial, else new packs and the new tails of known
  // ones (forgetting packs that vanished).
  Status Scan(bool initial) REQUIRES(write_mu_);

  // Requires write_mu_.
  Status ScanPack(uint64_t seq, const std::shared_ptr<const RandomAccessFile>& file, uint64_t from, uint64_t size,
                  bool newest) REQUIRES(write_mu_);

  // Requires write_mu_. Drops the packs not in `present` (sorted), and the
  // index entries still pointing into them.
  void ForgetVanished(const std::vector<uint64_t>& present) REQUIRES(write_mu_);

  // ---- writing (pack_writer.cc; all require write_mu_) ----

  // Cuts off a partial record a failed append left, and opens (or starts)
  // the pack to append to.
  Status PrepareCurrent() REQUIRES(write_mu_);

  // Makes the current pack durable (with its folder entry) and closes it.
  Status Seal() REQUIRES(write_mu_);

  // Appends `records` to the current pack; returns the offset they start at.
  Result<uint64_t> Append(std::string_view records) REQUIRES(write_mu_);

  Status SyncLocked() REQUIRES(write_mu_);

  // Appends tombstones for `keys`, drops them from the index, then Maintain.
  Status DeleteKeys(const std::vector<std::string>& keys) EXCLUDES(write_mu_);

  // Deletes sealed packs without live bytes and compacts a few less than
  // half live (see the top of this file).
  Status Maintain() REQUIRES(write_mu_);

  // Copies the live records of sealed pack `seq` to the current pack.
  Status CopyLive(uint64_t seq) REQUIRES(write_mu_);

  // Write a temporary and rename it over the root, without fsync (sync
  // policy never): still atomic, not durable.
  Status WriteUnsynced(std::string_view bytes);

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
  std::optional<TornTail> tail_ GUARDED_BY(mu_);   // the latest scan's, in the newest pack

  Mutex root_mu_;  // serializes PublishRoot
};

}  // namespace strata::folder
