// Datomic fidelity of pull and the query functions (issue 17): each test
// is one behaviour Datomic defines, with the page that defines it.
#include "query_test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :artist/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :artist/gid :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :artist/country :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :p/score :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
])";

class FidelityTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(kSchema);
    Tx(R"([{:db/id "lz" :artist/name "Led Zeppelin" :artist/gid "678d88b2"}
           {:db/id "a" :p/name "Николай Андреевич Римский-Корсаков" :p/age 30 :p/score 5}
           {:db/id "b" :p/name "bob" :p/age 30 :p/score 5}
           {:db/id "c" :p/name "carol" :p/age 41 :p/score 7}])");
  }
  std::string PullText(const std::string& pattern, const std::string& eid) {
    auto r = Pull(db(), E(pattern), E(eid));
    return r.ok() ? edn::Print(*r) : "error: " + r.status().message();
  }
};

// "Datomic Pull": an attribute the entity lacks is left out of the map;
// one the schema lacks is left out too (docs.datomic.com/query/query-pull.html,
// and replikativ/datahike#579 quoting Datomic's behaviour for
// [:artist/name :died-in-1966?]). Malformed patterns stay errors.
TEST_F(FidelityTest, PullOmitsAttributesTheSchemaDoesNotHave) {
  ExpectPull("[:artist/name :died-in-1966?]", "{lz}", R"({:artist/name "Led Zeppelin"})");
  ExpectPull("[:died-in-1966?]", "{lz}", "nil");
  ExpectPull("[:artist/name :no/_such {:no/such [:x]}]", "{lz}", R"({:artist/name "Led Zeppelin"})");
  ExpectPull("[* :nope]", "{lz}", R"({:db/id {lz} :artist/name "Led Zeppelin" :artist/gid "678d88b2"})");
  ExpectQ(R"([:find (pull ?e [:artist/name :died-in-1966?]) . :where [?e :artist/gid "678d88b2"]])",
          R"({:artist/name "Led Zeppelin"})");
  // Malformed: still refused, the spec named once.
  EXPECT_EQ(PullText(R"([:artist/name "x"])", "{lz}"), "error: pull pattern: expected an attribute spec, got \"x\"");
  EXPECT_EQ(PullText("[(:artist/name :bogus 1)]", "{lz}"),
            "error: pull pattern: unknown attribute option :bogus in (:artist/name :bogus 1)");
}

// "Lookup Refs represent a lookup on a unique attribute as an attribute,
// value pair" ("Identity and Uniqueness", docs.datomic.com/identity.html):
// pull with one on a non-unique attribute is an error, as transact and
// datoms already answer, not nil.
TEST_F(FidelityTest, PullLookupRefNeedsAUniqueAttribute) {
  EXPECT_EQ(PullText("[:artist/gid]", R"([:artist/name "Led Zeppelin"])"),
            "error: lookup ref attribute :artist/name is not unique in [:artist/name \"Led Zeppelin\"]");
  EXPECT_EQ(PullText("[:artist/name]", R"([:artist/gid "678d88b2"])"), R"({:artist/name "Led Zeppelin"})");
  EXPECT_EQ(PullText("[:artist/name]", R"([:artist/gid "nobody"])"), "nil");
  EXPECT_EQ(PullText("[:artist/name]", R"([:no/such 1])"), "error: unknown attribute :no/such in lookup ref [:no/such 1]");
  auto many = PullMany(db(), E("[:artist/name]"), {E(R"([:artist/name "Led Zeppelin"])")});
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.status().message().find("is not unique"), std::string::npos) << many.status().message();
}

