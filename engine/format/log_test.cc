// Tests for log.h: payload codec, write/read round trips, every recovery
// rule (torn tails, zero tails, corruption with exact offsets, salvage
// mode), and the writer's behaviour under injected faults and crashes.

#include "testing/fault_injection_env.h"
#include "format/log.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "util/coding.h"

namespace strata {
namespace {

bool HasSubstr(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

constexpr uint64_t kHeader = 16;
const std::string kDir = "/db";
const std::string kLog = "/db/log";

LogRecord MakeRecord(T t, int n) {
  LogRecord rec;
  rec.t = t;
  for (int i = 0; i < n; ++i) {
    Datom d;
    d.e = MakeEntityId(kPartUser, t * 100 + static_cast<uint64_t>(i));
    d.a = 10 + static_cast<EntityId>(i % 5);
    switch (i % 5) {
      case 0: d.v = Value::String("value " + std::to_string(t) + "/" + std::to_string(i)); break;
      case 1: d.v = Value::Long(-static_cast<int64_t>(t) * 1000 - i); break;
      case 2: d.v = Value::Ref(MakeEntityId(kPartUser, t)); break;
      case 3: d.v = Value::Keyword("k/" + std::to_string(i)); break;
      default: d.v = Value::Double(static_cast<double>(t) / 3.0); break;
    }
    d.tx = TxId(t);
    d.added = i % 4 != 3;
    rec.datoms.push_back(d);
  }
  return rec;
}

void ExpectSameRecord(const LogRecord& got, const LogRecord& want) {
  EXPECT_EQ(got.t, want.t);
  ASSERT_EQ(got.datoms.size(), want.datoms.size());
  for (size_t i = 0; i < got.datoms.size(); ++i) {
    EXPECT_EQ(got.datoms[i], want.datoms[i]) << "t " << got.t << " datom " << i;
    EXPECT_EQ(got.datoms[i].tx, TxId(got.t));
  }
}

struct ReadOutcome {
  Status status;
  LogReadResult result;
  std::vector<LogRecord> records;
};

ReadOutcome ReadAll(Env* env, const std::string& path, RecoveryMode mode = RecoveryMode::kStrict) {
  ReadOutcome out;
  Result<LogReadResult> r = ReadLog(env, path, mode, [&](LogRecord&& rec) {
    out.records.push_back(std::move(rec));
    return Status::OK();
  });
  out.status = r.status();
  if (r.ok()) out.result = *r;
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_->CreateDirs(kDir).ok()); }

  // Writes records t = 1..n (each with t % 7 + 1 datoms) to a fresh log and
  // returns the offset of each record.
  std::vector<uint64_t> WriteRecords(int n, Env* env = nullptr) {
    if (env == nullptr) env = env_.get();
    std::vector<uint64_t> offsets;
    auto w = LogWriter::Open(env, kLog, 0);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (!w.ok()) return offsets;
    for (int t = 1; t <= n; ++t) {
      offsets.push_back((*w)->size());
      EXPECT_TRUE((*w)->Append(MakeRecord(static_cast<T>(t), t % 7 + 1)).ok());
    }
    EXPECT_TRUE((*w)->Sync().ok());
    return offsets;
  }

  std::string Contents() {
    Result<std::string> r = env_->ReadFile(kLog);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : "";
  }
  void SetContents(const std::string& data) {
    auto f = env_->NewWritableFile(kLog);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(data).ok());
  }

  std::unique_ptr<Env> env_ = NewMemEnv();
};

// ---- payload codec -------------------------------------------------------------

TEST(LogPayloadTest, RoundTrip) {
  for (int n : {0, 1, 5, 300}) {
    LogRecord rec = MakeRecord(12345, n);
    std::string p = EncodeLogPayload(rec);
    LogRecord got;
    got.datoms.push_back(Datom{});  // must be replaced, not appended to
    ASSERT_TRUE(DecodeLogPayload(p, &got).ok());
    ExpectSameRecord(got, rec);
  }
}

