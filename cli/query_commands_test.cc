// `strata q` and `strata pull`, run in process on a database in a
// temporary folder: output formats, views, inputs, rules, the log,
// --repeat's timing line, and errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/connection.h"
#include "cli/query_commands.h"
#include "cli/in_process_test_util.h"
#include "cli/sources.h"

namespace strata::cli {
namespace {

class QueryCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/strata_q_cli_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto conn = Connection::Open(dir_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto tx = [&](const char* text) {
      auto r = (*conn)->Transact(text);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      return r.ok() ? r->t : T{0};
    };
    tx(R"([{:db/ident :item/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
           {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
           {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}])");
    t1_ = tx(R"([{:item/id "a" :item/count 5 :item/tags [:x :y]} {:item/id "b" :item/count 20}])");
    t2_ = tx(R"([[:db/add [:item/id "a"] :item/count 6]])");
    ASSERT_TRUE((*conn)->Close().ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs a command line ("q ..." or "pull ...") through AddQueryCommands;
  // returns the exit code with stdout and stderr.
  int Cli(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) {
    return testing::RunInProcess([](CLI::App& app, int* code) { AddQueryCommands(app, code); }, std::move(argv), out, err);
  }

  std::string dir_;
  T t1_ = 0, t2_ = 0;
};

TEST_F(QueryCommandsTest, QueryEdnAndJson) {
  std::string out;
  ASSERT_EQ(Cli({"q", "--db", dir_, "[:find ?id ?c :where [?e :item/id ?id] [?e :item/count ?c]]"}, &out), 0);
  EXPECT_EQ(out, "#{[\"a\" 6] [\"b\" 20]}\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--format", "json", "[:find ?id ?t :where [?e :item/id ?id] [?e :item/tags ?t]]"},
                &out),
            0);
  EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(R"([["a", ":x"], ["a", ":y"]])"));
  ASSERT_EQ(Cli({"q", "--db", dir_, "--format", "json", "[:find (count ?e) . :where [?e :item/id]]"}, &out), 0);
  EXPECT_EQ(out, "2\n");
}

TEST_F(QueryCommandsTest, InputsViewsRulesAndLog) {
  std::string out;
  ASSERT_EQ(Cli({"q", "--db", dir_, "[:find [?id ...] :in $ ?min :where [?e :item/count ?c] [(>= ?c ?min)] [?e :item/id ?id]]",
                 "10"},
                &out),
            0);
  EXPECT_EQ(out, "[\"b\"]\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--as-of", std::to_string(t1_), "[:find ?c . :where [?e :item/id \"a\"] [?e :item/count ?c]]"},
                &out),
            0);
  EXPECT_EQ(out, "5\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--history", "[:find ?c ?added :where [?e :item/id \"a\"] [?e :item/count ?c _ ?added]]"},
                &out),
            0);
  EXPECT_EQ(out, "#{[5 false] [5 true] [6 true]}\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--since", std::to_string(t1_), "[:find ?c :where [_ :item/count ?c]]"}, &out), 0);
  EXPECT_EQ(out, "#{[6]}\n");
  const std::string rules = dir_ + ".rules.edn";
  std::ofstream(rules) << "[[(big ?e) [?e :item/count ?c] [(> ?c 10)]]]";
  ASSERT_EQ(Cli({"q", "--db", dir_, "--rules", rules, "[:find ?id :where (big ?e) [?e :item/id ?id]]"}, &out), 0);
  EXPECT_EQ(out, "#{[\"b\"]}\n");
  std::remove(rules.c_str());
  ASSERT_EQ(Cli({"q", "--db", dir_, "[:find ?c :in $ ?log ?t :where [(tx-data ?log ?t) [[_ ?a ?c]]] [?a :db/ident :item/count]]",
                 "log", std::to_string(t2_)},
                &out),
            0);
  EXPECT_EQ(out, "#{[5] [6]}\n");
}

