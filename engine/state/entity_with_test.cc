// CurrentReader::EntityWith, the transactor's unique-value lookup, against
// a plain read of the current AVET view: the same entity after every job,
// after a reopen (leaves read from storage carry no value filter), with
// retractions, changed values and an excision; and a lookup of a value
// held nowhere reads no leaf once the jobs of this process made filters.
//
// Datomic: a :db.unique/identity or :db.unique/value attribute has at most
// one entity per value, found by lookup ref or upsert
// (https://docs.datomic.com/schema/identity.html).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "state/db_access.h"
#include "testing/test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :u/gid :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :u/key :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
  {:db/ident :u/d :db/valueType :db.type/double :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
  {:db/ident :u/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}])";

std::string Gid(uint64_t i) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08llx-0000-4000-8000-%012llx", static_cast<unsigned long long>(i * 7919 % 997),
                static_cast<unsigned long long>(i));
  return buf;
}
Value GidValue(uint64_t i) {
  Uuid u;
  EXPECT_TRUE(Uuid::Parse(Gid(i), &u));
  return Value::FromUuid(u);
}
// Entity i's double: -0.0 and 0.0 are different values (as the index orders
// them), so are two NaNs of different bits.
double DoubleOf(uint64_t i) {
  switch (i) {
    case 0: return -0.0;
    case 1: return 0.0;
    default: return static_cast<double>(i) / 4;
  }
}

class EntityWithTest : public testing::DbTest {
 protected:
  void SetUp() override {
    options_ = testing::StackedLevelsOptions(nullptr);
    options_.segment_datoms = 32;
    testing::DbTest::SetUp();
    Tx(kSchema);
    gid_ = Id(":u/gid");
    key_ = Id(":u/key");
    d_ = Id(":u/d");
    n_ = Id(":u/n");
  }

  // Every (a v) worth asking: the values of entities made, changed and
  // retracted, values never used, and a non-unique attribute.
  std::vector<std::pair<EntityId, Value>> Probes() const {
    std::vector<std::pair<EntityId, Value>> out;
    for (uint64_t i = 0; i < kEntities + 20; ++i) {
      out.emplace_back(gid_, GidValue(i));
      out.emplace_back(d_, Value::Double(DoubleOf(i)));
      for (int ver = 0; ver < 4; ++ver)
        out.emplace_back(key_, Value::String("k" + std::to_string(i) + "." + std::to_string(ver)));
    }
    out.emplace_back(d_, Value::Double(std::nan("")));
    out.emplace_back(d_, Value::Double(std::nan("7")));
    for (int64_t n = 0; n < 6; ++n) out.emplace_back(n_, Value::Long(n));
    return out;
  }

  // EntityWith of the current state, and the plain answer: the first
  // entity among the current AVET view's datoms of (a v).
  void ExpectAgrees(const std::string& when) {
    SCOPED_TRACE(when);
    Database db = conn_->db();
    const auto& state = DbAccess::State(db);
    for (const auto& [a, v] : Probes()) {
      auto got = state->EntityWith(a, v);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      auto plain = db.DatomsVector(Index::kAvet, {Value::Ref(a), v});
      ASSERT_TRUE(plain.ok()) << plain.status().ToString();
      std::optional<EntityId> want;
      if (!plain->empty()) want = plain->front().e;
      ASSERT_EQ(*got, want) << "a " << a << " v " << edn::Print(db.ValueToEdn(v));
    }
  }

  static constexpr uint64_t kEntities = 120;
  EntityId gid_ = 0, key_ = 0, d_ = 0, n_ = 0;
};