// The string functions are Clojure's over java.lang.String ("Datomic
// Query Reference", built-in functions: docs.datomic.com/query/query-data-reference.html;
// String.length and substring count UTF-16 code units, toUpperCase applies
// Unicode's full mappings: "ß" becomes "SS").
TEST_F(FidelityTest, StringFunctionsWorkOnCharacters) {
  auto fn = [&](const std::string& call) {
    return Run("[:find ?x . :where [(" + call + ") ?x]]");
  };
  EXPECT_EQ(fn(R"(count "Николай Андреевич Римский-Корсаков")"), "34");
  EXPECT_EQ(fn(R"(subs "Николай" 0 5)"), R"("Никол")");
  EXPECT_EQ(fn(R"(subs "Николай" 5)"), R"("ай")");
  EXPECT_EQ(fn(R"(clojure.string/upper-case "straße café")"), R"("STRASSE CAFÉ")");
  EXPECT_EQ(fn(R"(clojure.string/lower-case "ΟΔΟΣ ÉTÉ")"), R"("οδος été")");
  EXPECT_EQ(fn(R"(clojure.string/capitalize "élan VITAL")"), R"("Élan vital")");
  // Outside the Basic Multilingual Plane a character is two UTF-16 units
  // (Java, and DataScript's JavaScript, agree); half of one is refused.
  EXPECT_EQ(fn(R"(count "a😀b")"), "4");
  EXPECT_EQ(fn(R"(subs "a😀b" 1 3)"), R"("😀")");
  EXPECT_EQ(fn(R"(subs "a😀b" 3)"), R"("b")");
  EXPECT_NE(fn(R"(subs "a😀b" 2)").find("'subs' index 2 falls inside U+1F600"), std::string::npos)
      << fn(R"(subs "a😀b" 2)");
  EXPECT_NE(fn(R"(subs "Николай" 0 8)").find("index out of range"), std::string::npos);
  EXPECT_EQ(fn(R"(clojure.string/index-of "Римский😀-Корсаков" "-")"), "9");
  EXPECT_EQ(fn(R"(clojure.string/reverse "a😀é")"), R"("é😀a")");
  // Character.isWhitespace: an ideographic space is one, a no-break space is not.
  EXPECT_EQ(fn("clojure.string/trim \"\u3000 x \u3000\""), R"("x")");
  EXPECT_EQ(fn("clojure.string/blank? \"\u2003\t\""), "true");
  EXPECT_EQ(fn("clojure.string/blank? \"\u00a0\""), "false");
  EXPECT_EQ(fn(R"(clojure.string/replace "a.b.c" "." "::")"), R"("a::b::c")");
  EXPECT_EQ(fn(R"(clojure.string/join ", " ["a" 1 :k])"), R"("a, 1, :k")");
  ExpectQ(R"([:find ?n :where [?e :p/name ?n] [(count ?n) ?c] [(> ?c 30)]])",
          R"(#{["Николай Андреевич Римский-Корсаков"]})");
}

// Datomic's query grammar: "pattern-name = plain-symbol" and ":in ...
// (src-var | binding | pattern-name | rules-var)+", so a pull pattern may
// come from an input named by a plain symbol
// (docs.datomic.com/query/query-data-reference.html, Query Grammar).
TEST_F(FidelityTest, PullPatternFromAPlainSymbolInput) {
  ExpectQ(R"([:find (pull ?e pattern) . :in $ pattern ?g :where [?e :artist/gid ?g]])",
          R"({:artist/name "Led Zeppelin"})", {db(), E("[:artist/name]"), E(R"("678d88b2")")});
  ExpectQ(R"([:find [(pull $ ?e pat) ...] :in $ pat :where [?e :p/age 41]])", R"([{:p/name "carol" :p/age 41}])",
          {db(), E("[:p/name :p/age :no/such]")});
  // A ?variable scalar still works; a name :in does not bind is an error.
  ExpectQ(R"([:find (pull ?e ?p) . :in $ ?p :where [?e :p/age 41]])", R"({:p/age 41})", {db(), E("[:p/age]")});
  EXPECT_NE(Run("[:find (pull ?e other) :in $ pat :where [?e :p/age 41]]", {db(), E("[:p/age]")})
                .find("pull pattern other is not bound by :in"),
            std::string::npos);
}

// Query results are sets ("Datomic Query Reference": "find-rel ... returns
// a set of tuples"): two people pulled to equal maps are one element, and
// the printed set reads back through strata's own EDN reader.
TEST_F(FidelityTest, PulledDuplicatesCollapseInASet) {
  const std::string out = Run("[:find (pull ?e [:p/age]) :where [?e :p/age]]");
  EXPECT_EQ(out, "#{[{:p/age 30}] [{:p/age 41}]}");
  auto back = edn::ReadOne(out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->items.size(), 2u);
  // Pulled with a distinguishing attribute, each entity stays.
  EXPECT_EQ(Run("[:find (pull ?e [:p/age]) ?n :where [?e :p/age] [?e :p/name ?n]]").find("#{"), 0u);
  auto three = Q(E("[:find (pull ?e [:p/age]) ?e :where [?e :p/age]]"), {db()});
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->items.size(), 3u);
}

// ":with ... The with variables are then removed, leaving a bag (not a
// set!) of values" (docs.datomic.com/query/query-data-reference.html,
// With Clause): without an aggregate the bag is the result.
TEST_F(FidelityTest, WithWithoutAggregateIsABag) {
  ExpectQ("[:find ?a :with ?e :where [?e :p/age ?a]]", "[[30] [30] [41]]");
  ExpectQ("[:find ?a :where [?e :p/age ?a]]", "#{[30] [41]}");
  ExpectQ("[:find (sum ?s) . :with ?e :where [?e :p/score ?s]]", "17");
}