TEST_F(QueryCommandsTest, Pull) {
  std::string out;
  ASSERT_EQ(Cli({"pull", "--db", dir_, "[:item/id :item/count :item/tags]", "[:item/id \"a\"]"}, &out), 0);
  EXPECT_EQ(out, "{:item/id \"a\", :item/count 6, :item/tags [:x :y]}\n");
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--format", "json", "--as-of", std::to_string(t1_), "[:db/id :item/count]",
                 "[:item/id \"a\"]"},
                &out),
            0);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j[":item/count"], 5);
  EXPECT_TRUE(j[":db/id"].is_number());
}

TEST_F(QueryCommandsTest, RepeatPrintsTiming) {
  std::string out, err;
  ASSERT_EQ(Cli({"q", "--db", dir_, "--repeat", "5", "[:find ?e :where [?e :item/id]]"}, &out, &err), 0);
  auto j = nlohmann::json::parse(err);
  EXPECT_EQ(j["repeat"], 5);
  for (const char* k : {"mean_us", "p50_us", "p99_us"}) EXPECT_TRUE(j[k].is_number()) << k;
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--repeat", "3", "[*]", "[:item/id \"b\"]"}, &out, &err), 0);
  EXPECT_EQ(nlohmann::json::parse(err)["repeat"], 3);
}

TEST_F(QueryCommandsTest, Errors) {
  std::string out, err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?e :where [?e :item/nope]]"}, &out, &err), 1);
  EXPECT_NE(err.find("strata: error: query: unknown attribute :item/nope"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?e :in $ ?x :where [?e :item/id ?x]]"}, &out, &err), 1);
  EXPECT_NE(err.find("needs an input for ?x"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?e :in $ % :where (r ?e)]"}, &out, &err), 1);
  EXPECT_NE(err.find("--rules FILE"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_ + "-missing", "[:find ?e :where [?e :item/id]]"}, &out, &err), 1);
  EXPECT_EQ(Cli({"pull", "--db", dir_, "[(:item/id 5)]", "1"}, &out, &err), 1);
  EXPECT_NE(err.find("strata: error: pull pattern: attribute options come in pairs"), std::string::npos)
      << "one 'pull' prefix, not 'pull: pull pattern:' (issue 17): " << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find"}, &out, &err), 1);
  EXPECT_NE(err.find("query: EDN"), std::string::npos) << err;
}

// --format json: each find spec's shape, :keys maps, pull maps nested.
TEST_F(QueryCommandsTest, JsonShapes) {
  std::string out;
  auto json = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin() + 1, {"--db", dir_, "--format", "json"});
    EXPECT_EQ(Cli(argv, &out), 0) << out;
    return nlohmann::json::parse(out);
  };
  using J = nlohmann::json;
  EXPECT_EQ(json({"q", "[:find [?id ...] :where [_ :item/id ?id]]"}), J::parse(R"(["a", "b"])"));
  EXPECT_EQ(json({"q", "[:find [?id ?c] :where [?e :item/id ?id] [?e :item/count ?c] [(> ?c 10)]]"}),
            J::parse(R"(["b", 20])"));
  EXPECT_EQ(json({"q", "[:find ?c . :where [?e :item/id \"a\"] [?e :item/count ?c]]"}), J(6));
  EXPECT_EQ(json({"q", "[:find ?id ?c :keys id n :where [?e :item/id ?id] [?e :item/count ?c]]"}),
            J::parse(R"([{":id": "a", ":n": 6}, {":id": "b", ":n": 20}])"));
  EXPECT_EQ(json({"q", "[:find ?id :strs who :where [?e :item/id ?id] [?e :item/count 20]]"}),
            J::parse(R"([{"who": "b"}])"));
  EXPECT_EQ(json({"q", "[:find (pull ?e [:item/id :item/tags]) :where [?e :item/id \"a\"]]"}),
            J::parse(R"([[{":item/id": "a", ":item/tags": [":x", ":y"]}]])"));
  EXPECT_EQ(json({"q", "[:find (count ?e) (max ?c) :where [?e :item/count ?c]]"}), J::parse("[[2, 20]]"));
  const J p = json({"pull", "[*]", "[:item/id \"a\"]"});
  EXPECT_TRUE(p[":db/id"].is_number()) << p;
  EXPECT_EQ(p[":item/id"], "a");
  EXPECT_EQ(p[":item/tags"], J::parse(R"([":x", ":y"])"));
  EXPECT_EQ(json({"pull", "[:item/count]", "[:item/id \"nobody\"]"}), J(nullptr));
}

