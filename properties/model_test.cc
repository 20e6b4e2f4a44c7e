// model_test.cc — the oracle, checked by hand: SPEC §3/§4/§7 examples with
// expectations written out, so that a wrong model cannot pass silently.
#include <gtest/gtest.h>

#include "harness.h"
#include "model.h"

namespace strata::props {
namespace {

constexpr int64_t kNow = 4102444800000;

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = Model::FromBootstrap(BootstrapDatoms());
    ASSERT_FALSE(m_.datoms().empty());
    TxOutcome o = Tx(R"([{:db/ident :u/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
                         {:db/ident :u/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
                         {:db/ident :u/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
                         {:db/ident :u/part :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
                         {:db/ident :u/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
                         {:db/ident :u/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}])");
    ASSERT_TRUE(o.ok) << o.why;
    EXPECT_EQ(o.t, 1000u);
    EXPECT_EQ(m_.next_t(), 1007u);  // the tx and six attributes
    id_ = A("u/id"), n_ = A("u/n"), tags_ = A("u/tags"), part_ = A("u/part"), friend_ = A("u/friend");
    email_ = A("u/email");
  }
  TxOutcome Tx(const std::string& edn, int64_t now = kNow) {
    auto n = edn::ReadOne(edn);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return m_.Transact(*n, now);
  }
  EntityId A(const std::string& ident) { return m_.schema().AttrByIdent(ident)->id; }
  // The user datoms of a transaction, without its txInstant.
  std::vector<Datom> UserDatoms(const TxOutcome& o) {
    std::vector<Datom> out;
    for (const Datom& d : o.datoms)
      if (PartitionOf(d.e) != kPartTx) out.push_back(d);
    return out;
  }

  Model m_;
  EntityId id_, n_, tags_, part_, friend_, email_;
};

TEST_F(ModelTest, NewEntitiesTakeTheTsAfterTheTransaction) {
  TxOutcome o = Tx(R"([{:db/id "a" :u/id "A"} {:db/id "b" :u/id "B"} [:db/add "a" :u/friend "b"]])");
  ASSERT_TRUE(o.ok) << o.why;
  EXPECT_EQ(o.t, 1007u);
  EXPECT_EQ(o.tempids.at("a"), MakeEntityId(kPartUser, 1008));
  EXPECT_EQ(o.tempids.at("b"), MakeEntityId(kPartUser, 1009));
  EXPECT_EQ(o.tempids.at("datomic.tx"), TxId(1007));
  EXPECT_EQ(m_.next_t(), 1010u);
  EXPECT_EQ(UserDatoms(o).size(), 3u);
}

TEST_F(ModelTest, CardinalityOneReplacementRecordsTheRetraction) {
  ASSERT_TRUE(Tx(R"([{:db/id "a" :u/id "A" :u/n 1}])").ok);
  const EntityId a = m_.user_entities().back();
  TxOutcome o = Tx("[[:db/add " + std::to_string(a) + " :u/n 2]]");
  ASSERT_TRUE(o.ok) << o.why;
  std::vector<Datom> want = {Datom{a, n_, Value::Long(1), TxId(o.t), false}, Datom{a, n_, Value::Long(2), TxId(o.t), true}};
  std::sort(want.begin(), want.end(), [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); });
  EXPECT_EQ(UserDatoms(o), want);
  EXPECT_EQ(m_.CurrentValues(a, n_), std::vector<Value>{Value::Long(2)});
}

TEST_F(ModelTest, RedundantAssertionRecordsOnlyTheInstant) {
  ASSERT_TRUE(Tx(R"([{:db/id "a" :u/id "A" :u/n 1}])").ok);
  TxOutcome o = Tx(R"([[:db/add [:u/id "A"] :u/n 1] [:db/retract [:u/id "A"] :u/n 7]])");
  ASSERT_TRUE(o.ok) << o.why;
  EXPECT_TRUE(UserDatoms(o).empty());
  EXPECT_EQ(o.datoms.size(), 1u);
}

TEST_F(ModelTest, UpsertResolvesTheTempidToTheHolder) {
  ASSERT_TRUE(Tx(R"([{:db/id "a" :u/id "A"}])").ok);
  const EntityId a = m_.user_entities().back();
  TxOutcome o = Tx(R"([{:db/id "x" :u/id "A" :u/n 5}])");
  ASSERT_TRUE(o.ok) << o.why;
  EXPECT_EQ(o.tempids.at("x"), a);
  EXPECT_TRUE(o.new_entities.empty());
  EXPECT_FALSE(Tx(R"([[:db/add "y" :u/id "A"] [:db/add "y" :u/id "B"] {:db/id "z" :u/id "B"}])").ok);
}

TEST_F(ModelTest, RejectsWhatSection3Rejects) {
  ASSERT_TRUE(Tx(R"([{:db/id "a" :u/id "A" :u/n 1 :u/email "e"}])").ok);
  const T basis = m_.basis_t();
  for (const char* bad : {
           R"([[:db/add "x" :no/such 1]])",                         // unknown attribute
           R"([[:db/add "x" :u/n "one"]])",                         // wrong type
           R"([{:db/id "x" :u/email "e"}])",                        // unique value conflict
           R"([[:db/add "x" :u/n 1] [:db/add "x" :u/n 2]])",        // two values, cardinality one
           R"([[:db/add [:u/id "A"] :u/n 3] [:db/retract [:u/id "A"] :u/n 3]])",  // assert and retract
           R"([[:db/add [:u/id "nobody"] :u/n 1]])",                // unresolvable lookup ref
           R"([[:db/cas [:u/id "A"] :u/n 2 3]])",                   // failed cas
           R"([[:db/add [:u/id "A"] :u/friend "ghost"]])",          // tempid only in value position
           R"([[:db/add "datomic.tx" :db/txInstant #inst "2000-01-01"]])",  // instant going back
           R"([[:db/excise :u/n]])",                                // excising schema
       }) {
    TxOutcome o = Tx(bad);
    EXPECT_FALSE(o.ok) << bad;
  }
  EXPECT_EQ(m_.basis_t(), basis);
}

TEST_F(ModelTest, RetractEntityCascadesToComponentsAndRefs) {
  TxOutcome o = Tx(R"([{:db/id "a" :u/id "A" :u/part [{:u/n 1} {:u/n 2}]} {:db/id "b" :u/id "B" :u/friend "a"}])");
  ASSERT_TRUE(o.ok) << o.why;
  const EntityId a = o.tempids.at("a");
  TxOutcome r = Tx("[[:db/retractEntity " + std::to_string(a) + "]]");
  ASSERT_TRUE(r.ok) << r.why;
  // A's id and two parts, the parts' values, and B's ref to A.
  EXPECT_EQ(UserDatoms(r).size(), 6u);
  for (const Datom& d : UserDatoms(r)) EXPECT_FALSE(d.added);
  EXPECT_EQ(m_.CurrentValues(o.tempids.at("b"), friend_), std::vector<Value>{});
}

TEST_F(ModelTest, ViewsFoldTheVector) {
  TxOutcome a = Tx(R"([{:db/id "a" :u/id "A" :u/tags [:x :y]}])");
  const EntityId e = a.tempids.at("a");
  TxOutcome b = Tx("[[:db/retract " + std::to_string(e) + " :u/tags :x]]");
  ASSERT_TRUE(b.ok);
  auto tags = [&](const ViewQuery& q) {
    std::vector<Datom> out;
    for (const Datom& d : m_.View(q))
      if (d.e == e && d.a == tags_) out.push_back(d);
    return out;
  };
  ViewQuery as_of_a;
  as_of_a.as_of = a.t;
  EXPECT_EQ(tags(as_of_a).size(), 2u);
  EXPECT_EQ(tags({}).size(), 1u);
  ViewQuery since_a;
  since_a.since = a.t;
  EXPECT_EQ(tags(since_a).size(), 0u);  // :y was asserted at a, not after
  ViewQuery hist;
  hist.history = true;
  EXPECT_EQ(tags(hist).size(), 3u);
}

TEST_F(ModelTest, ExcisionRemovesTheEntitysPastDatoms) {
  TxOutcome a = Tx(R"([{:db/id "a" :u/id "A" :u/n 1}])");
  const EntityId e = a.tempids.at("a");
  ASSERT_TRUE(Tx("[[:db/add " + std::to_string(e) + " :u/n 2]]").ok);
  TxOutcome x = Tx("[[:db/excise " + std::to_string(e) + " [:u/n]]]");
  ASSERT_TRUE(x.ok) << x.why;
  EXPECT_EQ(m_.excised_datoms(), 3u);  // n=1, its retraction, n=2
  for (const Datom& d : m_.datoms()) EXPECT_FALSE(d.e == e && d.a == n_);
  EXPECT_EQ(m_.CurrentValues(e, id_), std::vector<Value>{Value::String("A")});
}

TEST_F(ModelTest, AnExcisionRequestCannotBeExcised) {
  const EntityId e = Tx(R"([{:db/id "a" :u/id "A"}])").tempids.at("a");
  TxOutcome x = Tx("[[:db/excise " + std::to_string(e) + "]]");
  ASSERT_TRUE(x.ok) << x.why;
  ASSERT_EQ(x.new_entities.size(), 1u);
  const EntityId request = x.new_entities.front();
  TxOutcome again = Tx("[[:db/excise " + std::to_string(request) + "]]");
  EXPECT_FALSE(again.ok);
  // Other attributes of the request entity may go.
  EXPECT_TRUE(Tx("[[:db/add " + std::to_string(request) + " :u/n 1]]").ok);
  EXPECT_TRUE(Tx("[[:db/excise " + std::to_string(request) + " [:u/n]]]").ok);
}

}  // namespace
}  // namespace strata::props
