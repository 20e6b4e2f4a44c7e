// Datomic's value types and tuples in queries: tuple attributes matched by
// a constant, an input, or a tuple built by `tuple`; `untuple` takes a
// stored tuple apart; new types compare and sort in Datomic's order.
// https://docs.datomic.com/schema/schema-reference.html#tuples
// https://docs.datomic.com/query/query-data-reference.html#tuple (tuple, untuple)
#include "query_test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :reg/course :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :reg/semester :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
  {:db/ident :reg/course+semester :db/valueType :db.type/tuple :db/tupleAttrs [:reg/course :reg/semester]
   :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :n/big :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one}
  {:db/ident :n/dec :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/one}
  {:db/ident :n/kw :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
])";

class QueryTypesTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(kSchema);
    Tx(R"([{:reg/course "Datalog" :reg/semester :2024/fall :n/big 100000000000000000000N :n/dec 1.50M :n/kw :a-/b}
           {:reg/course "Pull" :reg/semester :2024/fall :n/big -3N :n/dec 0.25M :n/kw :a/b}
           {:reg/course "Rules" :n/big 7N :n/dec 2M :n/kw :ab}])");
  }
};

TEST_F(QueryTypesTest, CompositeMatchedByConstantInputOrTupleFunction) {
  ExpectQ(R"([:find ?c :where [?e :reg/course+semester ["Pull" :2024/fall]] [?e :reg/course ?c]])", R"(#{["Pull"]})");
  ExpectQ(R"([:find ?c :in $ ?t :where [?e :reg/course+semester ?t] [?e :reg/course ?c]])", R"(#{["Datalog"]})",
          {db(), *edn::ReadOne(R"(["Datalog" :2024/fall])")});
  ExpectQ(R"([:find ?c :in $ ?s :where [(tuple "Rules" ?s) ?t] [?e :reg/course+semester ?t] [?e :reg/course ?c]])",
          R"(#{["Rules"]})", {db(), edn::Node::Nil()});
}

TEST_F(QueryTypesTest, UntupleTakesAStoredTupleApart) {
  ExpectQ(R"([:find ?c ?s :where [_ :reg/course+semester ?t] [(untuple ?t) [?c ?s]]])",
          R"(#{["Datalog" :2024/fall] ["Pull" :2024/fall] ["Rules" nil]})");
}

// bigint and bigdec compare numerically; keywords by namespace, then name.
TEST_F(QueryTypesTest, NewTypesCompareInDatomicOrder) {
  ExpectQ("[:find (max ?b) . :where [_ :n/big ?b]]", "100000000000000000000N");
  ExpectQ("[:find (min ?b) . :where [_ :n/big ?b]]", "-3N");
  ExpectQ("[:find (max ?d) . :where [_ :n/dec ?d]]", "2M");
  ExpectQ("[:find ?c :where [?e :n/dec ?d] [(< ?d 1.00M)] [?e :reg/course ?c]]", R"(#{["Pull"]})");
  ExpectQ("[:find (max ?k) . :where [_ :n/kw ?k]]", ":a-/b");
  ExpectQ("[:find (min ?k) . :where [_ :n/kw ?k]]", ":ab");
}

}  // namespace
}  // namespace strata
