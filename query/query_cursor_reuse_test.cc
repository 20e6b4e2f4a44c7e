// A data pattern looked up once per binding reads through one cursor that
// it moves (DatomCursor::Seek) from binding to binding. Over durable levels
// and the memory index, and through the views of time, the rows are those
// of a lookup per binding run alone (a fresh cursor each), and a read that
// fails fails the query, never shortens it.
#include <set>

#include "query_test_util.h"
#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :artist/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :artist/startYear :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :artist/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :track/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :track/artists :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
])";

class QueryCursorReuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = NewMemEnv();
    env_ = std::make_unique<FaultInjectionEnv>(mem_.get());
    const Options o = testing::StackedLevelsOptions(env_.get());
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    ASSERT_TRUE(conn_->Transact(kSchema).ok());
    // Artists and tracks; later rounds change some earlier artists (new
    // start years, a retracted tag), so groups span levels and runs.
    for (int round = 0; round < 4; ++round) {
      std::string tx = "[";
      for (int i = 0; i < 40; ++i) {
        const std::string n = std::to_string(round * 100 + i);
        tx += "{:db/id \"a" + n + "\" :artist/name \"artist " + n + "\" :artist/startYear " + n +
              " :artist/tags [:t" + std::to_string(i % 3) + " :t" + std::to_string(i % 5) + "]}";
        tx += "{:track/name \"x" + n + "\" :track/artists [\"a" + n + "\"]}";
        if (round > 0) {
          const std::string old = "[:artist/name \"artist " + std::to_string((round - 1) * 100 + i) + "\"]";
          tx += "{:db/id " + old + " :artist/startYear " + std::to_string(2000 + round * 100 + i) + "}";
          if (i % 2 == 0) tx += "[:db/retract " + old + " :artist/tags :t" + std::to_string(i % 3) + "]";
        }
      }
      auto r = conn_->Transact(tx + "]");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (round == 1) as_of_ = r->db_after.basis_t();
      if (round < 3) {
        ASSERT_TRUE(conn_->IndexNow().ok());
      }
    }
    ASSERT_GT(conn_->db().memory_index_datoms(), 0u);
    auto all = conn_->db().DatomsVector(Index::kEavt);
    ASSERT_TRUE(all.ok());
    for (const Datom& d : *all) {
      if (eids_.empty() || eids_.back().i != static_cast<int64_t>(d.e)) eids_.push_back(edn::Node::Long(static_cast<int64_t>(d.e)));
      if (d.a == *conn_->db().Entid(edn::Node::Keyword("artist/name"))) artists_.push_back(edn::Node::Long(static_cast<int64_t>(d.e)));
    }
  }

  static std::set<std::string> Rows(const edn::Node& result) {
    std::set<std::string> rows;
    for (const edn::Node& row : result.items) rows.insert(edn::Print(row));
    return rows;
  }

  // The query with every binding at once (one cursor moved across them)
  // and with each binding alone (a fresh cursor each): the same rows.
  void ExpectSameAsAlone(const Database& db, const std::string& many, const std::string& one,
                         const std::vector<edn::Node>& bindings, size_t at_least) {
    SCOPED_TRACE(many);
    auto all = Q(many, {db, edn::Node::Vector(bindings)});
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    std::set<std::string> alone;
    for (const edn::Node& b : bindings) {
      auto r = Q(one, {db, b});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (const std::string& row : Rows(*r)) alone.insert(row);
    }
    EXPECT_EQ(Rows(*all), alone);
    EXPECT_GE(alone.size(), at_least);
  }

  std::unique_ptr<Env> mem_;
  std::unique_ptr<FaultInjectionEnv> env_;
  std::unique_ptr<Connection> conn_;
  T as_of_ = 0;
  std::vector<edn::Node> eids_;
  std::vector<edn::Node> artists_;
};

