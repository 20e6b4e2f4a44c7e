// pg_backend_test.cc — the PostgreSQL backend against a real server.
//
// ctest starts a throw-away server (the `postgres` fixture, scripts/pg-temp)
// and points STRATA_PG_URI_FILE at its URI; STRATA_PG_URI may name a server
// directly. Without either the tests skip. Each test uses a strata database
// of its own name, destroyed first.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "storage/backend.h"
#include "storage/postgres/pg_conn.h"
#include "storage/postgres/pg_test_util.h"
#include "strata/database.h"
#include "strata/location.h"

namespace strata {
namespace {

// Plain SQL on the server, for tampering and checking behind the backend.
class Sql {
 public:
  explicit Sql(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {}
  ~Sql() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  // The first column of the first row, as text ("" when none).
  std::string Run(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << sql << ": " << PQresultErrorMessage(r);
    std::string out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }

 private:
  PGconn* conn_;
};

class PgBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::PgServerUri();
    if (server_.empty()) GTEST_SKIP() << testing::kPgSkipMessage;
    db_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    uri_ = testing::FreshPgDatabase(server_, db_);
    ASSERT_FALSE(uri_.empty());
    sql_ = std::make_unique<Sql>(server_);
    ASSERT_TRUE(sql_->ok());
  }

  Backend Open(const std::string& uri, BackendOptions o = {}) {
    auto b = OpenBackend(uri, o);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::move(*b) : Backend{};
  }
  Backend Open(BackendOptions o = {}) { return Open(uri_, o); }

  static LogRecord Record(T t, int datoms = 2) {
    LogRecord rec;
    rec.t = t;
    for (int i = 0; i < datoms; ++i)
      rec.datoms.push_back(Datom{100 + static_cast<EntityId>(i), 10 + static_cast<EntityId>(i % 2),
                                 Value::String("value " + std::to_string(t) + "/" + std::to_string(i)), TxId(t), true});
    return rec;
  }
  static std::vector<T> ReadTs(const LogStore& log, T start, T end) {
    std::vector<T> ts;
    Status s = log.ReadRange(start, end, [&](LogRecord&& r) {
      ts.push_back(r.t);
      return Status::OK();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return ts;
  }
  static std::vector<T> RecoverTs(LogStore& log, RecoveryMode mode, LogReadResult* res = nullptr) {
    std::vector<T> ts;
    auto r = log.Recover(mode, [&](LogRecord&& rec) {
      ts.push_back(rec.t);
      return Status::OK();
    }, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (res && r.ok()) *res = *r;
    return ts;
  }
  std::string Where() const { return "db = '" + db_ + "'"; }
  // Writes a log row behind the backend's back, as another writer would.
  void InsertRow(const LogRecord& rec) {
    const std::string p = EncodeLogPayload(rec);
    std::string hex;
    for (unsigned char c : p) hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
    sql_->Run("INSERT INTO strata_log VALUES ('" + db_ + "', " + std::to_string(rec.t) + ", '\\x" + hex + "', " +
              std::to_string(static_cast<int64_t>(XXH3_64bits(p.data(), p.size()))) + ")");
  }

  std::string server_, db_, uri_;
  std::unique_ptr<Sql> sql_;
};

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
  EXPECT_EQ(r.log, nullptr);
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

TEST_F(PgBackendTest, LogAppendSyncReadRecover) {
  {
    Backend b = Open();
    LogStore& log = *b.log;
    EXPECT_EQ(RecoverTs(log, RecoveryMode::kStrict), std::vector<T>{});
    for (T t = 1; t <= 3; ++t) ASSERT_TRUE(log.Append(Record(t)).ok());
    EXPECT_EQ(ReadTs(log, 0, 100), (std::vector<T>{1, 2, 3})) << "unsynced records are readable";
    EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where()), "0");
    const LogStoreStats s0 = log.stats();
    ASSERT_TRUE(log.Sync().ok());
    EXPECT_EQ(log.stats().round_trips, s0.round_trips + 1) << "three records, one statement";
    EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where()), "3");
    for (T t = 4; t <= 600; ++t) ASSERT_TRUE(log.Append(Record(t)).ok());  // more than a page
    EXPECT_EQ(ReadTs(log, 2, 5), (std::vector<T>{2, 3, 4}));
    EXPECT_TRUE(log.Append(Record(600)).IsInvalidArgument()) << "t must grow";
    ASSERT_TRUE(log.Sync().ok());
    EXPECT_EQ(log.stats().appends, 600u);
    EXPECT_EQ(log.stats().syncs, 2u);
    EXPECT_EQ(std::to_string(log.size()),
              sql_->Run("SELECT sum(octet_length(payload)) FROM strata_log WHERE " + Where()));
  }
  Backend b = Open();
  // Skimmed: records through t=300 build only attribute 10's datoms.
  uint64_t datoms = 0, records = 0;
  T last = 0;
  auto res = b.log->Recover(RecoveryMode::kStrict, [&](LogRecord&& r) {
    EXPECT_EQ(r.t, last + 1);
    last = r.t;
    records++;
    datoms += r.datoms.size();
    return Status::OK();
  }, LogSkim{300, [](EntityId a) { return a == 10; }});
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(records, 600u);
  EXPECT_EQ(res->records, 600u);
  EXPECT_FALSE(res->torn_tail);
  EXPECT_EQ(datoms, 300u * 1 + 300u * 2);
  EXPECT_EQ(b.log->size(), res->valid_bytes);
}