TEST_F(QueryCommandsTest, PullOverViews) {
  std::string out;
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--history", "[:item/count :item/tags]", "[:item/id \"a\"]"}, &out), 0);
  EXPECT_EQ(out, "{:item/count 6, :item/tags [:x :y]}\n");
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--since", std::to_string(t1_), "[:item/id :item/count]", "[:item/id \"a\"]"},
                &out),
            0);
  // The lookup ref resolves in the since view only if :item/id is newer.
  EXPECT_EQ(out, "nil\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--since", std::to_string(t1_), "[:find ?e . :where [?e :item/count 6]]"}, &out), 0);
  const std::string e = out.substr(0, out.size() - 1);
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--since", std::to_string(t1_), "[:item/id :item/count]", e}, &out), 0);
  EXPECT_EQ(out, "{:item/count 6}\n");
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--as-of", std::to_string(t1_), "--repeat", "2", "[:item/count]", e}, &out), 0);
  EXPECT_EQ(out, "{:item/count 5}\n");
}

// ---- issue 17: sources named like $data ---------------------------------
// A source is any symbol starting with "$"
// (https://docs.datomic.com/query/query-data-reference.html, src-var):
// --db binds the first one unless the INPUTs fill every binding, and an
// input left over says which source --db filled.
TEST_F(QueryCommandsTest, NamedSourceMessages) {
  std::string out, err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?x :in $data :where [$data ?e :item/id ?x]]"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[\"a\"] [\"b\"]}\n");
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?x :in $data :where [$data ?x]]", "#{[1] [2]}"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[1] [2]}\n");
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?x :in $data :where [$data ?x]]", "#{[1] [2]}", "3"}, &out, &err), 1);
  EXPECT_NE(err.find("more INPUTs than the query's :in takes (:in $data; --db binds"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?x :in $ $data :where [$data ?x]]", "#{[1] [2]}"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[1] [2]}\n");
}

// --explain: the result under :ret beside Datomic's :query-stats and
// :io-stats (https://docs.datomic.com/reference/query-stats.html,
// https://docs.datomic.com/reference/io-stats.html).
TEST_F(QueryCommandsTest, Explain) {
  std::string plain, out, err;
  const std::string q = "[:find ?id :where [?e :item/count ?c] [(> ?c 5)] [?e :item/id ?id]]";
  ASSERT_EQ(Cli({"q", "--db", dir_, q}, &plain, &err), 0) << err;
  ASSERT_EQ(Cli({"q", "--db", dir_, "--explain", q}, &out, &err), 0) << err;
  auto x = edn::ReadOne(out);
  ASSERT_TRUE(x.ok()) << x.status().ToString() << "\n" << out;
  EXPECT_EQ(edn::Print(*x->Get("ret")) + "\n", plain);
  const edn::Node* clauses = x->Get("query-stats")->Get("phases")->items.at(0).Get("clauses");
  ASSERT_EQ(clauses->items.size(), 3u);
  EXPECT_EQ(clauses->items.back().Get("rows-out")->i, 2);  // "a" (count 6) and "b" (count 20)
  EXPECT_EQ(x->Get("io-stats")->Get("api")->s, "query");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--explain", "--format", "json", q}, &out, &err), 0) << err;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["ret"].size(), 2u);
  EXPECT_EQ(j["query-stats"]["phases"][0]["clauses"].size(), 3u);
  EXPECT_GE(j["io-stats"]["reads"]["cursors"].get<int>(), 2);
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--explain", "[:item/count]", R"([:item/id "a"])"}, &out, &err), 0) << err;
  x = edn::ReadOne(out);
  ASSERT_TRUE(x.ok()) << out;
  EXPECT_EQ(edn::Print(*x->Get("ret")), "{:item/count 6}");
  EXPECT_EQ(x->Get("io-stats")->Get("api")->s, "pull");
  EXPECT_GE(x->Get("io-stats")->Get("reads")->Get("cursors")->i, 1);
}

