// `strata backup` and `strata restore` (see cli/backup_command.h): flag
// handling over strata/backup.h.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/backup_command.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "strata/backup.h"
#include "strata/location.h"

namespace strata::cli {

namespace {

struct BackupArgs {
  std::string db, dest;
  Format format = Format::kEdn;
};

struct RestoreArgs {
  std::string src, db;
  bool force = false;
  bool verify = true;
  Format format = Format::kEdn;
};

// The progress line on stderr (a terminal only, at most four times a
// second), and Ctrl-C turned into the engine's cancel flag.
class Ticker {
 public:
  explicit Ticker(const char* label) : label_(label), on_(isatty(STDERR_FILENO) != 0) { CatchSigint(); }
  std::function<void(const BackupProgress&)> Callback() {
    return [this](const BackupProgress& p) {
      if (Interrupted()) cancel_ = true;
      if (!on_) return;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_ < std::chrono::milliseconds(250)) return;
      last_ = now;
      std::string of = p.total ? "/" + std::to_string(p.total) : "";
      std::fprintf(stderr, "\r\033[K  %s  %s %llu%s  %.1f MiB", label_, p.phase,
                   static_cast<unsigned long long>(p.done), of.c_str(), static_cast<double>(p.bytes) / (1 << 20));
    };
  }
  const std::atomic<bool>* cancel() const { return &cancel_; }
  void Clear() {
    if (on_) std::fputs("\r\033[K", stderr);
  }

 private:
  const char* label_;
  bool on_;
  std::atomic<bool> cancel_{false};
  std::chrono::steady_clock::time_point last_;
};

int RunBackup(const BackupArgs& args) {
  Ticker ticker("backup");
  BackupOptions o;
  o.progress = ticker.Callback();
  o.cancel = ticker.cancel();
  auto r = Backup(args.db, args.dest, o);
  ticker.Clear();
  if (!r.ok()) {
    const int code = r.status().code() == Code::kAborted ? 130 : 1;
    Fail(r.status().message());
    return code;
  }
  const BackupReport& b = *r;
  if (args.format == Format::kJson) {
    PrintLine(DumpJson(Json{{"dest", b.dest},
                            {"basis_t", b.basis_t},
                            {"last_t", b.last_t},
                            {"transactions", b.transactions},
                            {"segments", b.segments},
                            {"segments_copied", b.segments_copied},
                            {"segments_skipped", b.segments_skipped},
                            {"log_files_copied", b.log_files_copied},
                            {"log_files_skipped", b.log_files_skipped},
                            {"bytes_copied", b.bytes_copied},
                            {"bytes_total", b.bytes_total},
                            {"files_removed", b.files_removed},
                            {"attempts", b.attempts}}));
  } else {
    using edn::Node;
    auto n = [](uint64_t v) { return Node::Long(static_cast<int64_t>(v)); };
    PrintLine(edn::Print(Node::Map(
        {Node::Keyword("dest"), Node::String(b.dest), Node::Keyword("basis-t"), n(b.basis_t), Node::Keyword("last-t"),
         n(b.last_t), Node::Keyword("transactions"), n(b.transactions), Node::Keyword("segments"), n(b.segments),
         Node::Keyword("segments-copied"), n(b.segments_copied), Node::Keyword("segments-skipped"),
         n(b.segments_skipped), Node::Keyword("log-files-copied"), n(b.log_files_copied),
         Node::Keyword("log-files-skipped"), n(b.log_files_skipped), Node::Keyword("bytes-copied"), n(b.bytes_copied),
         Node::Keyword("bytes-total"), n(b.bytes_total), Node::Keyword("files-removed"), n(b.files_removed),
         Node::Keyword("attempts"), n(static_cast<uint64_t>(b.attempts))})));
  }
  std::fflush(stdout);
  return 0;
}

int RunRestore(const RestoreArgs& args) {
  Ticker ticker("restore");
  RestoreOptions o;
  o.force = args.force;
  o.verify = args.verify;
  o.progress = ticker.Callback();
  o.cancel = ticker.cancel();
  auto r = Restore(args.src, args.db, o);
  ticker.Clear();
  if (!r.ok()) {
    const int code = r.status().code() == Code::kAborted ? 130 : 1;
    Fail(r.status().message());
    return code;
  }
  const RestoreReport& x = *r;
  Json problems = Json::array();
  for (const std::string& p : x.verify.problems) problems.push_back(p);
  if (args.format == Format::kJson) {
    PrintLine(DumpJson(Json{{"location", x.location},
                            {"basis_t", x.basis_t},
                            {"last_t", x.last_t},
                            {"transactions", x.transactions},
                            {"segments", x.segments},
                            {"bytes", x.bytes},
                            {"verified", x.verified},
                            {"verify_ok", x.verified && x.verify.ok},
                            {"problems", std::move(problems)}}));
  } else {
    using edn::Node;
    auto n = [](uint64_t v) { return Node::Long(static_cast<int64_t>(v)); };
    std::vector<Node> ps;
    for (const std::string& p : x.verify.problems) ps.push_back(Node::String(p));
    PrintLine(edn::Print(Node::Map(
        {Node::Keyword("location"), Node::String(x.location), Node::Keyword("basis-t"), n(x.basis_t),
         Node::Keyword("last-t"), n(x.last_t), Node::Keyword("transactions"), n(x.transactions),
         Node::Keyword("segments"), n(x.segments), Node::Keyword("bytes"), n(x.bytes), Node::Keyword("verified"),
         Node::Bool(x.verified), Node::Keyword("verify-ok"), Node::Bool(x.verified && x.verify.ok),
         Node::Keyword("problems"), Node::Vector(std::move(ps))})));
  }
  std::fflush(stdout);
  if (x.verified && !x.verify.ok)
    return Fail("the restored database at " + x.location + " does not verify: " + x.verify.problems.front());
  return 0;
}

void AddFormatOption(CLI::App* cmd, Format* format) {
  static const std::map<std::string, Format> kFormats = {{"edn", Format::kEdn}, {"json", Format::kJson}};
  cmd->add_option("--format", *format, "output format: edn (default) or json")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case))
      ->option_text("edn|json");
}

}  // namespace

