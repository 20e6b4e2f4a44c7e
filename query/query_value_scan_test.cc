// A clause with an attribute and a constant value that AVET cannot seek
// (no :db/index) reads the attribute with the value pushed down into the
// index's sources (Database::DatomsWithValue): the answers in every view
// are those of the view's datoms (Datomic's as-of, since and history:
// https://docs.datomic.com/reference/filters.html), and the datoms of other
// values are not read.
#include "query_test_util.h"

namespace strata {
namespace {

class ValueScanQueryTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :p/nick :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
           {:db/ident :p/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])");
    t1_ = Tx(R"([{:db/id "a" :p/name "Ivan" :p/nick ["Iv" "Ivan"] :p/n 1}
                 {:db/id "b" :p/name "Ivana" :p/nick "Ivan" :p/n 2}
                 {:db/id "c" :p/name "Ivan" :p/n 1}
                 {:db/id "d" :p/name "Petr" :p/n 3}])")
              .t;
    // c's name changes (an implicit retraction), a's "Ivan" nick is retracted.
    t2_ = Tx(Ids(R"([[:db/add {c} :p/name "Petr"] [:db/retract {a} :p/nick "Ivan"]])")).t;
  }
  T t1_ = 0, t2_ = 0;
};

TEST_F(ValueScanQueryTest, EveryViewAnswersFromItsOwnDatoms) {
  ExpectQ(R"([:find ?e :where [?e :p/name "Ivan"]])", "#{[{a}]}");
  ExpectQ(R"([:find ?e :where [?e :p/nick "Ivan"]])", "#{[{b}]}");
  ExpectQ(R"([:find ?e :where [?e :p/name "Ivan"]])", "#{[{a}] [{c}]}", {db().AsOf(t1_)});
  ExpectQ(R"([:find ?e :where [?e :p/nick "Ivan"]])", "#{[{a}] [{b}]}", {db().AsOf(t1_)});
  ExpectQ(R"([:find ?e :where [?e :p/name "Petr"]])", "#{[{c}]}", {db().Since(t1_)});
  ExpectQ(R"([:find ?e ?added :where [?e :p/name "Ivan" _ ?added]])", "#{[{a} true] [{c} true] [{c} false]}",
          {db().History()});
  ExpectQ(R"([:find ?e ?added :where [?e :p/nick "Ivan" _ ?added]])", "#{[{a} true] [{a} false] [{b} true]}",
          {db().History()});
  // A value of another type than the attribute's: a double 1.0 is not the long 1.
  ExpectQ(R"([:find ?e :where [?e :p/n 1]])", "#{[{a}] [{c}]}");
  ExpectQ(R"([:find ?e :where [?e :p/n 1.0]])", "#{}");
  // Indexed into the durable levels, the same answers.
  ASSERT_TRUE(conn_->IndexNow().ok());
  ASSERT_EQ(db().memory_index_datoms(), 0u);
  ExpectQ(R"([:find ?e :where [?e :p/name "Ivan"]])", "#{[{a}]}");
  ExpectQ(R"([:find ?e :where [?e :p/name "Ivan"]])", "#{[{a}] [{c}]}", {db().AsOf(t1_)});
  ExpectQ(R"([:find ?e ?added :where [?e :p/nick "Ivan" _ ?added]])", "#{[{a} true] [{a} false] [{b} true]}",
          {db().History()});
}

TEST_F(ValueScanQueryTest, DatomsOfOtherValuesAreNotRead) {
  // Four :p/name datoms, one of them "Ivan": the scan reads that one (the
  // planner's sample of the attribute is counted apart).
  QueryStats stats;
  EXPECT_EQ(Run(R"([:find ?e :where [?e :p/name "Ivan"]])", {}, &stats), Ids("#{[{a}]}"));
  EXPECT_EQ(stats.datoms - stats.planner_datoms, 1u);
}

}  // namespace
}  // namespace strata
