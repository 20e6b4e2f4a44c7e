// storage_test.cc — Storage backends: the same contract for every backend,
// and crash behaviour of EnvStorage under FaultInjectionEnv.

#include "testing/fault_injection_env.h"
#include "storage/storage.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

namespace strata {
namespace {

enum class Backend { kMemEnv, kPosixEnv, kMemory };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  switch (info.param) {
    case Backend::kMemEnv: return "MemEnv";
    case Backend::kPosixEnv: return "PosixEnv";
    case Backend::kMemory: return "Memory";
  }
  return "?";
}

class StorageTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Backend::kMemEnv:
        mem_env_ = NewMemEnv();
        env_ = mem_env_.get();
        dir_ = "/db";
        break;
      case Backend::kPosixEnv: {
        char tmpl[] = "/tmp/strata_storage_test_XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        tmp_ = tmpl;
        env_ = Env::Default();
        dir_ = tmp_ + "/db";
        break;
      }
      case Backend::kMemory:
        break;
    }
    Reopen();
  }
  void TearDown() override {
    storage_.reset();
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_);
  }
  // A new Storage object over the same data (for the memory backend, the
  // same object: a map cannot outlive it).
  void Reopen() {
    if (GetParam() == Backend::kMemory) {
      if (!storage_) storage_ = NewMemStorage();
      return;
    }
    storage_.reset();
    auto s = NewEnvStorage(env_, dir_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }
  std::vector<std::string> List(const std::string& prefix) {
    auto r = storage_->List(prefix);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<std::string>{};
  }

  std::unique_ptr<Env> mem_env_;
  Env* env_ = nullptr;
  std::string tmp_, dir_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageTest, PutGetListDelete) {
  Storage& s = *storage_;
  ASSERT_TRUE(s.Put("seg/0000000100000002", "two").ok());
  ASSERT_TRUE(s.Put("seg/0000000100000001", "one").ok());
  ASSERT_TRUE(s.Put("dir/0000000000000001", std::string("d\0x", 3)).ok());
  ASSERT_TRUE(s.Put("seg/0000000100000003", "").ok());
  EXPECT_EQ(*s.Get("seg/0000000100000002"), "two");
  EXPECT_EQ(*s.Get("dir/0000000000000001"), std::string("d\0x", 3));
  EXPECT_EQ(*s.Get("seg/0000000100000003"), "");
  EXPECT_TRUE(s.Get("seg/0000000100000009").status().IsNotFound());

  EXPECT_EQ(List("seg/"), (std::vector<std::string>{"seg/0000000100000001", "seg/0000000100000002",
                                                     "seg/0000000100000003"}));
  EXPECT_EQ(List("").size(), 4u);
  EXPECT_EQ(List("dir/"), std::vector<std::string>{"dir/0000000000000001"});
  EXPECT_TRUE(List("nothing/").empty());

  ASSERT_TRUE(s.Put("seg/0000000100000002", "TWO").ok());  // a retried job rewrites garbage
  EXPECT_EQ(*s.Get("seg/0000000100000002"), "TWO");

  ASSERT_TRUE(s.Delete("seg/0000000100000001").ok());
  EXPECT_TRUE(s.Get("seg/0000000100000001").status().IsNotFound());
  EXPECT_TRUE(s.Delete("seg/0000000100000001").ok());  // idempotent
  EXPECT_EQ(List("seg/").size(), 2u);
}

TEST_P(StorageTest, KeysWithSpecialCharactersRoundTripThroughList) {
  const std::vector<std::string> keys = {"a/b/c", "a_b", "a%5Fb", "x%", "_", "/lead", "trail/"};
  for (const std::string& k : keys) ASSERT_TRUE(storage_->Put(k, k).ok()) << k;
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(List(""), want);
  for (const std::string& k : keys) EXPECT_EQ(*storage_->Get(k), k);
  const std::string bad_keys[] = {"", ".", "..", std::string("a\0b", 3)};
  for (const std::string& bad : bad_keys) {
    EXPECT_TRUE(storage_->Put(bad, "x").IsInvalidArgument());
  }
}

TEST_P(StorageTest, Root) {
  auto r = storage_->ReadRoot();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
  ASSERT_TRUE(storage_->PublishRoot("root-1").ok());
  EXPECT_EQ(**storage_->ReadRoot(), "root-1");
  ASSERT_TRUE(storage_->PublishRoot("root-2, longer").ok());
  EXPECT_EQ(**storage_->ReadRoot(), "root-2, longer");
  EXPECT_TRUE(List("").empty()) << "the root is not a blob";
}

TEST_P(StorageTest, SurvivesReopen) {
  ASSERT_TRUE(storage_->Put("seg/01", "blob").ok());
  ASSERT_TRUE(storage_->Sync().ok());
  ASSERT_TRUE(storage_->PublishRoot("root").ok());
  Reopen();
  EXPECT_EQ(**storage_->ReadRoot(), "root");
  EXPECT_EQ(*storage_->Get("seg/01"), "blob");
  EXPECT_EQ(List(""), std::vector<std::string>{"seg/01"});
}

