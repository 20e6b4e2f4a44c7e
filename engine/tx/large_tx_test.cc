// Transactions of thousands of operations, where the transactor's batch
// paths matter: the unique-value claims table, upserts whose lookups the
// uniqueness check reuses, tempids unified by a shared identity value, and
// datoms emitted in EAVT order without a sort (replaced values beside their
// replacement, the txInstant among the entities, retractions merged in).
// Each checks the whole report against what the rules give, so a datom
// lost, repeated or misplaced by a shortcut fails it.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "testing/test_util.h"

namespace strata {
namespace {

using testing::DbTest;

constexpr const char* kSchema = R"([
  {:db/ident :item/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :item/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
  {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :item/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
])";

class LargeTxTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Tx(kSchema);
    id_ = Id(":item/id");
    count_ = Id(":item/count");
    email_ = Id(":item/email");
    tags_ = Id(":item/tags");
    instant_ = Id(":db/txInstant");
  }
  // Datoms as "e a v added" text, in the report's order.
  static std::vector<std::string> Lines(const std::vector<Datom>& ds) {
    std::vector<std::string> out;
    for (const Datom& d : ds)
      out.push_back(std::to_string(d.e) + " " + std::to_string(d.a) + " " + edn::Print(edn::FromValue(d.v)) +
                    (d.added ? " +" : " -"));
    return out;
  }
  static bool EavtSorted(const std::vector<Datom>& ds) {
    return std::is_sorted(ds.begin(), ds.end(), DatomLessIn<Index::kEavt>{});
  }
  EntityId id_ = 0, count_ = 0, email_ = 0, tags_ = 0, instant_ = 0;
};

// :db.unique/value: one holder per value; two entities of one transaction
// asserting it is a conflict ("Unique Values", https://docs.datomic.com/identity.html).
// The pair sits deep in a transaction of 3,000, so the claims table holds
// thousands of values when the second one arrives.
TEST_F(LargeTxTest, UniqueValueClaimedTwiceDeepInATransactionNamesBothEntities) {
  constexpr int kN = 3000, kFirst = 1234, kSecond = 2777;
  std::string tx = "[";
  for (int i = 0; i < kN; ++i) {
    const int v = i == kSecond ? kFirst : i;
    tx += "{:db/id \"t" + std::to_string(i) + "\" :item/email \"e-" + std::to_string(v) + "\"}";
  }
  tx += "]";
  const T t = conn_->db().next_t();
  Status s = TxError(tx);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  // Tempids take ids in the order they are first named, after the tx's t.
  const std::string first = std::to_string(MakeEntityId(kPartUser, t + 1 + kFirst));
  const std::string second = std::to_string(MakeEntityId(kPartUser, t + 1 + kSecond));
  EXPECT_NE(s.message().find("value asserted for two entities, " + first + " and " + second), std::string::npos)
      << s.ToString();
  EXPECT_EQ(conn_->db().next_t(), t);  // nothing committed

  // The same transaction without the repeat commits every value.
  tx = "[";
  for (int i = 0; i < kN; ++i) tx += "{:db/id \"t" + std::to_string(i) + "\" :item/email \"e-" + std::to_string(i) + "\"}";
  tx += "]";
  TxReport r = Tx(tx);
  EXPECT_EQ(r.tx_data.size(), static_cast<size_t>(kN) + 1);
}

