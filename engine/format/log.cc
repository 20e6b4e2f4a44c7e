// log.cc — the durable transaction log: record format, recovery, writer.
//
// See log.h for the format and the recovery rules. Notes on choices made
// here:
//   - ReadLog reads through a window of at most max(kReadChunk, one record)
//     bytes, so a multi-GB log never sits in memory whole.
//   - The length field carries its own check (a 32-bit hash of it), so a
//     flipped bit in a length is corruption, not a record that seems to run
//     past end of file and would silently drop the rest of the log. A
//     length above kMaxRecordBytes is corruption, never an allocation; a
//     well-formed length that runs past end of file is a torn tail.
//   - A file shorter than the header that is a prefix of a valid header (or
//     all zeros), or a file that is entirely zero bytes, is a log whose
//     creation was torn: zero records, valid_bytes 0.
//   - LogWriter syncs the parent folder on its first Sync after creating the
//     file, so a synced log cannot vanish with its directory entry.
//   - A failed Append abandons that record; a failed Sync abandons every
//     record since the last good Sync (size() drops to synced_size()). The
//     file is cut back before the next Append/Sync, or when the writer is
//     destroyed, so a record whose append or sync was reported as failed is
//     never replayed by the next ReadLog (short of a crash in between).
//     If the file turns out shorter than expected (a crash under a live
//     writer), the writer refuses to continue rather than grow the file.

#include "format/log.h"

#include <algorithm>

#include "util/coding.h"
#include "util/planted_faults.h"

namespace strata {

namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'A', 'T', 'L', 'O', 'G'};
// 2: values may carry the tags 9-15 (bigint ... tuple). New logs are
// written as version 2; a version 1 log (a subset) is read, and appended to
// as it is (docs/formats.md, "Versions").
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;
constexpr uint64_t kHeaderSize = 16;
constexpr uint64_t kRecordHeaderSize = 16;  // u32 length + u32 length check + u64 checksum
constexpr uint32_t kMaxRecordBytes = uint32_t{1} << 30;  // read; writes stop at kMaxLogPayloadBytes
static_assert(kMaxLogPayloadBytes <= kMaxRecordBytes);
constexpr size_t kReadChunk = 1 << 20;
// Smallest datom: e, a, value tag (nil), added — one byte each.
constexpr size_t kMinDatomBytes = 4;

std::string HeaderBytes() {
  std::string h(kMagic, sizeof kMagic);
  coding::PutFixed32(&h, kVersion);
  coding::PutFixed32(&h, 0);  // reserved
  return h;
}

// The check stored beside a length: detects a damaged length field.
uint32_t LengthCheck(uint32_t len) {
  std::string b;
  coding::PutFixed32(&b, len);
  return static_cast<uint32_t>(coding::Checksum(b) >> 32) ^ 0x5354524Cu;
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

// Sequential reader over a RandomAccessFile that keeps only a window of the
// file in memory.
class WindowReader {
 public:
  WindowReader(const RandomAccessFile* file, uint64_t file_size) : file_(file), file_size_(file_size) {}

  // Points *out at bytes [offset, offset + n), which must lie in the file.
  Status Get(uint64_t offset, size_t n, std::string_view* out) {
    if (offset < start_ || offset + n > start_ + buf_.size()) {
      const size_t want =
          static_cast<size_t>(std::min<uint64_t>(std::max(n, kReadChunk), file_size_ - offset));
      buf_.clear();
      buf_.shrink_to_fit();  // a past huge record should not pin its memory
      STRATA_RETURN_IF_ERROR(file_->Read(offset, want, &buf_));
      start_ = offset;
      if (buf_.size() < n) return Status::IOError("short read at offset " + std::to_string(offset));
    }
    *out = std::string_view(buf_).substr(static_cast<size_t>(offset - start_), n);
    return Status::OK();
  }

  // True if every byte in [from, file_size) is zero.
  Result<bool> ZeroToEnd(uint64_t from) {
    for (uint64_t off = from; off < file_size_;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kReadChunk, file_size_ - off));
      std::string_view chunk;
      STRATA_RETURN_IF_ERROR(Get(off, n, &chunk));
      if (!IsZero(chunk)) return false;
      off += n;
    }
    return true;
  }

 private:
  const RandomAccessFile* file_;
  uint64_t file_size_;
  uint64_t start_ = 0;
  std::string buf_;
};

}  // namespace

