// Datomic's published mbrainz queries, run on the real 1968–1973 subset.
//
// Datomic's query and pull references run their examples on the
// "mbrainz-subset" database that Datomic/mbrainz-importer builds, the same
// extract as datasets/mbrainz/subset-1968-1973 (the mbrainz workload imports
// it with the importer's schema as is, so every attribute keeps Datomic's
// name: :artist/name, :release/artists, :release/labels, :label/name, ...).
// Each test names the page and section its query and answer come from and
// asserts that answer:
//   - exactly, as a set (or a bag), where the page prints the whole answer;
//   - as a subset where the page elides the rest with "...";
//   - without entity ids, which the pages warn differ between databases
//     (a published id is checked through what it stands for instead).
// Media and tracks are synthesized (the extract has none; see
// datasets/mbrainz/README.md), so the published answers about tracks and
// media are not asserted; docs/mbrainz-answers.md lists every published
// query, its source and whether strata gives the answer.
//
// Where strata still answers differently from Datomic for a reason another
// part of issue #17 fixes, the test checks for exactly that known answer and
// skips naming the difference; any other answer is asserted against the
// published one, so the test starts asserting when the difference is fixed.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "strata/pull.h"
#include "strata/query.h"
#include "workloads/mbrainz.h"
#include "workloads/mbrainz_test_util.h"

