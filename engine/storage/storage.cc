// storage.cc — NewMemStorage: blobs in a plain map (tests, speculative
// databases). The folder backend is in folder/ (pack_storage.h).
//
// Counting: MemStorage counts operations and bytes but makes no round trips.

#include "storage/storage.h"

#include <map>
#include <mutex>
#include <optional>

#include "storage/storage_internal.h"
#include "strata/mutex.h"

namespace strata {

namespace {

using storage_internal::Bump;
using storage_internal::CheckKey;

class MemStorage final : public Storage {
 public:
  Status Put(const std::string& key, std::string_view value) override {
    Bump(counters_.puts);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    MutexLock l(&mu_);
    blobs_[key] = std::string(value);
    Bump(counters_.bytes_put, value.size());
    return Status::OK();
  }

  Result<std::string> Get(const std::string& key) override {
    Bump(counters_.gets);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    MutexLock l(&mu_);
    auto it = blobs_.find(key);
    if (it == blobs_.end()) return Status::NotFound("storage get " + key + ": no such blob");
    Bump(counters_.bytes_got, it->second.size());
    return it->second;
  }

  Status Delete(const std::string& key) override {
    Bump(counters_.deletes);
    STRATA_RETURN_IF_ERROR(CheckKey(key));
    MutexLock l(&mu_);
    blobs_.erase(key);
    return Status::OK();
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
    MutexLock l(&mu_);
    std::vector<std::string> keys;
    for (auto it = blobs_.lower_bound(prefix); it != blobs_.end() && it->first.starts_with(prefix); ++it) {
      keys.push_back(it->first);
    }
    return keys;
  }

  // Memory is as durable as this backend gets.
  Status Sync() override {
    Bump(counters_.syncs);
    return Status::OK();
  }

  Status PublishRoot(std::string_view bytes, bool) override {
    Bump(counters_.root_publishes);
    MutexLock l(&mu_);
    root_ = std::string(bytes);
    Bump(counters_.bytes_put, bytes.size());
    return Status::OK();
  }

  Result<std::optional<std::string>> ReadRoot() override {
    MutexLock l(&mu_);
    if (root_) Bump(counters_.bytes_got, root_->size());
    return root_;
  }

  Result<uint64_t> BytesAtRest() override {
    MutexLock l(&mu_);
    uint64_t total = root_ ? root_->size() : 0;
    for (const auto& [key, blob] : blobs_) total += blob.size();
    return total;
  }

  StorageStats stats() const override { return counters_.Snapshot(); }
  std::string Describe() const override { return "memory"; }

 private:
  storage_internal::Counters counters_;
  mutable Mutex mu_;
  std::map<std::string, std::string> blobs_ GUARDED_BY(mu_);
  std::optional<std::string> root_ GUARDED_BY(mu_);
};

}  // namespace

std::string TornTail::ToString() const {
  return "pack " + path + ": " + why + " in record at offset " + std::to_string(offset) + " (" + std::to_string(bytes) +
         " bytes to the end of the file)";
}

std::unique_ptr<Storage> NewMemStorage() { return std::make_unique<MemStorage>(); }

}  // namespace strata
