// Hostile queries end with a clear error, never a crash, a hang or an
// exhausted process: integer overflow, regular expressions that would
// backtrack or recurse, strings and relations that grow without bound,
// rules that never reach a fixpoint (issue 16, "Queries can crash the
// process").
#include <chrono>
#include <climits>

#include "query_test_util.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

class QueryBoundsTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :p/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])");
    std::string tx = "[";
    for (int i = 0; i < 2000; ++i) tx += "{:p/n " + std::to_string(i) + "}";
    Tx(tx + "]");
  }
  // The query's error: its code and message (a result fails the test).
  Status Err(const std::string& q, const QueryOptions& o = {}) {
    auto r = Q(E(q), {db()}, o);
    EXPECT_FALSE(r.ok()) << q << " gave " << edn::Print(*r);
    return r.ok() ? Status::OK() : r.status();
  }
  void ExpectError(const std::string& q, Code code, const std::vector<std::string>& fragments,
                   const QueryOptions& o = {}) {
    const Status s = Err(q, o);
    EXPECT_EQ(s.code(), code) << q << ": " << s.ToString();
    for (const auto& f : fragments) EXPECT_NE(s.message().find(f), std::string::npos) << "'" << f << "' not in: " << s.message();
  }
  // The scalar a one-function query binds: [:find ?r . :where [(f ...) ?r]].
  std::string Fn(const std::string& call) { return Run("[:find ?r . :where [" + call + " ?r]]"); }
};

const std::string kMin = std::to_string(INT64_MIN);
const std::string kMax = std::to_string(INT64_MAX);

// Clojure's + - * inc dec throw ArithmeticException "integer overflow"
// on a long result out of range (clojure.math/add-exact and friends:
// https://clojuredocs.org/clojure.math/add-exact, "throws
// ArithmeticException on overflow"), and Datomic's query functions are
// Clojure's. strata answers InvalidArgument naming the function and its
// operands, and where Java would wrap silently ((quot MIN -1) is MIN on
// the JVM) it refuses too: a wrong number is never returned.
TEST_F(QueryBoundsTest, IntegerOverflowIsAnError) {
  struct Case {
    std::string call, fn;
  };
  const std::vector<Case> cases = {
      {"(quot " + kMin + " -1)", "quot"}, {"(/ " + kMin + " -1)", "/"},   {"(- " + kMin + ")", "-"},
      {"(+ " + kMax + " 1)", "+"},        {"(+ 1 2 " + kMax + ")", "+"},  {"(- " + kMin + " 1)", "-"},
      {"(* " + kMax + " 2)", "*"},        {"(* " + kMin + " -1)", "*"},   {"(inc " + kMax + ")", "inc"},
      {"(dec " + kMin + ")", "dec"},      {"(abs " + kMin + ")", "abs"},
  };
  for (const auto& c : cases) {
    ExpectError("[:find ?r . :where [" + c.call + " ?r]]", Code::kInvalidArgument,
                {"integer overflow in '" + c.fn + "' with operands", c.call.substr(c.call.find(' ') + 1, 6)});
  }
  // Through a variable bound by a pattern, in a predicate's argument.
  ExpectError("[:find ?r :where [?e :p/n ?n] [(* ?n " + kMax + ") ?r]]", Code::kInvalidArgument,
              {"integer overflow in '*'", kMax});
}

