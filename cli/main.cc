// strata — the command line tool: transact EDN, read indexes and the log,
// and run the demo workload on an embedded database.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

using strata::cli::Format;

void AddFormat(CLI::App* cmd, Format* format) {
  static const std::map<std::string, Format> kFormats = {{"edn", Format::kEdn}, {"json", Format::kJson}};
  cmd->add_option("--format", *format, "output format: edn (default) or json")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case))
      ->option_text("edn|json");
}

const char* kTimeHelp = "a t, a tx id, or an instant (#inst \"2024-05-01T10:00:00Z\" or 2024-05-01)";

}  // namespace

int main(int argc, char** argv) {
  // The engine logs warnings through spdlog; keep stdout for results.
  auto logger = std::make_shared<spdlog::logger>("strata", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("strata: %l: %v");
  spdlog::set_default_logger(logger);

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
  transact->add_option("file", ta.file, "EDN file; '-' or nothing reads stdin")->option_text("FILE|-");
  AddFormat(transact, &ta.format);

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
  AddFormat(datoms, &da.format);

  strata::cli::LogArgs la;
  CLI::App* log = app.add_subcommand("log", "Print the transaction log: each transaction with all its datoms.");
  log->add_option("--db", la.db, "database folder (must exist)")->required()->option_text("DIR");
  log->add_option("--from", la.from, std::string("first transaction: ") + kTimeHelp)->option_text("T");
  log->add_option("--to", la.to, "end of the range, excluded (like Datomic's tx-range)")->option_text("T");
  AddFormat(log, &la.format);

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
                               "': expected transact, datoms, log or demo (see 'strata --help')");
    }
    std::string where;
    for (CLI::App* sub : app.get_subcommands()) where = " (see 'strata " + sub->get_name() + " --help')";
    if (where.empty()) where = " (see 'strata --help')";
    return strata::cli::Fail(e.what() + where);
  }

  if (transact->parsed()) return strata::cli::RunTransact(ta);
  if (datoms->parsed()) return strata::cli::RunDatoms(da);
  if (log->parsed()) return strata::cli::RunLog(la);
  if (demo->parsed()) return strata::cli::RunDemo(dm);
  return strata::cli::Fail("no command given (see 'strata --help')");
}
