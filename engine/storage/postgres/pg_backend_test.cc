// pg_backend_test.cc — the PostgreSQL backend against a real server:
// locations, opening, blobs and the root (see pg_backend_fixture.h).
#include <gtest/gtest.h>

#include "storage/postgres/pg_backend_fixture.h"
#include "storage/postgres/pg_conn.h"
#include "strata/location.h"
#include "strata/postgres.h"

namespace strata {
namespace {

// RedactLocation through the registered backend: no server needed.
TEST(PgLocation, RedactedLocationsHaveNoPassword) {
  UsePostgresStorage();
  EXPECT_EQ(RedactLocation("/data/db"), "/data/db");
  const std::string r = RedactLocation("postgres://alice:s3cret@db.example:5432/pg?strata_db=music");
  EXPECT_EQ(r.find("s3cret"), std::string::npos) << r;
  EXPECT_NE(r.find("alice@db.example:5432/pg"), std::string::npos) << r;
  EXPECT_NE(r.find("strata_db=music"), std::string::npos) << r;
  const std::string q = RedactLocation("postgres://alice@db.example/pg?password=s3cret&strata_db=music");
  EXPECT_EQ(q.find("s3cret"), std::string::npos) << q;
}

TEST_F(PgBackendTest, LocationsParseAndHidePasswords) {
  auto loc = pg::ParseLocation("postgres://me:secret@db.example:6543/pgdb?strata_db=music&sslmode=disable");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->db, "music");
  EXPECT_EQ(loc->server, "db.example:6543");
  EXPECT_EQ(loc->described, "postgres://me@db.example:6543/pgdb?strata_db=music");
  EXPECT_EQ(loc->conninfo.find("strata_db"), std::string::npos);
  EXPECT_NE(loc->conninfo.find("sslmode=disable"), std::string::npos);
  auto sock = pg::ParseLocation("postgresql:///pgdb?host=/run/pg&strata_retry_ms=500");
  ASSERT_TRUE(sock.ok()) << sock.status().ToString();
  EXPECT_EQ(sock->db, "default");
  EXPECT_EQ(sock->retry_ms, 500);
  EXPECT_EQ(sock->described, "postgres:///pgdb?host=/run/pg&strata_db=default");
  EXPECT_TRUE(pg::ParseLocation("postgres://h/d?strata_db=a;b").status().IsInvalidArgument());
  EXPECT_TRUE(pg::ParseLocation("postgres://h/d?strata_db=").status().IsInvalidArgument());
  EXPECT_TRUE(pg::ParseLocation("postgres://h/d?strata_nope=1").status().IsInvalidArgument());
  EXPECT_TRUE(pg::ParseLocation("postgres://h/d?strata_retry_ms=soon").status().IsInvalidArgument());
}

TEST_F(PgBackendTest, MissingDatabaseIsNotFoundUnlessCreated) {
  BackendOptions o;
  o.create_if_missing = false;
  auto none = OpenBackend(uri_, o);
  EXPECT_TRUE(none.status().IsNotFound()) << none.status().ToString();
  o.create_if_missing = true;
  o.writer = false;
  EXPECT_TRUE(OpenBackend(uri_, o).status().IsNotFound()) << "a reader never creates";
  {
    Backend b = Open();
    EXPECT_FALSE(b.existed);
    EXPECT_TRUE(b.storage->Describe().ends_with("?strata_db=" + db_)) << b.storage->Describe();
    ASSERT_TRUE(b.log->Append(Record(1)).ok());
    ASSERT_TRUE(b.log->Sync().ok());
  }
  Backend again = Open();
  EXPECT_TRUE(again.existed);
}

TEST_F(PgBackendTest, StorageContract) {
  Backend b = Open();
  Storage& s = *b.storage;
  ASSERT_TRUE(s.Put("seg/2", "two").ok());
  ASSERT_TRUE(s.Put("seg/1", "one").ok());
  ASSERT_TRUE(s.Put("dir/1", std::string("d\0x", 3)).ok());
  ASSERT_TRUE(s.Put("seg/3", "").ok());
  EXPECT_EQ(*s.Get("seg/2"), "two");  // buffered
  ASSERT_TRUE(s.Sync().ok());
  EXPECT_EQ(*s.Get("seg/2"), "two");  // stored
  EXPECT_EQ(*s.Get("dir/1"), std::string("d\0x", 3));
  EXPECT_EQ(*s.Get("seg/3"), "");
  EXPECT_TRUE(s.Get("seg/9").status().IsNotFound());
  ASSERT_TRUE(s.Put("seg/4", "four").ok());  // buffered, listed with the stored
  EXPECT_EQ(*s.List("seg/"), (std::vector<std::string>{"seg/1", "seg/2", "seg/3", "seg/4"}));
  EXPECT_EQ(s.List("")->size(), 5u);
  EXPECT_TRUE(s.List("x/")->empty());
  ASSERT_TRUE(s.Put("seg/2", "TWO").ok());
  EXPECT_EQ(*s.Get("seg/2"), "TWO");
  ASSERT_TRUE(s.Delete("seg/1").ok());
  ASSERT_TRUE(s.Delete("seg/4").ok());  // buffered only
  EXPECT_TRUE(s.Get("seg/1").status().IsNotFound());
  EXPECT_TRUE(s.Get("seg/4").status().IsNotFound());
  EXPECT_TRUE(s.Delete("seg/1").ok());
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", std::string("a\0b", 3)})
    EXPECT_TRUE(s.Put(bad, "x").IsInvalidArgument());
  // "TWO" is buffered over the stored "two": counted once.
  EXPECT_EQ(*s.BytesAtRest(), 3u + 3u + 0u);
  ASSERT_TRUE(s.Sync().ok());
  EXPECT_EQ(*s.BytesAtRest(), 6u);

  EXPECT_FALSE(s.ReadRoot()->has_value());
  ASSERT_TRUE(s.PublishRoot("root-1").ok());
  ASSERT_TRUE(s.PublishRoot("root-2, longer").ok());
  EXPECT_EQ(**s.ReadRoot(), "root-2, longer");
  EXPECT_EQ(*s.BytesAtRest(), 6u + 14u);
  // Another backend (a reader) sees it all.
  BackendOptions ro;
  ro.writer = false;
  Backend r = Open(ro);
  EXPECT_TRUE(r.existed);
  ASSERT_NE(r.log, nullptr);  // a reader's log reads only
  EXPECT_FALSE(r.log->writable());
  EXPECT_EQ(r.log->Append(LogRecord{1, {}}).code(), Code::kAborted);
  EXPECT_EQ(**r.storage->ReadRoot(), "root-2, longer");
  EXPECT_EQ(*r.storage->List(""), (std::vector<std::string>{"dir/1", "seg/2", "seg/3"}));
  EXPECT_EQ(*r.storage->Get("seg/2"), "TWO");
}

TEST_F(PgBackendTest, PutsAreBatchedIntoFewRoundTrips) {
  Backend b = Open();
  Storage& s = *b.storage;
  const StorageStats s0 = s.stats();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(s.Put("seg/" + std::to_string(i), std::string(1000, 'x')).ok());
  EXPECT_EQ(*s.Get("seg/7"), std::string(1000, 'x'));
  EXPECT_EQ(s.stats().round_trips, s0.round_trips) << "Put and Get of a buffered blob stay local";
  ASSERT_TRUE(s.Sync().ok());
  EXPECT_EQ(s.stats().round_trips, s0.round_trips + 1) << "200 blobs, one INSERT";
  ASSERT_TRUE(s.PublishRoot("root").ok());
  EXPECT_EQ(s.stats().round_trips, s0.round_trips + 2) << "a root, one upsert";
  // Blobs still buffered go with the root, in one statement.
  ASSERT_TRUE(s.Put("seg/late", "late").ok());
  ASSERT_TRUE(s.PublishRoot("root 2").ok());
  EXPECT_EQ(s.stats().round_trips, s0.round_trips + 3);
  EXPECT_EQ(*s.Get("seg/late"), "late");
  EXPECT_EQ(**s.ReadRoot(), "root 2");
  // Over 8 MB: one INSERT per batch, in one transaction (BEGIN, 3 INSERTs,
  // COMMIT); with a root, the root joins the last INSERT.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.Put("big/" + std::to_string(i), std::string(5 << 20, 'a' + i)).ok());
  const uint64_t before = s.stats().round_trips;
  ASSERT_TRUE(s.Sync().ok());
  EXPECT_EQ(s.stats().round_trips, before + 5);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(s.Put("big2/" + std::to_string(i), std::string(5 << 20, 'x')).ok());
  ASSERT_TRUE(s.PublishRoot("root 3").ok());
  EXPECT_EQ(s.stats().round_trips, before + 5 + 4);  // BEGIN, INSERT, INSERT + root, COMMIT
  EXPECT_EQ(**s.ReadRoot(), "root 3");
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_blobs WHERE " + Where()), "206");
  EXPECT_EQ(*s.Get("big/2"), std::string(5 << 20, 'c'));
  EXPECT_GT(s.stats().wait_ms, 0);
  EXPECT_EQ(s.stats().reconnects, 0u);
}

TEST_F(PgBackendTest, GetManyIsOneRoundTrip) {
  Backend b = Open();
  Storage& s = *b.storage;
  const std::string odd = "seg/a\"b\\c,{d}";  // quotes, backslashes and braces in a key
  for (const std::string& k : {std::string("seg/1"), std::string("seg/2"), odd}) ASSERT_TRUE(s.Put(k, "v" + k).ok());
  ASSERT_TRUE(s.Sync().ok());
  ASSERT_TRUE(s.Put("seg/3", "buffered").ok());
  const uint64_t before = s.stats().round_trips;
  auto got = s.GetMany({"seg/2", "seg/3", odd, "seg/1", "seg/2"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, (std::vector<std::string>{"vseg/2", "buffered", "v" + odd, "vseg/1", "vseg/2"}));
  EXPECT_EQ(s.stats().round_trips, before + 1);
  auto missing = s.GetMany({"seg/1", "seg/9"});
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("seg/9"), std::string::npos);
  sql_->Run("UPDATE strata_blobs SET value = 'tampered' WHERE " + Where() + " AND key = 'seg/2'");
  auto bad = s.GetMany({"seg/1", "seg/2"});
  EXPECT_TRUE(bad.status().IsCorruption()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("key=seg/2"), std::string::npos) << bad.status().ToString();
}

TEST_F(PgBackendTest, DeleteManyIsOneRoundTrip) {
  Backend b = Open();
  Storage& s = *b.storage;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s.Put("seg/" + std::to_string(i), "x").ok());
  ASSERT_TRUE(s.Sync().ok());
  ASSERT_TRUE(s.Put("seg/buffered", "y").ok());
  std::vector<std::string> gone{"seg/buffered", "seg/never-there"};
  for (int i = 10; i < 50; ++i) gone.push_back("seg/" + std::to_string(i));
  const uint64_t before = s.stats().round_trips;
  ASSERT_TRUE(s.DeleteMany(gone).ok());
  EXPECT_EQ(s.stats().round_trips, before + 1);
  auto left = s.List("seg/");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->size(), 10u);
  ASSERT_TRUE(s.Sync().ok());
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_blobs WHERE " + Where()), "10") << "the buffered one never lands";
}

