// strata import: CSV files into a database through a mapping.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <tuple>

#include "strata/connection.h"
#include "cli/commands.h"
#include "cli/import_commands.h"
#include "workloads/csv_import.h"

namespace strata::cli {

namespace {

std::string Human(double v) {
  char buf[32];
  if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string Duration(double s) {
  char buf[32];
  if (s < 0) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) / 60 % 60);
  return buf;
}

// "\r  clients.csv  120.0k rows  41.2k rows/s  230.1k datoms/s  37%  ETA 12s"
void ShowProgress(const workloads::ImportProgress& p) {
  const size_t slash = p.file.rfind('/');
  const std::string name = slash == std::string::npos ? p.file : p.file.substr(slash + 1);
  const double pct = p.bytes_total ? 100.0 * static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total) : 0;
  std::fprintf(stderr, "\r  %s  %s rows  %s rows/s  %s datoms/s  %.0f%%  ETA %s\x1b[K", name.c_str(),
               Human(static_cast<double>(p.rows)).c_str(), Human(p.rows_per_s()).c_str(),
               Human(p.datoms_per_s()).c_str(), pct, Duration(p.eta_s()).c_str());
  std::fflush(stderr);
}

}  // namespace

CLI::App* AddImportCommand(CLI::App& app, ImportArgs* a) {
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import CSV files through a mapping (docs/bulk-import.md). Rows become entities, upserted by their\n"
      "identity column and committed in batches; re-importing the same files adds nothing. Bad rows are\n"
      "reported with file and line: --on-error fail stops at the first (nothing of its batch is committed;\n"
      "the schema and earlier batches stay, and the error says what was committed), skip leaves them out\n"
      "and goes on. Ctrl-C stops after the batch in flight.\n"
      "Example: strata import --db DIR --mapping datasets/vetspire/mapping.edn data/*.csv");
  cmd->add_option("--db", a->db, "database folder (created if it does not exist)")->required()->option_text("DIR");
  cmd->add_option("--mapping", a->mapping, "mapping EDN file")->required()->option_text("FILE");
  cmd->add_option("--on-error", a->on_error, "what a bad row does")
      ->check(CLI::IsMember({"fail", "skip"}))
      ->option_text("fail|skip (default: the mapping's, else fail)");
  cmd->add_option("--batch", a->batch, "rows per transaction")
      ->check(CLI::Range(1, 1000000))
      ->option_text("N (default: the mapping's, else 1000)");
  cmd->add_option("--sync", a->sync, "commit durability")
      ->check(CLI::IsMember({"always", "batch", "never"}))
      ->option_text("always|batch|never (default batch)");
  cmd->add_option("--show-errors", a->show_errors, "bad rows to print on stderr (all are counted)")
      ->option_text("N (default 20)");
  cmd->add_option("--memory-index-threshold", a->memory_index_threshold, "novelty per indexing job")
      ->option_text("SIZE (default 32m)");
  cmd->add_option("--memory-index-max", a->memory_index_max, "transactions wait past this much novelty")
      ->option_text("SIZE (default 512m)");
  cmd->add_option("--segment-cache", a->segment_cache, "decoded index leaves kept in memory")
      ->option_text("SIZE (default 256m)");
  cmd->add_option("files", a->files, "CSV files, matched to the mapping's :file entries by name")
      ->required()
      ->option_text("CSV...");
  return cmd;
}

int RunImport(const ImportArgs& args) {
  auto mapping = workloads::LoadMapping(Env::Default(), args.mapping);
  if (!mapping.ok()) return Fail(mapping.status().message());
  Options options;
  if (!ParseSyncPolicy(args.sync, &options.sync)) return Fail("--sync '" + args.sync + "': expected always, batch or never");
  // The engine's memory bounds: the import itself needs one batch.
  for (auto [text, flag, slot] : {std::tuple{&args.memory_index_threshold, "--memory-index-threshold", &options.memory_index_threshold},
                                  {&args.memory_index_max, "--memory-index-max", &options.memory_index_max},
                                  {&args.segment_cache, "--segment-cache", &options.segment_cache_bytes}}) {
    if (text->empty()) continue;
    auto bytes = ParseSize(*text, flag);
    if (!bytes.ok()) return Fail(bytes.status().message());
    *slot = *bytes;
  }
  auto conn = Connection::Open(args.db, options);
  if (!conn.ok()) return Fail(conn.status().WithContext("opening " + args.db).message());

  workloads::ImportOptions io;
  io.batch_rows = args.batch;
  if (!args.on_error.empty()) {
    workloads::OnError p;
    if (!workloads::ParseOnError(args.on_error, &p)) return Fail("--on-error '" + args.on_error + "': expected fail or skip");
    io.on_error = p;
  }
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (tty) io.progress = ShowProgress;
  CatchSigint();
  io.stop = [] { return Interrupted(); };

  workloads::ImportReport report;
  Status s = workloads::ImportCsv(**conn, *mapping, args.files, io, &report);
  if (tty) std::fprintf(stderr, "\r\x1b[K");
  const bool stopped_by_row = !s.ok() && s.code() != Code::kAborted && report.rows_bad > 0;
  if (!stopped_by_row) {  // under fail, the error below names the row
    for (size_t i = 0; i < report.errors.size() && i < args.show_errors; ++i)
      std::fprintf(stderr, "strata: bad row: %s\n", report.errors[i].ToString().c_str());
    if (report.rows_bad > args.show_errors && args.show_errors > 0)
      std::fprintf(stderr, "strata: ... %llu more bad rows\n",
                   static_cast<unsigned long long>(report.rows_bad - args.show_errors));
  }
  Status closed = (*conn)->Close();
  if (s.ok() || report.files > 0) std::printf("%s\n", report.Summary().c_str());
  if (s.code() == Code::kAborted) {
    std::fprintf(stderr, "strata: interrupted: %s\n", s.message().c_str());
    return 130;
  }
  if (!s.ok()) return Fail(s.message() + "; " + report.CommittedText());
  if (!closed.ok()) return Fail(closed.WithContext("closing " + args.db).message());
  if (report.rows_bad > 0)
    std::printf("skipped %llu bad rows\n", static_cast<unsigned long long>(report.rows_bad));
  return 0;
}

}  // namespace strata::cli
