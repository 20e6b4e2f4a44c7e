// DatomCursor::Seek: a cursor moved from prefix to prefix yields what a
// fresh cursor of the same prefix yields, in every view, over durable
// levels and memory runs; it refuses what Datoms refuses; and a read error
// it hit is reported again, never taken for an empty read.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "state/db_access.h"
#include "state/db_state.h"
#include "strata/connection.h"
#include "strata/env.h"
#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :c/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :c/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :c/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :c/ref :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])";

constexpr int kEntities = 400;

class CursorSeekTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = NewMemEnv();
    env_ = std::make_unique<FaultInjectionEnv>(mem_.get());
    const Options o = testing::StackedLevelsOptions(env_.get());
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    Tx(kSchema);
    // Three generations: indexed, indexed again (a second level over the
    // first), and in the memory index; values change and retract in each.
    std::string tx = "[";
    for (int i = 0; i < kEntities; ++i)
      tx += "{:db/id \"e" + std::to_string(i) + "\" :c/id " + std::to_string(i) + " :c/n " + std::to_string(i % 37) +
            " :c/name \"name-" + std::to_string(i) + "\"" + (i > 0 ? " :c/ref \"e" + std::to_string(i - 1) + "\"" : "") +
            "}";
    t1_ = Tx(tx + "]").t;
    IndexAll();
    tx = "[";
    for (int i = 0; i < kEntities; i += 3)
      tx += "{:c/id " + std::to_string(i) + " :c/n " + std::to_string(100 + i % 11) + " :c/ref [:c/id " +
            std::to_string((i * 7) % kEntities) + "]}";
    t2_ = Tx(tx + "]").t;
    IndexAll();
    tx = "[";
    for (int i = 0; i < kEntities; i += 5) {
      tx += "{:c/id " + std::to_string(i) + " :c/n " + std::to_string(200 + i % 5) + "}";
      if (i % 2 == 0) tx += "[:db/retract [:c/id " + std::to_string(i) + "] :c/name \"name-" + std::to_string(i) + "\"]";
    }
    Tx(tx + "]");
    ASSERT_GT(conn_->db().memory_index_datoms(), 0u);
    for (int i = 0; i < kEntities; ++i) ids_.push_back(E(i));
  }

  TxReport Tx(const std::string& text) {
    auto r = conn_->Transact(text);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : TxReport{};
  }
  void IndexAll() {
    auto j = conn_->IndexNow();
    ASSERT_TRUE(j.ok()) << j.status().ToString();
  }
  EntityId E(int i) {
    auto e = conn_->db().Entid(*edn::ReadOne("[:c/id " + std::to_string(i) + "]"));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : 0;
  }
  EntityId A(const char* ident) { return conn_->db().attribute(ident)->id; }

  std::unique_ptr<Env> mem_;
  std::unique_ptr<FaultInjectionEnv> env_;
  std::unique_ptr<Connection> conn_;
  T t1_ = 0, t2_ = 0;
  std::vector<EntityId> ids_;
};