// --source: several databases and views in one query. Datomic's filters
// page (https://docs.datomic.com/reference/filters.html) joins a since view
// with the current database, `:in $ $since`, because a since view alone
// lacks the entity's identity datoms; main bound only $ from the command
// line, so the query below had no way to get $since.
TEST_F(QueryCommandsTest, SeveralSourcesAndViews) {
  std::string out, err;
  const std::string since = "[:find ?id ?c :in $ $since :where [$since ?e :item/count ?c] [$ ?e :item/id ?id]]";
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$since=:since:" + std::to_string(t1_), since}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[\"a\" 6]}\n");
  // The same through the folder named explicitly, and a history view.
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$since=" + dir_ + ":since:" + std::to_string(t1_), since}, &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[\"a\" 6]}\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$h=:history",
                 "[:find ?c ?added :in $ $h :where [$ ?e :item/id \"a\"] [$h ?e :item/count ?c _ ?added]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[5 false] [5 true] [6 true]}\n");
  // as-of against now: what changed.
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$then=:as-of:" + std::to_string(t1_),
                 "[:find ?id ?old ?new :in $ $then :where [?e :item/count ?new] [$then ?e :item/count ?old] "
                 "[(!= ?old ?new)] [?e :item/id ?id]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[\"a\" 5 6]}\n");
  // --source may rebind $ itself.
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$=:as-of:" + std::to_string(t1_),
                 "[:find ?c . :where [?e :item/id \"a\"] [?e :item/count ?c]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "5\n");
  // Views compose left to right: history as of t1 holds no retraction yet.
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$h=:as-of:" + std::to_string(t1_) + ":history",
                 "[:find ?c ?added :in $h :where [$h _ :item/count ?c _ ?added]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[5 true] [20 true]}\n");
}

TEST_F(QueryCommandsTest, SourceFromAnotherDatabase) {
  const std::string other = dir_ + "-other";
  std::filesystem::remove_all(other);
  {
    auto conn = Connection::Open(other);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Transact(R"([{:db/ident :price/item :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
                                      {:db/ident :price/cents :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])")
                    .ok());
    ASSERT_TRUE((*conn)->Transact(R"([{:price/item "a" :price/cents 250} {:price/item "z" :price/cents 1}])").ok());
    ASSERT_TRUE((*conn)->Close().ok());
  }
  std::string out, err;
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$prices=" + other,
                 "[:find ?id ?c ?cents :in $ $prices :where [?e :item/id ?id] [?e :item/count ?c] "
                 "[$prices ?p :price/item ?id] [$prices ?p :price/cents ?cents]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[\"a\" 6 250]}\n");
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$2=" + other + "-missing", "[:find ?e :in $ $2 :where [$2 ?e :price/item]]"},
                &out, &err),
            1);
  EXPECT_NE(err.find("--source $2"), std::string::npos) << err;
  EXPECT_NE(err.find("no database at"), std::string::npos) << err;
  std::filesystem::remove_all(other);
}

// An EDN collection of tuples is a data source (Datomic: "any relation with
// 4-tuples E/A/V/T can act as a database", https://gist.github.com/stuarthalloway/2645453
// from Datomic's query docs), from a file or as an INPUT.
TEST_F(QueryCommandsTest, CollectionsAsSources) {
  const std::string file = dir_ + ".colors.edn";
  std::ofstream(file) << R"([["a" :color :red] ["b" :color :blue] ["zz" :color :green]])";
  std::string out, err;
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$data=@" + file,
                 "[:find ?c ?color :in $ $data :where [$data ?id :color ?color] [?e :item/id ?id] [?e :item/count ?c]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[6 :red] [20 :blue]}\n");
  // `:in $data` alone: the collection comes from the INPUT, not --db (main
  // said "1 more inputs than the query's :in takes"). The space before '['
  // is main.cc's: CLI11 strips the brackets of "[...]" otherwise.
  ASSERT_EQ(Cli({"q", "--db", dir_, "[:find ?x :in $data :where [$data ?x :color]]",
                 R"( [[1 :color :r] [2 :size 3]])"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[1]}\n");
  // `:in $db ?x`: --db still binds the only source when INPUTs are short of it.
  ASSERT_EQ(Cli({"q", "--db", dir_, "[:find ?c . :in $db ?id :where [$db ?e :item/id ?id] [$db ?e :item/count ?c]]",
                 "\"b\""},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "20\n");
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$data=@" + file + ".missing", "[:find ?x :in $ $data :where [$data ?x]]"},
                &out, &err),
            1);
  EXPECT_NE(err.find("cannot read " + file + ".missing"), std::string::npos) << err;
  std::ofstream(file) << "42";
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$data=@" + file, "[:find ?x :in $ $data :where [$data ?x]]"}, &out, &err), 1);
  EXPECT_NE(err.find("expected a collection of tuples"), std::string::npos) << err;
  std::remove(file.c_str());
}