TEST(LogPayloadTest, TxComesFromT) {
  LogRecord rec = MakeRecord(7, 3);
  for (Datom& d : rec.datoms) d.tx = 999;  // not encoded
  LogRecord got;
  ASSERT_TRUE(DecodeLogPayload(EncodeLogPayload(rec), &got).ok());
  for (const Datom& d : got.datoms) EXPECT_EQ(d.tx, TxId(7));
}

TEST(LogPayloadTest, RejectsMalformed) {
  const std::string p = EncodeLogPayload(MakeRecord(3, 6));
  LogRecord got;
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_TRUE(DecodeLogPayload(p.substr(0, n), &got).IsCorruption()) << "cut at " << n;
  }
  EXPECT_TRUE(DecodeLogPayload(p + "x", &got).IsCorruption());  // trailing garbage

  std::string bad_added = EncodeLogPayload(MakeRecord(3, 1));
  bad_added.back() = 2;
  EXPECT_TRUE(DecodeLogPayload(bad_added, &got).IsCorruption());

  // A count far beyond the bytes present fails fast, without reserving.
  std::string huge;
  coding::PutVarint64(&huge, 1);
  coding::PutVarint64(&huge, uint64_t{1} << 60);
  huge += "abcd";
  EXPECT_TRUE(DecodeLogPayload(huge, &got).IsCorruption());

  std::string big_t;
  coding::PutVarint64(&big_t, kTMask + 1);
  coding::PutVarint64(&big_t, 0);
  EXPECT_TRUE(DecodeLogPayload(big_t, &got).IsCorruption());
}

TEST(LogPayloadTest, SkimmingBuildsOnlyKeptAttributesAndStillChecksTheRest) {
  const LogRecord rec = MakeRecord(9, 40);
  const std::string p = EncodeLogPayload(rec);
  auto keep = [](EntityId a) { return a == 12; };
  LogRecord got;
  ASSERT_TRUE(DecodeLogPayload(p, &got, keep).ok());
  std::vector<Datom> want;
  for (const Datom& d : rec.datoms)
    if (d.a == 12) want.push_back(d);
  EXPECT_EQ(got.t, 9u);
  EXPECT_EQ(got.datoms, want);
  // A damaged value of a skipped attribute is still corruption.
  for (size_t n = 0; n < p.size(); ++n)
    EXPECT_TRUE(DecodeLogPayload(p.substr(0, n), &got, keep).IsCorruption()) << "cut at " << n;
}

// ---- round trips -------------------------------------------------------------------

TEST_F(LogTest, WriteReadRoundTrip) {
  WriteRecords(100);
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.result.records, 100u);
  EXPECT_FALSE(out.result.torn_tail);
  EXPECT_EQ(out.result.valid_bytes, Contents().size());
  EXPECT_EQ(out.result.file_bytes, Contents().size());
  ASSERT_EQ(out.records.size(), 100u);
  for (int t = 1; t <= 100; ++t) ExpectSameRecord(out.records[t - 1], MakeRecord(t, t % 7 + 1));
}

TEST_F(LogTest, SkimReadsOnlyKeptDatomsOfRecordsThroughItsT) {
  WriteRecords(30);
  std::vector<LogRecord> got;
  auto keep = [](EntityId a) { return a == 10; };
  auto r = ReadLog(
      env_.get(), kLog, RecoveryMode::kStrict,
      [&](LogRecord&& rec) {
        got.push_back(std::move(rec));
        return Status::OK();
      },
      LogSkim{20, keep});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(got.size(), 30u);
  for (const LogRecord& rec : got) {
    const LogRecord full = MakeRecord(rec.t, static_cast<int>(rec.t % 7 + 1));
    if (rec.t > 20) {
      ExpectSameRecord(rec, full);
      continue;
    }
    for (const Datom& d : rec.datoms) EXPECT_EQ(d.a, 10u) << "t " << rec.t;
    EXPECT_EQ(rec.datoms.size(), static_cast<size_t>((rec.t % 7 + 1 + 4) / 5)) << "t " << rec.t;
  }
}

