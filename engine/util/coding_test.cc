// Tests for coding.h: fixed ints, varints, zigzag, length prefixes, the
// value codec (every ValueType) and the checksum.

#include "util/coding.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

namespace strata::coding {
namespace {

TEST(CodingTest, FixedIntsAreLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(s.substr(0, 4), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(s.substr(4), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(DecodeFixed32(s.data()), 0x04030201u);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0807060504030201ull);

  std::string_view in = s;
  uint32_t a;
  uint64_t b;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetFixed32(&in, &a));
  std::string_view seven = std::string_view(s).substr(0, 7);
  EXPECT_FALSE(GetFixed64(&seven, &b));
  EXPECT_EQ(seven.size(), 7u);  // untouched on failure
}

TEST(CodingTest, FixedExtremes) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0xff}, ~uint64_t{0}, uint64_t{1} << 63}) {
    std::string s;
    PutFixed64(&s, v);
    EXPECT_EQ(DecodeFixed64(s.data()), v);
    std::string t;
    PutFixed32(&t, static_cast<uint32_t>(v));
    EXPECT_EQ(DecodeFixed32(t.data()), static_cast<uint32_t>(v));
  }
}

TEST(CodingTest, VarintRoundTripAndLengths) {
  struct Case {
    uint64_t v;
    size_t len;
  };
  const std::vector<Case> cases = {
      {0, 1},
      {1, 1},
      {127, 1},
      {128, 2},
      {16383, 2},
      {16384, 3},
      {(1ull << 21) - 1, 3},
      {1ull << 21, 4},
      {0xffffffffull, 5},
      {1ull << 35, 6},
      {1ull << 56, 9},
      {(1ull << 63) - 1, 9},
      {1ull << 63, 10},
      {~0ull, 10},
  };
  for (const Case& c : cases) {
    std::string s;
    PutVarint64(&s, c.v);
    EXPECT_EQ(s.size(), c.len) << c.v;
    s += "tail";
    std::string_view in = s;
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got)) << c.v;
    EXPECT_EQ(got, c.v);
    EXPECT_EQ(in, "tail");
  }
}

TEST(CodingTest, VarintRejectsTruncatedAndOverlong) {
  std::string s;
  PutVarint64(&s, ~0ull);
  for (size_t n = 0; n < s.size(); ++n) {
    std::string_view in = std::string_view(s).substr(0, n);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << n;
    EXPECT_EQ(in.size(), n);
  }
  // 11 continuation bytes: longer than any 64-bit varint.
  std::string overlong(10, '\x80');
  overlong.push_back('\x01');
  std::string_view in = overlong;
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
  // 10th byte carrying more than bit 63 would overflow.
  std::string overflow(9, '\xff');
  overflow.push_back('\x02');
  in = overflow;
  EXPECT_FALSE(GetVarint64(&in, &v));
  overflow.back() = '\x01';
  in = overflow;
  ASSERT_TRUE(GetVarint64(&in, &v));
  EXPECT_EQ(v, ~0ull);
}

