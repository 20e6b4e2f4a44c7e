// Transaction semantics a Datomic user relies on (issue 17): invented
// entity ids, reverse keys in maps, maps holding only :db/id, identity
// unification across tempids, attribute predicates and entity specs. Each
// test names the Datomic page that defines the behaviour.
#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace strata {
namespace {

using testing::DbTest;
using testing::Dump;
using testing::Vals;

constexpr const char* kSchema = R"([
  {:db/ident :item/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :item/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
  {:db/ident :item/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  {:db/ident :name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
])";

class TxSemanticsTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Tx(kSchema);
  }
  // The transaction is refused and leaves the database as it was: same
  // basis, same t counter, same datoms.
  Status Refused(const std::string& tx) {
    const Database before = conn_->db();
    Status s = TxError(tx);
    const Database after = conn_->db();
    EXPECT_EQ(after.basis_t(), before.basis_t()) << tx;
    EXPECT_EQ(after.next_t(), before.next_t()) << tx;
    EXPECT_EQ(Dump(after, Index::kEavt), Dump(before, Index::kEavt)) << tx;
    return s;
  }
};

// Datomic: entity ids are assigned by the transactor; a transaction names
// an entity by an existing id, an ident, a lookup ref, or a tempid for a
// new one ("Entity Identifiers", https://docs.datomic.com/identity.html;
// grammar tx-entid = identifier | tempid,
// https://docs.datomic.com/transactions/transaction-data-reference.html).
// An id whose t the transactor never handed out names nothing: Datomic
// refuses it (:db.error/invalid-entity-id) rather than creating it.
TEST_F(TxSemanticsTest, InventedEntityIdsAreRefusedInEveryPartition) {
  const T next = conn_->db().next_t();
  const std::string invented[] = {
      "12345678",                                                   // the db partition (0)
      std::to_string(MakeEntityId(kPartUser, next + 5)),            // :db.part/user, beyond the counter
      std::to_string(MakeEntityId(kPartTx, next + 5)),              // a transaction not yet run
      std::to_string(MakeEntityId(1, 1)),                           // a partition that does not exist
  };
  for (const std::string& e : invented) {
    Status s = Refused("[[:db/add " + e + " :item/count 5]]");
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << e << ": " << s.ToString();
    EXPECT_NE(s.message().find("invalid entity id " + e + " at line 1"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(":db.error/invalid-entity-id"), std::string::npos) << s.ToString();
    // In value position and in a map's :db/id too.
    Refused("[{:db/id \"x\" :item/id \"X\" :item/owner " + e + "}]");
    Refused("[{:db/id " + e + " :item/count 5}]");
  }
  // The counter never jumps because of a user-given id.
  TxReport r = Tx(R"([{:db/id "a" :item/id "A"}])");
  EXPECT_EQ(r.t, next);
  EXPECT_EQ(conn_->db().next_t(), next + 2);
  // Ids the transactor handed out are fine, schema entities included.
  Tx("[[:db/add " + std::to_string(r.tempids.at("a")) + " :item/count 5]]");
  Tx("[[:db/add " + std::to_string(Id(":item/count")) + " :db/doc \"how many\"]]");
  Tx("[[:db/add " + std::to_string(r.tx) + " :db/doc \"the first\"]]");
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Datomic: a map form may name an attribute in reverse (:ns/_name links the
// other entity to this one), as pull patterns do; an attribute without a
// namespace reverses the same way, :_friend for :friend
// (https://docs.datomic.com/transactions/transaction-data-reference.html,
// map forms; https://docs.datomic.com/query/query-pull.html, reverse lookup).
TEST_F(TxSemanticsTest, ReverseKeyOfAnAttributeWithoutNamespaceInAMap) {
  TxReport a = Tx(R"([{:db/id "a" :item/id "A"} {:db/id "b" :item/id "B"}])");
  TxReport r = Tx(R"([{:db/id "y" :name "Y" :_friend [[:item/id "A"] [:item/id "B"]]}])");
  const std::string y = std::to_string(r.tempids.at("y"));
  EXPECT_EQ(Vals(conn_->db(), a.tempids.at("a"), "friend"), std::vector<std::string>{y});
  EXPECT_EQ(Vals(conn_->db(), a.tempids.at("b"), "friend"), std::vector<std::string>{y});
  // A reverse key of something that is not a ref attribute is still refused.
  Status s = Refused(R"([{:db/id "z" :name "Z" :_name [:item/id "A"]}])");
  EXPECT_NE(s.message().find("non-ref"), std::string::npos) << s.ToString();
  s = Refused(R"([{:db/id "z" :name "Z" :_nothing [:item/id "A"]}])");
  EXPECT_NE(s.message().find("unknown attribute :nothing"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Datomic: a map form is shorthand for the assertions of its attribute and
// value pairs, with :db/id naming the entity they are about
// (https://docs.datomic.com/transactions/transaction-data-reference.html,
// map forms); a map holding only :db/id asserts nothing, so it adds no
// entity and its tempid still has to name an entity elsewhere. A tempid
// used only as a value is :db.error/tempid-not-an-entity.
TEST_F(TxSemanticsTest, AMapHoldingOnlyDbIdAssertsNothing) {
  // Alone: the transaction records only its instant, and reports no tempid.
  TxReport r = Tx(R"([{:db/id "bare"}])");
  ASSERT_EQ(r.tx_data.size(), 1u);
  EXPECT_EQ(r.tx_data[0].e, r.tx);
  EXPECT_EQ(r.tempids.count("bare"), 0u);
  EXPECT_EQ(conn_->db().next_t(), r.t + 1);  // no entity took a t
  // It does not make its tempid an entity that a ref may point at.
  Status s = Refused(R"([{:db/id "x"} {:db/id "y" :item/id "Y" :item/owner "x"}])");
  EXPECT_NE(s.message().find("tempid \"x\" is used only in value position"), std::string::npos) << s.ToString();
  // With an existing id it changes nothing; an invented id is still refused.
  TxReport a = Tx(R"([{:db/id "a" :item/id "A"}])");
  TxReport r2 = Tx("[{:db/id " + std::to_string(a.tempids.at("a")) + "}]");
  EXPECT_EQ(r2.tx_data.size(), 1u);
  Refused("[{:db/id 12345678}]");
  // Nested under a ref attribute, {:db/id x} is a reference to x.
  TxReport n = Tx(R"([{:db/id "p" :item/id "P"} {:item/id "Q" :item/owner {:db/id "p"}}])");
  EXPECT_EQ(Vals(conn_->db(), Id(R"([:item/id "Q"])"), "item/owner"),
            std::vector<std::string>{std::to_string(n.tempids.at("p"))});
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Datomic: a tempid asserting a :db.unique/identity value resolves to the
// entity holding it ("Unique Identities", https://docs.datomic.com/identity.html);
// within one transaction, tempids asserting the same new identity value
// are the same entity — they resolve to one new id instead of conflicting.
// A :db.unique/value attribute does not unify: two tempids with one value
// are a unique conflict ("Unique Values", same page).
TEST_F(TxSemanticsTest, TempidsWithTheSameNewIdentityValueAreOneEntity) {
  const T next = conn_->db().next_t();
  TxReport r = Tx(R"([{:db/id "a" :item/id "N" :item/count 1}
                      {:db/id "b" :item/id "N" :name "n"}
                      [:db/add "c" :item/id "M"]
                      {:db/id "d" :item/owner "b" :name "d"}])");
  EXPECT_EQ(r.tempids.at("a"), r.tempids.at("b"));
  EXPECT_NE(r.tempids.at("a"), r.tempids.at("c"));
  // One entity took one t: "a"/"b" first, then "c", then "d".
  EXPECT_EQ(r.tempids.at("a"), MakeEntityId(kPartUser, next + 1));
  EXPECT_EQ(r.tempids.at("c"), MakeEntityId(kPartUser, next + 2));
  EXPECT_EQ(r.tempids.at("d"), MakeEntityId(kPartUser, next + 3));
  EXPECT_EQ(conn_->db().next_t(), next + 4);
  const EntityId n = Id(R"([:item/id "N"])");
  EXPECT_EQ(n, r.tempids.at("a"));
  EXPECT_EQ(Vals(conn_->db(), n, "item/count"), std::vector<std::string>{"1"});
  EXPECT_EQ(Vals(conn_->db(), n, "name"), std::vector<std::string>{"\"n\""});
  EXPECT_EQ(Vals(conn_->db(), r.tempids.at("d"), "item/owner"), std::vector<std::string>{std::to_string(n)});
  // Chains: "x" and "y" share one identity value, "y" and "z" another.
  Tx(R"([{:db/ident :item/code :db/valueType :db.type/long :db/cardinality :db.cardinality/one
          :db/unique :db.unique/identity}])");
  TxReport c = Tx(R"([{:db/id "x" :item/id "X"} {:db/id "y" :item/id "X" :item/code 7} {:db/id "z" :item/code 7}])");
  EXPECT_EQ(c.tempids.at("x"), c.tempids.at("y"));
  EXPECT_EQ(c.tempids.at("y"), c.tempids.at("z"));
  // Two values of one cardinality-one attribute for the unified entity are
  // still refused, and :db.unique/value does not unify.
  Status s = Refused(R"([{:db/id "p" :item/id "P" :item/count 1} {:db/id "q" :item/id "P" :item/count 2}])");
  EXPECT_NE(s.message().find("two values for cardinality-one attribute :item/count"), std::string::npos) << s.ToString();
  s = Refused(R"([{:db/id "p" :item/email "e@x"} {:db/id "q" :item/email "e@x"}])");
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
}

}  // namespace
}  // namespace strata