TEST_F(EntityWithTest, AgreesWithThePlainReadAcrossJobsRestartsAndRetractions) {
  std::mt19937_64 rng(3);
  std::vector<int> version(kEntities, -1);
  int jobs = 0;
  for (int step = 0; step < 400; ++step) {
    const uint64_t i = rng() % kEntities;
    std::string tx;
    if (version[i] >= 0 && rng() % 5 == 0) {
      tx = "[[:db/retract [:u/gid #uuid \"" + Gid(i) + "\"] :u/key \"k" + std::to_string(i) + "." +
           std::to_string(version[i]) + "\"]]";
      version[i] = -2;  // retracted: the next upsert asserts version 0 again
    } else {
      version[i] = version[i] < 0 ? 0 : std::min(version[i] + 1, 3);
      char d[32];
      std::snprintf(d, sizeof(d), "%.17g", DoubleOf(i));
      tx = "[{:u/gid #uuid \"" + Gid(i) + "\" :u/key \"k" + std::to_string(i) + "." + std::to_string(version[i]) +
           "\" :u/d " + (std::signbit(DoubleOf(i)) ? std::string("-0.0") : std::string(d)) +
           " :u/n " + std::to_string(rng() % 6) + "}]";
    }
    Tx(tx);
    if (step % 60 == 59) {
      auto r = conn_->IndexNow();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ++jobs;
      ExpectAgrees("after job " + std::to_string(jobs));
    }
  }
  ExpectAgrees("with novelty");
  // An excision waits in the state until the next job removes its datoms.
  const EntityId gone = DbAccess::State(conn_->db())->EntityWith(gid_, GidValue(5)).value().value_or(0);
  ASSERT_NE(gone, 0u);
  Tx("[[:db/excise " + std::to_string(gone) + "]]");
  EXPECT_EQ(DbAccess::State(conn_->db())->EntityWith(gid_, GidValue(5)).value(), std::nullopt);
  ExpectAgrees("excision pending");
  ASSERT_TRUE(conn_->IndexNow().ok());
  ExpectAgrees("excision indexed");
  Reopen();  // leaves now come from storage: no filters
  ExpectAgrees("after reopen");
  Tx("[{:u/gid #uuid \"" + Gid(kEntities + 3) + "\" :u/key \"k-new\"}]");
  ASSERT_TRUE(conn_->IndexNow().ok());
  ExpectAgrees("a job after reopen");
}

TEST_F(EntityWithTest, AMissReadsNoLeafWhenLeavesHaveFilters) {
  for (uint64_t i = 0; i < kEntities; ++i) {
    Tx("[{:u/gid #uuid \"" + Gid(i) + "\" :u/n " + std::to_string(i % 6) + "}]");
    if (i % 30 == 29) {
      ASSERT_TRUE(conn_->IndexNow().ok());
    }
  }
  ASSERT_TRUE(conn_->IndexNow().ok());
  auto misses = [&] {
    const Database db = conn_->db();
    const auto& state = DbAccess::State(db);
    const ReadCounters before = ThreadReadCounters();
    for (uint64_t i = kEntities; i < kEntities + 200; ++i) {
      auto e = state->EntityWith(gid_, GidValue(i));
      EXPECT_TRUE(e.ok() && !e->has_value());
    }
    return ThreadReadCounters() - before;
  };
  const ReadCounters with = misses();
  // Each new gid falls within some level's leaves: without the filters
  // most of the 200 lookups read a leaf. A false positive (about 1% per
  // leaf) may read one.
  EXPECT_LE(with.segments[static_cast<int>(Index::kAvet)], 10u);
  EXPECT_GE(with.filter_skips, 190u);
  // A hit is still found (its leaf is read).
  const ReadCounters before_hit = ThreadReadCounters();
  auto hit = DbAccess::State(conn_->db())->EntityWith(gid_, GidValue(7));
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_GE((ThreadReadCounters() - before_hit).segments[static_cast<int>(Index::kAvet)], 1u);

  Reopen();  // no filters: the same lookups seek and read leaves
  const ReadCounters without = misses();
  EXPECT_EQ(without.filter_skips, 0u);
  EXPECT_GE(without.segments[static_cast<int>(Index::kAvet)], 100u);
}

}  // namespace
}  // namespace strata
