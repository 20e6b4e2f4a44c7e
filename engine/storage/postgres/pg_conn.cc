// pg_conn.cc — libpq sessions, binary parameters and the retry loop.
#include "storage/postgres/pg_conn.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace strata::pg {

namespace {

// Type OIDs (pg_type.dat; stable across releases).
constexpr Oid kInt8 = 20, kText = 25, kBytea = 17;
constexpr Oid kInt8Array = 1016, kTextArray = 1009, kByteaArray = 1001;

void PutU32(std::string* out, uint32_t v) {
  v = htonl(v);
  out->append(reinterpret_cast<const char*>(&v), 4);
}

Param Array(Oid array_type, Oid elem_type, size_t n, const std::function<std::string_view(size_t)>& elem) {
  // Binary array: ndim, has-nulls, element type, then per dimension its
  // size and lower bound, then each element as length + bytes.
  Param p{array_type, {}};
  size_t total = 20;
  for (size_t i = 0; i < n; ++i) total += 4 + elem(i).size();
  p.data.reserve(total);
  PutU32(&p.data, 1);
  PutU32(&p.data, 0);
  PutU32(&p.data, elem_type);
  PutU32(&p.data, static_cast<uint32_t>(n));
  PutU32(&p.data, 1);
  for (size_t i = 0; i < n; ++i) {
    const std::string_view e = elem(i);
    PutU32(&p.data, static_cast<uint32_t>(e.size()));
    p.data.append(e);
  }
  return p;
}

std::string Int8Bytes(int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v);
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(u >> (56 - 8 * i));
  return s;
}

bool ValidDbName(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

// An error that means the connection (not the statement) failed.
bool ConnectionLost(PGconn* conn, PGresult* r) {
  if (r == nullptr || PQstatus(conn) == CONNECTION_BAD) return true;
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  if (state == nullptr) return PQresultStatus(r) == PGRES_FATAL_ERROR;  // a client-side failure
  const std::string_view st(state);
  return st.starts_with("08") || st == "57P01" || st == "57P02" || st == "57P03";
}

std::string Trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Param Text(std::string_view s) { return {kText, std::string(s)}; }
Param Bytea(std::string_view s) { return {kBytea, std::string(s)}; }
Param Int8(int64_t v) { return {kInt8, Int8Bytes(v)}; }
Param TextArray(const std::vector<std::string_view>& v) {
  return Array(kTextArray, kText, v.size(), [&](size_t i) { return v[i]; });
}
Param ByteaArray(const std::vector<std::string_view>& v) {
  return Array(kByteaArray, kBytea, v.size(), [&](size_t i) { return v[i]; });
}
Param Int8Array(const std::vector<int64_t>& v) {
  std::vector<std::string> bytes;
  bytes.reserve(v.size());
  for (int64_t x : v) bytes.push_back(Int8Bytes(x));
  return Array(kInt8Array, kInt8, v.size(), [&](size_t i) { return std::string_view(bytes[i]); });
}

int64_t Rows::int8(int row, int col) const {
  const std::string_view b = bytes(row, col);
  uint64_t u = 0;
  for (size_t i = 0; i < 8 && i < b.size(); ++i) u = (u << 8) | static_cast<unsigned char>(b[i]);
  return static_cast<int64_t>(u);
}

Result<Location> ParseLocation(const std::string& uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos || (uri.substr(0, scheme) != "postgres" && uri.substr(0, scheme) != "postgresql"))
    return Status::InvalidArgument("not a PostgreSQL location (postgres://...)");
  Location loc;
  loc.db = "default";
  const size_t q = uri.find('?');
  std::string params;
  bool has_app = false, has_timeout = false;
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(uri).substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view kv = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (kv.empty()) continue;
      const size_t eq = kv.find('=');
      const std::string key(kv.substr(0, eq));
      const std::string value(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1));
      if (key == "strata_db") {
        loc.db = value;
      } else if (key == "strata_retry_ms") {
        char* end = nullptr;
        const long ms = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || ms < 0 || ms > 3600000)
          return Status::InvalidArgument("strata_retry_ms=" + value + ": want milliseconds, 0 to 3600000");
        loc.retry_ms = static_cast<int>(ms);
      } else if (key.starts_with("strata_")) {
        return Status::InvalidArgument("unknown location parameter " + key + " (strata_db, strata_retry_ms)");
      } else {
        has_app |= key == "application_name";
        has_timeout |= key == "connect_timeout";
        params += (params.empty() ? "" : "&") + std::string(kv);
      }
    }
  }
  if (!ValidDbName(loc.db))
    return Status::InvalidArgument("strata_db=" + loc.db + ": a name of letters, digits, '_', '.' and '-'");
  if (!has_app) params += (params.empty() ? "" : "&") + std::string("application_name=strata:") + loc.db;
  if (!has_timeout) params += "&connect_timeout=10";
  loc.conninfo = uri.substr(0, q) + "?" + params;

  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(loc.conninfo.c_str(), &err);
  if (opts == nullptr) {
    const std::string msg = Trimmed(err);
    PQfreemem(err);
    return Status::InvalidArgument("PostgreSQL location: " + msg);
  }
  std::string user, host, port, dbname;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view k(o->keyword);
    if (k == "user") user = o->val;
    if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(opts);
  const bool socket = host.empty() || host[0] == '/';
  loc.server = (host.empty() ? std::string("local socket") : host) + ":" + (port.empty() ? "5432" : port);
  loc.described = "postgres://" + (user.empty() ? "" : user + "@") + (socket ? "" : host) +
                  (port.empty() ? "" : ":" + port) + "/" + dbname + "?" +
                  (socket && !host.empty() ? "host=" + host + "&" : "") + "strata_db=" + loc.db;
  return loc;
}

