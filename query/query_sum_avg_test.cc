// sum and avg as Datomic defines them: longs sum to a long, a double among
// them makes the sum a double; avg is a double; a value that is not a
// number, and a long sum that overflows, are errors; :with keeps the bag of
// values the aggregate sees
// (https://docs.datomic.com/query/query-data-reference.html, "Aggregates",
// "With"). The classic benchmark queries themselves are checked against a
// naive evaluation in bench/classic_query_test.cc.
#include "query_test_util.h"

namespace strata {
namespace {

class SumAndAvg : public testing::QueryTest {};

TEST_F(SumAndAvg, OverMixedNumbers) {
  auto run = [&](const std::string& rel) {
    auto r = Q(E("[:find ?k (sum ?x) (avg ?x) :with ?i :in [[?k ?x ?i]]]"), {E(rel)});
    return r.ok() ? edn::Print(*r) : "error: " + r.status().message();
  };
  EXPECT_EQ(run(R"([["a" 1 0] ["a" 2 1] ["a" 2 2] ["b" 1 3] ["b" 2.5 4]])"), R"(#{["a" 5 1.6666666666666667] ["b" 3.5 1.75]})");
  EXPECT_EQ(run(R"([["a" 1 0] ["a" "x" 1]])"), R"(error: (sum) needs numbers, got "x")");
  EXPECT_EQ(run(R"([["a" 9223372036854775807 0] ["a" 1 1]])"), "error: integer overflow in (sum)");
  // avg of longs that overflow a long sum: a double mean, no error.
  auto avg = Q(E("[:find (avg ?x) . :with ?i :in [[?x ?i]]]"), {E("[[9223372036854775807 0] [9223372036854775807 1]]")});
  ASSERT_TRUE(avg.ok()) << avg.status().ToString();
  EXPECT_EQ(avg->kind, edn::Kind::kDouble);
  EXPECT_EQ(avg->d, 9223372036854775807.0);
}

}  // namespace
}  // namespace strata
