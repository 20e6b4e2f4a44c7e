// `strata ab` and `strata history` in process, on copies of the fixture
// results in reports/testdata (the statistics themselves are tested on
// synthetic samples in reports/ab_test.cc and reports/changepoint_test.cc).

#include "cli/perf_commands.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/in_process_test_util.h"

namespace strata::cli {
namespace {

namespace fs = std::filesystem;
using testing::RunInProcess;

class PerfCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-perf-cmd-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // SIDE/pair-NN holding a copy of fixture run FROM (run-a or run-b).
  void AddRun(const std::string& side, int n, const std::string& from) {
    const fs::path to = dir_ / side / ("pair-" + std::to_string(10 + n));
    fs::create_directories(to);
    fs::copy(fs::path(STRATA_REPORTS_TESTDATA) / from, to);
  }
  int Run(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) {
    return RunInProcess(AddPerfCommands, std::move(argv), out, err);
  }
  fs::path dir_;
};

TEST_F(PerfCommands, IdenticalRunsPass) {
  for (int i = 0; i < 8; ++i) {
    AddRun("base", i, "run-a");
    AddRun("new", i, "run-a");
  }
  std::string out, err;
  const int code = Run({"ab", (dir_ / "base").string(), (dir_ / "new").string(), "--format", "md"}, &out, &err);
  // Identical values: every difference is 0 and every interval [0, 0].
  EXPECT_EQ(code, 0) << out << err;
  EXPECT_NE(out.find("PASS"), std::string::npos) << out;
  EXPECT_NE(out.find("no change"), std::string::npos) << out;
}

TEST_F(PerfCommands, MissingOrEmptySideExitsTwo) {
  AddRun("base", 0, "run-a");
  fs::create_directories(dir_ / "new");
  std::string out, err;
  EXPECT_EQ(Run({"ab", (dir_ / "base").string(), (dir_ / "new").string()}, &out, &err), 2);
  EXPECT_NE(err.find("NEW"), std::string::npos) << err;
  EXPECT_EQ(Run({"ab", (dir_ / "nope").string(), (dir_ / "new").string()}, &out, &err), 2);
  EXPECT_NE(err.find("BASE"), std::string::npos) << err;
}

TEST_F(PerfCommands, HistoryWritesItsReport) {
  for (int i = 0; i < 3; ++i) {
    const fs::path e = dir_ / "hist" / ("e" + std::to_string(i));
    fs::create_directories(e);
    fs::copy(fs::path(STRATA_REPORTS_TESTDATA) / (i < 2 ? "run-a" : "run-b"), e);
    std::ofstream(e / "entry.json") << R"({"commit": "c)" << i << R"(", "commit_time": )" << i << "}";
  }
  std::string out;
  EXPECT_EQ(Run({"history", (dir_ / "hist").string(), "--out", (dir_ / "report").string()}, &out), 0) << out;
  EXPECT_NE(out.find("3 commits"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir_ / "report" / "history.html"));
  EXPECT_TRUE(fs::exists(dir_ / "report" / "history.md"));
  std::string err;
  EXPECT_EQ(Run({"history", (dir_ / "nothing").string()}, &out, &err), 1);
}

}  // namespace
}  // namespace strata::cli
