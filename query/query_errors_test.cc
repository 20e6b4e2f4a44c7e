// Error messages: each names what is wrong and the clause it is in.
#include <random>

#include "query_test_util.h"

namespace strata {
namespace {

class QueryErrorsTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :p/n :db/valueType :db.type/long :db/cardinality :db.cardinality/many}])");
    std::string tx = "[";
    for (int i = 0; i < 300; ++i) tx += "{:p/name \"x" + std::to_string(i) + "\" :p/n " + std::to_string(i) + "}";
    Tx(tx + "]");
  }
  // Expects an error whose message contains every fragment.
  void ExpectError(const std::string& q, const std::vector<std::string>& fragments, std::vector<QueryInput> in = {},
                   Code code = Code::kInvalidArgument, const QueryOptions& o = {}) {
    if (in.empty()) in.push_back(db());
    auto r = Q(E(q), in, o);
    ASSERT_FALSE(r.ok()) << "expected an error from " << q << ", got " << edn::Print(*r);
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    for (const auto& f : fragments) {
      EXPECT_NE(r.status().message().find(f), std::string::npos) << "'" << f << "' not in: " << r.status().message();
    }
  }
};

TEST_F(QueryErrorsTest, UnknownNames) {
  ExpectError("[:find ?e :where [?e :p/name ?n] [(frobnicate ?n)]]", {"unknown function 'frobnicate'", "[(frobnicate ?n)]"});
  ExpectError("[:find ?e :where (friends ?e ?f)]", {"unknown rule 'friends'", "(friends ?e ?f)"});
  ExpectError("[:find ?e :in $ % :where (r ?e)]", {"unknown rule 'r'"}, {db(), E("[[(q ?x) [?x :p/name]]]")});
  ExpectError("[:find ?e :where [?e :p/nope ?n]]", {"unknown attribute :p/nope", "[?e :p/nope ?n]"});
  ExpectError("[:find ?e :where [$x ?e :p/name]]", {"unknown source $x"});
  ExpectError("[:find (frob ?e) :where [?e :p/name]]", {"unknown aggregate 'frob'"});
  // A rule set may mention functions its query never reaches.
  EXPECT_EQ(Run("[:find ?e . :in $ % :where (ok ?e) [?e :p/name \"x1\"]]",
                {db(), E("[[(ok ?e) [?e :p/name]] [(bad ?e) [(nope ?e)]]]")}).rfind("error", 0),
            std::string::npos);
}

TEST_F(QueryErrorsTest, RuleArity) {
  ExpectError("[:find ?e :in $ % :where (r ?e 1)]", {"rule 'r' takes 1 arguments, got 2", "(r ?e 1)"},
              {db(), E("[[(r ?x) [?x :p/name]]]")});
  ExpectError("[:find ?e :in $ % :where (r ?e)]", {"defined with 1 and 2 variables"},
              {db(), E("[[(r ?x) [?x :p/name]] [(r ?x ?y) [?x :p/n ?y]]]")});
}

TEST_F(QueryErrorsTest, InsufficientBindings) {
  ExpectError("[:find ?e :where [?e :p/name] [(< ?x 3)]]", {"insufficient bindings", "?x", "[(< ?x 3)]"});
  ExpectError("[:find ?x :where [?x :p/name] (not [?e :p/name \"x1\"])]",
              {"insufficient bindings", "(not [?e :p/name \"x1\"])"});
  ExpectError("[:find ?e :where [?e :p/name] (not-join [?z] [?z :p/n 1])]", {"insufficient bindings", "?z"});
  ExpectError("[:find ?e :in $ % :where (r ?e ?j)]", {"insufficient bindings", "(r ?e ?j)"},
              {db(), E("[[(r [?a] ?j) [?a :p/n ?j]]]")});
  ExpectError("[:find ?e ?y :where [?e :p/name]]", {":find variable ?y is not bound"});
  ExpectError("[:find ?e :with ?w :where [?e :p/name]]", {":with variable ?w is not bound"});
  ExpectError("[:find ?e :in $ % :where (r ?e ?z)]", {"?y is not bound by", "(r ?x ?y)"},
              {db(), E("[[(r ?x ?y) [?x :p/name]]]")});
}

TEST_F(QueryErrorsTest, Malformed) {
  ExpectError("[:where [?e :p/name]]", {"a query needs :find"});
  ExpectError("[:find :where [?e :p/name]]", {"empty :find"});
  ExpectError("[:find ?e :wher [?e :p/name]]", {"unknown query section :wher"});
  ExpectError("[:find ?e :in $ [?x ?y] :where [?e :p/name]]", {"expected a tuple of 2"}, {db(), E("[1]")});
  ExpectError("[:find ?e :in $ ?x :where [?e :p/name]]", {"query :in [$ ?x] takes 2 inputs but 1 was given"}, {db()});
  ExpectError("[:find ?e :in $ [[?a] b] :where [?e :p/name]]", {"expected a variable"}, {db(), E("[]")});
  ExpectError("[:find ?e :where [?e :p/name ?n ?tx ?added ?extra]]", {"1 to 5 positions"});
  ExpectError("[:find ?e :where \"text\"]", {"expected a clause"});
  ExpectError("[:find ?e :where [?e foo]]", {"unexpected symbol foo"});
  ExpectError("[:find ?e :where [(< ?e 1) ?a ?b]]", {"[(function args...) binding?]"});
  ExpectError("[:find ?e :where [?e :p/name] (or [?e :p/n 1] [?x :p/n 2])]", {"same variables"});
  ExpectError("[:find ?e :where [?e :p/name] (and [?e :p/n 1])]", {"'and' belongs inside 'or'"});
  ExpectError("[:find (pull ?e) :where [?e :p/name]]", {"(pull ?e pattern)"});
  ExpectError("[:find ?e . ?f :where [?e :p/name ?f]]", {"expected a variable"});
  ExpectError("[:find ?n :keys a b :where [?e :p/name ?n]]", {":keys has 2 names for 1"});
}