std::vector<Datom> Drain(DatomCursor& c) {
  std::vector<Datom> out;
  for (; c.Valid(); c.Next()) out.push_back(c.datom());
  Status s = c.status();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// True when d has the prefix's components (in the order's sequence).
bool HasPrefix(Index index, const Datom& d, const std::vector<Value>& prefix) {
  static constexpr int kSlot[kIndexCount][4] = {{0, 1, 2, 3}, {1, 0, 2, 3}, {1, 2, 0, 3}, {2, 1, 0, 3}};
  for (size_t i = 0; i < prefix.size(); ++i) {
    const int slot = kSlot[static_cast<int>(index)][i];
    const bool same = slot == 0   ? Value::Ref(d.e) == prefix[i]
                      : slot == 1 ? Value::Ref(d.a) == prefix[i]
                      : slot == 2 ? d.v == prefix[i]
                                  : Value::Ref(d.tx) == prefix[i];
    if (!same) return false;
  }
  return true;
}

// The datoms of `prefix` read without a bound (SeekDatoms: its merge sets
// no source aside), to compare bounded reads with.
std::vector<Datom> Unbounded(const Database& db, Index index, const std::vector<Value>& prefix) {
  auto c = db.SeekDatoms(index, prefix);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  std::vector<Datom> out;
  for (; c->Valid() && HasPrefix(index, c->datom(), prefix); c->Next()) out.push_back(c->datom());
  Status s = c->status();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST_F(CursorSeekTest, AMovedCursorReadsWhatAFreshOneReads) {
  const Database db = conn_->db();
  // The reads merge several sources: durable levels and memory runs.
  {
    auto c = db.Datoms(Index::kEavt, {Value::Ref(ids_[0])});
    ASSERT_TRUE(c.ok());
    EXPECT_GE(c->sources_merged(), 3u);
  }
  const EntityId n = A("c/n"), name = A("c/name"), ref = A("c/ref"), id = A("c/id");
  const EntityId tx2 = TxId(t2_);
  const std::vector<std::pair<std::string, Database>> views = {
      {"current", db},
      {"as-of t1", db.AsOf(t1_)},
      {"as-of t2", db.AsOf(t2_)},
      {"since t1", db.Since(t1_)},
      {"history", db.History()},
      {"filtered", db.Filter([tx2](const Database&, const Datom& d) { return d.tx != tx2; })},
  };
  const uint32_t seed = 20;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  // Entity numbers, and two entities that hold nothing: one before every
  // entity, one past every datom.
  std::vector<int> es(kEntities);
  for (int i = 0; i < kEntities; ++i) es[i] = i;
  std::shuffle(es.begin(), es.end(), rng);
  es.resize(120);
  es[17] = -1;
  es[60] = -2;
  auto entity = [&](int i) { return i == -1 ? EntityId{1} : i == -2 ? ids_.back() + 1000 : ids_[i]; };
  // Prefixes of every order: entity, entity+attribute, a whole (e a v);
  // attribute+entity; attribute+value; value (references).
  struct Shape {
    const char* name;
    Index index;
    std::function<std::vector<Value>(EntityId, int)> prefix;  // of an entity and its number
  };
  const std::vector<Shape> shapes = {
      {"eavt e", Index::kEavt, [](EntityId e, int) { return std::vector<Value>{Value::Ref(e)}; }},
      {"eavt e a", Index::kEavt, [n](EntityId e, int) { return std::vector<Value>{Value::Ref(e), Value::Ref(n)}; }},
      {"eavt e a v", Index::kEavt,
       [name](EntityId e, int i) {
         return std::vector<Value>{Value::Ref(e), Value::Ref(name), Value::String("name-" + std::to_string(i))};
       }},
      {"eavt e a v tx", Index::kEavt,
       [&db, n](EntityId e, int i) {
         // A whole datom: the entity's first :c/n assertion in history,
         // retracted later for most entities (so the current view, which
         // folds its whole (e a v) group, hides it).
         auto h = db.History().DatomsVector(Index::kEavt, {Value::Ref(e), Value::Ref(n)});
         if (!h.ok() || h->empty()) return std::vector<Value>{Value::Ref(e), Value::Ref(n), Value::Long(i), Value::Ref(1)};
         const Datom& d = h->front();
         return std::vector<Value>{Value::Ref(d.e), Value::Ref(d.a), d.v, Value::Ref(d.tx)};
       }},
      {"aevt a e", Index::kAevt, [ref](EntityId e, int) { return std::vector<Value>{Value::Ref(ref), Value::Ref(e)}; }},
      {"avet a v", Index::kAvet,
       [n](EntityId, int i) { return std::vector<Value>{Value::Ref(n), Value::Long(i % 210)}; }},
      {"avet unique", Index::kAvet, [id](EntityId, int i) { return std::vector<Value>{Value::Ref(id), Value::Long(i)}; }},
      {"vaet v", Index::kVaet, [](EntityId e, int) { return std::vector<Value>{Value::Ref(e)}; }},
      {"vaet v a", Index::kVaet, [ref](EntityId e, int) { return std::vector<Value>{Value::Ref(e), Value::Ref(ref)}; }},
  };
  for (const auto& [view_name, view] : views) {
    for (const Shape& shape : shapes) {
      SCOPED_TRACE(view_name + ", " + shape.name);
      std::optional<DatomCursor> moved;
      size_t datoms = 0;
      for (size_t k = 0; k < es.size(); ++k) {
        const std::vector<Value> prefix = shape.prefix(entity(es[k]), es[k]);
        auto fresh = view.DatomsVector(shape.index, prefix);
        ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
        ASSERT_EQ(*fresh, Unbounded(view, shape.index, prefix)) << "prefix " << k;
        if (!moved) {
          auto c = view.Datoms(shape.index, prefix);
          ASSERT_TRUE(c.ok()) << c.status().ToString();
          moved = std::move(*c);
        } else {
          ASSERT_TRUE(moved->Seek(prefix).ok());
        }
        // Read a moved cursor partly, now and then, before moving it on.
        if (k % 4 == 3 && moved->Valid()) {
          moved->Next();
          continue;
        }
        ASSERT_EQ(Drain(*moved), *fresh) << "prefix " << k;
        datoms += fresh->size();
      }
      // Since t1, names and ids are unchanged: those reads are empty.
      if (view_name != "since t1") {
        EXPECT_GT(datoms, 0u) << "the reads compared nothing";
      }
    }
  }
}

TEST_F(CursorSeekTest, SeekRefusesWhatDatomsRefuses) {
  const Database db = conn_->db();
  auto c = db.Datoms(Index::kEavt, {Value::Ref(ids_[1])});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Seek({Value::Ref(1), Value::Ref(2), Value::Long(3), Value::Ref(4), Value::Ref(5)}).IsInvalidArgument());
  ASSERT_TRUE(c->Seek({Value::Ref(ids_[2])}).ok());
  auto want = db.DatomsVector(Index::kEavt, {Value::Ref(ids_[2])});
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(Drain(*c), *want);
  // AVET needs an indexed or unique attribute, and an attribute at all.
  auto avet = db.Datoms(Index::kAvet, {Value::Ref(A("c/n")), Value::Long(5)});
  ASSERT_TRUE(avet.ok());
  EXPECT_TRUE(avet->Seek({Value::Ref(A("c/name"))}).IsInvalidArgument());
  EXPECT_TRUE(avet->Seek({}).IsInvalidArgument());
  // Cursors that are not Datoms' (unbounded, or a range) do not move.
  auto seek = db.SeekDatoms(Index::kEavt, {Value::Ref(ids_[1])});
  ASSERT_TRUE(seek.ok());
  EXPECT_TRUE(seek->Seek({Value::Ref(ids_[2])}).IsInvalidArgument());
  auto range = db.IndexRange(A("c/n"), Value::Long(1), Value::Long(3));
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->Seek({Value::Ref(A("c/n"))}).IsInvalidArgument());
  EXPECT_TRUE(DatomCursor().Seek({}).IsInvalidArgument());
}

