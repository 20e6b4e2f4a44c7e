// Backup: a database's root, reachable segments and log into a folder
// (see strata/backup.h; the folder's layout is in db/backup_manifest.h).
//
// The source is opened read-only, so what is copied is one consistent
// database value: the root that value holds and the log through its basis.
// Every file is named by its checksum and written before the manifest that
// lists it; the manifest is replaced atomically last, so until then the
// previous backup stands, whatever happens.

#include "strata/backup.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "db/backup_manifest.h"
#include "format/segment.h"
#include "index/durable_index.h"
#include "state/db_access.h"
#include "storage/backend.h"
#include "strata/connection.h"
#include "strata/location.h"
#include "util/coding.h"

namespace strata {

namespace {

using backup::FileEntry;
using backup::Hex;
using backup::LogEntry;
using backup::Manifest;
using backup::SegmentEntry;

constexpr size_t kFetchBatch = 64;  // segments per storage round trip

// Not synced here: one SyncDirContents per folder before the manifest
// makes them all durable (an fsync per segment cost most of a backup).
Status WriteNewFile(Env* env, const std::string& path, std::string_view data) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path));
  STRATA_RETURN_IF_ERROR(f->Append(data));
  return f->Close();
}

// True when `dir`/name is there, whole and unaltered (a file an earlier
// backup wrote). Reading it back costs a local read per kept file, and a
// damaged file is then written again instead of being kept damaged.
bool Intact(Env* env, const std::string& dir, const FileEntry& f) {
  auto size = env->FileSize(dir + "/" + f.name);
  if (!size.ok() || *size != f.bytes) return false;
  return backup::ReadChecked(env, dir, f).ok();
}

std::string Mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  return buf;
}

// The previous backup's manifest; nullopt for a new or empty folder.
Result<std::optional<Manifest>> ReadPrevious(Env* env, const std::string& dest) {
  const std::string path = dest + "/" + backup::kManifestName;
  if (env->FileExists(path)) {
    STRATA_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
    STRATA_ASSIGN_OR_RETURN(Manifest m, backup::DecodeManifest(text, path));
    return std::optional<Manifest>(std::move(m));
  }
  if (env->FileExists(dest)) {
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dest));
    for (const std::string& n : names) {
      // What an interrupted first backup leaves.
      if (n == "log" || n == "segments" || n == "LOCK" || n == "manifest.tmp" || n.rfind("root-", 0) == 0) continue;
      return Status::InvalidArgument("backup folder " + dest + " holds files but no backup manifest (e.g. " + n +
                                     "): not a strata backup; give an empty or new folder");
    }
  }
  return std::optional<Manifest>();
}

// One attempt at a backup: a read-only open, then the copy.
class BackupRun {
 public:
  BackupRun(Env* env, const std::string& dest, const BackupOptions& o, const std::optional<Manifest>& prev)
      : env_(env), dest_(dest), o_(o), prev_(prev) {}

  Result<BackupReport> Run(const std::string& location);

 private:
  Status Cancelled() const {
    if (o_.cancel != nullptr && o_.cancel->load())
      return Status::Aborted("backup to " + dest_ + " interrupted; the previous backup there stands");
    return Status::OK();
  }
  void Tick(const char* phase, uint64_t done, uint64_t total) {
    progress_.phase = phase;
    progress_.done = done;
    progress_.total = total;
    progress_.bytes = r_.bytes_copied;
    if (o_.progress) o_.progress(progress_);
  }
  // Writes `data` as `entry` unless `old` (the same content) is present.
  Status Keep(FileEntry* entry, std::string_view data, bool* copied);
  Status CopyLog(const Connection& conn);
  Status CopySegments(Storage& storage, const IndexRoot& root);
  Status CopyRoot(const IndexRoot& root);
  Status Prune();

  Env* env_;
  const std::string dest_;
  const BackupOptions& o_;
  const std::optional<Manifest>& prev_;
  Manifest next_;
  BackupReport r_;
  BackupProgress progress_;
};