TEST_F(QueryErrorsTest, BadValues) {
  ExpectError("[:find ?x :where [?e :p/name ?n] [(+ ?n 1) ?x]]", {"'+' expects numbers", "[(+ ?n 1) ?x]"});
  ExpectError("[:find ?e :where [?e :p/name ?n] [(< ?n 1)]]", {"cannot compare", "[(< ?n 1)]"});
  ExpectError("[:find ?x :where [(/ 1 0) ?x]]", {"divide by zero"});
  ExpectError("[:find ?x :where [?e :p/name] [(get-else $ ?e :p/n 0) ?x]]", {"cardinality-one"});
  ExpectError("[:find ?x :where [(ground 1) [?x ...]]]", {"binding expects a collection"});
}

TEST_F(QueryErrorsTest, NegationThroughRecursion) {
  ExpectError("[:find ?x :in $ % :where (bad ?x)]", {"not stratified"},
              {db(), E("[[(bad ?x) [?x :p/name] (not (bad ?x))]]")});
}

TEST_F(QueryErrorsTest, ResourceLimits) {
  QueryOptions o;
  o.max_tuples = 1000;
  ExpectError("[:find ?a ?b :where [?a :p/n] [?b :p/n]]", {"max_tuples", "1000"}, {}, Code::kBusy, o);
  QueryOptions t;
  t.timeout_ms = 1;
  ExpectError("[:find (count ?a) :where [?a :p/n ?x] [?b :p/n ?y] [?c :p/n ?z] [(< ?x ?y ?z)]]", {"timed out"}, {},
              Code::kAborted, t);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Mutated queries (tokens dropped, repeated, swapped or replaced) either
// run or fail with a status: never a crash, a hang or an exception.
TEST_F(QueryErrorsTest, MutatedQueriesFailCleanly) {
  const std::vector<std::string> seeds = {
      "[:find ?e ?n :where [?e :p/name ?n] [(< ?n \"x5\")]]",
      "[:find (count ?e) . :in $ % :where (r ?e) (not [?e :p/n 3])]",
      "[:find [?n ...] :where [?e :p/n ?n] (or [?e :p/name \"x1\"] (and [?e :p/n ?n] [(> ?n 290)]))]",
      "[:find ?a (max 2 ?b) :with ?e :in $ [?a ...] :where [?e :p/n ?b] [(+ ?b 0) ?a]]",
      "[:find (pull ?e [:p/name {:p/n ...}]) :where [?e :p/name \"x3\"]]",
      "[:find ?x :where [(ground [[1 2] [3 4]]) [[?x _]]] (not-join [?x] [?e :p/n ?x])]",
  };
  const std::vector<std::string> pool = {"?e", "?x", "_", ":p/name", ":p/n", "1", "(", ")", "[", "]", "{", "}",
                                         "not", "or", "and", "$", "%", "...", ".", ":find", ":where", ":in", "nil"};
  const edn::Node rules = E("[[(r ?e) [?e :p/n ?v] [(even? ?v)]] [(r ?e) [?e :p/name \"x7\"]]]");
  std::mt19937 rng(7);
  QueryOptions o;
  o.max_tuples = 100000;
  o.timeout_ms = 2000;
  int ran = 0, failed = 0;
  for (int i = 0; i < 3000; ++i) {
    // Tokens: brackets alone, everything else split on spaces.
    std::vector<std::string> toks;
    std::string cur;
    for (char ch : seeds[rng() % seeds.size()]) {
      if (std::string("()[]{} ").find(ch) != std::string::npos) {
        if (!cur.empty()) toks.push_back(cur);
        cur.clear();
        if (ch != ' ') toks.push_back(std::string(1, ch));
      } else {
        cur += ch;
      }
    }
    for (int m = 0, n = 1 + static_cast<int>(rng() % 3); m < n && !toks.empty(); ++m) {
      const size_t at = rng() % toks.size();
      switch (rng() % 4) {
        case 0: toks.erase(toks.begin() + static_cast<long>(at)); break;
        case 1: toks.insert(toks.begin() + static_cast<long>(at), toks[at]); break;
        case 2: std::swap(toks[at], toks[rng() % toks.size()]); break;
        default: toks[at] = pool[rng() % pool.size()];
      }
    }
    std::string text;
    for (const auto& t : toks) text += t + " ";
    auto q = edn::ReadOne(text);
    if (!q.ok()) continue;
    auto r = Q(*q, {db(), rules}, o);
    ++ran;
    failed += !r.ok();
  }
  EXPECT_GT(ran, 600);
  EXPECT_GT(failed, 0);
}

}  // namespace
}  // namespace strata
