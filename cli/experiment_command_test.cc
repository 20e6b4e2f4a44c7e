// `strata experiment` as a command, in process: a bad file is refused with
// exit 1 naming the file and the key, and nothing is written; a tiny
// experiment writes its folder and a second invocation runs nothing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/experiment_command.h"
#include "cli/in_process_test_util.h"

namespace strata::cli {
namespace {

std::string FreshDir() {
  std::string dir = std::filesystem::temp_directory_path().string() + "/strata-experiment-cli-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "";
  return dir;
}

int Experiment(std::vector<std::string> args, std::string* out, std::string* err) {
  args.insert(args.begin(), "experiment");
  return testing::RunInProcess(AddExperimentCommand, args, out, err);
}

TEST(ExperimentCommand, ABadFileIsRefusedNamingTheKey) {
  const std::string dir = FreshDir();
  std::ofstream(dir + "/bad.edn") << "{:workloads [:uniform] :strategies [{:name :adaptive :settings {:level_ratio 1}}]}";
  std::string out, err;
  EXPECT_EQ(Experiment({dir + "/bad.edn", "--out", dir + "/out"}, &out, &err), 1);
  EXPECT_NE(err.find(dir + "/bad.edn: :strategies[0] :settings: "), std::string::npos) << err;
  EXPECT_NE(err.find("level_ratio"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/out"));  // nothing written
  EXPECT_EQ(Experiment({dir + "/missing.edn", "--out", dir + "/out"}, &out, &err), 1);
  EXPECT_NE(err.find("missing.edn: cannot be read"), std::string::npos) << err;
  std::filesystem::remove_all(dir);
}

TEST(ExperimentCommand, WritesItsFolderAndResumes) {
  const std::string dir = FreshDir();
  std::ofstream(dir + "/tiny.edn") << "{:workloads [:uniform] :scales [0.02] :strategies [:adaptive :cow-tree]\n"
                                      " :parameters {:memory-index-threshold \"16k\"}}";
  std::string out, err;
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("2 cells: 2 ran, 0 finished before, 0 left"), std::string::npos) << out;
  for (const char* f : {"/out/experiment.edn", "/out/observations.csv", "/out/report.html"})
    EXPECT_TRUE(std::filesystem::exists(dir + f)) << f;
  std::ifstream csv(dir + "/out/observations.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "cell,workload,strategy,memory_index_threshold,scale,repetition,kind,job,name,value");
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("2 cells: 0 ran, 2 finished before, 0 left"), std::string::npos) << out;
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out", "--dry-run"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("finished uniform-s0.02-adaptive-r1-"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::cli
