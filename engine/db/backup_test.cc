// Backup and restore (strata/backup.h): a restored database reads exactly
// as the original in every index and view; a second backup copies only
// the segments that are new (counted exactly against the roots); backup
// changes no byte of its source and runs beside a writer; an interrupted
// backup leaves the previous one whole; a torn or altered backup is
// refused naming the file, and nothing is written.
//
// Datomic's backup and restore, which this follows: "Backups can be
// performed at any time against a live system and repeat backups to the
// same backup-uri take advantage of differential backup"; backup and
// restore are for "Moving databases from one storage to another"
// (https://docs.datomic.com/operation/backup.html).
#include "strata/backup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "index/durable_index.h"
#include "state/db_access.h"
#include "testing/test_util.h"

namespace strata {
namespace {

using testing::Dump;

constexpr const char* kSchema = R"([
  {:db/ident :v/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :v/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :v/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :v/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :v/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}])";

// The paths whose bytes differ between two snapshots (or are in one only).
std::vector<std::string> Differ(const std::map<std::string, std::string>& a,
                                const std::map<std::string, std::string>& b) {
  std::vector<std::string> out;
  for (const auto& [p, bytes] : a)
    if (!b.count(p) || b.at(p) != bytes) out.push_back(p);
  for (const auto& [p, bytes] : b)
    if (!a.count(p)) out.push_back(p);
  return out;
}

// Every file under `dir`, path → bytes.
std::map<std::string, std::string> Snapshot(Env* env, const std::string& dir) {
  std::map<std::string, std::string> out;
  auto names = env->ListDir(dir);
  EXPECT_TRUE(names.ok()) << names.status().ToString();
  if (!names.ok()) return out;
  for (const std::string& n : *names) {
    const std::string p = dir + "/" + n;
    if (env->ListDir(p).ok()) {
      out.merge(Snapshot(env, p));
    } else {
      auto bytes = env->ReadFile(p);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      if (bytes.ok()) out[p] = *bytes;
    }
  }
  return out;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override { env_ = NewMemEnv(); }

  Options Writer() {
    Options o;
    o.env = env_.get();
    o.sync = SyncPolicy::kNever;
    o.memory_index_threshold = 4 << 10;
    o.segment_datoms = 64;
    return o;
  }
  std::unique_ptr<Connection> Open(const std::string& dir, Options o) {
    auto c = Connection::Open(dir, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::unique_ptr<Connection> OpenReader(const std::string& dir) {
    Options o;
    o.env = env_.get();
    o.read_only = true;
    o.create_if_missing = false;
    o.background_indexing = false;
    return Open(dir, o);
  }
  // Commits transactions [from, to) (updates, refs, retractions).
  static void Commit(Connection& c, int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string id = std::to_string(i % 60);
      std::string tx = "[{:v/id " + id + " :v/name \"n" + std::to_string(i % 7) + "\" :v/n " + std::to_string(i) +
                       " :v/tags [:t" + std::to_string(i % 3) + "]}";
      if (i >= 60) tx += " {:v/id " + id + " :v/friend [:v/id " + std::to_string((i + 1) % 60) + "]}";
      if (i >= 60 && i % 5 == 0) tx += " [:db/retract [:v/id " + id + "] :v/tags :t" + std::to_string((i + 1) % 3) + "]";
      tx += "]";
      auto r = c.Transact(tx);
      ASSERT_TRUE(r.ok()) << r.status().ToString() << " in " << tx;
    }
  }
  void Build(int n) {
    auto c = Open("/db", Writer());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->Transact(kSchema).ok());
    Commit(*c, 0, n);
    ASSERT_TRUE(c->IndexNow().ok());
    ASSERT_GT(c->stats().jobs, 2u);
    ASSERT_TRUE(c->Close().ok());
  }
  BackupOptions BOpts() {
    BackupOptions o;
    o.env = env_.get();
    return o;
  }
  RestoreOptions ROpts() {
    RestoreOptions o;
    o.env = env_.get();
    return o;
  }
  // Every id the database's root reaches.
  std::set<uint64_t> RootIds(const std::string& dir) {
    auto c = OpenReader(dir);
    std::vector<uint64_t> ids;
    if (c) DbAccess::State(c->db())->root->CollectIds(&ids);
    return {ids.begin(), ids.end()};
  }
  // Both databases read the same in every index, current and history,
  // and as of `as_of` when given.
  void ExpectSameReads(const Database& a, const Database& b, T as_of) {
    ASSERT_EQ(a.basis_t(), b.basis_t());
    for (int o = 0; o < kIndexCount; ++o) {
      const Index index = static_cast<Index>(o);
      const std::vector<std::string> cur = Dump(a, index);
      EXPECT_FALSE(cur.empty());
      EXPECT_EQ(cur, Dump(b, index)) << IndexName(index);
      EXPECT_EQ(Dump(a.History(), index), Dump(b.History(), index)) << IndexName(index) << " history";
      EXPECT_EQ(Dump(a.AsOf(as_of), index), Dump(b.AsOf(as_of), index)) << IndexName(index) << " as-of " << as_of;
    }
  }
  void ExpectSameReads(const std::string& x, const std::string& y, T as_of) {
    auto a = OpenReader(x), b = OpenReader(y);
    ASSERT_TRUE(a && b);
    ExpectSameReads(a->db(), b->db(), as_of);
  }

  std::unique_ptr<Env> env_;
};