// The neighbours of each overflow are exact answers.
TEST_F(QueryBoundsTest, ArithmeticAtTheBoundsIsExact) {
  EXPECT_EQ(Fn("(rem " + kMin + " -1)"), "0");  // the remainder exists; x86 would trap computing it
  EXPECT_EQ(Fn("(mod " + kMin + " -1)"), "0");
  EXPECT_EQ(Fn("(quot " + kMax + " -1)"), std::to_string(-INT64_MAX));
  EXPECT_EQ(Fn("(quot " + kMin + " 1)"), kMin);
  EXPECT_EQ(Fn("(quot " + kMin + " 2)"), std::to_string(INT64_MIN / 2));
  EXPECT_EQ(Fn("(rem -7 2)"), "-1");
  EXPECT_EQ(Fn("(mod -7 2)"), "1");
  EXPECT_EQ(Fn("(mod 7 -2)"), "-1");
  EXPECT_EQ(Fn("(/ " + kMin + " 1)"), kMin);
  EXPECT_EQ(Fn("(- " + kMax + ")"), std::to_string(-INT64_MAX));
  EXPECT_EQ(Fn("(+ " + kMax + " -1 1)"), kMax);
  EXPECT_EQ(Fn("(inc " + std::to_string(INT64_MAX - 1) + ")"), kMax);
  EXPECT_EQ(Fn("(dec " + std::to_string(INT64_MIN + 1) + ")"), kMin);
  EXPECT_EQ(Fn("(abs " + std::to_string(INT64_MIN + 1) + ")"), kMax);
  EXPECT_EQ(Fn("(abs -2.5)"), "2.5");
  EXPECT_EQ(Fn("(inc 1.5)"), "2.5");
  // Parity of a long is exact (a double would round 2^53 + 1 to even).
  EXPECT_EQ(Run("[:find ?e . :where [(ground 9007199254740993) ?x] [(odd? ?x)] [(ground 1) ?e]]"), "1");
  // The median of two longs whose sum overflows.
  EXPECT_EQ(Run("[:find (median ?x) . :where [(ground [" + kMax + " " + std::to_string(INT64_MAX - 2) + "]) [?x ...]]]"),
            std::to_string(INT64_MAX - 1));
}

// Clojure: (quot x 0) throws ArithmeticException "Divide by zero".
TEST_F(QueryBoundsTest, DivisionByZeroIsAnError) {
  for (const std::string fn : {"quot", "rem", "mod", "/"}) {
    ExpectError("[:find ?r . :where [(" + fn + " " + kMin + " 0) ?r]]", Code::kInvalidArgument,
                {"divide by zero in '" + fn + "'", kMin});
  }
}

