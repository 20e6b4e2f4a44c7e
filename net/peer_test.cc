// Peers on loopback against an in-process transactor: every peer sees
// every transaction in the same order with the same datoms; Sync reads
// another peer's commit; a transactor restart loses nothing acknowledged
// and the peers catch up; errors keep their codes.
#include "strata/connection.h"
#include "net/peer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "net/test_util.h"
#include "net/transactor.h"
#include "testing/sanitizers.h"

namespace strata::net {
namespace {

using testing::Dump;
using testing::LogTexts;
using testing::Put;
using testing::TempDir;
using testing::TxText;

class PeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.memory_index_threshold = 16 << 10;  // indexing jobs (new roots) during the tests
    options_.segment_retain_ms = 60000;
    OpenConn();
    ASSERT_TRUE(conn_->Transact(testing::kSchema).ok());
  }
  void TearDown() override {
    peers_.clear();
    if (server_) server_->Stop();
  }
  void OpenConn() {
    auto c = Connection::Open(dir_.db(), options_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }
  void StartServer(uint16_t port = 0) {
    TransactorOptions o = server_options_;
    o.listen = "tcp://127.0.0.1:" + std::to_string(port);
    auto s = Transactor::Start(conn_.get(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  Peer& AddPeer(PeerOptions po = {}) {
    auto p = Peer::Connect(server_->endpoint(), po);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    // Caught up with what is committed, so a queue subscribed now holds
    // only what commits next.
    EXPECT_TRUE((*p)->Sync(conn_->db().basis_t()).ok());
    peers_.push_back(std::move(*p));
    return *peers_.back();
  }
  // The t and datoms of every report a queue holds, as TxText lines.
  static std::vector<std::string> Drain(TxReportQueue& q) {
    std::vector<std::string> out;
    TxReport r;
    while (q.Pop(&r, 0)) out.push_back(TxText(r.t, r.tx_data));
    return out;
  }

  TempDir dir_;
  Options options_;
  TransactorOptions server_options_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<Transactor> server_;
  std::vector<std::unique_ptr<Peer>> peers_;
};

TEST_F(PeerTest, TwoPeersSeeEveryTransactionOfBothInTheSameOrder) {
  StartServer();
  Peer& a = AddPeer();
  Peer& b = AddPeer();
  auto qa = a.Subscribe();
  auto qb = b.Subscribe();
  const T start = a.db().basis_t();
  constexpr int kEach = 150;
  std::vector<T> acked[2];
  auto submit = [&](Peer& p, int who) {
    for (int i = 0; i < kEach; ++i) {
      auto r = p.Transact(Put(who * 1000 + i, std::string(64, 'a' + who), who ? "b" : "a"));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->db_after.as_of_t(), std::optional<T>(r->t)) << "db_after is the peer's view as of t";
      EXPECT_GE(r->db_after.basis_t(), r->t);
      acked[who].push_back(r->t);
    }
  };
  std::thread ta(submit, std::ref(a), 0), tb(submit, std::ref(b), 1);
  ta.join();
  tb.join();
  const T last = conn_->db().basis_t();
  ASSERT_TRUE(a.Sync(last).ok());
  ASSERT_TRUE(b.Sync(last).ok());

  const std::vector<std::string> want = LogTexts(*conn_, start);
  ASSERT_EQ(want.size(), 2u * kEach);
  EXPECT_EQ(Drain(*qa), want);
  EXPECT_EQ(Drain(*qb), want);
  for (const auto& ts : acked) EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end()));
  // Same datoms in every index as the transactor's own database.
  for (Index i : {Index::kEavt, Index::kAevt, Index::kVaet}) {
    EXPECT_EQ(Dump(a.db(), i), Dump(conn_->db(), i));
    EXPECT_EQ(Dump(b.db(), i), Dump(conn_->db(), i));
  }
  EXPECT_GT(conn_->stats().jobs, 0u) << "the test should cross index roots";
  EXPECT_EQ(a.stats().gaps, 0u);
  EXPECT_TRUE(a.stream_status().ok()) << a.stream_status().ToString();
}

TEST_F(PeerTest, SyncReadsAnotherPeersCommit) {
  StartServer();
  Peer& a = AddPeer();
  Peer& b = AddPeer();
  for (int i = 0; i < 20; ++i) {
    auto r = a.Transact(Put(i, "v" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto db = b.Sync(r->t, 5000);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_GE(db->basis_t(), r->t);
    auto e = db->entity(edn::Node::Vector({edn::Node::Keyword("k/id"), edn::Node::Long(i)}));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    auto v = e->Get("k/v");
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v->size(), 1u);
    EXPECT_EQ((*v)[0].str(), "v" + std::to_string(i));
  }
  auto never = b.Sync(conn_->db().basis_t() + 100, 100);
  EXPECT_EQ(never.status().code(), Code::kBusy);
}

// Issue 16: a transaction carrying a 60 MB value goes through end to end
// (the peer's reply and another peer's subscription carry it), and one
// over the 64 MiB value limit is refused with the reader's error, nothing
// committed — never half-accepted.
TEST_F(PeerTest, A60MBValueGoesThroughAndOneOverTheLimitIsRefused) {
  // Under ThreadSanitizer committing and indexing 60 MB takes longer than
  // any reply timeout worth having (32 s for one indexing job in CI). The
  // release stage runs this test; the stalled-subscriber tests exercise the
  // same large-message paths under ThreadSanitizer with 256 KiB values.
  if (strata::testing::kUnderTsan) GTEST_SKIP() << "60 MB values are a release-build test";
  // Handling 60 MB messages can keep an I/O thread busy past the default
  // 2 s of silence on a loaded machine: the peer then reconnects and the
  // outcome is unknown, and the transactor, hearing no ping for its 3 s,
  // forgets the peer and does not run its next transaction (seen once in
  // CI beside the 60 MB storage tests). Both sides wait longer here: see
  // docs/network.md, "Failure handling".
  server_options_.peer_timeout_ms = 30000;
  StartServer();
  PeerOptions po;
  po.silence_timeout_ms = 30000;
  Peer& a = AddPeer(po);
  Peer& b = AddPeer(po);
  std::string big(60'000'000, 'q');
  big[0] = 'Q';
  auto r = a.Transact(Put(7, big));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto db = b.Sync(r->t, 30000);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto e = db->entity(edn::Node::Vector({edn::Node::Keyword("k/id"), edn::Node::Long(7)}));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto v = e->Get("k/v");
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), 1u);
  EXPECT_TRUE((*v)[0].str() == big);

