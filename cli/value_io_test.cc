// Values in and out of the CLI: non-finite doubles in JSON output
// (cli/output.h, docs/query.md "Values in JSON": {"double": "NaN" |
// "Infinity" | "-Infinity"}, never null, and never a string a string value
// could also print as), and UTF-8 refused where it is not, on every input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/query_commands.h"
#include "strata/connection.h"

namespace strata::cli {
namespace {

using nlohmann::json;

const json kNaN = json{{"double", "NaN"}}, kInf = json{{"double", "Infinity"}}, kNegInf = json{{"double", "-Infinity"}};

TEST(JsonOutputTest, DoublesAndTheirNonFiniteForm) {
  EXPECT_EQ(json::parse(DumpJson(ValueToJson(Value::Double(std::nan(""))))), kNaN);
  EXPECT_EQ(json::parse(DumpJson(ValueToJson(Value::Double(std::numeric_limits<double>::infinity())))), kInf);
  EXPECT_EQ(json::parse(DumpJson(ValueToJson(Value::Double(-std::numeric_limits<double>::infinity())))), kNegInf);
  EXPECT_EQ(DumpJson(ValueToJson(Value::Double(2.5))), "2.5");
  EXPECT_EQ(DumpJson(ValueToJson(Value::Double(-0.0))), "-0.0");
  // A string that reads "NaN" stays a string; nil stays null.
  EXPECT_EQ(DumpJson(ValueToJson(Value::String("NaN"))), "\"NaN\"");
  EXPECT_EQ(DumpJson(ValueToJson(Value())), "null");
  // Query results go through EdnToJson.
  auto n = edn::ReadOne("[##NaN ##Inf ##-Inf 1.5 \"Infinity\" nil]");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(json::parse(DumpJson(EdnToJson(*n))), json::array({kNaN, kInf, kNegInf, 1.5, "Infinity", nullptr}));
}

// End to end: stored doubles through `strata q`, `strata pull` (in process)
// and the datom form `strata datoms` and `strata log` print.
TEST(JsonOutputTest, StoredNonFiniteDoublesThroughQueryPullAndDatoms) {
  const std::string dir = ::testing::TempDir() + "/strata_json_out_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  {
    auto conn = Connection::Open(dir);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Transact(R"([{:db/ident :m/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one
                                       :db/unique :db.unique/identity}
                                      {:db/ident :m/x :db/valueType :db.type/double :db/cardinality :db.cardinality/one}])")
                    .ok());
    auto r = (*conn)->Transact(R"([{:m/id "nan" :m/x ##NaN} {:m/id "inf" :m/x ##Inf} {:m/id "ninf" :m/x ##-Inf}
                                   {:m/id "two" :m/x 2.0}])");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::map<std::string, json> by_id;
    const Database db = (*conn)->db();
    for (const Datom& d : r->tx_data) {
      if (d.a != db.attribute("m/x")->id) continue;
      json j = json::parse(DumpJson(DatomToJson(db, d)));
      ASSERT_EQ(j.size(), 5u);
      EXPECT_EQ(j[1], ":m/x");
      by_id[std::to_string(d.e)] = j[2];
    }
    std::vector<json> xs;
    for (auto& [e, v] : by_id) xs.push_back(v);
    std::sort(xs.begin(), xs.end());
    std::vector<json> want{2.0, kInf, kNegInf, kNaN};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(xs, want);
    EXPECT_TRUE((*conn)->Close().ok());
  }
  auto run = [&](std::vector<std::string> argv) {
    CLI::App app{"strata"};
    int code = -1;
    AddQueryCommands(app, &code);
    std::vector<std::string> rev(argv.rbegin(), argv.rend());
    ::testing::internal::CaptureStdout();
    app.parse(rev);
    std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(code, 0) << out;
    return json::parse(out);
  };
  json rows = run({"q", "--db", dir, "--format", "json", "[:find ?id ?x :where [?e :m/id ?id] [?e :m/x ?x]]"});
  std::map<std::string, json> got;
  for (const json& row : rows) got[row[0].get<std::string>()] = row[1];
  EXPECT_EQ(got["nan"], kNaN);
  EXPECT_EQ(got["inf"], kInf);
  EXPECT_EQ(got["ninf"], kNegInf);
  EXPECT_EQ(got["two"], 2.0);
  json pulled = run({"pull", "--db", dir, "--format", "json", "[:m/x]", "[:m/id \"ninf\"]"});
  EXPECT_EQ(pulled[":m/x"], kNegInf);
  std::filesystem::remove_all(dir);
}

