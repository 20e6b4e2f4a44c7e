// `strata gen-csv` and `strata import`, run in process on a temporary
// folder: options, exit codes, the summary, bad rows on stderr, and a
// re-import that commits nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>

#include "cli/import_commands.h"
#include "strata/database.h"
#include "strata/connection.h"

namespace strata::cli {
namespace {

class ImportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/strata_import_cli_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Parses argv through the Add*Command functions and runs what was parsed;
  // returns the exit code with stdout and stderr.
  int Cli(std::vector<std::string> argv, std::string* out, std::string* err) {
    CLI::App app{"strata"};
    ImportArgs im;
    GenCsvArgs gc;
    CLI::App* import_cmd = AddImportCommand(app, &im);
    CLI::App* gen_csv = AddGenCsvCommand(app, &gc);
    std::vector<std::string> rev(argv.rbegin(), argv.rend());
    int code = -1;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    try {
      app.parse(rev);
      if (import_cmd->parsed()) code = RunImport(im);
      if (gen_csv->parsed()) code = RunGenCsv(gc);
    } catch (const CLI::ParseError& e) {
      code = 100 + app.exit(e);
    }
    *out = ::testing::internal::GetCapturedStdout();
    *err = ::testing::internal::GetCapturedStderr();
    return code;
  }

  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    for (const char* f : {"orders.csv", "patients.csv", "clients.csv", "locations.csv", "products.csv",
                          "protocols.csv", "immunizations.csv"})
      out.push_back(dir_ + "/csv/" + f);
    return out;
  }

  void Write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(dir_ + "/in");
    std::ofstream(dir_ + "/in/" + name) << text;
  }
  // Writes a one-file mapping (batches of 2) over a two-attribute schema;
  // `column_attr` is the attribute the name column maps to.
  void WriteMapping(const std::string& column_attr) {
    Write("schema.edn",
          "[{:db/ident :client/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one"
          " :db/unique :db.unique/identity}\n"
          " {:db/ident :client/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]\n");
    Write("mapping.edn", "{:schema \"schema.edn\" :batch 2 :on-error :fail\n"
                         " :files [{:file \"clients.csv\" :columns [{:column \"id\" :attr :client/id :identity true}\n"
                         "   {:column \"name\" :attr " + column_attr + " :required true}]}]}\n");
  }
  int Import(std::string* out, std::string* err) {
    return Cli({"import", "--db", dir_ + "/db", "--mapping", dir_ + "/in/mapping.edn", dir_ + "/in/clients.csv"}, out,
               err);
  }
  T Basis() {
    auto conn = Connection::Open(dir_ + "/db");
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? (*conn)->db().basis_t() : 0;
  }

  std::string dir_;
};

// Each failure says exactly what stays committed (issue 16: "nothing was
// committed" was printed after the schema transaction had committed).
TEST_F(ImportCommandTest, FailureBeforeAnythingSaysNothingWasCommitted) {
  std::string out, err;
  WriteMapping(":client/name");
  Write("clients.csv", "id,name\nC1,Ana\n");
  // A file the mapping does not name is refused before the schema.
  EXPECT_EQ(Cli({"import", "--db", dir_ + "/db", "--mapping", dir_ + "/in/mapping.edn", dir_ + "/in/other.csv"}, &out,
                &err),
            1);
  EXPECT_NE(err.find("matches no :file of the mapping (known: clients.csv); nothing was committed"), std::string::npos) << err;
  EXPECT_EQ(Basis(), 0u);  // the bootstrap only
}

