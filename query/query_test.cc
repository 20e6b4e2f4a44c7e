// Datalog: find specs, inputs, data patterns, functions, not/or, aggregates,
// the log, views of time, and the planner's independence of clause order.
#include <set>

#include "query_test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :person/friends :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  {:db/ident :person/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :person/height :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
  {:db/ident :person/role :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :role/admin}
  {:db/ident :role/user}
])";

class QueryLangTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(kSchema);
    Tx(R"([{:db/id "alice" :person/name "alice" :person/age 30 :person/email "alice@example.com"
            :person/friends ["bob" "carol"] :person/tags [:admin :dev] :person/height 1.70 :person/role :role/admin}
           {:db/id "bob" :person/name "bob" :person/age 25 :person/friends "carol" :person/tags :dev
            :person/height 1.80 :person/role :role/user}
           {:db/id "carol" :person/name "carol" :person/age 35 :person/role :role/user}
           {:db/id "dave" :person/name "dave" :person/age 25}])");
  }
};

TEST_F(QueryLangTest, FindSpecs) {
  ExpectQ("[:find ?n :where [?e :person/age 25] [?e :person/name ?n]]", R"(#{["bob"] ["dave"]})");
  ExpectQ("[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a] [(> ?a 28)]]",
          R"(#{["alice" 30] ["carol" 35]})");
  ExpectQ(R"([:find ?a . :where [?e :person/name "carol"] [?e :person/age ?a]])", "35");
  ExpectQ(R"([:find ?a . :where [?e :person/name "nobody"] [?e :person/age ?a]])", "nil");
  ExpectQ("[:find [?n ...] :where [?e :person/age 25] [?e :person/name ?n]]", R"(["bob" "dave"])");
  ExpectQ(R"([:find [?n ?a] :where [?e :person/name ?n] [?e :person/age ?a] [(= ?n "bob")]])", R"(["bob" 25])");
  ExpectQ(R"([:find (pull ?e [:person/name {:person/friends [:person/name]}]) :where [?e :person/name "alice"]])",
          R"(#{[{:person/name "alice" :person/friends [{:person/name "bob"} {:person/name "carol"}]}]})");
  ExpectQ("[:find ?n ?a :keys name age :where [?e :person/name ?n] [?e :person/age ?a] [(< ?a 30)]]",
          R"([{:name "bob" :age 25} {:name "dave" :age 25}])");
  ExpectQ(R"([:find ?n :syms who :where [?e :person/name ?n] [?e :person/age 35]])", R"([{who "carol"}])");
  ExpectQ(R"([:find ?n :strs who :where [?e :person/name ?n] [?e :person/age 35]])", R"([{"who" "carol"}])");
  // The map form.
  ExpectQ(R"({:find [?n] :in [$ ?a] :where [[?e :person/age ?a] [?e :person/name ?n]]})", R"(#{["carol"]})",
          {db(), edn::Node::Long(35)});
}

TEST_F(QueryLangTest, Inputs) {
  ExpectQ("[:find ?n :in $ ?a :where [?e :person/age ?a] [?e :person/name ?n]]", R"(#{["bob"] ["dave"]})",
          {db(), edn::Node::Long(25)});
  ExpectQ("[:find ?e :in $ [?n ?a] :where [?e :person/name ?n] [?e :person/age ?a]]", "#{[{bob}]}",
          {db(), E(R"(["bob" 25])")});
  ExpectQ("[:find ?a :in $ [?n ...] :where [?e :person/name ?n] [?e :person/age ?a]]", "#{[30] [35]}",
          {db(), E(R"(["alice" "carol" "nobody"])")});
  ExpectQ("[:find ?n :in $ [[?n ?min]] :where [?e :person/name ?n] [?e :person/age ?a] [(>= ?a ?min)]]",
          R"(#{["alice"]})", {db(), E(R"([["alice" 30] ["bob" 30]])")});
  ExpectQ("[:find ?a :in $ [[?a ?a]] :where [?e :person/age ?a]]", "#{[25]}", {db(), E("[[25 25] [30 35]]")});
  ExpectQ("[:find ?n :in $ _ ?a :where [?e :person/age ?a] [?e :person/name ?n]]", R"(#{["carol"]})",
          {db(), edn::Node::Long(1), edn::Node::Long(35)});
  // Lookup refs and idents stand for entities.
  ExpectQ("[:find ?a :in $ ?e :where [?e :person/age ?a]]", "#{[25]}", {db(), E(R"([:person/name "bob"])")});
  // Two databases, and a collection of tuples as a source.
  Database before = db();
  Tx(R"([[:db/add [:person/name "dave"] :person/age 26]])");
  ExpectQ(R"([:find ?old ?new :in $old $new :where [$old ?e :person/name "dave"] [$old ?e :person/age ?old]
             [$new ?e :person/age ?new]])",
          "#{[25 26]}", {before, db()});
  ExpectQ(R"([:find ?n ?score :in $ $scores :where [$scores ?n ?score] [?e :person/name ?n] [?e :person/age 35]])",
          R"(#{["carol" 7]})", {db(), E(R"([["carol" 7] ["alice" 9] ["zed" 1]])")});
}