TEST_F(LogTest, HeaderLayout) {
  WriteRecords(1);
  const std::string c = Contents();
  ASSERT_GE(c.size(), kHeader + 16);
  EXPECT_EQ(c.substr(0, 8), "STRATLOG");
  EXPECT_EQ(coding::DecodeFixed32(c.data() + 8), 1u);
  EXPECT_EQ(coding::DecodeFixed32(c.data() + 12), 0u);
  // First record: length, length check, checksum over length bytes +
  // payload, payload.
  const uint32_t len = coding::DecodeFixed32(c.data() + kHeader);
  EXPECT_EQ(kHeader + 16 + len, c.size());
  const std::string covered = c.substr(kHeader, 4) + c.substr(kHeader + 16);
  EXPECT_EQ(coding::DecodeFixed64(c.data() + kHeader + 8), coding::Checksum(covered));
}

TEST_F(LogTest, ReopenAndAppend) {
  WriteRecords(5);
  ReadOutcome first = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(first.status.ok());
  {
    auto w = LogWriter::Open(env_.get(), kLog, first.result.valid_bytes);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ((*w)->size(), first.result.valid_bytes);
    ASSERT_TRUE((*w)->Append(MakeRecord(6, 2)).ok());
    ASSERT_TRUE((*w)->Sync().ok());
    EXPECT_EQ((*w)->synced_size(), (*w)->size());
  }
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok());
  ASSERT_EQ(out.records.size(), 6u);
  ExpectSameRecord(out.records[5], MakeRecord(6, 2));
}

TEST_F(LogTest, CallbackErrorStopsReading) {
  WriteRecords(5);
  int seen = 0;
  Result<LogReadResult> r = ReadLog(env_.get(), kLog, RecoveryMode::kStrict, [&](LogRecord&&) {
    if (++seen == 3) return Status::Aborted("enough");
    return Status::OK();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAborted);
  EXPECT_EQ(seen, 3);
}

TEST_F(LogTest, LargeRecordsReadInWindows) {
  // Bigger than the reader's 1 MiB window, on both sides of it.
  std::vector<LogRecord> recs;
  for (T t = 1; t <= 6; ++t) {
    LogRecord rec = MakeRecord(t, 2);
    rec.datoms[0].v = Value::String(std::string(t == 3 ? 2500000 : 400000, static_cast<char>('a' + t)));
    recs.push_back(rec);
  }
  {
    auto w = LogWriter::Open(env_.get(), kLog, 0);
    ASSERT_TRUE(w.ok());
    for (const LogRecord& r : recs) ASSERT_TRUE((*w)->Append(r).ok());
  }
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.records.size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) ExpectSameRecord(out.records[i], recs[i]);
}

// ---- header and file-level cases --------------------------------------------------------

TEST_F(LogTest, MissingFileIsNotFound) {
  ReadOutcome out = ReadAll(env_.get(), "/db/nope");
  EXPECT_TRUE(out.status.IsNotFound()) << out.status.ToString();
}

TEST_F(LogTest, EmptyFileIsAnEmptyLog) {
  SetContents("");
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.result.records, 0u);
  EXPECT_EQ(out.result.valid_bytes, 0u);
  EXPECT_FALSE(out.result.torn_tail);
  auto w = LogWriter::Open(env_.get(), kLog, 0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->size(), kHeader);
  w.value().reset();
  EXPECT_EQ(Contents().substr(0, 8), "STRATLOG");
  out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.result.valid_bytes, kHeader);
}

TEST_F(LogTest, TornHeaderIsTornTail) {
  WriteRecords(1);
  const std::string full = Contents();
  for (size_t n : {size_t{1}, size_t{7}, size_t{15}}) {
    SetContents(full.substr(0, n));
    ReadOutcome out = ReadAll(env_.get(), kLog);
    ASSERT_TRUE(out.status.ok()) << n << ": " << out.status.ToString();
    EXPECT_TRUE(out.result.torn_tail);
    EXPECT_EQ(out.result.valid_bytes, 0u);
  }
  // All zeros (the size grew, the header never landed) is torn too.
  SetContents(std::string(40, '\0'));
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok());
  EXPECT_TRUE(out.result.torn_tail);
  EXPECT_EQ(out.result.valid_bytes, 0u);
  // The writer starts over from such a file.
  auto w = LogWriter::Open(env_.get(), kLog, out.result.valid_bytes);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(MakeRecord(1, 1)).ok());
  w.value().reset();
  out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.result.records, 1u);
  EXPECT_FALSE(out.result.torn_tail);
}

