// backend.cc — locations to backends; the folder backend and its file log.
//
// The folder backend keeps the log in dir/log (log.h) and the blobs and
// root in dir/packs/ and dir/root (storage.h), and locks dir/LOCK for
// the writer. An excision rewrites the log into dir/log.rewrite and renames
// it over dir/log: the rename is the atomic switch.
#include "storage/backend.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "strata/location.h"
#include "strata/mutex.h"


namespace strata {

namespace {

class FolderLock final : public BackendLock {
 public:
  explicit FolderLock(std::unique_ptr<FileLock> lock) : lock_(std::move(lock)) {}

 private:
  std::unique_ptr<FileLock> lock_;
};

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

class FileLogStore final : public LogStore {
 public:
  FileLogStore(Env* env, std::string dir) : env_(env), dir_(std::move(dir)), path_(dir_ + "/log") {}

  Result<LogReadResult> Recover(RecoveryMode mode, const std::function<Status(LogRecord&&)>& fn,
                                LogSkim skim) override {
    LogReadResult res;
    if (env_->FileExists(path_)) {
      STRATA_ASSIGN_OR_RETURN(res, ReadLog(env_, path_, mode, fn, skim));
    } else if (skim.must_reach && skim.through_t > 0) {
      return LogBelowBasis("log " + path_ + " (missing)", 0, 0, skim.through_t);
    }
    STRATA_ASSIGN_OR_RETURN(writer_, LogWriter::Open(env_, path_, res.valid_bytes));
    STRATA_RETURN_IF_ERROR(writer_->Sync());
    STRATA_RETURN_IF_ERROR(env_->SyncDir(dir_));
    size_.store(writer_->size());
    return res;
  }

  Result<LogReadResult> Read(const std::function<Status(LogRecord&&)>& fn, LogSkim skim) const override {
    if (!env_->FileExists(path_)) {
      if (skim.must_reach && skim.through_t > 0) return LogBelowBasis("log " + path_ + " (missing)", 0, 0, skim.through_t);
      return LogReadResult{};
    }
    // A record a writer in another process is appending can read as
    // corrupt (its bytes half copied): stop there, look again a moment
    // later, and report corruption only if the same place still is.
    T last = 0;
    auto first = ReadLog(env_, path_, RecoveryMode::kTruncateCorruptTail, [&](LogRecord&& rec) -> Status {
      last = rec.t;
      return fn(std::move(rec));
    }, skim);
    if (!first.ok() || !first->torn_tail || !first->dropped_reason.starts_with("corruption")) return first;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const T seen = last;
    auto again = ReadLog(env_, path_, RecoveryMode::kTruncateCorruptTail, [&](LogRecord&& rec) -> Status {
      return rec.t > seen ? fn(std::move(rec)) : Status::OK();
    }, skim);
    static constexpr std::string_view kCorrupt = "corruption: ";
    if (again.ok() && again->torn_tail && again->dropped_reason.starts_with(kCorrupt) &&
        again->valid_bytes == first->valid_bytes)
      return Status::Corruption(CorruptionOf(again->dropped_reason));
    return again;
  }

  Status ReadRange(T start, T end, const std::function<Status(LogRecord&&)>& fn) const override {
    static const std::string kPastEnd = "past the end of the range";
    // A record being appended meanwhile reads as a torn tail and is left out.
    auto res = ReadLog(env_, path_, RecoveryMode::kTruncateCorruptTail, [&](LogRecord&& rec) -> Status {
      if (rec.t >= end) return Status::Aborted(kPastEnd);
      if (rec.t >= start) return fn(std::move(rec));
      return Status::OK();
    });
    if (!res.ok() && !(res.status().code() == Code::kAborted && res.status().message() == kPastEnd))
      return res.status();
    return Status::OK();
  }

  Status Append(const LogRecord& rec) override {
    if (!writer_) return Status::Aborted("log " + path_ + " is not open for writing");
    const uint64_t before = writer_->size();
    STRATA_RETURN_IF_ERROR(writer_->Append(rec));
    appends_++;
    bytes_written_ += writer_->size() - before;
    size_.store(writer_->size());
    return Status::OK();
  }

  Status Sync() override {
    if (!writer_) return Status::Aborted("log " + path_ + " is not open for writing");
    const auto t0 = std::chrono::steady_clock::now();
    Status s = writer_->Sync();
    syncs_++;
    wait_us_ += static_cast<uint64_t>(MsSince(t0) * 1000);
    size_.store(writer_->size());
    return s;
  }