Status BackupRun::Keep(FileEntry* entry, std::string_view data, bool* copied) {
  entry->bytes = data.size();
  *copied = !Intact(env_, dest_, *entry);
  if (*copied) {
    STRATA_RETURN_IF_ERROR(WriteNewFile(env_, dest_ + "/" + entry->name, data));
    r_.bytes_copied += data.size();
  }
  return Status::OK();
}

Status BackupRun::CopyLog(const Connection& conn) {
  // The records are grouped as the previous backup grouped them, so each
  // of its files whose records are unchanged is kept; records past its
  // last file go to new files of up to log_chunk_bytes.
  static const std::vector<LogEntry> kNone;
  const std::vector<LogEntry>& old = prev_ ? prev_->logs : kNone;
  size_t k = 0;          // the first old file not yet matched
  long matching = -1;    // the old file the open one stands for; -1: a new file
  bool open = false;
  std::string buf;
  LogEntry cur;
  auto flush = [&]() -> Status {
    cur.checksum = coding::Checksum(buf);
    cur.bytes = buf.size();
    const LogEntry* was = matching >= 0 ? &old[static_cast<size_t>(matching)] : nullptr;
    if (was != nullptr && was->checksum == cur.checksum && was->bytes == cur.bytes && was->first_t == cur.first_t &&
        was->last_t == cur.last_t && was->records == cur.records && Intact(env_, dest_, *was)) {
      cur.name = was->name;
      r_.log_files_skipped++;
    } else {
      cur.name = "log/" + Hex(cur.first_t) + "-" + Hex(cur.last_t) + "-" + Hex(cur.checksum);
      bool copied = false;
      STRATA_RETURN_IF_ERROR(Keep(&cur, buf, &copied));
      (copied ? r_.log_files_copied : r_.log_files_skipped)++;
    }
    next_.logs.push_back(cur);
    buf.clear();
    cur = LogEntry{};
    open = false;
    return Status::OK();
  };
  Status s = conn.TxRange(0, std::numeric_limits<T>::max(), [&](T t, const std::vector<Datom>& datoms) -> Status {
    STRATA_RETURN_IF_ERROR(Cancelled());
    if (open && matching >= 0 && t > old[static_cast<size_t>(matching)].last_t) STRATA_RETURN_IF_ERROR(flush());
    if (open && matching < 0 && buf.size() >= o_.log_chunk_bytes) STRATA_RETURN_IF_ERROR(flush());
    while (k < old.size() && old[k].last_t < t) ++k;
    if (!open) {
      open = true;
      cur.first_t = t;
      matching = k < old.size() ? static_cast<long>(k++) : -1;
    }
    backup::AppendLogRecord(&buf, LogRecord{t, datoms});
    cur.last_t = t;
    cur.records++;
    r_.transactions++;
    r_.last_t = t;
    Tick("log", r_.transactions, 0);
    return Status::OK();
  });
  STRATA_RETURN_IF_ERROR(s.WithContext("reading the log"));
  if (open) STRATA_RETURN_IF_ERROR(flush());
  return Status::OK();
}

