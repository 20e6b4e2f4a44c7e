// The value types of format version 2 and the order of every type
// (strata/value.h): each order is the one Datomic's indexes use, i.e.
// Java's / Clojure's compareTo for the type.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/value.h"
#include "util/coding.h"

namespace strata {
namespace {

Value BigInt(const std::string& s) {
  Value v;
  EXPECT_TRUE(Value::ParseBigInt(s, &v)) << s;
  return v;
}
Value BigDec(const std::string& s) {
  Value v;
  EXPECT_TRUE(Value::ParseBigDec(s, &v)) << s;
  return v;
}

// Each value strictly before the next, and Compare antisymmetric.
void ExpectAscending(const std::vector<Value>& vs) {
  for (size_t i = 0; i + 1 < vs.size(); ++i) {
    EXPECT_LT(vs[i].Compare(vs[i + 1]), 0) << i << ": " << vs[i].str() << " vs " << vs[i + 1].str();
    EXPECT_GT(vs[i + 1].Compare(vs[i]), 0) << i;
    EXPECT_FALSE(vs[i] == vs[i + 1]) << i;
  }
}

// Clojure compares keywords (and symbols) by namespace, then name
// (clojure.lang.Symbol.compareTo; Datomic's indexes sort keyword values so,
// https://docs.datomic.com/indexes.html "sort order"): :a/b before :a-/b,
// though "a-/b" < "a/b" as strings; a keyword without a namespace first.
TEST(ValueOrder, KeywordsByNamespaceThenName) {
  EXPECT_LT(Value::Keyword("a/b").Compare(Value::Keyword("a-/b")), 0);
  EXPECT_LT(Value::Keyword("ab").Compare(Value::Keyword("a/b")), 0);
  EXPECT_LT(Value::Keyword("zz").Compare(Value::Keyword("a/a")), 0);
  ExpectAscending({Value::Keyword("b"), Value::Keyword("a/z"), Value::Keyword("a.b/a"), Value::Keyword("a0/a")});
  EXPECT_EQ(Value::Keyword("a/b").Compare(Value::Keyword("a/b")), 0);
  // A name may hold further slashes: the namespace ends at the first.
  ExpectAscending({Value::Symbol("a/b/c"), Value::Symbol("a/c")});
  ExpectAscending({Value::Symbol("x"), Value::Symbol("a-/b")});
}

// :db.type/bigint is java.math.BigInteger (docs.datomic.com/schema/
// schema-reference.html#value-types): numeric order at any size.
TEST(ValueOrder, BigIntsNumerically) {
  ExpectAscending({BigInt("-100000000000000000000"), BigInt("-10"), BigInt("-9"), BigInt("0"), BigInt("9"),
                   BigInt("10"), BigInt("99999999999999999999"), BigInt("100000000000000000000")});
  EXPECT_EQ(BigInt("-0"), BigInt("0"));
  EXPECT_EQ(BigInt("+007").str(), "7");
  Value v;
  EXPECT_FALSE(Value::ParseBigInt("1.5", &v));
  EXPECT_FALSE(Value::ParseBigInt("", &v));
  EXPECT_FALSE(Value::ParseBigInt("-", &v));
}

// :db.type/bigdec is java.math.BigDecimal: numeric order (compareTo);
// 1.0M and 1.00M differ in scale, so they are two values (BigDecimal.equals),
// the smaller scale first.
TEST(ValueOrder, BigDecsNumericallyThenByScale) {
  ExpectAscending({BigDec("-10.5"), BigDec("-2"), BigDec("-1.25"), BigDec("-0.001"), BigDec("0"), BigDec("0.0"),
                   BigDec("0.001"), BigDec("0.5"), BigDec("1"), BigDec("1.0"), BigDec("1.00"), BigDec("1.01"),
                   BigDec("12345678901234567890.1")});
  EXPECT_EQ(BigDec("1.50").str(), "1.50");
  EXPECT_EQ(BigDec("-0.00").str(), "0.00");
  EXPECT_EQ(BigDec("1.5e2").str(), "150");
  EXPECT_EQ(BigDec("15e-3").str(), "0.015");
  EXPECT_EQ(BigDec("1E+3").str(), "1000");
  EXPECT_EQ(BigDec("007.10").str(), "7.10");
  Value v;
  EXPECT_FALSE(Value::ParseBigDec("1.2.3", &v));
  EXPECT_FALSE(Value::ParseBigDec(".5", &v));
  EXPECT_FALSE(Value::ParseBigDec("1e99999999", &v));
}

// :db.type/float is a Java float: IEEE single precision, a total order.
TEST(ValueOrder, FloatsAsSinglePrecision) {
  ExpectAscending({Value::Float(-1e30f), Value::Float(-1.5f), Value::Float(-0.0f), Value::Float(0.0f),
                   Value::Float(1.1f), Value::Float(3e38f)});
  EXPECT_EQ(Value::Float(1.1f).as_float(), 1.1f);
  EXPECT_NE(static_cast<double>(Value::Float(1.1f).as_float()), 1.1);  // single, not double, precision
}

// Bytes compare as unsigned bytes (0x7f before 0x80), shorter prefix first.
TEST(ValueOrder, BytesUnsignedLexicographic) {
  ExpectAscending({Value::Bytes(""), Value::Bytes(std::string("\x00", 1)), Value::Bytes("\x7f"),
                   Value::Bytes("\x80"), Value::Bytes(std::string("\x80\x00", 2)), Value::Bytes("\xff")});
}

// Tuples element by element, nil lowest (docs.datomic.com/schema/
// schema-reference.html#tuples), then the shorter first.
TEST(ValueOrder, TuplesElementwiseNilLowest) {
  // Between types, by type tag (string 3 before long 5), as for datom values.
  ExpectAscending({Value::Tuple({Value(), Value::Long(5)}), Value::Tuple({Value::Long(1), Value()}),
                   Value::Tuple({Value::Long(1), Value::String("a")}),
                   Value::Tuple({Value::Long(1), Value::Long(-3)}), Value::Tuple({Value::Long(1), Value::Long(2)}),
                   Value::Tuple({Value::Long(1), Value::Long(2), Value()}), Value::Tuple({Value::Long(2), Value()})});
  const Value t = Value::Tuple({Value::String("x"), Value::Keyword("k/w"), Value()});
  const std::vector<Value> items = t.tuple_items();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0], Value::String("x"));
  EXPECT_EQ(items[1], Value::Keyword("k/w"));
  EXPECT_TRUE(items[2].is_nil());
}

