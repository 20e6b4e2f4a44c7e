// The `strata transactor` process killed with SIGKILL while a peer
// streams transactions into it, then restarted on the same port: every
// acknowledged transaction is in the log with the datoms its report had,
// and the peer, reconnected, saw every committed transaction once, in
// order.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "strata/connection.h"
#include "net/peer.h"
#include "net/test_util.h"

namespace strata::net {
namespace {

using testing::LogTexts;
using testing::Put;
using testing::TempDir;
using testing::TxText;

// A `strata transactor` child process.
class TransactorProcess {
 public:
  // Starts it and reads its "listening on tcp://HOST:PORT" line.
  TransactorProcess(const std::string& db, uint16_t port) {
    int out[2];
    if (pipe(out) != 0) ADD_FAILURE() << "pipe";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      const std::string listen = "127.0.0.1:" + std::to_string(port);
      execl(STRATA_BIN, STRATA_BIN, "transactor", "--db", db.c_str(), "--listen", listen.c_str(), "--sync", "always",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    const size_t at = line.find("tcp://");
    if (at == std::string::npos) {
      ADD_FAILURE() << "no listening line from the transactor: '" << line << "'";
      return;
    }
    endpoint_ = line.substr(at, line.find(' ', at) - at);
    port_ = static_cast<uint16_t>(std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1)));
  }
  ~TransactorProcess() {
    if (pid_ > 0) Signal(SIGKILL);
  }
  // Sends `sig` and returns the exit status.
  int Signal(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  const std::string& endpoint() const { return endpoint_; }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
  uint16_t port_ = 0;
};

TEST(TransactorProcessTest, SigkillLosesNothingAcknowledged) {
  TempDir dir;
  auto first = std::make_unique<TransactorProcess>(dir.db(), 0);
  ASSERT_NE(first->port(), 0);
  PeerOptions po;
  po.silence_timeout_ms = 600;
  po.transact_timeout_ms = 3000;
  auto peer = Peer::Connect(first->endpoint(), po);
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  Peer& p = **peer;
  auto schema = p.Transact(testing::kSchema);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_TRUE(p.Sync(schema->t).ok());
  auto queue = p.Subscribe();
  const T start = p.db().basis_t();

  std::mutex mu;
  std::map<T, std::string> acked;  // t -> the datoms its report had
  std::atomic<int> unknown{0}, not_sent{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      auto r = p.Transact(Put(i, "v" + std::to_string(i)));
      if (r.ok()) {
        std::lock_guard l(mu);
        acked[r->t] = TxText(r->t, r->tx_data);
      } else if (r.status().code() == Code::kAborted) {
        ++unknown;
      } else {
        EXPECT_EQ(r.status().code(), Code::kBusy) << r.status().ToString();
        ++not_sent;
      }
    }
  });
  auto wait_acks = [&](size_t n) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard l(mu);
        if (acked.size() >= n) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "fewer than " << n << " acknowledged transactions";
  };
  wait_acks(100);
  const int status = first->Signal(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status));
  const uint16_t port = first->port();
  first.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  TransactorProcess second(dir.db(), port);
  ASSERT_EQ(second.port(), port);
  size_t before;
  {
    std::lock_guard l(mu);
    before = acked.size();
  }
  wait_acks(before + 100);
  stop = true;
  writer.join();

  const T last = acked.rbegin()->first;
  auto synced = p.Sync(last, 10000);
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  std::vector<std::string> streamed;
  TxReport r;
  while (queue->Pop(&r, 0)) streamed.push_back(TxText(r.t, r.tx_data));
  EXPECT_GE(p.stats().reconnects, 1u);
  p.Close();
  const int term = second.Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(term) && WEXITSTATUS(term) == 0) << "status " << term;

  auto conn = Connection::Open(dir.db());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  const std::vector<std::string> log = LogTexts(**conn, start);
  std::map<T, std::string> by_t;
  for (const std::string& s : log) by_t[std::stoull(s.substr(2))] = s;
  for (const auto& [t, text] : acked) {
    auto it = by_t.find(t);
    ASSERT_NE(it, by_t.end()) << "acknowledged t=" << t << " is not in the log";
    EXPECT_EQ(it->second, text);
  }
  // The peer's stream is the log (it may stop short of transactions that
  // committed after `last` and whose replies were lost).
  ASSERT_LE(streamed.size(), log.size());
  EXPECT_EQ(streamed, std::vector<std::string>(log.begin(), log.begin() + streamed.size()));
  EXPECT_GE(streamed.size(), acked.size());
  std::printf("acknowledged %zu, outcome unknown %d, not sent %d, log %zu\n", acked.size(), unknown.load(),
              not_sent.load(), log.size());
}

// Runs `strata ARGS` through the shell, with stdin from the file `input`
// when given; returns its stdout and stderr, *exit its exit status.
std::string RunStrata(const std::string& args, int* exit, const std::string& input = "") {
  std::string cmd = std::string(STRATA_BIN) + " " + args + " 2>&1";
  if (!input.empty()) cmd += " < " + input;
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int status = pclose(f);
  *exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(TransactorProcessTest, PeerCommandsTransactQueryPullAndSync) {
  TempDir dir;
  TransactorProcess server(dir.db(), 0);
  ASSERT_NE(server.port(), 0);
  const std::string peer = "peer --connect 127.0.0.1:" + std::to_string(server.port()) + " ";
  int exit = 0;
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir.path() + "/" + name;
    FILE* f = fopen(path.c_str(), "w");
    fputs(text.c_str(), f);
    fclose(f);
    return path;
  };
  std::string out = RunStrata(peer + "transact", &exit, write("tx.edn", std::string(testing::kSchema) + Put(7, "seven")));
  ASSERT_EQ(exit, 0) << out;
  // The second report's t: what the peer commands below wait for.
  const size_t second = out.find("{:t ", out.find('\n'));
  ASSERT_NE(second, std::string::npos) << out;
  const std::string t = out.substr(second + 4, out.find(',', second) - second - 4);
  out = RunStrata(peer + "q '[:find ?v :where [?e :k/id 7] [?e :k/v ?v]]'", &exit);
  EXPECT_EQ(exit, 0) << out;
  EXPECT_EQ(out, "#{[\"seven\"]}\n");
  out = RunStrata(peer + "pull '[:k/v]' '[:k/id 7]' --format json", &exit);
  EXPECT_EQ(exit, 0) << out;
  EXPECT_EQ(out, "{\":k/v\":\"seven\"}\n");
  out = RunStrata(peer + "sync --t " + t, &exit);
  EXPECT_EQ(exit, 0) << out;
  EXPECT_EQ(out, "{:basis-t " + t + "}\n");
  out = RunStrata(peer + "sync --t 9999 --timeout-ms 200", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_NE(out.find("basis-t 9999 not reached"), std::string::npos) << out;
  out = RunStrata(peer + "transact", &exit, write("bad.edn", "[{:k/id \"x\"}]"));
  EXPECT_EQ(exit, 1);
  EXPECT_NE(out.find("Invalid argument: value of the wrong type for :k/id"), std::string::npos) << out;
  EXPECT_EQ(WEXITSTATUS(server.Signal(SIGTERM)), 0);
}

}  // namespace
}  // namespace strata::net
