// Durability, group commit, the tx-report queue and fault handling.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace strata {
namespace {

using testing::DbTest;
using testing::Dump;

constexpr const char* kSchema = R"([
  {:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :k/v :db/valueType :db.type/string :db/cardinality :db.cardinality/one}])";

std::string Put(int id, const std::string& v) {
  return "[{:k/id " + std::to_string(id) + " :k/v \"" + v + "\"}]";
}

class ConnectionTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Tx(kSchema);
  }
};

TEST_F(ConnectionTest, ConcurrentWritersGetContiguousTsAndSubscribersSeeAllInOrder) {
  auto q1 = conn_->Subscribe();
  auto q2 = conn_->Subscribe();
  const T first = conn_->db().next_t();
  constexpr int kThreads = 4, kPer = 100;
  std::vector<std::thread> ts;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&, i] {
      for (int j = 0; j < kPer; ++j)
        if (!conn_->Transact(Put(i * 1000 + j, "v")).ok()) failures++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (auto* q : {q1.get(), q2.get()}) {
    T expect_t = first;
    TxReport r;
    int n = 0;
    while (q->Pop(&r, 0)) {
      // Each report follows the previous one: no gaps, no repeats.
      EXPECT_EQ(r.db_before.basis_t() < r.t, true);
      EXPECT_GE(r.t, expect_t);
      expect_t = r.t + 1;
      ++n;
    }
    EXPECT_EQ(n, kThreads * kPer);
  }
  EXPECT_EQ(conn_->stats().transactions, static_cast<uint64_t>(kThreads * kPer + 1));
  EXPECT_LE(conn_->stats().group_commits, conn_->stats().transactions);
}

TEST_F(ConnectionTest, SlowSubscriberIsClosedNotGapped) {
  options_.subscriber_capacity = 3;
  Reopen();
  auto q = conn_->Subscribe();
  for (int i = 0; i < 5; ++i) Tx(Put(i, "x"));
  TxReport r;
  int n = 0;
  while (q->Pop(&r, 0)) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_EQ(q->status().code(), Code::kBusy);
  EXPECT_NE(q->status().message().find("TxRange"), std::string::npos);
}

TEST_F(ConnectionTest, CrashDropsOnlyUnsyncedData) {
  auto fenv = std::make_unique<FaultInjectionEnv>(env_.get());
  conn_.reset();
  Options o;
  o.env = fenv.get();
  o.sync = SyncPolicy::kAlways;
  auto c = Connection::Open("/db", o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*c)->Transact(Put(i, "a")).ok());
  auto want = Dump((*c)->db(), Index::kEavt);
  ASSERT_TRUE(fenv->DropUnsyncedData().ok());
  c->reset();  // the process "died"
  auto c2 = Connection::Open("/db", o);
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ(Dump((*c2)->db(), Index::kEavt), want);
}

TEST_F(ConnectionTest, FailedAppendIsNotAcknowledgedAndLeavesNoTrace) {
  auto fenv = std::make_unique<FaultInjectionEnv>(env_.get());
  conn_.reset();
  Options o;
  o.env = fenv.get();
  auto c = Connection::Open("/db", o);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Transact(Put(1, "a")).ok());
  Database before = (*c)->db();
  fenv->ShortWriteNext(7);
  auto bad = (*c)->Transact(Put(2, "b"));
  EXPECT_TRUE(bad.status().IsIOError()) << bad.status().ToString();
  EXPECT_EQ((*c)->db().basis_t(), before.basis_t());
  fenv->ClearFaults();
  ASSERT_TRUE((*c)->Transact(Put(3, "c")).ok());
  auto want = Dump((*c)->db(), Index::kEavt);
  c->reset();
  auto c2 = Connection::Open("/db", o);
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ(Dump((*c2)->db(), Index::kEavt), want);
  for (const std::string& d : want) EXPECT_EQ(d.find("\"b\""), std::string::npos);
}

