// Query sources: explicit sources on not / not-join / or / or-join and rule
// calls, rules inheriting the source they were called with, lookup refs
// bound from separate inputs, and :in source names.
//
// Datomic's query grammar (https://docs.datomic.com/query/query-data-reference.html):
//   src-var         = symbol starting with "$"
//   not-clause      = [ src-var? 'not' clause+ ]
//   not-join-clause = [ src-var? 'not-join' [variable+] clause+ ]
//   or-clause       = [ src-var? 'or' (clause | and-clause)+ ]
//   or-join-clause  = [ src-var? 'or-join' rule-vars (clause | and-clause)+ ]
//   rule-expr       = [ src-var? rule-name (variable | constant | '_')+ ]
// and its rules section: a rule's clauses read the source the rule was
// invoked with (the implicit $ inside a rule body is the caller's source).
#include "query_test_util.h"

namespace strata {
namespace {

// $ holds people; $2 is another database with its own schema (:b/...),
// which $ does not have, so a clause checked or read against the wrong
// source fails or finds nothing.
class SourcesTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one
            :db/unique :db.unique/identity}
           {:db/ident :p/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one
            :db/unique :db.unique/value}
           {:db/ident :p/nick :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :p/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])");
    Tx(R"([{:db/id "ann" :p/name "ann" :p/email "ann@x" :p/nick "a"}
           {:db/id "bo" :p/name "bo" :p/email "bo@x" :p/nick "a" :p/friend "ann"}
           {:db/id "cy" :p/name "cy" :p/email "cy@x" :p/friend ["ann" "bo"]}])");
    Options o;
    o.env = env_.get();
    auto c = Connection::Open("/db2", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn2_ = std::move(*c);
    auto s = conn2_->Transact(R"([{:db/ident :b/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
                                  {:db/ident :b/banned :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}])");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    // $2 bans bo; it knows nothing of ann.
    s = conn2_->Transact(R"([{:b/name "bo" :b/banned true} {:b/name "cy" :b/banned false}])");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  Database db2() const { return conn2_->db(); }
  std::string Run2(const std::string& q, std::vector<QueryInput> more = {}) {
    std::vector<QueryInput> in{db(), db2()};
    for (auto& x : more) in.push_back(std::move(x));
    return Run(q, std::move(in));
  }
  std::unique_ptr<Connection> conn2_;
};

TEST_F(SourcesTest, NotWithASourceReadsThatSource) {
  // People of $ not banned in $2: ann (unknown to $2) and cy (not banned).
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 :where [?e :p/name ?n] ($2 not [?b :b/name ?n] [?b :b/banned true])])"),
            R"(#{["ann"] ["cy"]})");
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 :where [?e :p/name ?n]
                    ($2 not-join [?n] [?b :b/name ?n] [?b :b/banned true])])"),
            R"(#{["ann"] ["cy"]})");
}

TEST_F(SourcesTest, OrWithASourceReadsThatSource) {
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 :where [?e :p/name ?n] ($2 or [?b :b/name ?n] [?b :b/banned ?n])])"),
            R"(#{["bo"] ["cy"]})");
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 :where [?e :p/name ?n]
                    ($2 or-join [?n] (and [?b :b/name ?n] [?b :b/banned true]) [(= ?n "nobody")])])"),
            R"(#{["bo"]})");
}

TEST_F(SourcesTest, RuleCalledWithASourceReadsThatSource) {
  const edn::Node rules = E(R"([[(banned ?n) [?b :b/name ?n] [?b :b/banned true]]
                                [(named ?n) [_ :p/name ?n]]])");
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 % :where [?e :p/name ?n] ($2 banned ?n)])", {rules}), R"(#{["bo"]})");
  // The same rule set serves $: a rule body reads the caller's source.
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 % :where ($2 banned ?n) (named ?n)])", {rules}), R"(#{["bo"]})");
  // Called with $2, `named` reads $2, which has no :p/name.
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 % :where [?e :p/name ?n] ($2 named ?n)])", {rules}),
            "error: unknown attribute :p/name in [_ :p/name ?n]");
}

TEST_F(SourcesTest, RulesAndOrJoinInheritTheSource) {
  // A rule called inside ($2 not ...) and ($2 or-join ...) reads $2, as does
  // a rule called by a rule called with $2.
  const edn::Node rules = E(R"([[(banned ?n) [?b :b/name ?n] [?b :b/banned true]]
                                [(known ?n) [?b :b/name ?n]]
                                [(banned-known ?n) (known ?n) (banned ?n)]])");
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 % :where [?e :p/name ?n] ($2 not (banned ?n))])", {rules}),
            R"(#{["ann"] ["cy"]})");
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 % :where [?e :p/name ?n] ($2 or-join [?n] (banned ?n) [(= ?n "ann")])])",
                 {rules}),
            R"(#{["ann"] ["bo"]})");
  EXPECT_EQ(Run2(R"([:find ?n :in $ $2 % :where [?e :p/name ?n] ($2 banned-known ?n)])", {rules}), R"(#{["bo"]})");
  // A collection of tuples as the source of a not.
  EXPECT_EQ(Run(R"([:find ?n :in $ $t :where [?e :p/name ?n] ($t not [?n :gone])])",
                {db(), E(R"([["bo" :gone] ["zed" :gone]])")}),
            R"(#{["ann"] ["cy"]})");
}

