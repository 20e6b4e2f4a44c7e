// `strata backup` and `strata restore` end to end, through the built
// binary on temporary folders: the summary's counts (a second backup
// copies nothing, a third only the new segments), a restored database
// printing the same datoms as the original in every index, the refusal to
// restore over a database without --force, and a damaged backup refused
// naming the file with nothing written.
//
// Datomic's contract these follow: "repeat backups to the same backup-uri
// take advantage of differential backup"
// (https://docs.datomic.com/operation/backup.html).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli/run_binary_test_util.h"

namespace strata::cli::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class BackupCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("strata_backup_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string P(const std::string& name) const { return (dir_ / name).string(); }
  Outcome Run(const std::vector<std::string>& args, const std::string& in = "") {
    return RunStrata(args, in, P("out.txt"), P("err.txt"));
  }
  // Commits `n` transactions of small entities (updates among them).
  void Transact(const std::string& db, int from, int n) {
    std::string tx;
    if (from == 0)
      tx = "[{:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one "
           ":db/unique :db.unique/identity}"
           " {:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}]\n";
    for (int i = from; i < from + n; ++i)
      tx += "[{:p/id " + std::to_string(i % 150) + " :p/name \"name " + std::to_string(i) + "\"}]\n";
    std::ofstream(P("tx.edn")) << tx;
    Outcome o = Run({"transact", "--db", db, "--format", "json", P("tx.edn")});
    ASSERT_EQ(o.code, 0) << o.err;
    Outcome ix = Run({"index", "--db", db});
    ASSERT_EQ(ix.code, 0) << ix.err;
  }
  json Backup(const std::string& db, const std::string& dest) {
    Outcome o = Run({"backup", "--db", db, dest, "--format", "json"});
    EXPECT_EQ(o.code, 0) << o.err;
    auto j = json::parse(o.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << o.out;
    return j;
  }
  std::string Datoms(const std::string& db, const std::string& index, const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {"datoms", "--db", db, index};
    args.insert(args.end(), more.begin(), more.end());
    Outcome o = Run(args);
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  }

  // Every file under `dir`, path → bytes.
  static std::map<std::string, std::string> Files(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file()) out[e.path().string()] = Slurp(e.path().string());
    return out;
  }

  fs::path dir_;
};

TEST_F(BackupCliTest, IncrementalBackupsAndARestoreThatReadsTheSame) {
  const std::string db = P("db"), bak = P("bak"), restored = P("restored");
  Transact(db, 0, 400);
  const json first = Backup(db, bak);
  ASSERT_GT(first.value("segments", 0), 0);
  EXPECT_EQ(first["segments_copied"], first["segments"]);
  EXPECT_EQ(first["segments_skipped"], 0);

  // Backup is a reader: the database folder keeps every byte (and gains no file).
  const auto before = Files(db);
  const json again = Backup(db, bak);
  const auto after = Files(db);
  EXPECT_EQ(after.size(), before.size());
  for (const auto& [path, bytes] : before) EXPECT_TRUE(after.count(path) && after.at(path) == bytes) << path;
  EXPECT_EQ(again["segments_copied"], 0);
  EXPECT_EQ(again["segments_skipped"], first["segments"]);
  EXPECT_EQ(again["bytes_copied"], 0);

  Transact(db, 400, 50);
  const json third = Backup(db, bak);
  EXPECT_GT(third.value("segments_copied", 0), 0);
  EXPECT_GT(third.value("segments_skipped", 0), 0);
  EXPECT_EQ(third.value("segments_copied", 0) + third.value("segments_skipped", 0), third.value("segments", -1));
  EXPECT_EQ(third["log_files_copied"], 1);
  EXPECT_EQ(third["transactions"], first.value("transactions", 0) + 50);
  Outcome r = Run({"restore", bak, "--db", restored, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json rj = json::parse(r.out, nullptr, false);
  EXPECT_EQ(rj["verify_ok"], true) << r.out;
  for (const std::string index : {"eavt", "aevt", "avet", "vaet"}) {
    EXPECT_EQ(Datoms(db, index), Datoms(restored, index)) << index;
    EXPECT_EQ(Datoms(db, index, {"--history"}), Datoms(restored, index, {"--history"})) << index;
  }
  EXPECT_EQ(Datoms(db, "eavt", {"--as-of", "1100"}), Datoms(restored, "eavt", {"--as-of", "1100"}));
  Outcome v = Run({"verify", "--db", restored});
  EXPECT_EQ(v.code, 0) << v.err;
}

TEST_F(BackupCliTest, RefusesToRestoreOverADatabaseUnlessForced) {
  const std::string db = P("db"), bak = P("bak"), other = P("other");
  Transact(db, 0, 100);
  Backup(db, bak);
  Transact(other, 0, 10);
  const std::string before = Datoms(other, "eavt");
  Outcome refused = Run({"restore", bak, "--db", other});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(Datoms(other, "eavt"), before);
  Outcome forced = Run({"restore", bak, "--db", other, "--force"});
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(Datoms(other, "eavt"), Datoms(db, "eavt"));
}

TEST_F(BackupCliTest, DamagedBackupIsRefusedNamingTheFile) {
  const std::string db = P("db"), bak = P("bak");
  Transact(db, 0, 100);
  Backup(db, bak);
  std::string victim;
  for (const auto& e : fs::directory_iterator(fs::path(bak) / "segments")) {
    victim = e.path().string();
    break;
  }
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(10);
    char c = 0;
    f.read(&c, 1);
    c ^= 0x40;
    f.seekp(10);
    f.write(&c, 1);
  }
  Outcome o = Run({"restore", bak, "--db", P("restored")});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find(victim), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("checksum mismatch"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(P("restored")));
}

TEST_F(BackupCliTest, BadArguments) {
  Outcome none = Run({"backup", "--db", P("missing"), P("bak")});
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("missing"), std::string::npos) << none.err;
  Outcome no_backup = Run({"restore", P("nothing"), "--db", P("x")});
  EXPECT_EQ(no_backup.code, 1);
  EXPECT_NE(no_backup.err.find("no backup at"), std::string::npos) << no_backup.err;
}

}  // namespace
}  // namespace strata::cli::testing
