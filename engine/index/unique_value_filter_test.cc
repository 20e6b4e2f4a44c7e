// UniqueValueFilter: no false negatives over random values of every common type
// (the lookup it guards must never miss a datom), equal values hash equal,
// attributes it does not cover always "may contain", a bounded false
// positive rate and size.
#include "index/unique_value_filter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>

namespace strata {
namespace {

// A random value of a random type, with the edge cases the index orders
// care about: -0.0 and 0.0, NaNs of different payloads, infinities, empty
// and long texts, ref and long extremes.
Value RandomValue(std::mt19937_64& rng) {
  auto text = [&](size_t max) {
    std::string s(rng() % (max + 1), '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 3);
    return s;
  };
  static const double kDoubles[] = {0.0,
                                    -0.0,
                                    std::numeric_limits<double>::quiet_NaN(),
                                    -std::numeric_limits<double>::quiet_NaN(),
                                    std::bit_cast<double>(uint64_t{0x7ff8000000000123}),
                                    std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::denorm_min(),
                                    1.0,
                                    -1.5};
  switch (rng() % 9) {
    case 0: return Value::String(text(rng() % 8 == 0 ? 100 : 6));
    case 1: return Value::Keyword(text(4) + "/" + text(4));
    case 2: return Value::FromUuid(Uuid{rng() % 4, rng() % 4 == 0 ? rng() : rng() % 3});
    case 3: return Value::Long(rng() % 3 == 0 ? static_cast<int64_t>(rng()) : static_cast<int64_t>(rng() % 7) - 3);
    case 4: return Value::Ref(rng() % 3 == 0 ? rng() : rng() % 5);
    case 5: return Value::Double(rng() % 2 ? kDoubles[rng() % std::size(kDoubles)] : static_cast<double>(rng() % 9) / 4);
    case 6: return Value::Float(rng() % 2 ? -0.0f : static_cast<float>(rng() % 5));
    case 7: return Value::Instant(static_cast<int64_t>(rng() % 5));
    default: return Value::Boolean(rng() % 2);
  }
}

// A copy rebuilt from the value's fields, as a leaf decoded from storage or
// a memory-index record turns back into a value.
Value Rebuilt(const Value& v) {
  Value out;
  out.AssignFields(v.type(), v.as_long(), v.uuid().lo, v.str());
  return out;
}

TEST(UniqueValueFilter, NoFalseNegativesOverRandomValues) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::vector<Datom> leaf(1 + rng() % 3000);
    for (Datom& d : leaf) {
      d.e = rng() % 1000;
      d.a = 70 + rng() % 4;
      d.v = RandomValue(rng);
      d.tx = rng() % 100;
      d.added = rng() % 4 != 0;  // retractions are keys too
    }
    std::sort(leaf.begin(), leaf.end(), DatomLessIn<Index::kAvet>{});
    // Attribute 73 is not unique: the filter does not speak for it.
    auto f = UniqueValueFilter::Build(leaf, [](EntityId a) { return a != 73; });
    const uint64_t covered = std::count_if(leaf.begin(), leaf.end(), [](const Datom& d) { return d.a != 73; });
    if (covered == 0) {
      EXPECT_EQ(f, nullptr);
      continue;
    }
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->keys(), covered);
    for (const Datom& d : leaf) {
      const Value copy = Rebuilt(d.v);
      ASSERT_EQ(ValueKeyHash(d.a, copy), ValueKeyHash(d.a, d.v)) << static_cast<int>(d.v.type()) << " " << d.v.as_long();
      EXPECT_TRUE(f->MayContain(d.a, ValueKeyHash(d.a, copy))) << "a " << d.a << " type " << static_cast<int>(d.v.type());
    }
    EXPECT_FALSE(f->Covers(73));
    EXPECT_TRUE(f->MayContain(73, 0));
  }
}

// The filter keys on Value::operator==, which the AVET order agrees with
// for doubles (std::strong_order: -0.0 sorts before 0.0, NaNs by their
// bits): the lookup it guards collects exactly the datoms equal to v.
TEST(UniqueValueFilter, EqualityOfDoublesIsTheIndexOrders) {
  const Value pz = Value::Double(0.0), nz = Value::Double(-0.0);
  const Value nan = Value::Double(std::numeric_limits<double>::quiet_NaN());
  const Value nan2 = Value::Double(std::bit_cast<double>(uint64_t{0x7ff8000000000123}));
  EXPECT_FALSE(pz == nz);
  EXPECT_NE(pz.Compare(nz), 0);
  EXPECT_TRUE(nan == Value::Double(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ(nan.Compare(Value::Double(std::numeric_limits<double>::quiet_NaN())), 0);
  EXPECT_EQ(ValueKeyHash(9, nan), ValueKeyHash(9, Value::Double(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_FALSE(nan == nan2);
  EXPECT_NE(nan.Compare(nan2), 0);
  // Different values, attributes or types hash apart.
  EXPECT_NE(ValueKeyHash(9, pz), ValueKeyHash(9, nz));
  EXPECT_NE(ValueKeyHash(9, Value::Long(5)), ValueKeyHash(9, Value::Ref(5)));
  EXPECT_NE(ValueKeyHash(9, Value::String("x")), ValueKeyHash(10, Value::String("x")));
  EXPECT_NE(ValueKeyHash(9, Value::String("x")), ValueKeyHash(9, Value::Keyword("x")));
}

TEST(UniqueValueFilter, FalsePositivesAndSizeAreBounded) {
  std::mt19937_64 rng(5);
  std::vector<Datom> leaf(4096);
  for (Datom& d : leaf) {
    d.a = 80;
    d.v = Value::FromUuid(Uuid{rng(), rng()});
    d.e = rng();
  }
  std::sort(leaf.begin(), leaf.end(), DatomLessIn<Index::kAvet>{});
  auto f = UniqueValueFilter::Build(leaf, [](EntityId) { return true; });
  ASSERT_NE(f, nullptr);
  int positives = 0;
  constexpr int kProbes = 100000;
  for (int i = 0; i < kProbes; ++i)
    positives += f->MayContain(80, ValueKeyHash(80, Value::FromUuid(Uuid{rng(), rng()})));
  // 10 bits and 6 probes a key in 512-bit blocks: about 1% (a Bloom filter
  // of the same size: 0.84%).
  EXPECT_LT(positives, kProbes * 2 / 100);
  EXPECT_GT(positives, 0);
  const double bits_per_key = 8.0 * static_cast<double>(f->MemoryBytes()) / static_cast<double>(leaf.size());
  EXPECT_LE(bits_per_key, UniqueValueFilter::kBitsPerKey + 1.0);
  EXPECT_GE(bits_per_key, UniqueValueFilter::kBitsPerKey);
}

TEST(UniqueValueFilter, NothingCoveredMakesNoFilter) {
  std::vector<Datom> leaf(10);
  for (size_t i = 0; i < leaf.size(); ++i) {
    leaf[i].a = 5;
    leaf[i].v = Value::Long(static_cast<int64_t>(i));
  }
  EXPECT_EQ(UniqueValueFilter::Build(leaf, [](EntityId) { return false; }), nullptr);
  EXPECT_EQ(UniqueValueFilter::Build({}, [](EntityId) { return true; }), nullptr);
}

}  // namespace
}  // namespace strata