  const T before = conn_->db().basis_t();
  auto over = a.Transact(Put(8, std::string(kMaxValueBytes + 1, 'o')));
  EXPECT_TRUE(over.status().IsInvalidArgument()) << over.status().ToString();
  EXPECT_NE(over.status().message().find("string too long"), std::string::npos) << over.status().ToString();
  EXPECT_EQ(conn_->db().basis_t(), before);
}

TEST_F(PeerTest, ErrorsComeBackWithTheTransactorsCode) {
  StartServer();
  Peer& a = AddPeer();
  auto bad = a.Transact("[{:k/nope 1}]");
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status().ToString();
  auto direct = conn_->Transact("[{:k/nope 1}]");
  EXPECT_EQ(bad.status().message(), direct.status().message());
  auto r = a.Transact(Put(1, "x"));
  ASSERT_TRUE(r.ok());
  auto cas = a.Transact("[[:db/cas [:k/id 1] :k/v \"not-x\" \"y\"]]");
  EXPECT_TRUE(cas.status().IsConflict()) << cas.status().ToString();
}

TEST_F(PeerTest, TransactorRestartLosesNothingAcknowledgedAndPeersCatchUp) {
  StartServer();
  const uint16_t port = server_->port();
  PeerOptions po;
  po.silence_timeout_ms = 600;
  po.transact_timeout_ms = 4000;
  Peer& a = AddPeer(po);
  Peer& b = AddPeer(po);
  auto qa = a.Subscribe();
  auto qb = b.Subscribe();
  const T start = a.db().basis_t();
  std::vector<T> acked;
  for (int i = 0; i < 30; ++i) {
    auto r = (i % 2 ? a : b).Transact(Put(i, "first"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    acked.push_back(r->t);
  }
  // Stop the transactor and commit more while the peers are away.
  server_->Stop();
  server_.reset();
  ASSERT_TRUE(conn_->Close().ok());
  conn_.reset();
  OpenConn();
  for (int i = 0; i < 40; ++i) {
    auto r = conn_->Transact(Put(100 + i, "while away"));
    ASSERT_TRUE(r.ok());
    acked.push_back(r->t);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // past the peers' silence timeout
  StartServer(port);
  for (int i = 0; i < 10; ++i) {
    auto r = a.Transact(Put(200 + i, "after"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    acked.push_back(r->t);
  }
  const T last = conn_->db().basis_t();
  ASSERT_TRUE(a.Sync(last).ok());
  ASSERT_TRUE(b.Sync(last).ok());
  const std::vector<std::string> want = LogTexts(*conn_, start);
  EXPECT_EQ(want.size(), acked.size());
  EXPECT_EQ(Drain(*qa), want);
  EXPECT_EQ(Drain(*qb), want);
  EXPECT_GE(a.stats().reconnects, 1u);
  EXPECT_GE(server_->stats().catchups, 1u) << "the restarted transactor served the away part from the log";
  EXPECT_EQ(Dump(b.db()), Dump(conn_->db()));
}

TEST_F(PeerTest, ALatePeerCatchesUpFromTheLog) {
  server_options_.recent_reports = 4;
  StartServer();
  Peer& a = AddPeer();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(a.Transact(Put(i, std::string(100, 'x'))).ok());
  Peer& late = AddPeer();
  auto db = late.Sync(conn_->db().basis_t());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(Dump(*db), Dump(conn_->db()));
  EXPECT_GE(server_->stats().catchups, 1u);
}

TEST_F(PeerTest, ATransactionWithNoTransactorIsNotSentAndSaysSo) {
  StartServer();
  PeerOptions po;
  po.transact_timeout_ms = 500;
  Peer& a = AddPeer(po);
  server_->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the peer notices the silence
  const T before = conn_->db().basis_t();
  auto r = a.Transact(Put(1, "x"));
  EXPECT_EQ(r.status().code(), Code::kBusy) << r.status().ToString();
  EXPECT_EQ(conn_->db().basis_t(), before);
  EXPECT_FALSE(a.stats().connected);
}

}  // namespace
}  // namespace strata::net
