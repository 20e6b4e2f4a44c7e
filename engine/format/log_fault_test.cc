// Tests for log.h: the writer's behaviour under injected faults and
// crashes.

#include <gtest/gtest.h>

#include "format/log.h"
#include "format/log_test_util.h"
#include "testing/fault_injection_env.h"

namespace strata {
namespace {

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
