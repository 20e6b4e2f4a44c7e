// Rules: the mbrainz sample rules on a hand-made fixture of the sample
// schema, recursion (checked against a plain transitive closure), mutual
// recursion, and rules called with every mix of bound arguments.
#include <fstream>
#include <queue>
#include <random>
#include <set>
#include <sstream>

#include "query_test_util.h"

namespace strata {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kData = STRATA_DATASETS;  // the repository's datasets/

class MbrainzRulesTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    schema_ = ReadFile(kData + "/mbrainz/sample-schema.edn");
    rules_text_ = ReadFile(kData + "/mbrainz/sample-rules.edn");
    // The files ship with the repository: missing is a failure, not a skip.
    ASSERT_FALSE(schema_.empty() || rules_text_.empty()) << "no sample-schema.edn / sample-rules.edn in " << kData
                                                         << "/mbrainz";
    Tx(schema_);
    // Artists A..F; tracks link them: A-B, B-C, C-F, D-E, and A alone.
    Tx(R"([{:db/id "A" :artist/name "A"} {:db/id "B" :artist/name "B"} {:db/id "C" :artist/name "C"}
           {:db/id "D" :artist/name "D"} {:db/id "E" :artist/name "E"} {:db/id "F" :artist/name "F"}
           {:db/id "t1" :track/name "One" :track/artists ["A" "B"] :track/duration 100000 :track/position 1}
           {:db/id "t2" :track/name "Two" :track/artists ["B" "C"] :track/duration 300000 :track/position 2}
           {:db/id "t3" :track/name "Three" :track/artists ["D" "E"] :track/duration 200000 :track/position 1}
           {:db/id "t4" :track/name "Four" :track/artists "A" :track/duration 50000 :track/position 3}
           {:db/id "t5" :track/name "Five" :track/artists ["C" "F"] :track/duration 250000 :track/position 1}
           {:db/id "m1" :medium/position 1 :medium/tracks ["t1" "t2" "t4"]}
           {:db/id "r1" :release/name "Album" :release/year 1970 :release/media "m1"}])");
    auto rules = edn::ReadOne(rules_text_);
    ASSERT_TRUE(rules.ok()) << rules.status().ToString();
    rules_ = *rules;
  }
  std::string schema_, rules_text_;
  edn::Node rules_;
};

TEST_F(MbrainzRulesTest, RulesFileParses) {
  EXPECT_TRUE(ParseRuleSet(rules_).ok()) << ParseRuleSet(rules_).ToString();
  EXPECT_GE(rules_.items.size(), 30u);
}

TEST_F(MbrainzRulesTest, CollaborationNetworks) {
  const std::string q = "[:find ?name2 :in $ % ?name1 :where (RULE ?name1 ?name2)]";
  auto run = [&](const std::string& rule, const std::string& who) {
    std::string text = q;
    text.replace(text.find("RULE"), 4, rule);
    return Run(text, {db(), rules_, edn::Node::String(who)});
  };
  EXPECT_EQ(run("collab", "A"), R"(#{["B"]})");
  EXPECT_EQ(run("collab-net-1", "B"), R"(#{["A"] ["C"]})");
  EXPECT_EQ(run("collab-net-2", "A"), R"(#{["B"] ["C"]})");
  EXPECT_EQ(run("collab-net-3", "A"), R"(#{["B"] ["C"] ["F"]})");
  EXPECT_EQ(run("collab-net-10", "A"), R"(#{["B"] ["C"] ["F"]})");
  EXPECT_EQ(run("collab-net-2", "D"), R"(#{["E"]})");
  // transitive-net-2 directly, every pair.
  EXPECT_EQ(Run("[:find ?n1 ?n2 :in $ % :where (transitive-net-2 :track/artists ?a1 ?a2)"
                " [?a1 :artist/name ?n1] [?a2 :artist/name ?n2] [(< ?n1 ?n2)]]",
                {db(), rules_}),
            R"(#{["A" "B"] ["A" "C"] ["B" "C"] ["B" "F"] ["C" "F"] ["D" "E"]})");
}