TEST_F(QueryLangTest, DataPatterns) {
  ExpectQ("[:find ?n :where [?e :person/role :role/user] [?e :person/name ?n]]", R"(#{["bob"] ["carol"]})");
  ExpectQ("[:find ?e :where [?e :person/email _]]", "#{[{alice}]}");
  ExpectQ("[:find ?e :where [?e :person/tags :dev] [?e :person/tags :admin]]", "#{[{alice}]}");
  ExpectQ(R"([:find ?f :where [[:person/name "alice"] :person/friends ?f]])", "#{[{bob}] [{carol}]}");
  ExpectQ("[:find ?h :where [_ :person/height ?h] [(> ?h 1.75)]]", "#{[1.8]}");
  ExpectQ("[:find ?a :where [{carol} ?attr _] [?attr :db/ident ?a]]", "#{[:person/name] [:person/age] [:person/role]}");
  // Reverse navigation: who lists carol as a friend (VAET).
  ExpectQ(R"([:find ?n :where [?c :person/name "carol"] [?e :person/friends ?c] [?e :person/name ?n]])",
          R"(#{["alice"] ["bob"]})");
  // Bound variables in every position.
  ExpectQ(R"([:find ?v :in $ ?e ?a :where [?e ?a ?v]])", R"(#{["bob"]})",
          {db(), E("{bob}"), edn::Node::Keyword("person/name")});
}

TEST_F(QueryLangTest, TxAndAddedOnHistory) {
  const TxReport fix = Tx(R"([[:db/add [:person/name "bob"] :person/age 26]])");
  const std::string tx = std::to_string(fix.tx);
  ExpectQ(R"([:find ?a ?added :where [?e :person/name "bob"] [?e :person/age ?a ?tx ?added]])",
          "#{[25 false] [25 true] [26 true]}", {db().History()});
  ExpectQ(R"([:find ?a :where [?e :person/name "bob"] [?e :person/age ?a _ false]])", "#{[25]}", {db().History()});
  ExpectQ(R"([:find ?a :where [?e :person/name "bob"] [?e :person/age ?a )" + tx + " true]]", "#{[26]}",
          {db().History()});
  ExpectQ(R"([:find ?tx :where [?e :person/name "bob"] [?e :person/age 26 ?tx]])", "#{[" + tx + "]}");
  ExpectQ(R"([:find ?a :where [?e :person/name "bob"] [?e :person/age ?a]])", "#{[25]}", {db().AsOf(fix.t - 1)});
  // A since view holds only the newer datoms: bob's name is older.
  ExpectQ(R"([:find ?a :where [?e :person/age ?a]])", "#{[26]}", {db().Since(fix.t - 1)});
  ExpectQ(R"([:find ?a :where [?e :person/age ?a] [?e :person/name]])", "#{}", {db().Since(fix.t - 1)});
}

