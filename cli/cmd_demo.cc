// `strata demo`: replays the `uniform` workload into an embedded database
// and reports what it did — throughput, the memory index, commits — and a
// few reads across time (now, as of an earlier t, history).
//
// Progress goes to stderr when it is a terminal. SIGINT stops the run
// after the transaction in flight; the summary covers what was committed
// and the exit code is 130.

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "strata/connection.h"
#include "cli/commands.h"
#include "cli/demo_report.h"
#include "workloads/uniform.h"

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// "\r 1200/20000 tx  8.1k tx/s  61k datoms/s  ETA 2.1 s" on a terminal.
class Progress {
 public:
  Progress(uint64_t total, Clock::time_point start) : total_(total), start_(start), on_(isatty(STDERR_FILENO) != 0) {}
  void Update(uint64_t done, uint64_t datoms) {
    if (!on_ || (done & 63) != 0) return;
    Clock::time_point now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double elapsed = Seconds(now - start_);
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    std::fprintf(stderr, "\r\033[K  %llu/%llu transactions  %.0f tx/s  %.0f datoms/s  ETA %.1f s",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), rate,
                 elapsed > 0 ? static_cast<double>(datoms) / elapsed : 0, eta);
  }
  void Clear() {
    if (on_) std::fputs("\r\033[K", stderr);
  }

 private:
  uint64_t total_;
  Clock::time_point start_, last_;
  bool on_;
};

// A fresh folder under $TMPDIR (or /tmp).
Result<std::string> MakeTempDir() {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / "strata-demo-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return Status::IOError("cannot create a folder under " + base.string());
  return pattern;
}

}  // namespace

int RunDemo(const DemoArgs& args) {
  SyncPolicy policy;
  if (!ParseSyncPolicy(args.sync, &policy)) return Fail("--sync '" + args.sync + "': expected always, batch or never");
  const bool temporary = args.dir.empty();
  std::string dir = args.dir;
  if (temporary) {
    auto made = MakeTempDir();
    if (!made.ok()) return Fail(made.status().message());
    dir = *made;
  }
  // Removes a temporary folder on every way out (unless --keep).
  struct Cleanup {
    const std::string& dir;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove) std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir, temporary && !args.keep};

  Options options;
  options.sync = policy;
  options.create_if_missing = true;
  auto opened = Connection::Open(dir, options);
  if (!opened.ok()) return Fail("opening " + dir + ": " + opened.status().ToString());
  Connection& conn = **opened;
  if (conn.stats().recovered_transactions > 0) {
    return Fail(dir + " already holds a database; the demo needs an empty folder");
  }

  workloads::UniformOptions wo;
  wo.transactions = args.transactions;
  wo.seed = args.seed;
  wo.entities_per_tx = args.entities_per_tx;
  workloads::UniformWorkload workload(wo);

  std::printf("strata demo: the uniform workload on an embedded database\n");
  std::printf("  workload  %s\n", wo.ToString().c_str());
  std::printf("  engine    %s\n", options.ToString().c_str());
  std::printf("  folder    %s%s\n", dir.c_str(),
              !temporary ? "" : args.keep ? " (temporary, kept)" : " (temporary, removed at exit; --keep keeps it)");
  std::fflush(stdout);

  CatchSigint();
  DemoTotals totals;
  totals.target = args.transactions;
  const Clock::time_point start = Clock::now();
  Progress progress(args.transactions, start);
  auto schema = conn.Transact(workload.Schema());
  if (!schema.ok()) return Fail("the schema transaction failed: " + schema.status().message());
  totals.datoms += schema->tx_data.size();
  edn::Node tx;
  while (!Interrupted() && workload.Next(&tx)) {
    auto report = conn.Transact(tx);
    if (!report.ok()) {
      progress.Clear();
      return Fail("uniform transaction " + std::to_string(workload.produced()) + " (seed " +
                  std::to_string(args.seed) + ") failed: " + report.status().message());
    }
    totals.transactions++;
    totals.datoms += report->tx_data.size();
    progress.Update(totals.transactions, totals.datoms);
  }
  totals.elapsed_s = Seconds(Clock::now() - start);
  totals.entities = workload.created();
  totals.interrupted = Interrupted();
  progress.Clear();

  PrintDemoReport(conn, totals);
  const T basis = conn.db().basis_t();
  if (Status s = conn.Close(); !s.ok()) return Fail("closing " + dir + ": " + s.ToString());
  if (!temporary || args.keep) {
    std::printf("\nexplore it:\n  strata datoms --db %s eavt '[:u/id \"u-1\"]' --history\n"
                "  strata log --db %s --from %llu\n",
                dir.c_str(), dir.c_str(), static_cast<unsigned long long>(basis));
  }
  std::fflush(stdout);
  return totals.interrupted ? 130 : 0;
}

}  // namespace strata::cli
