// Log-linear latency histogram (see histogram.h).

#include "harness/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace strata::harness {

namespace {

constexpr uint64_t kHalf = uint64_t{1} << Histogram::kSubBucketBits;  // 128 buckets per power of two
constexpr uint64_t kExact = 2 * kHalf;                                // values below have their own bucket
constexpr int kExactBits = Histogram::kSubBucketBits + 1;

}  // namespace

size_t Histogram::BucketOf(uint64_t v) {
  if (v < kExact) return static_cast<size_t>(v);
  const int e = 63 - std::countl_zero(v);  // v in [2^e, 2^(e+1)), e >= 8
  const int shift = e - Histogram::kSubBucketBits;
  return static_cast<size_t>(kExact + static_cast<uint64_t>(e - kExactBits) * kHalf + ((v >> shift) - kHalf));
}

uint64_t Histogram::HighestInBucket(size_t b) {
  if (b < kExact) return b;
  const uint64_t k = (b - kExact) / kHalf, s = (b - kExact) % kHalf;
  const int shift = static_cast<int>(k) + 1;
  const uint64_t low = (kHalf + s) << shift;
  return low + (uint64_t{1} << shift) - 1;
}

void Histogram::Record(uint64_t v, uint64_t times) {
  if (times == 0) return;
  const size_t b = BucketOf(std::min(v, kMaxValue));
  if (b >= counts_.size()) counts_.resize(b + 1, 0);
  counts_[b] += times;
  count_ += times;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
  sum_ += static_cast<double>(v) * static_cast<double>(times);
}

void Histogram::Merge(const Histogram& o) {
  if (o.count_ == 0) return;
  if (o.counts_.size() > counts_.size()) counts_.resize(o.counts_.size(), 0);
  for (size_t i = 0; i < o.counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  sum_ += o.sum_;
}

uint64_t Histogram::ValueAtPercentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank, at least the first value.
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    // max() is exact and lies in the highest bucket used (values past
    // kMaxValue too): there it is the tighter bound.
    if (seen >= rank) return b + 1 == counts_.size() ? max_ : std::clamp(HighestInBucket(b), min_, max_);
  }
  return max_;
}

Json Histogram::ToJson() const {
  Json buckets = Json::array();
  size_t prev = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    if (counts_[b] == 0) continue;
    buckets.push_back(buckets.empty() ? b : b - prev);
    buckets.push_back(counts_[b]);
    prev = b;
  }
  return Json{{"unit", "ns"},
              {"sub_bucket_bits", kSubBucketBits},
              {"count", count_},
              {"min", min()},
              {"max", max_},
              {"mean", mean()},
              {"p50", ValueAtPercentile(50)},
              {"p90", ValueAtPercentile(90)},
              {"p99", ValueAtPercentile(99)},
              {"p999", ValueAtPercentile(99.9)},
              {"buckets", std::move(buckets)}};
}

Result<Histogram> Histogram::FromJson(const Json& j) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("histogram: " + why); };
  if (!j.is_object()) return bad("expected an object");
  if (j.value("unit", "") != "ns") return bad("expected \"unit\": \"ns\"");
  if (j.value("sub_bucket_bits", -1) != kSubBucketBits)
    return bad("expected \"sub_bucket_bits\": " + std::to_string(kSubBucketBits));
  const Json* buckets = j.contains("buckets") ? &j["buckets"] : nullptr;
  if (buckets == nullptr || !buckets->is_array() || buckets->size() % 2 != 0)
    return bad("\"buckets\" must be an array of (index, count) pairs");
  Histogram h;
  size_t index = 0;
  const size_t kMaxBucket = BucketOf(kMaxValue);
  for (size_t i = 0; i < buckets->size(); i += 2) {
    const Json& d = (*buckets)[i];
    const Json& c = (*buckets)[i + 1];
    if (!d.is_number_unsigned() || !c.is_number_unsigned()) return bad("bucket pairs must be unsigned integers");
    const uint64_t step = d.get<uint64_t>();
    if (i > 0 && step == 0) return bad("bucket indexes must increase");
    if (step > kMaxBucket || index + step > kMaxBucket) return bad("bucket index past the 10-minute range");
    index += static_cast<size_t>(step);
    if (index >= h.counts_.size()) h.counts_.resize(index + 1, 0);
    h.counts_[index] = c.get<uint64_t>();
    h.count_ += h.counts_[index];
  }
  if (h.count_ != j.value("count", uint64_t{0})) return bad("\"count\" differs from the sum of the buckets");
  if (h.count_ > 0) {
    h.min_ = j.value("min", uint64_t{0});
    h.max_ = j.value("max", uint64_t{0});
    h.sum_ = j.value("mean", 0.0) * static_cast<double>(h.count_);
    if (h.min_ > h.max_) return bad("\"min\" is above \"max\"");
  }
  return h;
}

}  // namespace strata::harness