TEST_F(MbrainzRulesTest, TrackRules) {
  EXPECT_EQ(Run(R"([:find ?track ?artist ?album ?year :in $ % :where
                    (track-info ?t ?track ?artist ?album ?year) [(= ?artist "B")]])",
                {db(), rules_}),
            R"(#{["One" "B" "Album" 1970] ["Two" "B" "Album" 1970]})");
  EXPECT_EQ(Run(R"([:find ?name :in $ % ?aname ?max :where [?a :artist/name ?aname]
                    (short-track ?a ?t ?len ?max) [?t :track/name ?name]])",
                {db(), rules_, edn::Node::String("A"), edn::Node::Long(120000)}),
            R"(#{["Four"] ["One"]})");
  EXPECT_EQ(Run(R"([:find ?name :in $ % ?q :where (track-search ?q ?t) [?t :track/name ?name]])",
                {db(), rules_, edn::Node::String("two")}),
            R"(#{["Two"]})");
}

// Recursive rules against a breadth-first closure of a random graph.
class RecursionTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :node/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
           {:db/ident :node/next :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])");
  }
};

constexpr const char* kReach = R"([[(reach ?a ?b) [?a :node/next ?b]]
                                   [(reach ?a ?b) [?a :node/next ?x] (reach ?x ?b)]])";

TEST_F(RecursionTest, TransitiveClosureMatchesModel) {
  const uint32_t seed = 20240601;
  std::mt19937 rng(seed);
  const int n = 40;
  std::vector<std::set<int>> next(n);
  std::string tx = "[";
  for (int i = 0; i < n; ++i) tx += "{:db/id \"n" + std::to_string(i) + "\" :node/id " + std::to_string(i) + "}";
  for (int k = 0; k < 55; ++k) {
    int a = static_cast<int>(rng() % n), b = static_cast<int>(rng() % n);
    next[a].insert(b);
    tx += "[:db/add \"n" + std::to_string(a) + "\" :node/next \"n" + std::to_string(b) + "\"]";
  }
  Tx(tx + "]");
  std::set<std::pair<int, int>> closure;
  for (int s = 0; s < n; ++s) {
    std::queue<int> q;
    std::set<int> seen;
    for (int x : next[s]) q.push(x);
    while (!q.empty()) {
      int x = q.front();
      q.pop();
      if (!seen.insert(x).second) continue;
      closure.insert({s, x});
      for (int y : next[x]) q.push(y);
    }
  }
  auto pairs = [&](const edn::Node& r) {
    std::set<std::pair<int, int>> out;
    for (const auto& row : r.items) out.insert({static_cast<int>(row.items[0].i), static_cast<int>(row.items[1].i)});
    return out;
  };
  const edn::Node rules = E(kReach);
  auto all = Q(E("[:find ?i ?j :in $ % :where (reach ?a ?b) [?a :node/id ?i] [?b :node/id ?j]]"), {db(), rules});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(pairs(*all), closure) << "seed " << seed;
  // From one source, and into one target (the other argument bound).
  for (int s : {0, 7, 13}) {
    auto from = Q(E("[:find ?i ?j :in $ % ?i :where [?a :node/id ?i] (reach ?a ?b) [?b :node/id ?j]]"),
                  {db(), rules, edn::Node::Long(s)});
    auto into = Q(E("[:find ?i ?j :in $ % ?j :where [?b :node/id ?j] (reach ?a ?b) [?a :node/id ?i]]"),
                  {db(), rules, edn::Node::Long(s)});
    ASSERT_TRUE(from.ok() && into.ok());
    std::set<std::pair<int, int>> want_from, want_into;
    for (auto [a, b] : closure) {
      if (a == s) want_from.insert({a, b});
      if (b == s) want_into.insert({a, b});
    }
    EXPECT_EQ(pairs(*from), want_from) << "from " << s;
    EXPECT_EQ(pairs(*into), want_into) << "into " << s;
  }
}