TEST_F(LogTest, BadMagicOrVersionIsCorruption) {
  WriteRecords(2);
  std::string c = Contents();
  c[2] = 'X';
  SetContents(c);
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.IsCorruption()) << out.status.ToString();
  EXPECT_PRED2(HasSubstr, out.status.message(), kLog);
  // Salvage mode cannot salvage a log without a header.
  EXPECT_TRUE(ReadAll(env_.get(), kLog, RecoveryMode::kTruncateCorruptTail).status.IsCorruption());

  c = Contents();
  c[2] = 'R';
  c[8] = 2;  // version 2
  SetContents(c);
  out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.IsCorruption()) << out.status.ToString();
  EXPECT_PRED2(HasSubstr, out.status.message(), kLog);
  EXPECT_PRED2(HasSubstr, out.status.message(), "version 2");

  SetContents("not a log at all");
  EXPECT_TRUE(ReadAll(env_.get(), kLog).status.IsCorruption());
  SetContents("short");
  EXPECT_TRUE(ReadAll(env_.get(), kLog).status.IsCorruption());
}

// ---- torn tails ---------------------------------------------------------------------

TEST_F(LogTest, TornTailAtEveryByteOfLastRecord) {
  std::vector<uint64_t> offsets = WriteRecords(3);
  const std::string full = Contents();
  const uint64_t last = offsets.back();
  for (uint64_t cut = last; cut < full.size(); ++cut) {
    SetContents(full.substr(0, cut));
    ReadOutcome out = ReadAll(env_.get(), kLog);
    ASSERT_TRUE(out.status.ok()) << "cut " << cut << ": " << out.status.ToString();
    ASSERT_EQ(out.records.size(), 2u) << "cut " << cut;
    ExpectSameRecord(out.records[1], MakeRecord(2, 3));
    EXPECT_EQ(out.result.valid_bytes, last);
    EXPECT_EQ(out.result.file_bytes, cut);
    EXPECT_EQ(out.result.torn_tail, cut > last) << "cut " << cut;
    if (cut > last) {
      EXPECT_FALSE(out.result.dropped_reason.empty());
    }
  }
  // The writer cuts the torn tail and continues cleanly.
  SetContents(full.substr(0, full.size() - 1));
  ReadOutcome torn = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(torn.status.ok());
  auto w = LogWriter::Open(env_.get(), kLog, torn.result.valid_bytes);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->size(), last);
  ASSERT_TRUE((*w)->Append(MakeRecord(3, 4)).ok());
  w.value().reset();
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok());
  EXPECT_FALSE(out.result.torn_tail);
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(Contents(), full);  // same bytes as before the tear
}

TEST_F(LogTest, ZeroFilledTailIsTorn) {
  std::vector<uint64_t> offsets = WriteRecords(4);
  const std::string full = Contents();
  // Zeros after the last record (file grew, data never landed).
  SetContents(full + std::string(4096, '\0'));
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.records.size(), 4u);
  EXPECT_TRUE(out.result.torn_tail);
  EXPECT_EQ(out.result.valid_bytes, full.size());
  // The last record zeroed in place, with zero padding after it.
  std::string c = full.substr(0, offsets[3]) + std::string(full.size() - offsets[3] + 100, '\0');
  SetContents(c);
  out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.records.size(), 3u);
  EXPECT_TRUE(out.result.torn_tail);
  EXPECT_EQ(out.result.valid_bytes, offsets[3]);
  // A non-zero byte at the very end turns it back into corruption.
  c.back() = 1;
  SetContents(c);
  out = ReadAll(env_.get(), kLog);
  EXPECT_TRUE(out.status.IsCorruption()) << out.status.ToString();
}

// ---- corruption ---------------------------------------------------------------------

