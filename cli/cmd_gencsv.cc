// strata gen-csv: Vetspire-style CSV files of a given size, for `strata import`.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "cli/import_commands.h"
#include "workloads/csv_gen.h"

namespace strata::cli {

CLI::App* AddGenCsvCommand(CLI::App& app, GenCsvArgs* a) {
  CLI::App* cmd = app.add_subcommand(
      "gen-csv",
      "Write Vetspire-style normalized CSV files (locations, products, protocols, clients, patients,\n"
      "immunizations, orders) plus mapping.edn and schema.edn, deterministic from the seed.\n"
      "Example: strata gen-csv --out data --size 100m --bad-rows 0.01 && \\\n"
      "         strata import --db DIR --mapping data/mapping.edn --on-error skip data/*.csv");
  cmd->add_option("--out", a->out, "folder for the files (created if needed)")->required()->option_text("DIR");
  cmd->add_option("--size", a->size, "total size of the CSV files")->option_text("SIZE (e.g. 20m, 1g)");
  cmd->add_option("--clients", a->clients, "scale as a number of clients (instead of --size)")->option_text("N");
  cmd->add_option("--bad-rows", a->bad_rows, "share of malformed rows (each kind in turn)")
      ->check(CLI::Range(0.0, 0.5))
      ->option_text("R (default 0)");
  cmd->add_option("--seed", a->seed, "generator seed")->option_text("N (default 1)");
  return cmd;
}

int RunGenCsv(const GenCsvArgs& args) {
  if (args.size.empty() == (args.clients == 0)) return Fail("gen-csv: give exactly one of --size and --clients");
  workloads::CsvGenPlan plan;
  if (!args.size.empty()) {
    auto bytes = ParseSize(args.size, "--size");
    if (!bytes.ok()) return Fail(bytes.status().message());
    plan = workloads::PlanForBytes(*bytes, args.seed, args.bad_rows);
  } else {
    plan = workloads::PlanForClients(args.clients, args.seed, args.bad_rows);
  }
  workloads::CsvGenReport report;
  Status s = workloads::GenerateCsv(Env::Default(), args.out, plan, &report);
  if (!s.ok()) return Fail(s.message());
  std::printf("%s\n", report.Summary().c_str());
  std::printf("import with: strata import --db DIR --mapping %s/mapping.edn%s %s/*.csv\n", args.out.c_str(),
              report.bad_rows() ? " --on-error skip" : "", args.out.c_str());
  return 0;
}

}  // namespace strata::cli
