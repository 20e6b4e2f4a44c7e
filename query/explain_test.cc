// Explain: query-stats (rows in and out per clause, in the order run) and
// io-stats (index leaves read, segment cache hits, storage reads, sources
// merged) for q and pull, in EDN and JSON.
//
// Shapes: https://docs.datomic.com/reference/query-stats.html (:query,
// :phases [{:sched ... :clauses [{:clause :rows-in :rows-out :binds-in
// :binds-out}]}]) and https://docs.datomic.com/reference/io-stats.html
// ({:api :api-ms :reads {:eavt n :aevt n ... :ocache n :dev n}}).
#include <nlohmann/json.hpp>

#include "query_test_util.h"

namespace strata {
namespace {

class ExplainTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one
            :db/unique :db.unique/identity}
           {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
           {:db/ident :p/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])");
    std::string tx = "[";
    for (int i = 0; i < kPeople; ++i) {
      tx += "{:db/id \"p" + std::to_string(i) + "\" :p/name \"p" + std::to_string(i) + "\" :p/age " +
            std::to_string(i % 10);
      if (i > 0) tx += " :p/friend \"p" + std::to_string(i - 1) + "\"";
      tx += "}";
    }
    Tx(tx + "]");
  }
  // Moves every datom into segments, then reopens: a cold segment cache.
  void IndexAndReopen() {
    auto jobs = conn_->IndexNow();
    ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
    ASSERT_TRUE(conn_->Close().ok());
    Options o;
    o.env = env_.get();
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }
  static constexpr int kPeople = 200;
};

// The people of age 3 (20 of them) and their friends' names.
const char* kQuery = "[:find ?fn :where [?e :p/age 3] [?e :p/friend ?f] [?f :p/name ?fn]]";

TEST_F(ExplainTest, RowsInAndOutPerClause) {
  QueryStats st;
  QueryOptions o;
  o.explain = true;
  EXPECT_EQ(Run(kQuery, {}, &st, o).substr(0, 3), "#{[");
  ASSERT_EQ(st.phases.size(), 1u);
  const auto& cs = st.phases[0].clauses;
  ASSERT_EQ(cs.size(), 3u);
  // Whatever order the planner chose, the rows follow from the data: age 3
  // holds 20 people, each has one friend (p0 has none but is age 0), and
  // each friend one name.
  std::map<std::string, const ClauseStats*> by;
  for (const auto& c : cs) by[edn::Print(c.clause)] = &c;
  const ClauseStats* age = by.at("[?e :p/age 3]");
  const ClauseStats* friend_ = by.at("[?e :p/friend ?f]");
  const ClauseStats* name = by.at("[?f :p/name ?fn]");
  EXPECT_EQ(cs[0].rows_in, 0u);  // nothing bound yet
  EXPECT_TRUE(cs[0].binds_in.empty());
  EXPECT_EQ(age->rows_out, 20u);
  EXPECT_EQ(friend_->rows_out, 20u);
  EXPECT_EQ(name->rows_out, 20u);
  EXPECT_EQ(cs.back().rows_out, 20u);
  // Each clause after the first reads what the one before it bound.
  for (size_t i = 1; i < cs.size(); ++i) {
    EXPECT_EQ(cs[i].rows_in, cs[i - 1].rows_out) << edn::Print(cs[i].clause);
    EXPECT_FALSE(cs[i].binds_in.empty()) << edn::Print(cs[i].clause);
  }
  uint64_t datoms = 0;
  for (const auto& c : cs) datoms += c.datoms;
  EXPECT_LE(datoms, st.datoms);
  EXPECT_GT(datoms, 0u);
  // Without explain, no phases are kept.
  QueryStats plain;
  Run(kQuery, {}, &plain);
  EXPECT_TRUE(plain.phases.empty());
}

