// Tests for log.h: every recovery rule for damaged logs: torn tails, zero
// tails, corruption with exact offsets, salvage mode; and on disk.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <filesystem>

#include "format/log.h"
#include "format/log_test_util.h"

namespace strata {
namespace {

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

}  // namespace
}  // namespace strata
