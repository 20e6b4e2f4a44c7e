// storage.h — where the durable index lives (internal).
//
// A Storage holds immutable blobs (segments, directories) under string
// keys, and one mutable root. Blobs are written once and never changed; the
// root names the current durable index and is replaced atomically.
// Publishing protocol used by indexing jobs:
//   Put(...) every new blob  ->  Sync()  ->  PublishRoot(root bytes)
// so a root never names a blob that might be lost in a crash.
//
// Backends: NewEnvStorage (files in a folder through an Env: the embedded
// default, or in memory with NewMemEnv) and NewMemStorage (a plain map).
// Every backend counts operations, bytes and round trips (StorageStats) so
// jobs can report what they cost.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"

namespace strata {

struct StorageStats {
  uint64_t puts = 0, gets = 0, deletes = 0, syncs = 0, root_publishes = 0;
  uint64_t bytes_put = 0, bytes_got = 0;
  uint64_t round_trips = 0;  // requests to the service (a file system call each for files)
  uint64_t reconnects = 0;   // connections re-established after a loss
  double wait_ms = 0;        // wall time spent waiting on the service
};

// Bytes at the end of the newest pack file of a folder storage that are not
// a whole, intact record. A crash leaves such a tail of appends that were
// never synced; since a root is published only after the sync, no root can
// name a blob in it. Damage can look the same, so whoever cuts it checks
// first that the published root reaches no blob in or after it.
struct TornTail {
  std::string path;     // the pack file
  uint64_t offset = 0;  // of the first byte that is not an intact record
  uint64_t bytes = 0;   // from there to the end of the file
  std::string why;      // what is wrong with the record at offset
  // "pack PATH: WHY in record at offset N (M bytes to the end of the file)"
  std::string ToString() const;
};

class Storage {
 public:
  virtual ~Storage() = default;
  // Stores a blob (not yet durable). Overwrites a blob of the same key (a
  // retried job may rewrite the garbage of a crashed one).
  virtual Status Put(const std::string& key, std::string_view value) = 0;
  // NotFound if missing.
  virtual Result<std::string> Get(const std::string& key) = 0;
  // The blobs of several keys, in the order given; NotFound (naming the
  // key) if any is missing. A backend where each call is a network round
  // trip fetches them in one; the default calls Get for each.
  virtual Result<std::vector<std::string>> GetMany(const std::vector<std::string>& keys) {
    std::vector<std::string> out;
    out.reserve(keys.size());
    for (const std::string& k : keys) {
      auto blob = Get(k);
      if (!blob.ok()) return blob.status();
      out.push_back(std::move(*blob));
    }
    return out;
  }
  virtual Status Delete(const std::string& key) = 0;
  // Deletes several blobs (missing ones are fine). One round trip on a
  // networked store; the default calls Delete for each.
  virtual Status DeleteMany(const std::vector<std::string>& keys) {
    for (const std::string& k : keys) STRATA_RETURN_IF_ERROR(Delete(k));
    return Status::OK();
  }
  // Keys starting with prefix, sorted.
  virtual Result<std::vector<std::string>> List(const std::string& prefix) = 0;
  // Makes every Put so far durable.
  virtual Status Sync() = 0;
  // Atomically (and, unless durable is false, durably) replaces the root.
  virtual Status PublishRoot(std::string_view bytes, bool durable = true) = 0;
  // The root, or nullopt when none was ever published.
  virtual Result<std::optional<std::string>> ReadRoot() = 0;
  // Bytes of all blobs at rest plus the root.
  virtual Result<uint64_t> BytesAtRest() = 0;
  virtual StorageStats stats() const = 0;
  // What the latest scan found at the end of the newest pack (folder
  // storages; others have none). A writer appends nothing while one is
  // there: CutTornTail first.
  virtual std::optional<TornTail> torn_tail() { return std::nullopt; }
  // Truncates the pack at torn_tail()'s offset. The caller must have
  // checked that the published root reaches no blob at or after it.
  virtual Status CutTornTail() { return Status::OK(); }
  // e.g. "file:/path/db" or "memory"
  virtual std::string Describe() const = 0;
};

struct EnvStorageOptions {
  bool read_only = false;              // never write, truncate or delete (replicas, verify)
  uint64_t pack_bytes = 64ull << 20;   // a pack is sealed once it holds this many bytes
  int compactions_per_call = 2;        // sealed packs compacted by one Delete/DeleteMany, at most
};

// Files under `dir`: blobs appended to pack files in dir/packs/, the root in
// dir/root (written with WriteFileAtomic); blobs of the old layout, one
// file each in dir/segments/, stay readable (storage/folder/pack_storage.h, and
// docs/formats.md). A writer creates the folder if missing; a read-only
// storage sees blobs written later by a writer in another process (it
// rescans on a miss). Opening reads the header of every record: Corruption
// (naming pack and offset) if one is damaged anywhere but at the end of the
// newest pack; there it is a torn_tail(), cut only by CutTornTail. Opening
// changes no byte. `env` must outlive it.
Result<std::unique_ptr<Storage>> NewEnvStorage(Env* env, const std::string& dir,
                                               const EnvStorageOptions& options = {});

// Where a blob's value bytes lie in a storage made by NewEnvStorage: for
// tests that damage one blob on disk. NotFound for a missing key,
// InvalidArgument for another backend.
struct BlobLocation {
  std::string path;     // the pack (or old-layout) file
  uint64_t offset = 0;  // of the first value byte
  uint64_t size = 0;    // value bytes
};
Result<BlobLocation> LocateBlob(Storage& storage, const std::string& key);

std::unique_ptr<Storage> NewMemStorage();

}  // namespace strata
