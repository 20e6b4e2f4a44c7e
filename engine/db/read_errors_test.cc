// Read errors reach the caller: a segment that fails its checksum ends a
// read with Corruption (never a short answer), and a transaction whose
// reads failed commits nothing. The reproductions of issue 16 ("a storage
// error on a read is dropped"), the 40-offset sweep over a pack file, and
// the cursor contract (a dropped status aborts; ForEach returns it).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "format/segment.h"
#include "state/db_access.h"
#include "storage/storage.h"
#include "strata/connection.h"
#include "strata/replica.h"
#include "testing/fault_injection_env.h"
#include "util/iterator.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :w/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :w/v :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :w/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}])";

constexpr int kEntities = 3500;

// `count` entities from `first` on, in one transaction.
std::string Entities(int first, int count) {
  std::string tx = "[";
  for (int n = first; n < first + count; ++n)
    tx += "{:w/n " + std::to_string(n) + " :w/v " + std::to_string(n * 10) + " :w/name \"name-" + std::to_string(n) +
          "\"}";
  return tx + "]";
}

size_t LogRecords(const Connection& c) {
  size_t n = 0;
  Status s = c.TxRange(0, ~T{0}, [&](T, const std::vector<Datom>&) {
    ++n;
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return n;
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Every file under `dir` and its bytes.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[e.path().string()] = Slurp(e.path().string());
  return out;
}

// Flips bit `bit` of the byte at `offset` in place (same inode: a reader
// that has the file open sees it).
void FlipInPlace(const std::string& path, uint64_t offset, int bit) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  ASSERT_TRUE(f.good()) << path;
}

class ReadErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-read-errors-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Options Opts() const {
    Options o;
    o.background_indexing = false;
    o.sync = SyncPolicy::kNever;
    o.segment_datoms = 256;
    o.segment_cache_bytes = 0;  // every read goes to the pack files
    return o;
  }

  // 3,500 entities, all in the durable index; the connection stays open.
  void Build() {
    auto c = Connection::Open(dir_, Opts());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    ASSERT_TRUE(conn_->Transact(kSchema).ok());
    for (int n = 0; n < kEntities; n += 500) {
      auto r = conn_->Transact(Entities(n, 500));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    auto jobs = conn_->IndexNow();
    ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
    ASSERT_EQ(conn_->db().memory_index_datoms(), 0u);
  }

  EntityId Attr(const char* ident) { return conn_->db().attribute(ident)->id; }
  EntityId EntityOf(int n) {
    auto e = conn_->db().Entid(*edn::ReadOne("[:w/n " + std::to_string(n) + "]"));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : 0;
  }

  // The current-tree leaf of `order` holding `target`'s position.
  SegmentRef LeafOf(Index order, const Datom& target) {
    const auto& root = DbAccess::State(conn_->db())->root;
    for (const auto& level : root->trees[TreeNumber(TreeKind::kCurrent, order)])
      for (const SegmentRef& s : level->segments)
        if (CompareDatoms(order, s.first, target) <= 0 && CompareDatoms(order, target, s.last) <= 0) return s;
    ADD_FAILURE() << "no leaf holds the target";
    return {};
  }

  BlobLocation Locate(uint64_t id) {
    EnvStorageOptions ro;
    ro.read_only = true;
    auto s = NewEnvStorage(Env::Default(), dir_, ro);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    auto loc = LocateBlob(**s, "seg/" + SegmentName(id));
    EXPECT_TRUE(loc.ok()) << loc.status().ToString();
    return loc.ok() ? *loc : BlobLocation{};
  }

  // Flips one bit in the middle of segment `id`'s record.
  void FlipSegment(uint64_t id) {
    const BlobLocation loc = Locate(id);
    FlipInPlace(loc.path, loc.offset + loc.size / 2, 3);
  }

  std::string dir_;
  std::unique_ptr<Connection> conn_;
};

// Issue 16: with one bit flipped inside an AVET leaf, reading :w/n printed
// 2,966 of 3,500 datoms and said nothing; an upsert on :w/n committed a
// second entity with the unique value, and a cardinality-one update
// asserted the new value without retracting the old. Now the read fails
// naming the corruption and neither write commits anything.
TEST_F(ReadErrorsTest, AFlippedBitFailsTheReadAndCommitsNothing) {
  Build();
  const EntityId n_attr = Attr("w/n"), v_attr = Attr("w/v");
  const EntityId e7 = EntityOf(7);
  Datom avet5;
  avet5.a = n_attr;
  avet5.v = Value::Long(5);
  avet5.e = EntityOf(5);
  Datom eavt7;
  eavt7.e = e7;
  eavt7.a = v_attr;
  eavt7.v = Value::Long(70);
  const SegmentRef avet_leaf = LeafOf(Index::kAvet, avet5), eavt_leaf = LeafOf(Index::kEavt, eavt7);
  ASSERT_NE(avet_leaf.id, eavt_leaf.id);
  FlipSegment(avet_leaf.id);
  FlipSegment(eavt_leaf.id);

  const Database db = conn_->db();
  auto all = db.DatomsVector(Index::kAvet, {Value::Ref(n_attr)});
  ASSERT_FALSE(all.ok()) << "read " << all->size() << " of " << kEntities << " datoms without an error";
  EXPECT_TRUE(all.status().IsCorruption()) << all.status().ToString();
  EXPECT_NE(all.status().message().find(SegmentName(avet_leaf.id)), std::string::npos) << all.status().ToString();
  // A cursor stops at the damage and says why; the datoms it gave are a
  // prefix of the right answer.
  auto c = db.Datoms(Index::kAvet, {Value::Ref(n_attr)});
  ASSERT_TRUE(c.ok());
  int64_t seen = 0;
  for (; c->Valid(); c->Next()) EXPECT_EQ(c->datom().v.as_long(), seen++);
  EXPECT_LT(seen, kEntities);
  EXPECT_TRUE(c->status().IsCorruption()) << c->status().ToString();

  // Upsert (https://docs.datomic.com/identity.html: a tempid with a
  // :db.unique/identity value resolves to the entity holding it): must not
  // make a second entity with :w/n 5.
  const size_t log_before = LogRecords(*conn_);
  const T basis_before = conn_->db().basis_t();
  auto upsert = conn_->Transact("[{:w/n 5 :w/v 55}]");
  ASSERT_FALSE(upsert.ok()) << "committed " << upsert->tx_data.size() << " datoms";
  EXPECT_TRUE(upsert.status().IsCorruption()) << upsert.status().ToString();
  // Cardinality one (https://docs.datomic.com/cloud/tutorial/retract.html,
  // "Implicit Retract": the new value retracts the old): must not assert 77
  // without retracting 70.
  auto update = conn_->Transact("[[:db/add " + std::to_string(e7) + " :w/v 77]]");
  ASSERT_FALSE(update.ok()) << "committed " << update->tx_data.size() << " datoms";
  EXPECT_TRUE(update.status().IsCorruption()) << update.status().ToString();
  EXPECT_EQ(LogRecords(*conn_), log_before);
  EXPECT_EQ(conn_->db().basis_t(), basis_before);
  EXPECT_EQ(conn_->stats().rejected, 2u);
  // The same through with(): an error, not a speculative value.
  EXPECT_FALSE(conn_->db().With(*edn::ReadOne("[{:w/n 5 :w/v 55}]")).ok());
  // An entity's values read the damaged leaf too.
  EXPECT_TRUE(db.Values(e7, v_attr).status().IsCorruption());
}

// A bit flipped at each of 40 offsets spread over the pack file: every read
// returns the right answer or fails naming corruption; no read changes a
// byte on disk; no write commits after a failed read.
TEST_F(ReadErrorsTest, FortyOffsetsOverAPackFile) {
  Build();
  const EntityId n_attr = Attr("w/n");
  // What every read must return, and which leaf each pack offset is in.
  std::vector<std::vector<Datom>> want(kIndexCount);
  auto read_all = [&](std::vector<std::vector<Datom>>* out) {
    for (int o = 0; o < kIndexCount; ++o) {
      auto r = conn_->db().DatomsVector(static_cast<Index>(o));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      (*out)[o] = std::move(*r);
    }
  };
  read_all(&want);
  // A replica reads the root only (never the log): its answer stays this one.
  std::vector<std::vector<Datom>> replica_want(kIndexCount);
  {
    auto replica = Replica::Open(dir_);
    ASSERT_TRUE(replica.ok()) << replica.status().ToString();
    for (int o = 0; o < kIndexCount; ++o) {
      auto r = (*replica)->db().DatomsVector(static_cast<Index>(o));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      replica_want[o] = std::move(*r);
    }
  }
  // A damaged record in the newest pack looks like a torn tail to a
  // reader's scan, which then does not know the blobs after it: NotFound
  // ("no such blob") until recovery tells a torn tail from damage under a
  // published root (issue 16, "Readers repair": Corruption then).
  auto replica_error_ok = [](const Status& s) {
    return s.IsCorruption() || (s.IsNotFound() && s.message().find("no such blob") != std::string::npos);
  };
  std::vector<EntityId> entity_of(kEntities);
  for (const Datom& d : want[static_cast<int>(Index::kAvet)])
    if (d.a == n_attr) entity_of.at(static_cast<size_t>(d.v.as_long())) = d.e;
  std::string pack;
  uint64_t pack_size = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/packs"))
    if (e.file_size() > pack_size) pack = e.path().string(), pack_size = e.file_size();
  ASSERT_GT(pack_size, 20000u) << "a pack of a few hundred segments";
  struct Leaf {
    uint64_t begin, end;
    int tree;
    SegmentRef ref;
  };
  std::vector<Leaf> leaves;
  const auto root = DbAccess::State(conn_->db())->root;
  for (int t = 0; t < kTreeCount; ++t)
    for (const auto& level : root->trees[t])
      for (const SegmentRef& s : level->segments) {
        const BlobLocation loc = Locate(s.id);
        if (loc.path == pack) leaves.push_back({loc.offset, loc.offset + loc.size, t, s});
      }

  int failed_reads = 0, failed_writes = 0, committed = 0;
  for (int i = 0; i < 40; ++i) {
    const uint64_t offset = pack_size * (2 * i + 1) / 80;
    SCOPED_TRACE("bit " + std::to_string(i % 8) + " of the byte at offset " + std::to_string(offset));
    const Leaf* hit = nullptr;
    for (const Leaf& l : leaves)
      if (l.begin <= offset && offset < l.end) hit = &l;
    FlipInPlace(pack, offset, i % 8);
    const auto files_before = Snapshot(dir_);

    // Reads: the open connection (no cache: every leaf comes from the pack)
    // and a read-only replica opened now.
    for (int o = 0; o < kIndexCount; ++o) {
      auto r = conn_->db().DatomsVector(static_cast<Index>(o));
      if (r.ok()) {
        EXPECT_TRUE(*r == want[o]) << IndexName(static_cast<Index>(o)) << ": a wrong answer without an error";
      } else {
        ++failed_reads;
        EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
      }
    }
    {
      auto replica = Replica::Open(dir_);
      if (!replica.ok()) {
        EXPECT_TRUE(replica_error_ok(replica.status())) << replica.status().ToString();
      } else {
        for (int o = 0; o < kIndexCount; ++o) {
          auto r = (*replica)->db().DatomsVector(static_cast<Index>(o));
          if (r.ok()) EXPECT_TRUE(*r == replica_want[o]) << IndexName(static_cast<Index>(o)) << " (replica)";
          else EXPECT_TRUE(replica_error_ok(r.status())) << r.status().ToString();
        }
      }
    }
    EXPECT_TRUE(Snapshot(dir_) == files_before) << "a read changed a byte on disk";

    // Writes aimed at the damaged leaf when it holds an entity or a :w/n value.
    int n = (i * 97) % kEntities;
    if (hit && hit->ref.first.a == n_attr && hit->ref.first.v.type() == ValueType::kLong)
      n = static_cast<int>(hit->ref.first.v.as_long());
    const EntityId e = entity_of[n];
    const EntityId v_attr = Attr("w/v");
    int64_t old_v = 0;
    for (const Datom& d : want[static_cast<int>(Index::kEavt)])
      if (d.e == e && d.a == v_attr) old_v = d.v.as_long();
    const int64_t new_v = old_v + 1;
    const size_t log_before = LogRecords(*conn_);
    auto r = conn_->Transact("[{:w/n " + std::to_string(n) + " :w/v " + std::to_string(new_v) + "}]");
    if (r.ok()) {
      ++committed;
      // Exactly the upsert: the old value retracted, the new asserted, on e.
      std::vector<Datom> user;
      for (const Datom& d : r->tx_data)
        if (d.e != r->tx) user.push_back(d);
      ASSERT_EQ(user.size(), 2u);
      EXPECT_EQ(user[0].e, e);
      EXPECT_EQ(user[1].e, e);
      EXPECT_TRUE((user[0].v == Value::Long(old_v) && !user[0].added && user[1].v == Value::Long(new_v) &&
                   user[1].added) ||
                  (user[1].v == Value::Long(old_v) && !user[1].added && user[0].v == Value::Long(new_v) &&
                   user[0].added));
      EXPECT_EQ(LogRecords(*conn_), log_before + 1);
    } else {
      ++failed_writes;
      EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
      EXPECT_EQ(LogRecords(*conn_), log_before) << "a transaction whose reads failed reached the log";
    }
    FlipInPlace(pack, offset, i % 8);  // repair, and take the new state as the answer
    read_all(&want);
  }
  // The sweep must have hit something, or it shows nothing.
  EXPECT_GT(failed_reads, 0);
  EXPECT_GT(failed_writes + committed, 0);
  RecordProperty("failed_reads", failed_reads);
  RecordProperty("failed_writes", failed_writes);
}

// A datom source that fails after `good` datoms.
class FailingIterator final : public DatomIterator {
 public:
  explicit FailingIterator(int good) : good_(good) {}
  bool Valid() const override { return pos_ < good_; }
  void SeekToFirst() override { Move(0); }
  void Seek(const Datom&) override { Move(0); }
  void Next() override { Move(pos_ + 1); }
  const Datom& datom() const override { return d_; }

 private:
  void Move(int p) {
    pos_ = p;
    d_.e = static_cast<EntityId>(p + 1);
    d_.added = true;
    if (pos_ >= good_) Fail(Status::Corruption("segment 42: checksum mismatch"));
  }
  int good_, pos_ = 0;
  Datom d_;
};

TEST(IteratorContract, AFailedIteratorWhoseStatusIsDroppedAborts) {
  EXPECT_DEATH(
      {
        FailingIterator it(3);
        for (it.SeekToFirst(); it.Valid(); it.Next()) {
        }
      },
      "nobody took.*segment 42: checksum mismatch");
}

TEST(IteratorContract, TakingTheStatusOrStoppingEarlyIsFine) {
  {
    FailingIterator it(3);
    int n = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next()) ++n;
    EXPECT_EQ(n, 3);
    EXPECT_TRUE(it.status().IsCorruption());
  }
  {
    FailingIterator it(3);
    it.SeekToFirst();
    EXPECT_TRUE(it.Valid());  // destroyed before it failed: nothing to take
  }
}

