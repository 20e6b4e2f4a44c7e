// readonly_test.cc — read-only opens change no byte and run beside a
// writer; recovery cuts only a torn tail no root names, and anything else
// is Corruption naming file and offset; a log shorter than the root's basis
// is Corruption; Repair rebuilds a damaged index from an intact log and
// refuses when the log itself is damaged. (Issue 16, "Readers repair" and
// "A log cut below the root's basis".)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "index/durable_index.h"
#include "state/db_access.h"
#include "storage/storage.h"
#include "strata/verify.h"
#include "testing/test_util.h"
#include "util/env_readonly.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::Dump;

constexpr const char* kSchema = R"([
  {:db/ident :r/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :r/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :r/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])";

// Every file under a folder: its bytes and modification time.
struct FileState {
  std::string bytes;
  fs::file_time_type mtime;
  bool operator==(const FileState&) const = default;
};
std::map<std::string, FileState> Snapshot(const std::string& dir) {
  std::map<std::string, FileState> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    FileState s;
    s.mtime = fs::last_write_time(e.path());
    if (e.is_regular_file()) {
      std::ifstream in(e.path(), std::ios::binary);
      s.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    out[e.path().string()] = std::move(s);
  }
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}
void FlipByte(const std::string& path, uint64_t offset) {
  std::string b = ReadAll(path);
  ASSERT_LT(offset, b.size());
  b[offset] = static_cast<char>(b[offset] ^ 0x10);
  WriteAll(path, b);
}

class ReadOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-readonly-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ + "/db";
  }
  void TearDown() override { fs::remove_all(root_); }

  Options WriterOptions() const {
    Options o;
    o.sync = SyncPolicy::kNever;
    o.background_indexing = false;
    o.segment_datoms = 32;
    return o;
  }
  Result<std::unique_ptr<Connection>> OpenReader() const {
    Options o;
    o.read_only = true;
    o.create_if_missing = false;
    return Connection::Open(dir_, o);
  }
  static std::string Tx(int i) {
    return "[{:r/id " + std::to_string(i % 40) + " :r/name \"n" + std::to_string(i % 9) + "\" :r/n " +
           std::to_string(i) + "}]";
  }
  // `indexed` transactions indexed into several segments of one pack, then
  // `tail` more in the log only. Returns the log's size after each
  // transaction (index t-1... by order of commit).
  std::vector<uint64_t> Build(int indexed, int tail) {
    std::vector<uint64_t> sizes;
    auto c = Connection::Open(dir_, WriterOptions());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return sizes;
    EXPECT_TRUE((*c)->Transact(kSchema).ok());
    sizes.push_back((*c)->stats().log_bytes);
    for (int i = 0; i < indexed + tail; ++i) {
      if (i == indexed) {
        EXPECT_TRUE((*c)->IndexNow().ok());
      }
      auto r = (*c)->Transact(Tx(i));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      sizes.push_back((*c)->stats().log_bytes);
    }
    if (tail == 0) {
      EXPECT_TRUE((*c)->IndexNow().ok());
    }
    EXPECT_TRUE((*c)->Close().ok());
    return sizes;
  }
  // Every view a reader can see, as text.
  static std::vector<std::string> Everything(const Database& db) {
    std::vector<std::string> all;
    for (Index i : {Index::kEavt, Index::kAevt, Index::kAvet, Index::kVaet}) {
      for (const Database& v : {db, db.History()}) {
        auto d = Dump(v, i);
        all.insert(all.end(), d.begin(), d.end());
      }
    }
    return all;
  }
  std::vector<std::string> EverythingNow() {
    auto c = OpenReader();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? Everything((*c)->db()) : std::vector<std::string>{};
  }
  // The pack file, and the header offset of the record of the segment the
  // root names that lies first in it (with records after it).
  std::pair<std::string, uint64_t> FirstReferencedRecord() {
    auto c = OpenReader();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    std::vector<uint64_t> ids;
    DbAccess::State((*c)->db())->root->CollectIds(&ids);
    EXPECT_GT(ids.size(), 4u);
    EnvStorageOptions so;
    so.read_only = true;
    auto ro = NewReadOnlyEnv(Env::Default());
    auto storage = NewEnvStorage(ro.get(), dir_, so);
    EXPECT_TRUE(storage.ok()) << storage.status().ToString();
    std::pair<std::string, uint64_t> best{"", UINT64_MAX};
    for (uint64_t id : ids) {
      auto loc = LocateBlob(**storage, SegmentKey(id));
      EXPECT_TRUE(loc.ok()) << loc.status().ToString();
      const uint64_t header = loc->offset - 28 - SegmentKey(id).size();
      if (header < best.second) best = {loc->path, header};
    }
    return best;
  }

  std::string root_, dir_;
};

