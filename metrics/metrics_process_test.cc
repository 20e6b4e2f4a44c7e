// `strata transactor --metrics` and `strata run --metrics` as processes:
// /metrics is served while they work, and its counters move by what was
// done (docs/metrics.md).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "metrics/exposition_parser.h"
#include "net/peer.h"
#include "net/test_util.h"

namespace strata::metrics {
namespace {

using net::testing::Put;
using net::testing::TempDir;
using testing::Exposition;
using testing::ParseExposition;

// A `strata` child process whose stdout or stderr is read line by line.
class Child {
 public:
  Child(std::vector<std::string> args, bool read_stderr) {
    int p[2];
    if (pipe(p) != 0) ADD_FAILURE() << "pipe";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(p[1], read_stderr ? 2 : 1);
      close(p[0]);
      close(p[1]);
      args.insert(args.begin(), STRATA_BIN);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(STRATA_BIN, argv.data());
      _exit(127);
    }
    close(p[1]);
    fd_ = p[0];
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (fd_ >= 0) close(fd_);
  }
  // The next line holding `what`, skipping others; "" at the end of output.
  std::string LineWith(const std::string& what) {
    for (;;) {
      std::string line;
      char c;
      ssize_t n;
      while ((n = read(fd_, &c, 1)) == 1 && c != '\n') line += c;
      if (line.find(what) != std::string::npos) return line;
      if (n != 1) return "";
    }
  }
  // The rest of the output.
  std::string Rest() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void Signal(int sig) { kill(pid_, sig); }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

// "... metrics on http://127.0.0.1:PORT/metrics" -> PORT; 0 if absent.
int PortOf(const std::string& line) {
  const size_t at = line.find("http://127.0.0.1:");
  if (at == std::string::npos) return 0;
  return std::stoi(line.substr(at + 17));
}

Exposition Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(std::chrono::seconds(10));
  auto res = client.Get("/metrics");
  Exposition e;
  if (!res || res->status != 200) {
    e.error = res ? "status " + std::to_string(res->status) : "no response: " + httplib::to_string(res.error());
    return e;
  }
  return ParseExposition(res->body);
}

TEST(MetricsProcess, TransactorServesCountersThatMoveWithPeerTransactions) {
  TempDir dir;
  Child tx({"transactor", "--db", dir.path() + "/db", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0"}, false);
  const std::string listening = tx.LineWith("listening on tcp://");
  ASSERT_NE(listening, "");
  const std::string endpoint = listening.substr(listening.find("tcp://"), listening.find(' ', listening.find("tcp://")) -
                                                                              listening.find("tcp://"));
  const int port = PortOf(tx.LineWith("metrics on http://"));
  ASSERT_GT(port, 0);

  auto peer = net::Peer::Connect(endpoint);
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  ASSERT_TRUE((*peer)->Transact(net::testing::kSchema).ok());
  const Exposition before = Scrape(port);
  ASSERT_EQ(before.error, "");
  uint64_t datoms = 0;
  for (int i = 0; i < 25; ++i) {
    auto r = (*peer)->Transact(Put(i, "v"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    datoms += r->tx_data.size();
  }
  const Exposition after = Scrape(port);
  ASSERT_EQ(after.error, "");
  EXPECT_EQ(after.Get("strata_transactions_total") - before.Get("strata_transactions_total"), 25);
  EXPECT_EQ(after.Get("strata_transaction_datoms_total") - before.Get("strata_transaction_datoms_total"), datoms);
  EXPECT_EQ(after.Get("strata_transactor_peer_transactions_total") -
                before.Get("strata_transactor_peer_transactions_total"),
            25);
  EXPECT_EQ(after.Get("strata_transactor_peers"), 1);
  peer->reset();
  tx.Signal(SIGTERM);
  EXPECT_EQ(tx.Wait(), 0);
}

TEST(MetricsProcess, ANonLoopbackAddressNeedsTheFlag) {
  TempDir dir;
  Child tx({"transactor", "--db", dir.path() + "/db", "--listen", "127.0.0.1:0", "--metrics", "0.0.0.0:0"}, true);
  const std::string err = tx.Rest();
  EXPECT_EQ(tx.Wait(), 1);
  EXPECT_NE(err.find("--metrics 0.0.0.0:0 is not a loopback address"), std::string::npos) << err;
  EXPECT_NE(err.find("--metrics-remote"), std::string::npos) << err;

  Child run({"run", "--strategy", "adaptive", "--out", dir.path() + "/out", "--metrics", "10.1.2.3:9464"}, true);
  const std::string run_err = run.Rest();
  EXPECT_EQ(run.Wait(), 1);
  EXPECT_NE(run_err.find("--metrics 10.1.2.3:9464 is not a loopback address"), std::string::npos) << run_err;
}

// Scrapes while the run works: the run's transaction counter is seen at
// two or more values, never going back, labelled with its strategy.
TEST(MetricsProcess, RunServesItsLiveCounters) {
  TempDir dir;
  Child run({"run", "--workload", "uniform", "--scale", "1", "--strategy", "adaptive", "--out", dir.path() + "/out",
             "--metrics", "127.0.0.1:0"},
            true);
  const int port = PortOf(run.LineWith("metrics on http://"));
  ASSERT_GT(port, 0);
  const std::string series = "strata_transactions_total{strategy=\"adaptive\",repetition=\"1\"}";
  std::vector<double> seen;
  double active_seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    const Exposition e = Scrape(port);
    if (!e.error.empty()) break;  // the run ended and the server stopped
    const double v = e.Get(series);
    if (v >= 0 && (seen.empty() || v != seen.back())) seen.push_back(v);
    active_seen = std::max(active_seen, e.Get("strata_run_active{strategy=\"adaptive\",repetition=\"1\"}"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string rest = run.Rest();
  EXPECT_EQ(run.Wait(), 0) << rest;
  ASSERT_GE(seen.size(), 2u) << "the counter should be seen moving during the run";
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]);
  EXPECT_EQ(active_seen, 1);
}

}  // namespace
}  // namespace strata::metrics
