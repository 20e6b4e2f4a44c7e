// net/test_util.h — helpers shared by the net tests: a temporary folder,
// a schema, and datoms as comparable text.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "net/protocol.h"

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/postgres.h"

namespace strata::net::testing {

// A fresh folder under the system's temporary folder, removed at the end,
// and the location of the test's database: path()/db, or, when
// STRATA_NET_STORAGE names a PostgreSQL server (ctest's net.postgres
// entries), a fresh strata_db there, dropped at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-net-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << tmpl;
    path_ = tmpl;
    const char* storage = std::getenv("STRATA_NET_STORAGE");
    if (storage && *storage) UsePostgresStorage();
    db_ = storage && *storage ? WithStrataDb(storage, "net-" + path_.substr(path_.size() - 6)) : path_ + "/db";
  }
  ~TempDir() {
    if (db_.rfind(path_, 0) != 0) (void)DestroyDatabase(db_);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  const std::string& db() const { return db_; }

 private:
  std::string path_, db_;
};

inline constexpr const char* kSchema = R"([
  {:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :k/v :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :k/by :db/valueType :db.type/string :db/cardinality :db.cardinality/one}])";

// A transaction upserting entity `id` with value v, written by `by`.
inline std::string Put(int id, const std::string& v, const std::string& by = "test") {
  return "[{:k/id " + std::to_string(id) + " :k/v \"" + v + "\" :k/by \"" + by + "\"}]";
}

inline std::string DatomText(const Datom& d) {
  const std::string v = std::to_string(static_cast<int>(d.v.type())) + ":" + std::to_string(d.v.as_long()) + ":" + d.v.str();
  return std::to_string(d.e) + " " + std::to_string(d.a) + " " + v + " " + std::to_string(d.tx) +
         (d.added ? " +" : " -");
}

inline std::string TxText(T t, const std::vector<Datom>& datoms) {
  std::string s = "t=" + std::to_string(t) + ":";
  for (const Datom& d : datoms) s += " [" + DatomText(d) + "]";
  return s;
}

// Every datom of an index of `db` (current view), one per line.
inline std::string Dump(const Database& db, Index index = Index::kEavt) {
  auto ds = db.DatomsVector(index);
  if (!ds.ok()) return "error: " + ds.status().ToString();
  std::string s;
  for (const Datom& d : *ds) s += DatomText(d) + "\n";
  return s;
}

// The log of `conn` as TxText lines with t > after.
inline std::vector<std::string> LogTexts(const Connection& conn, T after = 0) {
  std::vector<std::string> out;
  Status s = conn.TxRange(after + 1, ~T{0}, [&](T t, const std::vector<Datom>& d) {
    out.push_back(TxText(t, d));
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// The protocol spoken by hand on a DEALER socket; `setup` may set socket
// options (CURVE keys, high-water marks) before it connects.
class RawClient {
 public:
  explicit RawClient(const std::string& endpoint, const std::function<void(zmq::socket_t&)>& setup = {})
      : s_(ctx_, zmq::socket_type::dealer) {
    s_.set(zmq::sockopt::linger, 0);
    if (setup) setup(s_);
    s_.connect(endpoint);
  }
  void Send(const Message& m) {
    Frames f = Encode(m);
    for (size_t i = 0; i < f.size(); ++i)
      (void)s_.send(zmq::buffer(f[i]), i + 1 < f.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  // The next message other than a heartbeat, or nothing within timeout.
  std::optional<Message> Recv(int timeout_ms = 3000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{s_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(s_, std::back_inserter(parts), zmq::recv_flags::dontwait)) continue;
      Frames f;
      for (auto& p : parts) f.push_back(p.to_string());
      auto m = Decode(f);
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      if (m.ok() && m->type != MsgType::kHeartbeat) return *m;
    }
    return std::nullopt;
  }
  zmq::socket_t& socket() { return s_; }

 private:
  zmq::context_t ctx_;
  zmq::socket_t s_;
};

}  // namespace strata::net::testing