// Upserts ("Unique Identities", https://docs.datomic.com/identity.html): a
// tempid asserting an existing :db.unique/identity value is that entity.
// 2,000 upserts beside 500 new entities, each replacing a cardinality-one
// value (the old one retracted beside the new), and an existing entity's
// unique value taken from it by a retraction in the same transaction.
TEST_F(LargeTxTest, ThousandsOfUpsertsReplaceValuesAndReportEveryDatomInOrder) {
  constexpr int kOld = 2000, kNew = 500;
  std::string tx = "[";
  for (int i = 0; i < kOld; ++i)
    tx += "{:item/id \"i-" + std::to_string(i) + "\" :item/count " + std::to_string(10 * i) + " :item/email \"m-" +
          std::to_string(i) + "\"}";
  tx += "]";
  TxReport first = Tx(tx);
  ASSERT_EQ(first.tx_data.size(), 3u * kOld + 1);
  std::vector<EntityId> ent(kOld);
  for (int i = 0; i < kOld; ++i) ent[i] = Id("[:item/id \"i-" + std::to_string(i) + "\"]");

  // Entity i's count becomes 10*i + 5 when i is even (the old value is
  // below the new) and 10*i - 5 when odd (above); entity 0 gives its email
  // "m-0" up and entity 1 takes it; new entities get counts and tags.
  tx = "[[:db/retract " + std::to_string(ent[0]) + " :item/email \"m-0\"]";
  for (int i = 0; i < kOld; ++i) {
    const int count = i % 2 == 0 ? 10 * i + 5 : 10 * i - 5;
    tx += "{:db/id \"u" + std::to_string(i) + "\" :item/id \"i-" + std::to_string(i) + "\" :item/count " +
          std::to_string(count) + (i == 1 ? " :item/email \"m-0\"" : "") + "}";
  }
  for (int j = 0; j < kNew; ++j)
    tx += "{:item/id \"n-" + std::to_string(j) + "\" :item/count " + std::to_string(j) + " :item/tags [:a :b]}";
  tx += "]";
  const T t = conn_->db().next_t();
  TxReport r = Tx(tx);
  ASSERT_EQ(r.t, t);

  std::multiset<std::string> want;
  auto line = [](EntityId e, EntityId a, const std::string& v, bool added) {
    return std::to_string(e) + " " + std::to_string(a) + " " + v + (added ? " +" : " -");
  };
  for (int i = 0; i < kOld; ++i) {
    EXPECT_EQ(r.tempids.at("u" + std::to_string(i)), ent[i]);
    const int count = i % 2 == 0 ? 10 * i + 5 : 10 * i - 5;
    want.insert(line(ent[i], count_, std::to_string(10 * i), false));
    want.insert(line(ent[i], count_, std::to_string(count), true));
  }
  want.insert(line(ent[0], email_, "\"m-0\"", false));
  want.insert(line(ent[1], email_, "\"m-1\"", false));
  want.insert(line(ent[1], email_, "\"m-0\"", true));
  for (int j = 0; j < kNew; ++j) {
    const EntityId e = MakeEntityId(kPartUser, t + 1 + j);  // upserted tempids take no id
    want.insert(line(e, id_, "\"n-" + std::to_string(j) + "\"", true));
    want.insert(line(e, count_, std::to_string(j), true));
    want.insert(line(e, tags_, ":a", true));
    want.insert(line(e, tags_, ":b", true));
  }
  std::vector<Datom> data = r.tx_data;
  ASSERT_FALSE(data.empty());
  std::erase_if(data, [&](const Datom& d) { return d.e == r.tx && d.a == instant_; });
  EXPECT_EQ(data.size() + 1, r.tx_data.size()) << "one txInstant";
  const std::vector<std::string> got = Lines(data);
  EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()), want);
  EXPECT_TRUE(EavtSorted(r.tx_data));
  EXPECT_EQ(*conn_->db().Values(ent[1], email_), std::vector<Value>{Value::String("m-0")});
  EXPECT_TRUE(conn_->db().Values(ent[0], email_)->empty());
}

// Tempids asserting one new identity value are one entity (Datomic unifies
// them: "Unique Identities", https://docs.datomic.com/identity.html), here
// hundreds of pairs named far apart in one transaction, the pair's first
// tempid named second.
TEST_F(LargeTxTest, TempidsSharingANewIdentityValueAreUnifiedAcrossALargeTransaction) {
  constexpr int kPairs = 600;
  std::string tx = "[";
  for (int i = 0; i < kPairs; ++i)
    tx += "[:db/add \"a" + std::to_string(i) + "\" :item/id \"p-" + std::to_string(i) + "\"]";
  for (int i = kPairs - 1; i >= 0; --i)
    tx += "[:db/add \"b" + std::to_string(i) + "\" :item/id \"p-" + std::to_string(i) + "\"] [:db/add \"b" +
          std::to_string(i) + "\" :item/count " + std::to_string(i) + "]";
  tx += "]";
  const T t = conn_->db().next_t();
  TxReport r = Tx(tx);
  for (int i = 0; i < kPairs; ++i) {
    const EntityId a = r.tempids.at("a" + std::to_string(i));
    EXPECT_EQ(r.tempids.at("b" + std::to_string(i)), a) << i;
    EXPECT_EQ(a, MakeEntityId(kPartUser, t + 1 + i)) << "the first-named tempid's id, " << i;
    EXPECT_EQ(*conn_->db().Values(a, count_), std::vector<Value>{Value::Long(i)});
  }
  EXPECT_EQ(conn_->db().next_t(), t + 1 + kPairs);
  EXPECT_EQ(r.tx_data.size(), 2u * kPairs + 1);
  EXPECT_TRUE(EavtSorted(r.tx_data));
}

