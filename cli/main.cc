// strata — the command line tool: transact EDN, read indexes and the log,
// run the demo, run workloads per merge strategy, index and verify.

#include <spdlog/spdlog.h>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "cli/backup_command.h"
#include "cli/commands.h"
#include "cli/dev_commands.h"
#include "cli/flags.h"
#include "cli/import_commands.h"
#include "cli/index_read_commands.h"
#include "cli/load_command.h"
#include "cli/log_sink.h"
#include "cli/net_commands.h"
#include "cli/perf_commands.h"
#include "cli/query_commands.h"
#include "cli/experiment_command.h"
#include "cli/report_commands.h"
#include "console/command.h"
#include "strata/location.h"
#include "strata/postgres.h"

namespace {

using strata::cli::AddFormatFlag;

const char* kTimeHelp = "a t, a tx id, or an instant (#inst \"2024-05-01T10:00:00Z\" or 2024-05-01)";

}  // namespace

int main(int argc, char** argv) {
  // The engine logs warnings through spdlog; keep stdout for results.
  spdlog::set_default_logger(strata::cli::NewCliLogger());
  strata::UsePostgresStorage();  // every command takes postgres:// locations

  CLI::App app{"strata: a database of immutable facts with Datomic's information model.", "strata"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "strata 0.1.0");
  app.footer("Run 'strata COMMAND --help' for a command's options.");

  strata::cli::TransactArgs ta;
  CLI::App* transact = app.add_subcommand(
      "transact", "Commit EDN transactions from FILE or stdin: one vector of operations, or several in sequence.\n"
                  "Each is committed on its own and its report printed; on the first failure the earlier ones\n"
                  "stay committed, and the error names the transaction and its line.");
  transact->add_option("--db", ta.db, "database folder (created if it does not exist)")->required()->option_text("DIR");
  transact->add_option("--sync", ta.sync, "commit durability")
      ->check(CLI::IsMember({"always", "batch", "never"}))
      ->option_text("always|batch|never (default always)");
  transact->add_option("--strategy", ta.strategy,
                       "merge strategy for indexing jobs (default: the one the root records; adaptive when new)")
      ->option_text("S");
  transact->add_option("file", ta.file, "EDN file; '-' or nothing reads stdin")->option_text("FILE|-");
  AddFormatFlag(transact, &ta.format);

  strata::cli::DatomsArgs da;
  CLI::App* datoms = app.add_subcommand(
      "datoms", "Print the datoms of an index whose leading components match.\n"
                "Example: strata datoms --db DIR avet :item/id '\"0042-TRBL\"'");
  datoms->add_option("--db", da.db, "database folder (must exist)")->required()->option_text("DIR");
  datoms->add_option("index", da.index, "eavt, aevt, avet or vaet")->required()->option_text("INDEX");
  datoms->add_option("components", da.components,
                     "leading components as EDN: an attribute (:item/id), a value ('\"x\"', 42),\n"
                     "an entity id, or a lookup ref ('[:item/id \"x\"]')")
      ->option_text("COMPONENT...");
  datoms->add_option("--as-of", da.as_of, std::string("read the database as of ") + kTimeHelp)->option_text("T");
  datoms->add_option("--since", da.since, "only datoms added after T (T excluded)")->option_text("T");
  datoms->add_flag("--history", da.history, "every assertion and retraction ever recorded");
  datoms->add_option("--limit", da.limit, "print at most N datoms (0: all)")->option_text("N");
  AddFormatFlag(datoms, &da.format);

  strata::cli::LogArgs la;
  CLI::App* log = app.add_subcommand("log", "Print the transaction log: each transaction with all its datoms.");
  log->add_option("--db", la.db, "database folder (must exist)")->required()->option_text("DIR");
  log->add_option("--from", la.from, std::string("first transaction: ") + kTimeHelp)->option_text("T");
  log->add_option("--to", la.to, "end of the range, excluded (like Datomic's tx-range)")->option_text("T");
  AddFormatFlag(log, &la.format);

  strata::cli::DemoArgs dm;
  CLI::App* demo = app.add_subcommand(
      "demo", "Replay the 'uniform' workload into an embedded database and report throughput,\n"
              "memory index, commits and a few reads across time. Ctrl-C stops cleanly.");
  demo->add_option("--dir", dm.dir, "database folder (default: a fresh temporary folder, removed at exit)")
      ->option_text("DIR");
  demo->add_flag("--keep", dm.keep, "keep the temporary folder");
  demo->add_option("--transactions", dm.transactions, "data transactions to run")->option_text("N (default 10000)");
  demo->add_option("--seed", dm.seed, "workload seed")->option_text("S (default 42)");
  demo->add_option("--entities-per-tx", dm.entities_per_tx, "new entities per transaction")
      ->check(CLI::Range(0, 10000))
      ->option_text("N (default 4)");
  demo->add_option("--sync", dm.sync, "commit durability")
      ->check(CLI::IsMember({"always", "batch", "never"}))
      ->option_text("always|batch|never (default never)");

  strata::cli::RunArgs ra;
  CLI::App* run = app.add_subcommand(
      "run", "Replay a workload into a fresh database per strategy and write DIR/results-<strategy>.json:\n"
             "every indexing job's metrics, totals, read latencies and the context (commit, build, machine).\n"
             "Example: strata run --workload uniform --scale 10 --strategy adaptive,full-rebuild,cow-tree --out results");
  run->add_option("--workload", ra.workload, "workload name")->option_text("NAME (default uniform)");
  run->add_option("--scale", ra.scale, "workload size; uniform: 1 = 2000 transactions")
      ->check(CLI::PositiveNumber)
      ->option_text("N (default 1)");
  run->add_option("--strategy", ra.strategies, "merge strategies, each in its own database; all: every registered one")
      ->required()
      ->option_text("S[,S...]");
  run->add_option("--seed", ra.seed, "workload seed")->option_text("N (default 1)");
  run->add_option("--out", ra.out, "folder for the results files (and, meanwhile, the databases)")
      ->option_text("DIR (default results)");
  run->add_option("--memory-index-threshold", ra.memory_index_threshold, "novelty per indexing job")
      ->option_text("SIZE (e.g. 64k, 32m; default 32m)");
  run->add_option("--memory-index-max", ra.memory_index_max, "transactions wait past this much novelty")
      ->option_text("SIZE (default 512m)");
  run->add_option("--segment-cache", ra.segment_cache, "decoded index leaves kept in memory")
      ->option_text("SIZE (default 256m)");
  run->add_option("--segment-datoms", ra.segment_datoms, "target datoms per leaf segment")
      ->check(CLI::Range(16, 1 << 20))
      ->option_text("N (default 4096)");
  run->add_option("--index-job-threads", ra.index_job_threads, "threads an indexing job runs its trees on")
      ->check(CLI::Range(0, 64))
      ->option_text("N (default 0: min(4, cores); 1: serial)");
  run->add_option("--sync", ra.sync, "commit durability")
      ->check(CLI::IsMember({"always", "batch", "never"}))
      ->option_text("always|batch|never (default never)");
  run->add_option("--read-ratio", ra.read_ratio, "reads per transaction, timed per read name")
      ->check(CLI::NonNegativeNumber)
      ->option_text("R (default 0)");
  run->add_option("--repetitions", ra.repetitions, "runs per strategy; the files report the median one")
      ->check(CLI::Range(1, 1000))
      ->option_text("N (default 1)");
  run->add_option("--data-dir", ra.data_dir, "data set folder, for workloads that read one")->option_text("DIR");
  run->add_flag("--keep", ra.keep, "keep each run's database under --out");
  run->add_flag("--icount", ra.icount,
                "for counting instructions under callgrind (scripts/perf-icount): indexing jobs run on the "
                "run's thread after the commit that seals their novelty, no sampler thread");
  run->add_option("--storage", ra.storage,
                  "where the runs' databases live: folders under --out (default) or a PostgreSQL URI "
                  "(postgres://user@host:port/db); each run gets its own strata_db there, dropped after "
                  "the run unless --keep")
      ->option_text("postgres://user@host:port/pgdb");
  run->add_option("--metrics", ra.metrics,
                  "serve the live run's counters on http://HOST:PORT/metrics (Prometheus; docs/metrics.md)")
      ->option_text("HOST:PORT (e.g. 127.0.0.1:9464)");
  run->add_flag("--metrics-remote", ra.metrics_remote,
                "allow a non-loopback --metrics address (anyone reaching it reads the metrics)");

  strata::cli::IndexArgs ia;
  CLI::App* index = app.add_subcommand(
      "index", "Index the novelty now (one indexing job) and print the job's metrics.\n"
               "With --strategy, that job and later ones use the strategy (the root records it).");
  index->add_option("--db", ia.db, "database folder (must exist)")->required()->option_text("DIR");
  index->add_option("--strategy", ia.strategy, "merge strategy (default: the one the root records)")
      ->option_text("S");
  AddFormatFlag(index, &ia.format);

  strata::cli::VerifyArgs va;
  CLI::App* verify = app.add_subcommand(
      "verify", "Check a database: every segment's checksum, sorted disjoint levels, the sort orders agree,\n"
                "and every view equals a replay of the log. Exits 1 when anything is wrong.");
  verify->add_option("--db", va.db, "database folder (must exist; may be open by a writer: verify only reads)")
      ->required()
      ->option_text("DIR");
  AddFormatFlag(verify, &va.format);

  strata::cli::RepairArgs rpa;
  CLI::App* repair = app.add_subcommand(
      "repair", "Repair what can be fixed without losing an acknowledged transaction: cut torn tails, and\n"
                "rebuild a damaged index from the log (moved aside to DIR/damaged-index-N, not deleted).\n"
                "Refuses (exit 1, nothing changed) when the log itself is damaged or shorter than the index.\n"
                "Prints what it did and the verify result.");
  repair->add_option("--db", rpa.db, "database folder (must exist; not open by a writer)")->required()->option_text("DIR");
  AddFormatFlag(repair, &rpa.format);

  // q, pull, index-range, seek-datoms, entity, report and compare run from their callbacks during parse.
  int callback_exit = -1;
  strata::cli::AddQueryCommands(app, &callback_exit);
  strata::cli::AddIndexReadCommands(app, &callback_exit);
  strata::cli::AddReportCommands(app, &callback_exit);
  strata::cli::AddExperimentCommand(app, &callback_exit);
  strata::cli::AddPerfCommands(app, &callback_exit);
  strata::cli::AddNetCommands(app, &callback_exit);
  strata::cli::AddBackupCommands(app, &callback_exit);
  strata::console::AddConsoleCommand(app, &callback_exit);
  strata::cli::CrashWriterArgs cw;
  CLI::App* crash_writer = strata::cli::AddCrashWriter(app, &cw);
  strata::cli::LoadArgs lo;
  CLI::App* load = strata::cli::AddLoadCommand(app, &lo);
  strata::cli::GenArgs ge;
  CLI::App* gen = strata::cli::AddGenCommand(app, &ge);
  strata::cli::ImportArgs im;
  CLI::App* import_cmd = strata::cli::AddImportCommand(app, &im);
  strata::cli::GenCsvArgs gc;
  CLI::App* gen_csv = strata::cli::AddGenCsvCommand(app, &gc);

  // CLI11 reads an argument "[a,b]" as a list and strips the brackets; a
  // lookup ref is EDN, so prefix such arguments with a space, which EDN
  // skips and CLI11 leaves alone.
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) {
    std::string a = argv[i];
    if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a.insert(0, " ");
    args.push_back(std::move(a));
  }
  try {
    app.parse(args);  // in reverse order, as CLI11 expects
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (argc >= 2 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      return strata::cli::Fail(std::string("unknown command '") + argv[1] +
                               "': expected transact, datoms, index-range, seek-datoms, entity, log, q, pull, demo, run, load, gen, import, gen-csv, index, verify, repair, backup, restore, report, experiment, "
                               "compare, transactor, peer or console "
                               "(see 'strata --help')");
    }
    std::string where;
    for (CLI::App* sub : app.get_subcommands()) where = " (see 'strata " + sub->get_name() + " --help')";
    if (where.empty()) where = " (see 'strata --help')";
    return strata::cli::Fail(e.what() + where);
  }

  if (callback_exit >= 0) return callback_exit;
  if (crash_writer->parsed()) return strata::cli::RunCrashWriter(cw);
  if (load->parsed()) return strata::cli::RunLoad(lo);
  if (gen->parsed()) return strata::cli::RunGen(ge);
  if (import_cmd->parsed()) {
    spdlog::set_level(spdlog::level::warn);  // the progress line, not a line per job
    return strata::cli::RunImport(im);
  }
  if (gen_csv->parsed()) return strata::cli::RunGenCsv(gc);
  if (transact->parsed()) return strata::cli::RunTransact(ta);
  if (datoms->parsed()) return strata::cli::RunDatoms(da);
  if (log->parsed()) return strata::cli::RunLog(la);
  if (demo->parsed()) return strata::cli::RunDemo(dm);
  if (run->parsed()) {
    spdlog::set_level(spdlog::level::warn);  // a line per job would bury the progress line
    for (int i = 0; i < argc; ++i) ra.command_line += (i ? " " : "") + std::string(argv[i]);
    return strata::cli::RunRun(ra);
  }
  if (index->parsed()) return strata::cli::RunIndex(ia);
  if (verify->parsed()) return strata::cli::RunVerify(va);
  if (repair->parsed()) {
    spdlog::set_level(spdlog::level::warn);  // its report says what the rebuild did
    return strata::cli::RunRepair(rpa);
  }
  return strata::cli::Fail("no command given (see 'strata --help')");
}
