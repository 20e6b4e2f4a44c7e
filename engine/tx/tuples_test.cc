// Tuples (https://docs.datomic.com/schema/schema-reference.html#tuples):
// homogeneous (:db/tupleType), heterogeneous (:db/tupleTypes) and composite
// (:db/tupleAttrs) tuple attributes, 2 to 8 elements, nil lowest; composite
// values maintained by the transactor, usable as :db.unique/identity (upsert,
// lookup refs) and in AVET.
#include <gtest/gtest.h>

#include "strata/indexing.h"
#include "testing/test_util.h"

namespace strata {
namespace {

using testing::Dump;
using testing::Vals;

constexpr const char* kSchema = R"([
  {:db/ident :reg/course :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :reg/semester :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
  {:db/ident :reg/student :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :reg/semester+course+student :db/valueType :db.type/tuple
   :db/tupleAttrs [:reg/semester :reg/course :reg/student]
   :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :t/pair :db/valueType :db.type/tuple :db/tupleTypes [:db.type/long :db.type/string]
   :db/cardinality :db.cardinality/one}
  {:db/ident :t/longs :db/valueType :db.type/tuple :db/tupleType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :student/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one
   :db/unique :db.unique/identity}])";

class Tuples : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Tx(kSchema);
    student_ = Tx(R"([{:db/id "s" :student/name "Ann"}])").tempids.at("s");
  }
  EntityId New(const std::string& body) { return Tx("[{:db/id \"x\" " + body + "}]").tempids.at("x"); }
  std::string Composite(EntityId e) {
    auto v = Vals(conn_->db(), e, "reg/semester+course+student");
    return v.empty() ? "none" : v[0];
  }
  EntityId student_ = 0;
};

TEST_F(Tuples, HomogeneousTuplesTakeTwoToEightOfOneType) {
  EXPECT_EQ(Vals(conn_->db(), New(":t/longs [1 2 3]"), "t/longs"), std::vector<std::string>{"[1 2 3]"});
  EXPECT_EQ(Vals(conn_->db(), New(":t/longs [1 nil]"), "t/longs"), std::vector<std::string>{"[1 nil]"});
  EXPECT_NE(TxError("[{:t/longs [1]}]").message().find("a tuple has 2 to 8 elements: 1"), std::string::npos);
  EXPECT_NE(TxError("[{:t/longs [1 2 3 4 5 6 7 8 9]}]").message().find("2 to 8 elements: 9"), std::string::npos);
  EXPECT_NE(TxError("[{:t/longs [1 \"a\"]}]").message().find("wrong type for :t/longs (expects long)"),
            std::string::npos);
  EXPECT_NE(TxError("[{:t/longs 1}]").message().find("expects tuple"), std::string::npos);
}

TEST_F(Tuples, HeterogeneousTuplesHaveOneElementPerType) {
  EXPECT_EQ(Vals(conn_->db(), New(":t/pair [7 \"seven\"]"), "t/pair"), std::vector<std::string>{"[7 \"seven\"]"});
  EXPECT_NE(TxError("[{:t/pair [7 \"seven\" 8]}]").message().find("takes tuples of 2 elements: got 3"),
            std::string::npos);
  EXPECT_NE(TxError("[{:t/pair [\"seven\" 7]}]").message().find("expects long"), std::string::npos);
}