Status BackupRun::CopySegments(Storage& storage, const IndexRoot& root) {
  std::unordered_map<uint64_t, const SegmentEntry*> old;
  if (prev_) {
    for (const SegmentEntry& e : prev_->segments) old[e.id] = &e;
  }
  // Every segment the root reaches, once. A leaf is known by its ref; a
  // directory only by its bytes, so directories are always read (opening
  // the database read them already: they are small).
  struct Want {
    uint64_t id;
    bool leaf;
    uint64_t fingerprint;
  };
  std::vector<Want> wants;
  std::unordered_set<uint64_t> seen;
  for (int tree = 0; tree < kTreeCount; ++tree) {
    const Index order = static_cast<Index>(tree % 4);
    for (const auto& level : root.trees[tree]) {
      for (uint64_t id : level->directories) {
        if (seen.insert(id).second) wants.push_back({id, false, 0});
      }
      for (const SegmentRef& ref : level->segments) {
        if (!seen.insert(ref.id).second) continue;
        STRATA_ASSIGN_OR_RETURN(std::string enc, EncodeDirectory(order, {ref}));
        wants.push_back({ref.id, true, coding::Checksum(enc)});
      }
    }
  }
  r_.segments = wants.size();
  uint64_t done = 0;
  std::vector<const Want*> fetch;
  auto fetch_batch = [&]() -> Status {
    std::vector<std::string> keys;
    for (const Want* w : fetch) keys.push_back(SegmentKey(w->id));
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> blobs, storage.GetMany(keys));
    for (size_t i = 0; i < fetch.size(); ++i) {
      STRATA_RETURN_IF_ERROR(Cancelled());
      const Want& w = *fetch[i];
      SegmentEntry e;
      e.id = w.id;
      e.checksum = coding::Checksum(blobs[i]);
      e.fingerprint = w.leaf ? w.fingerprint : e.checksum;
      e.name = "segments/" + SegmentName(w.id) + "-" + Hex(e.checksum);
      bool copied = false;
      STRATA_RETURN_IF_ERROR(Keep(&e, blobs[i], &copied));
      (copied ? r_.segments_copied : r_.segments_skipped)++;
      next_.segments.push_back(std::move(e));
      Tick("segments", ++done, wants.size());
    }
    fetch.clear();
    return Status::OK();
  };
  for (const Want& w : wants) {
    STRATA_RETURN_IF_ERROR(Cancelled());
    auto it = old.find(w.id);
    if (w.leaf && it != old.end() && it->second->fingerprint == w.fingerprint && Intact(env_, dest_, *it->second)) {
      next_.segments.push_back(*it->second);
      r_.segments_skipped++;
      Tick("segments", ++done, wants.size());
      continue;
    }
    fetch.push_back(&w);
    if (fetch.size() == kFetchBatch) STRATA_RETURN_IF_ERROR(fetch_batch());
  }
  if (!fetch.empty()) STRATA_RETURN_IF_ERROR(fetch_batch());
  return Status::OK();
}

Status BackupRun::CopyRoot(const IndexRoot& root) {
  if (root.generation == 0) return Status::OK();  // never indexed: the log is the whole database
  const std::string bytes = EncodeRoot(root);
  FileEntry e;
  e.checksum = coding::Checksum(bytes);
  e.name = "root-" + Hex(e.checksum);
  bool copied = false;
  STRATA_RETURN_IF_ERROR(Keep(&e, bytes, &copied));
  next_.root = e;
  return Status::OK();
}

// Deletes the files no manifest lists any more (an earlier backup's, or an
// interrupted one's).
Status BackupRun::Prune() {
  std::unordered_set<std::string> keep;
  if (next_.root) keep.insert(next_.root->name);
  for (const LogEntry& l : next_.logs) keep.insert(l.name);
  for (const SegmentEntry& s : next_.segments) keep.insert(s.name);
  for (const std::string sub : {"log", "segments", ""}) {
    const std::string dir = sub.empty() ? dest_ : dest_ + "/" + sub;
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir));
    for (const std::string& n : names) {
      const std::string name = sub.empty() ? n : sub + "/" + n;
      if (sub.empty() && n.rfind("root-", 0) != 0) continue;
      if (keep.count(name)) continue;
      STRATA_RETURN_IF_ERROR(env_->DeleteFile(dest_ + "/" + name));
      r_.files_removed++;
    }
  }
  return Status::OK();
}

