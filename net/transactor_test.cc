// The transactor side of the protocol, spoken by a raw DEALER socket:
// handshake, catch-up from the log then live reports with an unbroken
// prev_t chain, transactions and their errors, unknown sessions.
#include "net/transactor.h"

#include <gtest/gtest.h>

#include <optional>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "net/protocol.h"
#include "net/test_util.h"
#include "strata/replica.h"
#include "strata/connection.h"

namespace strata::net {
namespace {

using testing::LogTexts;
using testing::RawClient;
using testing::Put;
using testing::TempDir;
using testing::TxText;

class TransactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Connection::Open(dir_.db());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    ASSERT_TRUE(conn_->Transact(testing::kSchema).ok());
    ASSERT_TRUE(conn_->Transact("[{:db/ident :k/email :db/valueType :db.type/string "
                                ":db/cardinality :db.cardinality/one :db/unique :db.unique/value}]")
                    .ok());
  }
  void StartServer(TransactorOptions o = {}) {
    auto s = Transactor::Start(conn_.get(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  Message Hello(RawClient& c) {
    Message h;
    h.type = MsgType::kHello;
    h.number = kProtocolVersion;
    c.Send(h);
    auto w = c.Recv();
    EXPECT_TRUE(w && w->type == MsgType::kWelcome);
    return w.value_or(Message{});
  }

  TempDir dir_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<Transactor> server_;
};

TEST_F(TransactorTest, CatchUpFromTheLogThenLiveWithAnUnbrokenChain) {
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(conn_->Transact(Put(i, "before")).ok());
  TransactorOptions o;
  o.recent_reports = 2;  // older than the ring: read from the log
  StartServer(o);
  RawClient c(server_->endpoint());
  Message w = Hello(c);
  // A folder is named by its absolute path, so peers elsewhere find it.
  const bool folder = dir_.db().find("://") == std::string::npos;
  EXPECT_EQ(w.text, folder ? std::filesystem::absolute(dir_.db()).lexically_normal().string() : dir_.db());
  EXPECT_EQ(w.t, conn_->db().basis_t());

  Message sub;
  sub.type = MsgType::kSubscribe;
  sub.id = 7;
  sub.t = 0;
  c.Send(sub);
  std::vector<std::string> got;
  T prev = 0;
  auto take = [&](size_t n) {
    while (got.size() < n) {
      auto m = c.Recv();
      ASSERT_TRUE(m) << "after " << got.size() << " reports";
      ASSERT_EQ(m->type, MsgType::kReport);
      EXPECT_EQ(m->id, 7u);
      EXPECT_EQ(m->prev_t, prev) << "t=" << m->t;
      T t;
      std::vector<Datom> d;
      ASSERT_TRUE(DecodeReplicatedTx(m->payload, &t, &d).ok());
      EXPECT_EQ(t, m->t);
      got.push_back(TxText(t, d));
      prev = t;
    }
  };
  take(8);
  EXPECT_GE(server_->stats().catchups, 1u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(conn_->Transact(Put(100 + i, "live")).ok());
  take(13);
  EXPECT_EQ(got, LogTexts(*conn_));
  EXPECT_FALSE(c.Recv(300)) << "nothing more was committed";
}

TEST_F(TransactorTest, TransactionsAndTheirErrorsComeBackWithTheirCodes) {
  StartServer();
  RawClient c(server_->endpoint());
  Hello(c);
  Message tx;
  tx.type = MsgType::kTransact;
  tx.id = 41;
  tx.text = R"([{:db/id "a" :k/id 1 :k/email "x@y"}])";
  c.Send(tx);
  auto ok = c.Recv();
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->type, MsgType::kTxOk) << ok->text;
  EXPECT_EQ(ok->id, 41u);
  EXPECT_EQ(ok->t, conn_->db().basis_t());
  EXPECT_EQ(ok->tempids.count("a"), 1u);

  tx.id = 42;
  tx.text = R"([{:k/id 2 :k/email "x@y"}])";  // the same unique value on another entity
  c.Send(tx);
  auto conflict = c.Recv();
  ASSERT_TRUE(conflict);
  ASSERT_EQ(conflict->type, MsgType::kTxError);
  EXPECT_EQ(conflict->id, 42u);
  EXPECT_EQ(conflict->code, Code::kConflict) << conflict->text;

  tx.id = 43;
  tx.text = "[{:k/id";
  c.Send(tx);
  auto bad = c.Recv();
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, Code::kInvalidArgument) << bad->text;
}

// Transaction text from the wire is read by the EDN reader, which refuses
// text that is not UTF-8 and says where; nothing is committed.
TEST_F(TransactorTest, TransactionDataThatIsNotUtf8IsRefused) {
  StartServer();
  RawClient c(server_->endpoint());
  Hello(c);
  const T before = conn_->db().basis_t();
  Message tx;
  tx.type = MsgType::kTransact;
  tx.id = 7;
  tx.text = "[{:k/id 9 :k/email \"a\xFF@b\"}]";
  c.Send(tx);
  auto bad = c.Recv();
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->type, MsgType::kTxError);
  EXPECT_EQ(bad->code, Code::kInvalidArgument) << bad->text;
  EXPECT_NE(bad->text.find("EDN 1:22: invalid UTF-8 in string: byte 0xFF at offset 21"), std::string::npos) << bad->text;
  EXPECT_EQ(conn_->db().basis_t(), before);
}

TEST_F(TransactorTest, AnUnknownSessionIsNotServed) {
  StartServer();
  RawClient c(server_->endpoint());
  const T before = conn_->db().basis_t();
  Message tx;
  tx.type = MsgType::kTransact;
  tx.id = 5;
  tx.text = Put(1, "x");
  c.Send(tx);
  auto r = c.Recv();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, MsgType::kTxError);
  EXPECT_EQ(r->code, Code::kAborted);
  EXPECT_NE(r->text.find("not committed"), std::string::npos) << r->text;
  EXPECT_EQ(conn_->db().basis_t(), before);

  Message hello;
  hello.type = MsgType::kHello;
  hello.number = kProtocolVersion + 1;
  c.Send(hello);
  auto e = c.Recv();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, MsgType::kError);
  EXPECT_NE(e->text.find("protocol version"), std::string::npos) << e->text;
}

TEST_F(TransactorTest, ASubscriptionPastTheDatabaseIsRefused) {
  StartServer();
  RawClient c(server_->endpoint());
  Hello(c);
  Message sub;
  sub.type = MsgType::kSubscribe;
  sub.id = 1;
  sub.t = conn_->db().basis_t() + 1000;
  c.Send(sub);
  auto e = c.Recv();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, MsgType::kError);
  EXPECT_NE(e->text.find("past the transactor's"), std::string::npos) << e->text;
}

}  // namespace
}  // namespace strata::net