// "Composite attributes are entirely managed by Datomic – you never assert
// or retract them yourself. Whenever you assert or retract any attribute
// that is part of a composite, Datomic will automatically populate the
// composite value", nil for a component the entity does not have.
TEST_F(Tuples, CompositeFollowsEveryChangeOfAComponent) {
  const EntityId e = New(":reg/course \"Datalog\" :reg/semester :2024/fall");
  EXPECT_EQ(Composite(e), "[:2024/fall \"Datalog\" nil]");
  Tx("[[:db/add " + std::to_string(e) + " :reg/student " + std::to_string(student_) + "]]");
  EXPECT_EQ(Composite(e), "[:2024/fall \"Datalog\" " + std::to_string(student_) + "]");
  Tx("[[:db/add " + std::to_string(e) + " :reg/course \"Pull\"]]");
  EXPECT_EQ(Composite(e), "[:2024/fall \"Pull\" " + std::to_string(student_) + "]");
  Tx("[[:db/retract " + std::to_string(e) + " :reg/semester :2024/fall]]");
  EXPECT_EQ(Composite(e), "[nil \"Pull\" " + std::to_string(student_) + "]");
  // Retracting the student entity empties its slot (a ref to it is retracted).
  Tx("[[:db/retractEntity " + std::to_string(student_) + "]]");
  EXPECT_EQ(Composite(e), "[nil \"Pull\" nil]");
  // With no component left, there is no composite value (as DataScript,
  // which follows Datomic here; an all-nil tuple would say nothing).
  Tx("[[:db/retract " + std::to_string(e) + " :reg/course \"Pull\"]]");
  EXPECT_EQ(Composite(e), "none");
  // Each change is one assertion and the retraction of the value it
  // replaced, nothing more: 1 + 2 * 4 + 1.
  EXPECT_EQ(Dump(conn_->db().History(), Index::kEavt, {std::to_string(e), ":reg/semester+course+student"}).size(), 10u);
}

TEST_F(Tuples, CompositeCannotBeSetOrRetractedByHand) {
  const EntityId e = New(":reg/course \"Datalog\" :reg/semester :2024/fall");
  Status s = TxError("[[:db/add " + std::to_string(e) + " :reg/semester+course+student [:2024/fall \"X\" nil]]]");
  EXPECT_NE(s.message().find("is maintained by the transactor"), std::string::npos) << s.ToString();
  s = TxError("[[:db/retract " + std::to_string(e) + " :reg/semester+course+student [:2024/fall \"Datalog\" nil]]]");
  EXPECT_NE(s.message().find("cannot be retracted"), std::string::npos) << s.ToString();
  EXPECT_EQ(Composite(e), "[:2024/fall \"Datalog\" nil]");
}

// A composite :db.unique/identity upserts when the transaction names the
// composite with the value its components give, and resolves lookup refs.
TEST_F(Tuples, CompositeIdentityUpsertsAndResolvesLookupRefs) {
  const std::string sid = std::to_string(student_);
  const EntityId e = New(":reg/course \"Datalog\" :reg/semester :2024/fall :reg/student " + sid);
  TxReport r = Tx("[{:db/id \"again\" :reg/course \"Datalog\" :reg/semester :2024/fall :reg/student " + sid +
                  " :reg/semester+course+student [:2024/fall \"Datalog\" " + sid + "]}]");
  EXPECT_EQ(r.tempids.at("again"), e);
  auto ref = edn::ReadOne("[:reg/semester+course+student [:2024/fall \"Datalog\" [:student/name \"Ann\"]]]");
  ASSERT_TRUE(ref.ok());
  auto found = conn_->db().Entid(*ref);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, e);
  // A second entity with the same components is a unique conflict.
  Status s = TxError("[{:reg/course \"Datalog\" :reg/semester :2024/fall :reg/student " + sid + "}]");
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
}

// Composite tuples are in AVET without :db/index, sorted element by element
// with nil lowest.
TEST_F(Tuples, CompositesAreInAvetNilFirst) {
  New(":reg/course \"B\" :reg/semester :s/one");
  New(":reg/course \"A\"");
  New(":reg/course \"A\" :reg/semester :s/one");
  std::vector<std::string> vs;
  for (const std::string& d : Dump(conn_->db(), Index::kAvet, {":reg/semester+course+student"}))
  {
    const size_t from = d.find('[', 1);  // the value, inside the datom's brackets
    vs.push_back(d.substr(from, d.find(']', from) - from + 1));
  }
  EXPECT_EQ(vs, (std::vector<std::string>{"[nil \"A\" nil]", "[:s/one \"A\" nil]", "[:s/one \"B\" nil]"}));
}