TEST_F(LogTest, FlippedByteIsCorruptionWithExactOffset) {
  std::vector<uint64_t> offsets = WriteRecords(6);
  const std::string full = Contents();
  const uint64_t rec = offsets[2];
  const uint64_t rec_end = offsets[3];
  // A payload byte and a checksum byte: checksum mismatch. The low byte of
  // the length, a length-check byte, and a high length byte (which would
  // point past end of file): a damaged length — never a torn tail.
  struct Flip {
    uint64_t pos;
    uint8_t mask;
    const char* what;
  };
  for (const Flip& f : {Flip{rec + 16 + (rec_end - rec - 16) / 2, 0x01, "checksum mismatch"},
                        Flip{rec + 9, 0x01, "checksum mismatch"}, Flip{rec, 0x01, "damaged record length"},
                        Flip{rec + 5, 0x01, "damaged record length"}, Flip{rec + 2, 0x40, "damaged record length"}}) {
    std::string c = full;
    c[f.pos] ^= f.mask;
    SetContents(c);
    ReadOutcome out = ReadAll(env_.get(), kLog);
    ASSERT_TRUE(out.status.IsCorruption()) << "pos " << f.pos << ": " << out.status.ToString();
    EXPECT_EQ(out.status.message(),
              "log " + kLog + ": " + f.what + " in record at offset " + std::to_string(rec));
    EXPECT_EQ(out.records.size(), 2u);  // delivered before the error
  }
}

TEST_F(LogTest, TruncateCorruptTailKeepsIntactPrefix) {
  std::vector<uint64_t> offsets = WriteRecords(6);
  std::string c = Contents();
  c[offsets[2] + 14] ^= 0x40;
  SetContents(c);
  ReadOutcome out = ReadAll(env_.get(), kLog, RecoveryMode::kTruncateCorruptTail);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.records.size(), 2u);
  ExpectSameRecord(out.records[0], MakeRecord(1, 2));
  ExpectSameRecord(out.records[1], MakeRecord(2, 3));
  EXPECT_TRUE(out.result.torn_tail);
  EXPECT_EQ(out.result.valid_bytes, offsets[2]);
  EXPECT_PRED2(HasSubstr, out.result.dropped_reason, "corruption");
  EXPECT_PRED2(HasSubstr, out.result.dropped_reason, "offset " + std::to_string(offsets[2]));

  // Appending after salvage gives a clean log.
  auto w = LogWriter::Open(env_.get(), kLog, out.result.valid_bytes);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(MakeRecord(3, 1)).ok());
  w.value().reset();
  out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.records.size(), 3u);
}

TEST_F(LogTest, ImplausibleLengthIsCorruption) {
  std::vector<uint64_t> offsets = WriteRecords(4);
  std::string c = Contents();
  c[offsets[1] + 3] = static_cast<char>(0xff);  // length >= 4 GiB - 16 MiB
  SetContents(c);
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.IsCorruption()) << out.status.ToString();
  EXPECT_PRED2(HasSubstr, out.status.message(), "offset " + std::to_string(offsets[1]));
  out = ReadAll(env_.get(), kLog, RecoveryMode::kTruncateCorruptTail);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.result.valid_bytes, offsets[1]);
}

TEST_F(LogTest, UndecodablePayloadWithGoodChecksumIsCorruption) {
  WriteRecords(2);
  std::string c = Contents();
  const uint64_t off = c.size();
  std::string payload;
  coding::PutVarint64(&payload, 3);
  coding::PutVarint64(&payload, 1);  // one datom promised, none present
  payload += "zzzz";
  std::string len;
  coding::PutFixed32(&len, static_cast<uint32_t>(payload.size()));
  c += len;
  coding::PutFixed64(&c, coding::Checksum(len + payload));
  c += payload;
  SetContents(c);
  ReadOutcome out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.IsCorruption()) << out.status.ToString();
  EXPECT_PRED2(HasSubstr, out.status.message(), kLog);
  EXPECT_PRED2(HasSubstr, out.status.message(), "offset " + std::to_string(off));
  out = ReadAll(env_.get(), kLog, RecoveryMode::kTruncateCorruptTail);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.result.valid_bytes, off);
}

TEST_F(LogTest, OpenRejectsValidBytesBeyondEnd) {
  WriteRecords(1);
  auto w = LogWriter::Open(env_.get(), kLog, Contents().size() + 1);
  EXPECT_TRUE(w.status().IsInvalidArgument()) << w.status().ToString();
}