TEST(IteratorContract, CompositesCarryTheirChildrensErrors) {
  // A merge of a good and a failing source fails; taking its status takes
  // the children's, so destroying it does not abort.
  std::vector<Datom> good_datoms(5);
  for (size_t i = 0; i < good_datoms.size(); ++i) {
    good_datoms[i].e = 100 + i;
    good_datoms[i].added = true;
  }
  std::vector<std::unique_ptr<DatomIterator>> kids;
  kids.push_back(NewVectorIterator(Index::kEavt, &good_datoms));
  kids.push_back(std::make_unique<FailingIterator>(2));
  auto merged = NewViewIterator(Index::kEavt, NewMergingIterator(Index::kEavt, std::move(kids)), ViewSpec{});
  int n = 0;
  for (merged->SeekToFirst(); merged->Valid(); merged->Next()) ++n;
  EXPECT_LT(n, 7);
  Status s = merged->status();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_DEATH(
      {
        std::vector<std::unique_ptr<DatomIterator>> k2;
        k2.push_back(std::make_unique<FailingIterator>(1));
        auto f = NewFilterIterator(std::move(k2[0]), [](const Datom&) { return true; });
        for (f->SeekToFirst(); f->Valid(); f->Next()) {
        }
      },
      "nobody took");
}

TEST_F(ReadErrorsTest, ForEachReturnsTheCursorsError) {
  Build();
  const EntityId n_attr = Attr("w/n");
  Datom late;
  late.a = n_attr;
  late.v = Value::Long(3000);
  late.e = EntityOf(3000);
  const SegmentRef leaf = LeafOf(Index::kAvet, late);
  ASSERT_GT(leaf.first.v.as_long(), 2) << "the damage lies past the first datoms";
  FlipSegment(leaf.id);
  int seen = 0;
  Status s = ForEach(conn_->db().Datoms(Index::kAvet, {Value::Ref(n_attr)}), [&](const Datom&) { ++seen; });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_LT(seen, kEntities);
  // Stopping early (fn returns false) before the damage is OK.
  s = ForEach(conn_->db().Datoms(Index::kAvet, {Value::Ref(n_attr)}), [&](const Datom& d) { return d.v.as_long() < 2; });
  EXPECT_TRUE(s.ok()) << s.ToString();
  // A cursor dropped after it failed aborts the process.
  EXPECT_DEATH(
      {
        auto c = conn_->db().Datoms(Index::kAvet, {Value::Ref(n_attr)});
        for (; c->Valid(); c->Next()) {
        }
      },
      "nobody took.*[Cc]orrupt");
}