TEST_F(Tuples, DefinitionsAreChecked) {
  auto err = [&](const std::string& def) {
    return TxError("[{:db/ident :bad/t :db/valueType :db.type/tuple :db/cardinality :db.cardinality/one " + def +
                   "}]")
        .message();
  };
  EXPECT_NE(err("").find("needs exactly one of :db/tupleType"), std::string::npos);
  EXPECT_NE(err(":db/tupleType :db.type/nope").find("not a scalar value type"), std::string::npos);
  EXPECT_NE(err(":db/tupleType :db.type/tuple").find("not a scalar value type"), std::string::npos);
  EXPECT_NE(err(":db/tupleAttrs [:reg/course :no/such]").find("does not exist"), std::string::npos);
  EXPECT_NE(err(":db/tupleAttrs [:reg/course :t/pair]").find("which is a tuple"), std::string::npos);
  EXPECT_NE(err(":db/tupleTypes [:db.type/long :db.type/long :db.type/long :db.type/long :db.type/long "
                ":db.type/long :db.type/long :db.type/long :db.type/long]")
                .find("2 to 8"),
            std::string::npos);
  Status s = TxError("[{:db/ident :bad/t :db/valueType :db.type/long :db/cardinality :db.cardinality/one "
                     ":db/tupleType :db.type/long}]");
  EXPECT_NE(s.message().find("need :db/valueType :db.type/tuple"), std::string::npos) << s.ToString();
}

// A composite-tuple upsert and lookup ref survive the log, a reopen and an
// indexing job, under every strategy.
TEST(TuplesDurable, UpsertAndLookupRefUnderEveryStrategy) {
  for (const std::string& strategy : StrategyNames()) {
    SCOPED_TRACE(strategy);
    auto env = NewMemEnv();
    Options o;
    o.env = env.get();
    o.strategy = strategy;
    auto open = [&] {
      auto c = Connection::Open("/db", o);
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      return c.ok() ? std::move(*c) : nullptr;
    };
    auto conn = open();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Transact(kSchema).ok());
    auto s = conn->Transact(R"([{:db/id "s" :student/name "Ann"}])");
    ASSERT_TRUE(s.ok());
    const std::string sid = std::to_string(s->tempids.at("s"));
    auto first = conn->Transact("[{:db/id \"r\" :reg/course \"Datalog\" :reg/semester :2024/fall :reg/student " + sid + "}]");
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    const EntityId e = first->tempids.at("r");
    const std::string upsert = "[{:db/id \"again\" :reg/course \"Datalog\" :reg/semester :2024/fall :reg/student " +
                               sid + " :reg/semester+course+student [:2024/fall \"Datalog\" " + sid + "]}]";
    auto lookup = edn::ReadOne("[:reg/semester+course+student [:2024/fall \"Datalog\" " + sid + "]]");
    ASSERT_TRUE(lookup.ok());
    for (int step = 0; step < 3; ++step) {  // 0: from the log, 1: after a reopen, 2: after indexing
      SCOPED_TRACE(step);
      if (step == 1) {
        conn.reset();
        conn = open();
        ASSERT_TRUE(conn);
      }
      if (step == 2) {
        auto jobs = conn->IndexNow();
        ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
        EXPECT_EQ(conn->db().memory_index_datoms(), 0u);
      }
      auto found = conn->db().Entid(*lookup);
      ASSERT_TRUE(found.ok()) << found.status().ToString();
      EXPECT_EQ(*found, e);
      auto again = conn->Transact(upsert);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(again->tempids.at("again"), e);
      EXPECT_EQ(Vals(conn->db(), e, "reg/semester+course+student"),
                std::vector<std::string>{"[:2024/fall \"Datalog\" " + sid + "]"});
    }
    // And after a reopen of the indexed database.
    conn.reset();
    conn = open();
    ASSERT_TRUE(conn);
    auto found = conn->db().Entid(*lookup);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_EQ(*found, e);
  }
}

}  // namespace
}  // namespace strata