// Lookup refs stand for entities wherever an entity is expected, whichever
// input binds them (https://docs.datomic.com/identity.html#lookup-refs:
// "a lookup ref is a list containing an attribute and a value. It
// identifies the entity with the given unique attribute value").
TEST_F(SourcesTest, LookupRefsFromSeparateInputsMatch) {
  const edn::Node bo = E(R"([:p/name "bo"])");
  const edn::Node ann = E(R"([:p/email "ann@x"])");
  // The tuple form already worked; two scalar inputs must give the same.
  EXPECT_EQ(Run("[:find ?x :in $ [?e ?v] :where [?e :p/friend ?v] [?e :p/email ?x]]",
                {db(), edn::Node::Vector({bo, ann})}),
            R"(#{["bo@x"]})");
  EXPECT_EQ(Run("[:find ?x :in $ ?e ?v :where [?e :p/friend ?v] [?e :p/email ?x]]", {db(), bo, ann}),
            R"(#{["bo@x"]})");
  EXPECT_EQ(Run("[:find ?x :in $ ?v ?e :where [?e :p/email ?x] [?e :p/friend ?v]]", {db(), ann, bo}),
            R"(#{["bo@x"]})");
  // A collection of lookup refs for ?v, one for ?e: cy's friends among them.
  EXPECT_EQ(Run("[:find (count ?v) . :in $ ?e [?v ...] :where [?e :p/friend ?v]]",
                {db(), E(R"([:p/name "cy"])"), E(R"([[:p/name "ann"] [:p/name "bo"] [:p/name "zed"]])")}),
            "2");
  // Many lookup refs: past the point where one attribute scan and a hash
  // join replace a lookup per binding.
  std::vector<edn::Node> many;
  for (int i = 0; i < 100; ++i) many.push_back(E(R"([:p/name "n)" + std::to_string(i) + R"("])"));
  many.push_back(E(R"([:p/name "cy"])"));
  EXPECT_EQ(Run("[:find ?x :in $ [?e ...] :where [?e :p/friend ?f] [?e :p/email ?x]]",
                {db(), edn::Node::Vector(many)}),
            R"(#{["cy@x"]})");
}

TEST_F(SourcesTest, PullOfALookupRefInput) {
  EXPECT_EQ(Run("[:find (pull ?e [:p/name]) . :in $ ?e]", {db(), E(R"([:p/email "bo@x"])")}), R"({:p/name "bo"})");
  EXPECT_EQ(Run("[:find [(pull ?e [:p/email]) ...] :in $ [?e ...]]", {db(), E(R"([[:p/name "cy"]])")}),
            R"([{:p/email "cy@x"}])");
}

// https://docs.datomic.com/identity.html#lookup-refs: lookup refs name an
// entity by a :db/unique attribute; on any other attribute they are an
// error (as transact and datoms already say), not an empty result.
TEST_F(SourcesTest, LookupRefOnANonUniqueAttributeIsAnError) {
  const std::string err = R"(error: lookup ref attribute :p/nick is not unique in [:p/nick "a"])";
  EXPECT_EQ(Run("[:find ?x :in $ ?e :where [?e :p/email ?x]]", {db(), E(R"([:p/nick "a"])")}), err);
  EXPECT_EQ(Run("[:find ?x :in $ ?v :where [?x :p/friend ?v]]", {db(), E(R"([:p/nick "a"])")}), err);
  EXPECT_EQ(Run("[:find (pull ?e [:p/name]) . :in $ ?e]", {db(), E(R"([:p/nick "a"])")}), err);
  // A unique attribute whose value names nothing: no match, no error.
  EXPECT_EQ(Run("[:find ?x :in $ ?e :where [?e :p/email ?x]]", {db(), E(R"([:p/name "zed"])")}), "#{}");
}

// A source is any symbol starting with "$" (the grammar's src-var), so
// :in $data binds a source like :in $ does, and the messages say so.
TEST_F(SourcesTest, NamedSourcesAndTheirMessages) {
  EXPECT_EQ(Run("[:find ?n :in $data :where [$data ?e :p/name ?n] [$data ?e :p/nick \"a\"]]", {db()}),
            R"(#{["ann"] ["bo"]})");
  EXPECT_EQ(Run("[:find ?x :in $data :where [$data ?x]]", {E("[[1] [2]]")}), "#{[1] [2]}");
  EXPECT_EQ(Run("[:find ?x :in $data :where [?x :p/name]]", {db()}),
            "error: unknown source $ in [?x :p/name] (:in binds the sources $data); a clause without a source "
            "reads $: name one, e.g. [$data ?e ...]");
  EXPECT_EQ(Run("[:find ?x :in $data :where [$data ?x]]", {db(), E("[[1] [2]]")}),
            "error: query :in [$data] takes 1 input but 2 were given");
  EXPECT_EQ(Run("[:find ?x :where [?x :p/name]]", {db(), db2()}),
            "error: query :in [$] takes 1 input but 2 were given");
}

}  // namespace
}  // namespace strata
