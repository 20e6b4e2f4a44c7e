#include "workloads/uniform.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "strata/database.h"
#include "strata/connection.h"

namespace strata::workloads {
namespace {

std::string PrintAll(UniformOptions o) {
  UniformWorkload w(o);
  std::string out = edn::Print(w.Schema()) + "\n";
  edn::Node tx;
  while (w.Next(&tx)) out += edn::Print(tx) + "\n";
  return out;
}

TEST(UniformWorkload, SameSeedSameTransactions) {
  UniformOptions o;
  o.transactions = 150;
  o.seed = 7;
  const std::string a = PrintAll(o);
  EXPECT_EQ(a, PrintAll(o));
  o.seed = 8;
  EXPECT_NE(a, PrintAll(o));
}

TEST(UniformWorkload, ProducesExactlyTheRequestedCount) {
  UniformOptions o;
  o.transactions = 25;
  o.entities_per_tx = 3;
  UniformWorkload w(o);
  edn::Node tx;
  uint64_t n = 0;
  while (w.Next(&tx)) {
    ASSERT_TRUE(tx.is(edn::Kind::kVector));
    ++n;
  }
  EXPECT_EQ(n, 25u);
  EXPECT_EQ(w.created(), 75u);
  EXPECT_FALSE(w.Next(&tx));
}

TEST(UniformWorkload, PrintedTransactionsReadBack) {
  UniformOptions o;
  o.transactions = 40;
  UniformWorkload w(o);
  edn::Node tx;
  while (w.Next(&tx)) {
    auto back = edn::ReadOne(edn::Print(tx));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, tx);
  }
}

TEST(UniformWorkload, TransactsIntoAMemoryDatabase) {
  auto env = NewMemEnv();
  Options options;
  options.env = env.get();
  options.sync = SyncPolicy::kNever;
  auto conn = Connection::Open("/uniform", options);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();

  UniformOptions o;
  o.transactions = 300;
  o.seed = 3;
  UniformWorkload w(o);
  auto schema = (*conn)->Transact(w.Schema());
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  edn::Node tx;
  uint64_t retractions = 0, replaced = 0;
  while (w.Next(&tx)) {
    auto r = (*conn)->Transact(tx);
    ASSERT_TRUE(r.ok()) << "transaction " << w.produced() << ": " << r.status().ToString() << "\n" << edn::Print(tx);
    for (const Datom& d : r->tx_data) retractions += d.added ? 0 : 1;
    for (const edn::Node& op : tx.items) replaced += op.is(edn::Kind::kVector) && op.items[0].is_keyword("db/add");
  }
  EXPECT_GT(retractions, 0u);  // implicit retractions and retractEntity happened
  EXPECT_GT(replaced, 0u);

  Database db = (*conn)->db();
  // Doomed entities are gone; the others are there.
  auto id = [](uint64_t n) { return edn::Node::Vector({edn::Node::Keyword("u/id"), edn::Node::String(UniformWorkload::IdOf(n))}); };
  EXPECT_FALSE(db.Entid(id(13)).ok());
  EXPECT_FALSE(db.Entid(id(110)).ok());
  EXPECT_TRUE(db.Entid(id(12)).ok());
  EXPECT_TRUE(db.Entid(id(w.created() - 1)).ok());
  auto avet = db.DatomsVector(Index::kAvet, {Value::Ref(*db.Entid(edn::Node::Keyword("u/count")))});
  ASSERT_TRUE(avet.ok()) << avet.status().ToString();
  EXPECT_GT(avet->size(), 1000u);
}

}  // namespace
}  // namespace strata::workloads
