// Tests for log.h: the payload codec, write/read round trips, the header
// and file-level cases.

#include <gtest/gtest.h>

#include "format/log.h"
#include "format/log_test_util.h"

namespace strata {
namespace {

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
  EXPECT_EQ(coding::DecodeFixed32(c.data() + 8), 2u);  // version 2: value tags 9-15
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
  c[8] = 3;  // version 3
  SetContents(c);
  out = ReadAll(env_.get(), kLog);
  ASSERT_TRUE(out.status.IsCorruption()) << out.status.ToString();
  EXPECT_PRED2(HasSubstr, out.status.message(), kLog);
  EXPECT_PRED2(HasSubstr, out.status.message(), "unsupported log version 3 (this strata reads versions 1 to 2)");

  // A version 1 log holds a subset of version 2's values: read as it is.
  c[8] = 1;
  SetContents(c);
  out = ReadAll(env_.get(), kLog);
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.records.size(), 2u);

  SetContents("not a log at all");
  EXPECT_TRUE(ReadAll(env_.get(), kLog).status.IsCorruption());
  SetContents("short");
  EXPECT_TRUE(ReadAll(env_.get(), kLog).status.IsCorruption());
}

}  // namespace
}  // namespace strata
