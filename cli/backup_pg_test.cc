// A backup of the mbrainz database (the real 1968–1973 subset, loaded by
// `strata load mbrainz`) restored into PostgreSQL reads identically to the
// original: the datoms of every index, current, history and as of a
// middle t. Then an incremental backup after one more transaction and
// indexing job copies exactly the segments that job wrote, and a backup
// taken from PostgreSQL holds the same transactions and segments: the
// database moved between storages and back.
//
// Runs under the `postgres` CTest label (the fixture starts a throw-away
// server; without one it skips). Datomic's backup and restore are for
// "Moving databases from one storage to another"
// (https://docs.datomic.com/operation/backup.html).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/run_binary_test_util.h"
#include "strata/backup.h"
#include "strata/connection.h"
#include "strata/database.h"
#include "strata/location.h"
#include "strata/postgres.h"

namespace strata::cli::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The fixture's server (STRATA_PG_URI, or the file STRATA_PG_URI_FILE
// names); "" when there is none.
std::string PgServer() {
  if (const char* u = std::getenv("STRATA_PG_URI"); u && *u) return u;
  const char* f = std::getenv("STRATA_PG_URI_FILE");
  if (!f) return "";
  std::ifstream in(f);
  std::string uri;
  std::getline(in, uri);
  return uri;
}