TEST_F(ImportCommandTest, FailureAfterTheSchemaSaysTheSchemaWasCommitted) {
  std::string out, err;
  WriteMapping(":client/nosuch");  // the mapping names an attribute the schema lacks
  Write("clients.csv", "id,name\nC1,Ana\n");
  EXPECT_EQ(Import(&out, &err), 1);
  const T schema_t = Basis();
  ASSERT_GT(schema_t, 0u);
  EXPECT_NE(err.find("no attribute :client/nosuch in the schema; the schema transaction (t=" +
                     std::to_string(schema_t) + ") was committed; no data rows were committed"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("nothing was committed"), std::string::npos) << err;

  // The same with a bad first row: the schema commits, no batch does.
  std::filesystem::remove_all(dir_ + "/db");
  WriteMapping(":client/name");
  Write("clients.csv", "id,name\nC1,\nC2,Ben\n");
  EXPECT_EQ(Import(&out, &err), 1);
  EXPECT_NE(err.find("clients.csv:2: "), std::string::npos) << err;
  EXPECT_NE(err.find("; the schema transaction (t=" + std::to_string(Basis()) +
                     ") was committed; no data rows were committed"),
            std::string::npos)
      << err;
}

TEST_F(ImportCommandTest, FailureMidDataNamesTheCommittedRowsAndTs) {
  std::string out, err;
  WriteMapping(":client/name");
  // Batches of 2: C1 C2 | C3 C4 commit; C5's batch holds the bad row 7.
  Write("clients.csv", "id,name\nC1,Ana\nC2,Ben\nC3,Cy\nC4,Di\nC5,Ed\nC6,\n");
  EXPECT_EQ(Import(&out, &err), 1);
  auto conn = Connection::Open(dir_ + "/db");
  ASSERT_TRUE(conn.ok());
  const Database db = (*conn)->db();
  // The t's from the database rather than assumed: the t of the
  // transaction that asserted an entity's first datom.
  auto t_of = [&](const std::string& attr, const std::string& id) -> T {
    auto e = db.Entid(edn::Node::Vector({edn::Node::Keyword(attr), edn::Node::String(id)}));
    if (!e.ok()) return 0;
    auto c = db.Datoms(Index::kEavt, {Value::Ref(*e)});
    return c.ok() && c->Valid() ? c->datom().t() : 0;
  };
  auto ident_t = [&](const std::string& ident) -> T {
    auto c = db.Datoms(Index::kAvet, {Value::Ref(10), Value::Keyword(ident)});  // :db/ident
    return c.ok() && c->Valid() ? c->datom().t() : 0;
  };
  const T schema_t = ident_t("client/id"), first = t_of("client/id", "C1"), last = t_of("client/id", "C4");
  ASSERT_GT(schema_t, 0u);
  ASSERT_GT(first, schema_t);
  ASSERT_GT(last, first);
  EXPECT_EQ(db.basis_t(), last);
  EXPECT_EQ(t_of("client/id", "C5"), 0u) << "row 6 shares the failed batch";
  EXPECT_NE(err.find("clients.csv:7: "), std::string::npos) << err;
  EXPECT_NE(err.find("; the schema transaction (t=" + std::to_string(schema_t) + ") and 4 rows in 2 transactions (t=" +
                     std::to_string(first) + ".." + std::to_string(last) + ") were committed, through " +
                     dir_ + "/in/clients.csv:5"),
            std::string::npos)
      << err;
  (*conn).reset();

  // Again: the schema is in place, C1..C4 are unchanged; C5 and the bad row
  // share a batch, so nothing new commits.
  EXPECT_EQ(Import(&out, &err), 1);
  EXPECT_NE(err.find("clients.csv:7: "), std::string::npos) << err;
  EXPECT_NE(err.find("; nothing was committed"), std::string::npos) << err;
  EXPECT_EQ(Basis(), last);
}

TEST_F(ImportCommandTest, GenerateThenImportSkipAndReimport) {
  std::string out, err;
  ASSERT_EQ(Cli({"gen-csv", "--out", dir_ + "/csv", "--clients", "60", "--bad-rows", "0.03", "--seed", "4"}, &out, &err),
            0)
      << err;
  EXPECT_NE(out.find("clients.csv"), std::string::npos) << out;
  EXPECT_NE(out.find("--on-error skip"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/csv/mapping.edn"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/csv/schema.edn"));

  // The mapping says fail: the first bad row stops the import.
  std::vector<std::string> args = {"import", "--db", dir_ + "/db", "--mapping", dir_ + "/csv/mapping.edn"};
  for (const std::string& f : Files()) args.push_back(f);
  EXPECT_EQ(Cli(args, &out, &err), 1);
  EXPECT_NE(err.find("strata: error: " + dir_ + "/csv/"), std::string::npos) << err;

  // Skip: every bad row listed (here at most 2), the rest imported.
  args.insert(args.begin() + 1, {"--on-error", "skip", "--show-errors", "2", "--batch", "100"});
  ASSERT_EQ(Cli(args, &out, &err), 0) << err;
  EXPECT_NE(err.find("strata: bad row: "), std::string::npos) << err;
  EXPECT_NE(err.find("more bad rows"), std::string::npos) << err;
  EXPECT_NE(out.find("skipped"), std::string::npos) << out;

  // Again: nothing new, no transaction.
  T basis = 0;
  {
    auto conn = Connection::Open(dir_ + "/db");
    ASSERT_TRUE(conn.ok());
    basis = (*conn)->db().basis_t();
  }
  ASSERT_EQ(Cli(args, &out, &err), 0) << err;
  EXPECT_NE(out.find(" 0 imported"), std::string::npos) << out;
  EXPECT_NE(out.find("0 transactions, 0 datoms"), std::string::npos) << out;
  auto conn = Connection::Open(dir_ + "/db");
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->db().basis_t(), basis);
}

TEST_F(ImportCommandTest, UsageErrors) {
  std::string out, err;
  EXPECT_EQ(Cli({"gen-csv", "--out", dir_, "--size", "1m", "--clients", "3"}, &out, &err), 1);
  EXPECT_NE(err.find("exactly one of --size and --clients"), std::string::npos) << err;
  EXPECT_EQ(Cli({"gen-csv", "--out", dir_, "--size", "lots"}, &out, &err), 1);
  EXPECT_EQ(Cli({"import", "--db", dir_ + "/db", "--mapping", dir_ + "/none.edn", "x.csv"}, &out, &err), 1);
  EXPECT_NE(err.find("mapping"), std::string::npos) << err;
  EXPECT_GE(Cli({"import", "--db", dir_ + "/db", "--mapping", "m.edn", "--on-error", "maybe", "x.csv"}, &out, &err),
            100);
}

}  // namespace
}  // namespace strata::cli
