// pg_connection_test.cc — a whole database on PostgreSQL: the same
// transactions on PostgreSQL and in a folder must read the same, through
// indexing jobs, a reopen, as-of views and an excision.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <fstream>
#include <iostream>

#include "storage/postgres/pg_test_util.h"
#include "testing/test_util.h"

namespace strata {
namespace {

using testing::Dump;

constexpr const char* kSchema = R"([
  {:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :k/v :db/valueType :db.type/string :db/cardinality :db.cardinality/one}])";

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::PgServerUri();
    if (server_.empty()) GTEST_SKIP() << testing::kPgSkipMessage;
    uri_ = testing::FreshPgDatabase(server_, ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_FALSE(uri_.empty());
    env_ = NewMemEnv();
    Reopen();
  }
  void Reopen() {
    pg_.reset();
    folder_.reset();
    // The same clock on both: :db/txInstant values must match too.
    auto clock = [] { return [n = int64_t{1'700'000'000'000}]() mutable { return ++n; }; };
    Options o;
    o.env = env_.get();
    o.clock = clock();
    auto f = Connection::Open("/db", o);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    folder_ = std::move(*f);
    o.clock = clock();
    auto p = Connection::Open(uri_, o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pg_ = std::move(*p);
  }
  // The same transaction on both; returns its t (the same on both).
  T Tx(const std::string& edn) {
    auto a = folder_->Transact(edn);
    auto b = pg_->Transact(edn);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (!a.ok() || !b.ok()) return 0;
    EXPECT_EQ(a->t, b->t);
    return b->t;
  }
  void ExpectSame(const Database& folder, const Database& pg) {
    for (Index i : {Index::kEavt, Index::kAevt, Index::kAvet, Index::kVaet}) {
      EXPECT_EQ(Dump(pg, i), Dump(folder, i)) << "index " << static_cast<int>(i);
      EXPECT_EQ(Dump(pg.History(), i), Dump(folder.History(), i)) << "history, index " << static_cast<int>(i);
    }
  }

  std::string server_, uri_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Connection> folder_, pg_;
};

std::string Put(int id, const std::string& v) {
  return "[{:k/id " + std::to_string(id) + " :k/v \"" + v + "\"}]";
}

TEST_F(PgConnectionTest, TransactIndexReopenAsOfExcise) {
  Tx(kSchema);
  for (int i = 0; i < 200; ++i) Tx(Put(i % 150, "v" + std::to_string(i)));
  const T mid = Tx(Put(7, "SECRET"));
  auto jobs = pg_->IndexNow();
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  ASSERT_TRUE(folder_->IndexNow().ok());
  for (int i = 0; i < 100; ++i) Tx(Put(i * 3, "w" + std::to_string(i)));
  auto jobs2 = pg_->IndexNow();
  ASSERT_TRUE(jobs2.ok()) << jobs2.status().ToString();
  auto fjobs2 = folder_->IndexNow();
  ASSERT_TRUE(fjobs2.ok());
  ASSERT_FALSE(jobs->empty());
  ASSERT_FALSE(jobs2->empty());
  for (const JobMetrics& m : *jobs2) {
    // Segments and directories in one INSERT, then the root: the job's
    // writes are 2 round trips; the rest are its reads, one per window of
    // segments (GetMany), at most one per tree merged here (no reader runs
    // meanwhile).
    EXPECT_GE(m.storage_round_trips, 2u + (m.segments_read > 0 ? 1 : 0));
    EXPECT_LE(m.storage_round_trips, 2 + std::min<uint64_t>(m.segments_read, 8));
    EXPECT_GT(m.storage_wait_ms, 0);
    std::cout << "PostgreSQL job " << m.job << ": " << m.segments_written << " segments written ("
              << m.bytes_written << " bytes), " << m.segments_read << " read, " << m.storage_round_trips
              << " round trips, " << m.storage_wait_ms << " ms waiting\n";
  }
  for (const JobMetrics& m : *fjobs2) {
    // Files: a call per blob written or read, the sync and the root.
    EXPECT_EQ(m.storage_round_trips, m.segments_written + m.segments_read + 2);
    std::cout << "folder job " << m.job << ": " << m.segments_written << " segments written, " << m.segments_read
              << " read, " << m.storage_round_trips << " round trips, " << m.storage_wait_ms << " ms waiting\n";
  }
  ExpectSame(folder_->db(), pg_->db());
  ExpectSame(folder_->db().AsOf(mid), pg_->db().AsOf(mid));

  Reopen();
  ExpectSame(folder_->db(), pg_->db());
  ExpectSame(folder_->db().AsOf(mid), pg_->db().AsOf(mid));
  EXPECT_EQ(pg_->db().basis_t(), folder_->db().basis_t());

  // Excise entity 7's values: gone from the log rows and every index.
  auto e = pg_->db().Entid(*edn::ReadOne("[:k/id 7]"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Tx("[[:db/excise " + std::to_string(*e) + "]]");
  ASSERT_TRUE(pg_->IndexNow().ok());
  ASSERT_TRUE(folder_->IndexNow().ok());
  auto check = [&] {
    ExpectSame(folder_->db(), pg_->db());
    for (const std::string& d : Dump(pg_->db().History(), Index::kEavt)) EXPECT_EQ(d.find("SECRET"), std::string::npos);
    PGconn* c = PQconnectdb(server_.c_str());
    PGresult* r = PQexec(c, ("SELECT count(*) FROM strata_log WHERE db = 'TransactIndexReopenAsOfExcise'"
                             " AND position('SECRET'::bytea IN payload) > 0"));
    EXPECT_STREQ(PQgetvalue(r, 0, 0), "0") << "the excised value is still in a log row";
    PQclear(r);
    PQfinish(c);
  };
  check();
  Reopen();
  check();
}

TEST_F(PgConnectionTest, SecondWriterIsBusyAndReopenFindsEverything) {
  Tx(kSchema);
  for (int i = 0; i < 20; ++i) Tx(Put(i, "x"));
  auto second = Connection::Open(uri_);
  EXPECT_EQ(second.status().code(), Code::kBusy) << second.status().ToString();
  const T basis = pg_->db().basis_t();
  ASSERT_TRUE(pg_->Close().ok());
  pg_.reset();
  auto again = Connection::Open(uri_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->db().basis_t(), basis);
  EXPECT_EQ(Dump((*again)->db(), Index::kEavt), Dump(folder_->db(), Index::kEavt));
}

// A read-only open beside the writer: no lock taken, the writer's indexed
// and logged transactions read back, and nothing can be written.
TEST_F(PgConnectionTest, ReadOnlyOpenRunsBesideTheWriter) {
  Tx(kSchema);
  for (int i = 0; i < 20; ++i) Tx(Put(i, "x"));
  ASSERT_TRUE(pg_->IndexNow().ok());
  for (int i = 20; i < 30; ++i) Tx(Put(i, "y"));
  Options o;
  o.read_only = true;
  o.create_if_missing = false;
  auto r = Connection::Open(uri_, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->db().basis_t(), pg_->db().basis_t());
  EXPECT_EQ(Dump((*r)->db(), Index::kEavt), Dump(folder_->db(), Index::kEavt));
  EXPECT_TRUE((*r)->Transact(Put(99, "z")).status().IsInvalidArgument());
  EXPECT_TRUE(pg_->Transact(Put(31, "w")).ok());  // the writer still writes
  auto none = Connection::Open(uri_ + "_none", o);
  EXPECT_TRUE(none.status().IsNotFound()) << none.status().ToString();
}

}  // namespace
}  // namespace strata