Result<BackupReport> BackupRun::Run(const std::string& location) {
  Options o;
  o.env = env_;
  o.create_if_missing = false;
  o.read_only = true;  // a reader: no lock, no byte of the source changed
  o.background_indexing = false;
  o.memory_index_threshold = o.memory_index_max = std::numeric_limits<uint64_t>::max();
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(location, o));
  const Database db = conn->db();
  const auto& state = DbAccess::State(db);
  const IndexRoot& root = *state->root;

  r_.dest = dest_;
  r_.basis_t = root.generation > 0 ? root.basis_t : 0;
  next_.source = RedactLocation(location);
  next_.basis_t = r_.basis_t;
  for (const std::string& sub : {dest_ + "/log", dest_ + "/segments"}) STRATA_RETURN_IF_ERROR(env_->CreateDirs(sub));

  Status s = CopyLog(*conn);
  if (s.ok()) s = CopySegments(*state->durable->storage, root);
  if (s.ok()) s = CopyRoot(root);
  if (Status c = conn->Close(); s.ok()) s = c;
  STRATA_RETURN_IF_ERROR(s);
  if (r_.last_t < r_.basis_t)
    return Status::Corruption("the log of " + RedactLocation(location) + " ends at t=" + std::to_string(r_.last_t) +
                              ", below the index root's basis t=" + std::to_string(r_.basis_t));
  // By id, so that a backup of the same value writes the same manifest.
  std::sort(next_.segments.begin(), next_.segments.end(),
            [](const SegmentEntry& a, const SegmentEntry& b) { return a.id < b.id; });
  next_.last_t = r_.last_t;
  next_.transactions = r_.transactions;
  r_.bytes_total = next_.TotalBytes();

  // The new files durable, then the manifest naming them.
  STRATA_RETURN_IF_ERROR(Cancelled());
  for (const std::string& dir : {dest_ + "/log", dest_ + "/segments"})
    STRATA_RETURN_IF_ERROR(env_->SyncDirContents(dir));
  if (next_.root) {  // the one file outside them
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->NewAppendableFile(dest_ + "/" + next_.root->name));
    STRATA_RETURN_IF_ERROR(f->Sync());
    STRATA_RETURN_IF_ERROR(f->Close());
  }
  STRATA_RETURN_IF_ERROR(env_->SyncDir(dest_));
  const std::string manifest = backup::EncodeManifest(next_);
  STRATA_RETURN_IF_ERROR(WriteFileAtomic(env_, dest_ + "/" + backup::kManifestName, manifest));
  STRATA_RETURN_IF_ERROR(Prune().WithContext("removing files the new manifest does not list"));
  return r_;
}

}  // namespace

std::string BackupReport::ToString() const {
  return "backup to " + dest + ": basis-t " + std::to_string(basis_t) + ", last-t " + std::to_string(last_t) + ", " +
         std::to_string(transactions) + " transactions; segments: " + std::to_string(segments) + " (" +
         std::to_string(segments_copied) + " copied, " + std::to_string(segments_skipped) +
         " skipped); log files: " + std::to_string(log_files_copied) + " copied, " +
         std::to_string(log_files_skipped) + " skipped; " + Mib(bytes_copied) + " copied of " + Mib(bytes_total) +
         "; " + std::to_string(files_removed) + " old files removed";
}

Result<BackupReport> Backup(const std::string& location, const std::string& dest, const BackupOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  if (dest.empty()) return Status::InvalidArgument("backup: no destination folder given");
  if (!IsPostgresLocation(location) && backup::Overlaps(dest, backup::FolderOf(location)))
    return Status::InvalidArgument("backup: the backup folder " + dest + " and the database folder " + location +
                                   " overlap; back up into a folder outside the database");
  // A folder that is not a backup is refused before anything is created in
  // it; then one backup at a time (the lock), reading the manifest under it.
  STRATA_RETURN_IF_ERROR(ReadPrevious(env, dest).status());
  STRATA_RETURN_IF_ERROR(env->CreateDirs(dest));
  auto lock = env->LockFile(dest + "/LOCK");
  if (!lock.ok()) {
    if (lock.status().code() == Code::kBusy)
      return Status::Busy("another backup is writing to " + dest + " (" + lock.status().message() + ")");
    return lock.status();
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<Manifest> prev, ReadPrevious(env, dest));
  for (int attempt = 1;; ++attempt) {
    BackupRun run(env, dest, options, prev);
    auto r = run.Run(location);
    // A writer collected a segment of the root this attempt copies (it had
    // moved on to a newer root): start over from that one.
    const bool collected = !r.ok() && r.status().IsNotFound() &&
                           r.status().message().find("no such blob") != std::string::npos;
    if (!collected || attempt >= options.attempts) {
      if (!r.ok()) return r.status().WithContext("backing up " + RedactLocation(location) + " to " + dest);
      r->attempts = attempt;
      return r;
    }
  }
}

}  // namespace strata