TEST_F(PgBackendTest, TamperedRowsAreCorruption) {
  {
    Backend b = Open();
    ASSERT_TRUE(b.storage->Put("seg/1", "blob one").ok());
    ASSERT_TRUE(b.storage->PublishRoot("the root").ok());
    for (T t = 1; t <= 5; ++t) ASSERT_TRUE(b.log->Append(Record(t)).ok());
    ASSERT_TRUE(b.log->Sync().ok());
  }
  sql_->Run("UPDATE strata_blobs SET value = 'blob 0ne' WHERE " + Where());
  sql_->Run("UPDATE strata_roots SET root = 'the rot' WHERE " + Where());
  sql_->Run("UPDATE strata_log SET payload = set_byte(payload, 5, get_byte(payload, 5) # 1) WHERE " + Where() +
            " AND t = 4");
  Backend b = Open();
  Status get = b.storage->Get("seg/1").status();
  EXPECT_TRUE(get.IsCorruption()) << get.ToString();
  EXPECT_NE(get.message().find("strata_blobs db=" + db_ + " key=seg/1"), std::string::npos) << get.ToString();
  Status root = b.storage->ReadRoot().status();
  EXPECT_TRUE(root.IsCorruption()) << root.ToString();
  EXPECT_NE(root.message().find("strata_roots db=" + db_), std::string::npos) << root.ToString();

  std::vector<T> seen;
  auto strict = b.log->Recover(RecoveryMode::kStrict, [&](LogRecord&& r) {
    seen.push_back(r.t);
    return Status::OK();
  }, {});
  EXPECT_TRUE(strict.status().IsCorruption()) << strict.status().ToString();
  EXPECT_NE(strict.status().message().find("strata_log db=" + db_ + " t=4"), std::string::npos);
  EXPECT_EQ(seen, (std::vector<T>{1, 2, 3}));
  Status range = b.log->ReadRange(1, 10, [](LogRecord&&) { return Status::OK(); });
  EXPECT_TRUE(range.IsCorruption()) << range.ToString();
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where()), "5") << "strict mode drops nothing";

  LogReadResult res;
  EXPECT_EQ(RecoverTs(*b.log, RecoveryMode::kTruncateCorruptTail, &res), (std::vector<T>{1, 2, 3}));
  EXPECT_TRUE(res.torn_tail);
  EXPECT_NE(res.dropped_reason.find("t=4"), std::string::npos) << res.dropped_reason;
  EXPECT_NE(res.dropped_reason.find("dropped 2 rows"), std::string::npos) << res.dropped_reason;
  EXPECT_LT(res.valid_bytes, res.file_bytes);
  EXPECT_EQ(b.log->size(), res.valid_bytes);
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where()), "3");
  // Appending resumes after the last intact record.
  ASSERT_TRUE(b.log->Append(Record(4)).ok());
  ASSERT_TRUE(b.log->Sync().ok());
  EXPECT_EQ(ReadTs(*b.log, 0, 100), (std::vector<T>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace strata