// "aggregate = [aggregate-fn-name fn-arg+]; fn-arg = (variable | constant
// | src-var)" (Query Grammar): an aggregate's leading argument may be a
// variable bound by :in.
TEST_F(FidelityTest, AggregateArgumentsFromInputs) {
  ExpectQ("[:find (max ?n ?a) . :in $ ?n :where [_ :p/age ?a]]", "[30 41]", {db(), E("2")});
  ExpectQ("[:find (min ?n ?a) . :in $ ?n :where [_ :p/age ?a]]", "[30]", {db(), E("1")});
  ExpectQ("[:find (sample ?n ?a) . :in $ ?n :where [_ :p/age ?a]]", "[30 41]", {db(), E("5")});
  EXPECT_NE(Run("[:find (max ?n ?a) . :where [_ :p/age ?a]]").find("aggregate argument ?n is not an :in scalar"),
            std::string::npos);
}

// Datomic's expression functions include clojure.core's ("Datomic Query
// Reference", Function Expressions: docs.datomic.com/query/query-data-reference.html;
// the example there builds a map with hash-map). Each either works or is
// refused as not supported, never "unknown".
TEST_F(FidelityTest, DatomicBuiltinsWorkOrAreRefused) {
  auto fn = [&](const std::string& call) { return Run("[:find ?x . :where [(" + call + ") ?x]]"); };
  EXPECT_EQ(fn("hash-map :a 1 :b 2"), "{:a 1, :b 2}");
  EXPECT_EQ(fn("hash-map :b 1 :a 2 :b 3"), "{:a 2, :b 3}");  // a later value of a key wins
  EXPECT_EQ(fn("get {:a 1} :a"), "1");
  EXPECT_EQ(fn("get {:a 1} :z 9"), "9");
  EXPECT_EQ(fn("get [10 20] 1"), "20");
  EXPECT_EQ(fn("hash-set 3 1 3"), "#{1 3}");
  EXPECT_EQ(fn("set [2 2 1]"), "#{1 2}");
  EXPECT_EQ(fn("contains? #{1 2} 2"), "true");
  EXPECT_EQ(fn("contains? {:a 1} :b"), "false");
  EXPECT_EQ(fn("contains? [5 6] 1"), "true");
  EXPECT_EQ(fn("count {:a 1 :b 2}"), "2");
  EXPECT_EQ(fn("empty? []"), "true");
  EXPECT_EQ(fn("not-empty \"\""), "nil");
  EXPECT_EQ(fn("range 1 7 2"), "[1 3 5]");
  EXPECT_EQ(fn("pr-str \"a\" :k 1"), R"("\"a\" :k 1")");
  EXPECT_EQ(fn("print-str \"a\" :k 1"), R"("a :k 1")");
  EXPECT_EQ(fn("clojure.string/split \"a1b22c\" \"[0-9]+\""), R"(["a" "b" "c"])");
  EXPECT_EQ(fn("clojure.string/split \"a,b,,\" \",\""), R"(["a" "b"])");
  EXPECT_EQ(fn("clojure.core/inc 41"), "42");
  ExpectQ("[:find ?k ?v :in ?m :where [(identity ?m) [[?k ?v]]]]", "#{[:a 1] [:b 2]}", {E("{:a 1 :b 2}")});
  ExpectQ("[:find ?n :where [?e :p/name ?n] [(hash-map :who ?n) ?m] [(get ?m :who) ?w] [(= ?w \"bob\")]]",
          R"(#{["bob"]})");
  for (const char* refused : {"rand-int 5", "meta ?x", "type 1", "identical? 1 1", "q 1"}) {
    EXPECT_EQ(fn(refused).rfind("error: not supported by strata: '", 0), 0u) << refused << ": " << fn(refused);
  }
  EXPECT_EQ(fn("frobnicate 1").rfind("error: unknown function 'frobnicate'", 0), 0u) << fn("frobnicate 1");
}

// "fulltext ... requires a fulltext index" (Datomic Query Reference,
// fulltext): an attribute without :db/fulltext true is refused.
TEST_F(FidelityTest, FulltextNeedsAFulltextAttribute) {
  Tx(R"([{:db/ident :doc/text :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/fulltext true}])");
  Tx(R"([{:db/id "d" :doc/text "the quick brown fox"}])");
  ExpectQ(R"([:find ?e :where [(fulltext $ :doc/text "quick fox") [[?e]]]])", "#{[{d}]}");
  EXPECT_NE(Run(R"([:find ?e :where [(fulltext $ :p/name "bob") [[?e]]]])")
                .find("not supported by strata: 'fulltext' on :p/name, which has no fulltext index"),
            std::string::npos);
}

}  // namespace
}  // namespace strata