TEST_F(QueryCommandsTest, SourceFilters) {
  std::string out, err;
  {
    auto conn = Connection::Open(dir_);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Transact(R"([{:db/ident :tx/error :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}])").ok());
    ASSERT_TRUE((*conn)->Transact(R"([[:db/add "datomic.tx" :tx/error true] {:item/id "c" :item/count 1}])").ok());
    ASSERT_TRUE((*conn)->Close().ok());
  }
  const std::string q = "[:find ?id ?c :in $f :where [$f ?e :item/id ?id] [$f ?e :item/count ?c]]";
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$f=", q}, &out, &err), 1);  // empty spec
  EXPECT_NE(err.find("nothing after '='"), std::string::npos) << err;
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$f=:filter:not-tx-with::tx/error", q}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[\"a\" 6] [\"b\" 20]}\n");  // "c" came in an error transaction
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$f=:filter:not-tx:" + std::to_string(t2_), q}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[\"b\" 20] [\"c\" 1]}\n");  // a's current count came in t2
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$f=:filter:attrs:item/id",
                 "[:find ?name :in $ $f :where [$f _ ?a] [?a :db/ident ?name]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[:item/id]}\n");
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$f=:filter:not-tx-with::tx/nope", q}, &out, &err), 1);
  EXPECT_NE(err.find("unknown attribute :tx/nope"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$f=:filter:sometimes", q}, &out, &err), 1);
  EXPECT_NE(err.find("expected not-tx"), std::string::npos) << err;
}

TEST_F(QueryCommandsTest, SourceErrors) {
  std::string out, err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$2=:history", "[:find ?e :where [?e :item/id]]"}, &out, &err), 1);
  EXPECT_NE(err.find("--source $2: the query's :in has no $2"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "x=:history", "[:find ?e :in $ x :where [?e :item/id]]"}, &out, &err), 1);
  EXPECT_NE(err.find("is not a source variable"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$2=:history", "--source", "$2=:history",
                 "[:find ?e :in $ $2 :where [$2 ?e :item/id]]"},
                &out, &err),
            1);
  EXPECT_NE(err.find("given twice"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$2=:history:5", "[:find ?e :in $ $2 :where [$2 ?e :item/id]]"}, &out, &err), 1);
  EXPECT_NE(err.find(":history takes no argument"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$2=:as-of:yesterday", "[:find ?e :in $ $2 :where [$2 ?e :item/id]]"},
                &out, &err),
            1);
  EXPECT_NE(err.find(":as-of 'yesterday'"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?e :in $ $2 :where [$2 ?e :item/id]]"}, &out, &err), 1);
  EXPECT_NE(err.find("needs an input for $2 (0 given): pass --source '$2="), std::string::npos) << err;
  // --source rebinding $ leaves $2 unbound rather than handing it --db.
  EXPECT_EQ(Cli({"q", "--db", dir_, "--source", "$=:history", "[:find ?e :in $ $2 :where [$2 ?e :item/id]]"}, &out, &err), 1);
  EXPECT_NE(err.find("needs an input for $2"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?e :in $ :where [?e :item/id]]", "1"}, &out, &err), 1);
  EXPECT_NE(err.find("1 more INPUTs than the query's :in takes (:in $; --db binds $)"), std::string::npos) << err;
}

TEST(SourceSpecTest, Parse) {
  auto s = ParseSourceSpec("$old=postgres://u@h:5432/db:as-of:2024-05-01T10:00:00Z:history");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "$old");
  EXPECT_EQ(s->location, "postgres://u@h:5432/db");
  ASSERT_EQ(s->views.size(), 2u);
  EXPECT_EQ(s->views[0].kind, "as-of");
  EXPECT_EQ(s->views[0].arg, "2024-05-01T10:00:00Z");
  EXPECT_EQ(s->views[1].kind, "history");
  s = ParseSourceSpec("$ok=:filter:not-tx-with::tx/error");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->location, "");
  ASSERT_EQ(s->views.size(), 1u);
  EXPECT_EQ(s->views[0].arg, "not-tx-with::tx/error");
  s = ParseSourceSpec("$data=@rel.edn");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->file, "rel.edn");
  EXPECT_FALSE(ParseSourceSpec("$w=:since:5:with:tx.edn").ok());  // with must come first
  EXPECT_FALSE(ParseSourceSpec("$w=:since").ok());
  EXPECT_FALSE(ParseSourceSpec("noequals").ok());
}