// std::regex recursed once per character (a segfault on 128 KB) and
// backtracked exponentially on ^(a+)+$. RE2 is linear and iterative.
TEST_F(QueryBoundsTest, RegexesAreLinear) {
  // A 128 KiB string built by doubling inside the query.
  std::string doubling = "[(ground \"ab\") ?s0]";
  for (int i = 0; i < 16; ++i) {
    doubling += " [(str ?s" + std::to_string(i) + " ?s" + std::to_string(i) + ") ?s" + std::to_string(i + 1) + "]";
  }
  const auto start = Clock::now();
  EXPECT_EQ(Run("[:find (count ?m) . :where " + doubling + " [(re-find \"^(a|b)*$\" ?s16) ?m]]"), "1");
  EXPECT_EQ(Run("[:find ?n . :where " + doubling + " [(re-matches \"(?:ab)*\" ?s16) ?m] [(count ?m) ?n]]"),
            std::to_string(2 << 16));
  EXPECT_EQ(Run("[:find ?n . :where " + doubling + " [(re-seq \"b\" ?s16) ?m] [(count ?m) ?n]]"),
            std::to_string(1 << 16));
  // Catastrophic backtracking for a backtracking matcher: 40 s with
  // std::regex at 30 characters; RE2 answers at once at 30 and 100,000.
  std::string a30 = std::string(30, 'a') + "!";
  EXPECT_EQ(Run("[:find ?m . :in $ ?s :where [(re-find \"^(a+)+$\" ?s) ?m]]", {db(), edn::Node::String(a30)}), "nil");
  std::string a100k(100'000, 'a');
  EXPECT_EQ(Run("[:find ?n . :in $ ?s :where [(re-matches \"(a+)+\" ?s) [?m ?g]] [(count ?g) ?n]]",
                {db(), edn::Node::String(a100k)}),
            "100000");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

// Clojure's regex functions (re-find: "Returns the next regex match, if
// any, of string to pattern, using java.util.regex.Matcher.find().  Uses
// re-groups to return the groups", https://clojuredocs.org/clojure.core/re-find;
// re-seq, https://clojuredocs.org/clojure.core/re-seq).
TEST_F(QueryBoundsTest, RegexResultsFollowClojure) {
  EXPECT_EQ(Fn("(re-find \"\\\\d+\" \"abc123de45\")"), "\"123\"");
  EXPECT_EQ(Fn("(re-matches \"hello,(.*)\" \"hello,world\")"), "[\"hello,world\" \"world\"]");
  EXPECT_EQ(Fn("(re-matches \"hello\" \"hello,world\")"), "nil");
  EXPECT_EQ(Fn("(re-find \"(a)|(b)\" \"b\")"), "[\"b\" nil \"b\"]");
  EXPECT_EQ(Fn("(re-seq \"\\\\w+\" \"mary had a little lamb\")"), "[\"mary\" \"had\" \"a\" \"little\" \"lamb\"]");
  EXPECT_EQ(Fn("(re-seq \"(\\\\d)(\\\\w)\" \"1a 2b\")"), "[[\"1a\" \"1\" \"a\"] [\"2b\" \"2\" \"b\"]]");
  // After an empty match the search moves one character on, as Java's find().
  EXPECT_EQ(Fn("(re-seq \"a*\" \"baaa\")"), "[\"\" \"aaa\" \"\"]");
  EXPECT_EQ(Fn("(re-seq \"x\" \"abc\")"), "nil");
  EXPECT_EQ(Fn("(re-pattern \"a+\")"), "\"a+\"");
}

// Java regex features RE2 does not have are refused with a clear error
// naming the function, not silently misread (docs/query.md).
TEST_F(QueryBoundsTest, UnsupportedRegexSyntaxIsAnError) {
  for (const std::string re : {"(a)\\\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?>a+)b", "a*+", "(?<n>a)", "a\\\\Z"}) {
    ExpectError("[:find ?m . :where [(re-find \"" + re + "\" \"aab\") ?m]]", Code::kInvalidArgument,
                {"bad regular expression in 're-find'", "RE2", "docs/query.md"});
  }
  ExpectError("[:find ?m . :where [(re-pattern \"a(?=b)\") ?m]]", Code::kInvalidArgument, {"'re-pattern'"});
  ExpectError("[:find ?m . :where [(re-seq \"(a\" \"a\") ?m]]", Code::kInvalidArgument,
              {"bad regular expression in 're-seq'", "missing )"});
}

// RE2 is not safe with every pattern either (100,000 nested groups grew
// past 20 GB compiling): patterns are bounded in length and nesting first.
TEST_F(QueryBoundsTest, PatternsAreBounded) {
  const std::string deep256 = std::string(256, '(') + "a" + std::string(256, ')');
  EXPECT_EQ(Run("[:find ?n . :in $ ?p :where [(re-find ?p \"a\") ?m] [(count ?m) ?n]]", {db(), edn::Node::String(deep256)}),
            "257");
  const std::string deep257 = "(" + deep256 + ")";
  auto r = Q(E("[:find ?m . :in $ ?p :where [(re-find ?p \"a\") ?m]]"), {db(), edn::Node::String(deep257)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'re-find' nests groups deeper than 256"), std::string::npos) << r.status().message();
  // Parentheses escaped or inside a class are literals.
  EXPECT_EQ(Run("[:find ?m . :in $ ?p :where [(re-find ?p \"((\") ?m]]", {db(), edn::Node::String("[(]\\(")}), "\"((\"");
  std::string alternation = "b";
  while (alternation.size() <= (32 << 10)) alternation += "|a";
  r = Q(E("[:find ?m . :in $ ?p :where [(re-find ?p \"b\") ?m]]"), {db(), edn::Node::String(alternation)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("over the limit of 32768"), std::string::npos) << r.status().message();
  alternation.resize(32 << 10);
  EXPECT_EQ(Run("[:find ?m . :in $ ?p :where [(re-find ?p \"b\") ?m]]", {db(), edn::Node::String(alternation)}), "\"b\"");
}

// 33 chained doublings of a string would be 8 GiB (bad_alloc before):
// one value a function builds is bounded, checked before it is built.
TEST_F(QueryBoundsTest, StringGrowthIsBounded) {
  std::string q = "[:find ?s33 . :where [(ground \"a\") ?s0]";
  for (int i = 0; i < 33; ++i) {
    q += " [(str ?s" + std::to_string(i) + " ?s" + std::to_string(i) + ") ?s" + std::to_string(i + 1) + "]";
  }
  q += "]";
  const auto start = Clock::now();
  ExpectError(q, Code::kInvalidArgument, {"'str' would build", "over the limit of " + std::to_string(64u << 20)});
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

// max_bytes bounds an intermediate relation by its bytes, beside
// max_tuples: few tuples of large strings.
TEST_F(QueryBoundsTest, MaxBytesBoundsRelations) {
  QueryOptions o;
  o.max_bytes = 8 << 20;
  // 2,000 rows of an 8 KiB string each (and the strings it was built
  // from): about 48 MiB, well under max_tuples.
  std::string q = "[:find (count ?e) . :where [(ground \"abcdefgh\") ?s0]";
  for (int i = 0; i < 10; ++i) {
    q += " [(str ?s" + std::to_string(i) + " ?s" + std::to_string(i) + ") ?s" + std::to_string(i + 1) + "]";
  }
  q += " [?e :p/n ?n] [(str ?s10 ?n) ?big]]";
  ExpectError(q, Code::kBusy, {"query exceeded max_bytes", "(limit " + std::to_string(8 << 20) + ")"}, o);
  // Under the default it runs.
  EXPECT_EQ(Run(q), "2000");
  // A cartesian product is charged before it is built.
  QueryStats stats;
  o.max_bytes = 1 << 20;
  auto r = Q(E("[:find (count ?a) . :where [?a :p/n ?x] [?b :p/n ?y] [(< ?x ?y)]]"), {db()}, o, &stats);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBusy) << r.status().ToString();
  EXPECT_NE(r.status().message().find("max_bytes"), std::string::npos) << r.status().message();
  EXPECT_LT(stats.tuples, 100'000u) << "the product was built before it was refused";
}

// Datomic's query takes a :timeout in milliseconds, "approximate ...
// meant to protect against long running queries"
// (https://docs.datomic.com/javadoc/datomic/QueryRequest.html). strata's
// is checked inside evaluation: in rule fixpoints, function loops, joins
// and pattern reads.
TEST_F(QueryBoundsTest, TimeoutStopsRulesThatNeverEnd) {
  QueryOptions o;
  o.timeout_ms = 300;
  o.max_tuples = UINT64_MAX;
  o.max_bytes = UINT64_MAX;
  // Counts up forever: each round adds one fact.
  const edn::Node rules = E("[[(up ?x) [(ground 0) ?x]] [(up ?y) (up ?x) [(inc ?x) ?y]]]");
  const auto start = Clock::now();
  auto r = Q(E("[:find (count ?x) . :in $ % :where (up ?x)]"), {db(), rules}, o);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAborted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("query timed out after 0.3 s"), std::string::npos) << r.status().message();
  EXPECT_LT(took, std::chrono::seconds(5));
  // A slow function loop: a predicate over a 4-million-row product.
  o.timeout_ms = 200;
  ExpectError("[:find (count ?a) . :where [?a :p/n ?x] [?b :p/n ?y] [(< ?x ?y)] [(str ?x ?y) ?s] [(re-find \"9$\" ?s)]]",
              Code::kAborted, {"timed out after 0.2 s"}, o);
  // Without a timeout the same rule ends at max_tuples instead.
  QueryOptions t;
  t.max_tuples = 5000;
  auto b = Q(E("[:find (count ?x) . :in $ % :where (up ?x)]"), {db(), rules}, t);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kBusy) << b.status().ToString();
}

}  // namespace
}  // namespace strata
