// pack_storage_test.cc — the folder backend's pack files: sealing, deletes
// and compaction, crashes during compaction, torn tails, damaged bytes,
// readers in other processes, and the old one-file-per-blob layout.
// (The contract every backend keeps is in storage_test.cc.)

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "testing/fault_injection_env.h"
#include "storage/storage.h"

namespace strata {
namespace {

class PackStorageTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // A small pack size, so a few blobs fill several packs.
  static EnvStorageOptions Small(uint64_t pack_bytes = 1024) {
    EnvStorageOptions o;
    o.pack_bytes = pack_bytes;
    return o;
  }
  void Open(const EnvStorageOptions& options = Small()) {
    storage_.reset();
    auto s = NewEnvStorage(&env_, "/db", options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }
  std::unique_ptr<Storage> OpenReader() {
    EnvStorageOptions o = Small();
    o.read_only = true;
    auto s = NewEnvStorage(&env_, "/db", o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::vector<std::string> Packs() {
    auto names = env_.ListDir("/db/packs");
    EXPECT_TRUE(names.ok()) << names.status().ToString();
    std::vector<std::string> out = names.ok() ? *names : std::vector<std::string>{};
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string PackOf(const std::string& key) {
    auto loc = LocateBlob(*storage_, key);
    EXPECT_TRUE(loc.ok()) << key << ": " << loc.status().ToString();
    return loc.ok() ? loc->path : "";
  }
  static std::string Key(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "seg/%016x", i);
    return buf;
  }
  static std::string Value(int i) { return std::string(60 + i % 50, static_cast<char>('a' + i % 26)) + std::to_string(i); }
  // Puts keys [from, to) and syncs.
  void PutRange(int from, int to) {
    for (int i = from; i < to; ++i) ASSERT_TRUE(storage_->Put(Key(i), Value(i)).ok()) << i;
    ASSERT_TRUE(storage_->Sync().ok());
  }
  // Every blob of `want` reads back; with exact_list, List names no other.
  // (Without: a blob deleted may come back, when the pack holding its
  // tombstone went before the one holding the blob.)
  void ExpectBlobs(Storage& s, const std::map<std::string, std::string>& want, bool exact_list = true) {
    for (const auto& [k, v] : want) {
      auto got = s.Get(k);
      ASSERT_TRUE(got.ok()) << k << ": " << got.status().ToString();
      EXPECT_EQ(*got, v) << k;
    }
    auto keys = s.List("seg/");
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    if (!exact_list) return;
    std::vector<std::string> want_keys;
    for (const auto& [k, v] : want) want_keys.push_back(k);
    EXPECT_EQ(*keys, want_keys);
  }
  // Flips one bit of the byte at `offset` of `path`.
  void Flip(const std::string& path, uint64_t offset) {
    auto bytes = base_->ReadFile(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    ASSERT_LT(offset, bytes->size());
    (*bytes)[offset] ^= 0x10;
    auto f = base_->NewWritableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(*bytes).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  std::unique_ptr<Env> base_ = NewMemEnv();
  FaultInjectionEnv env_{base_.get()};
  std::unique_ptr<Storage> storage_;
};

TEST_F(PackStorageTest, ManyPutsAcrossPacksSurviveReopen) {
  std::map<std::string, std::string> want;
  for (int i = 0; i < 200; ++i) want[Key(i)] = Value(i);
  PutRange(0, 200);
  // A re-Put (a retried job rewriting garbage) wins, also after reopening.
  ASSERT_TRUE(storage_->Put(Key(7), "rewritten").ok());
  want[Key(7)] = "rewritten";
  ASSERT_TRUE(storage_->Sync().ok());
  EXPECT_GE(Packs().size(), 20u);
  ExpectBlobs(*storage_, want);
  Open();
  ExpectBlobs(*storage_, want);
  // The reopened writer goes on appending.
  ASSERT_TRUE(storage_->Put(Key(500), "after reopen").ok());
  want[Key(500)] = "after reopen";
  ASSERT_TRUE(storage_->Sync().ok());
  Open();
  ExpectBlobs(*storage_, want);
}

TEST_F(PackStorageTest, DeletingEveryBlobOfAPackDeletesItsFile) {
  PutRange(0, 60);
  const std::vector<std::string> before = Packs();
  ASSERT_GE(before.size(), 3u);
  const std::string first = "/db/packs/" + before[0];
  std::vector<std::string> in_first;
  std::map<std::string, std::string> want;
  for (int i = 0; i < 60; ++i) {
    if (PackOf(Key(i)) == first) {
      in_first.push_back(Key(i));
    } else {
      want[Key(i)] = Value(i);
    }
  }
  ASSERT_FALSE(in_first.empty());
  ASSERT_TRUE(storage_->DeleteMany(in_first).ok());
  EXPECT_FALSE(env_.FileExists(first));
  ExpectBlobs(*storage_, want);
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  Open();
  ExpectBlobs(*storage_, want);
}

TEST_F(PackStorageTest, CompactionMovesLiveBlobs) {
  PutRange(0, 60);
  const std::string first = "/db/packs/" + Packs()[0];
  std::vector<std::string> doomed, kept;
  std::map<std::string, std::string> want;
  for (int i = 0; i < 60; ++i) {
    if (PackOf(Key(i)) == first && kept.empty()) {
      kept.push_back(Key(i));  // the first blob of the first pack stays
      want[Key(i)] = Value(i);
    } else if (PackOf(Key(i)) == first) {
      doomed.push_back(Key(i));
    } else {
      want[Key(i)] = Value(i);
    }
  }
  ASSERT_GE(doomed.size(), 2u);
  const uint64_t put_before = storage_->stats().bytes_put;
  ASSERT_TRUE(storage_->DeleteMany(doomed).ok());
  EXPECT_FALSE(env_.FileExists(first)) << "less than half live: compacted";
  EXPECT_NE(PackOf(kept[0]), first);
  EXPECT_EQ(storage_->stats().bytes_put - put_before, want[kept[0]].size()) << "the copy counts as bytes put";
  ExpectBlobs(*storage_, want);
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  Open();
  ExpectBlobs(*storage_, want);
}

// A crash (DropUnsyncedData) after the n-th operation of a kind fails
// during deletes that empty and compact packs: every blob synced before,
// and not deleted, is still there after reopening.
TEST_F(PackStorageTest, CrashDuringCompactionLosesNothingSynced) {
  int reclaimed = 0;
  for (FaultOp op : {FaultOp::kWrite, FaultOp::kSync, FaultOp::kDelete, FaultOp::kCreate, FaultOp::kRead}) {
    for (int after = 0; after < 8; ++after) {
      SCOPED_TRACE("fault kind " + std::to_string(static_cast<int>(op)) + " after " + std::to_string(after));
      std::unique_ptr<Env> base = NewMemEnv();
      FaultInjectionEnv env(base.get());
      auto open = [&env]() {
        auto s = NewEnvStorage(&env, "/db", Small());
        EXPECT_TRUE(s.ok()) << s.status().ToString();
        return s.ok() ? std::move(*s) : nullptr;
      };
      std::unique_ptr<Storage> storage = open();
      ASSERT_NE(storage, nullptr);
      for (int i = 0; i < 80; ++i) ASSERT_TRUE(storage->Put(Key(i), Value(i)).ok());
      ASSERT_TRUE(storage->Sync().ok());
      // Delete most blobs of the first packs: some packs empty, some sparse.
      std::vector<std::string> doomed;
      std::map<std::string, std::string> want;
      for (int i = 0; i < 80; ++i) {
        if (i < 50 && i % 5 != 0) {
          doomed.push_back(Key(i));
        } else {
          want[Key(i)] = Value(i);
        }
      }
      const size_t packs_before = env.ListDir("/db/packs")->size();
      env.FailOp(op, false, after);
      const Status s = storage->DeleteMany(doomed);
      env.ClearFaults();
      if (env.ListDir("/db/packs")->size() < packs_before) ++reclaimed;
      storage.reset();
      ASSERT_TRUE(env.DropUnsyncedData().ok());
      storage = open();
      ASSERT_NE(storage, nullptr);
      for (const auto& [k, v] : want) {
        auto got = storage->Get(k);
        ASSERT_TRUE(got.ok()) << k << ": " << got.status().ToString() << " (DeleteMany: " << s.ToString() << ")";
        EXPECT_EQ(*got, v);
      }
    }
  }
  EXPECT_GT(reclaimed, 10) << "the faults should hit the compactions, not prevent them all";
}

TEST_F(PackStorageTest, TornTailOfTheNewestPackIsCutOnlyWhenAsked) {
  ASSERT_TRUE(storage_->Put("seg/a", "blob a").ok());
  ASSERT_TRUE(storage_->Put("seg/b", "blob b").ok());
  ASSERT_TRUE(storage_->Sync().ok());
  ASSERT_TRUE(storage_->Put("seg/c", "blob c, torn").ok());
  const std::string pack = PackOf("seg/c");
  auto c = LocateBlob(*storage_, "seg/c");
  ASSERT_TRUE(c.ok());
  const uint64_t c_start = c->offset - 28 - 5;
  storage_.reset();
  ASSERT_TRUE(base_->Truncate(pack, *base_->FileSize(pack) - 4).ok());
  // A reader stops at the torn record and changes nothing.
  const uint64_t torn_size = *base_->FileSize(pack);
  {
    auto reader = OpenReader();
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(*reader->Get("seg/b"), "blob b");
    EXPECT_TRUE(reader->Get("seg/c").status().IsNotFound());
    EXPECT_EQ(*base_->FileSize(pack), torn_size);
  }
  // The writer's open reports it and changes nothing; it appends nothing
  // until the tail is cut (Connection::Open checks the root first).
  Open();
  EXPECT_EQ(*base_->FileSize(pack), torn_size);
  auto tail = storage_->torn_tail();
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(tail->path, pack);
  EXPECT_EQ(tail->offset, c_start);
  EXPECT_EQ(tail->bytes, torn_size - c_start);
  const Status refused = storage_->Put("seg/x", "x");
  EXPECT_TRUE(refused.IsCorruption()) << refused.ToString();
  EXPECT_NE(refused.ToString().find("offset " + std::to_string(c_start)), std::string::npos) << refused.ToString();
  EXPECT_EQ(*base_->FileSize(pack), torn_size);
  // Cut: appends follow the last whole record.
  ASSERT_TRUE(storage_->CutTornTail().ok());
  EXPECT_FALSE(storage_->torn_tail().has_value());
  EXPECT_EQ(*base_->FileSize(pack), c_start);
  EXPECT_EQ(*storage_->Get("seg/a"), "blob a");
  EXPECT_EQ(*storage_->Get("seg/b"), "blob b");
  EXPECT_TRUE(storage_->Get("seg/c").status().IsNotFound());
  ASSERT_TRUE(storage_->Put("seg/d", "blob d").ok());
  ASSERT_TRUE(storage_->Sync().ok());
  // A whole record whose header checksum fails, after the last good one.
  {
    auto d = LocateBlob(*storage_, "seg/d");
    ASSERT_TRUE(d.ok());
    const uint64_t d_start = d->offset - 28 - 5;
    std::string rec = base_->ReadFile(pack)->substr(d_start, 28 + 5 + 6);
    rec[24] ^= 0x01;  // in the header checksum
    auto f = base_->NewAppendableFile(pack);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(rec).ok());
  }
  const uint64_t good_end = *base_->FileSize(pack) - (28 + 5 + 6);
  Open();
  ASSERT_TRUE(storage_->torn_tail().has_value());
  EXPECT_EQ(storage_->torn_tail()->offset, good_end);
  EXPECT_EQ(storage_->torn_tail()->why, "header checksum mismatch");
  ASSERT_TRUE(storage_->CutTornTail().ok());
  EXPECT_EQ(*base_->FileSize(pack), good_end);
  EXPECT_EQ(*storage_->Get("seg/d"), "blob d");
  EXPECT_EQ(*storage_->List(""), (std::vector<std::string>{"seg/a", "seg/b", "seg/d"}));
}

TEST_F(PackStorageTest, FlippedValueByteIsCorruptionOnGet) {
  PutRange(0, 30);
  auto loc = LocateBlob(*storage_, Key(12));
  ASSERT_TRUE(loc.ok());
  Flip(loc->path, loc->offset + loc->size / 2);
  for (int reopen = 0; reopen < 2; ++reopen) {
    const Status s = storage_->Get(Key(12)).status();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find(loc->path), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("offset " + std::to_string(loc->offset - 28 - Key(12).size())), std::string::npos)
        << s.ToString();
    EXPECT_NE(s.ToString().find(Key(12)), std::string::npos) << s.ToString();
    EXPECT_EQ(*storage_->Get(Key(11)), Value(11));
    Open();  // a value is not read at open: the damage shows on Get
  }
}

TEST_F(PackStorageTest, FlippedHeaderByteInASealedPackIsCorruptionAtOpen) {
  PutRange(0, 30);
  ASSERT_GE(Packs().size(), 2u);
  auto loc = LocateBlob(*storage_, Key(1));
  ASSERT_TRUE(loc.ok());
  ASSERT_EQ(loc->path, "/db/packs/" + Packs()[0]);
  const uint64_t record = loc->offset - 28 - Key(1).size();
  storage_.reset();
  Flip(loc->path, record + 9);  // in the value length
  for (bool read_only : {false, true}) {
    EnvStorageOptions o = Small();
    o.read_only = read_only;
    auto s = NewEnvStorage(&env_, "/db", o);
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
    EXPECT_NE(s.status().ToString().find(loc->path), std::string::npos) << s.status().ToString();
    EXPECT_NE(s.status().ToString().find("offset " + std::to_string(record)), std::string::npos)
        << s.status().ToString();
  }
}

TEST_F(PackStorageTest, ReaderSeesLaterBlobsAndSurvivesCompaction) {
  PutRange(0, 5);
  std::unique_ptr<Storage> reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(*reader->Get(Key(3)), Value(3));
  EXPECT_TRUE(reader->Put(Key(100), "x").IsInvalidArgument());
  EXPECT_TRUE(reader->Delete(Key(3)).IsInvalidArgument());
  // Written after the reader opened, across new packs: a miss rescans.
  PutRange(5, 80);
  EXPECT_EQ(*reader->Get(Key(79)), Value(79));
  EXPECT_EQ(*reader->Get(Key(40)), Value(40));
  // The writer deletes most blobs; the packs that held them go (empty) or
  // are compacted, their survivors moved.
  std::vector<std::string> doomed;
  std::map<std::string, std::string> want;
  for (int i = 0; i < 80; ++i) {
    if (i % 4 != 0) {
      doomed.push_back(Key(i));
    } else {
      want[Key(i)] = Value(i);
    }
  }
  const std::vector<std::string> before = Packs();
  for (size_t i = 0; i < doomed.size(); i += 10) {
    const size_t end = std::min(doomed.size(), i + 10);
    ASSERT_TRUE(storage_->DeleteMany(std::vector<std::string>(doomed.begin() + i, doomed.begin() + end)).ok());
  }
  EXPECT_FALSE(env_.FileExists("/db/packs/" + before[1])) << "compacted or emptied";
  ExpectBlobs(*reader, want, /*exact_list=*/false);
  // And a reader opened now agrees.
  ExpectBlobs(*OpenReader(), want, /*exact_list=*/false);
}

// A reader already open when the newest pack's later records are written,
// one of them with a damaged header: blobs behind the damage are
// Corruption naming the pack and offset (the damage stays after a second
// look), not "no such blob"; a blob that never existed is still NotFound,
// and a record that merely runs past the end (an append in flight) is
// still only a miss. The writer's own open sees the same place.
TEST_F(PackStorageTest, AReaderMissingABlobBehindADamagedHeaderSaysCorruption) {
  Open(Small(1 << 20));  // one pack: the damage is in the newest
  PutRange(0, 5);
  std::unique_ptr<Storage> reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(*reader->Get(Key(3)), Value(3));
  PutRange(5, 20);
  auto loc = LocateBlob(*storage_, Key(8));
  ASSERT_TRUE(loc.ok());
  const uint64_t record = loc->offset - 28 - Key(8).size();
  Flip(loc->path, record + 21);  // in the header checksum
  for (int key : {8, 15}) {  // the damaged record, and one behind it
    const Status s = reader->Get(Key(key)).status();
    EXPECT_TRUE(s.IsCorruption()) << key << ": " << s.ToString();
    EXPECT_NE(s.ToString().find(loc->path), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("offset " + std::to_string(record)), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(*reader->Get(Key(6)), Value(6));  // before the damage: read
  EXPECT_TRUE(reader->Get(Key(999)).status().IsCorruption())
      << "with damage in front, a missing blob may lie behind it";
  Flip(loc->path, record + 21);  // mended: the blobs behind it read again
  EXPECT_EQ(*reader->Get(Key(15)), Value(15));
  EXPECT_TRUE(reader->Get(Key(999)).status().IsNotFound());
}

// Gets (from the writer and from a reader) while the writer puts, deletes
// and compacts: every blob never deleted reads back, whatever moved it.
TEST_F(PackStorageTest, ReadsDuringCompaction) {
  PutRange(0, 400);  // even keys stay; odd ones go while others read
  std::unique_ptr<Storage> reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 0; round < 40; ++round) {
      std::vector<std::string> doomed;
      for (int i = 1 + round * 10; i < 400 && i < 1 + (round + 1) * 10; i += 2) doomed.push_back(Key(i));
      EXPECT_TRUE(storage_->DeleteMany(doomed).ok());
      for (int i = 0; i < 5; ++i) EXPECT_TRUE(storage_->Put(Key(1000 + round * 5 + i), Value(i)).ok());
      EXPECT_TRUE(storage_->Sync().ok());
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      Storage& s = t == 0 ? *storage_ : *reader;
      for (int n = 0; !done || n < 400; ++n) {
        const int i = (n * 7 % 200) * 2;
        auto got = s.Get(Key(i));
        ASSERT_TRUE(got.ok()) << (t == 0 ? "writer " : "reader ") << Key(i) << ": " << got.status().ToString();
        EXPECT_EQ(*got, Value(i));
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_FALSE(env_.FileExists("/db/packs/0000000001.pack")) << "the first packs were compacted";
}

TEST_F(PackStorageTest, OldLayoutIsReadListedAndDeleted) {
  storage_.reset();
  // A folder of the one-file-per-blob layout: "seg/..." in segments/seg_...
  ASSERT_TRUE(base_->CreateDirs("/db/segments").ok());
  for (const char* name : {"seg_01", "seg_02", "seg_03"}) {
    auto f = base_->NewWritableFile(std::string("/db/segments/") + name);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(std::string("old ") + name).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  Open();
  EXPECT_EQ(*storage_->Get("seg/01"), "old seg_01");
  ASSERT_TRUE(storage_->Put("seg/04", "new").ok());
  ASSERT_TRUE(storage_->Put("seg/02", "rewritten").ok());  // the pack's copy wins
  ASSERT_TRUE(storage_->Sync().ok());
  EXPECT_EQ(*storage_->Get("seg/02"), "rewritten");
  EXPECT_EQ(*storage_->List("seg/"), (std::vector<std::string>{"seg/01", "seg/02", "seg/03", "seg/04"}));
  auto loc = LocateBlob(*storage_, "seg/03");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->path, "/db/segments/seg_03");
  ASSERT_TRUE(storage_->DeleteMany({"seg/01", "seg/02"}).ok());
  EXPECT_FALSE(env_.FileExists("/db/segments/seg_01"));
  EXPECT_FALSE(env_.FileExists("/db/segments/seg_02"));
  EXPECT_TRUE(storage_->Get("seg/01").status().IsNotFound());
  EXPECT_TRUE(storage_->Get("seg/02").status().IsNotFound());
  ASSERT_TRUE(storage_->Sync().ok());
  Open();
  EXPECT_EQ(*storage_->List("seg/"), (std::vector<std::string>{"seg/03", "seg/04"}));
  EXPECT_EQ(*storage_->Get("seg/03"), "old seg_03");
  EXPECT_EQ(*OpenReader()->Get("seg/03"), "old seg_03");
}

}  // namespace
}  // namespace strata
