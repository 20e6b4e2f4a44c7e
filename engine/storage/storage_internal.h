// storage_internal.h — helpers shared by the Storage backends (internal):
// thread-safe counters behind StorageStats, a round-trip timer, and the
// check every backend applies to keys.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "storage/storage.h"

namespace strata {
namespace storage_internal {

struct Counters {
  std::atomic<uint64_t> puts{0}, gets{0}, deletes{0}, syncs{0}, root_publishes{0};
  std::atomic<uint64_t> bytes_put{0}, bytes_got{0};
  std::atomic<uint64_t> round_trips{0}, wait_us{0};

  StorageStats Snapshot() const {
    StorageStats s;
    s.puts = puts.load(std::memory_order_relaxed);
    s.gets = gets.load(std::memory_order_relaxed);
    s.deletes = deletes.load(std::memory_order_relaxed);
    s.syncs = syncs.load(std::memory_order_relaxed);
    s.root_publishes = root_publishes.load(std::memory_order_relaxed);
    s.bytes_put = bytes_put.load(std::memory_order_relaxed);
    s.bytes_got = bytes_got.load(std::memory_order_relaxed);
    s.round_trips = round_trips.load(std::memory_order_relaxed);
    s.wait_ms = static_cast<double>(wait_us.load(std::memory_order_relaxed)) / 1000;
    return s;
  }
};

inline void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

// One round trip for the life of the scope, its wall time as wait time.
class RoundTrip {
 public:
  explicit RoundTrip(Counters& c) : c_(c), t0_(std::chrono::steady_clock::now()) {}
  ~RoundTrip() {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0_);
    Bump(c_.round_trips);
    Bump(c_.wait_us, static_cast<uint64_t>(us.count()));
  }

 private:
  Counters& c_;
  const std::chrono::steady_clock::time_point t0_;
};

// Keys that could not be file names in the old layout (empty, ".", "..",
// NUL) are InvalidArgument in every backend.
inline Status CheckKey(const std::string& key) {
  if (key.empty() || key == "." || key == ".." || key.find('\0') != std::string::npos) {
    return Status::InvalidArgument("storage: invalid blob key \"" + key + "\"");
  }
  return Status::OK();
}

}  // namespace storage_internal
}  // namespace strata