TEST(LogPosixTest, RoundTripAndTornTailOnDisk) {
  char tmpl[] = "/tmp/strata_log_test_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, path = dir + "/log";
  Env* env = Env::Default();
  {
    auto w = LogWriter::Open(env, path, 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (T t = 1; t <= 20; ++t) ASSERT_TRUE((*w)->Append(MakeRecord(t, 3)).ok());
    ASSERT_TRUE((*w)->Sync().ok());
  }
  Result<uint64_t> size = env->FileSize(path);
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(env->Truncate(path, *size - 3).ok());
  ReadOutcome out = ReadAll(env, path);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.records.size(), 19u);
  EXPECT_TRUE(out.result.torn_tail);
  {
    auto w = LogWriter::Open(env, path, out.result.valid_bytes);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(MakeRecord(20, 3)).ok());
    ASSERT_TRUE((*w)->Sync().ok());
  }
  out = ReadAll(env, path);
  ASSERT_TRUE(out.status.ok());
  ASSERT_EQ(out.records.size(), 20u);
  EXPECT_FALSE(out.result.torn_tail);
  ExpectSameRecord(out.records[19], MakeRecord(20, 3));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// ---- faults and crashes ---------------------------------------------------------------

class LogFaultTest : public LogTest {
 protected:
  void SetUp() override {
    LogTest::SetUp();
    ASSERT_TRUE(env_->SyncDir(kDir).ok());
  }
  // The records' t values, in order.
  std::vector<T> Ts() {
    ReadOutcome out = ReadAll(&fenv_, kLog);
    EXPECT_TRUE(out.status.ok()) << out.status.ToString();
    EXPECT_FALSE(out.result.torn_tail) << out.result.dropped_reason;
    std::vector<T> ts;
    for (const LogRecord& r : out.records) ts.push_back(r.t);
    return ts;
  }

  FaultInjectionEnv fenv_{env_.get()};
};

TEST_F(LogFaultTest, UnsyncedRecordsLostInCrash) {
  {
    auto w = LogWriter::Open(&fenv_, kLog, 0);
    ASSERT_TRUE(w.ok());
    for (T t = 1; t <= 3; ++t) ASSERT_TRUE((*w)->Append(MakeRecord(t, 2)).ok());
    ASSERT_TRUE((*w)->Sync().ok());  // also makes the new file's name durable
    EXPECT_EQ((*w)->synced_size(), (*w)->size());
    for (T t = 4; t <= 5; ++t) ASSERT_TRUE((*w)->Append(MakeRecord(t, 2)).ok());
    EXPECT_LT((*w)->synced_size(), (*w)->size());
    ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
    EXPECT_TRUE((*w)->Append(MakeRecord(6, 1)).IsIOError());  // the crashed process's handle
  }
  EXPECT_EQ(Ts(), (std::vector<T>{1, 2, 3}));
}

TEST_F(LogFaultTest, NeverSyncedLogDisappears) {
  {
    auto w = LogWriter::Open(&fenv_, kLog, 0);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(MakeRecord(1, 1)).ok());
  }
  ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
  EXPECT_TRUE(ReadAll(&fenv_, kLog).status.IsNotFound());
}

TEST_F(LogFaultTest, FailedAppendLeavesNoTrace) {
  auto w = LogWriter::Open(&fenv_, kLog, 0);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(MakeRecord(1, 3)).ok());
  ASSERT_TRUE((*w)->Append(MakeRecord(2, 3)).ok());
  const uint64_t good = (*w)->size();
  fenv_.FailOp(FaultOp::kWrite, /*enospc=*/true);
  Status s = (*w)->Append(MakeRecord(3, 3));
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_PRED2(HasSubstr, s.message(), "ENOSPC");
  EXPECT_EQ((*w)->size(), good);
  // Still failing: the recovery truncation is a write too.
  EXPECT_TRUE((*w)->Append(MakeRecord(3, 3)).IsIOError());
  fenv_.ClearFaults();
  ASSERT_TRUE((*w)->Append(MakeRecord(4, 3)).ok());
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(Ts(), (std::vector<T>{1, 2, 4}));
}