TEST_P(StorageTest, BytesAtRestAndStats) {
  EXPECT_EQ(*storage_->BytesAtRest(), 0u);
  ASSERT_TRUE(storage_->Put("seg/1", std::string(100, 'a')).ok());
  ASSERT_TRUE(storage_->Put("seg/2", std::string(50, 'b')).ok());
  ASSERT_TRUE(storage_->Sync().ok());
  ASSERT_TRUE(storage_->PublishRoot("12345").ok());
  // A folder keeps blobs in pack records (a 28-byte header and the key
  // before each value); a delete appends a tombstone until its pack goes.
  const bool packs = GetParam() != Backend::kMemory;
  EXPECT_EQ(*storage_->BytesAtRest(), packs ? 155u + 2 * (28 + 5) : 155u);
  ASSERT_TRUE(storage_->Delete("seg/2").ok());
  EXPECT_EQ(*storage_->BytesAtRest(), packs ? 155u + 3 * (28 + 5) : 105u);
  ASSERT_TRUE(storage_->Get("seg/1").ok());
  EXPECT_FALSE(storage_->Get("seg/2").ok());

  const StorageStats st = storage_->stats();
  EXPECT_EQ(st.puts, 2u);
  EXPECT_EQ(st.gets, 2u);
  EXPECT_EQ(st.deletes, 1u);
  EXPECT_EQ(st.syncs, 1u);
  EXPECT_EQ(st.root_publishes, 1u);
  EXPECT_EQ(st.bytes_put, 155u);
  EXPECT_EQ(st.bytes_got, 100u);
}

TEST_P(StorageTest, Describe) {
  if (GetParam() == Backend::kMemory) {
    EXPECT_EQ(storage_->Describe(), "memory");
  } else {
    EXPECT_EQ(storage_->Describe(), "file:" + dir_);
  }
}

TEST_P(StorageTest, ConcurrentPutsAndSyncs) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = "seg/" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(storage_->Put(key, key).ok());
        if (i % 10 == 9) {
          EXPECT_TRUE(storage_->Sync().ok());
        }
        EXPECT_EQ(*storage_->Get(key), key);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(List("seg/").size(), 200u);
  EXPECT_EQ(storage_->stats().puts, 200u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest,
                         ::testing::Values(Backend::kMemEnv, Backend::kPosixEnv, Backend::kMemory),
                         BackendName);

// ---- crashes (EnvStorage over FaultInjectionEnv) ---------------------------

class EnvStorageCrashTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open(const EnvStorageOptions& options = {}) {
    storage_.reset();
    auto s = NewEnvStorage(&env_, "/db", options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }
  std::unique_ptr<Env> base_ = NewMemEnv();
  FaultInjectionEnv env_{base_.get()};
  std::unique_ptr<Storage> storage_;
};

TEST_F(EnvStorageCrashTest, PublishedRootAndItsBlobsSurviveACrash) {
  ASSERT_TRUE(storage_->Put("seg/a", "blob a").ok());
  ASSERT_TRUE(storage_->Put("seg/b", "blob b").ok());
  ASSERT_TRUE(storage_->Sync().ok());
  ASSERT_TRUE(storage_->PublishRoot("root names a, b").ok());
  ASSERT_TRUE(storage_->Put("seg/c", "never synced").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  Open();
  EXPECT_EQ(**storage_->ReadRoot(), "root names a, b");
  EXPECT_EQ(*storage_->Get("seg/a"), "blob a");
  EXPECT_EQ(*storage_->Get("seg/b"), "blob b");
  EXPECT_TRUE(storage_->Get("seg/c").status().IsNotFound());
  EXPECT_EQ(*storage_->List("seg/"), (std::vector<std::string>{"seg/a", "seg/b"}));
}

TEST_F(EnvStorageCrashTest, UnsyncedBlobsAndRootAreGone) {
  ASSERT_TRUE(storage_->Put("seg/a", "blob a").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  Open();
  EXPECT_FALSE(storage_->ReadRoot()->has_value());
  EXPECT_TRUE(storage_->Get("seg/a").status().IsNotFound());
  EXPECT_TRUE(storage_->List("")->empty());
}

TEST_F(EnvStorageCrashTest, FailedSyncIsAnErrorAndCanBeRetried) {
  ASSERT_TRUE(storage_->Put("seg/a", "blob a").ok());
  env_.FailOp(FaultOp::kSync);
  Status s = storage_->Sync();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  env_.ClearFaults();
  // The blob is still pending: the retry makes it durable.
  ASSERT_TRUE(storage_->Sync().ok());
  ASSERT_TRUE(storage_->PublishRoot("root").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  Open();
  EXPECT_EQ(*storage_->Get("seg/a"), "blob a");

  // A failing folder sync (after the file syncs) fails Sync too: with a
  // tiny pack size, the next Put starts a pack, whose folder entry the
  // Sync must make durable.
  Open(EnvStorageOptions{.pack_bytes = 1});
  ASSERT_TRUE(storage_->Put("seg/b", "blob b").ok());
  env_.FailOp(FaultOp::kSync, /*enospc=*/false, /*after=*/1);
  EXPECT_TRUE(storage_->Sync().IsIOError());
  env_.ClearFaults();
}

TEST_F(EnvStorageCrashTest, FailedPublishKeepsTheOldRoot) {
  ASSERT_TRUE(storage_->PublishRoot("old").ok());
  env_.FailOp(FaultOp::kRename);
  EXPECT_TRUE(storage_->PublishRoot("new").IsIOError());
  env_.ClearFaults();
  EXPECT_EQ(**storage_->ReadRoot(), "old");
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  Open();
  EXPECT_EQ(**storage_->ReadRoot(), "old");
}

TEST_F(EnvStorageCrashTest, FailedPutLeavesNoBlob) {
  env_.ShortWriteNext(3);
  EXPECT_TRUE(storage_->Put("seg/a", "blob a").IsIOError());
  EXPECT_TRUE(storage_->Get("seg/a").status().IsNotFound());
  EXPECT_TRUE(storage_->Sync().ok());  // nothing pending for the failed Put
}

}  // namespace
}  // namespace strata