  Status Rewrite(const std::function<void(LogRecord&)>& edit) override {
    const std::string tmp = path_ + ".rewrite";
    if (env_->FileExists(tmp)) STRATA_RETURN_IF_ERROR(env_->DeleteFile(tmp));
    {
      STRATA_ASSIGN_OR_RETURN(auto out, LogWriter::Open(env_, tmp, 0));
      auto res = ReadLog(env_, path_, RecoveryMode::kStrict, [&](LogRecord&& rec) -> Status {
        edit(rec);
        return out->Append(rec);
      });
      if (!res.ok()) return res.status().WithContext("rewriting the log");
      STRATA_RETURN_IF_ERROR(out->Sync());
    }
    // While the rename has not happened the old log stands whole and its
    // writer stays usable; the rewrite is retried on the next open.
    if (Status s = env_->RenameFile(tmp, path_); !s.ok()) {
      (void)env_->DeleteFile(tmp);
      return s;
    }
    // From here the writer must follow the new file; without one, appends
    // are refused until the database is reopened (writable() is false).
    writer_.reset();
    STRATA_RETURN_IF_ERROR(env_->SyncDir(dir_));
    STRATA_ASSIGN_OR_RETURN(uint64_t size, env_->FileSize(path_));
    STRATA_ASSIGN_OR_RETURN(writer_, LogWriter::Open(env_, path_, size));
    size_.store(writer_->size());
    return Status::OK();
  }

  bool writable() const override { return writer_ != nullptr; }
  uint64_t size() const override { return size_.load(); }
  LogStoreStats stats() const override {
    LogStoreStats s;
    s.appends = appends_.load();
    s.syncs = syncs_.load();
    s.round_trips = s.appends + s.syncs;
    s.bytes_written = bytes_written_.load();
    s.wait_ms = static_cast<double>(wait_us_.load()) / 1000;
    return s;
  }
  std::string Describe() const override { return "file:" + path_; }