// The read-fault storage: a chosen share of reads fail or flip a bit, the
// same ones for the same seed; the bytes on disk are untouched.
TEST(ReadFaultEnv, FailsAndCorruptsAChosenShareDeterministically) {
  auto mem = NewMemEnv();
  ASSERT_TRUE(mem->CreateDirs("/d/packs").ok());
  const std::string data(4096, 'x');
  {
    auto f = mem->NewWritableFile("/d/packs/p");
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto outcomes = [&](uint64_t seed) {
    FaultInjectionEnv env(mem.get());
    ReadFaultSpec spec;
    spec.fail_fraction = 0.2;
    spec.corrupt_fraction = 0.3;
    spec.seed = seed;
    spec.path_part = "/packs/";
    env.SetReadFaults(spec);
    auto file = env.NewRandomAccessFile("/d/packs/p");
    EXPECT_TRUE(file.ok());
    std::string trace;
    int failed = 0, flipped = 0;
    for (int i = 0; i < 1000; ++i) {
      std::string out;
      Status s = (*file)->Read(0, data.size(), &out);
      if (!s.ok()) {
        EXPECT_TRUE(s.IsIOError());
        ++failed;
        trace += 'F';
      } else if (out != data) {
        int bits = 0;
        for (size_t k = 0; k < out.size(); ++k) bits += __builtin_popcount(static_cast<unsigned char>(out[k] ^ data[k]));
        EXPECT_EQ(bits, 1);
        ++flipped;
        trace += 'C';
      } else {
        trace += '.';
      }
    }
    EXPECT_EQ(env.ReadsFailed(), static_cast<uint64_t>(failed));
    EXPECT_EQ(env.ReadsCorrupted(), static_cast<uint64_t>(flipped));
    EXPECT_NEAR(failed, 200, 60);
    EXPECT_NEAR(flipped, 300, 60);
    env.ClearFaults();
    std::string out;
    EXPECT_TRUE((*file)->Read(0, data.size(), &out).ok());
    EXPECT_EQ(out, data);
    return trace;
  };
  EXPECT_EQ(outcomes(7), outcomes(7));
  EXPECT_NE(outcomes(7), outcomes(8));
  auto again = mem->ReadFile("/d/packs/p");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, data);  // the bytes at rest never change
}

}  // namespace
}  // namespace strata
