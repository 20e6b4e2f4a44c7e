// readonly_cli_test.cc — end to end: read commands open read-only (they
// run while a writer process holds the database and change no byte),
// `strata log` refuses a log cut below the index, and `strata repair`
// rebuilds a damaged index or refuses with exit 1.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cli/run_binary_test_util.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using strata::cli::testing::Outcome;
using strata::cli::testing::RunStrata;
using strata::cli::testing::Slurp;
using strata::cli::testing::StartStrata;

size_t CountLines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

// Every file's bytes and modification time.
std::map<std::string, std::pair<std::string, fs::file_time_type>> Snapshot(const std::string& dir) {
  std::map<std::string, std::pair<std::string, fs::file_time_type>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[e.path().string()] = {e.is_regular_file() ? Slurp(e.path().string()) : "", fs::last_write_time(e.path())};
  return out;
}

class ReadOnlyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-ro-cli-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    db_ = root_ + "/db";
  }
  void TearDown() override { fs::remove_all(root_); }

  // Starts the binary with stdout and stderr to files; returns its pid.
  pid_t Start(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
    return StartStrata(args, "", out, err);
  }
  Outcome Run(const std::vector<std::string>& args) {
    return RunStrata(args, "", root_ + "/stdout.txt", root_ + "/stderr.txt");
  }
  // A crash-writer that commits `n` numbered transactions and exits.
  void Write(int n) {
    Outcome o = Run({"crash-writer", "--db", db_, "--transactions", std::to_string(n), "--memory-index-threshold",
                     "4096"});
    ASSERT_EQ(o.code, 0) << o.err;
  }

  std::string root_, db_;
};

TEST_F(ReadOnlyCliTest, ReadCommandsRunWhileAWriterProcessHoldsTheDatabase) {
  Write(50);
  // A writer that keeps committing (and indexing) until killed.
  const std::string acks = root_ + "/acks.txt";
  const pid_t writer = Start({"crash-writer", "--db", db_, "--memory-index-threshold", "4096"}, acks,
                             root_ + "/writer-err.txt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (CountLines(Slurp(acks)) < 20 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(CountLines(Slurp(acks)), 20u) << Slurp(root_ + "/writer-err.txt");
  // The writer holds the lock: another writer is refused...
  Outcome busy = Run({"crash-writer", "--db", db_, "--transactions", "1"});
  EXPECT_EQ(busy.code, 1) << busy.out;
  // ...and every read command runs.
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"datoms", "--db", db_, "aevt", ":w/n"},
                                             {"log", "--db", db_, "--from", "1000", "--to", "1005"},
                                             {"q", "--db", db_, "[:find (count ?e) :where [?e :w/n]]"},
                                             {"pull", "--db", db_, "[*]", "[:w/n 3]"},
                                             {"verify", "--db", db_}}) {
    Outcome o = Run(cmd);
    EXPECT_EQ(o.code, 0) << cmd[0] << ": " << o.err;
    EXPECT_FALSE(o.out.empty()) << cmd[0];
  }
  Outcome datoms = Run({"datoms", "--db", db_, "aevt", ":w/n"});
  EXPECT_GE(CountLines(datoms.out), 50u);
  kill(writer, SIGKILL);
  int status = 0;
  waitpid(writer, &status, 0);
}

TEST_F(ReadOnlyCliTest, ReadCommandsChangeNoByteOfACrashedDatabase) {
  Write(40);
  // What a crash leaves: half a log record after the last one.
  { std::ofstream(db_ + "/log", std::ios::binary | std::ios::app) << std::string("\x30\x00\x00\x00\x01", 5); }
  const auto before = Snapshot(db_);
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"datoms", "--db", db_, "eavt"}, {"log", "--db", db_}, {"q", "--db", db_, "[:find ?n :where [_ :w/n ?n]]"},
           {"verify", "--db", db_}}) {
    Outcome o = Run(cmd);
    EXPECT_EQ(o.code, 0) << cmd[0] << ": " << o.err;
  }
  EXPECT_EQ(Snapshot(db_), before);
}

TEST_F(ReadOnlyCliTest, LogCutBelowTheIndexFailsEveryCommandAndRepairRefuses) {
  Write(30);
  Outcome idx = Run({"index", "--db", db_});
  ASSERT_EQ(idx.code, 0) << idx.err;
  const std::string log = db_ + "/log";
  fs::resize_file(log, fs::file_size(log) / 2);
  const auto before = Snapshot(db_);
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"log", "--db", db_}, {"datoms", "--db", db_, "eavt"}, {"verify", "--db", db_}, {"repair", "--db", db_}}) {
    Outcome o = Run(cmd);
    EXPECT_EQ(o.code, 1) << cmd[0];
    EXPECT_NE(o.err.find("below the index root's basis"), std::string::npos) << cmd[0] << ": " << o.err;
  }
  Outcome tx = Run({"crash-writer", "--db", db_, "--transactions", "1"});
  EXPECT_EQ(tx.code, 1);
  EXPECT_NE(tx.err.find("below the index root's basis"), std::string::npos) << tx.err;
  EXPECT_EQ(Snapshot(db_), before);
}

TEST_F(ReadOnlyCliTest, RepairRebuildsAnIndexWhosePackHeaderIsDamaged) {
  Write(200);
  Outcome idx = Run({"index", "--db", db_});
  ASSERT_EQ(idx.code, 0) << idx.err;
  const Outcome want = Run({"datoms", "--db", db_, "eavt"});
  ASSERT_EQ(want.code, 0);
  // Damage the header checksum of the pack's first record (a segment the
  // root names, or one before them).
  const std::string pack = db_ + "/packs/0000000001.pack";
  std::string bytes = Slurp(pack);
  ASSERT_GT(bytes.size(), 100u);
  bytes[21] = static_cast<char>(bytes[21] ^ 0x40);
  std::ofstream(pack, std::ios::binary | std::ios::trunc) << bytes;
  Outcome v = Run({"verify", "--db", db_});
  EXPECT_EQ(v.code, 1);
  EXPECT_NE(v.err.find(pack), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("offset 0"), std::string::npos) << v.err;
  EXPECT_EQ(Slurp(pack), bytes);  // verify repaired nothing
  Outcome r = Run({"repair", "--db", db_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("moved aside"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rebuilt from the log"), std::string::npos) << r.out;
  EXPECT_EQ(Run({"datoms", "--db", db_, "eavt"}).out, want.out);
  EXPECT_EQ(Run({"verify", "--db", db_}).code, 0);
}

}  // namespace
