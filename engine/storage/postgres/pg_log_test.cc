// pg_log_test.cc — the PostgreSQL backend's log and writer lock against a
// real server (see pg_backend_fixture.h).
#include <gtest/gtest.h>

#include "storage/postgres/pg_backend_fixture.h"
#include "storage/postgres/pg_conn.h"

namespace strata {
namespace {

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

// PostgreSQL refuses a field or message over 1 GB, and a sync sends every
// buffered record as one bytea array: records past 64 MiB go in several
// statements of one transaction (issue 16: five 60 MB values in a
// transaction, several such transactions per sync).
TEST_F(PgBackendTest, LargeSyncsAreSplitAndStillAllOrNothing) {
  Backend b = Open();
  LogStore& log = *b.log;
  auto big = [](T t) {
    LogRecord rec;
    rec.t = t;
    rec.datoms.push_back(Datom{100, 10, Value::String(std::string(30u << 20, static_cast<char>('a' + t))), TxId(t), true});
    return rec;
  };
  for (T t = 1; t <= 3; ++t) ASSERT_TRUE(log.Append(big(t)).ok());
  const LogStoreStats s0 = log.stats();
  ASSERT_TRUE(log.Sync().ok());
  // BEGIN, two INSERTs (60 MiB + 30 MiB), COMMIT.
  EXPECT_EQ(log.stats().round_trips, s0.round_trips + 4);
  EXPECT_EQ(sql_->Run("SELECT count(*) FROM strata_log WHERE " + Where()), "3");
  EXPECT_EQ(ReadTs(log, 0, 10), (std::vector<T>{1, 2, 3}));

  // A conflict in the second statement: the first is rolled back too.
  ASSERT_TRUE(sql_->ok());
  sql_->Run("INSERT INTO strata_log (db, t, payload, checksum) SELECT db, 6, payload, checksum + 1 FROM strata_log"
            " WHERE " + Where() + " AND t = 1");
  for (T t = 4; t <= 6; ++t) ASSERT_TRUE(log.Append(big(t)).ok());
  Status s = log.Sync();
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(sql_->Run("SELECT string_agg(t::text, ',' ORDER BY t) FROM strata_log WHERE " + Where()), "1,2,3,6");
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

}  // namespace
}  // namespace strata