void AddBackupCommands(CLI::App& app, int* exit_code) {
  auto ba = std::make_shared<BackupArgs>();
  CLI::App* b = app.add_subcommand(
      "backup", "Back up a database into a folder: its log, its index root and the segments the root reaches,\n"
                "each file checksummed. Incremental: a second backup to the same folder copies only what is\n"
                "new. Reads only (the database may be open by a writer). Ctrl-C leaves the previous backup.\n"
                "Example: strata backup --db DIR /backups/music");
  b->add_option("--db", ba->db, "database location: a folder or a PostgreSQL URI (must exist)")
      ->required()
      ->option_text("LOCATION");
  b->add_option("dest", ba->dest, "backup folder (created if missing; empty, or an earlier backup)")
      ->required()
      ->option_text("DEST");
  AddFormatOption(b, &ba->format);
  b->callback([ba, exit_code] { *exit_code = RunBackup(*ba); });

  auto ra = std::make_shared<RestoreArgs>();
  CLI::App* r = app.add_subcommand(
      "restore", "Restore a backup folder into a database location (a folder or a PostgreSQL URI), then verify it.\n"
                 "Every file is checked first: a torn or altered backup is refused naming the file, and nothing\n"
                 "is written. Refuses a location that holds a database unless --force.\n"
                 "Example: strata restore /backups/music --db postgres://user@host/pg?strata_db=music");
  r->add_option("src", ra->src, "backup folder")->required()->option_text("SRC");
  r->add_option("--db", ra->db, "where to restore: a folder or a PostgreSQL URI")->required()->option_text("LOCATION");
  r->add_flag("--force", ra->force, "replace the database at --db (it is destroyed first)");
  r->add_flag("!--no-verify", ra->verify, "skip verifying the restored database");
  AddFormatOption(r, &ra->format);
  r->callback([ra, exit_code] { *exit_code = RunRestore(*ra); });
}

}  // namespace strata::cli