TEST_F(ReadOnlyTest, TheReadOnlyEnvRefusesEveryWrite) {
  const std::string f = root_ + "/file";
  WriteAll(f, "bytes");
  auto ro = NewReadOnlyEnv(Env::Default());
  EXPECT_EQ(*ro->ReadFile(f), "bytes");
  EXPECT_TRUE(ro->NewAppendableFile(f).status().IsInvalidArgument());
  EXPECT_TRUE(ro->NewWritableFile(f).status().IsInvalidArgument());
  EXPECT_TRUE(ro->Truncate(f, 1).IsInvalidArgument());
  EXPECT_TRUE(ro->DeleteFile(f).IsInvalidArgument());
  EXPECT_TRUE(ro->RenameFile(f, f + "2").IsInvalidArgument());
  EXPECT_TRUE(ro->CreateDirs(root_ + "/new").IsInvalidArgument());
  EXPECT_TRUE(ro->SyncDir(root_).IsInvalidArgument());
  EXPECT_TRUE(ro->LockFile(root_ + "/LOCK").status().IsInvalidArgument());
  EXPECT_EQ(ReadAll(f), "bytes");
  EXPECT_FALSE(fs::exists(root_ + "/new"));
  EXPECT_FALSE(fs::exists(root_ + "/LOCK"));
}

TEST_F(ReadOnlyTest, ReadOnlyOpenReadsEverythingAndChangesNothing) {
  Build(150, 20);  // an index, and transactions past it in the log only
  std::vector<std::string> want;
  uint64_t log_records = 0;
  {
    auto w = Connection::Open(dir_, WriterOptions());
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    want = Everything((*w)->db());
    ASSERT_TRUE((*w)->TxRange(0, kTMask, [&](T, const std::vector<Datom>&) {
      log_records++;
      return Status::OK();
    }).ok());
  }
  const auto before = Snapshot(dir_);
  auto r = OpenReader();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Everything((*r)->db()), want);
  uint64_t read = 0;
  ASSERT_TRUE((*r)->TxRange(0, kTMask, [&](T, const std::vector<Datom>&) {
    read++;
    return Status::OK();
  }).ok());
  EXPECT_EQ(read, log_records);
  const auto tx = (*r)->Transact(Tx(1000));
  EXPECT_TRUE(tx.status().IsInvalidArgument()) << tx.status().ToString();
  EXPECT_TRUE((*r)->IndexNow().status().IsInvalidArgument());
  EXPECT_TRUE((*r)->Close().ok());
  r->reset();
  EXPECT_EQ(Snapshot(dir_), before);
  // No database: NotFound, and no folder made.
  Options o;
  o.read_only = true;
  EXPECT_TRUE(Connection::Open(root_ + "/none", o).status().IsNotFound());
  EXPECT_FALSE(fs::exists(root_ + "/none"));
}