// The plan: each clause names where it was written (:position) and the
// planner's estimate of its rows (:est-rows). Datomic runs clauses in the
// order written (https://docs.datomic.com/reference/query-stats.html,
// "Background"); strata chooses the order, the same for every permutation.
TEST_F(ExplainTest, PlanShowsPositionsEstimatesAndOneOrderForEveryPermutation) {
  const std::vector<std::string> written = {"[?f :p/name ?fn]", "[?e :p/friend ?f]", "[?e :p/age 3]"};
  auto sched = [&](const std::vector<size_t>& perm, QueryStats* st) {
    std::string q = "[:find ?fn :where";
    for (size_t i : perm) q += " " + written[i];
    QueryOptions o;
    o.explain = true;
    EXPECT_EQ(Run(q + "]", {}, st, o).substr(0, 3), "#{[");
    std::vector<std::string> order;
    for (const auto& c : st->phases.at(0).clauses) {
      order.push_back(edn::Print(c.clause));
      EXPECT_EQ(order.back(), written[perm.at(c.position)]) << "position " << c.position;
    }
    return order;
  };
  QueryStats st;
  const std::vector<std::string> order = sched({0, 1, 2}, &st);
  ASSERT_EQ(order.size(), 3u);
  // The most selective clause first: 20 people of age 3, against 199
  // friend datoms and 200 names. The attribute has fewer datoms than the
  // sample, so its estimate is exact.
  EXPECT_EQ(order[0], "[?e :p/age 3]");
  EXPECT_EQ(st.phases[0].clauses[0].est_rows, 20);
  EXPECT_EQ(st.phases[0].clauses[0].rows_out, 20u);
  for (const auto& c : st.phases[0].clauses) EXPECT_GE(c.est_rows, 0) << edn::Print(c.clause);
  std::vector<size_t> perm = {0, 1, 2};
  while (std::next_permutation(perm.begin(), perm.end())) {
    QueryStats other;
    EXPECT_EQ(sched(perm, &other), order);
  }
  // Both forms carry them.
  auto x = edn::ReadOne(edn::Print(ExplainEdn(E("[:find ?fn]"), st)));
  ASSERT_TRUE(x.ok());
  const edn::Node& first = x->Get("query-stats")->Get("phases")->items.at(0).Get("clauses")->items.at(0);
  EXPECT_EQ(first.Get("position")->i, 2);
  EXPECT_EQ(first.Get("est-rows")->i, 20);
  EXPECT_NE(ExplainJson(E("[:find ?fn]"), st).find("\"est-rows\":20"), std::string::npos);
}

TEST_F(ExplainTest, RuleAndNotBodiesArePhases) {
  QueryStats st;
  QueryOptions o;
  o.explain = true;
  const edn::Node rules = E("[[(friend-of ?a ?b) [?a :p/friend ?b]]]");
  EXPECT_EQ(Run(R"([:find ?n :in $ % :where [?e :p/name "p5"] (friend-of ?e ?f) [?f :p/name ?n]
                    (not [?f :p/age 9])])",
                {db(), rules}, &st, o),
            R"(#{["p4"]})");
  // The :where and the rule's body; the not's body.
  ASSERT_EQ(st.phases.size(), 3u);
  EXPECT_EQ(st.phases[0].clauses.size(), 4u);
  size_t rule_phase = 0;
  for (size_t i = 1; i < st.phases.size(); ++i)
    if (!st.phases[i].clauses.empty() && edn::Print(st.phases[i].clauses[0].clause) == "[?a :p/friend ?b]")
      rule_phase = i;
  ASSERT_GT(rule_phase, 0u);
  EXPECT_EQ(st.phases[rule_phase].clauses[0].rows_in, 1u);  // seeded with p5
  EXPECT_EQ(st.phases[rule_phase].clauses[0].rows_out, 1u);
}