namespace strata::workloads {
namespace {

// https://docs.datomic.com/query/query-data-reference.html
// https://docs.datomic.com/query/query-pull.html
// https://docs.datomic.com/query/query-index-pull.html

edn::Node Edn(std::string_view text) {
  auto n = edn::ReadOne(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status().ToString();
  return n.ok() ? *n : edn::Node::Nil();
}

// The printed elements of a collection result (a set, a vector or a bag).
std::multiset<std::string> Elements(const edn::Node& n) {
  std::multiset<std::string> out;
  for (const edn::Node& x : n.items) out.insert(edn::Print(x));
  return out;
}

// The imported subset, shared by every test (imported once, ~1 s).
class MbrainzPublished : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = NewMemEnv().release();
    conn_ = mbztest::OpenMemory(env_, "/mbrainz").release();
    ASSERT_NE(conn_, nullptr);
    WorkloadOptions o;
    o.name = "mbrainz";
    auto w = OpenMbrainzWorkload(o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    auto r = mbztest::Drive(**w, *conn_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    imported_ = true;
  }
  static void TearDownTestSuite() {
    delete conn_;
    delete env_;
    conn_ = nullptr;
    env_ = nullptr;
    imported_ = false;
  }
  void SetUp() override { ASSERT_TRUE(imported_) << "the subset did not import"; }

  static Database db() { return conn_->db(); }

  // Runs a query with $ bound to the subset and the given EDN inputs.
  static Result<edn::Node> Run(std::string_view query, const std::vector<std::string>& inputs = {}) {
    std::vector<QueryInput> in{db()};
    for (const std::string& s : inputs) in.emplace_back(Edn(s));
    return Q(query, in);
  }
  static edn::Node MustRun(std::string_view query, const std::vector<std::string>& inputs = {}) {
    auto r = Run(query, inputs);
    EXPECT_TRUE(r.ok()) << query << ": " << r.status().ToString();
    return r.ok() ? *r : edn::Node::Nil();
  }
  static Result<edn::Node> PullOf(std::string_view pattern, const edn::Node& eid) {
    return Pull(db(), Edn(pattern), eid);
  }

  // The one entity a query's scalar find names (the pages define
  // led-zeppelin, mccartney, ... this way).
  static edn::Node Entity(std::string_view query) {
    edn::Node e = MustRun(query);
    EXPECT_TRUE(e.is(edn::Kind::kLong)) << query << " gave " << edn::Print(e);
    return e;
  }
  static edn::Node Artist(const std::string& name) {
    return Entity("[:find ?a . :where [?a :artist/name \"" + name + "\"]]");
  }
  static EntityId Ident(const std::string& kw) {
    auto e = db().Entid(edn::Node::Keyword(kw));
    EXPECT_TRUE(e.ok()) << kw << ": " << e.status().ToString();
    return e.ok() ? *e : 0;
  }

  static Env* env_;
  static Connection* conn_;
  static bool imported_;
};

Env* MbrainzPublished::env_ = nullptr;
Connection* MbrainzPublished::conn_ = nullptr;
bool MbrainzPublished::imported_ = false;

// ---- query reference: inputs and binding forms ----

// Query reference, "Inputs Example": [[#:artist{:startYear 1957, :endYear 1970}]].
TEST_F(MbrainzPublished, InputsExampleBeatlesYears) {
  EXPECT_EQ(MustRun("[:find (pull ?e [:artist/startYear :artist/endYear]) :in $ ?name :where [?e :artist/name ?name]]",
                    {"\"The Beatles\""}),
            Edn("#{[{:artist/startYear 1957 :artist/endYear 1970}]}"));
}

// Query reference, "Pattern Inputs": the same answer with the pattern bound
// to a plain symbol from :in.
TEST_F(MbrainzPublished, PatternInputs) {
  auto r = Run("[:find (pull ?e pattern) :in $ ?name pattern :where [?e :artist/name ?name]]",
               {"\"The Beatles\"", "[:artist/startYear :artist/endYear]"});
  if (!r.ok() && r.status().message().find("malformed binding") != std::string::npos)
    GTEST_SKIP() << "strata differs from Datomic: a pull pattern bound from a plain-symbol :in input is refused ("
                 << r.status().ToString() << ")";
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, Edn("#{[{:artist/startYear 1957 :artist/endYear 1970}]}"));
}

// Query reference, "Collection Binding": releases of Paul McCartney or
// George Harrison; the page prints four and elides the rest.
TEST_F(MbrainzPublished, CollectionBindingMcCartneyHarrison) {
  const edn::Node r = MustRun(
      "[:find ?release-name :in $ [?artist-name ...] :where [?artist :artist/name ?artist-name]"
      " [?release :release/artists ?artist] [?release :release/name ?release-name]]",
      {"[\"Paul McCartney\" \"George Harrison\"]"});
  const std::multiset<std::string> got = Elements(r);
  for (const char* name : {"My Sweet Lord", "Electronic Sound", "Give Me Love (Give Me Peace on Earth)",
                           "All Things Must Pass"})
    EXPECT_EQ(got.count(edn::Print(Edn(std::string("[\"") + name + "\"]"))), 1u) << name;
}

// Query reference, "Relation Binding": John Lennon's Mind Games or Paul
// McCartney's Ram are five releases (the page prints five entity ids).
TEST_F(MbrainzPublished, RelationBindingMindGamesRam) {
  const edn::Node r = MustRun(
      "[:find ?release :in $ [[?artist-name ?release-name]] :where [?artist :artist/name ?artist-name]"
      " [?release :release/artists ?artist] [?release :release/name ?release-name]]",
      {"[[\"John Lennon\" \"Mind Games\"] [\"Paul McCartney\" \"Ram\"]]"});
  ASSERT_EQ(r.size(), 5u) << edn::Print(r);
  // The ids differ from Datomic's; check what each one is.
  for (const edn::Node& row : r.items) {
    auto p = Pull(db(), Edn("[:release/name {:release/artists [:artist/name]}]"), row.items[0]);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    const std::string name = p->Get("release/name")->s;
    EXPECT_TRUE(name == "Mind Games" || name == "Ram") << edn::Print(*p);
  }
}

// ---- Datomic's earlier query page (docs.datomic.com/on-prem/query.html),
// as quoted with its answers in "Datomic Cheat Sheet Series - Queries
// (Part 1)", curiousprogrammer.dev, 2018; the queries are also in
// Datomic/day-of-datomic tutorial/query.clj ----

// "Multiple inputs": ["Power to the People" "Unfinished Music No. 2: Life
// With the Lions" "Live Peace in Toronto 1969" ...].
TEST_F(MbrainzPublished, JohnLennonReleaseNames) {
  const edn::Node r = MustRun(
      "[:find [?release-name ...] :in $ ?artist-name :where [?artist :artist/name ?artist-name]"
      " [?release :release/artists ?artist] [?release :release/name ?release-name]]",
      {"\"John Lennon\""});
  ASSERT_TRUE(r.is(edn::Kind::kVector)) << edn::Print(r);
  const std::multiset<std::string> got = Elements(r);
  for (const char* name : {"Power to the People", "Unfinished Music No. 2: Life With the Lions",
                           "Live Peace in Toronto 1969"})
    EXPECT_EQ(got.count(edn::Print(edn::Node::String(name))), 1u) << name;
  EXPECT_EQ(got.size(), std::set<std::string>(got.begin(), got.end()).size());  // a collection find is distinct
}

// "Tuple binding": four releases of John Lennon's Mind Games
// ([17592186157686 17592186157672 17592186157690 17592186157658]).
TEST_F(MbrainzPublished, TupleBindingMindGames) {
  const edn::Node r = MustRun(
      "[:find [?release ...] :in $ [?artist-name ?release-name] :where [?artist :artist/name ?artist-name]"
      " [?release :release/artists ?artist] [?release :release/name ?release-name]]",
      {"[\"John Lennon\" \"Mind Games\"]"});
  ASSERT_EQ(r.size(), 4u) << edn::Print(r);
  for (const edn::Node& e : r.items) {
    auto p = PullOf("[:release/name]", e);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(*p, Edn("{:release/name \"Mind Games\"}"));
  }
}

// "Get values from entities": #{["Osmium"] ["Hela roept de akela"] ["Ali Baba"] ...}.
TEST_F(MbrainzPublished, AllReleaseNames) {
  const std::multiset<std::string> got = Elements(MustRun("[:find ?release-name :where [?e :release/name ?release-name]]"));
  for (const char* name : {"Osmium", "Hela roept de akela", "Ali Baba"})
    EXPECT_EQ(got.count(edn::Print(edn::Node::Vector({edn::Node::String(name)}))), 1u) << name;
}

// "Find specifications": a tuple find, [1940 10 9], and a scalar find, 1940.
TEST_F(MbrainzPublished, TupleAndScalarFindJohnLennon) {
  EXPECT_EQ(MustRun("[:find [?year ?month ?day] :in $ ?name :where [?artist :artist/name ?name]"
                    " [?artist :artist/startDay ?day] [?artist :artist/startMonth ?month]"
                    " [?artist :artist/startYear ?year]]",
                    {"\"John Lennon\""}),
            Edn("[1940 10 9]"));
  EXPECT_EQ(MustRun("[:find ?year . :in $ ?name :where [?artist :artist/name ?name] [?artist :artist/startYear ?year]]",
                    {"\"John Lennon\""}),
            edn::Node::Long(1940));
}

// Datomic/day-of-datomic-conj, src/music_brainz.clj (first query): "We
// know that John Lennon has only 21 releases at this range of time". The
// file's query finds one tuple ([(pull $ ?release [*])]); as a relation it
// gives the 21 releases, each pulled whole.
TEST_F(MbrainzPublished, JohnLennonHas21Releases) {
  const std::string where =
      " :in $ ?artist-name :where [?release :release/artists ?artist] [?artist :artist/name ?artist-name]"
      " [?release :release/name ?release-name]]";
  const edn::Node lennon = Artist("John Lennon");
  auto by_lennon = [&](const edn::Node& release) {
    const edn::Node* artists = release.Get("release/artists");
    return artists != nullptr &&
           std::any_of(artists->items.begin(), artists->items.end(),
                       [&](const edn::Node& a) { return a.Get("db/id") != nullptr && *a.Get("db/id") == lennon; });
  };
  const edn::Node one = MustRun("[:find [(pull $ ?release [*])]" + where, {"\"John Lennon\""});
  ASSERT_EQ(one.size(), 1u) << edn::Print(one);
  EXPECT_TRUE(by_lennon(one.items[0])) << edn::Print(one);
  const edn::Node all = MustRun("[:find (pull $ ?release [*])" + where, {"\"John Lennon\""});
  EXPECT_EQ(all.size(), 21u);
  std::set<std::string> ids;
  for (const edn::Node& row : all.items) {
    EXPECT_TRUE(by_lennon(row.items[0])) << edn::Print(row);
    ids.insert(edn::Print(*row.items[0].Get("db/id")));
  }
  EXPECT_EQ(ids.size(), 21u);
}

// ---- query reference: implicit joins, data patterns, predicates, functions ----

// Query reference, "Implicit Joins": [[1969] [1970] [1973] [1968]],
// [[1969] [1971] [1972] [1973]], and the join of both, [[1969] [1973]].
TEST_F(MbrainzPublished, ImplicitJoinsBeatlesJoplinYears) {
  const std::string years =
      "[:find ?year :where [?artist :artist/name \"%s\"] [?release :release/artists ?artist]"
      " [?release :release/year ?year]]";
  auto of = [&](const std::string& name) {
    std::string q = years;
    q.replace(q.find("%s"), 2, name);
    return MustRun(q);
  };
  EXPECT_EQ(of("The Beatles"), Edn("#{[1969] [1970] [1973] [1968]}"));
  EXPECT_EQ(of("Janis Joplin"), Edn("#{[1969] [1971] [1972] [1973]}"));
  EXPECT_EQ(MustRun("[:find ?year :where [?artist :artist/name \"The Beatles\"] [?release :release/artists ?artist]"
                    " [?release :release/year ?year] [?artist2 :artist/name \"Janis Joplin\"]"
                    " [?release2 :release/artists ?artist2] [?release2 :release/year ?year]]"),
            Edn("#{[1969] [1973]}"));
}

// Query reference, "Data Patterns": one datom, asserted
// ([[26757714973567138 13194139533421 true]]; ids differ).
TEST_F(MbrainzPublished, DataPatternWithTxAndOp) {
  const edn::Node r =
      MustRun("[:find ?e ?tx ?op :in $mbrainz :where [$mbrainz ?e :artist/name \"The Beatles\" ?tx ?op]]");
  ASSERT_EQ(r.size(), 1u) << edn::Print(r);
  const edn::Node& row = r.items[0];
  EXPECT_EQ(row.items[0], Artist("The Beatles"));
  EXPECT_EQ(PartitionOf(static_cast<EntityId>(row.items[1].i)), kPartTx);
  EXPECT_EQ(row.items[2], edn::Node::Bool(true));
}

// Query reference, "Predicate Example": artists whose name begins with "Q"
// ([["Quiet World"] ["Queen"] ["Quintessence"] ...]).
TEST_F(MbrainzPublished, PredicateNamesBeginningWithQ) {
  const edn::Node r = MustRun("[:find ?name :where [_ :artist/name ?name] [(<= \"Q\" ?name)] [(< ?name \"R\")]]");
  const std::multiset<std::string> got = Elements(r);
  for (const char* name : {"Quiet World", "Queen", "Quintessence"})
    EXPECT_EQ(got.count(std::string("[\"") + name + "\"]"), 1u) << name;
  for (const edn::Node& row : r.items) EXPECT_EQ(row.items[0].s.substr(0, 1), "Q") << edn::Print(row);
}

// Query reference, "Function Example" (second query): names from "Q" on
// shorter than 7 characters, with their length; the page prints eight
// pairs, two of them in Japanese (Java counts UTF-16 units: "井上陽水" is 4).
TEST_F(MbrainzPublished, FunctionCountOfNames) {
  const edn::Node r = MustRun(
      "[:find ?name ?count :where [_ :artist/name ?name] [(<= \"Q\" ?name)] [(count ?name) ?count]"
      " [(< ?count 7)]]");
  const std::multiset<std::string> got = Elements(r);
  auto kanji = Q("[:find ?n . :in ?s :where [(count ?s) ?n]]", {edn::Node::String("井上陽水")});
  ASSERT_TRUE(kanji.ok()) << kanji.status().ToString();
  if (*kanji == edn::Node::Long(12) && got.count("[\"井上陽水\" 4]") == 0)
    GTEST_SKIP() << "strata differs from Datomic: count of a string is its UTF-8 bytes (\"井上陽水\" is 12), "
                    "Java's is UTF-16 units (4)";
  for (const char* pair : {"[\"井上陽水\" 4]", "[\"Spring\" 6]", "[\"頭脳警察\" 4]", "[\"Sonoma\" 6]", "[\"Selda\" 5]",
                           "[\"Tony\" 4]", "[\"Smile\" 5]", "[\"Sun Ra\" 6]"})
    EXPECT_EQ(got.count(edn::Print(Edn(pair))), 1u) << pair;
}

// ---- query reference: built-in functions ----

// Query reference, "get-else": #{["Crosby, Stills & Nash" 1968] ["Crosby & Nash" "N/A"]}.
TEST_F(MbrainzPublished, GetElseStartYear) {
  EXPECT_EQ(MustRun("[:find ?artist-name ?year :in $ [?artist-name ...] :where [?artist :artist/name ?artist-name]"
                    " [(get-else $ ?artist :artist/startYear \"N/A\") ?year]]",
                    {"[\"Crosby, Stills & Nash\" \"Crosby & Nash\"]"}),
            Edn("#{[\"Crosby, Stills & Nash\" 1968] [\"Crosby & Nash\" \"N/A\"]}"));
}

// Query reference, "get-some": [:country/US 84 "United States"], 84 being
// Datomic's id of :country/name (ids differ; strata's is checked).
TEST_F(MbrainzPublished, GetSomeCountryName) {
  const edn::Node r = MustRun(
      "[:find ?e ?attr ?name :in $ ?e :where [(get-some $ ?e :country/name :artist/name) [?attr ?name]]]",
      {":country/US"});
  const Attribute* country_name = db().attribute("country/name");
  ASSERT_NE(country_name, nullptr);
  EXPECT_EQ(r, edn::Node::Set({edn::Node::Vector({edn::Node::Keyword("country/US"),
                                                  edn::Node::Long(static_cast<int64_t>(country_name->id)),
                                                  edn::Node::String("United States")})}));
}

// Query reference, "fulltext": the artists whose name includes "Jane" are
// "Jane Birkin", "Jane" and "Mary Jane Hooper". The page's scores (0.625,
// 1.0, 0.5) are Lucene's; strata's fulltext scores every match 1.0
// (docs/query.md, "Decisions where Datomic is silent or differs"), so the
// entities and names are asserted, not the scores.
TEST_F(MbrainzPublished, FulltextJane) {
  const edn::Node r = MustRun(
      "[:find ?entity ?name ?tx ?score :in $ ?search"
      " :where [(fulltext $ :artist/name ?search) [[?entity ?name ?tx ?score]]]]",
      {"\"Jane\""});
  std::set<std::string> names;
  for (const edn::Node& row : r.items) {
    names.insert(row.items[1].s);
    EXPECT_EQ(row.items[0], Artist(row.items[1].s));
  }
  EXPECT_EQ(names, (std::set<std::string>{"Jane Birkin", "Jane", "Mary Jane Hooper"}));
  EXPECT_EQ(r.size(), 3u);
}

// Query reference, "missing?": #{["Sigmund Snopek III"] ["De Labanda's"] ["Baby Whale"] ...}.
TEST_F(MbrainzPublished, MissingStartYear) {
  const edn::Node r =
      MustRun("[:find ?name :where [?artist :artist/name ?name] [(missing? $ ?artist :artist/startYear)]]");
  const std::multiset<std::string> got = Elements(r);
  for (const char* name : {"Sigmund Snopek III", "De Labanda's", "Baby Whale"})
    EXPECT_EQ(got.count(std::string("[\"") + name + "\"]"), 1u) << name;
  EXPECT_EQ(got.count("[\"The Beatles\"]"), 0u);  // has a start year
}

// Query reference, "Calling Instance Methods": names containing "woo",
// printed whole. The page calls a Java method with a type hint,
// (.contains ^String ?name "woo"); strata has no Java interop.
TEST_F(MbrainzPublished, JavaInstanceMethodContains) {
  auto r = Run("[:find ?name :where [_ :artist/name ?name] [(.contains ^String ?name \"woo\")]]");
  if (!r.ok())
    GTEST_SKIP() << "strata differs from Datomic: no Java method calls (and no ^type hints) in queries ("
                 << r.status().ToString() << "); IncludesWoo asserts the answer through clojure.string/includes?";
  EXPECT_EQ(*r, Edn("#{[\"Lee Hazlewood\"] [\"Cottonwood\"] [\"Chris Harwood\"] [\"Mirkwood\"] [\"Under Milkwood\"]"
                    " [\"Dorothy Norwood\"] [\"Fleetwood Mac\"]}"));
}

// The same published answer through the Clojure function Datomic also
// allows for it (the page recommends clojure.core functions over Java).
TEST_F(MbrainzPublished, IncludesWoo) {
  EXPECT_EQ(MustRun("[:find ?name :where [_ :artist/name ?name] [(clojure.string/includes? ?name \"woo\")]]"),
            Edn("#{[\"Lee Hazlewood\"] [\"Cottonwood\"] [\"Chris Harwood\"] [\"Mirkwood\"] [\"Under Milkwood\"]"
                " [\"Dorothy Norwood\"] [\"Fleetwood Mac\"]}"));
}

// ---- query reference: not, not-join, or, and, or-join ----

// Query reference, "Not Example": [[4538]] artists who are not Canadian.
TEST_F(MbrainzPublished, NotCanadian) {
  EXPECT_EQ(MustRun("[:find (count ?eid) :where [?eid :artist/name] (not [?eid :artist/country :country/CA])]"),
            Edn("#{[4538]}"));
}

// Query reference, "Not-join Example": [[3263]] artists without a 1970 release.
TEST_F(MbrainzPublished, NotJoinNoReleaseIn1970) {
  EXPECT_EQ(MustRun("[:find (count ?artist) :where [?artist :artist/name]"
                    " (not-join [?artist] [?release :release/artists ?artist] [?release :release/year 1970])]"),
            Edn("#{[3263]}"));
}

// Query reference, "Multiple Clauses in not or not-join": [[2]] releases
// named "Live at Carnegie Hall" not by Bill Withers.
TEST_F(MbrainzPublished, NotJoinCarnegieHall) {
  EXPECT_EQ(MustRun("[:find (count ?r) :where [?r :release/name \"Live at Carnegie Hall\"]"
                    " (not-join [?r] [?r :release/artists ?a] [?a :artist/name \"Bill Withers\"])]"),
            Edn("#{[2]}"));
}

// Query reference, "And Clause Example": [[2323]] artists that are groups or women.
TEST_F(MbrainzPublished, OrAndGroupsOrWomen) {
  EXPECT_EQ(MustRun("[:find (count ?artist) :where (or [?artist :artist/type :artist.type/group]"
                    " (and [?artist :artist/type :artist.type/person] [?artist :artist/gender :artist.gender/female]))]"),
            Edn("#{[2323]}"));
}

// Query reference, "Or-join Example": [[2124]] releases by Canadian artists or from 1970.
TEST_F(MbrainzPublished, OrJoinCanadianOr1970) {
  EXPECT_EQ(MustRun("[:find (count ?release) :where [?release :release/name]"
                    " (or-join [?release] (and [?release :release/artists ?artist] [?artist :artist/country :country/CA])"
                    " [?release :release/year 1970])]"),
            Edn("#{[2124]}"));
}

// ---- query reference: with, aggregates, rules, return maps ----

// Query reference, "Example with-clause": without :with, the years Bob
// Dylan released records, [[1969] [1970] [1971] [1973] [1968]].
TEST_F(MbrainzPublished, WithoutWithBobDylanYears) {
  EXPECT_EQ(MustRun("[:find ?year :where [?artist :artist/name \"Bob Dylan\"] [?release :release/artists ?artist]"
                    " [?release :release/year ?year]]"),
            Edn("#{[1969] [1970] [1971] [1973] [1968]}"));
}

// Query reference, "Example with-clause": with :with ?release, a bag of 22
// years, one per release (three 1968, two 1969, six 1970, five 1971, six 1973).
TEST_F(MbrainzPublished, WithBobDylanReleaseYears) {
  const edn::Node r = MustRun(
      "[:find ?year :with ?release :where [?artist :artist/name \"Bob Dylan\"] [?release :release/artists ?artist]"
      " [?release :release/year ?year]]");
  if (r.size() == 5)
    GTEST_SKIP() << "strata differs from Datomic: :with without an aggregate returns the set of years, not the bag "
                 << edn::Print(r);
  const edn::Node published = Edn(
      "[[1973] [1971] [1973] [1973] [1970] [1968] [1971] [1969] [1968] [1970] [1973] [1970] [1971] [1970] [1973]"
      " [1968] [1971] [1973] [1970] [1969] [1971] [1970]]");
  EXPECT_EQ(Elements(r), Elements(published));
}

// The count and count-distinct of artist names, [[4601 4588]]: Datomic's
// earlier query page, docs.datomic.com/on-prem/query.html#aggregates (the
// current reference shows the query without its answer), as quoted in
// "Datomic Cheat Sheet Series - Queries (Part 2)", curiousprogrammer.dev, 2018.
TEST_F(MbrainzPublished, CountAndCountDistinctArtistNames) {
  EXPECT_EQ(MustRun("[:find (count ?name) (count-distinct ?name) :with ?artist :where [?artist :artist/name ?name]]"),
            Edn("#{[4601 4588]}"));
}

// Query reference, "distinct": [[#{"Fire"}]].
TEST_F(MbrainzPublished, DistinctSortNameOfFire) {
  EXPECT_EQ(MustRun("[:find (distinct ?sort-name) :with ?artist :where [?artist :artist/name \"Fire\"]"
                    " [?artist :artist/sortName ?sort-name]]"),
            Edn("#{[#{\"Fire\"}]}"));
}

// Query reference, "Multiple Rule Heads": the benelux rule,
// [["Earth and Fire"] ["André Brasseur"] ["Nico Gomez & His Afro Percussion Inc."] ...].
TEST_F(MbrainzPublished, RuleWithThreeHeadsBenelux) {
  auto r = Q("[:find ?name :in $ % :where (benelux ?artist) [?artist :artist/name ?name]]",
             {db(), Edn("[[(benelux ?artist) [?artist :artist/country :country/BE]]"
                        " [(benelux ?artist) [?artist :artist/country :country/NL]]"
                        " [(benelux ?artist) [?artist :artist/country :country/LU]]]")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::multiset<std::string> got = Elements(*r);
  for (const char* name : {"Earth and Fire", "André Brasseur", "Nico Gomez & His Afro Percussion Inc."})
    EXPECT_EQ(got.count(edn::Print(edn::Node::Vector({edn::Node::String(name)}))), 1u) << name;
}

// Query reference, "Return Maps":
// #{{:artist "George Jones" :release "With Love"}
//   {:artist "Shocking Blue" :release "Hello Darkness / Pickin' Tomatoes"}
//   {:artist "Junipher Greene" :release "Friendship"} ...}.
TEST_F(MbrainzPublished, ReturnMapsKeys) {
  const edn::Node r = MustRun(
      "[:find ?artist-name ?release-name :keys artist release :where [?release :release/name ?release-name]"
      " [?release :release/artists ?artist] [?artist :artist/name ?artist-name]]");
  const std::multiset<std::string> got = Elements(r);
  for (const char* m : {"{:artist \"George Jones\" :release \"With Love\"}",
                        "{:artist \"Shocking Blue\" :release \"Hello Darkness / Pickin' Tomatoes\"}",
                        "{:artist \"Junipher Greene\" :release \"Friendship\"}"})
    EXPECT_TRUE(std::any_of(r.items.begin(), r.items.end(), [&](const edn::Node& x) { return x == Edn(m); })) << m;
  EXPECT_EQ(got.size(), r.size());
}

// ---- Day of Datomic Cloud, doc-examples/find_vs_retrieve.repl ----
// (cognitect-labs/day-of-datomic-cloud; the answers are in the file)

// "find and retrieve in one go": :syms Name StartYear EndYear gives
// [{Name "Johnny Cash", StartYear 1932, EndYear 2003}
//  {Name "The Beatles", StartYear 1957, EndYear 1970}].
TEST_F(MbrainzPublished, FindAndRetrieveSyms) {
  const edn::Node r = MustRun(
      "[:find ?name ?start ?end :syms Name StartYear EndYear :in $ [?name ...] :where [?artist :artist/name ?name]"
      " [?artist :artist/startYear ?start] [?artist :artist/endYear ?end]]",
      {"[\"The Beatles\" \"Johnny Cash\"]"});
  EXPECT_EQ(Elements(r), Elements(Edn("[{Name \"Johnny Cash\" StartYear 1932 EndYear 2003}"
                                      " {Name \"The Beatles\" StartYear 1957 EndYear 1970}]")));
}

// "find in query, retrieve in pull pattern": the pattern is an :in input
// named by a plain symbol, before $.
TEST_F(MbrainzPublished, FindInQueryRetrieveInPullPattern) {
  auto r = Q("[:find (pull ?artist pattern) :in pattern $ [?name ...] :where [?artist :artist/name ?name]]",
             {Edn("[:artist/name :artist/startYear :artist/endYear]"), db(), Edn("[\"The Beatles\" \"Johnny Cash\"]")});
  if (!r.ok() && r.status().message().find("malformed binding") != std::string::npos)
    GTEST_SKIP() << "strata differs from Datomic: a pull pattern bound from a plain-symbol :in input is refused ("
                 << r.status().ToString() << ")";
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, Edn("#{[{:artist/name \"Johnny Cash\" :artist/startYear 1932 :artist/endYear 2003}]"
                    " [{:artist/name \"The Beatles\" :artist/startYear 1957 :artist/endYear 1970}]}"));
}

// ---- pull reference ----

// Pull reference, "Attribute Name Example": #:artist{:name "Led Zeppelin", :startYear 1968}.
TEST_F(MbrainzPublished, PullAttributeNames) {
  auto p = PullOf("[:artist/name :artist/startYear]", Artist("Led Zeppelin"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, Edn("{:artist/name \"Led Zeppelin\" :artist/startYear 1968}"));
}

// Pull reference, "Attribute Name Reverse Lookup Example": the wildcard
// of led-zeppelin (its ids differ; its refs are checked through their
// idents), then with :release/_artists, 17 releases.
TEST_F(MbrainzPublished, PullWildcardAndReverse) {
  const edn::Node zep = Artist("Led Zeppelin");
  auto p = PullOf("[*]", zep);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // The page's refs show {:db/id .. :db/ident ..}: the Client API adds
  // the ident; the Peer API and strata give {:db/id ..}.
  const edn::Node expected = Edn(
      "{:artist/sortName \"Led Zeppelin\" :artist/name \"Led Zeppelin\" :artist/gid #uuid "
      "\"678d88b2-87b0-403b-b63d-5da7465aecc3\" :artist/endDay 25 :artist/startYear 1968 :artist/endMonth 9"
      " :artist/endYear 1980}");
  for (size_t i = 0; i < expected.items.size(); i += 2) {
    const edn::Node* v = p->Get(expected.items[i].s);
    ASSERT_NE(v, nullptr) << expected.items[i].s;
    EXPECT_EQ(*v, expected.items[i + 1]) << expected.items[i].s;
  }
  ASSERT_NE(p->Get("artist/type"), nullptr);
  EXPECT_EQ(*p->Get("artist/type"), Edn("{:db/id " + std::to_string(Ident("artist.type/group")) + "}"));
  ASSERT_NE(p->Get("artist/country"), nullptr);
  EXPECT_EQ(*p->Get("artist/country"), Edn("{:db/id " + std::to_string(Ident("country/GB")) + "}"));
  ASSERT_NE(p->Get("db/id"), nullptr);
  EXPECT_EQ(*p->Get("db/id"), zep);
  EXPECT_EQ(p->size(), expected.size() + 3);  // + :artist/type, :artist/country, :db/id
  EXPECT_EQ(p->Get("release/artists"), nullptr);

  auto rev = PullOf("[* :release/_artists]", zep);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  const edn::Node* releases = rev->Get("release/_artists");
  ASSERT_NE(releases, nullptr);
  EXPECT_EQ(releases->size(), 17u);
  for (const edn::Node& r : releases->items) {
    auto artists = PullOf("[{:release/artists [:artist/name]}]", *r.Get("db/id"));
    ASSERT_TRUE(artists.ok());
    EXPECT_NE(edn::Print(*artists).find("\"Led Zeppelin\""), std::string::npos) << edn::Print(*artists);
  }
}

// Pull reference, "Attribute Name Reverse Lookup Example": pulling
// :release/artists (a release's attribute) from an artist gives {}.
TEST_F(MbrainzPublished, PullAttributeTheEntityLacksIsEmptyMap) {
  auto p = PullOf("[:release/artists]", Artist("Led Zeppelin"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  if (p->is(edn::Kind::kNil))
    GTEST_SKIP() << "strata differs from Datomic: pull of nothing the entity has gives nil, Datomic's page {}";
  EXPECT_EQ(*p, edn::Node::Map());
}

// Pull reference, ":as Option Example": {"Band Name" "Led Zeppelin"}.
TEST_F(MbrainzPublished, PullAsOption) {
  auto p = PullOf("[[:artist/name :as \"Band Name\"]]", Artist("Led Zeppelin"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, Edn("{\"Band Name\" \"Led Zeppelin\"}"));
}

// Pull reference, ":default Option Example": {:artist/endYear 0,
// :artist/name "Paul McCartney"}, and "N/A" as the default.
TEST_F(MbrainzPublished, PullDefaultOption) {
  const edn::Node mccartney = Artist("Paul McCartney");
  auto zero = PullOf("[:artist/name [:artist/endYear :default 0]]", mccartney);
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(*zero, Edn("{:artist/endYear 0 :artist/name \"Paul McCartney\"}"));
  auto na = PullOf("[:artist/name [:artist/endYear :default \"N/A\"]]", mccartney);
  ASSERT_TRUE(na.ok()) << na.status().ToString();
  EXPECT_EQ(*na, Edn("{:artist/endYear \"N/A\" :artist/name \"Paul McCartney\"}"));
}

// Pull reference, ":xform Option Example": {:artist/endYear "1980"}.
TEST_F(MbrainzPublished, PullXformOption) {
  auto p = PullOf("[[:artist/endYear :xform str]]", Artist("Led Zeppelin"));
  if (!p.ok() && p.status().message().find(":xform") != std::string::npos)
    GTEST_SKIP() << "strata differs from Datomic: the pull attribute option :xform is not supported ("
                 << p.status().ToString() << ")";
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, Edn("{:artist/endYear \"1980\"}"));
}

// Pull reference, "Empty Results": [:penguins] of led-zeppelin is {}.
TEST_F(MbrainzPublished, PullUnknownAttributeIsEmpty) {
  auto p = PullOf("[:penguins]", Artist("Led Zeppelin"));
  if (!p.ok() && p.status().message().find("unknown attribute") != std::string::npos)
    GTEST_SKIP() << "strata differs from Datomic: a pull of an attribute the schema lacks is an error ("
                 << p.status().ToString() << ")";
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  if (p->is(edn::Kind::kNil))
    GTEST_SKIP() << "strata differs from Datomic: pull of nothing the entity has gives nil, Datomic's page {}";
  EXPECT_EQ(*p, edn::Node::Map());
}

// Pull reference, "Missing Attributes Example": {:artist/name "Paul McCartney"}.
TEST_F(MbrainzPublished, PullMissingAttributeOmitted) {
  auto p = PullOf("[:artist/name :died-in-1966?]", Artist("Paul McCartney"));
  if (!p.ok() && p.status().message().find("unknown attribute") != std::string::npos)
    GTEST_SKIP() << "strata differs from Datomic: a pull of an attribute the schema lacks is an error ("
                 << p.status().ToString() << ")";
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, Edn("{:artist/name \"Paul McCartney\"}"));
}

// Pull reference, "Non-Component Defaults Example": :artist/_country of
// :country/GB gives only the artists' entity ids ({:db/id ..} each; the
// page elides the list).
TEST_F(MbrainzPublished, PullReverseNonComponentGivesIds) {
  auto p = PullOf("[:artist/_country]", edn::Node::Keyword("country/GB"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const edn::Node* artists = p->Get("artist/_country");
  ASSERT_NE(artists, nullptr);
  const uint64_t gb = mbztest::CountRefsTo(db(), "country/GB", "artist/country");
  EXPECT_EQ(artists->size(), gb);
  for (const edn::Node& a : artists->items) {
    ASSERT_EQ(a.size(), 1u) << edn::Print(a);
    ASSERT_NE(a.Get("db/id"), nullptr);
  }
}

// Pull reference, "Wildcard Example": concert-for-bangla-desh's own
// attributes (its :release/media, synthesized here, and its country's
// id are not compared).
TEST_F(MbrainzPublished, PullWildcardConcertForBanglaDesh) {
  const edn::Node release = Entity("[:find ?r . :where [?r :release/name \"The Concert for Bangla Desh\"]]");
  auto p = PullOf("[*]", release);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const edn::Node expected = Edn(
      "{:release/name \"The Concert for Bangla Desh\" :release/gid #uuid \"f3bdff34-9a85-4adc-a014-922eef9cdaa5\""
      " :release/day 20 :release/status \"Official\" :release/month 12 :release/artistCredit \"George Harrison\""
      " :release/year 1971}");
  for (size_t i = 0; i < expected.items.size(); i += 2) {
    const edn::Node* v = p->Get(expected.items[i].s);
    ASSERT_NE(v, nullptr) << expected.items[i].s;
    EXPECT_EQ(*v, expected.items[i + 1]) << expected.items[i].s;
  }
  // :release/artists [{:db/id 17592186049854}]: one artist, George Harrison
  // (the page's ghost-riders example names 17592186049854 so).
  ASSERT_NE(p->Get("release/artists"), nullptr);
  EXPECT_EQ(*p->Get("release/artists"), edn::Node::Vector({Edn("{:db/id " + edn::Print(Artist("George Harrison")) + "}")}));
  ASSERT_NE(p->Get("release/country"), nullptr);
}

// ---- index-pull reference (https://docs.datomic.com/query/query-index-pull.html) ----

// "AVET": walking :artist/startYear from its start and pulling
// [:artist/name :artist/startYear :artist/endYear], the first five are
// the Choir of King's College, Cambridge (1441), Heinrich Schütz
// (1585–1672), Antonio Vivaldi (1678–1741), Johann Sebastian Bach
// (1685–1750) and Georg Friedrich Händel (1685–1759). Bach and Händel
// share a year; their order is by entity id, which differs between
// databases, so the last two are compared as a set.
TEST_F(MbrainzPublished, IndexPullAvetStartYear) {
  const Attribute* start_year = db().attribute("artist/startYear");
  ASSERT_NE(start_year, nullptr);
  auto c = db().Datoms(Index::kAvet, {Value::Ref(start_year->id)});
  if (!c.ok() && c.status().message().find("neither :db/index nor :db/unique") != std::string::npos)
    GTEST_SKIP() << "strata differs from Datomic Cloud (where the page's examples run): AVET holds only "
                    ":db/index or :db/unique attributes, as in Datomic Pro, and :artist/startYear is neither; "
                    "strata has no index-pull either ("
                 << c.status().ToString() << ")";
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::vector<edn::Node> first;
  for (; c->Valid() && first.size() < 5; c->Next()) {
    auto p = PullOf("[:artist/name :artist/startYear :artist/endYear]",
                    edn::Node::Long(static_cast<int64_t>(c->datom().e)));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    first.push_back(*p);
  }
  ASSERT_TRUE(c->status().ok()) << c->status().ToString();
  ASSERT_EQ(first.size(), 5u);
  EXPECT_EQ(first[0], Edn("{:artist/name \"Choir of King's College, Cambridge\" :artist/startYear 1441}"));
  EXPECT_EQ(first[1], Edn("{:artist/name \"Heinrich Schütz\" :artist/startYear 1585 :artist/endYear 1672}"));
  EXPECT_EQ(first[2], Edn("{:artist/name \"Antonio Vivaldi\" :artist/startYear 1678 :artist/endYear 1741}"));
  EXPECT_EQ(edn::Node::Set({first[3], first[4]}),
            Edn("#{{:artist/name \"Johann Sebastian Bach\" :artist/startYear 1685 :artist/endYear 1750}"
                " {:artist/name \"Georg Friedrich Händel\" :artist/startYear 1685 :artist/endYear 1759}}"));
}

// The same five through a query (no index walk): the artists who started
// before 1686 are exactly those the page's index-pull lists first.
TEST_F(MbrainzPublished, IndexPullAvetStartYearByQuery) {
  EXPECT_EQ(MustRun("[:find ?name ?start ?end :where [?a :artist/startYear ?start] [(< ?start 1686)]"
                    " [?a :artist/name ?name] [(get-else $ ?a :artist/endYear :none) ?end]]"),
            Edn("#{[\"Choir of King's College, Cambridge\" 1441 :none] [\"Heinrich Schütz\" 1585 1672]"
                " [\"Antonio Vivaldi\" 1678 1741] [\"Johann Sebastian Bach\" 1685 1750]"
                " [\"Georg Friedrich Händel\" 1685 1759]}"));
}

// "AVET", from :artist/startYear 1800: the next five artists and the
// years of their releases (Hector Berlioz 1803: 1970 1973 1969; Felix
// Mendelssohn 1809: 1973; Frédéric Chopin 1810: 1968 1970; Franz Liszt
// 1811: 1968; Richard Wagner 1813: 1968 1972 1971 1970), through a query
// for the artists who started in 1800..1813 and a pull of their releases
// (strata has no index-pull, and no AVET of :artist/startYear).
TEST_F(MbrainzPublished, IndexPullFrom1800ReleaseYears) {
  const edn::Node r = MustRun(
      "[:find ?a ?start :where [?a :artist/startYear ?start] [(<= 1800 ?start)] [(<= ?start 1813)]]");
  std::set<std::string> got;
  for (const edn::Node& row : r.items) {
    auto p = PullOf("[:artist/name {:release/_artists [:release/year]}]", row.items[0]);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    std::multiset<std::string> years;
    for (const edn::Node& rel : p->Get("release/_artists")->items) years.insert(edn::Print(*rel.Get("release/year")));
    std::string line = p->Get("artist/name")->s + " " + edn::Print(row.items[1]) + ":";
    for (const std::string& y : years) line += " " + y;
    got.insert(line);
  }
  const std::set<std::string> published = {"Hector Berlioz 1803: 1969 1970 1973", "Felix Mendelssohn 1809: 1973",
                                            "Frédéric Chopin 1810: 1968 1970", "Franz Liszt 1811: 1968",
                                            "Richard Wagner 1813: 1968 1970 1971 1972"};
  for (const std::string& line : published) EXPECT_EQ(got.count(line), 1u) << line;
  // Anyone else started in 1813 too: the page's (take 5) cut the tie with
  // Wagner by entity id.
  for (const std::string& line : got) {
    if (published.count(line) == 0) {
      EXPECT_NE(line.find(" 1813:"), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace strata::workloads
