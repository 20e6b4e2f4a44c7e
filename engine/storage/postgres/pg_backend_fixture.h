// pg_backend_fixture.h — the PgBackendTest fixture and plain SQL behind the
// backend's back, shared by the PostgreSQL backend's tests
// (pg_backend_test.cc, pg_log_test.cc, pg_outage_test.cc).
//
// ctest starts a throw-away server (the `postgres` fixture, scripts/pg-temp)
// and points STRATA_PG_URI_FILE at its URI; STRATA_PG_URI may name a server
// directly. Without either the tests skip. Each test uses a strata database
// of its own name, destroyed first.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <xxhash.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/backend.h"
#include "storage/postgres/pg_test_util.h"
#include "strata/database.h"
#include "strata/location.h"

namespace strata {

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

}  // namespace strata