namespace {
// Appends the payload of `rec` to *out (the format: log.h).
void AppendLogPayload(const LogRecord& rec, std::string* out) {
  out->reserve(out->size() + 16 + rec.datoms.size() * 20);  // a guess: typical datoms take 10-30 bytes
  coding::PutVarint64(out, rec.t);
  coding::PutVarint64(out, rec.datoms.size());
  for (const Datom& d : rec.datoms) {
    char ea[20];  // two varints in one append
    char* end = coding::EncodeVarint64(coding::EncodeVarint64(ea, d.e), d.a);
    out->append(ea, static_cast<size_t>(end - ea));
    coding::PutValue(out, d.v);
    out->push_back(d.added ? 1 : 0);
  }
}
}  // namespace

std::string EncodeLogPayload(const LogRecord& rec) {
  std::string out;
  AppendLogPayload(rec, &out);
  return out;
}

Status DecodeLogPayload(std::string_view payload, LogRecord* rec, bool (*keep)(EntityId a)) {
  std::string_view in = payload;
  uint64_t t, count;
  if (!coding::GetVarint64(&in, &t)) return Status::Corruption("bad t");
  if (t > kTMask) return Status::Corruption("t " + std::to_string(t) + " out of range");
  if (!coding::GetVarint64(&in, &count)) return Status::Corruption("bad datom count");
  // Bound the count by what the bytes could hold before reserving memory.
  if (count > in.size() / kMinDatomBytes) {
    return Status::Corruption("datom count " + std::to_string(count) + " exceeds payload size");
  }
  rec->t = t;
  rec->datoms.clear();
  if (!keep) rec->datoms.reserve(static_cast<size_t>(count));
  const EntityId tx = TxId(t);
  for (uint64_t i = 0; i < count; ++i) {
    Datom d;
    if (!coding::GetVarint64(&in, &d.e) || !coding::GetVarint64(&in, &d.a)) {
      return Status::Corruption("truncated datom " + std::to_string(i));
    }
    const bool build = !keep || keep(d.a);
    if (!(build ? coding::GetValue(&in, &d.v) : coding::SkipValue(&in)) || in.empty()) {
      return Status::Corruption("truncated datom " + std::to_string(i));
    }
    const auto added = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (added > 1) return Status::Corruption("bad added flag in datom " + std::to_string(i));
    if (!build) continue;
    d.added = added == 1;
    d.tx = tx;
    rec->datoms.push_back(std::move(d));
  }
  if (!in.empty()) return Status::Corruption(std::to_string(in.size()) + " trailing bytes");
  return Status::OK();
}

Status LogBelowBasis(const std::string& where, T last_t, uint64_t end_offset, T basis_t) {
  return Status::Corruption(where + ": the log ends at t=" + std::to_string(last_t) + " (byte " +
                            std::to_string(end_offset) + "), below the index root's basis t=" + std::to_string(basis_t) +
                            ": transactions " + std::to_string(last_t + 1) + ".." + std::to_string(basis_t) +
                            " were cut from the log or lost; no transaction is accepted over the gap");
}

std::string CorruptionOf(const std::string& dropped_reason) {
  std::string_view r = dropped_reason;
  if (r.starts_with("corruption: ")) r.remove_prefix(12);
  return std::string(r.substr(0, r.find("; dropped ")));
}

namespace {
Result<LogReadResult> ReadLogRecords(Env* env, const std::string& path, RecoveryMode mode,
                                     const std::function<Status(LogRecord&&)>& fn, LogSkim skim);
}  // namespace