TEST_F(LogFaultTest, ShortWriteIsCutBack) {
  auto w = LogWriter::Open(&fenv_, kLog, 0);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(MakeRecord(1, 3)).ok());
  const uint64_t good = (*w)->size();
  fenv_.ShortWriteNext(7);
  ASSERT_TRUE((*w)->Append(MakeRecord(2, 3)).IsIOError());
  // The half record is on disk right now...
  EXPECT_EQ(*fenv_.FileSize(kLog), good + 7);
  // ...and gone once the writer continues.
  ASSERT_TRUE((*w)->Append(MakeRecord(3, 3)).ok());
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(Ts(), (std::vector<T>{1, 3}));
  EXPECT_EQ(*fenv_.FileSize(kLog), (*w)->size());
}

TEST_F(LogFaultTest, FailedSyncAbandonsUnsyncedRecords) {
  auto w = LogWriter::Open(&fenv_, kLog, 0);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(MakeRecord(1, 2)).ok());
  ASSERT_TRUE((*w)->Sync().ok());
  const uint64_t synced = (*w)->synced_size();
  ASSERT_TRUE((*w)->Append(MakeRecord(2, 2)).ok());
  fenv_.FailOp(FaultOp::kSync);
  EXPECT_TRUE((*w)->Sync().IsIOError());
  EXPECT_EQ((*w)->size(), synced);  // record 2 is not in the log
  fenv_.ClearFaults();
  ASSERT_TRUE((*w)->Append(MakeRecord(3, 2)).ok());
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(Ts(), (std::vector<T>{1, 3}));
  ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
  EXPECT_EQ(Ts(), (std::vector<T>{1, 3}));
}

TEST_F(LogFaultTest, ClosingAfterFailureCutsTheAbandonedRecords) {
  {
    auto w = LogWriter::Open(&fenv_, kLog, 0);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(MakeRecord(1, 2)).ok());
    ASSERT_TRUE((*w)->Sync().ok());
    ASSERT_TRUE((*w)->Append(MakeRecord(2, 2)).ok());
    fenv_.FailOp(FaultOp::kSync);
    EXPECT_TRUE((*w)->Sync().IsIOError());
    fenv_.ClearFaults();
  }  // the writer is dropped without another append
  EXPECT_EQ(Ts(), (std::vector<T>{1}));
  {
    auto w = LogWriter::Open(&fenv_, kLog, *fenv_.FileSize(kLog));
    ASSERT_TRUE(w.ok());
    fenv_.ShortWriteNext(5);
    EXPECT_TRUE((*w)->Append(MakeRecord(3, 2)).IsIOError());
  }
  EXPECT_EQ(Ts(), (std::vector<T>{1}));
}

TEST_F(LogFaultTest, RepeatedCrashesKeepExactlyTheSyncedRecords) {
  // Each round recovers the log, appends more records syncing only some,
  // then crashes: what survives is exactly what was synced, in order.
  std::vector<T> durable;
  T next = 1;
  for (int round = 1; round <= 6; ++round) {
    ReadOutcome pre = ReadAll(&fenv_, kLog);
    uint64_t valid = 0;
    if (round > 1) {
      ASSERT_TRUE(pre.status.ok()) << pre.status.ToString();
      std::vector<T> ts;
      for (const LogRecord& r : pre.records) ts.push_back(r.t);
      EXPECT_EQ(ts, durable) << "round " << round;
      valid = pre.result.valid_bytes;
    }
    auto w = LogWriter::Open(&fenv_, kLog, valid);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::vector<T> pending;
    for (int i = 1; i <= round; ++i) {
      ASSERT_TRUE((*w)->Append(MakeRecord(next, 2)).ok());
      pending.push_back(next++);
      if (i % 2 == 1) {
        ASSERT_TRUE((*w)->Sync().ok());
        durable.insert(durable.end(), pending.begin(), pending.end());
        pending.clear();
      }
    }
    ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
  }
  EXPECT_EQ(Ts(), durable);
}

}  // namespace
}  // namespace strata
