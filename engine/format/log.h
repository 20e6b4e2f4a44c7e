// log.h — the durable transaction log (internal).
//
// The log is the source of truth: every committed transaction is one
// record, and every other structure can be rebuilt from it. Format
// (docs/formats.md): a 16-byte file header ("STRATLOG", u32 version,
// u32 reserved), then records:
//   u32 payload_length | u32 length check | u64 xxh3(length bytes + payload)
//   | payload
// payload = varint t | varint datom_count | datoms (coding.h), all with
// tx = TxId(t).
//
// Recovery on open (ReadLog):
//   - a record whose (checked) length runs past end of file is a torn tail:
//     it is dropped (and the file truncated by the caller); a length that
//     fails its check is corruption, like a bad checksum;
//   - a record fully present whose checksum fails is Corruption naming the
//     file and byte offset — unless every byte from it to the end of the
//     file is zero (a crash after the size grew but before data landed),
//     which is a torn tail too;
//   - in RecoveryMode::kTruncateCorruptTail a corrupt record and everything
//     after it are dropped instead, keeping every intact transaction before.
//
// Thread safety: a LogWriter is used by one thread at a time (the
// transactor); ReadLog is a free function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "strata/env.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

struct LogRecord {
  T t = 0;
  std::vector<Datom> datoms;  // every datom has tx == TxId(t)
};

enum class RecoveryMode : uint8_t {
  kStrict,               // a corrupt record is an error
  kTruncateCorruptTail,  // drop the first corrupt record and all after it
};

struct LogReadResult {
  uint64_t records = 0;
  uint64_t valid_bytes = 0;     // file offset just past the last good record
  uint64_t file_bytes = 0;
  bool torn_tail = false;       // bytes after valid_bytes were dropped
  std::string dropped_reason;   // why, when torn_tail
};

// Reads every intact record in order, calling `fn` for each; stops early
// if fn returns a non-OK status (which is returned).
//
// Skimming: records with t <= skim_through_t (already in the durable index)
// are checksummed and parsed in full, but only the datoms of attributes for
// which keep(a) is true are built; the others are skipped. A reopen thus
// reads past the indexed part of a long log without building its values.
//
// With must_reach, through_t is the basis of a durable index built from
// the log: a log whose intact records end before it was cut or lost
// acknowledged transactions, and ReadLog returns Corruption saying so
// (before the caller could truncate or append anything).
struct LogSkim {
  T through_t = 0;
  bool (*keep)(EntityId a) = nullptr;
  bool must_reach = false;
};
// What a salvage read (kTruncateCorruptTail) found corrupt, from its
// dropped_reason: "log PATH: ... in record at offset N".
std::string CorruptionOf(const std::string& dropped_reason);
// The Corruption of a log `where` whose last intact record is t=last_t
// (ending at byte end_offset) below an index basis of basis_t.
Status LogBelowBasis(const std::string& where, T last_t, uint64_t end_offset, T basis_t);
Result<LogReadResult> ReadLog(Env* env, const std::string& path, RecoveryMode mode,
                              const std::function<Status(LogRecord&&)>& fn, LogSkim skim = {});

class LogWriter {
 public:
  // Opens `path` for appending, writing the header if the file is new.
  // `valid_bytes` (from ReadLog) truncates a torn tail first.
  static Result<std::unique_ptr<LogWriter>> Open(Env* env, const std::string& path, uint64_t valid_bytes);
  // Appends one record (not synced). On failure nothing is acknowledged and
  // the writer truncates back to the last good record before further
  // appends (a failed append never leaves a half record in the middle).
  Status Append(const LogRecord& rec);
  Status Sync();
  uint64_t size() const;
  uint64_t synced_size() const;

  ~LogWriter();
 private:
  LogWriter() = default;
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// Encoding of one record's payload, exposed for tests and fuzzers.
std::string EncodeLogPayload(const LogRecord& rec);

// The largest payload a log (folder or PostgreSQL) accepts on append: a
// transaction encoding to more is refused (InvalidArgument, nothing
// written). 1 GiB − 1 MiB: below the folder reader's 1 GiB record limit
// and below PostgreSQL's 1 GB field and message limit (a bytea array
// holding one payload, with its headers).
constexpr uint64_t kMaxLogPayloadBytes = (uint64_t{1} << 30) - (uint64_t{1} << 20);
// The error for a payload over it.
Status LogPayloadTooLarge(uint64_t bytes);
// With `keep`, only the datoms of attributes keep(a) are built (the rest
// are still checked).
Status DecodeLogPayload(std::string_view payload, LogRecord* rec, bool (*keep)(EntityId a) = nullptr);

}  // namespace strata
