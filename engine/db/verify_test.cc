// Verify: passes on healthy databases under every strategy, and names what
// is wrong when a segment is corrupt or missing, or when the durable index
// disagrees with the log.
#include "strata/verify.h"

#include <gtest/gtest.h>

#include "state/db_access.h"
#include "format/segment.h"
#include "storage/storage.h"
#include "testing/test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :v/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :v/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :v/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :v/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :v/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :v/hits :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/noHistory true}])";

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override { env_ = NewMemEnv(); }

  // Commits `n` transactions (updates and retractions among them) with a
  // memory index small enough for many jobs, and indexes the rest; or, with
  // !index_all, indexes everything at the halfway point (so the jobs have
  // run whatever the background thread's pace) and leaves the second half's
  // novelty to the background.
  void Build(const std::string& strategy, int n, bool index_all = true) {
    Options o;
    o.env = env_.get();
    o.sync = SyncPolicy::kNever;
    o.strategy = strategy;
    o.memory_index_threshold = 4 << 10;
    o.segment_datoms = 64;
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->Transact(kSchema).ok());
    for (int i = 0; i < n; ++i) {
      if (!index_all && i == n / 2) {
        ASSERT_TRUE((*c)->IndexNow().ok());
      }
      const std::string id = std::to_string(i % 50);
      std::string tx = "[{:v/id " + id + " :v/name \"n" + std::to_string(i % 7) + "\" :v/n " + std::to_string(i) +
                       " :v/tags [:t" + std::to_string(i % 3) + "] :v/hits " + std::to_string(i) + "}";
      if (i >= 50) tx += " {:v/id " + id + " :v/friend [:v/id " + std::to_string((i + 1) % 50) + "]}";
      if (i >= 50 && i % 5 == 0) tx += " [:db/retract [:v/id " + id + "] :v/tags :t" + std::to_string((i + 1) % 3) + "]";
      tx += "]";
      auto r = (*c)->Transact(tx);
      ASSERT_TRUE(r.ok()) << r.status().ToString() << " in " << tx;
    }
    if (index_all) {
      ASSERT_TRUE((*c)->IndexNow().ok());
    }
    ASSERT_GT((*c)->stats().jobs, 2u);
  }

  // A leaf (or directory) id of the durable index.
  uint64_t SomeSegment(bool directory) {
    Options o;
    o.env = env_.get();
    o.background_indexing = false;
    auto c = Connection::Open("/db", o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return 0;
    const auto& root = DbAccess::State((*c)->db())->root;
    const auto& level = root->trees[TreeNumber(TreeKind::kCurrent, Index::kAevt)].at(0);
    return directory ? level->directories.at(0) : level->segments.at(level->segments.size() / 2).id;
  }

  // Where the segment's bytes lie in the folder's packs.
  BlobLocation Locate(uint64_t id) {
    EnvStorageOptions o;
    o.read_only = true;
    auto s = NewEnvStorage(env_.get(), "/db", o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return {};
    auto loc = LocateBlob(**s, "seg/" + SegmentName(id));
    EXPECT_TRUE(loc.ok()) << loc.status().ToString();
    return loc.ok() ? *loc : BlobLocation{};
  }

  // Flips one bit of the segment's byte at `at` (from its start).
  void FlipSegmentByte(uint64_t id, uint64_t at, char bit) {
    const BlobLocation loc = Locate(id);
    ASSERT_LT(at, loc.size);
    auto bytes = env_->ReadFile(loc.path);
    ASSERT_TRUE(bytes.ok());
    (*bytes)[loc.offset + at] ^= bit;
    Rewrite(loc.path, *bytes);
  }

  VerifyReport Check() {
    VerifyOptions vo;
    vo.env = env_.get();
    auto r = Verify("/db", vo);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  void Rewrite(const std::string& path, const std::string& bytes) {
    auto f = env_->NewWritableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(bytes).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  std::unique_ptr<Env> env_;
};

TEST_F(VerifyTest, PassesUnderEveryStrategy) {
  for (const std::string& s : StrategyNames()) {
    SCOPED_TRACE(s);
    env_ = NewMemEnv();
    Build(s, 400);
    VerifyReport r = Check();
    EXPECT_TRUE(r.ok) << r.ToString();
    EXPECT_EQ(r.strategy, s);
    EXPECT_GT(r.basis_t, 1000u);
    EXPECT_GT(r.segments_checked, 8u);
    EXPECT_GT(r.bytes_checked, 0u);
    EXPECT_GT(r.datoms, 2000u);
  }
}

TEST_F(VerifyTest, PassesWithNoveltyNotYetIndexed) {
  Build("adaptive", 300, /*index_all=*/false);
  VerifyReport r = Check();
  EXPECT_TRUE(r.ok) << r.ToString();
}

TEST_F(VerifyTest, FlippedByteInALeafIsNamed) {
  Build("adaptive", 300);
  const uint64_t id = SomeSegment(false);
  FlipSegmentByte(id, Locate(id).size / 2, 0x20);
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("segment " + SegmentName(id)), std::string::npos) << r.ToString();
  EXPECT_NE(r.problems[0].find("Corruption"), std::string::npos) << r.ToString();
}

TEST_F(VerifyTest, FlippedByteInADirectoryIsNamed) {
  Build("cow-tree", 300);
  const uint64_t id = SomeSegment(true);
  FlipSegmentByte(id, 10, 0x01);
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << r.ToString();
  EXPECT_NE(r.problems[0].find(SegmentName(id)), std::string::npos) << r.ToString();
}

TEST_F(VerifyTest, MissingLeafIsNamed) {
  Build("full-rebuild", 300);
  const uint64_t id = SomeSegment(false);
  {
    auto s = NewEnvStorage(env_.get(), "/db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Delete("seg/" + SegmentName(id)).ok());
    ASSERT_TRUE((*s)->Sync().ok());
  }
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("segment " + SegmentName(id)), std::string::npos) << r.ToString();
}

// The durable index holds transactions the log no longer has: the log was
// cut below the root's basis, which the open itself reports.
TEST_F(VerifyTest, IndexAheadOfTheLogIsReported) {
  Build("adaptive", 100);
  auto short_log = env_->ReadFile("/db/log");
  ASSERT_TRUE(short_log.ok());
  {
    Options o;
    o.env = env_.get();
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Transact("[{:v/id 1000 :v/name \"late\"}]").ok());
    ASSERT_TRUE((*c)->IndexNow().ok());
  }
  Rewrite("/db/log", *short_log);
  VerifyReport r = Check();
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("below the index root's basis"), std::string::npos) << r.ToString();
  EXPECT_NE(r.problems[0].find("/db/log"), std::string::npos) << r.ToString();
}

// Verify only reads: it runs while a writer holds the database.
TEST_F(VerifyTest, MissingDatabaseIsAnErrorAndAWriterDoesNotBlockVerify) {
  VerifyOptions vo;
  vo.env = env_.get();
  auto r = Verify("/nothing", vo);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  Build("adaptive", 100);
  Options o;
  o.env = env_.get();
  auto c = Connection::Open("/db", o);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Transact("[{:v/id 1001 :v/name \"while open\"}]").ok());
  r = Verify("/db", vo);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok) << r->ToString();
}

}  // namespace
}  // namespace strata