TEST_F(RecursionTest, CyclesAndMutualRecursion) {
  // 0 -> 1 -> 2 -> 0, 2 -> 3
  Tx(R"([{:db/id "n0" :node/id 0 :node/next "n1"} {:db/id "n1" :node/id 1 :node/next "n2"}
         {:db/id "n2" :node/id 2 :node/next ["n0" "n3"]} {:db/id "n3" :node/id 3}])");
  EXPECT_EQ(Run("[:find ?j :in $ % :where [?a :node/id 3] (reach ?b ?a) [?b :node/id ?j]]", {db(), E(kReach)}),
            "#{[0] [1] [2]}");
  // Paths of even and odd length from node 0.
  const edn::Node parity = E(R"([[(odd ?a ?b) [?a :node/next ?b]]
                                  [(odd ?a ?b) [?a :node/next ?x] (even ?x ?b)]
                                  [(even ?a ?b) [?a :node/next ?x] (odd ?x ?b)]])");
  EXPECT_EQ(Run("[:find ?j :in $ % :where [?a :node/id 0] (even ?a ?b) [?b :node/id ?j]]", {db(), parity}),
            "#{[0] [1] [2] [3]}");
  EXPECT_EQ(Run("[:find ?j :in $ % :where [?a :node/id 1] (odd ?a ?b) [?b :node/id ?j]]", {db(), parity}),
            "#{[0] [1] [2] [3]}");
  // Rules with constants, ignored positions, and a required argument.
  EXPECT_EQ(Run("[:find ?j :in $ % :where (reach [:node/id 3] _) [?b :node/id ?j]]", {db(), E(kReach)}), "#{}");
  EXPECT_EQ(Run("[:find ?b :in $ % :where (reach ?b ?b) [?b :node/id 3]]", {db(), E(kReach)}), "#{}");
  EXPECT_EQ(Run("[:find (count ?b) . :in $ % :where (reach ?b ?b)]", {db(), E(kReach)}), "3");
  const edn::Node req = E("[[(next-id [?a] ?j) [?a :node/next ?b] [?b :node/id ?j]]]");
  EXPECT_EQ(Run("[:find ?j :in $ % :where [?a :node/id 2] (next-id ?a ?j)]", {db(), req}), "#{[0] [3]}");
  QueryStats st;
  Run("[:find ?i ?j :in $ % :where (reach ?a ?b) [?a :node/id ?i] [?b :node/id ?j]]", {db(), E(kReach)}, &st);
  EXPECT_GT(st.rule_rounds, 1u);
}

TEST_F(RecursionTest, RulesOverViews) {
  Tx(R"([{:db/id "n0" :node/id 0 :node/next "n1"} {:db/id "n1" :node/id 1 :node/next "n2"} {:db/id "n2" :node/id 2}])");
  const T t = db().basis_t();
  Tx(R"([[:db/retract [:node/id 1] :node/next [:node/id 2]]])");
  const std::string q = "[:find ?j :in $ % :where [?a :node/id 0] (reach ?a ?b) [?b :node/id ?j]]";
  EXPECT_EQ(Run(q, {db(), E(kReach)}), "#{[1]}");
  EXPECT_EQ(Run(q, {db().AsOf(t), E(kReach)}), "#{[1] [2]}");
  EXPECT_EQ(Run(q, {db().History(), E(kReach)}), "#{[1] [2]}");
  // A rule read from another source: the same rule, two databases.
  EXPECT_EQ(Run("[:find ?j ?k :in $ $then % :where [?a :node/id 0] ($then reach ?a ?b) [$then ?b :node/id ?j]"
                " (reach ?a ?c) [?c :node/id ?k]]",
                {db(), db().AsOf(t), E(kReach)}),
            "#{[1 1] [2 1]}");
  EXPECT_EQ(Run("[:find ?j :in $ $then % :where [?a :node/id 0] [$then ?b :node/id ?j] ($then reach ?a ?b)"
                " (not (reach ?a ?b))]",
                {db(), db().AsOf(t), E(kReach)}),
            "#{[2]}");
}

}  // namespace
}  // namespace strata