TEST_F(QueryCursorReuseTest, OneCursorMovedAcrossBindingsEqualsALookupPerBinding) {
  const Database now = conn_->db();
  ASSERT_GT(eids_.size(), 300u);
  // Every entity's datoms (EAVT lookups), in every view of time.
  for (const Database& db : {now, now.AsOf(as_of_), now.History()}) {
    ExpectSameAsAlone(db, "[:find ?e ?a ?v :in $ [?e ...] :where [?e ?a ?v]]",
                      "[:find ?e ?a ?v :in $ ?e :where [?e ?a ?v]]", eids_, eids_.size());
  }
  // The current view's rows are its datoms (the per-binding run could be
  // as wrong as the reused one otherwise).
  auto datoms = now.DatomsVector(Index::kEavt);
  ASSERT_TRUE(datoms.ok());
  auto all = Q("[:find ?e ?a ?v :in $ [?e ...] :where [?e ?a ?v]]", {now, edn::Node::Vector(eids_)});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), datoms->size());
  // Reverse lookups (VAET: the tracks of each artist) and attribute lookups
  // of bound entities (EAVT with the attribute): fewer than the bindings
  // at which a scan would take over.
  const std::vector<edn::Node> some(artists_.begin(), artists_.begin() + 60);
  ExpectSameAsAlone(now, "[:find ?t ?a :in $ [?a ...] :where [?t :track/artists ?a]]",
                    "[:find ?t ?a :in $ ?a :where [?t :track/artists ?a]]", some, 60);
  ExpectSameAsAlone(now.AsOf(as_of_), "[:find ?a ?tag :in $ [?a ...] :where [?a :artist/tags ?tag]]",
                    "[:find ?a ?tag :in $ ?a :where [?a :artist/tags ?tag]]", some, 60);
}

TEST_F(QueryCursorReuseTest, AFailedReadFailsTheQuery) {
  const Database db = conn_->db();
  const std::string q = "[:find ?e ?a ?v :in $ [?e ...] :where [?e ?a ?v]]";
  auto healthy = Q(q, {db, edn::Node::Vector(eids_)});
  ASSERT_TRUE(healthy.ok()) << healthy.status().ToString();
  // Some reads fail, on some seed the first ones succeed: every run whose
  // reads failed fails with the read's error; the others are whole.
  int failed = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    ReadFaultSpec spec;
    spec.fail_fraction = 0.05;
    spec.seed = seed;
    spec.path_part = "/packs/";
    env_->SetReadFaults(spec);
    const uint64_t before = env_->ReadsFailed();
    auto r = Q(q, {db, edn::Node::Vector(eids_)});
    if (env_->ReadsFailed() > before) {
      ASSERT_FALSE(r.ok()) << "a result of " << r->items.size() << " rows without the error";
      EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
      ++failed;
    } else {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(Rows(*r), Rows(*healthy));
    }
    env_->ClearFaults();
  }
  EXPECT_GT(failed, 0);
}

// (pull ?e ...) in :find reads through cursors kept from row to row: each
// row's map is Pull's for its entity alone, and a failed read fails the query.
TEST_F(QueryCursorReuseTest, PullInFindEqualsAPullPerEntity) {
  const Database now = conn_->db();
  for (const Database& db : {now, now.AsOf(as_of_)}) {
    for (const char* pattern : {"[*]", "[:artist/name :artist/tags {:track/_artists [:track/name]}]"}) {
      SCOPED_TRACE(pattern);
      auto r = Q("[:find ?e (pull ?e pat) :in $ pat [?e ...]]",
                 {db, *edn::ReadOne(pattern), edn::Node::Vector(artists_)});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->items.size(), artists_.size());
      for (const edn::Node& row : r->items) {
        ASSERT_EQ(row.items.size(), 2u);
        auto one = Pull(db, *edn::ReadOne(pattern), row.items[0]);
        ASSERT_TRUE(one.ok()) << one.status().ToString();
        EXPECT_EQ(row.items[1], *one) << "entity " << row.items[0].i;
      }
    }
  }
  ReadFaultSpec spec;
  spec.fail_fraction = 1;
  spec.path_part = "/packs/";
  env_->SetReadFaults(spec);
  auto r = Q("[:find (pull ?e [*]) :in $ [?e ...]]", {now, edn::Node::Vector(artists_)});
  ASSERT_FALSE(r.ok()) << "a result of " << r->items.size() << " rows without the error";
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
  env_->ClearFaults();
}

}  // namespace
}  // namespace strata
