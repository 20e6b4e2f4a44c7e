// `strata load`: a workload's transactions into a persistent database (see
// load_command.h).

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "strata/connection.h"
#include "cli/commands.h"
#include "cli/load_command.h"
#include "cli/progress.h"
#include "workloads/dataset.h"
#include "workloads/workload.h"

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

workloads::WorkloadOptions OptionsOf(const std::string& name, double scale, uint64_t seed, const std::string& data_dir) {
  workloads::WorkloadOptions wo;
  wo.name = name;
  wo.scale = scale;
  wo.seed = seed;
  wo.data_dir = data_dir;
  return wo;
}

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
  load->add_option("--data-dir", args->data_dir, "data set folder (mbrainz: the repository's datasets/mbrainz, found by default)")
      ->option_text("DIR");
  load->add_option("--sync", args->sync, "commit durability (the log is synced at the end in any case)")
      ->check(CLI::IsMember({"always", "batch", "never"}))
      ->option_text("always|batch|never (default never)");
  load->add_flag("--index,!--no-index", args->index, "index the novelty at the end (default on)");
  return load;
}

int RunLoad(const LoadArgs& args) {
  const workloads::WorkloadOptions wo = OptionsOf(args.workload, args.scale, args.seed, args.data_dir);
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
  const std::string label = "loading " + w.name();
  Progress progress(label, w.EstimatedSteps() + w.Schema().size());
  uint64_t tx = 0, datoms = 0;
  // The t of the first and last schema and workload transactions committed,
  // for the error message: each transaction commits on its own.
  T schema_t[2] = {0, 0}, data_t[2] = {0, 0};
  uint64_t schema_tx = 0;
  auto commit = [&](const edn::Node& data, const std::string& what, T* range) -> Status {
    auto rep = conn.Transact(data);
    if (!rep.ok()) return rep.status().WithContext(what);
    ++tx;
    datoms += rep->tx_data.size();
    if (range[0] == 0) range[0] = rep->t;
    range[1] = rep->t;
    return Status::OK();
  };
  auto span = [](const T* range) {
    return range[0] == range[1] ? "t=" + std::to_string(range[0])
                                : "t=" + std::to_string(range[0]) + ".." + std::to_string(range[1]);
  };
  auto failed = [&](const Status& st) {
    std::string what;
    auto count = [](uint64_t n, const char* kind) {
      return n == 1 ? std::string("the ") + kind + " transaction" : std::to_string(n) + " " + kind + " transactions";
    };
    if (schema_tx > 0) what = count(schema_tx, "schema") + " (" + span(schema_t) + ")";
    if (tx > schema_tx)
      what += (what.empty() ? "" : " and ") + count(tx - schema_tx, "workload") + " (" + span(data_t) + ")";
    progress.Clear();
    if (what.empty()) return Fail(st.message() + "; nothing was committed");
    return Fail(st.message() + "; " + what + (tx == 1 ? " stays committed" : " stay committed"));
  };
  for (const edn::Node& s : w.Schema()) {
    Status st = commit(s, "schema of workload " + w.name(), schema_t);
    if (!st.ok()) return failed(st);
    ++schema_tx;
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
                                    std::to_string(tx + 1),
                       data_t);
    if (!st.ok()) return failed(st);
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
  if (const std::string provenance = w.Provenance(); !provenance.empty()) PrintLine("data: " + provenance);
  return interrupted ? 130 : 0;
}

CLI::App* AddGenCommand(CLI::App& app, GenArgs* args) {
  CLI::App* gen = app.add_subcommand(
      "gen", "Write a workload's transaction stream to a dataset folder (zstd-compressed EDN, one transaction\n"
             "per line, and a manifest), so later runs replay exactly the same data without generating it.\n"
             "Example: strata gen mbrainz-synth --scale 10 --out datasets/cache/mbs10 && \\\n"
             "         strata run --workload replay --data-dir datasets/cache/mbs10 --strategy adaptive,full-rebuild");
  gen->add_option("workload", args->workload, "workload name (mbrainz, mbrainz-synth, uniform, ...)")
      ->required()
      ->option_text("WORKLOAD");
  gen->add_option("--out", args->out, "dataset folder (created; must not hold a dataset yet)")->required()->option_text("DIR");
  gen->add_option("--scale", args->scale, "workload size")->check(CLI::PositiveNumber)->option_text("N (default 1)");
  gen->add_option("--seed", args->seed, "workload seed")->option_text("N (default 1)");
  gen->add_option("--data-dir", args->data_dir, "data set folder, for workloads over real data")->option_text("DIR");
  return gen;
}

int RunGen(const GenArgs& args) {
  const workloads::WorkloadOptions wo = OptionsOf(args.workload, args.scale, args.seed, args.data_dir);
  if (wo.name == "replay") return Fail("strata gen writes a generator's stream; 'replay' reads one (copy the folder instead)");
  auto made = workloads::MakeWorkload(wo);
  if (!made.ok()) return Fail(made.status().message());
  workloads::Workload& w = **made;
  CatchSigint();
  Progress progress("writing " + w.name(), w.EstimatedSteps(), "tx");
  const Clock::time_point start = Clock::now();
  auto sum = workloads::WriteDataset(
      w, wo, args.out, [&](uint64_t tx) { progress.Update(tx, tx); }, [] { return Interrupted(); });
  progress.Clear();
  if (!sum.ok()) {
    Fail(sum.status().message());
    return sum.status().code() == Code::kAborted ? 130 : 1;
  }
  const double secs = Seconds(Clock::now() - start);
  char line[512];
  std::snprintf(line, sizeof line,
                "wrote %s (scale %g, seed %llu) to %s: %llu transactions (%llu reads not written), %.1f MB of EDN "
                "in %.1f MB compressed, %.1f s",
                w.name().c_str(), args.scale, static_cast<unsigned long long>(args.seed), args.out.c_str(),
                static_cast<unsigned long long>(sum->transactions), static_cast<unsigned long long>(sum->reads),
                static_cast<double>(sum->edn_bytes) / 1e6, static_cast<double>(sum->bytes_written) / 1e6, secs);
  PrintLine(line);
  return 0;
}

}  // namespace strata::cli