Session::~Session() {
  if (conn_) PQfinish(conn_);
}

Status Session::Connect() {
  const auto t0 = std::chrono::steady_clock::now();
  if (conn_) PQfinish(conn_);
  conn_ = PQconnectdb(loc_.conninfo.c_str());
  broken_ = false;
  Status s;
  if (PQstatus(conn_) != CONNECTION_OK) {
    s = Status::IOError("connecting to PostgreSQL at " + loc_.server + ": " + Trimmed(PQerrorMessage(conn_)));
    broken_ = true;
  } else if (!sync_) {
    PGresult* r = PQexec(conn_, "SET synchronous_commit = off");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) s = Failed(r, "SET synchronous_commit = off");
    PQclear(r);
  }
  if (counters_) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    counters_->wait_us += static_cast<uint64_t>(us.count());
  }
  return s;
}

void Session::Close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

Status Session::Failed(PGresult* r, const char* sql) {
  if (ConnectionLost(conn_, r)) broken_ = true;
  std::string msg = r ? Trimmed(PQresultErrorMessage(r)) : "";
  if (msg.empty()) msg = Trimmed(PQerrorMessage(conn_));
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view stmt(sql);
  if (stmt.size() > 60) stmt = stmt.substr(0, 60);
  return Status::IOError("PostgreSQL at " + loc_.server + (state ? std::string(" (SQLSTATE ") + state + ")" : "") +
                         ": " + msg + " [in: " + std::string(stmt) + "...]");
}

Result<Rows> Session::Exec(const char* sql, const std::vector<Param>& params) {
  if (broken()) return Status::IOError("PostgreSQL at " + loc_.server + ": not connected");
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const Param& p : params) {
    types.push_back(p.type);
    values.push_back(p.data.data());
    lengths.push_back(static_cast<int>(p.data.size()));
    formats.push_back(1);
  }
  const auto t0 = std::chrono::steady_clock::now();
  PGresult* r = PQexecParams(conn_, sql, static_cast<int>(params.size()), types.data(), values.data(), lengths.data(),
                             formats.data(), /*resultFormat=*/1);
  if (counters_) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    counters_->round_trips++;
    counters_->wait_us += static_cast<uint64_t>(us.count());
  }
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status s = Failed(r, sql);
    PQclear(r);
    return s;
  }
  return Rows(r);
}

Status Session::ExecScript(const char* sql) {
  if (broken()) return Status::IOError("PostgreSQL at " + loc_.server + ": not connected");
  PGresult* r = PQexec(conn_, sql);
  if (counters_) counters_->round_trips++;
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  Status s = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? Status::OK() : Failed(r, sql);
  PQclear(r);
  return s;
}

void Session::Poll() {
  // A terminated session's server sends an error, then closes: the first
  // read may take the error only, the second sees the end.
  for (int i = 0; i < 2 && conn_ && !broken(); ++i)
    if (PQconsumeInput(conn_) == 0) broken_ = true;
}

bool Session::in_transaction() const {
  if (!conn_) return false;
  const PGTransactionStatusType t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

Status RunWithRetry(Session& s, Counters& c, const std::string& what, const std::function<Status(Session&)>& fn) {
  // Counted against `c` for this call only: c may not outlive it.
  s.set_counters(&c);
  struct Unset {
    Session& s;
    ~Unset() { s.set_counters(nullptr); }
  } unset{s};
  const auto start = std::chrono::steady_clock::now();
  const auto budget = std::chrono::milliseconds(s.location().retry_ms);
  auto delay = std::chrono::milliseconds(50);
  Status last;
  for (;;) {
    if (s.broken()) {
      if (s.conn() != nullptr) c.reconnects++;  // not the first connect of a new session
      last = s.Connect();
    }
    if (!s.broken()) {
      last = fn(s);
      if (last.ok() || !s.broken()) {
        if (!last.ok() && s.in_transaction()) (void)s.ExecScript("ROLLBACK");
        return last;
      }
    }
    const auto spent = std::chrono::steady_clock::now() - start;
    if (spent + delay > budget) {
      return Status::IOError("PostgreSQL at " + s.location().server + ": gave up on " + what + " after " +
                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(spent).count()) +
                             " ms of reconnecting: " + last.message());
    }
    spdlog::warn("strata: PostgreSQL at {}: {}: {}; reconnecting in {} ms", s.location().server, what,
                 last.message(), delay.count());
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

Status Pool::Run(Counters& c, const std::string& what, const std::function<Status(Session&)>& fn) {
  std::unique_ptr<Session> s;
  {
    MutexLock l(&mu_);
    while (free_.empty() && created_ >= max_) cv_.Wait();
    if (!free_.empty()) {
      s = std::move(free_.back());
      free_.pop_back();
    } else {
      created_++;
    }
  }
  if (!s) s = std::make_unique<Session>(loc_, sync_);
  Status st = RunWithRetry(*s, c, what, fn);
  {
    MutexLock l(&mu_);
    free_.push_back(std::move(s));
  }
  cv_.Signal();
  return st;
}

}  // namespace strata::pg