TEST_F(PgBackendTest, FailedSyncAbandonsItsRecords) {
  Backend b = Open();
  LogStore& log = *b.log;
  EXPECT_EQ(RecoverTs(log, RecoveryMode::kStrict), std::vector<T>{});
  ASSERT_TRUE(log.Append(Record(1)).ok());
  ASSERT_TRUE(log.Sync().ok());
  const uint64_t synced = log.size();
  // Another writer's record at t=3 (behind the lock's back): the sync of
  // t=2..3 must fail whole and not keep either record.
  InsertRow(Record(3, 1));
  ASSERT_TRUE(log.Append(Record(2)).ok());
  ASSERT_TRUE(log.Append(Record(3)).ok());
  Status s = log.Sync();
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("t=3"), std::string::npos) << s.ToString();
  EXPECT_EQ(ReadTs(log, 0, 10), (std::vector<T>{1, 3})) << "t=2 abandoned; t=3 is the other writer's";
  EXPECT_EQ(log.size(), synced);
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where() + " AND t = 2"), "0");
  // The writer goes on from the last synced record.
  sql_->Run("DELETE FROM strata_log WHERE " + Where() + " AND t = 3");
  ASSERT_TRUE(log.Append(Record(2)).ok());
  ASSERT_TRUE(log.Sync().ok());
  EXPECT_EQ(ReadTs(log, 0, 10), (std::vector<T>{1, 2}));
  // A sync retried after its commit's reply was lost finds its own rows:
  // fine. A different record at the same t is never silently kept.
  ASSERT_TRUE(log.Append(Record(3)).ok());
  InsertRow(Record(3));
  ASSERT_TRUE(log.Sync().ok());
  ASSERT_TRUE(log.Append(Record(4)).ok());
  InsertRow(Record(4, 1));
  EXPECT_TRUE(log.Sync().IsConflict());
  uint64_t datoms = 0;
  ASSERT_TRUE(log.ReadRange(4, 5, [&](LogRecord&& r) {
    datoms = r.datoms.size();
    return Status::OK();
  }).ok());
  EXPECT_EQ(datoms, 1u) << "t=4 is the other writer's";
}

TEST_F(PgBackendTest, RewriteChangesOnlyEditedRowsAtomically) {
  Backend b = Open();
  LogStore& log = *b.log;
  EXPECT_EQ(RecoverTs(log, RecoveryMode::kStrict), std::vector<T>{});
  for (T t = 1; t <= 400; ++t) ASSERT_TRUE(log.Append(Record(t)).ok());
  ASSERT_TRUE(log.Sync().ok());
  ASSERT_TRUE(log.Append(Record(401)).ok());  // unsynced: Rewrite syncs first
  const std::string before = sql_->Run("SELECT xmin::text FROM strata_log WHERE " + Where() + " AND t = 2");
  const LogStoreStats s0 = log.stats();
  auto excise = [](LogRecord& r) {
    if (r.t % 2 == 1) std::erase_if(r.datoms, [](const Datom& d) { return d.a == 11; });
  };
  ASSERT_TRUE(log.Rewrite(excise).ok());
  // sync + two pages of reads + one UPDATE
  EXPECT_EQ(log.stats().round_trips, s0.round_trips + 1 + 2 + 1);
  EXPECT_EQ(sql_->Run("SELECT xmin::text FROM strata_log WHERE " + Where() + " AND t = 2"), before)
      << "an unchanged row is not rewritten";
  EXPECT_EQ(sql_->Run("SELECT count(DISTINCT xmin::text) FROM strata_log WHERE " + Where() + " AND t % 2 = 1"), "1")
      << "every edited row changed in one transaction";
  uint64_t datoms = 0;
  ASSERT_TRUE(log.ReadRange(0, 1000, [&](LogRecord&& r) {
    datoms += r.datoms.size();
    return Status::OK();
  }).ok());
  EXPECT_EQ(datoms, 201u * 1 + 200u * 2);
  EXPECT_EQ(std::to_string(log.size()),
            sql_->Run("SELECT sum(octet_length(payload)) FROM strata_log WHERE " + Where()));
  // A corrupt row stops a rewrite before anything changes.
  sql_->Run("UPDATE strata_log SET checksum = checksum + 1 WHERE " + Where() + " AND t = 300");
  const std::string sum = sql_->Run("SELECT sum(checksum) FROM strata_log WHERE " + Where());
  Status s = log.Rewrite([](LogRecord& r) { r.datoms.clear(); });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(sql_->Run("SELECT sum(checksum) FROM strata_log WHERE " + Where()), sum);
}

