// `strata load`, run in process into a temporary folder: options, the
// summary line, a re-load of an idempotent workload, and errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>

#include "cli/load_command.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/edn.h"
#include "strata/query.h"
#include "workloads/workload.h"

namespace strata::cli {
namespace {

class LoadCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/strata_load_cli_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Parses "load ..." through AddLoadCommand and runs it; returns the exit
  // code with stdout and stderr.
  int Cli(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) {
    CLI::App app{"strata"};
    LoadArgs args;
    CLI::App* load = AddLoadCommand(app, &args);
    std::vector<std::string> rev(argv.rbegin(), argv.rend());
    int code = -1;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    try {
      app.parse(rev);
      if (load->parsed()) code = RunLoad(args);
    } catch (const CLI::ParseError& e) {
      code = 100 + app.exit(e);
    }
    *out = ::testing::internal::GetCapturedStdout();
    std::string e = ::testing::internal::GetCapturedStderr();
    if (err) *err = e;
    return code;
  }

  // Transaction entities' datoms vs the rest, over the whole log.
  void CountLog(uint64_t* tx_datoms, uint64_t* other) {
    auto conn = Connection::Open(dir_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    *tx_datoms = *other = 0;
    ASSERT_TRUE((*conn)->TxRange(0, (*conn)->db().basis_t() + 1, [&](T, const std::vector<Datom>& ds) {
                   for (const Datom& d : ds) ++(PartitionOf(d.e) == kPartTx ? *tx_datoms : *other);
                   return Status::OK();
                 }).ok());
  }

  std::string dir_;
};

TEST_F(LoadCommandTest, LoadsAWorkloadAndIndexesIt) {
  std::string out, err;
  ASSERT_EQ(Cli({"load", "uniform", "--db", dir_, "--scale", "0.02", "--seed", "3"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("loaded uniform (scale 0.02, seed 3) into " + dir_ + ": 41 transactions"), std::string::npos)
      << out;
  EXPECT_NE(out.find(", indexed"), std::string::npos) << out;
  EXPECT_EQ(err.find("loading"), std::string::npos) << "no progress line when stderr is not a terminal: " << err;
  EXPECT_EQ(out.find("data:"), std::string::npos) << "uniform is generated, as its name says: " << out;
  auto conn = Connection::Open(dir_);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto e = (*conn)->db().Entid(*edn::ReadOne(R"([:u/id "u-0"])"));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
}

// mbrainz-synth, when the registry has it. It is not idempotent (its media
// have no identity), but loading it again into the same folder must work:
// every gid upserts and nothing clashes.
TEST_F(LoadCommandTest, LoadsMbrainzSynthWhenRegistered) {
  const auto names = workloads::WorkloadNames();
  if (std::find(names.begin(), names.end(), "mbrainz-synth") == names.end()) GTEST_SKIP() << "not registered";
  std::string out, err;
  ASSERT_EQ(Cli({"load", "mbrainz-synth", "--db", dir_, "--scale", "0.02", "--no-index"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("loaded mbrainz-synth (scale 0.02, seed 1)"), std::string::npos) << out;
  EXPECT_EQ(out.find(", indexed"), std::string::npos) << out;
  EXPECT_NE(out.find("data: synthesized: every entity is generated"), std::string::npos) << out;
  uint64_t tx = 0, other = 0;
  CountLog(&tx, &other);
  EXPECT_GT(other, 10000u);
  ASSERT_EQ(Cli({"load", "mbrainz-synth", "--db", dir_, "--scale", "0.02"}, &out, &err), 0) << err;
  uint64_t tx2 = 0, other2 = 0;
  CountLog(&tx2, &other2);
  EXPECT_GT(tx2, tx);
  EXPECT_GE(other2, other);
}

TEST_F(LoadCommandTest, Errors) {
  std::string out, err;
  const int kValidation = 100 + static_cast<int>(CLI::ExitCodes::ValidationError);
  EXPECT_EQ(Cli({"load", "nope", "--db", dir_}, &out, &err), 1);
  EXPECT_NE(err.find("strata: error: unknown workload 'nope'"), std::string::npos) << err;
  EXPECT_EQ(Cli({"load", "uniform", "--db", dir_, "--sync", "sometimes"}, &out, &err), kValidation) << err;
  EXPECT_EQ(Cli({"load", "uniform"}, &out, &err), 100 + static_cast<int>(CLI::ExitCodes::RequiredError)) << err;
  EXPECT_EQ(Cli({"load", "uniform", "--db", dir_, "--scale", "0"}, &out, &err), kValidation) << err;
}

// The real subset (datasets/mbrainz, found from the binary): the load says
// which parts are real and which synthesized, and the real names are there.
TEST_F(LoadCommandTest, LoadsTheRealMbrainzSubsetAndSaysWhatIsReal) {
  std::string out, err;
  ASSERT_EQ(Cli({"load", "mbrainz", "--db", dir_, "--no-index"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("loaded mbrainz (scale 1, seed 1) into " + dir_ + ": 406 transactions, 773979 datoms"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("data: real: the MusicBrainz 1968-1973 extract"), std::string::npos) << out;
  EXPECT_NE(out.find("synthesized: media and tracks"), std::string::npos) << out;
  auto conn = Connection::Open(dir_);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto year = Q(R"([:find ?y . :where [?a :artist/name "John Lennon"] [?r :release/artists ?a]
                                       [?r :release/name "Imagine"] [?r :release/year ?y]])",
                {(*conn)->db()});
  ASSERT_TRUE(year.ok()) << year.status().ToString();
  EXPECT_EQ(edn::Print(*year), "1971");
}

// Each transaction of a load commits on its own: a failure says what stays.
TEST_F(LoadCommandTest, AFailureSaysWhatStaysCommitted) {
  std::string out, err;
  auto pre = [&](const char* schema) {
    std::filesystem::remove_all(dir_);
    auto conn = Connection::Open(dir_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Transact(schema).ok());
    ASSERT_TRUE((*conn)->Close().ok());
  };
  // The workload's schema cannot change :u/score from long to double.
  pre("[{:db/ident :u/score :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]");
  EXPECT_EQ(Cli({"load", "uniform", "--db", dir_, "--scale", "0.05", "--sync", "never"}, &out, &err), 1);
  EXPECT_NE(err.find("schema of workload uniform"), std::string::npos) << err;
  EXPECT_NE(err.find("; nothing was committed"), std::string::npos) << err;
  // Its schema commits, then its data breaks a uniqueness the database adds.
  pre("[{:db/ident :u/active :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one"
      " :db/unique :db.unique/value}]");
  EXPECT_EQ(Cli({"load", "uniform", "--db", dir_, "--scale", "0.05", "--sync", "never"}, &out, &err), 1);
  auto conn = Connection::Open(dir_);
  ASSERT_TRUE(conn.ok());
  const T basis = (*conn)->db().basis_t();
  EXPECT_NE(err.find("the schema transaction (t="), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(basis) + ") stay"), std::string::npos) << err;
}

}  // namespace
}  // namespace strata::cli
