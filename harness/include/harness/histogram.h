// harness/histogram.h — a latency histogram in the style of HdrHistogram:
// log-linear buckets, every recorded value kept to within 1% from 1 ns to
// 10 minutes, in a fixed 35 KiB at most.
//
// Values are nanoseconds. Below 256 every value has its own bucket; above,
// each power of two [2^k, 2^(k+1)) is split into 128 equal buckets, so a
// bucket is at most 1/128 (0.78%) of the values it holds wide. Values past
// kMaxValue are counted in the top bucket (max() still says the true one).
// count, min, max and the sum (so the mean) are exact; a percentile is the
// highest value of the bucket that holds that rank, clamped to [min, max]:
// never below the true percentile and at most 0.78% above it.
//
// JSON (ToJson, FromJson; documented in docs/harness.md):
//   {"unit": "ns", "sub_bucket_bits": 7, "count": N, "min": .., "max": ..,
//    "mean": .., "p50": .., "p90": .., "p99": .., "p999": ..,
//    "buckets": [i0, c0, d1, c1, d2, c2, ...]}
// "buckets" lists the non-empty buckets as pairs: the first pair holds a
// bucket index and its count, each later pair the gap from the previous
// index and its count. The percentile fields are for readers that do not
// decode buckets; FromJson ignores them.
//
// Thread safety: none; keep one histogram per thread and Merge them.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/status.h"

namespace strata::harness {

using Json = nlohmann::ordered_json;

class Histogram {
 public:
  static constexpr uint64_t kMaxValue = 600'000'000'000;  // 10 minutes in ns
  static constexpr int kSubBucketBits = 7;                 // 128 buckets per power of two

  void Record(uint64_t value_ns, uint64_t times = 1);
  void Record(std::chrono::nanoseconds d) { Record(d.count() < 0 ? 0 : static_cast<uint64_t>(d.count())); }
  // Adds every value `other` recorded.
  void Merge(const Histogram& other);
  void Reset() { *this = Histogram(); }

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }  // 0 when empty
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_); }
  // The value at percentile p (0 < p <= 100) by nearest rank: the smallest
  // bucket with at least p% of the values at or below it. 0 when empty.
  uint64_t ValueAtPercentile(double p) const;

  Json ToJson() const;
  // InvalidArgument when `j` is not a histogram this code wrote.
  static Result<Histogram> FromJson(const Json& j);
  // Equal as recorded: the same JSON (buckets, count, min, max, mean).
  friend bool operator==(const Histogram& a, const Histogram& b) { return a.ToJson() == b.ToJson(); }

  // Bucket arithmetic, exposed for tests.
  static size_t BucketOf(uint64_t value);
  static uint64_t HighestInBucket(size_t bucket);

 private:
  std::vector<uint64_t> counts_;  // grown to the highest bucket used
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX, max_ = 0;
  double sum_ = 0;
};

}  // namespace strata::harness