TEST_F(BackupTest, RestoredDatabaseReadsAsTheOriginalAndVerifies) {
  Build(300);
  {  // novelty past the root, so the log holds more than the index
    auto c = Open("/db", Writer());
    ASSERT_TRUE(c);
    Commit(*c, 300, 310);
    ASSERT_TRUE(c->Close().ok());
  }
  auto b = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_GT(b->basis_t, 0u);
  EXPECT_GT(b->last_t, b->basis_t);
  EXPECT_EQ(b->segments, RootIds("/db").size());
  EXPECT_EQ(b->segments_copied, b->segments);
  EXPECT_EQ(b->transactions, 311u);  // the schema and 310 more
  auto r = Restore("/bak", "/restored", ROpts());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->verified);
  EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
  EXPECT_EQ(r->verify.basis_t, b->basis_t);
  EXPECT_EQ(RootIds("/restored"), RootIds("/db"));
  ExpectSameReads("/db", "/restored", b->basis_t - 40);
}

TEST_F(BackupTest, BackupChangesNoByteOfTheSource) {
  Build(200);
  const auto before = Snapshot(env_.get(), "/db");
  ASSERT_TRUE(Backup("/db", "/bak", BOpts()).ok());
  ASSERT_TRUE(Backup("/db", "/bak", BOpts()).ok());
  EXPECT_EQ(Differ(Snapshot(env_.get(), "/db"), before), std::vector<std::string>{});
}

TEST_F(BackupTest, SecondBackupCopiesOnlyNewSegments) {
  Build(300);
  auto first = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->segments_copied, first->segments);
  EXPECT_EQ(first->segments_skipped, 0u);

  // Nothing changed: nothing copied.
  auto same = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->segments_copied, 0u);
  EXPECT_EQ(same->segments_skipped, first->segments);
  EXPECT_EQ(same->log_files_copied, 0u);
  EXPECT_EQ(same->bytes_copied, 0u);

  // More transactions and jobs: exactly the segments the old root lacks.
  const std::set<uint64_t> old_ids = RootIds("/db");
  {
    auto c = Open("/db", Writer());
    ASSERT_TRUE(c);
    Commit(*c, 300, 340);
    ASSERT_TRUE(c->IndexNow().ok());
    ASSERT_TRUE(c->Close().ok());
  }
  const std::set<uint64_t> new_ids = RootIds("/db");
  uint64_t fresh = 0;
  for (uint64_t id : new_ids) fresh += old_ids.count(id) == 0;
  ASSERT_GT(fresh, 0u);
  ASSERT_LT(fresh, new_ids.size());
  auto second = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->segments, new_ids.size());
  EXPECT_EQ(second->segments_copied, fresh);
  EXPECT_EQ(second->segments_skipped, new_ids.size() - fresh);
  EXPECT_EQ(second->log_files_copied, 1u);  // the 40 new transactions
  EXPECT_EQ(second->log_files_skipped, first->log_files_copied);
  EXPECT_LT(second->bytes_copied, second->bytes_total);
  EXPECT_GT(second->files_removed, 0u);  // the old root and the segments it alone reached
  // Only what the manifest lists is left, and it restores to the new state.
  auto r = Restore("/bak", "/restored", ROpts());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
  ExpectSameReads("/db", "/restored", first->last_t);
  EXPECT_EQ(Snapshot(env_.get(), "/bak").size(), 3 + second->segments + first->log_files_copied + 1);
}