TEST_F(QueryLangTest, PredicatesAndFunctions) {
  ExpectQ("[:find ?n :where [?e :person/name ?n] [?e :person/age ?a] [(!= ?a 25)] [(not= ?n \"carol\")]]",
          R"(#{["alice"]})");
  ExpectQ("[:find ?x :where [(+ 1 2 3) ?x]]", "#{[6]}");
  ExpectQ("[:find ?x ?y ?z :where [(- 10 4) ?x] [(* 2 2.5) ?y] [(/ 7 2) ?z]]", "#{[6 5.0 3.5]}");
  ExpectQ("[:find ?x ?y ?z ?w :where [(quot 7 2) ?x] [(rem -7 2) ?y] [(mod -7 2) ?z] [(/ 8 2) ?w]]", "#{[3 -1 1 4]}");
  ExpectQ("[:find ?x ?y :where [(inc 1) ?x] [(dec 1) ?y]]", "#{[2 0]}");
  ExpectQ(R"([:find ?s :where [?e :person/age 30] [?e :person/name ?n] [(str ?n "-" 30 :k) ?s]])",
          R"(#{["alice-30:k"]})");
  ExpectQ(R"([:find ?s ?c :where [(subs "abcdef" 1 3) ?s] [(count ?s) ?c]])", R"(#{["bc" 2]})");
  ExpectQ(R"([:find ?n :where [?e :person/email ?m] [(re-find "@example\\.com$" ?m)] [?e :person/name ?n]])",
          R"(#{["alice"]})");
  ExpectQ(R"Q([:find ?u :where [?e :person/email ?m] [(re-matches "(\\w+)@(.*)" ?m) [_ ?u _]]])Q", R"(#{["alice"]})");
  ExpectQ(R"([:find ?n :where [?e :person/name ?n] [(clojure.string/starts-with? ?n "a")]])", R"(#{["alice"]})");
  ExpectQ(R"([:find ?n :where [?e :person/name ?n] [(clojure.string/ends-with? ?n "ol")]])", R"(#{["carol"]})");
  ExpectQ(R"([:find ?n :where [?e :person/name ?n] [(clojure.string/includes? ?n "av")]])", R"(#{["dave"]})");
  ExpectQ(R"([:find ?u ?l :where [(clojure.string/upper-case "ab") ?u] [(clojure.string/lower-case "CD") ?l]])",
          R"(#{["AB" "cd"]})");
  ExpectQ("[:find ?n ?e :where [?e :person/name ?n] [(get-else $ ?e :person/email \"none\") ?m] [(= ?m \"none\")]"
          " [?e :person/age 35]]",
          R"(#{["carol" {carol}]})");
  ExpectQ("[:find ?n :where [?e :person/name ?n] [(missing? $ ?e :person/friends)] [(missing? $ ?e :person/role)]]",
          R"(#{["dave"]})");
  ExpectQ(R"([:find ?v :where [?e :person/name "carol"] [(get-some $ ?e :person/email :person/age) [_ ?v]]])", "#{[35]}");
  ExpectQ("[:find ?x :where [(ground [1 2 3]) [?x ...]]]", "#{[1] [2] [3]}");
  ExpectQ("[:find ?a ?b :where [(ground [[1 2] [3 4]]) [[?a ?b]]]]", "#{[1 2] [3 4]}");
  ExpectQ("[:find ?t ?b :where [(tuple 1 :x) ?t] [(untuple ?t) [_ ?b]]]", "#{[[1 :x] :x]}");
  ExpectQ("[:find ?x :where [(identity 5) ?x] [(< 1 ?x 10)] [(>= ?x 5 5)] [(<= 5 ?x)]]", "#{[5]}");
  ExpectQ("[:find ?x :where [(ground 5) ?x] [(+ ?x 0) ?x]]", "#{[5]}");
  ExpectQ(R"([:find ?k :where [(keyword "a" "b") ?k] [(name ?k) ?n] [(namespace ?k) ?ns] [(= ?n "b")] [(= ?ns "a")]])",
          "#{[:a/b]}");
  // A nil result drops the row.
  ExpectQ(R"([:find ?n :where [?e :person/name ?n] [(re-find "z" ?n) ?m]])", "#{}");
}

