// pg_outage_test.cc — the PostgreSQL backend when sessions are terminated,
// the server goes away, and readers race the writer (see
// pg_backend_fixture.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "storage/postgres/pg_backend_fixture.h"
#include "storage/postgres/pg_conn.h"

namespace strata {
namespace {

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