// Invalid UTF-8 from a file, stdin-style transaction text, a datoms
// component and a query input: exit 1, the error names line and column,
// nothing committed.
TEST(CliInputTest, InvalidUtf8IsRefusedAtEveryCliInput) {
  const std::string dir = ::testing::TempDir() + "/strata_utf8_in_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name, std::ios::binary) << text;
    return dir + "/" + name;
  };
  auto transact = [&](const std::string& file, std::string* err) {
    TransactArgs a;
    a.db = dir + "/db";
    a.sync = "never";
    a.file = file;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = RunTransact(a);
    ::testing::internal::GetCapturedStdout();
    *err = ::testing::internal::GetCapturedStderr();
    return code;
  };
  std::string err;
  ASSERT_EQ(transact(write("schema.edn", "[{:db/ident :m/s :db/valueType :db.type/string :db/cardinality "
                                        ":db.cardinality/one :db/unique :db.unique/identity}]"),
                     &err),
            0)
      << err;
  EXPECT_EQ(transact(write("bad.edn", "[{:m/s \"ok\"}]\n[{:m/s \"caf\xE9\"}]\n"), &err), 1);
  EXPECT_NE(err.find("EDN 2:12: invalid UTF-8 in string: byte 0xE9 at offset 25 of the input"), std::string::npos)
      << err;
  T basis = 0;
  {
    auto conn = Connection::Open(dir + "/db");
    ASSERT_TRUE(conn.ok());
    basis = (*conn)->db().basis_t();
    // The first transaction of the file committed; the second, bad one not.
    auto ok = (*conn)->db().Entid(edn::Node::Vector({edn::Node::Keyword("m/s"), edn::Node::String("ok")}));
    EXPECT_TRUE(ok.ok());
  }
  DatomsArgs d;
  d.db = dir + "/db";
  d.index = "avet";
  d.components = {":m/s", "\"x\xFF\""};
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunDatoms(d), 1);
  ::testing::internal::GetCapturedStdout();
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("invalid UTF-8 in string: byte 0xFF"), std::string::npos) << err;

  CLI::App app{"strata"};
  int code = -1;
  AddQueryCommands(app, &code);
  std::vector<std::string> argv = {"q", "--db", dir + "/db", "[:find ?e :in $ ?s :where [?e :m/s ?s]]", "\"\xC0\x80\""};
  std::vector<std::string> rev(argv.rbegin(), argv.rend());
  ::testing::internal::CaptureStderr();
  app.parse(rev);
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("invalid UTF-8 in string: byte 0xC0"), std::string::npos) << err;
  {
    auto conn = Connection::Open(dir + "/db");
    ASSERT_TRUE(conn.ok());
    EXPECT_EQ((*conn)->db().basis_t(), basis);
  }
  std::filesystem::remove_all(dir);
}

// --format json keeps keywords and strings apart (docs/query.md "Values in
// JSON"): on main the string ":tag/red" and the keyword :tag/red both
// printed as ":tag/red". The mapping reverses through JsonStringToEdn.
TEST(JsonOutputTest, KeywordsAndStringsStayDistinct) {
  EXPECT_EQ(ValueToJson(Value::Keyword("tag/red")), ":tag/red");
  EXPECT_EQ(ValueToJson(Value::String(":tag/red")), "\\:tag/red");
  EXPECT_EQ(ValueToJson(Value::String("\\n")), "\\\\n");
  EXPECT_EQ(ValueToJson(Value::String("plain")), "plain");
  EXPECT_NE(ValueToJson(Value::Keyword("a")), ValueToJson(Value::String(":a")));
  // Round trip through query JSON, map keys included.
  auto n = edn::ReadOne(R"([:a/b ":a/b" "\\:x" "\\" "" "x:y" {:k ":v"} {":s" :v}])");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  const json j = json::parse(DumpJson(EdnToJson(*n)));
  ASSERT_EQ(j.size(), 8u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(edn::Print(JsonStringToEdn(j[i].get<std::string>())), edn::Print(n->items[i])) << j[i];
  }
  EXPECT_EQ(j[6], json::parse(R"({":k": "\\:v"})"));
  EXPECT_EQ(j[7], json::parse(R"({"\\:s": ":v"})"));
  EXPECT_EQ(edn::Print(JsonStringToEdn(j[7].begin().key())), "\":s\"");
}

// End to end through `strata q` and `strata datoms`: a string value that
// looks like a keyword is escaped in both.
TEST(JsonOutputTest, StoredKeywordLikeStringsThroughQueryAndDatoms) {
  const std::string dir = ::testing::TempDir() + "/strata_json_kw_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  {
    auto conn = Connection::Open(dir);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Transact(R"([{:db/ident :m/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
                                      {:db/ident :m/k :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}])")
                    .ok());
    ASSERT_TRUE((*conn)->Transact(R"([{:m/s ":red" :m/k :red}])").ok());
    ASSERT_TRUE((*conn)->Close().ok());
  }
  QueryArgs q;
  q.db = dir;
  q.format = Format::kJson;
  q.query = "[:find ?s ?k :where [?e :m/s ?s] [?e :m/k ?k]]";
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunQuery(q), 0);
  EXPECT_EQ(json::parse(::testing::internal::GetCapturedStdout()), json::parse(R"([["\\:red", ":red"]])"));
  DatomsArgs d;
  d.db = dir;
  d.index = "aevt";
  d.components = {":m/s"};
  d.format = Format::kJson;
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunDatoms(d), 0);
  const json datoms = json::parse(::testing::internal::GetCapturedStdout());
  ASSERT_EQ(datoms.size(), 1u);
  EXPECT_EQ(datoms[0][1], ":m/s");
  EXPECT_EQ(datoms[0][2], "\\:red");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::cli
