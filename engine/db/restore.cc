// Restore: a backup folder into a location (see strata/backup.h).
//
// Everything in the backup is checked before anything is written, so a
// torn or altered backup changes nothing. Then the log, the segments and
// last the root are written, as a writer would: a database whose root is
// published names only segments already durable.

#include <cstdio>
#include <limits>

#include "db/backup_manifest.h"
#include "index/durable_index.h"
#include "storage/backend.h"
#include "strata/backup.h"
#include "strata/location.h"

namespace strata {

namespace {

using backup::FolderOf;
using backup::LogEntry;
using backup::Manifest;
using backup::SegmentEntry;


class RestoreRun {
 public:
  RestoreRun(Env* env, const std::string& src, const RestoreOptions& o) : env_(env), src_(src), o_(o) {}

  // Every file against the manifest, and the manifest against itself.
  Status Check(const Manifest& m);
  // Writes the database; the backend is new and empty.
  Status Write(const Manifest& m, Backend& b);
  RestoreReport& report() { return r_; }

 private:
  Status Cancelled() const {
    if (o_.cancel != nullptr && o_.cancel->load()) return Status::Aborted("restore interrupted");
    return Status::OK();
  }
  void Tick(const char* phase, uint64_t done, uint64_t total) {
    progress_.phase = phase;
    progress_.done = done;
    progress_.total = total;
    progress_.bytes = r_.bytes;
    if (o_.progress) o_.progress(progress_);
  }