TEST_F(ReadOnlyTest, ReadersRunWhileAWriterHoldsTheDatabase) {
  Build(40, 0);
  Options wo = WriterOptions();
  wo.background_indexing = true;
  wo.memory_index_threshold = 8 << 10;  // jobs (and garbage collection) run meanwhile
  // A reader's root keeps its segments for a while after a job replaces
  // it (what peers reading storage rely on too).
  wo.segment_retain_ms = 60000;
  auto w = Connection::Open(dir_, wo);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(Connection::Open(dir_, wo).status().code(), Code::kBusy);  // the lock holds
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  Status writer_error;
  std::thread writer([&] {
    for (int i = 100; !stop.load(); ++i) {
      auto r = (*w)->Transact(Tx(i));
      if (!r.ok()) {
        writer_error = r.status();
        return;
      }
      committed++;
    }
  });
  while (committed.load() < 10 && writer_error.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  T first = 0, last = 0;
  for (int i = 0; i < 40 || (last == first && i < 4000); ++i) {
    auto r = OpenReader();
    ASSERT_TRUE(r.ok()) << "reader " << i << ": " << r.status().ToString();
    const T basis = (*r)->db().basis_t();
    EXPECT_GE(basis, last);
    if (i == 0) first = basis;
    last = basis;
    auto eavt = (*r)->db().DatomsVector(Index::kEavt);
    EXPECT_TRUE(eavt.ok()) << eavt.status().ToString();
    VerifyOptions vo;
    vo.replay_log = i % 10 == 0;
    if (i % 5 == 0) {
      auto v = Verify(dir_, vo);
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_TRUE(v->ok) << v->ToString();
    }
  }
  stop = true;
  writer.join();
  EXPECT_TRUE(writer_error.ok()) << writer_error.ToString();
  EXPECT_GT(last, first);  // the readers saw the writer's later commits
}

// The issue's reproduction: a damaged record header in the newest pack,
// in front of segments the published root names.
TEST_F(ReadOnlyTest, DamagedHeaderBeforeReferencedSegmentsIsCorruptionAndNothingIsCut) {
  Build(300, 0);
  const std::vector<std::string> want = EverythingNow();
  ASSERT_FALSE(want.empty());
  const auto [pack, header] = FirstReferencedRecord();
  FlipByte(pack, header + 21);  // in the header checksum
  const uint64_t pack_size = fs::file_size(pack);
  const auto before = Snapshot(dir_);
  auto names_place = [&, pack = pack, header = header](const std::string& msg) {
    EXPECT_NE(msg.find(pack), std::string::npos) << msg;
    EXPECT_NE(msg.find("offset " + std::to_string(header)), std::string::npos) << msg;
  };
  // A reader: Corruption naming file and offset.
  auto r = OpenReader();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  names_place(r.status().message());
  // Verify: a problem naming them, nothing repaired.
  auto v = Verify(dir_);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_FALSE(v->ok);
  names_place(v->problems.front());
  // The writer refuses too, and cuts nothing.
  auto w = Connection::Open(dir_, WriterOptions());
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().IsCorruption()) << w.status().ToString();
  names_place(w.status().message());
  EXPECT_EQ(fs::file_size(pack), pack_size);
  EXPECT_EQ(Snapshot(dir_), before);
  // Repair rebuilds the index from the log; the damaged pack is kept aside.
  auto rep = Repair(dir_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_TRUE(rep->after.ok) << rep->ToString();
  ASSERT_GE(rep->actions.size(), 2u) << rep->ToString();
  EXPECT_NE(rep->actions[0].find("moved aside"), std::string::npos) << rep->ToString();
  EXPECT_NE(rep->actions[1].find("rebuilt from the log"), std::string::npos) << rep->ToString();
  const std::string aside_pack = dir_ + "/damaged-index-1/packs/" + fs::path(pack).filename().string();
  EXPECT_EQ(ReadAll(aside_pack), before.at(pack).bytes);
  EXPECT_EQ(EverythingNow(), want);
  auto w2 = Connection::Open(dir_, WriterOptions());
  ASSERT_TRUE(w2.ok()) << w2.status().ToString();
  EXPECT_TRUE((*w2)->Transact(Tx(5000)).ok());
}

TEST_F(ReadOnlyTest, TornTailNoRootNamesIsCutByTheWriterOnly) {
  Build(60, 0);
  const std::vector<std::string> want = EverythingNow();
  const std::string pack = FirstReferencedRecord().first;
  const uint64_t good = fs::file_size(pack);
  // What a crash leaves of an append never synced: half a record.
  {
    std::ofstream out(pack, std::ios::binary | std::ios::app);
    out << std::string("SPK1\x01\x00\x10\x00", 8) << std::string(9, 'x');
  }
  const auto before = Snapshot(dir_);
  EXPECT_EQ(EverythingNow(), want);
  auto v = Verify(dir_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->ToString();
  EXPECT_EQ(Snapshot(dir_), before);  // readers leave it
  auto w = Connection::Open(dir_, WriterOptions());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(fs::file_size(pack), good);  // the writer cut it
  EXPECT_TRUE((*w)->Transact(Tx(7)).ok());
}

TEST_F(ReadOnlyTest, LogCutBelowTheBasisIsCorruptionAndAcceptsNoTransaction) {
  const std::vector<uint64_t> sizes = Build(30, 0);  // indexed through the last t
  const std::string log = dir_ + "/log";
  // And a torn pack tail no root names: even that stays, since the open fails.
  { std::ofstream(FirstReferencedRecord().first, std::ios::binary | std::ios::app) << std::string("SPK1\x01", 5); }
  // Cut at a record boundary five transactions short, then mid-record.
  for (const uint64_t cut : {sizes[sizes.size() - 6], sizes[sizes.size() - 6] + 7}) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut));
    fs::resize_file(log, cut);
    const auto before = Snapshot(dir_);
    for (bool read_only : {true, false}) {
      Options o = WriterOptions();
      o.read_only = read_only;
      auto c = Connection::Open(dir_, o);
      ASSERT_FALSE(c.ok()) << (read_only ? "reader" : "writer");
      EXPECT_TRUE(c.status().IsCorruption()) << c.status().ToString();
      EXPECT_NE(c.status().message().find("below the index root's basis"), std::string::npos) << c.status().ToString();
      EXPECT_NE(c.status().message().find(log), std::string::npos) << c.status().ToString();
    }
    auto v = Verify(dir_);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->ok);
    // Repair cannot restore what the log lost: it refuses.
    auto rep = Repair(dir_);
    ASSERT_FALSE(rep.ok());
    EXPECT_TRUE(rep.status().IsCorruption()) << rep.status().ToString();
    EXPECT_NE(rep.status().message().find("nothing was changed"), std::string::npos);
    EXPECT_EQ(Snapshot(dir_), before);  // not even the torn record was cut
  }
}