TEST_F(ConnectionTest, FailedSyncStopsWritesUntilReopen) {
  auto fenv = std::make_unique<FaultInjectionEnv>(env_.get());
  conn_.reset();
  Options o;
  o.env = fenv.get();
  auto c = Connection::Open("/db", o);
  ASSERT_TRUE(c.ok());
  fenv->FailOp(FaultOp::kSync);
  EXPECT_TRUE((*c)->Transact(Put(1, "a")).status().IsIOError());
  fenv->ClearFaults();
  // fsync failed once: the state of the file is unknown, so no more writes.
  EXPECT_FALSE((*c)->Transact(Put(2, "b")).ok());
  c->reset();
  auto c2 = Connection::Open("/db", o);
  ASSERT_TRUE(c2.ok());
  EXPECT_TRUE((*c2)->Transact(Put(3, "c")).ok());
}

TEST(ConnectionCorruption, CorruptByteIsReportedWithItsPosition) {
  auto dir = std::filesystem::temp_directory_path() / ("strata-corrupt-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  {
    auto c = Connection::Open(dir.string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->Transact(kSchema).ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*c)->Transact(Put(i, "value-" + std::to_string(i))).ok());
  }
  const auto log = dir / "log";
  const auto size = std::filesystem::file_size(log);
  {
    std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    char ch;
    f.read(&ch, 1);
    ch ^= 0x20;
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.write(&ch, 1);
  }
  auto bad = Connection::Open(dir.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("offset"), std::string::npos) << bad.status().ToString();
  // Recovery mode keeps every intact transaction before the damage.
  Options o;
  o.recover_corrupt_log_tail = true;
  auto ok = Connection::Open(dir.string(), o);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE((*ok)->stats().recovered_torn_tail);
  EXPECT_GT((*ok)->stats().recovered_transactions, 1u);
  EXPECT_LT((*ok)->stats().recovered_transactions, 11u);
  ok->reset();
  std::filesystem::remove_all(dir);
}

// A writer process is killed with SIGKILL in the middle of a stream of
// transactions; reopening gives exactly the acknowledged ones (sync always)
// and never a partial one.
TEST(ConnectionCrash, KillNineKeepsEveryAcknowledgedTransaction) {
  auto dir = std::filesystem::temp_directory_path() / ("strata-kill-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto c = Connection::Open(dir.string());
    if (!c.ok() || !(*c)->Transact(kSchema).ok()) _exit(2);
    for (int i = 0;; ++i) {
      // Several datoms per transaction: a torn one would show as partial.
      std::string tx = "[{:k/id " + std::to_string(i) + " :k/v \"a\"} {:k/id " + std::to_string(100000 + i) +
                       " :k/v \"b\"}]";
      if (!(*c)->Transact(tx).ok()) _exit(3);
      if (write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
    }
  }
  close(fds[1]);
  int acked = -1, v;
  while (acked < 150 && read(fds[0], &v, sizeof v) == sizeof v) acked = v;
  kill(pid, SIGKILL);
  while (read(fds[0], &v, sizeof v) == sizeof v) acked = v;  // acks written before death
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ASSERT_GE(acked, 150);

  auto c = Connection::Open(dir.string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Database db = (*c)->db();
  const Attribute* id = db.attribute("k/id");
  ASSERT_NE(id, nullptr);
  auto ds = db.DatomsVector(Index::kAevt, {Value::Ref(id->id)});
  ASSERT_TRUE(ds.ok());
  std::set<int64_t> ids;
  for (const Datom& d : *ds) ids.insert(d.v.as_long());
  for (int i = 0; i <= acked; ++i) {
    EXPECT_TRUE(ids.count(i)) << "acknowledged transaction " << i << " lost";
  }
  // None partial: both halves of every transaction are there, or neither.
  for (int64_t i : ids) {
    if (i < 100000) {
      EXPECT_TRUE(ids.count(100000 + i)) << "partial transaction " << i;
    }
  }
  c->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata
