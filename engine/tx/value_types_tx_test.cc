// Datomic's value types in transactions: the schema accepts them, values
// are coerced to the attribute's type or refused naming both, and they
// print back as EDN that reads to the same value.
// Types: https://docs.datomic.com/schema/schema-reference.html#value-types
#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace strata {
namespace {

using testing::Vals;

class ValueTypesTx : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Tx(R"([{:db/ident :t/bigint :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
           {:db/ident :t/bigdec :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/many}
           {:db/ident :t/float :db/valueType :db.type/float :db/cardinality :db.cardinality/one}
           {:db/ident :t/bytes :db/valueType :db.type/bytes :db/cardinality :db.cardinality/one}
           {:db/ident :t/uri :db/valueType :db.type/uri :db/cardinality :db.cardinality/one}
           {:db/ident :t/symbol :db/valueType :db.type/symbol :db/cardinality :db.cardinality/one}
           {:db/ident :t/kw :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}])");
  }
  EntityId Add(const std::string& attr, const std::string& value) {
    TxReport r = Tx("[{:db/id \"x\" " + attr + " " + value + "}]");
    return r.tempids.count("x") ? r.tempids.at("x") : 0;
  }
};

TEST_F(ValueTypesTx, SchemaKnowsEveryDatomicType) {
  for (const char* t : {"bigint", "bigdec", "float", "bytes", "uri", "symbol"}) {
    const Attribute* a = conn_->db().attribute(std::string("t/") + t);
    ASSERT_NE(a, nullptr) << t;
    EXPECT_STREQ(ValueTypeName(a->type), t);
  }
}

TEST_F(ValueTypesTx, EachTypeRoundTripsThroughItsEdnForm) {
  EXPECT_EQ(Vals(conn_->db(), Add(":t/bigint", "123456789012345678901234567890N"), "t/bigint"),
            std::vector<std::string>{"123456789012345678901234567890N"});
  EXPECT_EQ(Vals(conn_->db(), Add(":t/bigdec", "1.50M"), "t/bigdec"), std::vector<std::string>{"1.50M"});
  EXPECT_EQ(Vals(conn_->db(), Add(":t/float", "1.1"), "t/float"), std::vector<std::string>{"1.1"});
  EXPECT_EQ(Vals(conn_->db(), Add(":t/bytes", "#bytes \"AAEC/w==\""), "t/bytes"),
            std::vector<std::string>{"#bytes \"AAEC/w==\""});
  EXPECT_EQ(Vals(conn_->db(), Add(":t/uri", "#uri \"https://example.com/a?b=1\""), "t/uri"),
            std::vector<std::string>{"#uri \"https://example.com/a?b=1\""});
  EXPECT_EQ(Vals(conn_->db(), Add(":t/symbol", "my.ns/sym"), "t/symbol"), std::vector<std::string>{"my.ns/sym"});
}

// A float attribute holds single precision: 1.1 is stored as the nearest
// float, and 16777217 (2^24 + 1) has no float of its own.
TEST_F(ValueTypesTx, FloatIsSinglePrecision) {
  const EntityId e = Add(":t/float", "16777217");
  auto vs = conn_->db().Values(e, conn_->db().attribute("t/float")->id);
  ASSERT_TRUE(vs.ok());
  ASSERT_EQ(vs->size(), 1u);
  EXPECT_EQ((*vs)[0].type(), ValueType::kFloat);
  EXPECT_EQ((*vs)[0].as_float(), 16777216.0f);
  EXPECT_NE(TxError("[{:t/float 1e300}]").message().find("out of the float range"), std::string::npos);
}

// Datomic refuses a value whose type is not the attribute's
// (:db.error/wrong-type-for-attribute): a long is not a bigint, a double
// not a bigdec, a string not a uri or a keyword, a keyword not a symbol.
TEST_F(ValueTypesTx, WrongTypesAreRefusedNamingBoth) {
  struct Case {
    const char* attr;
    const char* value;
  };
  for (const Case& c : {Case{":t/bigint", "5"}, Case{":t/bigdec", "1.5"}, Case{":t/bigdec", "2N"},
                        Case{":t/uri", "\"https://x\""}, Case{":t/bytes", "\"AAE=\""}, Case{":t/symbol", ":kw"},
                        Case{":t/float", "1.5M"}, Case{":t/bytes", "#bytes \"not base64!\""},
                        Case{":t/uri", "#uri \"has space\""}}) {
    Status s = TxError(std::string("[{:db/id \"x\" ") + c.attr + " " + c.value + "}]");
    const std::string type = std::string(c.attr).substr(3);
    EXPECT_NE(s.message().find("value of the wrong type for " + std::string(c.attr) + " (expects " + type + ")"),
              std::string::npos)
        << s.ToString();
  }
}

// A bigint is a unique identity like any value: 10N and 010N... are one value;
// lookup refs find it.
TEST_F(ValueTypesTx, BigIntIdentityAndLookupRef) {
  const EntityId e = Add(":t/bigint", "99999999999999999999N");
  auto n = edn::ReadOne("[:t/bigint 99999999999999999999N]");
  ASSERT_TRUE(n.ok());
  auto found = conn_->db().Entid(*n);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, e);
  // Upsert: the same bigint resolves the tempid to the same entity.
  TxReport r = Tx("[{:db/id \"y\" :t/bigint 99999999999999999999N :t/float 2.0}]");
  EXPECT_EQ(r.tempids.at("y"), e);
}

// 1.0M and 1.00M are two values (BigDecimal.equals keeps the scale); both
// stay, in numeric order with the smaller scale first.
TEST_F(ValueTypesTx, BigDecKeepsScale) {
  const EntityId e = Add(":t/bigdec", "#{1.00M 1.0M 0.5M}");
  EXPECT_EQ(Vals(conn_->db(), e, "t/bigdec"), (std::vector<std::string>{"0.5M", "1.0M", "1.00M"}));
}

// Keyword values sort by namespace, then name (Clojure's compare): :a/b
// before :a-/b in EAVT, so the index order is the one Datomic's has.
TEST_F(ValueTypesTx, KeywordValuesInClojureOrder) {
  const EntityId e = Add(":t/kw", "#{:a-/b :a/b :ab :a/c}");
  EXPECT_EQ(Vals(conn_->db(), e, "t/kw"), (std::vector<std::string>{":ab", ":a/b", ":a/c", ":a-/b"}));
}

}  // namespace
}  // namespace strata