TEST_F(CursorSeekTest, AMovedCursorThatFailedKeepsReportingTheError) {
  const Database db = conn_->db();
  const std::vector<Value> a{Value::Ref(ids_[10])}, b{Value::Ref(ids_[300])};
  auto c = db.Datoms(Index::kEavt, a);
  ASSERT_TRUE(c.ok());
  const std::vector<Datom> first = Drain(*c);
  ASSERT_FALSE(first.empty());
  // Every leaf read fails now: the moved cursor ends with the error.
  ReadFaultSpec spec;
  spec.fail_fraction = 1;
  spec.path_part = "/packs/";
  env_->SetReadFaults(spec);
  ASSERT_TRUE(c->Seek(b).ok());
  EXPECT_FALSE(c->Valid());
  Status s = c->status();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  // Storage is healthy again, but the cursor's read failed: moving it
  // back gives no datoms and the same error, not an empty answer.
  env_->ClearFaults();
  ASSERT_TRUE(c->Seek(a).ok());
  EXPECT_FALSE(c->Valid());
  s = c->status();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  // A fresh cursor reads.
  auto again = db.DatomsVector(Index::kEavt, a);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, first);
}

// Database::Datoms of a current view takes a finished cursor of the same
// state and order (DbState::cursor_slots) and moves it. Every read equals
// one of a view that never reuses (a filter that keeps everything), two
// cursors of one order open at once do not share, and a cursor whose read
// failed is never handed to the next read.
TEST_F(CursorSeekTest, ReusedCursorsOfAStateReadWhatFreshOnesRead) {
  const Database db = conn_->db();
  const Database fresh = db.Filter([](const Database&, const Datom&) { return true; });
  const auto& slots = DbAccess::State(db)->cursor_slots.slots;
  const EntityId n = A("c/n");
  std::mt19937 rng(7);
  for (int k = 0; k < 300; ++k) {
    const EntityId e = ids_[rng() % ids_.size()];
    const Index index = static_cast<Index>(k % kIndexCount);
    const std::vector<Value> prefix = index == Index::kAevt   ? std::vector<Value>{Value::Ref(n), Value::Ref(e)}
                                      : index == Index::kAvet ? std::vector<Value>{Value::Ref(n), Value::Long(k % 210)}
                                                              : std::vector<Value>{Value::Ref(e)};
    auto got = db.DatomsVector(index, prefix);
    auto want = fresh.DatomsVector(index, prefix);
    ASSERT_TRUE(got.ok() && want.ok());
    ASSERT_EQ(*got, *want) << "read " << k;
    EXPECT_NE(slots[static_cast<int>(index)].load(), nullptr) << "a finished cursor goes back to its state";
  }
  // Two at once: the second builds its own; each reads its prefix.
  auto a = db.Datoms(Index::kEavt, {Value::Ref(ids_[1])});
  EXPECT_EQ(slots[static_cast<int>(Index::kEavt)].load(), nullptr) << "the open cursor holds it";
  auto b = db.Datoms(Index::kEavt, {Value::Ref(ids_[2])});
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<Datom> ra, rb;
  while (a->Valid() || b->Valid()) {
    if (a->Valid()) ra.push_back(a->datom()), a->Next();
    if (b->Valid()) rb.push_back(b->datom()), b->Next();
  }
  ASSERT_TRUE(a->status().ok() && b->status().ok());
  EXPECT_EQ(ra, *fresh.DatomsVector(Index::kEavt, {Value::Ref(ids_[1])}));
  EXPECT_EQ(rb, *fresh.DatomsVector(Index::kEavt, {Value::Ref(ids_[2])}));
}

TEST_F(CursorSeekTest, ACursorWhoseReadFailedIsNotReused) {
  const Database db = conn_->db();
  const auto& slot = DbAccess::State(db)->cursor_slots.slots[static_cast<int>(Index::kEavt)];
  const std::vector<Value> prefix{Value::Ref(ids_[42])};
  auto want = db.DatomsVector(Index::kEavt, prefix);
  ASSERT_TRUE(want.ok());
  ASSERT_FALSE(want->empty());
  ReadFaultSpec spec;
  spec.fail_fraction = 1;
  spec.path_part = "/packs/";
  env_->SetReadFaults(spec);
  auto failed = db.DatomsVector(Index::kEavt, prefix);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().IsIOError()) << failed.status().ToString();
  EXPECT_EQ(slot.load(), nullptr) << "the failed cursor was put back";
  env_->ClearFaults();
  auto again = db.DatomsVector(Index::kEavt, prefix);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *want);
}

}  // namespace
}  // namespace strata
