// pg_conn.h — PostgreSQL sessions for the PostgreSQL backend (internal).
//
// A Location is a parsed "postgres://...?strata_db=NAME" URI. A Session is
// one libpq connection; a Pool hands sessions to threads, one thread per
// session at a time, and runs operations with retries: when the connection
// is lost (libpq reports CONNECTION_BAD, a statement returns no result, or
// an error of SQLSTATE class 08, 57P01..57P03), the session reconnects with
// exponential back-off (50 ms doubling to 2 s, within Location::retry_ms in
// all) and the whole operation runs again. Operations must therefore be
// idempotent; a transaction cut by the loss was rolled back by the server.
// Every other error (a failing statement, a checksum) is returned as is.
//
// Counting: every statement is one round trip; its wall time is wait time.
// Connecting is not a round trip; reconnecting after a loss counts in
// `reconnects` and its time as wait.
//
// Thread safety: a Session is used by one thread at a time; Pool and
// Counters may be used from any thread.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "strata/mutex.h"
#include "strata/status.h"

namespace strata::pg {

struct Location {
  std::string conninfo;   // for libpq: the URI without strata_* parameters
  std::string db;         // strata_db: the strata database inside PostgreSQL
  std::string server;     // "host:port", for messages
  std::string described;  // the location without any password
  int retry_ms = 20000;   // strata_retry_ms: give up reconnecting after this
};

// Parses "postgres[ql]://[user[:password]@][host][:port][/pgdb][?params]".
// strata_db (default "default", [A-Za-z0-9_.-]+) and strata_retry_ms are
// taken out; application_name ("strata:NAME") and connect_timeout (10 s)
// are added unless given. Other parameters go to libpq as they are.
Result<Location> ParseLocation(const std::string& uri);

struct Counters {
  std::atomic<uint64_t> round_trips{0}, reconnects{0}, wait_us{0};
  double wait_ms() const { return static_cast<double>(wait_us.load()) / 1000; }
};

// A statement parameter, sent in binary.
struct Param {
  Oid type;
  std::string data;
};
Param Text(std::string_view s);
Param Bytea(std::string_view s);
Param Int8(int64_t v);
// One-dimensional arrays: text[], bytea[], bigint[].
Param TextArray(const std::vector<std::string_view>& v);
Param ByteaArray(const std::vector<std::string_view>& v);
Param Int8Array(const std::vector<int64_t>& v);

// A statement's result, columns in binary.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col); }
  std::string_view bytes(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  int64_t int8(int row, int col) const;  // a bigint column
  bool boolean(int row, int col) const { return bytes(row, col) == std::string_view("\1", 1); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

class Session {
 public:
  Session(const Location& loc, bool sync) : loc_(loc), sync_(sync) {}
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // (Re)connects, then sets synchronous_commit off unless sync.
  Status Connect();
  // One statement, one round trip. A lost connection marks the session
  // broken() and is IOError.
  Result<Rows> Exec(const char* sql, const std::vector<Param>& params = {});
  // Closes the connection (broken() afterwards).
  void Close();
  // Several statements without parameters (PQexec: one implicit transaction).
  Status ExecScript(const char* sql);
  bool broken() const { return conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD || broken_; }
  // Reads what the server sent meanwhile without blocking; a server that
  // closed the connection shows as broken() afterwards.
  void Poll();
  bool in_transaction() const;
  PGconn* conn() { return conn_; }
  void set_counters(Counters* c) { counters_ = c; }
  Counters* counters() { return counters_; }
  const Location& location() const { return loc_; }

 private:
  Status Failed(PGresult* r, const char* sql);
  const Location& loc_;
  const bool sync_;
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  Counters* counters_ = nullptr;
};

// Runs fn on `s`, reconnecting with back-off and running it again after a
// lost connection, until it succeeds, fails otherwise, or the retry budget
// is spent (IOError naming the server, `what` and the last error). A
// transaction fn leaves open on error is rolled back.
Status RunWithRetry(Session& s, Counters& c, const std::string& what, const std::function<Status(Session&)>& fn);

class Pool {
 public:
  Pool(Location loc, bool sync, size_t max_sessions) : loc_(std::move(loc)), sync_(sync), max_(max_sessions) {}
  // RunWithRetry on a free session (a new one if fewer than max exist).
  Status Run(Counters& c, const std::string& what, const std::function<Status(Session&)>& fn);
  const Location& location() const { return loc_; }
  bool sync() const { return sync_; }

 private:
  const Location loc_;
  const bool sync_;
  const size_t max_;
  Mutex mu_;
  CondVar cv_{&mu_};  // a session returned to free_
  std::vector<std::unique_ptr<Session>> free_ GUARDED_BY(mu_);
  size_t created_ GUARDED_BY(mu_) = 0;
};

}  // namespace strata::pg