TEST_F(QueryLangTest, NotAndOr) {
  ExpectQ("[:find ?n :where [?e :person/name ?n] (not [?e :person/role :role/user])]", R"(#{["alice"] ["dave"]})");
  ExpectQ("[:find ?n :where [?e :person/name ?n] (not [?e :person/friends ?f] [?f :person/name \"bob\"])]",
          R"(#{["bob"] ["carol"] ["dave"]})");
  ExpectQ("[:find ?n :where [?e :person/name ?n] (not-join [?e] [?e :person/friends ?f] [?f :person/age 35])]",
          R"(#{["carol"] ["dave"]})");
  ExpectQ("[:find ?n :where [?e :person/name ?n] (or [?e :person/age 35] [?e :person/tags :admin])]",
          R"(#{["alice"] ["carol"]})");
  ExpectQ(R"([:find ?n :where [?e :person/name ?n]
             (or (and [?e :person/age 25] [?e :person/tags :dev]) [?e :person/role :role/admin])])",
          R"(#{["alice"] ["bob"]})");
  ExpectQ("[:find ?n :where [?e :person/name ?n] (or-join [?e] [?e :person/friends ?x] [?x :person/friends ?e])]",
          R"(#{["alice"] ["bob"] ["carol"]})");
  ExpectQ("[:find ?n ?v :where [?e :person/name ?n] (or-join [[?e] ?v] [?e :person/age ?v] [?e :person/email ?v])"
          " [?e :person/age 30]]",
          R"(#{["alice" 30] ["alice" "alice@example.com"]})");
  // not over a source other than $.
  ExpectQ(R"([:find ?n :in $ $other :where [?e :person/name ?n] ($other not [?e :person/age 25])])",
          R"(#{["alice"] ["carol"]})", {db(), db()});
}

TEST_F(QueryLangTest, Aggregates) {
  ExpectQ("[:find (count ?e) :where [?e :person/name]]", "#{[4]}");
  ExpectQ("[:find (count ?a) (count-distinct ?a) :with ?e :where [?e :person/age ?a]]", "#{[4 3]}");
  ExpectQ("[:find (sum ?a) (min ?a) (max ?a) :with ?e :where [?e :person/age ?a]]", "#{[115 25 35]}");
  ExpectQ("[:find (sum ?a) :where [?e :person/age ?a]]", "#{[90]}");  // a set of values without :with
  ExpectQ("[:find (avg ?a) (median ?a) :with ?e :where [?e :person/age ?a]]", "#{[28.75 27.5]}");
  ExpectQ("[:find (min 2 ?a) (max 2 ?a) (distinct ?a) :with ?e :where [?e :person/age ?a]]",
          "#{[[25 30] [30 35] #{25 30 35}]}");
  ExpectQ("[:find (sample 2 ?n) :where [_ :person/name ?n]]", R"(#{[["alice" "bob"]]})");
  ExpectQ("[:find ?a (count ?e) :where [?e :person/age ?a]]", "#{[25 2] [30 1] [35 1]}");
  ExpectQ("[:find (variance ?a) (stddev ?a) :where [(ground [2 4]) [?a ...]]]", "#{[1.0 1.0]}");
  ExpectQ("[:find (count ?e) . :where [?e :person/age 99]]", "nil");
  ExpectQ(R"([:find ?n (count ?f) :keys name friends :where [?e :person/name ?n] [?e :person/friends ?f]])",
          R"([{:name "alice" :friends 2} {:name "bob" :friends 1}])");
}

TEST_F(QueryLangTest, TheLogAsATimeIndex) {
  const TxReport r = Tx(R"([{:db/id "e" :person/name "eve" :person/age 40}])");
  // The retraction article's query: the datoms of one transaction.
  ExpectQ("[:find ?e ?attr ?v ?added :in $ ?log ?t :where [(tx-data ?log ?t) [[?e ?a ?v _ ?added]]]"
          " [?a :db/ident ?attr] [(!= ?attr :db/txInstant)]]",
          R"(#{[{e} :person/name "eve" true] [{e} :person/age 40 true]})",
          {db(), LogSource{conn_.get()}, edn::Node::Long(static_cast<int64_t>(r.t))});
  const std::string t = std::to_string(r.t);
  ExpectQ("[:find ?tx :in $ ?log :where [(tx-ids ?log " + t + " nil) [?tx ...]]]", "#{[" + std::to_string(r.tx) + "]}",
          {db(), LogSource{conn_.get()}});
  ExpectQ("[:find (count ?tx) . :in $ ?log :where [(tx-ids ?log 0 " + t + ") [?tx ...]]]",
          "2", {db(), LogSource{conn_.get()}});  // the schema and the data before it
}

