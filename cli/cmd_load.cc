// `strata load`: a workload's transactions into a persistent database (see
// load_command.h).

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/load_command.h"
#include "workloads/workload.h"

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string Human(double x) {
  char buf[32];
  if (x >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", x / 1e6);
  else if (x >= 1e4) std::snprintf(buf, sizeof buf, "%.0fk", x / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

// "\r  mbrainz  120/406 tx  3.1M datoms  210k datoms/s  ETA 9 s" on stderr,
// at most four times a second, only when stderr is a terminal.
class Progress {
 public:
  Progress(std::string label, uint64_t total)
      : label_(std::move(label)), total_(total), on_(isatty(STDERR_FILENO) != 0), start_(Clock::now()) {}

  void Update(uint64_t tx, uint64_t datoms) {
    if (!on_) return;
    const Clock::time_point now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double elapsed = Seconds(now - start_);
    std::string eta = "?";
    if (total_ > tx && tx > 0 && elapsed > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f s", static_cast<double>(total_ - tx) * elapsed / static_cast<double>(tx));
      eta = buf;
    }
    std::fprintf(stderr, "\r\033[K  %s  %llu/%llu tx  %s datoms  %s datoms/s  ETA %s", label_.c_str(),
                 static_cast<unsigned long long>(tx), static_cast<unsigned long long>(total_), Human(static_cast<double>(datoms)).c_str(),
                 Human(elapsed > 0 ? static_cast<double>(datoms) / elapsed : 0).c_str(), eta.c_str());
  }
  void Note(const char* what) {
    if (on_) std::fprintf(stderr, "\r\033[K  %s  %s", label_.c_str(), what);
  }
  void Clear() {
    if (on_) std::fputs("\r\033[K", stderr);
  }

 private:
  std::string label_;
  uint64_t total_;
  bool on_;
  Clock::time_point start_, last_;
};

}  // namespace

CLI::App* AddLoadCommand(CLI::App& app, LoadArgs* args) {
  CLI::App* load = app.add_subcommand(
      "load", "Load a workload's data (its transactions, no reads) into a database to explore with\n"
              "datoms, log, q and pull. The database is created if missing and indexed at the end.\n"
              "Example: strata load mbrainz --db mb && strata datoms --db mb avet :artist/gid --limit 3");
  load->add_option("workload", args->workload, "workload name (mbrainz, mbrainz-synth, uniform, ...)")
      ->required()
      ->option_text("WORKLOAD");
  load->add_option("--db", args->db, "database folder (created if it does not exist)")->required()->option_text("DIR");
  load->add_option("--scale", args->scale, "workload size (mbrainz-synth: 1 = the 1968-1973 subset's size)")
      ->check(CLI::PositiveNumber)
      ->option_text("N (default 1)");
  load->add_option("--seed", args->seed, "workload seed")->option_text("N (default 1)");
  load->add_option("--data-dir", args->data_dir, "data set folder (mbrainz: shared/data/mbrainz; default: found)")
      ->option_text("DIR");
  load->add_option("--sync", args->sync, "commit durability (the log is synced at the end in any case)")
      ->check(CLI::IsMember({"always", "batch", "never"}))
      ->option_text("always|batch|never (default never)");
  load->add_flag("--index,!--no-index", args->index, "index the novelty at the end (default on)");
  return load;
}

int RunLoad(const LoadArgs& args) {
  workloads::WorkloadOptions wo;
  wo.name = args.workload;
  wo.scale = args.scale;
  wo.seed = args.seed;
  wo.data_dir = args.data_dir;
  auto made = workloads::MakeWorkload(wo);
  if (!made.ok()) return Fail(made.status().message());
  workloads::Workload& w = **made;

  Options o;
  if (!ParseSyncPolicy(args.sync, &o.sync)) return Fail("--sync '" + args.sync + "': expected always, batch or never");
  o.create_if_missing = true;
  auto opened = Connection::Open(args.db, o);
  if (!opened.ok()) return Fail(opened.status().WithContext("opening " + args.db).message());
  Connection& conn = **opened;
  w.RegisterTxFunctions(conn);
  CatchSigint();

  const Clock::time_point start = Clock::now();
  uint64_t tx = 0, datoms = 0;
  auto commit = [&](const edn::Node& data, const std::string& what) -> Status {
    auto rep = conn.Transact(data);
    if (!rep.ok()) return rep.status().WithContext(what);
    ++tx;
    datoms += rep->tx_data.size();
    return Status::OK();
  };
  const std::string label = "loading " + w.name();
  Progress progress(label, w.EstimatedSteps() + w.Schema().size());
  for (const edn::Node& s : w.Schema()) {
    Status st = commit(s, "schema of workload " + w.name());
    if (!st.ok()) {
      progress.Clear();
      return Fail(st.message());
    }
  }
  workloads::Step step;
  bool interrupted = false;
  while (w.Next(&step)) {
    if (Interrupted()) {
      interrupted = true;
      break;
    }
    if (step.kind != workloads::Step::Kind::kTransact) continue;
    Status st = commit(step.tx, "workload " + w.name() + " (seed " + std::to_string(args.seed) + "), transaction " +
                                    std::to_string(tx + 1));
    if (!st.ok()) {
      progress.Clear();
      return Fail(st.message());
    }
    progress.Update(tx, datoms);
  }
  const double load_seconds = Seconds(Clock::now() - start);
  if (args.index && !interrupted) {
    progress.Note("indexing the novelty...");
    auto jobs = conn.IndexNow();
    if (!jobs.ok()) {
      progress.Clear();
      return Fail(jobs.status().WithContext("indexing " + args.db).message());
    }
  }
  progress.Clear();
  const T basis = conn.db().basis_t();
  Status closed = conn.Close();
  if (!closed.ok()) return Fail(closed.WithContext("closing " + args.db).message());

  char line[512];
  std::snprintf(line, sizeof line,
                "%s %s (scale %g, seed %llu) into %s: %llu transactions, %llu datoms in %.1f s (%.0f datoms/s), "
                "basis t %llu%s",
                interrupted ? "interrupted loading" : "loaded", w.name().c_str(), args.scale,
                static_cast<unsigned long long>(args.seed), args.db.c_str(), static_cast<unsigned long long>(tx),
                static_cast<unsigned long long>(datoms), load_seconds,
                load_seconds > 0 ? static_cast<double>(datoms) / load_seconds : 0,
                static_cast<unsigned long long>(basis), args.index && !interrupted ? ", indexed" : "");
  PrintLine(line);
  return interrupted ? 130 : 0;
}

}  // namespace strata::cli
