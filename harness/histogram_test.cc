#include "harness/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace strata::harness {
namespace {

TEST(Histogram, BucketsAreContiguousAndWithinOnePercent) {
  // Walk every bucket up to 10 minutes: each starts right after the
  // previous one ends, and is narrower than 1% of its lowest value.
  uint64_t next = 0;
  const size_t last = Histogram::BucketOf(Histogram::kMaxValue);
  for (size_t b = 0; b <= last; ++b) {
    EXPECT_EQ(Histogram::BucketOf(next), b) << "bucket " << b;
    const uint64_t high = Histogram::HighestInBucket(b);
    EXPECT_EQ(Histogram::BucketOf(high), b);
    if (next > 0) {
      EXPECT_LE(static_cast<double>(high - next), 0.01 * static_cast<double>(next)) << "bucket " << b;
    }
    next = high + 1;
  }
  EXPECT_GT(next, Histogram::kMaxValue);
  EXPECT_LT(last * sizeof(uint64_t), 35u * 1024);
}

TEST(Histogram, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_EQ(h.ValueAtPercentile(50), 50u);
  EXPECT_EQ(h.ValueAtPercentile(99), 99u);
  EXPECT_EQ(h.ValueAtPercentile(100), 100u);
  EXPECT_EQ(h.ValueAtPercentile(0), 1u);
}

// Percentiles of random latencies spanning ns to minutes agree with the
// exact nearest-rank percentile of the samples to within 1%, never below.
TEST(Histogram, PercentilesWithinOnePercentOfExact) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(std::log(50'000.0), 3.0);
  std::vector<uint64_t> samples;
  Histogram h;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t v = std::clamp<uint64_t>(static_cast<uint64_t>(dist(rng)), 1, Histogram::kMaxValue);
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const size_t rank = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(samples.size())));
    const uint64_t exact = samples[rank - 1];
    const uint64_t got = h.ValueAtPercentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.01) << "p" << p;
  }
  EXPECT_EQ(h.min(), samples.front());
  EXPECT_EQ(h.max(), samples.back());
}

TEST(Histogram, ValuesPastTenMinutesLandInTheTopBucket) {
  Histogram h;
  h.Record(Histogram::kMaxValue * 3);
  h.Record(5);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.max(), Histogram::kMaxValue * 3);
  EXPECT_EQ(h.ValueAtPercentile(100), Histogram::kMaxValue * 3);  // clamped to max, which is exact
  EXPECT_EQ(h.ValueAtPercentile(50), 5u);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  for (uint64_t v = 1; v < 1'000'000; v = v * 3 + 1) {
    a.Record(v);
    all.Record(v);
  }
  for (uint64_t v = 7; v < 100'000'000; v = v * 5 + 3) {
    b.Record(v, 2);
    all.Record(v, 2);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  EXPECT_EQ(a.ToJson(), all.ToJson());
  Histogram empty;
  a.Merge(empty);
  EXPECT_EQ(a.ToJson(), all.ToJson());
  empty.Merge(all);
  EXPECT_EQ(empty.ToJson(), all.ToJson());
}

TEST(Histogram, JsonRoundTripIsCompact) {
  Histogram h;
  for (int i = 0; i < 10'000; ++i) h.Record(std::chrono::microseconds(100 + i % 50));
  const Json j = h.ToJson();
  EXPECT_EQ(j["count"], 10'000);
  EXPECT_EQ(j["unit"], "ns");
  // 50 distinct microsecond values fall in at most 50 buckets: 100 numbers.
  EXPECT_LE(j["buckets"].size(), 100u);
  EXPECT_LT(j.dump().size(), 700u);
  auto back = Histogram::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->count(), h.count());
  EXPECT_EQ(back->min(), h.min());
  EXPECT_EQ(back->max(), h.max());
  EXPECT_NEAR(back->mean(), h.mean(), 1e-6);
  for (double p : {50.0, 99.0, 99.9}) EXPECT_EQ(back->ValueAtPercentile(p), h.ValueAtPercentile(p));
  EXPECT_EQ(back->ToJson().dump(), j.dump());
}

TEST(Histogram, FromJsonRejectsMalformedInput) {
  EXPECT_FALSE(Histogram::FromJson(Json::array()).ok());
  Json j = Histogram().ToJson();
  EXPECT_TRUE(Histogram::FromJson(j).ok());
  Json wrong_bits = j;
  wrong_bits["sub_bucket_bits"] = 5;
  EXPECT_FALSE(Histogram::FromJson(wrong_bits).ok());
  Json odd = j;
  odd["buckets"] = Json::array({1, 2, 3});
  EXPECT_FALSE(Histogram::FromJson(odd).ok());
  Json count = j;
  count["buckets"] = Json::array({1, 2});
  EXPECT_FALSE(Histogram::FromJson(count).ok());  // "count" is still 0
  Json far = j;
  far["buckets"] = Json::array({100000, 1});
  far["count"] = 1;
  EXPECT_FALSE(Histogram::FromJson(far).ok());
}

}  // namespace
}  // namespace strata::harness
