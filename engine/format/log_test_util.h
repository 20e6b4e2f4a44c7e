// log_test_util.h — records, a reader and the LogTest fixture shared by the
// tests of log.h (log_test.cc, log_damage_test.cc, log_fault_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "format/log.h"
#include "util/coding.h"

namespace strata {

inline bool HasSubstr(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

inline constexpr uint64_t kHeader = 16;
inline const std::string kDir = "/db";
inline const std::string kLog = "/db/log";

inline LogRecord MakeRecord(T t, int n) {
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

inline void ExpectSameRecord(const LogRecord& got, const LogRecord& want) {
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

inline ReadOutcome ReadAll(Env* env, const std::string& path, RecoveryMode mode = RecoveryMode::kStrict) {
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

}  // namespace strata