// A transaction that names its own tx entity and retracts datoms of
// entities on both sides of it: its datoms still come out in EAVT order,
// the instant once, and each retraction once.
TEST_F(LargeTxTest, RetractionsAndTheTxEntityInterleaveInEavtOrder) {
  std::string tx = "[";
  for (int i = 0; i < 50; ++i) tx += "{:item/id \"r-" + std::to_string(i) + "\" :item/tags [:x :y :z]}";
  tx += "]";
  Tx(tx);
  std::vector<EntityId> ent;
  for (int i = 0; i < 50; ++i) ent.push_back(Id("[:item/id \"r-" + std::to_string(i) + "\"]"));
  tx = "[[:db/add \"datomic.tx\" :item/count 7]";
  for (int i = 49; i >= 0; --i) {
    tx += "[:db/retract " + std::to_string(ent[i]) + " :item/tags :y]";
    tx += "[:db/add " + std::to_string(ent[i]) + " :item/tags :w]";
    if (i % 7 == 0) tx += "{:item/id \"r-new-" + std::to_string(i) + "\" :item/count " + std::to_string(i) + "}";
  }
  tx += "]";
  TxReport r = Tx(tx);
  EXPECT_TRUE(EavtSorted(r.tx_data));
  size_t instants = 0, retractions = 0, tx_counts = 0;
  for (const Datom& d : r.tx_data) {
    instants += d.e == r.tx && d.a == instant_;
    tx_counts += d.e == r.tx && d.a == count_;
    retractions += !d.added;
  }
  EXPECT_EQ(instants, 1u);
  EXPECT_EQ(tx_counts, 1u);
  EXPECT_EQ(retractions, 50u);
  EXPECT_EQ(r.tx_data.size(), 1 + 1 + 50 + 50 + 2 * 8u);  // instant, tx count, retract+add per entity, 8 new
}

// Lookup refs ("Lookup Refs", https://docs.datomic.com/identity.html),
// each named by hundreds of operations of one transaction (the reader
// remembers their answers): every one resolves to its entity, and one that
// matches nothing fails the transaction however often it was answered.
TEST_F(LargeTxTest, RepeatedLookupRefsResolveEveryTime) {
  std::string tx = "[";
  for (int i = 0; i < 10; ++i) tx += "{:item/id \"o-" + std::to_string(i) + "\"}";
  tx += "]";
  Tx(tx);
  std::vector<EntityId> owner;
  for (int i = 0; i < 10; ++i) owner.push_back(Id("[:item/id \"o-" + std::to_string(i) + "\"]"));
  tx = "[";
  for (int j = 0; j < 500; ++j)
    tx += "{:item/id \"x-" + std::to_string(j) + "\" :item/owner [:item/id \"o-" + std::to_string(j % 10) + "\"]}";
  tx += "]";
  TxReport r = Tx(tx);
  size_t refs = 0;
  for (const Datom& d : r.tx_data) {
    if (d.a != Id(":item/owner")) continue;
    ++refs;
    const std::vector<Value> id = *conn_->db().Values(d.e, id_);
    ASSERT_EQ(id.size(), 1u);
    const int j = std::stoi(id[0].str().substr(2));
    EXPECT_EQ(d.v.ref(), owner[j % 10]) << j;
  }
  EXPECT_EQ(refs, 500u);

  tx = "[";
  for (int j = 0; j < 300; ++j)
    tx += "[:db/add \"y-" + std::to_string(j) + "\" :item/owner [:item/id \"o-" + std::to_string(j % 3) + "\"]]";
  tx += "[:db/add \"z\" :item/owner [:item/id \"nobody\"]]]";
  Status s = TxError(tx);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("matches no entity"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace strata
