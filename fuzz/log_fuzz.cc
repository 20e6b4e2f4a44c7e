// log_fuzz — log recovery and the payload decoder on arbitrary bytes.
//
// The input is written as a log file in a memory Env and read in both
// recovery modes, as given and with every complete record's checksum made
// right (so mutations reach the payload decoder). Checks:
//   - ReadLog answers OK or Corruption, never crashes;
//   - strict and salvage mode agree on every record strict mode delivers,
//     and agree entirely when strict mode succeeds;
//   - valid_bytes <= file_bytes == input size; each datom has tx == TxId(t);
//   - recovery can continue: a LogWriter opened at valid_bytes appends a
//     record, and a strict re-read yields the old records plus that one;
//   - DecodeLogPayload on the raw input answers OK or Corruption, and an
//     OK payload re-encodes to bytes that decode to the same record.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "util/coding.h"
#include "format/log.h"
#include "strata/connection.h"
#include "strata/env.h"

namespace {

using namespace strata;

constexpr size_t kHeader = 16, kRecordHeader = 12;
const std::string kDir = "/db", kPath = "/db/log";

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "log_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool SameRecord(const LogRecord& x, const LogRecord& y) { return x.t == y.t && x.datoms == y.datoms; }

struct Read {
  Result<LogReadResult> result = Status::OK();
  std::vector<LogRecord> records;
};

Read ReadAllRecords(Env* env, RecoveryMode mode) {
  Read r;
  r.result = ReadLog(env, kPath, mode, [&](LogRecord&& rec) {
    for (const Datom& d : rec.datoms) {
      if (d.tx != TxId(rec.t)) Fail("datom tx is not TxId(t)", std::to_string(rec.t));
    }
    r.records.push_back(std::move(rec));
    return Status::OK();
  });
  return r;
}

void CheckLog(const std::string& bytes) {
  auto env = NewMemEnv();
  if (!env->CreateDirs(kDir).ok()) Fail("CreateDirs", kDir);
  if (!WriteFileAtomic(env.get(), kPath, bytes).ok()) Fail("writing the log", kPath);

  Read strict = ReadAllRecords(env.get(), RecoveryMode::kStrict);
  Read salvage = ReadAllRecords(env.get(), RecoveryMode::kTruncateCorruptTail);
  for (const Read* r : {&strict, &salvage}) {
    if (!r->result.ok()) {
      if (!r->result.status().IsCorruption()) Fail("ReadLog error is not Corruption", r->result.status().ToString());
      continue;
    }
    const LogReadResult& res = *r->result;
    if (res.file_bytes != bytes.size()) Fail("file_bytes", std::to_string(res.file_bytes));
    if (res.valid_bytes > res.file_bytes) Fail("valid_bytes past end", std::to_string(res.valid_bytes));
    if (res.records != r->records.size()) Fail("records count", std::to_string(res.records));
    if (res.torn_tail != (res.valid_bytes < res.file_bytes)) Fail("torn_tail flag", res.dropped_reason);
  }
  if (strict.records.size() > salvage.records.size()) Fail("strict read more records than salvage", "");
  for (size_t i = 0; i < strict.records.size(); ++i) {
    if (!SameRecord(strict.records[i], salvage.records[i])) Fail("strict and salvage disagree", std::to_string(i));
  }
  if (strict.result.ok()) {
    if (!salvage.result.ok()) Fail("salvage failed where strict succeeded", salvage.result.status().ToString());
    if (salvage.records.size() != strict.records.size() ||
        salvage.result->valid_bytes != strict.result->valid_bytes) {
      Fail("salvage and strict differ on a log strict accepts", "");
    }
  }
  if (!salvage.result.ok()) return;  // not a log at all (bad header): nothing to continue

  // Continue after recovery, as Connection::Open does.
  auto writer = LogWriter::Open(env.get(), kPath, salvage.result->valid_bytes);
  if (!writer.ok()) Fail("LogWriter::Open after recovery", writer.status().ToString());
  LogRecord next;
  next.t = salvage.records.empty() ? 1 : std::min<T>(salvage.records.back().t + 1, kTMask);
  next.datoms.push_back(Datom{MakeEntityId(kPartUser, 1), 10, Value::String("after recovery"), TxId(next.t), true});
  if (Status s = (*writer)->Append(next); !s.ok()) Fail("Append after recovery", s.ToString());
  if (Status s = (*writer)->Sync(); !s.ok()) Fail("Sync after recovery", s.ToString());
  writer->reset();
  Read after = ReadAllRecords(env.get(), RecoveryMode::kStrict);
  if (!after.result.ok()) Fail("log unreadable after recovery and append", after.result.status().ToString());
  if (after.records.size() != salvage.records.size() + 1) {
    Fail("records after recovery and append", std::to_string(after.records.size()));
  }
  for (size_t i = 0; i < salvage.records.size(); ++i) {
    if (!SameRecord(after.records[i], salvage.records[i])) Fail("record changed by recovery", std::to_string(i));
  }
  if (!SameRecord(after.records.back(), next)) Fail("appended record reads back different", "");
}

// The input with every complete record's checksum recomputed.
std::string FixChecksums(std::string bytes) {
  for (size_t off = kHeader; off + kRecordHeader <= bytes.size();) {
    const uint32_t len = coding::DecodeFixed32(bytes.data() + off);
    if (len > bytes.size() - off - kRecordHeader) break;
    std::string covered = bytes.substr(off, 4) + bytes.substr(off + kRecordHeader, len);
    std::string sum;
    coding::PutFixed64(&sum, coding::Checksum(covered));
    bytes.replace(off + 4, 8, sum);
    off += kRecordHeader + len;
  }
  return bytes;
}

void CheckPayload(std::string_view payload) {
  LogRecord rec;
  Status s = DecodeLogPayload(payload, &rec);
  if (!s.ok()) {
    if (!s.IsCorruption()) Fail("DecodeLogPayload error is not Corruption", s.ToString());
    return;
  }
  LogRecord again;
  Status s2 = DecodeLogPayload(EncodeLogPayload(rec), &again);
  if (!s2.ok()) Fail("re-encoded payload does not decode", s2.ToString());
  if (!SameRecord(rec, again)) Fail("re-encoded payload decodes different", std::to_string(rec.t));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  CheckLog(bytes);
  const std::string fixed = FixChecksums(bytes);
  if (fixed != bytes) CheckLog(fixed);
  CheckPayload(bytes);
  // A log's first record payload, so log seeds also exercise the decoder alone.
  if (size > kHeader + kRecordHeader) CheckPayload(std::string_view(bytes).substr(kHeader + kRecordHeader));
  return 0;
}