TEST_F(PgBackendTest, OneWriterAtATime) {
  auto first = OpenBackend(uri_, {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = OpenBackend(uri_, {});
  EXPECT_EQ(second.status().code(), Code::kBusy) << second.status().ToString();
  EXPECT_NE(second.status().message().find(db_), std::string::npos) << second.status().ToString();
  BackendOptions ro;
  ro.writer = false;
  ro.create_if_missing = false;
  EXPECT_NE(OpenBackend(uri_, ro).status().code(), Code::kBusy) << "readers take no lock";
  EXPECT_TRUE(OpenBackend(WithStrataDb(server_, db_ + "-other"), {}).ok()) << "the lock is per strata database";
  EXPECT_EQ(DestroyDatabase(uri_).code(), Code::kBusy);
  first = Status::Aborted("closed");
  EXPECT_TRUE(OpenBackend(uri_, {}).ok()) << "released when the first closes";
  EXPECT_TRUE(DestroyDatabase(WithStrataDb(server_, db_ + "-other")).ok());
}

TEST_F(PgBackendTest, ALogWithoutItsLockRefusesToSync) {
  Backend b = Open();
  ASSERT_TRUE(b.log->Recover(RecoveryMode::kStrict, [](LogRecord&&) { return Status::OK(); }, {}).ok());
  EXPECT_TRUE(b.log->writable());
  b.lock.reset();
  EXPECT_FALSE(b.log->writable());
  Backend other = Open();  // the lock is free
  ASSERT_NE(other.log, nullptr);
  ASSERT_TRUE(b.log->Append(Record(1)).ok());
  EXPECT_EQ(b.log->Sync().code(), Code::kAborted);
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where()), "0");
}