TEST_F(QueryLangTest, ViewsOfTime) {
  const T t0 = db().basis_t();
  Tx(R"([[:db/retract [:person/name "alice"] :person/friends [:person/name "bob"]]])");
  const std::string q = R"([:find ?n :where [?a :person/name "alice"] [?a :person/friends ?f] [?f :person/name ?n]])";
  ExpectQ(q, R"(#{["carol"]})");
  ExpectQ(q, R"(#{["bob"] ["carol"]})", {db().AsOf(t0)});
  ExpectQ(q, R"(#{["bob"] ["carol"]})", {db().History()});
  ExpectQ(q, "#{}", {db().Since(t0)});
  auto w = db().With(E(R"([[:db/add [:person/name "alice"] :person/friends [:person/name "dave"]]])"));
  ASSERT_TRUE(w.ok());
  ExpectQ(q, R"(#{["carol"] ["dave"]})", {w->db_after});
  Database no_carol = db().Filter([&](const Database&, const Datom& d) { return d.e != Id("carol"); });
  ExpectQ(q, "#{}", {no_carol});
}

// The planner picks the order: the same query written in two orders gives
// the same result for about the same work.
// A pattern whose entity is bound by many rows scans its attribute (AEVT,
// entity order), keeping only the bound entities' datoms; a scan cut short
// at about 4 datoms per binding has read every datom of the entities below
// the one it stopped on, so those take their datoms from the scan and only
// the others are looked up (patterns.cc). The cut may fall inside one
// entity's datoms (three tags each): that entity must be looked up whole,
// neither lost nor doubled.
TEST_F(QueryLangTest, CutAttributeScanHandsTheRestToLookups) {
  std::string tx = "[";
  std::set<std::string> want = {R"(["alice@example.com" :admin])", R"(["alice@example.com" :dev])"};
  for (int i = 0; i < 300; ++i) {
    const std::string n = std::to_string(i);
    tx += "{:db/id \"p" + n + "\" :person/name \"q" + n + "\" :person/tags [:a" + n + " :b" + n + " :c" + n + "]" +
          (i % 3 == 1 ? " :person/email \"m" + n + "\"" : "") + "}";
    if (i % 3 == 1)
      for (const char* t : {"a", "b", "c"}) want.insert("[\"m" + n + "\" :" + t + n + "]");
  }
  Tx(tx + "]");
  QueryStats stats;
  const std::string got = Run("[:find ?m ?t :where [?e :person/email ?m] [?e :person/tags ?t]]", {}, &stats);
  std::string expected = "#{";
  for (const auto& row : want) expected += (expected.size() > 2 ? " " : "") + row;
  expected += "}";
  EXPECT_EQ(E(got), E(expected));  // EDN sets compare regardless of order
  EXPECT_EQ(E(got).items.size(), 302u);
  // The email scan, the cut tags scan, and lookups for the entities it did
  // not reach: some, not all 101 (all: the scan was dropped; none: it was
  // read whole).
  EXPECT_GT(stats.index_lookups, 2u + 10u);
  EXPECT_LT(stats.index_lookups, 2u + 90u);
}

// Two patterns looking the same bound entity up ([?e :person/name ?n]
// [?e :person/age ?a] after ?e is bound) run together (query/star.cc): one
// read of each entity serves both, and it stops after the last attribute
// they name (attributes are in schema order: name, age, email, friends,
// tags, height). An entity with more datoms than that read keeps before
// it (here 40 tags before :person/height) is looked up per attribute.
TEST_F(QueryLangTest, PatternsOnOneEntityShareItsRead) {
  std::string tx = "[{:db/id \"big\" :person/name \"big\" :person/age 7 :person/height 2.5 :person/email \"x\" :person/tags [";
  for (int i = 0; i < 40; ++i) tx += " :t" + std::to_string(i);
  tx += "]}";
  for (int i = 0; i < 10; ++i)
    tx += " {:person/name \"n" + std::to_string(i) + "\" :person/age " + std::to_string(50 + i) +
          " :person/height " + std::to_string(i) + ".5 :person/email \"x\"}";
  Tx(tx + "]");
  QueryStats stats;
  std::string got =
      Run(R"([:find ?n ?a :where [?e :person/email "x"] [?e :person/name ?n] [?e :person/age ?a]])", {}, &stats);
  std::string want = R"(#{["big" 7])";
  for (int i = 0; i < 10; ++i) want += " [\"n" + std::to_string(i) + "\" " + std::to_string(50 + i) + "]";
  EXPECT_EQ(E(got), E(want + "}"));
  // The email scan and one read per entity, the big one's too (its tags
  // come after :person/age): 1 + 11 (a lookup per pattern and entity:
  // 1 + 11 + 11).
  EXPECT_EQ(stats.index_lookups, 12u);
  EXPECT_EQ(stats.phases.size(), 0u);

  got = Run(R"([:find ?n ?h :where [?e :person/email "x"] [?e :person/name ?n] [?e :person/height ?h]])", {}, &stats);
  want = R"(#{["big" 2.5])";
  for (int i = 0; i < 10; ++i) want += " [\"n" + std::to_string(i) + "\" " + std::to_string(i) + ".5]";
  EXPECT_EQ(E(got), E(want + "}"));
  // The big one's read stops at the limit, then one lookup for each of
  // the two attributes: 1 + 11 + 2.
  EXPECT_EQ(stats.index_lookups, 14u);
}

