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
    EXPECT_FALSE(Refused("[{:db/id \"x\" :item/id \"X\" :item/owner " + e + "}]").ok());
    EXPECT_FALSE(Refused("[{:db/id " + e + " :item/count 5}]").ok());
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
  EXPECT_FALSE(Refused("[{:db/id 12345678}]").ok());
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

namespace strata {
namespace {

constexpr const char* kUserSchema = R"([
  {:db/ident :user/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one
   :db.attr/preds [clojure.core/seq test/at-most-ten-bytes?]}
  {:db/ident :user/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :user/score :db/valueType :db.type/long :db/cardinality :db.cardinality/many}
  {:db/ident :user/guard :db.entity/attrs [:user/name :user/email] :db.entity/preds test/scores-sum-below-100?}
])";

// Datomic: :db.attr/preds names predicates of a value, checked for every
// value a transaction asserts for the attribute; :db/ensure names an entity
// spec whose :db.entity/attrs must all be present and whose
// :db.entity/preds (predicates of db-after and an eid) must hold once the
// transaction's datoms are in. Either failure aborts the transaction
// (:db.error/attr-pred, :db.error/entity-attrs, :db.error/entity-pred);
// :db/ensure itself is not stored. Grammar:
// https://docs.datomic.com/schema/schema-reference.html (attr-pred,
// ent-pred); the checks: https://docs.datomic.com/schema/schema.html
// ("Attribute Predicates", "Entity Specs").
class PredicateTest : public TxSemanticsTest {
 protected:
  void SetUp() override {
    RegisterAttrPredicate("test/at-most-ten-bytes?",
                          [](const Value& v) { return v.type() == ValueType::kString && v.str().size() <= 10; });
    RegisterEntityPredicate("test/scores-sum-below-100?", [](const Database& db, EntityId e) {
      const Attribute* a = db.attribute("user/score");
      auto scores = db.Values(e, a->id);
      if (!scores.ok()) return false;
      int64_t sum = 0;
      for (const Value& v : *scores) sum += v.as_long();
      return sum < 100;
    });
    TxSemanticsTest::SetUp();
    Tx(kUserSchema);
  }
};

TEST_F(PredicateTest, AttributePredicatesCheckEveryAssertedValue) {
  TxReport ok = Tx(R"([{:db/id "u" :user/name "ann"}])");
  // The empty string fails clojure.core/seq, eleven bytes the registered one.
  Status s = Refused(R"([{:db/id "v" :user/name ""}])");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("failed predicate clojure.core/seq of attribute :user/name (:db.error/attr-pred)"),
            std::string::npos)
      << s.ToString();
  s = Refused(R"([{:db/id "v" :user/email "ok"} {:db/id "w" :user/name "elevenbytes"}])");
  EXPECT_NE(s.message().find("test/at-most-ten-bytes?"), std::string::npos) << s.ToString();
  // A new value for an existing entity is checked too.
  EXPECT_FALSE(Refused("[[:db/add " + std::to_string(ok.tempids.at("u")) + " :user/name \"\"]]").ok());
  // Predicates may be added to an attribute that exists (a schema change).
  Tx(R"([{:db/ident :item/count :db.attr/preds clojure.core/nat-int?}])");
  Tx(R"([{:item/id "A" :item/count 0}])");
  s = Refused(R"([{:item/id "B" :item/count -1}])");
  EXPECT_NE(s.message().find("clojure.core/nat-int?"), std::string::npos) << s.ToString();
  // A name nobody registered fails every assertion; a name must be a
  // qualified symbol.
  Tx(R"([{:db/ident :name :db.attr/preds no.such/pred?}])");
  s = Refused(R"([{:name "x"}])");
  EXPECT_NE(s.message().find("no.such/pred? of :name is not registered"), std::string::npos) << s.ToString();
  s = Refused(R"([{:db/ident :item/email :db.attr/preds unqualified?}])");
  EXPECT_NE(s.message().find("qualified symbols"), std::string::npos) << s.ToString();
  // The predicates are schema: they hold after an indexing job and a reopen
  // (the schema is then loaded from segments), and retracting one lifts it.
  ASSERT_TRUE(conn_->IndexNow().ok());
  Reopen();
  EXPECT_FALSE(Refused(R"([{:item/id "C" :item/count -1}])").ok());
  Tx(R"([[:db/retract :item/count :db.attr/preds clojure.core/nat-int?]])");
  Tx(R"([{:item/id "C" :item/count -1}])");
}

TEST_F(PredicateTest, EntitySpecsCheckRequiredAttributesAndPredicatesOnDbAfter) {
  const T next = conn_->db().next_t();
  TxReport r = Tx(R"([{:db/id "u" :user/name "ann" :user/email "a@x" :user/score [10 20] :db/ensure :user/guard}])");
  const EntityId u = r.tempids.at("u");
  // :db/ensure is virtual: no datom of it, in the report or the database.
  for (const Datom& d : r.tx_data) EXPECT_NE(d.a, Id(":db/ensure"));
  EXPECT_TRUE(Vals(conn_->db(), u, "db/ensure").empty());
  EXPECT_EQ(r.t, next);
  // A required attribute missing: the spec names what is missing.
  Status s = Refused(R"([{:db/id "v" :user/name "bob" :db/ensure :user/guard}])");
  EXPECT_NE(s.message().find("is missing attributes [:user/email] of entity spec :user/guard (:db.error/entity-attrs)"),
            std::string::npos)
      << s.ToString();
  // The entity predicate sees db-after: the old scores and the new one.
  s = Refused("[[:db/add " + std::to_string(u) + " :user/score 70] [:db/add " + std::to_string(u) +
              " :db/ensure :user/guard]]");
  EXPECT_NE(s.message().find("failed predicate test/scores-sum-below-100? of entity spec :user/guard "
                             "(:db.error/entity-pred)"),
            std::string::npos)
      << s.ToString();
  Tx("[[:db/add " + std::to_string(u) + " :user/score 69] [:db/add " + std::to_string(u) + " :db/ensure :user/guard]]");
  // Without :db/ensure the spec is not checked; a retraction that breaks it
  // is caught when the transaction asks.
  Tx("[[:db/add " + std::to_string(u) + " :user/score 1]]");
  s = Refused("[[:db/retract " + std::to_string(u) + " :user/email \"a@x\"] [:db/add " + std::to_string(u) +
              " :db/ensure :user/guard]]");
  EXPECT_NE(s.message().find(":db.error/entity-attrs"), std::string::npos) << s.ToString();
  // An entity that is not a spec.
  s = Refused("[[:db/add " + std::to_string(u) + " :db/ensure :user/name]]");
  EXPECT_NE(s.message().find("not an entity spec"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace strata