std::unique_ptr<Connection> OpenReader(const std::string& location) {
  Options o;
  o.read_only = true;
  o.create_if_missing = false;
  o.background_indexing = false;
  auto c = Connection::Open(location, o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

std::vector<Datom> All(const Database& db, Index index) {
  auto ds = db.DatomsVector(index);
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  return ds.ok() ? std::move(*ds) : std::vector<Datom>{};
}

class BackupPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UsePostgresStorage();
    server_ = PgServer();
    if (server_.empty()) GTEST_SKIP() << "needs a PostgreSQL server: run with ctest -L postgres, or set STRATA_PG_URI";
    dir_ = fs::temp_directory_path() / ("strata_backup_pg_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }
  Outcome Run(const std::vector<std::string>& args) { return RunStrata(args, "", P("out.txt"), P("err.txt")); }
  json RunJson(const std::vector<std::string>& args) {
    Outcome o = Run(args);
    EXPECT_EQ(o.code, 0) << o.err;
    auto j = json::parse(o.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << o.out;
    return j;
  }

  std::string server_;
  fs::path dir_;
};

TEST_F(BackupPgTest, MbrainzRestoredIntoPostgresReadsIdentically) {
  const std::string db = P("mbrainz"), bak = P("bak"), back = P("bak-from-pg");
  const std::string pg = WithStrataDb(server_, "backup_mbrainz");
  ASSERT_TRUE(DestroyDatabase(pg).ok());

  Outcome load = Run({"load", "mbrainz", "--db", db});
  ASSERT_EQ(load.code, 0) << load.err;
  const json b = RunJson({"backup", "--db", db, bak, "--format", "json"});
  ASSERT_GT(b.value("segments", 0), 0);
  EXPECT_EQ(b["segments_copied"], b["segments"]);
  // Verification is the next test's (on mbrainz it costs a full log replay,
  // ~13 s); here every view is compared instead.
  const json r = RunJson({"restore", bak, "--db", pg, "--no-verify", "--format", "json"});
  EXPECT_EQ(r["transactions"], b["transactions"]);

  {
    auto a = OpenReader(db), c = OpenReader(pg);
    ASSERT_TRUE(a && c);
    const Database x = a->db(), y = c->db();
    ASSERT_EQ(x.basis_t(), y.basis_t());
    const T middle = x.basis_t() - (x.basis_t() - b.value("basis_t", T{0}) / 2) / 2;
    for (int i = 0; i < kIndexCount; ++i) {
      const Index index = static_cast<Index>(i);
      const std::vector<Datom> now = All(x, index);
      if (index == Index::kEavt) {  // the subset's ~767 thousand datoms
        EXPECT_GT(now.size(), 700000u);
      }
      EXPECT_TRUE(now == All(y, index)) << IndexName(index);
      EXPECT_TRUE(All(x.History(), index) == All(y.History(), index)) << IndexName(index) << " history";
      EXPECT_TRUE(All(x.AsOf(middle), index) == All(y.AsOf(middle), index)) << IndexName(index) << " as-of";
    }
    ASSERT_TRUE(a->Close().ok());
    ASSERT_TRUE(c->Close().ok());
  }

  // One more transaction and one job: the next backup copies exactly the
  // segments the job wrote.
  std::ofstream(P("tx.edn")) << "[{:artist/gid #uuid \"00000000-0000-0000-0000-0000000000b1\" :artist/name \"B\"}]";
  ASSERT_EQ(Run({"transact", "--db", db, P("tx.edn")}).code, 0);
  const json job = RunJson({"index", "--db", db, "--format", "json"});
  const json inc = RunJson({"backup", "--db", db, bak, "--format", "json"});
  ASSERT_TRUE(job.is_array() && job.size() == 1) << job.dump();
  EXPECT_EQ(inc["segments_copied"], job[0]["segments_written"]) << inc.dump() << job.dump();
  EXPECT_EQ(inc.value("segments_copied", 0) + inc.value("segments_skipped", 0), inc.value("segments", -1));
  EXPECT_LT(inc.value("segments_copied", 0), inc.value("segments", 0) / 10);
  EXPECT_EQ(inc["log_files_copied"], 1);

  // And back out of PostgreSQL: the same transactions and segments.
  const json out = RunJson({"backup", "--db", pg, back, "--format", "json"});
  EXPECT_EQ(out["transactions"], b["transactions"]);
  EXPECT_EQ(out["segments"], b["segments"]);
  EXPECT_EQ(out["last_t"], b["last_t"]);
  ASSERT_TRUE(DestroyDatabase(pg).ok());
}

// A small database into PostgreSQL: verified after the restore, refused a
// second time without --force, replaced with it.
TEST_F(BackupPgTest, SmallDatabaseMovesIntoPostgresVerifiedAndIsNotOverwrittenUnlessForced) {
  const std::string db = P("small"), bak = P("bak");
  const std::string pg = WithStrataDb(server_, "backup_small");
  ASSERT_TRUE(DestroyDatabase(pg).ok());
  std::string tx = "[{:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one "
                   ":db/unique :db.unique/identity}]\n";
  for (int i = 0; i < 300; ++i) tx += "[{:p/id " + std::to_string(i % 40) + "}]\n";
  std::ofstream(P("tx.edn")) << tx;
  ASSERT_EQ(Run({"transact", "--db", db, P("tx.edn")}).code, 0);
  ASSERT_EQ(Run({"index", "--db", db}).code, 0);
  RunJson({"backup", "--db", db, bak, "--format", "json"});
  const json r = RunJson({"restore", bak, "--db", pg, "--format", "json"});
  EXPECT_EQ(r["verified"], true);
  EXPECT_EQ(r["verify_ok"], true) << r.dump();
  auto datoms = [&](const std::string& location) {
    Outcome o = Run({"datoms", "--db", location, "eavt", "--history"});
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  };
  const std::string original = datoms(db);
  EXPECT_EQ(datoms(pg), original);
  Outcome refused = Run({"restore", bak, "--db", pg});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  Outcome forced = Run({"restore", bak, "--db", pg, "--force"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(datoms(pg), original);
  ASSERT_TRUE(DestroyDatabase(pg).ok());
}

// A writer on PostgreSQL whose job collects segments of the root a backup
// is copying (segment_retain_ms 0: deleted at once): the backup starts
// over from the newer root, and what it holds is that root's database.
// (In a folder the bytes of a deleted blob stay in its pack until the pack
// is compacted, so this is PostgreSQL's case.)
TEST_F(BackupPgTest, BackupStartsOverWhenTheWriterCollectsTheRootItCopies) {
  const std::string pg = WithStrataDb(server_, "backup_gc");
  ASSERT_TRUE(DestroyDatabase(pg).ok());
  Options o;
  o.sync = SyncPolicy::kNever;
  o.memory_index_threshold = 16 << 10;
  o.segment_datoms = 32;
  auto w = Connection::Open(pg, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Connection& c = **w;
  ASSERT_TRUE(c.Transact("[{:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one "
                         ":db/unique :db.unique/identity} {:db/ident :p/n :db/valueType :db.type/long "
                         ":db/cardinality :db.cardinality/one}]")
                  .ok());
  auto commit = [&](int from, int to) {
    std::string tx = "[";
    for (int i = from; i < to; ++i)
      tx += "{:p/id " + std::to_string(i % 500) + " :p/n " + std::to_string(i) + "}";
    auto r = c.Transact(tx + "]");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  };
  for (int i = 0; i < 40; ++i) commit(i * 50, i * 50 + 50);
  ASSERT_TRUE(c.IndexNow().ok());

  bool moved = false;
  BackupOptions bo;
  bo.progress = [&](const BackupProgress& p) {
    if (moved || std::string(p.phase) != "segments") return;
    moved = true;  // once, after the first batch of segments is copied
    for (int i = 40; i < 60; ++i) commit(i * 50, i * 50 + 50);
    auto jobs = c.IndexNow();
    ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  };
  auto b = Backup(pg, P("bak"), bo);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(moved);
  EXPECT_GT(b->segments, 64u);  // more than the first batch
  EXPECT_EQ(b->attempts, 2);
  EXPECT_EQ(b->last_t, c.db().basis_t());

  RestoreOptions ro;
  auto r = Restore(P("bak"), P("restored"), ro);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
  auto restored = OpenReader(P("restored"));
  ASSERT_TRUE(restored);
  for (int i = 0; i < kIndexCount; ++i) {
    const Index index = static_cast<Index>(i);
    EXPECT_TRUE(All(c.db(), index) == All(restored->db(), index)) << IndexName(index);
    EXPECT_TRUE(All(c.db().History(), index) == All(restored->db().History(), index)) << IndexName(index);
  }
  ASSERT_TRUE(restored->Close().ok());
  ASSERT_TRUE(c.Close().ok());
  ASSERT_TRUE(DestroyDatabase(pg).ok());
}

}  // namespace
}  // namespace strata::cli::testing