TEST_F(QueryLangTest, ClauseOrderDoesNotMatter) {
  std::string tx = "[";
  for (int i = 0; i < 400; ++i) {
    tx += "{:db/id \"p" + std::to_string(i) + "\" :person/name \"p" + std::to_string(i) + "\" :person/age " +
          std::to_string(i % 50) + (i % 7 == 0 ? " :person/friends \"p" + std::to_string((i + 1) % 400) + "\"" : "") + "}";
  }
  Tx(tx + "]");
  const std::string good = R"([:find ?fn :where [?e :person/name "p7"] [?e :person/friends ?f] [?f :person/age ?a]
                                [?f :person/name ?fn] [(< ?a 40)]])";
  const std::string bad = R"([:find ?fn :where [(< ?a 40)] [?f :person/name ?fn] [?f :person/age ?a]
                               [?e :person/friends ?f] [?e :person/name "p7"]])";
  QueryStats s1, s2;
  EXPECT_EQ(Run(good, {}, &s1), R"(#{["p8"]})");
  EXPECT_EQ(Run(bad, {}, &s2), R"(#{["p8"]})");
  EXPECT_LE(s1.tuples, 10u);
  EXPECT_LE(s2.tuples, 10u);
  // Datoms read to answer, besides the planner's samples of the attributes
  // it had to compare (at most 512 datoms each).
  EXPECT_LE(s1.datoms - s1.planner_datoms, 20u);
  EXPECT_LE(s2.datoms - s2.planner_datoms, 20u);
  EXPECT_EQ(s1.datoms - s1.planner_datoms, s2.datoms - s2.planner_datoms);
  // The samples are kept with the database value: the second query of the
  // same value (the same attributes compared) reads none.
  EXPECT_GT(s1.planner_datoms, 0u);
  EXPECT_EQ(s2.planner_datoms, 0u);
  // A join never becomes a cross product: two unconnected patterns stay
  // apart until the clause that connects them.
  const std::string q3 = R"([:find ?n1 :where [?e1 :person/age ?a] [?e2 :person/age ?a] [?e1 :person/name ?n1]
                             [?e2 :person/name "p3"]])";
  QueryStats s3;
  Run(q3, {}, &s3);
  EXPECT_LE(s3.tuples, 50u) << "tuples " << s3.tuples;
}

