// Repair: what can be fixed without losing an acknowledged transaction
// (see strata/verify.h).
//
// The log is the source of truth; everything else can be rebuilt from it.
// So repair first reads the log and the root without changing a byte, and
// refuses when the log itself is damaged or lost transactions the index
// still holds. Otherwise the only changes are cutting torn tails (bytes no
// acknowledged transaction and no published root depends on) and, when the
// index is damaged, moving it aside into the folder (nothing is deleted)
// and rebuilding it from the log.
#include <spdlog/spdlog.h>

#include <limits>

#include "format/log.h"
#include "index/durable_index.h"
#include "storage/backend.h"
#include "strata/connection.h"
#include "strata/location.h"
#include "strata/verify.h"
#include "util/env_readonly.h"

namespace strata {

namespace {

bool KeepNothing(EntityId) { return false; }

// A new folder name under dir for the damaged index: damaged-index-N.
std::string AsideName(Env* env, const std::string& dir) {
  for (int n = 1;; ++n) {
    const std::string p = dir + "/damaged-index-" + std::to_string(n);
    if (!env->FileExists(p)) return p;
  }
}

}  // namespace

std::string RepairReport::ToString() const {
  std::string s;
  if (actions.empty()) s = "nothing to repair";
  for (const std::string& a : actions) s += (s.empty() ? "" : "\n") + std::string("repaired: ") + a;
  return s + "\nafter: " + after.ToString();
}

Result<RepairReport> Repair(const std::string& location, const RepairOptions& options) {
  if (IsPostgresLocation(location))
    return Status::InvalidArgument("strata repair works on folder databases; " + RedactLocation(location) +
                                   " is a PostgreSQL location");
  const std::string dir = location.rfind("file:", 0) == 0 ? location.substr(5) : location;
  Env* env = options.env ? options.env : Env::Default();
  if (!env->FileExists(dir + "/log")) return Status::NotFound("no database at " + dir);
  auto refuse = [&](const std::string& why) {
    return Status::Corruption("refusing to repair " + dir + ": " + why + "; nothing was changed");
  };
  RepairReport report;
  bool rebuild = false, log_torn = false;
  std::optional<TornTail> pack_tail;
  std::string strategy;
  {
    // Busy while a writer has the database open.
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(dir + "/LOCK"));

    // 1. The root's header: which transactions the index claims to hold.
    std::string why;
    std::optional<IndexRoot> header;
    if (env->FileExists(dir + "/root")) {
      auto bytes = env->ReadFile(dir + "/root");
      auto decoded = bytes.ok() ? ReadRootHeader(*bytes) : Result<IndexRoot>(bytes.status());
      if (decoded.ok()) {
        header = std::move(*decoded);
        strategy = header->strategy;
      } else {
        rebuild = true;
        why = decoded.status().ToString();
      }
    }
    const T basis = header && header->generation > 0 ? header->basis_t : 0;

    // 2. The log, read strictly and changing nothing; it must hold every
    // transaction through the root's basis (LogSkim::must_reach).
    auto log = ReadLog(env, dir + "/log", RecoveryMode::kStrict, [](LogRecord&&) { return Status::OK(); },
                       LogSkim{basis, KeepNothing, /*must_reach=*/true});
    if (!log.ok()) {
      if (!log.status().IsCorruption()) return log.status();
      const bool below = log.status().message().find("basis") != std::string::npos;
      return refuse(below ? log.status().message() +
                                "; the index holds transactions the log lost, and rebuilding it from the log would "
                                "drop them"
                          : "the log is damaged (" + log.status().message() +
                                "); the transactions after that point were acknowledged, and repairing would lose them");
    }
    if (log->torn_tail) {
      log_torn = true;
      report.actions.push_back("log: cut the torn tail (" + log->dropped_reason +
                               "): a record whose commit was never acknowledged");
    }

    // 3. The index: its packs, then everything Verify checks.
    std::unique_ptr<Env> ro = NewReadOnlyEnv(env);
    EnvStorageOptions so;
    so.read_only = true;
    auto storage = NewEnvStorage(ro.get(), dir, so);
    if (!storage.ok()) {
      rebuild = true;
      why = storage.status().ToString();
    } else {
      pack_tail = (*storage)->torn_tail();
    }
    if (!rebuild) {
      VerifyOptions vo;
      vo.env = env;
      STRATA_ASSIGN_OR_RETURN(VerifyReport before, Verify(dir, vo));
      if (!before.ok) {
        rebuild = true;
        why = before.problems.front();
      }
    }
    if (rebuild) {
      // Keep the damaged index's bytes, out of the way.
      const std::string aside = AsideName(env, dir);
      STRATA_RETURN_IF_ERROR(env->CreateDirs(aside));
      for (const char* name : {"packs", "segments", "root"}) {
        const std::string from = dir + "/" + name;
        if (env->FileExists(from)) STRATA_RETURN_IF_ERROR(env->RenameFile(from, aside + "/" + name));
      }
      STRATA_RETURN_IF_ERROR(env->SyncDir(dir));
      report.actions.push_back("index: moved aside to " + aside + " (it was damaged: " + why + ")");
    } else if (pack_tail) {
      report.actions.push_back("storage: cut " + pack_tail->ToString() + ": the published root names no blob in it");
    }
  }  // the lock is released: the writer's open below takes it

  if (rebuild || pack_tail || log_torn) {
    // Recovery as the writer cuts the torn tails; with the index moved
    // aside it replays the whole log, and one job indexes it.
    Options o;
    o.env = env;
    o.create_if_missing = false;
    o.background_indexing = false;
    o.strategy = strategy;
    o.memory_index_threshold = o.memory_index_max = std::numeric_limits<uint64_t>::max();
    auto conn = Connection::Open(dir, o);
    if (!conn.ok()) return conn.status().WithContext("repairing " + dir);
    if (rebuild) {
      auto jobs = (*conn)->IndexNow();
      if (!jobs.ok()) return jobs.status().WithContext("repairing " + dir + ": rebuilding the index from the log");
      const Database db = (*conn)->db();
      report.actions.push_back("index: rebuilt from the log: " + std::to_string((*conn)->stats().recovered_transactions) +
                               " transactions, basis t=" + std::to_string(db.basis_t()));
    }
    STRATA_RETURN_IF_ERROR((*conn)->Close().WithContext("repairing " + dir));
  }
  VerifyOptions vo;
  vo.env = env;
  STRATA_ASSIGN_OR_RETURN(report.after, Verify(dir, vo));
  return report;
}

}  // namespace strata
