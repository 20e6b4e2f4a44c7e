// Datasets: what `strata gen` writes replays into exactly the database the
// generator itself builds, and a damaged dataset is an error, never a
// shorter run.
#include "workloads/dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/env.h"

namespace strata::workloads {
namespace {

namespace fs = std::filesystem;

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-dataset-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static WorkloadOptions Opts(const std::string& name, double scale) {
    WorkloadOptions o;
    o.name = name;
    o.scale = scale;
    o.seed = 3;
    return o;
  }
  // Commits every transaction of `w` into a fresh memory database (a fixed
  // clock, so txInstants agree) and returns its history in EAVT order.
  static Result<std::vector<Datom>> Commit(Workload& w) {
    auto env = NewMemEnv();
    Options o;
    o.env = env.get();
    o.background_indexing = false;
    o.clock = [] { return int64_t{1700000000000}; };
    STRATA_ASSIGN_OR_RETURN(auto conn, Connection::Open("/db", o));
    w.RegisterTxFunctions(*conn);
    for (const edn::Node& s : w.Schema()) STRATA_RETURN_IF_ERROR(conn->Transact(s).status());
    Step step;
    while (w.Next(&step))
      if (step.kind == Step::Kind::kTransact) STRATA_RETURN_IF_ERROR(conn->Transact(step.tx).status());
    return conn->db().History().DatomsVector(Index::kEavt);
  }

  fs::path dir_;
};

TEST_F(DatasetTest, ReplayBuildsTheSameDatabaseAsTheGenerator) {
  for (const char* name : {"uniform", "mbrainz-synth"}) {
    SCOPED_TRACE(name);
    const fs::path out = dir_ / name;
    auto w = MakeWorkload(Opts(name, 0.05));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    uint64_t calls = 0;
    auto sum = WriteDataset(**w, Opts(name, 0.05), out.string(), [&](uint64_t) { ++calls; }, nullptr);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    EXPECT_GT(sum->transactions, 0u);
    EXPECT_EQ(calls, sum->transactions);
    EXPECT_TRUE(fs::exists(out / "manifest.json"));

    auto fresh = MakeWorkload(Opts(name, 0.05));
    ASSERT_TRUE(fresh.ok());
    auto expected = Commit(**fresh);
    ASSERT_TRUE(expected.ok()) << expected.status().ToString();
    WorkloadOptions ro = Opts("replay", 1);
    ro.data_dir = out.string();
    auto replay = MakeWorkload(ro);
    ASSERT_TRUE(replay.ok()) << replay.status().ToString();
    EXPECT_EQ((*replay)->EstimatedSteps(), sum->transactions);
    auto got = Commit(**replay);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->size(), expected->size());
    EXPECT_TRUE(*got == *expected) << "the replayed history differs from the generated one";
  }
}

TEST_F(DatasetTest, AFolderWithoutADatasetIsNotFoundAndAnExistingOneIsKept) {
  WorkloadOptions ro = Opts("replay", 1);
  EXPECT_TRUE(MakeWorkload(ro).status().IsInvalidArgument());  // no --data-dir
  ro.data_dir = (dir_ / "nothing").string();
  EXPECT_TRUE(MakeWorkload(ro).status().IsNotFound());
  auto w = MakeWorkload(Opts("uniform", 0.01));
  ASSERT_TRUE(WriteDataset(**w, Opts("uniform", 0.01), dir_.string(), nullptr, nullptr).ok());
  auto again = MakeWorkload(Opts("uniform", 0.01));
  auto second = WriteDataset(**again, Opts("uniform", 0.01), dir_.string(), nullptr, nullptr);
  EXPECT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("already holds a dataset"), std::string::npos) << second.status().ToString();
}

TEST_F(DatasetTest, ATruncatedStreamFailsTheReplay) {
  auto w = MakeWorkload(Opts("uniform", 0.05));
  ASSERT_TRUE(WriteDataset(**w, Opts("uniform", 0.05), dir_.string(), nullptr, nullptr).ok());
  const fs::path tx = dir_ / "transactions.edn.zst";
  fs::resize_file(tx, fs::file_size(tx) / 2);
  WorkloadOptions ro = Opts("replay", 1);
  ro.data_dir = dir_.string();
  auto replay = MakeWorkload(ro);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  auto got = Commit(**replay);
  ASSERT_FALSE(got.ok()) << "half a dataset replayed as if it were whole";
  EXPECT_TRUE(got.status().IsCorruption()) << got.status().ToString();
}

TEST_F(DatasetTest, AnInterruptedWriteLeavesNoDataset) {
  auto w = MakeWorkload(Opts("uniform", 0.05));
  uint64_t n = 0;
  auto sum = WriteDataset(**w, Opts("uniform", 0.05), dir_.string(), [&](uint64_t t) { n = t; }, [&] { return n >= 3; });
  EXPECT_FALSE(sum.ok());
  EXPECT_FALSE(fs::exists(dir_ / "manifest.json"));
  EXPECT_FALSE(fs::exists(dir_ / "transactions.edn.zst"));
}

}  // namespace
}  // namespace strata::workloads