TEST_F(ExplainTest, IoStatsCountSegmentsCacheAndStorage) {
  IndexAndReopen();
  QueryStats cold, warm;
  const std::string want = Run(kQuery, {}, &cold);
  EXPECT_EQ(Run(kQuery, {}, &warm), want);
  uint64_t cold_leaves = 0, warm_leaves = 0;
  for (uint64_t n : cold.io.reads.segments) cold_leaves += n;
  for (uint64_t n : warm.io.reads.segments) warm_leaves += n;
  EXPECT_EQ(cold.io.api, "query");
  EXPECT_GT(cold_leaves, 0u);
  // A fresh cache: the first run reads from storage, the second hits the cache.
  EXPECT_GT(cold.io.reads.storage_reads, 0u);
  EXPECT_GT(cold.io.reads.storage_bytes, 0u);
  EXPECT_EQ(cold.io.reads.cache_hits + cold.io.reads.storage_reads, cold_leaves);
  EXPECT_EQ(warm.io.reads.storage_reads, 0u);
  EXPECT_EQ(warm.io.reads.cache_hits, warm_leaves);
  EXPECT_GE(warm.io.reads.cursors, warm.index_lookups);
  EXPECT_GE(warm.io.reads.sources_merged, warm.io.reads.cursors);  // each cursor merges at least one source
  // Pull, measured the same way.
  IoMeter meter("pull");
  auto p = Pull(db(), E("[:p/name {:p/friend [:p/name]}]"), E(R"([:p/name "p7"])"));
  const IoStats io = meter.Stop();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(edn::Print(*p), R"({:p/name "p7", :p/friend [{:p/name "p6"}]})");
  EXPECT_EQ(io.api, "pull");
  EXPECT_GT(io.reads.cursors, 0u);
  EXPECT_GT(io.reads.cache_hits + io.reads.storage_reads, 0u);
}

TEST_F(ExplainTest, EdnAndJsonForms) {
  IndexAndReopen();
  QueryStats st;
  QueryOptions o;
  o.explain = true;
  Run(kQuery, {}, &st, o);
  const edn::Node q = E(kQuery);
  const edn::Node x = ExplainEdn(q, st);
  // EDN: read back, the numbers are the struct's.
  auto back = edn::ReadOne(edn::Print(x));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const edn::Node* qs = back->Get("query-stats");
  ASSERT_NE(qs, nullptr);
  EXPECT_EQ(*qs->Get("query"), q);
  const edn::Node& phase = qs->Get("phases")->items.at(0);
  const edn::Node& c0 = phase.Get("clauses")->items.at(0);
  EXPECT_EQ(*c0.Get("clause"), st.phases[0].clauses[0].clause);
  EXPECT_EQ(c0.Get("rows-out")->i, static_cast<int64_t>(st.phases[0].clauses[0].rows_out));
  EXPECT_EQ(phase.Get("sched")->items.at(0).items.size(), 3u);
  const edn::Node* reads = back->Get("io-stats")->Get("reads");
  ASSERT_NE(reads, nullptr);
  EXPECT_EQ(reads->Get("dev")->i, static_cast<int64_t>(st.io.reads.storage_reads));
  EXPECT_EQ(reads->Get("avet")->i + reads->Get("aevt")->i + reads->Get("eavt")->i + reads->Get("vaet")->i,
            static_cast<int64_t>(st.io.reads.cache_hits + st.io.reads.storage_reads));
  // JSON: the same numbers under the same names.
  auto j = nlohmann::json::parse(ExplainJson(q, st));
  EXPECT_EQ(j["query-stats"]["query"], edn::Print(q));
  EXPECT_EQ(j["query-stats"]["phases"][0]["clauses"][0]["rows-out"], st.phases[0].clauses[0].rows_out);
  EXPECT_EQ(j["query-stats"]["phases"][0]["clauses"][0]["clause"], edn::Print(st.phases[0].clauses[0].clause));
  EXPECT_EQ(j["io-stats"]["api"], "query");
  EXPECT_EQ(j["io-stats"]["reads"]["dev"], st.io.reads.storage_reads);
  EXPECT_EQ(j["io-stats"]["reads"]["sources-merged"], st.io.reads.sources_merged);
}

}  // namespace
}  // namespace strata
