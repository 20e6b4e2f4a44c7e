// SIGKILL while indexing jobs run: a child process commits transactions
// (sync always) with a memory index so small that a job is nearly always
// under way, and is killed at a moment that varies per round. After reopen
// every acknowledged transaction is there, Verify passes, and storage holds
// exactly the segments the root reaches (Open collected the garbage of the
// job the kill interrupted).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "state/db_access.h"
#include "strata/verify.h"
#include "testing/test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :c/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :c/s :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :c/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :c/up :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}])";

Options ChildOptions() {
  Options o;
  o.sync = SyncPolicy::kAlways;
  o.memory_index_threshold = 8 << 10;
  o.segment_datoms = 128;
  return o;
}

// The child: commits transaction n = 0, 1, ... and writes (n, indexing jobs
// completed so far) to `ack` once Transact returned OK. Never returns.
[[noreturn]] void Writer(const std::string& dir, int ack) {
  const int devnull = open("/dev/null", O_WRONLY);
  if (devnull >= 0) dup2(devnull, 2);  // the engine logs every job
  auto c = Connection::Open(dir, ChildOptions());
  if (!c.ok() || !(*c)->Transact(kSchema).ok()) _exit(2);
  for (int64_t n = 0;; ++n) {
    const std::string id = std::to_string(n);
    const std::string half = std::to_string(n / 2);
    std::string tx = "[{:c/n " + id + " :c/s \"s-" + id + "\" :c/tags [:t" + std::to_string(n % 5) + " :t" +
                     std::to_string((n + 1) % 5) + "]" + (n > 0 ? " :c/up [:c/n " + half + "]" : "") + "}";
    // An update: a retraction and an assertion.
    if (n > 1) tx += " [:db/add [:c/n " + half + "] :c/s \"u-" + id + "\"]";
    tx += "]";
    if (!(*c)->Transact(tx).ok()) _exit(3);
    const int64_t msg[2] = {n, static_cast<int64_t>((*c)->stats().jobs)};
    if (write(ack, msg, sizeof msg) != sizeof msg) _exit(4);
  }
}

void KillWhileIndexing(int round, int delay_ms) {
  SCOPED_TRACE("round " + std::to_string(round) + ", kill " + std::to_string(delay_ms) + " ms after 200 acks and 3 jobs");
  const auto start = std::chrono::steady_clock::now();
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("strata-crash-index-" + std::to_string(getpid()) + "-" + std::to_string(round)))
                              .string();
  std::filesystem::remove_all(dir);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    Writer(dir, fds[1]);
  }
  close(fds[1]);
  // Kill once 200 transactions are acknowledged and the child has finished
  // 3 jobs (on a loaded machine its job thread may lag the writes).
  int64_t acked = -1, jobs = 0, msg[2];
  while ((acked < 200 || jobs < 3) && read(fds[0], msg, sizeof msg) == sizeof msg) acked = msg[0], jobs = msg[1];
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  kill(pid, SIGKILL);
  while (read(fds[0], msg, sizeof msg) == sizeof msg) acked = msg[0];  // acks written before death
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself with status " << WEXITSTATUS(status);
  ASSERT_GE(acked, 200);

  {
    Options o;
    o.background_indexing = false;
    o.create_if_missing = false;
    auto c = Connection::Open(dir, o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    Database db = (*c)->db();
    const auto& state = DbAccess::State(db);
    EXPECT_GT(state->root->generation, 2u) << "indexing jobs should have run before the kill";

    // Every acknowledged transaction is there.
    const Attribute* n_attr = db.attribute("c/n");
    ASSERT_NE(n_attr, nullptr);
    auto ds = db.DatomsVector(Index::kAevt, {Value::Ref(n_attr->id)});
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    std::set<int64_t> present;
    for (const Datom& d : *ds) present.insert(d.v.as_long());
    for (int64_t n = 0; n <= acked; ++n) ASSERT_TRUE(present.count(n)) << "acknowledged transaction " << n << " lost";

    // Storage holds exactly what the root reaches.
    std::vector<uint64_t> ids;
    state->root->CollectIds(&ids);
    std::set<std::string> reachable;
    for (uint64_t id : ids) reachable.insert(SegmentKey(id));
    auto listed = state->durable->storage->List("seg/");
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    EXPECT_EQ(std::set<std::string>(listed->begin(), listed->end()), reachable);
    ASSERT_TRUE((*c)->Close().ok());
  }

  auto report = Verify(dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << report->ToString();
  EXPECT_GT(report->segments_checked, 0u);
  std::filesystem::remove_all(dir);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(CrashIndex, KillNineDuringIndexingJobs) {
  const int delays_ms[] = {0, 15, 45, 110, 260};
  for (int round = 0; round < 5; ++round) {
    KillWhileIndexing(round, delays_ms[round]);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace strata