// New types take new tags after the old ones: old orders between types hold.
TEST(ValueOrder, NewTagsAreAdditive) {
  EXPECT_EQ(static_cast<int>(ValueType::kUuid), 8);
  ExpectAscending({Value::FromUuid(Uuid{~0ull, ~0ull}), BigInt("-5"), BigDec("-5"), Value::Float(-5),
                   Value::Bytes(""), Value::Uri("a"), Value::Symbol("a"), Value::Tuple({Value(), Value()})});
}

TEST(ValueCoding, NewTypesRoundTrip) {
  const std::vector<Value> vs = {BigInt("-123456789012345678901234567890"), BigDec("-0.000100"),
                                 Value::Float(-2.5f), Value::Bytes(std::string("\x00\xff\x80", 3)),
                                 Value::Uri("https://example.com/a?b=c"), Value::Symbol("my.ns/sym"),
                                 Value::Tuple({Value::Long(1), Value(), BigDec("1.0"), Value::Bytes("z")})};
  for (const Value& v : vs) {
    std::string buf;
    coding::PutValue(&buf, v);
    buf.push_back('!');  // the decoder stops at the value's end
    std::string_view in = buf;
    std::string_view skip = buf;
    Value back;
    ASSERT_TRUE(coding::GetValue(&in, &back)) << ValueTypeName(v.type());
    EXPECT_EQ(back, v);
    EXPECT_EQ(in, "!");
    ASSERT_TRUE(coding::SkipValue(&skip));
    EXPECT_EQ(skip, "!");
    for (size_t n = 0; n + 1 < buf.size(); ++n) {  // every truncation fails
      std::string_view cut(buf.data(), n);
      Value x;
      EXPECT_FALSE(coding::GetValue(&cut, &x)) << ValueTypeName(v.type()) << " cut at " << n;
    }
  }
}

// Only canonical numbers and well-formed tuples decode: another spelling
// of a number would compare equal to, yet differ in bytes from, the value.
TEST(ValueCoding, RefusesNonCanonicalPayloads) {
  auto decodes = [](ValueType t, const std::string& payload) {
    std::string buf(1, static_cast<char>(t));
    coding::PutLengthPrefixed(&buf, payload);
    std::string_view in = buf;
    Value v;
    return coding::GetValue(&in, &v);
  };
  EXPECT_TRUE(decodes(ValueType::kBigInt, "12"));
  EXPECT_FALSE(decodes(ValueType::kBigInt, "012"));
  EXPECT_FALSE(decodes(ValueType::kBigInt, "+12"));
  EXPECT_FALSE(decodes(ValueType::kBigInt, "-0"));
  EXPECT_TRUE(decodes(ValueType::kBigDec, "1.50"));
  EXPECT_FALSE(decodes(ValueType::kBigDec, "1.5e1"));
  EXPECT_FALSE(decodes(ValueType::kBigDec, "-0.0"));
  std::string nine;
  for (int i = 0; i < 9; ++i) coding::PutValue(&nine, Value::Long(i));
  EXPECT_FALSE(decodes(ValueType::kTuple, nine));
  std::string nested;
  coding::PutValue(&nested, Value::Tuple({Value::Long(1), Value::Long(2)}));
  coding::PutValue(&nested, Value::Long(3));
  EXPECT_FALSE(decodes(ValueType::kTuple, nested));
}

}  // namespace
}  // namespace strata