 private:
  Env* env_;
  std::string dir_, path_;
  std::unique_ptr<LogWriter> writer_;
  std::atomic<uint64_t> size_{0}, appends_{0}, syncs_{0}, bytes_written_{0}, wait_us_{0};
};

struct KindTable {
  Mutex mu;
  std::vector<BackendKind> kinds GUARDED_BY(mu);
};
KindTable& Kinds() {
  static KindTable t;
  return t;
}

// The registered kind handling `location`, if any.
std::optional<BackendKind> KindFor(const std::string& location) {
  KindTable& t = Kinds();
  MutexLock l(&t.mu);
  for (const BackendKind& k : t.kinds)
    if (k.handles(location)) return k;
  return std::nullopt;
}

Status NotLinked(const std::string& location) {
  std::string msg = RedactLocation(location);
  msg.append(" is a PostgreSQL location, and this program was built without the PostgreSQL backend"
             " (strata/postgres.h: UsePostgresStorage())");
  return Status::InvalidArgument(msg);
}

}  // namespace

void RegisterBackendKind(const BackendKind& kind) {
  KindTable& t = Kinds();
  MutexLock l(&t.mu);
  for (BackendKind& k : t.kinds)
    if (std::string_view(k.name) == kind.name) {
      k = kind;
      return;
    }
  t.kinds.push_back(kind);
}

bool IsPostgresLocation(const std::string& location) {
  return location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0;
}

Result<Backend> OpenBackend(const std::string& location, const BackendOptions& options) {
  if (auto kind = KindFor(location)) return kind->open(location, options);
  if (IsPostgresLocation(location)) return NotLinked(location);
  if (location.rfind("file:", 0) == 0) {
    STRATA_ASSIGN_OR_RETURN(Backend b, OpenFolderBackend(location.substr(5), options));
    b.location = location;
    return b;
  }
  if (location.find("://") != std::string::npos)
    return Status::InvalidArgument("unknown storage location \"" + location +
                                   "\": use a folder path, file:PATH or postgres://...");
  return OpenFolderBackend(location, options);
}

Result<Backend> OpenFolderBackend(const std::string& dir, const BackendOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  if (dir.empty()) return Status::InvalidArgument("empty database folder name");
  Backend b;
  b.location = dir;
  b.existed = env->FileExists(dir + "/log");
  if (!b.existed) {
    if (!options.create_if_missing || !options.writer) return Status::NotFound("no database at " + dir);
    STRATA_RETURN_IF_ERROR(env->CreateDirs(dir));
  }
  if (options.writer) {
    STRATA_ASSIGN_OR_RETURN(auto lock, env->LockFile(dir + "/LOCK"));
    b.lock = std::make_unique<FolderLock>(std::move(lock));
  }
  EnvStorageOptions so;
  so.read_only = !options.writer;
  STRATA_ASSIGN_OR_RETURN(b.storage, NewEnvStorage(env, dir, so));
  b.log = std::make_unique<FileLogStore>(env, dir);  // a reader's only reads
  return b;
}

std::string WithStrataDb(const std::string& location, const std::string& name) {
  if (!IsPostgresLocation(location)) {
    const std::string dir = location.rfind("file:", 0) == 0 ? location.substr(5) : location;
    const size_t slash = dir.find_last_of('/');
    return slash == std::string::npos ? name : dir.substr(0, slash + 1) + name;
  }
  const size_t q = location.find('?');
  std::string out = location.substr(0, q);
  std::string params;
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(location).substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view kv = rest.substr(0, amp);
      if (!kv.empty() && kv.rfind("strata_db=", 0) != 0) {
        params += params.empty() ? "" : "&";
        params += kv;
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  params.append(params.empty() ? "" : "&").append("strata_db=").append(name);
  return out + "?" + params;
}

std::string RedactLocation(const std::string& location) {
  if (auto kind = KindFor(location)) return kind->redact(location);
  if (!IsPostgresLocation(location)) return location;
  // Without the backend, nothing here can tell a password from the rest
  // (user:password@, ?password=, a service file's name...): hide it all.
  return location.substr(0, location.find("://") + 3) + "(hidden: no PostgreSQL backend in this program)";
}

std::string RedactSecrets(const std::string& text) {
  std::string out;
  size_t from = 0;
  while (true) {
    size_t at = std::string::npos;
    for (const char* scheme : {"postgres://", "postgresql://"}) at = std::min(at, text.find(scheme, from));
    if (at == std::string::npos) break;
    size_t end = text.find_first_of(" \t\r\n\"'`<>", at);
    if (end == std::string::npos) end = text.size();
    while (end > at && std::string_view(":,.;)").find(text[end - 1]) != std::string_view::npos) --end;
    const std::string uri = text.substr(at, end - at);
    // Only a URI that may hold a password changes ("user:pw@", or a
    // password parameter); any other, "postgres://..." in a hint
    // included, stays as written.
    const size_t host = uri.find("://") + 3;
    const size_t auth_end = std::min(uri.find_first_of("/?", host), uri.size());
    const size_t atsign = uri.rfind('@', auth_end);
    const bool secret = (atsign != std::string::npos && atsign >= host &&
                         uri.substr(host, atsign - host).find(':') != std::string::npos) ||
                        uri.find("password=") != std::string::npos;
    out.append(text, from, at - from);
    out += secret ? RedactLocation(uri) : uri;
    from = end;
  }
  out.append(text, from, std::string::npos);
  return out;
}

Status DestroyDatabase(const std::string& location, Env* env) {
  if (auto kind = KindFor(location)) return kind->destroy(location);
  if (IsPostgresLocation(location)) return NotLinked(location);
  const std::string dir = location.rfind("file:", 0) == 0 ? location.substr(5) : location;
  const bool real = !env || env == Env::Default();
  if (!env) env = Env::Default();
  if (!env->FileExists(dir)) return Status::OK();
  {
    // Refused (Busy) while a writer has it open.
    STRATA_ASSIGN_OR_RETURN(auto lock, env->LockFile(dir + "/LOCK"));
    for (const char* sub : {"/packs", "/segments"}) {  // segments/: the old one-file-per-blob layout
      if (!env->FileExists(dir + sub)) continue;
      STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir + sub));
      for (const std::string& n : names) STRATA_RETURN_IF_ERROR(env->DeleteFile(dir + sub + "/" + n));
    }
    for (const char* f : {"/log", "/root", "/log.rewrite"})
      if (env->FileExists(dir + f)) STRATA_RETURN_IF_ERROR(env->DeleteFile(dir + f));
  }
  if (real) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) return Status::IOError("removing " + dir + ": " + ec.message());
  }
  return Status::OK();
}

}  // namespace strata