// A comparison of a scanned pattern's value with a long ([(>= ?a 48)], run
// right after the pattern) drops the datoms outside it during the scan:
// their rows are never built. Results are those of the predicate (Datomic
// "Predicate Expressions", https://docs.datomic.com/query/query-data-reference.html#predicate-expressions).
TEST_F(QueryLangTest, ComparisonOnAScannedValueFiltersDuringTheScan) {
  std::string tx = "[";
  for (int i = 0; i < 400; ++i) tx += "{:person/name \"s" + std::to_string(i) + "\" :person/age " + std::to_string(i % 50) + "}";
  Tx(tx + "]");
  QueryStats ge, flipped, two, dbl;
  EXPECT_EQ(Run("[:find (count ?e) . :where [?e :person/age ?a] [(>= ?a 48)]]", {}, &ge), "16");
  EXPECT_EQ(Run("[:find (count ?e) . :where [?e :person/age ?a] [(< 47 ?a)]]", {}, &flipped), "16");
  EXPECT_EQ(Run("[:find (count ?e) . :where [?e :person/age ?a] [(> ?a 10)] [(<= ?a 11)]]", {}, &two), "8");
  // Rows built: those kept (and the predicate's output), not the 400 read.
  EXPECT_LE(ge.tuples, 2u * 16u + 2u) << ge.tuples;
  EXPECT_LE(flipped.tuples, 2u * 16u + 2u) << flipped.tuples;
  EXPECT_LE(two.tuples, 3u * 8u + 2u) << two.tuples;
  EXPECT_GE(ge.datoms, 400u);  // the scan still reads every datom of the attribute
  // A bound given as an :in scalar is that constant; a rule's variable of
  // the same name is the rule's own (here it is bound per row: no filter).
  QueryStats in;
  EXPECT_EQ(Run("[:find (count ?e) . :in $ ?min :where [?e :person/age ?a] [(>= ?a ?min)]]", {db(), E("48")}, &in),
            "16");
  EXPECT_LE(in.tuples, 3u * 16u + 3u) << in.tuples;  // the rows kept, joined with ?min, and the predicate's
  EXPECT_EQ(Run("[:find (count ?e) . :in $ % ?min :where (old ?e)]",
                {db(), E("[[(old ?e) [?e :person/age ?a] [?e :person/age ?min] [(>= ?a ?min)]]]"), E("48")}),
            Run("[:find (count ?e) . :where [?e :person/age _]]"));
  // A constant that is not a long is left to the predicate alone.
  EXPECT_EQ(Run("[:find (count ?e) . :where [?e :person/age ?a] [(> ?a 47.5)]]", {}, &dbl), "16");
  EXPECT_GE(dbl.tuples, 400u);
}

// Two entity sets joined on a shared value of an attribute without AVET
// ([?e2 :person/height ?h] with ?h bound by the first set): the set with a
// constant value runs before the value join (estimated from attribute
// samples), and the join then looks up by ?e2 and hash-joins ?h instead of
// multiplying the two sets out.
TEST_F(QueryLangTest, ValueJoinWaitsForTheSelectiveSet) {
  std::string tx = "[";
  for (int i = 0; i < 4000; ++i) {
    tx += "{:person/email \"n" + std::to_string(i % 32) + "\" :person/height " + std::to_string(i % 97) + ".0}";
  }
  Tx(tx + "]");
  const std::string q = R"([:find (count ?e2) . :where [?e1 :person/email "n1"] [?e1 :person/height ?h]
                            [?e2 :person/height ?h] [?e2 :person/email "n2"]])";
  QueryStats st;
  // 125 people per email; every height is shared by n1 and n2 people.
  EXPECT_EQ(Run(q, {}, &st), "125");
  // The value join first binds about 125 * 4000 / 97 = 5,000 rows more
  // (11,705 tuples in all, against 4,678; probe scans included).
  EXPECT_LE(st.tuples, 6000u) << "tuples " << st.tuples;
}

// Many bindings against an attribute with few datoms: one scan and a hash
// join; few bindings: a lookup each. (The scan is also the probe that
// decides, so the attribute is read once, not counted and then read.)
TEST_F(QueryLangTest, ScanOrLookupReadsTheAttributeOnce) {
  std::string tx = "[";
  for (int i = 0; i < 2000; ++i) {
    tx += "{:person/name \"n" + std::to_string(i) + "\" :person/height " + std::to_string(i % 3) + ".5" +
          (i % 2 ? " :person/email \"odd\"" : "") + "}";
  }
  Tx(tx + "]");
  QueryStats many, few;
  EXPECT_EQ(Run(R"([:find (count ?h) . :with ?e :where [?e :person/email "odd"] [?e :person/height ?h]])", {}, &many),
            "1000");
  // 1002 emails and 2002 heights (two of the fixture's people have them).
  // (Besides the planner's samples: at most 512 datoms of each attribute.)
  EXPECT_LE(many.datoms - many.planner_datoms, 1001u + 2002u + 10u) << many.datoms;
  EXPECT_EQ(Run(R"([:find ?h . :where [?e :person/email "alice@example.com"] [?e :person/height ?h]])", {}, &few),
            "1.7");
  EXPECT_LE(few.datoms - few.planner_datoms, 1001u + 10u) << few.datoms;
}

TEST_F(QueryLangTest, ResourceLimits) {
  QueryOptions o;
  o.max_tuples = 3;
  auto r = Q(E("[:find ?e ?f :where [?e :person/name] [?f :person/name]]"), {db()}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBusy);
  EXPECT_NE(r.status().message().find("max_tuples"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace strata