  Env* env_;
  const std::string src_;
  const RestoreOptions& o_;
  RestoreReport r_;
  BackupProgress progress_;
};

Status RestoreRun::Check(const Manifest& m) {
  auto bad = [&](const std::string& file, const std::string& why) {
    return Status::Corruption("backup file " + src_ + "/" + file + ": " + why);
  };
  const uint64_t files = (m.root ? 1 : 0) + m.logs.size() + m.segments.size();
  uint64_t done = 0;
  if (m.root) {
    STRATA_ASSIGN_OR_RETURN(std::string bytes, backup::ReadChecked(env_, src_, *m.root));
    r_.bytes += bytes.size();
    auto header = ReadRootHeader(bytes);
    if (!header.ok()) return bad(m.root->name, header.status().ToString());
    const T basis = header->generation > 0 ? header->basis_t : 0;
    if (basis != m.basis_t)
      return bad(m.root->name, "its basis t=" + std::to_string(basis) + " is not the manifest's " +
                                   std::to_string(m.basis_t));
    Tick("checking", ++done, files);
  }
  T last = 0;
  uint64_t records = 0;
  for (const LogEntry& l : m.logs) {
    STRATA_RETURN_IF_ERROR(Cancelled());
    STRATA_ASSIGN_OR_RETURN(std::string bytes, backup::ReadChecked(env_, src_, l));
    r_.bytes += bytes.size();
    uint64_t n = 0;
    STRATA_RETURN_IF_ERROR(backup::ForEachLogRecord(bytes, src_ + "/" + l.name, [&](LogRecord&& rec) -> Status {
      if (rec.t < l.first_t || rec.t > l.last_t || (records + n > 0 && rec.t <= last))
        return bad(l.name, "record t=" + std::to_string(rec.t) + " out of order or outside the file's range");
      last = rec.t;
      ++n;
      return Status::OK();
    }));
    if (n != l.records) return bad(l.name, std::to_string(n) + " records, the manifest says " + std::to_string(l.records));
    records += n;
    Tick("checking", ++done, files);
  }
  if (records != m.transactions || last != m.last_t)
    return Status::Corruption("backup " + src_ + ": its log files hold " + std::to_string(records) +
                              " transactions through t=" + std::to_string(last) + ", the manifest says " +
                              std::to_string(m.transactions) + " through t=" + std::to_string(m.last_t));
  if (m.last_t < m.basis_t)
    return Status::Corruption("backup " + src_ + ": its log ends at t=" + std::to_string(m.last_t) +
                              ", below its root's basis t=" + std::to_string(m.basis_t));
  for (const SegmentEntry& s : m.segments) {
    STRATA_RETURN_IF_ERROR(Cancelled());
    STRATA_ASSIGN_OR_RETURN(std::string bytes, backup::ReadChecked(env_, src_, s));
    r_.bytes += bytes.size();
    Tick("checking", ++done, files);
  }
  r_.basis_t = m.basis_t;
  r_.last_t = m.last_t;
  r_.transactions = m.transactions;
  r_.segments = m.segments.size();
  return Status::OK();
}

Status RestoreRun::Write(const Manifest& m, Backend& b) {
  // The files are read again (and checked again: they may have changed
  // since Check read them).
  STRATA_RETURN_IF_ERROR(
      b.log->Recover(RecoveryMode::kStrict, [](LogRecord&&) { return Status::OK(); }, LogSkim{}).status());
  uint64_t records = 0;
  for (const LogEntry& l : m.logs) {
    STRATA_RETURN_IF_ERROR(Cancelled());
    STRATA_ASSIGN_OR_RETURN(std::string bytes, backup::ReadChecked(env_, src_, l));
    STRATA_RETURN_IF_ERROR(backup::ForEachLogRecord(bytes, src_ + "/" + l.name, [&](LogRecord&& rec) {
      Tick("restoring log", ++records, m.transactions);
      return b.log->Append(rec);
    }));
    STRATA_RETURN_IF_ERROR(b.log->Sync());
  }
  uint64_t done = 0;
  for (const SegmentEntry& s : m.segments) {
    STRATA_RETURN_IF_ERROR(Cancelled());
    STRATA_ASSIGN_OR_RETURN(std::string bytes, backup::ReadChecked(env_, src_, s));
    STRATA_RETURN_IF_ERROR(b.storage->Put(SegmentKey(s.id), bytes));
    Tick("restoring segments", ++done, m.segments.size());
  }
  STRATA_RETURN_IF_ERROR(b.storage->Sync());
  if (m.root) {
    STRATA_ASSIGN_OR_RETURN(std::string bytes, backup::ReadChecked(env_, src_, *m.root));
    STRATA_RETURN_IF_ERROR(b.storage->PublishRoot(bytes));
  }
  return Status::OK();
}

}  // namespace

std::string RestoreReport::ToString() const {
  char mib[32];
  std::snprintf(mib, sizeof mib, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  std::string s = "restored " + std::to_string(transactions) + " transactions (last t=" + std::to_string(last_t) +
                  ") and " + std::to_string(segments) + " segments (basis t=" + std::to_string(basis_t) + ", " + mib +
                  ") into " + location;
  if (verified) s += "\nverify: " + verify.ToString();
  return s;
}

Result<RestoreReport> Restore(const std::string& src, const std::string& location, const RestoreOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  const std::string where = RedactLocation(location);
  if (!IsPostgresLocation(location) && backup::Overlaps(src, FolderOf(location)))
    return Status::InvalidArgument("restore: the backup " + src + " and the database folder " + location +
                                   " overlap; restore into a folder outside the backup");
  const std::string manifest_path = src + "/" + backup::kManifestName;
  if (!env->FileExists(manifest_path))
    return Status::NotFound("no backup at " + src + " (it has no " + backup::kManifestName + ")");
  STRATA_ASSIGN_OR_RETURN(std::string text, env->ReadFile(manifest_path));
  STRATA_ASSIGN_OR_RETURN(Manifest m, backup::DecodeManifest(text, manifest_path));

  RestoreRun run(env, src, options);
  STRATA_RETURN_IF_ERROR(run.Check(m).WithContext("restoring " + src + " (nothing was written)"));

  // A database there (or, in a folder, any file)? Refused unless forced,
  // before anything is created.
  const bool pg = IsPostgresLocation(location);
  const std::string dir = FolderOf(location);
  const bool folder_existed = !pg && env->FileExists(dir);
  bool occupied = false;
  if (folder_existed) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
    occupied = !names.empty();
  }
  auto refuse = [&] {
    return Status::Conflict(where + " already holds a database (or other files); restore refuses to replace it " +
                            "(with --force it destroys the database first); nothing was written");
  };
  if (occupied && !options.force) return refuse();
  BackendOptions bo;
  bo.env = env;
  // As the database's writer: Busy while another process writes it.
  STRATA_ASSIGN_OR_RETURN(Backend b, OpenBackend(location, bo));
  if (pg) occupied = b.existed;  // an existing one: nothing was created
  if (occupied && !options.force) return refuse();
  if (occupied) {
    b = Backend{};
    STRATA_RETURN_IF_ERROR(DestroyDatabase(location, env).WithContext("replacing the database at " + where));
    STRATA_ASSIGN_OR_RETURN(b, OpenBackend(location, bo));
  }
  Status s = run.Write(m, b);
  b = Backend{};  // closes the log and storage, releases the lock
  if (!s.ok()) {
    Status d = DestroyDatabase(location, env);
    return s.WithContext("restoring " + src + " into " + where +
                         (d.ok() ? " (what was written is removed)" : " (removing what was written failed too: " +
                                                                          d.ToString() + ")"));
  }
  RestoreReport& r = run.report();
  r.location = where;
  if (options.verify) {
    VerifyOptions vo;
    vo.env = env;
    STRATA_ASSIGN_OR_RETURN(r.verify, Verify(location, vo));
    r.verified = true;
  }
  return r;
}

}  // namespace strata