// --with FILE: Datomic's d/with from the command line — the read sees the
// transaction, nothing is committed (https://docs.datomic.com/reference/database-functions.html:
// "d/with ... a pure function [db-before, tx-data]"; the pattern of
// https://gist.github.com/robert-stuttaford/5916891). main had no --with.
TEST_F(QueryCommandsTest, WithSpeculativeTransaction) {
  const std::string tx = dir_ + ".with.edn";
  std::ofstream(tx) << R"([{:item/id "new" :item/count 1} [:db/add [:item/id "a"] :item/count 7]]
                          [[:db/retract [:item/id "b"] :item/count 20]])";
  const std::string q = "[:find ?id ?c :where [?e :item/id ?id] [?e :item/count ?c]]";
  std::string out, err;
  ASSERT_EQ(Cli({"q", "--db", dir_, "--with", tx, q}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[\"a\" 7] [\"new\" 1]}\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, q}, &out, &err), 0) << err;  // nothing committed
  EXPECT_EQ(out, "#{[\"a\" 6] [\"b\" 20]}\n");
  {
    auto conn = Connection::Open(dir_);
    ASSERT_TRUE(conn.ok());
    EXPECT_EQ((*conn)->db().basis_t(), t2_);
    ASSERT_TRUE((*conn)->Close().ok());
  }
  // Views apply after it; pull takes it too; `$` and `$w` side by side.
  ASSERT_EQ(Cli({"q", "--db", dir_, "--with", tx, "--history", "[:find ?c :where [?e :item/id \"b\"] [?e :item/count ?c _ false]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[20]}\n");
  ASSERT_EQ(Cli({"pull", "--db", dir_, "--with", tx, "[:item/count]", "[:item/id \"new\"]"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "{:item/count 1}\n");
  ASSERT_EQ(Cli({"q", "--db", dir_, "--source", "$w=:with:" + tx,
                 "[:find ?id ?now ?then :in $ $w :where [?e :item/id ?id] [?e :item/count ?now] [$w ?e :item/count ?then] "
                 "[(!= ?now ?then)]]"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "#{[\"a\" 6 7]}\n");
  // A transaction that fails: exit 1, named, nothing read.
  std::ofstream(tx) << R"([[:db/add "x" :item/count 1]] [[:db/add "y" :item/count "many"]])";
  EXPECT_EQ(Cli({"q", "--db", dir_, "--with", tx, q}, &out, &err), 1);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("--with " + tx + ", transaction 2"), std::string::npos) << err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "--with", tx + ".missing", q}, &out, &err), 1);
  EXPECT_NE(err.find("cannot read"), std::string::npos) << err;
  std::ofstream(tx) << "";
  EXPECT_EQ(Cli({"q", "--db", dir_, "--with", tx, q}, &out, &err), 1);
  EXPECT_NE(err.find("no transaction in the file"), std::string::npos) << err;
  std::remove(tx.c_str());
}

}  // namespace
}  // namespace strata::cli
