// A replica follows a connection: same datoms in every view, new roots
// taken once the stream has caught up, segments kept for it on request.
#include "strata/replica.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace strata {
namespace {

using testing::DbTest;
using testing::Dump;

constexpr const char* kSchema = R"([
  {:db/ident :k/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :k/v :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :k/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}])";

std::string Put(int id, const std::string& v) {
  return "[{:k/id " + std::to_string(id) + " :k/v \"" + v + "\" :k/tags [:t" + std::to_string(id % 3) + "]}]";
}

class ReplicaTest : public DbTest {
 protected:
  void SetUp() override {
    options_.background_indexing = false;
    options_.memory_index_threshold = uint64_t{1} << 40;  // jobs only on IndexNow
    options_.segment_datoms = 8;
    DbTest::SetUp();
    Tx(kSchema);
  }
  std::unique_ptr<Replica> OpenReplica() {
    ReplicaOptions ro;
    ro.env = env_.get();
    ro.segment_cache_bytes = 4 << 10;
    auto r = Replica::Open("/db", ro);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : nullptr;
  }
  // Applies what the connection committed after the replica's basis, as a
  // transactor streams it; returns how many were applied.
  int CatchUp(Replica& r) {
    int n = 0;
    Status s = conn_->TxRange(r.basis_t() + 1, conn_->db().basis_t() + 1, [&](T t, const std::vector<Datom>& d) {
      auto rep = r.Apply(t, d);
      if (!rep.ok()) return rep.status();
      EXPECT_EQ(rep->t, t);
      EXPECT_EQ(rep->db_after.basis_t(), t);
      ++n;
      return Status::OK();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return n;
  }
  void ExpectSame(const Database& want, const Database& got) {
    ASSERT_EQ(want.basis_t(), got.basis_t());
    for (Index i : {Index::kEavt, Index::kAevt, Index::kVaet}) {
      EXPECT_EQ(Dump(want, i), Dump(got, i)) << "index " << static_cast<int>(i);
      EXPECT_EQ(Dump(want.History(), i), Dump(got.History(), i)) << "history, index " << static_cast<int>(i);
    }
    const T mid = want.basis_t() / 2 + 1;
    EXPECT_EQ(Dump(want.AsOf(mid), Index::kEavt), Dump(got.AsOf(mid), Index::kEavt));
    EXPECT_EQ(Dump(want.Since(mid), Index::kEavt), Dump(got.Since(mid), Index::kEavt));
    EXPECT_EQ(Dump(want, Index::kAvet, {":k/id"}), Dump(got, Index::kAvet, {":k/id"}));
  }
};

TEST_F(ReplicaTest, MissingDatabaseIsNotFound) {
  ReplicaOptions ro;
  ro.env = env_.get();
  auto r = Replica::Open("/nothing", ro);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
}

TEST_F(ReplicaTest, FollowsTheConnectionFromItsRoot) {
  for (int i = 0; i < 40; ++i) Tx(Put(i, "a" + std::to_string(i)));
  ASSERT_TRUE(conn_->IndexNow().ok());
  for (int i = 0; i < 40; i += 3) Tx(Put(i, "b" + std::to_string(i)));
  Tx("[[:db/retract [:k/id 7] :k/tags :t1]]");

  auto r = OpenReplica();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->root_basis_t(), r->basis_t());
  EXPECT_LT(r->basis_t(), conn_->db().basis_t());
  EXPECT_GT(CatchUp(*r), 0);
  ExpectSame(conn_->db(), r->db());

  // Schema changes arrive through the stream like any other transaction.
  Tx(R"([{:db/ident :k/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])");
  Tx("[{:k/id 1 :k/n 42}]");
  EXPECT_EQ(CatchUp(*r), 2);
  ExpectSame(conn_->db(), r->db());
  ASSERT_NE(r->db().attribute("k/n"), nullptr);
}

TEST_F(ReplicaTest, DuplicatesAreIgnoredAndForeignDatomsRefused) {
  Tx(Put(1, "x"));
  auto r = OpenReplica();
  ASSERT_TRUE(r);
  ASSERT_EQ(CatchUp(*r), 2);  // the schema and one put
  const T t = r->basis_t();
  auto again = r->Apply(t, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->t, 0u);
  EXPECT_EQ(r->basis_t(), t);
  Datom wrong{1, 1, Value::Long(1), TxId(t + 5), true};
  auto bad = r->Apply(t + 1, {wrong});
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(r->basis_t(), t);
}

TEST_F(ReplicaTest, TakesANewRootOnlyOnceCaughtUp) {
  for (int i = 0; i < 30; ++i) Tx(Put(i, "a"));
  auto r = OpenReplica();
  ASSERT_TRUE(r);
  CatchUp(*r);
  const size_t tail = r->novelty_transactions();
  EXPECT_GT(tail, 0u);
  for (int i = 30; i < 60; ++i) Tx(Put(i, "b"));
  ASSERT_TRUE(conn_->IndexNow().ok());
  // The new root covers transactions the replica has not seen yet.
  auto early = r->RefreshRoot();
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_FALSE(*early);
  const T indexed = conn_->db().basis_t();
  Tx(Put(99, "after the job"));
  CatchUp(*r);
  auto taken = r->RefreshRoot();
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_TRUE(*taken);
  EXPECT_EQ(r->root_basis_t(), indexed);
  EXPECT_EQ(r->novelty_transactions(), 1u);
  ExpectSame(conn_->db(), r->db());
  auto same = r->RefreshRoot();
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
}

TEST_F(ReplicaTest, RetainedSegmentsOutliveLaterJobs) {
  options_.segment_retain_ms = 60000;  // with 0, the reads below fail: NotFound segments
  Reopen();
  for (int i = 0; i < 50; ++i) Tx(Put(i, "a"));
  ASSERT_TRUE(conn_->IndexNow().ok());
  auto r = OpenReplica();
  ASSERT_TRUE(r);
  const auto before = Dump(r->db(), Index::kEavt);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 50; ++i) Tx(Put(i, "r" + std::to_string(round)));
    ASSERT_TRUE(conn_->IndexNow().ok());
  }
  // The replica still reads its old root, segment by segment from storage.
  EXPECT_EQ(Dump(r->db(), Index::kEavt), before);
}

}  // namespace
}  // namespace strata