Result<LogReadResult> ReadLog(Env* env, const std::string& path, RecoveryMode mode,
                              const std::function<Status(LogRecord&&)>& fn, LogSkim skim) {
  if (!skim.must_reach || skim.through_t == 0) return ReadLogRecords(env, path, mode, fn, skim);
  T last_t = 0, before_basis = 0, after_basis = 0;
  auto res = ReadLogRecords(env, path, mode, [&](LogRecord&& rec) {
    if (rec.t <= skim.through_t) before_basis = rec.t;
    else if (after_basis == 0) after_basis = rec.t;
    last_t = rec.t;
    return fn(std::move(rec));
  }, skim);
  if (!res.ok()) return res;
  if (last_t < skim.through_t) {
    // Salvage mode stopped at damage: that, not a cut, is the cause.
    static constexpr std::string_view kCorrupt = "corruption: ";
    if (res->torn_tail && res->dropped_reason.starts_with(kCorrupt))
      return Status::Corruption(CorruptionOf(res->dropped_reason) + ", below the index root's basis t=" +
                                std::to_string(skim.through_t));
    return LogBelowBasis("log " + path, last_t, res->valid_bytes, skim.through_t);
  }
  // The basis is a committed t: its record must be there (t values are
  // not consecutive — entity ids share the counter — but never skipped
  // over the basis).
  if (before_basis != skim.through_t)
    return Status::Corruption("log " + path + ": no record of t=" + std::to_string(skim.through_t) +
                              ", the index root's basis: the log jumps from t=" + std::to_string(before_basis) +
                              " to t=" + std::to_string(after_basis) + "; no transaction is accepted over the gap");
  return res;
}

namespace {
Result<LogReadResult> ReadLogRecords(Env* env, const std::string& path, RecoveryMode mode,
                                     const std::function<Status(LogRecord&&)>& fn, LogSkim skim) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  LogReadResult res;
  res.file_bytes = file->Size();
  WindowReader reader(file.get(), res.file_bytes);
  const std::string where = "log " + path;

  // ---- header
  const std::string want = HeaderBytes();
  {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kHeaderSize, res.file_bytes));
    std::string_view head;
    STRATA_RETURN_IF_ERROR(reader.Get(0, n, &head));
    const uint32_t version = n == kHeaderSize ? coding::DecodeFixed32(head.data() + 8) : 0;
    bool header_ok = n == kHeaderSize && head.substr(0, sizeof kMagic) == want.substr(0, sizeof kMagic) &&
                     version >= kOldestVersion && version <= kVersion;
    if (!header_ok) {
      // A crash while the file was being created: the header only partly
      // landed, or the size grew before any data did.
      const bool torn_prefix = n < kHeaderSize && (head == want.substr(0, n) || IsZero(head));
      STRATA_ASSIGN_OR_RETURN(bool all_zero, reader.ZeroToEnd(0));
      if (torn_prefix || all_zero) {
        res.torn_tail = res.file_bytes > 0;
        if (res.torn_tail) res.dropped_reason = "incomplete log header (" + std::to_string(n) + " bytes)";
        return res;
      }
      if (n < kHeaderSize || head.substr(0, sizeof kMagic) != want.substr(0, sizeof kMagic)) {
        return Status::Corruption(where + ": bad header magic (not a strata log)");
      }
      return Status::Corruption(where + ": unsupported log version " + std::to_string(version) +
                                " (this strata reads versions " + std::to_string(kOldestVersion) + " to " +
                                std::to_string(kVersion) + ")");
    }
  }
  res.valid_bytes = kHeaderSize;

  // Ends reading at a torn tail.
  auto torn = [&](std::string reason) {
    res.torn_tail = true;
    res.dropped_reason = std::move(reason) + "; dropped " + std::to_string(res.file_bytes - res.valid_bytes) +
                         " bytes at offset " + std::to_string(res.valid_bytes);
    return res;
  };
  // A corrupt record: an error, or the end of the log in salvage mode.
  auto corrupt = [&](const std::string& what) -> Result<LogReadResult> {
    std::string msg = where + ": " + what;
    if (mode == RecoveryMode::kStrict) return Status::Corruption(msg);
    return torn("corruption: " + msg);
  };

  // ---- records
  for (uint64_t off = kHeaderSize; off < res.file_bytes;) {
    const std::string at = " in record at offset " + std::to_string(off);
    const uint64_t remaining = res.file_bytes - off;
    if (remaining < kRecordHeaderSize) return torn("partial record header at offset " + std::to_string(off));
    std::string_view rh;
    STRATA_RETURN_IF_ERROR(reader.Get(off, kRecordHeaderSize, &rh));
    const uint32_t len = coding::DecodeFixed32(rh.data());
    const uint32_t len_check = coding::DecodeFixed32(rh.data() + 4);
    const uint64_t sum = coding::DecodeFixed64(rh.data() + 8);
    if (len_check != LengthCheck(len)) {
      STRATA_ASSIGN_OR_RETURN(bool zero_tail, reader.ZeroToEnd(off));
      if (zero_tail) return torn("zero-filled tail at offset " + std::to_string(off));
      return corrupt("damaged record length" + at);
    }
    if (len > kMaxRecordBytes) return corrupt("implausible length " + std::to_string(len) + at);
    if (kRecordHeaderSize + len > remaining) {
      return torn("record at offset " + std::to_string(off) + " runs past end of file (needs " +
                  std::to_string(kRecordHeaderSize + len) + " bytes, " + std::to_string(remaining) +
                  " present)");
    }
    std::string_view rec_bytes;
    STRATA_RETURN_IF_ERROR(reader.Get(off, static_cast<size_t>(kRecordHeaderSize + len), &rec_bytes));
    const std::string_view payload = rec_bytes.substr(kRecordHeaderSize);
    if (coding::Checksum(rec_bytes.substr(0, 4), payload) != sum) {
      // All zeros to the end: the file grew but the data never landed.
      STRATA_ASSIGN_OR_RETURN(bool zero_tail, reader.ZeroToEnd(off));
      if (zero_tail) return torn("zero-filled tail at offset " + std::to_string(off));
      return corrupt("checksum mismatch" + at);
    }
    // Planted: recovery (the strict reader) treats the last record as absent.
    if (PlantedFault("recovery-skips-last") && mode == RecoveryMode::kStrict && kRecordHeaderSize + len == remaining)
      return res;
    LogRecord rec;
    bool (*keep)(EntityId) = nullptr;
    if (skim.keep && skim.through_t > 0) {
      uint64_t t = 0;
      std::string_view p = payload;
      if (coding::GetVarint64(&p, &t) && t <= skim.through_t) keep = skim.keep;
    }
    Status ds = DecodeLogPayload(payload, &rec, keep);
    if (!ds.ok()) return corrupt("undecodable payload" + at + ": " + ds.message());
    STRATA_RETURN_IF_ERROR(fn(std::move(rec)));
    off += kRecordHeaderSize + len;
    res.valid_bytes = off;
    ++res.records;
  }
  return res;
}
}  // namespace