TEST(CodingTest, ZigzagRoundTrip) {
  const std::vector<int64_t> vals = {0,
                                     1,
                                     -1,
                                     63,
                                     -64,
                                     64,
                                     -65,
                                     1234567890123,
                                     -1234567890123,
                                     std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min(),
                                     std::numeric_limits<int64_t>::min() + 1};
  for (int64_t v : vals) {
    std::string s;
    PutZigzag64(&s, v);
    std::string_view in = s;
    int64_t got = 0;
    ASSERT_TRUE(GetZigzag64(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
  // Small magnitudes of either sign stay small.
  std::string s;
  PutZigzag64(&s, -1);
  EXPECT_EQ(s.size(), 1u);
  s.clear();
  PutZigzag64(&s, -64);
  EXPECT_EQ(s.size(), 1u);
  s.clear();
  PutZigzag64(&s, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(s.size(), 10u);
}

TEST(CodingTest, LengthPrefixed) {
  const std::string big(100000, 'x');
  for (std::string_view v :
       {std::string_view(), std::string_view("a"), std::string_view("\0\0", 2), std::string_view(big)}) {
    std::string s;
    PutLengthPrefixed(&s, v);
    std::string_view in = s;
    std::string_view got;
    ASSERT_TRUE(GetLengthPrefixed(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
    if (!v.empty()) {
      std::string_view cut = std::string_view(s).substr(0, s.size() - 1);
      EXPECT_FALSE(GetLengthPrefixed(&cut, &got));
      EXPECT_EQ(cut.size(), s.size() - 1);
    }
  }
  // A length far beyond the buffer is rejected, not allocated.
  std::string huge;
  PutVarint64(&huge, ~0ull);
  std::string_view in = huge;
  std::string_view got;
  EXPECT_FALSE(GetLengthPrefixed(&in, &got));
}

std::vector<Value> AllKindsOfValues() {
  const double nan_bits = std::bit_cast<double>(uint64_t{0x7ff8000000000123ull});
  return {
      Value(),
      Value::Ref(0),
      Value::Ref(1),
      Value::Ref(MakeEntityId(kPartUser, 12345)),
      Value::Ref(~uint64_t{0}),
      Value::Keyword(""),
      Value::Keyword("db/ident"),
      Value::Keyword(std::string(300, 'k')),
      Value::String(""),
      Value::String("hello"),
      Value::String(std::string("nul\0inside", 10)),
      Value::String(std::string(1 << 20, 'z')),
      Value::String("\xe2\x82\xac utf-8"),
      Value::Boolean(false),
      Value::Boolean(true),
      Value::Long(0),
      Value::Long(-1),
      Value::Long(42),
      Value::Long(std::numeric_limits<int64_t>::max()),
      Value::Long(std::numeric_limits<int64_t>::min()),
      Value::Double(0.0),
      Value::Double(-0.0),
      Value::Double(3.141592653589793),
      Value::Double(-1e308),
      Value::Double(std::numeric_limits<double>::denorm_min()),
      Value::Double(std::numeric_limits<double>::max()),
      Value::Double(std::numeric_limits<double>::infinity()),
      Value::Double(-std::numeric_limits<double>::infinity()),
      Value::Double(nan_bits),
      Value::Instant(0),
      Value::Instant(1700000000000),
      Value::Instant(-86400000),
      Value::Instant(std::numeric_limits<int64_t>::min()),
      Value::Instant(std::numeric_limits<int64_t>::max()),
      Value::FromUuid(Uuid{0, 0}),
      Value::FromUuid(Uuid{0x0123456789abcdefull, 0xfedcba9876543210ull}),
      Value::FromUuid(Uuid{~0ull, ~0ull}),
  };
}

TEST(CodingTest, ValueRoundTripEveryType) {
  bool seen[9] = {};
  for (const Value& v : AllKindsOfValues()) {
    seen[static_cast<int>(v.type())] = true;
    std::string s;
    PutValue(&s, v);
    EXPECT_EQ(static_cast<uint8_t>(s[0]), static_cast<uint8_t>(v.type()));
    s += "rest";
    std::string_view in = s;
    Value got = Value::Long(777);
    ASSERT_TRUE(GetValue(&in, &got)) << ValueTypeName(v.type());
    EXPECT_EQ(got, v) << ValueTypeName(v.type());
    EXPECT_EQ(got.type(), v.type());
    EXPECT_EQ(in, "rest");
    if (v.type() == ValueType::kDouble) {
      // Bit-exact, so -0.0 and NaN payloads survive.
      EXPECT_EQ(std::bit_cast<uint64_t>(got.as_double()), std::bit_cast<uint64_t>(v.as_double()));
    }
  }
  for (int t = 0; t <= 8; ++t) EXPECT_TRUE(seen[t]) << t;
}

TEST(CodingTest, ValueSequence) {
  const std::vector<Value> vals = AllKindsOfValues();
  std::string s;
  for (const Value& v : vals) PutValue(&s, v);
  std::string_view in = s;
  for (const Value& v : vals) {
    Value got;
    ASSERT_TRUE(GetValue(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, ValueRejectsEveryTruncation) {
  for (const Value& v : AllKindsOfValues()) {
    if (v.type() == ValueType::kString && v.str().size() > 1000) continue;  // keep it fast
    std::string s;
    PutValue(&s, v);
    for (size_t n = 0; n < s.size(); ++n) {
      std::string_view in = std::string_view(s).substr(0, n);
      Value got;
      EXPECT_FALSE(GetValue(&in, &got)) << ValueTypeName(v.type()) << " cut at " << n;
      EXPECT_EQ(in.size(), n);  // untouched on failure
    }
  }
}

TEST(CodingTest, ValueRejectsMalformed) {
  Value got;
  for (int tag : {9, 10, 0x7f, 0xff}) {
    std::string s(1, static_cast<char>(tag));
    s += std::string(20, '\0');
    std::string_view in = s;
    EXPECT_FALSE(GetValue(&in, &got)) << tag;
  }
  // A boolean other than 0 or 1.
  std::string b(1, static_cast<char>(ValueType::kBoolean));
  PutZigzag64(&b, 2);
  std::string_view in = b;
  EXPECT_FALSE(GetValue(&in, &got));
  b.resize(1);
  PutZigzag64(&b, -1);
  in = b;
  EXPECT_FALSE(GetValue(&in, &got));
  // A string whose length exceeds the buffer.
  std::string str(1, static_cast<char>(ValueType::kString));
  PutVarint64(&str, 1000);
  str += "short";
  in = str;
  EXPECT_FALSE(GetValue(&in, &got));
}

TEST(CodingTest, Checksum) {
  EXPECT_EQ(Checksum(""), XXH3_64bits("", 0));
  EXPECT_EQ(Checksum("strata"), XXH3_64bits("strata", 6));
  EXPECT_EQ(Checksum("strata"), Checksum(std::string("strata")));
  EXPECT_NE(Checksum("strata"), Checksum("strbta"));
  EXPECT_NE(Checksum(std::string("\0", 1)), Checksum(""));
}

}  // namespace
}  // namespace strata::coding