// An excision rewrites the log: the next backup replaces its log files
// (none is kept) and the excised entity is gone from the restored log and
// history.
TEST_F(BackupTest, ExcisionLeavesTheBackupToo) {
  Build(200);
  auto first = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EntityId e = 0;
  {
    auto c = Open("/db", Writer());
    ASSERT_TRUE(c);
    auto id = c->db().Entid(*edn::ReadOne("[:v/id 7]"));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    e = *id;
    ASSERT_TRUE(c->Transact("[[:db/excise " + std::to_string(e) + "]]").ok());
    ASSERT_TRUE(c->IndexNow().ok());
    ASSERT_TRUE(c->Close().ok());
  }
  auto second = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->log_files_skipped, 0u);
  EXPECT_GE(second->log_files_copied, 1u);
  auto r = Restore("/bak", "/restored", ROpts());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
  auto restored = OpenReader("/restored");
  ASSERT_TRUE(restored);
  EXPECT_TRUE(Dump(restored->db().History(), Index::kEavt, {std::to_string(e)}).empty());
  uint64_t seen = 0;
  ASSERT_TRUE(restored->TxRange(0, 1u << 30, [&](T, const std::vector<Datom>& ds) {
    for (const Datom& d : ds) seen += d.e == e;
    return Status::OK();
  }).ok());
  EXPECT_EQ(seen, 0u);
  ExpectSameReads("/db", "/restored", second->last_t - 20);
}

TEST_F(BackupTest, NeverIndexedDatabaseRestoresFromItsLog) {
  {
    Options o = Writer();
    o.memory_index_threshold = 1 << 30;
    auto c = Open("/db", o);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->Transact(kSchema).ok());
    Commit(*c, 0, 20);
    ASSERT_TRUE(c->Close().ok());
  }
  auto b = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->segments, 0u);
  EXPECT_EQ(b->basis_t, 0u);
  auto r = Restore("/bak", "/restored", ROpts());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
  ExpectSameReads("/db", "/restored", b->last_t - 5);
}

TEST_F(BackupTest, RefusesToRestoreOverADatabaseUnlessForced) {
  Build(100);
  ASSERT_TRUE(Backup("/db", "/bak", BOpts()).ok());
  const auto before = Snapshot(env_.get(), "/db");
  auto r = Restore("/bak", "/db", ROpts());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("--force"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(Differ(Snapshot(env_.get(), "/db"), before), std::vector<std::string>{});

  // Forced, over a different database: it becomes the backup's.
  {
    auto c = Open("/other", Writer());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->Transact(kSchema).ok());
    Commit(*c, 0, 5);
    ASSERT_TRUE(c->Close().ok());
  }
  RestoreOptions o = ROpts();
  o.force = true;
  auto forced = Restore("/bak", "/other", o);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_TRUE(forced->verify.ok) << forced->verify.ToString();
  ExpectSameReads("/db", "/other", 50);
}

// Copies the backup folder to `to` and damages one file there.
class DamagedBackupTest : public BackupTest {
 protected:
  void SetUp() override {
    BackupTest::SetUp();
    Build(200);
    auto b = Backup("/db", "/bak", BOpts());
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    files_ = Snapshot(env_.get(), "/bak");
  }
  // A file of the backup whose name starts with `prefix` (under /bak/).
  std::string Pick(const std::string& prefix) {
    for (const auto& [p, bytes] : files_)
      if (p.rfind("/bak/" + prefix, 0) == 0) return p;
    ADD_FAILURE() << "no file " << prefix;
    return "";
  }
  void Rewrite(const std::string& path, const std::string& bytes) {
    ASSERT_TRUE(WriteFileAtomic(env_.get(), path, bytes).ok());
  }
  // Restore fails with Corruption naming `path`, and writes nothing.
  void ExpectRefused(const std::string& path) {
    auto r = Restore("/bak", "/restored", ROpts());
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().ToString();
    EXPECT_FALSE(env_->FileExists("/restored"));
  }
  std::map<std::string, std::string> files_;
};

TEST_F(DamagedBackupTest, FlippedByteInASegment) {
  const std::string p = Pick("segments/");
  std::string bytes = files_[p];
  bytes[bytes.size() / 2] ^= 0x10;
  Rewrite(p, bytes);
  ExpectRefused(p);
}

TEST_F(DamagedBackupTest, TruncatedLogFile) {
  const std::string p = Pick("log/");
  Rewrite(p, files_[p].substr(0, files_[p].size() - 7));
  ExpectRefused(p);
}

TEST_F(DamagedBackupTest, DeletedSegment) {
  const std::string p = Pick("segments/");
  ASSERT_TRUE(env_->DeleteFile(p).ok());
  ExpectRefused(p);
}

TEST_F(DamagedBackupTest, AlteredRootAndManifest) {
  const std::string root = Pick("root-");
  std::string bytes = files_[root];
  bytes[12] ^= 1;
  Rewrite(root, bytes);
  ExpectRefused(root);
  Rewrite(root, files_[root]);
  std::string m = files_["/bak/manifest"];
  m[m.find("transactions ") + 13] ^= 1;  // a digit into another
  Rewrite("/bak/manifest", m);
  ExpectRefused("/bak/manifest");
  Rewrite("/bak/manifest", files_["/bak/manifest"].substr(0, 100));  // torn
  ExpectRefused("/bak/manifest");
}

