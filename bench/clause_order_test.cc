// Clause-order independence of results: every permutation of the :where
// clauses of each clause-order case (clause_order.h: the classic DataScript
// benchmark queries and three mbrainz queries) returns exactly what the
// written order returns.
//
// Datomic evaluates clauses in the order written and leaves choosing a
// performant order to the user (https://docs.datomic.com/reference/query-stats.html,
// "Background"): the order changes how long a query takes, not its answer.
// strata's planner reorders them, so each order it is handed must give the
// same answer. A planner that dropped a clause, ran a
// predicate before its inputs were bound, or joined on the wrong variable
// for some order would fail here; so would one that chose a different
// plan for some order (the plan is read from explain).
#include <gtest/gtest.h>

#include "clause_order.h"

namespace strata::bench {
namespace {

constexpr size_t kMaxPermutations = 5040;

class ClauseOrder : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = LoadPeople();
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    people_ = p->release();
    auto m = LoadMbrainz();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    mbrainz_ = m->release();
  }
  static void TearDownTestSuite() {
    delete people_;
    delete mbrainz_;
  }
  static LoadedDb* people_;
  static LoadedDb* mbrainz_;
};

LoadedDb* ClauseOrder::people_ = nullptr;
LoadedDb* ClauseOrder::mbrainz_ = nullptr;

TEST_F(ClauseOrder, EveryPermutationGivesTheWrittenOrdersResult) {
  ASSERT_NE(people_, nullptr);
  ASSERT_NE(mbrainz_, nullptr);
  size_t cases = 0;
  for (const OrderCase& c : OrderCases()) {
    SCOPED_TRACE(c.name);
    std::vector<QueryInput> in{c.db == "people" ? people_->db : mbrainz_->db};
    for (const auto& x : c.inputs) in.push_back(x);
    auto form = edn::ReadOne(c.text);
    ASSERT_TRUE(form.ok()) << form.status().ToString();
    QueryOptions explain;
    explain.explain = true;
    QueryStats written_stats;
    auto written = Q(*form, in, explain, &written_stats);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    auto sched = [](const QueryStats& st) {
      std::vector<std::string> out;
      if (!st.phases.empty())
        for (const auto& c : st.phases[0].clauses) out.push_back(edn::Print(c.clause));
      return out;
    };
    // A query whose answer is empty would agree with any broken order.
    EXPECT_GT(written->size(), 0u) << "the written order finds nothing: " << c.text;
    const size_t n = WhereCount(*form);
    const auto perms = Permutations(n, kMaxPermutations);
    size_t expected = 1;
    for (size_t k = 2; k <= n; ++k) expected *= k;
    EXPECT_EQ(perms.size(), std::min(expected, kMaxPermutations));
    for (const auto& p : perms) {
      const edn::Node q = WithWhereOrder(*form, p);
      QueryStats st;
      auto r = Q(q, in, explain, &st);
      ASSERT_TRUE(r.ok()) << edn::Print(q) << ": " << r.status().ToString();
      ASSERT_EQ(*r, *written) << "order " << edn::Print(q);
      // The planner chose one order for all of them (ties are broken by
      // the clauses' printed forms, never their positions).
      ASSERT_EQ(sched(st), sched(written_stats)) << "order " << edn::Print(q);
    }
    ++cases;
  }
  EXPECT_EQ(cases, 13u);  // the ten classic queries and three mbrainz ones
}

}  // namespace
}  // namespace strata::bench