TEST_F(PgBackendTest, SurvivesTerminatedSessions) {
  Backend b = Open();
  ASSERT_TRUE(b.log->Recover(RecoveryMode::kStrict, [](LogRecord&&) { return Status::OK(); }, {}).ok());
  ASSERT_TRUE(b.storage->Put("seg/1", "one").ok());
  ASSERT_TRUE(b.storage->Sync().ok());
  ASSERT_TRUE(b.log->Append(Record(1)).ok());
  ASSERT_TRUE(b.log->Sync().ok());
  // Waits (up to 5 s) until each session is gone.
  const std::string kill = "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                           " WHERE application_name = 'strata:" + db_ + "'";
  for (int round = 0; round < 3; ++round) {
    EXPECT_NE(sql_->Run(kill), "0");  // every session, the lock's too
    ASSERT_TRUE(b.storage->Put("seg/r" + std::to_string(round), "blob").ok());
    Status s = b.storage->Sync();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(b.log->Append(Record(2 + round)).ok());
    s = b.log->Sync();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_GE(b.storage->stats().reconnects, 3u);
  EXPECT_GE(b.log->stats().reconnects, 3u);
  EXPECT_EQ(*b.storage->Get("seg/1"), "one");
  EXPECT_EQ(b.storage->List("seg/")->size(), 4u);
  EXPECT_EQ(ReadTs(*b.log, 0, 10), (std::vector<T>{1, 2, 3, 4}));
  // The lock was taken again with the lock's new session.
  EXPECT_EQ(OpenBackend(uri_, {}).status().code(), Code::kBusy);
}

// A TCP relay to the server that can be taken down and brought back: the
// server is "down" for the backend without stopping it for other tests.
class Relay {
 public:
  explicit Relay(int target_port) : target_(target_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(listener_, 16);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Relay() {
    stop_ = true;
    thread_.join();
    close(listener_);
    for (auto& [c, s] : pairs_) close(c), close(s);
  }
  int port() const { return port_; }
  void set_down(bool down) { down_ = down; }

 private:
  void Loop() {
    std::vector<char> buf(1 << 16);
    while (!stop_) {
      if (down_) {  // refuse new clients, cut the open ones
        for (auto& [c, s] : pairs_) close(c), close(s);
        pairs_.clear();
      }
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (auto& [c, s] : pairs_) fds.push_back({c, POLLIN, 0}), fds.push_back({s, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept(listener_, nullptr, nullptr);
        if (down_) {
          close(c);
        } else {
          int s = socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          a.sin_port = htons(static_cast<uint16_t>(target_));
          if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
            pairs_.push_back({c, s});
          } else {
            close(c), close(s);
          }
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto& pr = pairs_[(i - 1) / 2];
        const int from = fds[i].fd, to = from == pr.first ? pr.second : pr.first;
        const ssize_t n = read(from, buf.data(), buf.size());
        if (n <= 0 || write(to, buf.data(), static_cast<size_t>(n)) != n) {
          shutdown(pr.first, SHUT_RDWR), shutdown(pr.second, SHUT_RDWR);
        }
      }
      std::erase_if(pairs_, [](const std::pair<int, int>& p) {
        char c;
        if (recv(p.first, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) return close(p.first), close(p.second), true;
        return false;
      });
    }
  }
  const int target_;
  int listener_ = -1, port_ = 0;
  std::atomic<bool> stop_{false}, down_{false};
  std::vector<std::pair<int, int>> pairs_;  // client, server; relay thread only
  std::thread thread_;
};

TEST_F(PgBackendTest, ServerDownLongerThanTheRetryBudgetIsAnIOError) {
  auto loc = pg::ParseLocation(server_);
  ASSERT_TRUE(loc.ok());
  const size_t colon = loc->server.rfind(':');
  ASSERT_EQ(loc->server.substr(0, colon), "127.0.0.1") << "the test relays TCP on loopback";
  Relay relay(std::stoi(loc->server.substr(colon + 1)));
  std::string via = server_;
  via.replace(via.find(loc->server), loc->server.size(), "127.0.0.1:" + std::to_string(relay.port()));
  Backend b = Open(WithStrataDb(via, db_) + "&strata_retry_ms=600");
  ASSERT_TRUE(b.log->Recover(RecoveryMode::kStrict, [](LogRecord&&) { return Status::OK(); }, {}).ok());
  ASSERT_TRUE(b.log->Append(Record(1)).ok());
  ASSERT_TRUE(b.log->Sync().ok());

  relay.set_down(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(b.storage->Put("seg/1", "blob").ok());
  const auto t0 = std::chrono::steady_clock::now();
  Status s = b.storage->Sync();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("gave up"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(relay.port())), std::string::npos) << s.ToString();
  EXPECT_GE(ms, 300);
  EXPECT_LT(ms, 3000);
  ASSERT_TRUE(b.log->Append(Record(2)).ok());
  s = b.log->Sync();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_GT(b.storage->stats().reconnects, 0u);
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where()), "1") << "nothing acknowledged landed";

  relay.set_down(false);
  EXPECT_EQ(ReadTs(*b.log, 0, 10), std::vector<T>{1}) << "the failed sync's record is abandoned";
  EXPECT_EQ(*b.storage->Get("seg/1"), "blob") << "a failed blob sync keeps the blobs for the next";
  ASSERT_TRUE(b.storage->Sync().ok());
  ASSERT_TRUE(b.log->Append(Record(2)).ok());
  ASSERT_TRUE(b.log->Sync().ok());
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_blobs WHERE " + Where()), "1");
  EXPECT_EQ(ReadTs(*b.log, 0, 10), (std::vector<T>{1, 2}));
}

TEST_F(PgBackendTest, ConcurrentReadersAndTheWriter) {
  Backend b = Open();
  ASSERT_TRUE(b.log->Recover(RecoveryMode::kStrict, [](LogRecord&&) { return Status::OK(); }, {}).ok());
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        T prev = 0;
        Status s = b.log->ReadRange(0, 1000, [&](LogRecord&& rec) {
          EXPECT_EQ(rec.t, prev + 1) << "a gap or a duplicate";
          prev = rec.t;
          return Status::OK();
        });
        EXPECT_TRUE(s.ok()) << s.ToString();
        auto keys = b.storage->List("seg/");
        EXPECT_TRUE(keys.ok());
        for (const auto& k : *keys) EXPECT_EQ(*b.storage->Get(k), k);
      }
    });
  }
  for (T t = 1; t <= 60; ++t) {
    ASSERT_TRUE(b.log->Append(Record(t)).ok());
    ASSERT_TRUE(b.storage->Put("seg/" + std::to_string(t), "seg/" + std::to_string(t)).ok());
    if (t % 3 == 0) {
      ASSERT_TRUE(b.log->Sync().ok());
      ASSERT_TRUE(b.storage->Sync().ok());
    }
  }
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(ReadTs(*b.log, 0, 1000).size(), 60u);
}

}  // namespace
}  // namespace strata