// ---- LogWriter -------------------------------------------------------------

struct LogWriter::Rep {
  Env* env;
  std::string path;
  std::unique_ptr<WritableFile> file;  // null while recovery is pending
  uint64_t size = 0;                   // end of the last good record
  uint64_t synced_size = 0;
  bool need_recovery = false;  // a failed write may have left bytes past `size`
  bool need_dir_sync = false;  // we created the file; its directory entry is not durable yet

  // Cuts the file back to `size` and reopens it, so that the next record
  // starts right after the last good one.
  Status Recover() {
    if (file) {
      (void)file->Close();  // the failure that brought us here matters more
      file.reset();
    }
    STRATA_ASSIGN_OR_RETURN(uint64_t now, env->FileSize(path));
    // Shorter than what we wrote means bytes vanished under us (a crash, or
    // someone else's truncate): never paper over that by growing the file.
    if (now < size) {
      return Status::IOError("log " + path + ": file is " + std::to_string(now) +
                             " bytes, expected at least " + std::to_string(size));
    }
    if (now > size) STRATA_RETURN_IF_ERROR(env->Truncate(path, size));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewAppendableFile(path));
    if (f->Size() != size) {
      return Status::IOError("log " + path + ": size after truncating is " + std::to_string(f->Size()) +
                             ", expected " + std::to_string(size));
    }
    file = std::move(f);
    need_recovery = false;
    return Status::OK();
  }
};

