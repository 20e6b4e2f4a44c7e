// `strata gen-csv` and `strata import`, run in process on a temporary
// folder: options, exit codes, the summary, bad rows on stderr, and a
// re-import that commits nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

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

  std::string dir_;
};

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