// Records through the basis spliced out, later ones kept: the log's end is
// past the basis, but the basis itself is missing.
TEST_F(ReadOnlyTest, LogMissingTheBasisRecordIsCorruption) {
  const std::vector<uint64_t> sizes = Build(20, 10);  // basis: the 20th transaction
  const std::string log = dir_ + "/log";
  std::string bytes = ReadAll(log);
  bytes.erase(sizes[18], sizes[20] - sizes[18]);  // the 19th and 20th records
  WriteAll(log, bytes);
  const auto before = Snapshot(dir_);
  for (bool read_only : {true, false}) {
    Options o = WriterOptions();
    o.read_only = read_only;
    auto c = Connection::Open(dir_, o);
    ASSERT_FALSE(c.ok());
    EXPECT_TRUE(c.status().IsCorruption()) << c.status().ToString();
    EXPECT_NE(c.status().message().find("the index root's basis"), std::string::npos) << c.status().ToString();
  }
  EXPECT_TRUE(Repair(dir_).status().IsCorruption());
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(ReadOnlyTest, RepairRebuildsADamagedIndexFromAnIntactLog) {
  Build(200, 10);
  const std::vector<std::string> want = EverythingNow();
  // A flipped value byte inside a segment the root names.
  auto c = OpenReader();
  ASSERT_TRUE(c.ok());
  std::vector<uint64_t> ids;
  DbAccess::State((*c)->db())->root->CollectIds(&ids);
  c->reset();
  auto ro = NewReadOnlyEnv(Env::Default());
  EnvStorageOptions so;
  so.read_only = true;
  auto storage = NewEnvStorage(ro.get(), dir_, so);
  ASSERT_TRUE(storage.ok());
  auto loc = LocateBlob(**storage, SegmentKey(ids[ids.size() / 2]));
  ASSERT_TRUE(loc.ok());
  storage->reset();
  FlipByte(loc->path, loc->offset + loc->size / 2);
  auto v = Verify(dir_);
  ASSERT_TRUE(v.ok());
  ASSERT_FALSE(v->ok);
  auto rep = Repair(dir_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_TRUE(rep->after.ok) << rep->ToString();
  EXPECT_NE(rep->ToString().find("rebuilt from the log"), std::string::npos) << rep->ToString();
  EXPECT_EQ(EverythingNow(), want);
  // Healthy now: a second repair has nothing to do and changes nothing.
  const auto before = Snapshot(dir_);
  auto again = Repair(dir_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->actions.empty()) << again->ToString();
  EXPECT_TRUE(again->after.ok);
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(ReadOnlyTest, RepairRefusesWhenTheLogIsDamagedMidway) {
  const std::vector<uint64_t> sizes = Build(20, 20);
  FlipByte(dir_ + "/log", sizes[10] + 20);  // inside a record in the middle
  const auto before = Snapshot(dir_);
  auto rep = Repair(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(rep.status().IsCorruption()) << rep.status().ToString();
  EXPECT_NE(rep.status().message().find("the log is damaged"), std::string::npos) << rep.status().ToString();
  EXPECT_NE(rep.status().message().find("offset " + std::to_string(sizes[10])), std::string::npos)
      << rep.status().ToString();
  EXPECT_EQ(Snapshot(dir_), before);
  // A reader names the damage, not a cut log.
  const Status rs = OpenReader().status();
  EXPECT_TRUE(rs.IsCorruption()) << rs.ToString();
  EXPECT_NE(rs.message().find("checksum mismatch in record at offset " + std::to_string(sizes[10])), std::string::npos)
      << rs.ToString();
}

TEST_F(ReadOnlyTest, RepairCutsATornLogTail) {
  Build(20, 5);
  const std::vector<std::string> want = EverythingNow();
  const std::string log = dir_ + "/log";
  const uint64_t good = fs::file_size(log);
  {
    std::ofstream out(log, std::ios::binary | std::ios::app);
    out << std::string("\x40\x00\x00\x00", 4);  // a record length, and nothing more
  }
  EXPECT_EQ(EverythingNow(), want);  // a reader stops before it
  auto rep = Repair(dir_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->actions.size(), 1u) << rep->ToString();
  EXPECT_NE(rep->actions[0].find("log: cut the torn tail"), std::string::npos) << rep->ToString();
  EXPECT_TRUE(rep->after.ok);
  EXPECT_EQ(fs::file_size(log), good);
  EXPECT_EQ(EverythingNow(), want);
}

}  // namespace
}  // namespace strata