Result<std::unique_ptr<LogWriter>> LogWriter::Open(Env* env, const std::string& path, uint64_t valid_bytes) {
  auto rep = std::make_unique<Rep>();
  rep->env = env;
  rep->path = path;
  const bool existed = env->FileExists(path);
  // Below a full header there is nothing worth keeping: start over.
  const uint64_t keep = valid_bytes < kHeaderSize ? 0 : valid_bytes;
  if (existed) {
    STRATA_ASSIGN_OR_RETURN(uint64_t size, env->FileSize(path));
    if (valid_bytes > size) {
      return Status::InvalidArgument("log " + path + ": valid_bytes " + std::to_string(valid_bytes) +
                                     " beyond end of file (" + std::to_string(size) + " bytes)");
    }
    if (size > keep) STRATA_RETURN_IF_ERROR(env->Truncate(path, keep));
  }
  STRATA_ASSIGN_OR_RETURN(rep->file, env->NewAppendableFile(path));
  if (rep->file->Size() != keep) {
    return Status::IOError("log " + path + ": opened at size " + std::to_string(rep->file->Size()) +
                           ", expected " + std::to_string(keep));
  }
  rep->need_dir_sync = !existed;
  // Bytes already there were written by an earlier process; the next Sync
  // covers them anyway (fdatasync flushes the whole file).
  rep->synced_size = keep;
  rep->size = keep;
  if (keep == 0) {
    STRATA_RETURN_IF_ERROR(rep->file->Append(HeaderBytes()));
    rep->size = kHeaderSize;
  }
  std::unique_ptr<LogWriter> w(new LogWriter());
  w->rep_ = std::move(rep);
  return w;
}

Status LogPayloadTooLarge(uint64_t bytes) {
  return Status::InvalidArgument("transaction of " + std::to_string(bytes) + " bytes (as a log record) is over the " +
                                 std::to_string(kMaxLogPayloadBytes) + "-byte limit; nothing was committed");
}

Status LogWriter::Append(const LogRecord& rec) {
  Rep& r = *rep_;
  if (r.need_recovery) STRATA_RETURN_IF_ERROR(r.Recover());
  // The payload is encoded in place after room for the record header,
  // which is filled in once its length is known.
  std::string buf(kRecordHeaderSize, '\0');
  AppendLogPayload(rec, &buf);
  const size_t payload_size = buf.size() - kRecordHeaderSize;
  if (payload_size > kMaxLogPayloadBytes) return LogPayloadTooLarge(payload_size);
  std::string header;
  coding::PutFixed32(&header, static_cast<uint32_t>(payload_size));
  coding::PutFixed32(&header, LengthCheck(static_cast<uint32_t>(payload_size)));
  coding::PutFixed64(&header, coding::Checksum(std::string_view(header).substr(0, 4),
                                               std::string_view(buf).substr(kRecordHeaderSize)));
  buf.replace(0, kRecordHeaderSize, header);
  // One Append: the record lands whole or, on a crash, as a torn tail.
  Status s = r.file->Append(buf);
  if (!s.ok()) {
    r.need_recovery = true;  // part of the record may be on disk
    return s.WithContext("log " + r.path);
  }
  r.size += buf.size();
  return Status::OK();
}

Status LogWriter::Sync() {
  Rep& r = *rep_;
  if (r.need_recovery) STRATA_RETURN_IF_ERROR(r.Recover());
  Status s = r.file->Sync();
  if (s.ok() && r.need_dir_sync) {
    s = r.env->SyncDir(ParentDir(r.path));
    if (s.ok()) r.need_dir_sync = false;
  }
  if (!s.ok()) {
    // After a failed fsync the kernel may have dropped the dirty pages and
    // a retry can falsely succeed, so the unsynced records are abandoned:
    // the file is cut back to the last synced record before the next
    // operation. Their transactions must be reported as failed.
    r.size = std::max(r.synced_size, kHeaderSize);
    r.need_recovery = true;
    return s.WithContext("log " + r.path);
  }
  r.synced_size = r.size;
  return Status::OK();
}

uint64_t LogWriter::size() const { return rep_->size; }

uint64_t LogWriter::synced_size() const { return rep_->synced_size; }

LogWriter::~LogWriter() {
  if (!rep_) return;
  if (rep_->file) (void)rep_->file->Close();
  // Best effort: do not leave an abandoned (failed or unsynced-after-a-
  // failed-Sync) record behind for the next ReadLog to replay.
  if (rep_->need_recovery) {
    Result<uint64_t> now = rep_->env->FileSize(rep_->path);
    if (now.ok() && *now > rep_->size) (void)rep_->env->Truncate(rep_->path, rep_->size);
  }
}

}  // namespace strata