// A damaged file is not kept by the next backup: it is written again.
TEST_F(DamagedBackupTest, NextBackupRewritesADamagedFile) {
  const std::string p = Pick("segments/");
  std::string bytes = files_[p];
  bytes[bytes.size() / 3] ^= 0x04;
  Rewrite(p, bytes);
  auto b = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->segments_copied, 1u);
  EXPECT_EQ(b->segments_skipped, b->segments - 1);
  EXPECT_EQ(Differ(Snapshot(env_.get(), "/bak"), files_), std::vector<std::string>{});
  auto r = Restore("/bak", "/restored", ROpts());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
}

TEST_F(BackupTest, InterruptedBackupLeavesThePreviousOne) {
  Build(200);
  auto first = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  {
    auto c = Open("/db", Writer());
    ASSERT_TRUE(c);
    Commit(*c, 200, 260);
    ASSERT_TRUE(c->IndexNow().ok());
    ASSERT_TRUE(c->Close().ok());
  }
  // Stopped after a few new segments are written, before the manifest.
  std::atomic<bool> cancel{false};
  BackupOptions o = BOpts();
  o.cancel = &cancel;
  o.progress = [&](const BackupProgress& p) {
    if (std::string(p.phase) == "segments" && p.bytes > 0) cancel = true;
  };
  auto stopped = Backup("/db", "/bak", o);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), Code::kAborted) << stopped.status().ToString();

  auto r = Restore("/bak", "/restored", ROpts());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
  EXPECT_EQ(r->last_t, first->last_t);
  EXPECT_EQ(r->segments, first->segments);

  // The next backup completes, and keeps only what its manifest lists.
  auto next = Backup("/db", "/bak", BOpts());
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(Snapshot(env_.get(), "/bak").size(),
            3 + next->segments + next->log_files_copied + next->log_files_skipped);  // manifest, root, LOCK
}

TEST_F(BackupTest, BackupBesideAWriterIsConsistent) {
  Build(100);
  Options o = Writer();
  o.memory_index_threshold = 2 << 10;
  auto w = Open("/db", o);
  ASSERT_TRUE(w);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 100; !stop && i < 5000; i += 5) Commit(*w, i, i + 5);
  });
  for (int round = 0; round < 4; ++round) {
    auto b = Backup("/db", "/bak", BOpts());
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    const std::string to = "/restored" + std::to_string(round);
    auto r = Restore("/bak", to, ROpts());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->verify.ok) << r->verify.ToString();
    // The restored database is the writer's as of the backup's last t.
    auto restored = OpenReader(to);
    ASSERT_TRUE(restored);
    const Database now = w->db();
    ASSERT_GE(now.basis_t(), b->last_t);
    for (int i = 0; i < kIndexCount; ++i) {
      const Index index = static_cast<Index>(i);
      EXPECT_EQ(Dump(now.AsOf(b->last_t), index), Dump(restored->db(), index)) << IndexName(index);
    }
  }
  stop = true;
  writer.join();
  ASSERT_TRUE(w->Close().ok());
}

TEST_F(BackupTest, NoDatabaseAndNotABackupFolder) {
  auto none = Backup("/nothing", "/bak", BOpts());
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(none.status().IsNotFound()) << none.status().ToString();
  Build(20);
  ASSERT_TRUE(env_->CreateDirs("/busy").ok());
  ASSERT_TRUE(WriteFileAtomic(env_.get(), "/busy/notes.txt", "mine").ok());
  auto b = Backup("/db", "/busy", BOpts());
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(b.status().IsInvalidArgument()) << b.status().ToString();
  EXPECT_NE(b.status().message().find("/busy"), std::string::npos);
  // A backup inside its database, a restore inside its backup.
  auto inside = Backup("/db", "/db/bak", BOpts());
  ASSERT_FALSE(inside.ok());
  EXPECT_TRUE(inside.status().IsInvalidArgument()) << inside.status().ToString();
  EXPECT_FALSE(env_->FileExists("/db/bak"));
  ASSERT_TRUE(Backup("/db", "/bak", BOpts()).ok());
  auto into = Restore("/bak", "/bak/db", ROpts());
  ASSERT_FALSE(into.ok());
  EXPECT_TRUE(into.status().IsInvalidArgument()) << into.status().ToString();
  {  // one backup to a folder at a time
    auto held = env_->LockFile("/bak/LOCK");
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    auto busy = Backup("/db", "/bak", BOpts());
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.status().code(), Code::kBusy) << busy.status().ToString();
  }
  auto r = Restore("/db", "/restored", ROpts());  // a database is not a backup
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
}

}  // namespace
}  // namespace strata
