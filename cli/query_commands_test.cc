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
    CLI::App app{"strata"};
    int code = -1;
    AddQueryCommands(app, &code);
    std::vector<std::string> rev(argv.rbegin(), argv.rend());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    try {
      app.parse(rev);
    } catch (const CLI::ParseError& e) {
      code = 100 + app.exit(e);
    }
    *out = ::testing::internal::GetCapturedStdout();
    std::string e = ::testing::internal::GetCapturedStderr();
    if (err) *err = e;
    return code;
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
  EXPECT_EQ(Cli({"pull", "--db", dir_, "[(:item/id :bogus 1)]", "1"}, &out, &err), 1);
  EXPECT_NE(err.find("unknown attribute option :bogus"), std::string::npos) << err;
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

// ---- issue 17 (qsrc): sources named like $data -------------------------
// A source is any symbol starting with "$"
// (https://docs.datomic.com/query/query-data-reference.html, src-var):
// --db binds the first one, and an input left over says where it went.
TEST_F(QueryCommandsTest, NamedSourceMessages) {
  std::string out, err;
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?x :in $data :where [$data ?e :item/id ?x]]"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "#{[\"a\"] [\"b\"]}\n");
  EXPECT_EQ(Cli({"q", "--db", dir_, "[:find ?x :in $data :where [$data ?x]]", "#{[1] [2]}"}, &out, &err), 1);
  EXPECT_NE(err.find("1 input more than the query's :in takes (--db is bound to $data, the first source of :in; "
                     "to pass a collection as a source as well, name a source for each: :in $ $data)"),
            std::string::npos)
      << err;
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

}  // namespace
}  // namespace strata::cli
