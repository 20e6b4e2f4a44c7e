// The transactor's locks and bounds (docs/reliability.md, "Transactor
// security and bounds"): CURVE keys and their files, the frame limit, the
// unread-bytes bound per subscriber and the ring's byte bound, a Stop that
// cannot hang on writers waiting for memory-index room, and no password in
// what a peer is told.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

#include "net/keys.h"
#include "net/peer.h"
#include "net/protocol.h"
#include "net/test_util.h"
#include "net/transactor.h"
#include "strata/connection.h"
#include "strata/location.h"
#include "testing/fault_injection_env.h"

namespace strata::net {
namespace {

using testing::Put;
using testing::RawClient;
using testing::TempDir;

// This process's resident memory in KiB (/proc/self/status VmRSS).
uint64_t RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  ADD_FAILURE() << "no VmRSS in /proc/self/status";
  return 0;
}

Message HelloMsg() {
  Message h;
  h.type = MsgType::kHello;
  h.number = kProtocolVersion;
  return h;
}

Message TransactMsg(uint64_t id, const std::string& edn) {
  Message m;
  m.type = MsgType::kTransact;
  m.id = id;
  m.text = edn;
  return m;
}

std::function<void(zmq::socket_t&)> CurveClient(const std::string& server_public, const CurveKeyPair& me) {
  return [=](zmq::socket_t& s) {
    s.set(zmq::sockopt::curve_serverkey, server_public);
    s.set(zmq::sockopt::curve_publickey, me.public_key);
    s.set(zmq::sockopt::curve_secretkey, me.secret_key);
  };
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Connection::Open(dir_.db());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    ASSERT_TRUE(conn_->Transact(testing::kSchema).ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  void StartServer(const TransactorOptions& o) {
    auto s = Transactor::Start(conn_.get(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }

  TempDir dir_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<Transactor> server_;
};

// ---- key files --------------------------------------------------------------

TEST(KeyFiles, KeygenWritesAPrivateSecretAndAPublicFileThatReadBack) {
  ASSERT_TRUE(CurveAvailable()) << "Debian's libzmq is built with libsodium";
  TempDir dir;
  auto pair = GenerateCurveKeyPair();
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  const std::string prefix = dir.path() + "/peer";
  ASSERT_TRUE(WriteKeyFiles(*pair, prefix).ok());
  struct stat st;
  ASSERT_EQ(::stat((prefix + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadSecretKeyFile(prefix + ".key");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->secret_key, pair->secret_key);
  EXPECT_EQ(back->public_key, pair->public_key);
  auto pub = ReadPublicKeyFile(prefix + ".pub");
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(*pub, pair->public_key);
  // Never overwritten.
  Status again = WriteKeyFiles(*GenerateCurveKeyPair(), prefix);
  EXPECT_EQ(again.code(), Code::kInvalidArgument) << again.ToString();
  EXPECT_EQ(ReadSecretKeyFile(prefix + ".key")->secret_key, pair->secret_key);
  // A secret key others can read is refused, as ssh refuses one.
  ASSERT_EQ(::chmod((prefix + ".key").c_str(), 0644), 0);
  auto open = ReadSecretKeyFile(prefix + ".key");
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos) << open.status().ToString();
}

TEST(KeyFiles, AuthorisedKeysComeFromAFileOrAFolderAndBadLinesAreNamed) {
  TempDir dir;
  auto a = *GenerateCurveKeyPair(), b = *GenerateCurveKeyPair();
  std::filesystem::create_directories(dir.path() + "/peers");
  ASSERT_TRUE(WriteKeyFiles(a, dir.path() + "/peers/a").ok());
  ASSERT_TRUE(WriteKeyFiles(b, dir.path() + "/peers/b").ok());
  auto folder = ReadAuthorizedKeys(dir.path() + "/peers");  // the .pub files only
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  EXPECT_EQ(*folder, (std::vector<std::string>{a.public_key, b.public_key}));

  const std::string file = dir.path() + "/authorized";
  std::ofstream(file) << "# peers\n" << a.public_key << " alice's laptop\n\npublic-key = " << b.public_key << "\n";
  auto listed = ReadAuthorizedKeys(file);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(*listed, (std::vector<std::string>{a.public_key, b.public_key}));

  std::ofstream(file) << a.public_key << "\nnot-a-key\n";
  auto bad = ReadAuthorizedKeys(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(file + ":2"), std::string::npos) << bad.status().ToString();
  std::ofstream(file) << "# nothing\n";
  EXPECT_FALSE(ReadAuthorizedKeys(file).ok());
}

// ---- CURVE -----------------------------------------------------------------

TEST_F(SecurityTest, WithKeysOnlyAnAuthorisedPeerCanTransactOrSubscribe) {
  const CurveKeyPair server = *GenerateCurveKeyPair(), good = *GenerateCurveKeyPair(),
                     stranger = *GenerateCurveKeyPair();
  TransactorOptions o;
  o.secret_key = server.secret_key;
  o.authorized_keys = {good.public_key};
  StartServer(o);
  const T before = conn_->db().basis_t();

  // No keys at all, and a key the transactor does not know: the handshake
  // fails, so neither hello, transact nor subscribe gets anywhere.
  for (auto setup : {std::function<void(zmq::socket_t&)>(), CurveClient(server.public_key, stranger)}) {
    RawClient c(server_->endpoint(), setup);
    c.Send(HelloMsg());
    c.Send(TransactMsg(1, Put(1, "intruder")));
    Message sub;
    sub.type = MsgType::kSubscribe;
    sub.id = 1;
    c.Send(sub);
    EXPECT_FALSE(c.Recv(1000)) << "an unauthorised client got an answer";
  }
  EXPECT_EQ(conn_->db().basis_t(), before) << "nothing was committed";
  EXPECT_GE(server_->stats().peers_refused, 1u);
  EXPECT_EQ(server_->stats().hellos, 0u);

  // The authorised key is served.
  RawClient c(server_->endpoint(), CurveClient(server.public_key, good));
  c.Send(HelloMsg());
  auto w = c.Recv();
  ASSERT_TRUE(w && w->type == MsgType::kWelcome);
  c.Send(TransactMsg(7, Put(1, "friend")));
  auto ok = c.Recv();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->type, MsgType::kTxOk) << ok->text;

  // The peer library says why it was refused, at once.
  PeerOptions po;
  po.connect_timeout_ms = 3000;
  po.server_public_key = server.public_key;
  po.client_public_key = stranger.public_key;
  po.client_secret_key = stranger.secret_key;
  auto refused = Peer::Connect(server_->endpoint(), po);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("not authorised"), std::string::npos) << refused.status().ToString();
  po.client_public_key = good.public_key;
  po.client_secret_key = good.secret_key;
  auto peer = Peer::Connect(server_->endpoint(), po);
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  auto r = (*peer)->Transact(Put(2, "via peer"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*peer)->Sync(r->t).ok());
}

TEST_F(SecurityTest, ASecretKeyWithoutAuthorisedKeysIsRefused) {
  TransactorOptions o;
  o.secret_key = GenerateCurveKeyPair()->secret_key;
  auto s = Transactor::Start(conn_.get(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("authorised"), std::string::npos) << s.status().ToString();
}

// ---- frame limit -------------------------------------------------------------

TEST_F(SecurityTest, AFrameOverTheLimitIsRefusedBeforeItIsBuffered) {
  StartServer({});
  // 300 MB of zero pages, never written: sending it does not grow this
  // process's RSS, so whatever growth there is is the transactor's.
  const size_t len = 300u << 20;
  void* big = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(big, MAP_FAILED);
  const uint64_t before = RssKib();
  {
    RawClient c(server_->endpoint());
    c.Send(HelloMsg());
    ASSERT_TRUE(c.Recv());
    Frames f = Encode(TransactMsg(1, ""));
    for (size_t i = 0; i < 2; ++i) ASSERT_TRUE(c.socket().send(zmq::buffer(f[i]), zmq::send_flags::sndmore));
    zmq::message_t frame(big, len, nullptr, nullptr);  // zero copy
    ASSERT_TRUE(c.socket().send(frame, zmq::send_flags::sndmore));
    for (size_t i = 3; i < f.size(); ++i)
      ASSERT_TRUE(c.socket().send(zmq::buffer(f[i]), i + 1 < f.size() ? zmq::send_flags::sndmore : zmq::send_flags::none));
    EXPECT_FALSE(c.Recv(1500)) << "the connection was dropped: no reply";
  }
  const uint64_t after = RssKib();
  std::printf("a 300 MB frame: RSS %llu KiB before, %llu KiB after\n", static_cast<unsigned long long>(before),
              static_cast<unsigned long long>(after));
  EXPECT_LT(after, before + (32u << 10)) << "RSS grew from " << before << " KiB to " << after << " KiB";
  ::munmap(big, len);
  // The transactor still serves others.
  RawClient other(server_->endpoint());
  other.Send(HelloMsg());
  auto w = other.Recv();
  EXPECT_TRUE(w && w->type == MsgType::kWelcome);
}

// ---- unread bytes and the ring ---------------------------------------------

TEST_F(SecurityTest, ASubscriberThatDoesNotReadIsDroppedAtItsByteBoundAndToldToResubscribe) {
  TransactorOptions o;
  o.peer_unread_bytes = 64u << 10;
  o.recent_report_bytes = 256u << 10;
  o.peer_timeout_ms = 60000;
  StartServer(o);
  RawClient c(server_->endpoint());
  c.Send(HelloMsg());
  ASSERT_TRUE(c.Recv());
  Message sub;
  sub.type = MsgType::kSubscribe;
  sub.id = 3;
  sub.t = conn_->db().basis_t();
  c.Send(sub);
  const std::string kb(10000, 'x');
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(conn_->Transact(Put(i, kb)).ok());  // ~600 KB, never acknowledged
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server_->stats().subscriptions_dropped == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const TransactorStats st = server_->stats();
  EXPECT_EQ(st.subscriptions_dropped, 1u);
  EXPECT_LE(st.ring_bytes, o.recent_report_bytes);
  EXPECT_GT(st.ring_bytes, 0u);
  // What it finds when it reads: reports within the bound, then the
  // resubscribe message naming the last t sent.
  uint64_t bytes = 0;
  T last = 0;
  for (;;) {
    auto m = c.Recv();
    ASSERT_TRUE(m) << "no resubscribe message";
    if (m->type == MsgType::kResubscribe) {
      EXPECT_EQ(m->id, 3u);
      EXPECT_EQ(m->t, last);
      break;
    }
    ASSERT_EQ(m->type, MsgType::kReport);
    bytes += m->payload.size();
    last = m->t;
  }
  EXPECT_LE(bytes, o.peer_unread_bytes);
  EXPECT_GT(last, sub.t);
}

TEST_F(SecurityTest, APeerDroppedForFallingBehindResubscribesAndMissesNothing) {
  TransactorOptions o;
  o.peer_unread_bytes = 16u << 10;  // a few reports: the peer is dropped again and again
  StartServer(o);
  auto peer = Peer::Connect(server_->endpoint());
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  const std::string kb(4000, 'y');
  T last = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = conn_->Transact(Put(i, kb));
    ASSERT_TRUE(r.ok());
    last = r->t;
  }
  auto db = (*peer)->Sync(last, 20000);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(testing::Dump(*db), testing::Dump(conn_->db()));
  EXPECT_GE((*peer)->stats().dropped, 1u) << "the bound was never reached: the test shows nothing";
  EXPECT_GE(server_->stats().subscriptions_dropped, 1u);
}

// ---- Stop ------------------------------------------------------------------

TEST(TransactorStop, StopReturnsWhileWritersWaitForMemoryIndexRoom) {
  TempDir dir;
  if (dir.db().find("://") != std::string::npos) GTEST_SKIP() << "needs the folder backend's fault env";
  FaultInjectionEnv env(Env::Default());
  Options opt;
  opt.env = &env;
  opt.memory_index_threshold = 4u << 10;
  opt.memory_index_max = 16u << 10;
  auto c = Connection::Open(dir.db(), opt);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::unique_ptr<Connection> conn = std::move(*c);
  ASSERT_TRUE(conn->Transact(testing::kSchema).ok());
  TransactorOptions o;
  o.workers = 4;
  auto server = Transactor::Start(conn.get(), o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RawClient cl((*server)->endpoint());
  cl.Send(HelloMsg());
  ASSERT_TRUE(cl.Recv());
  // No job can create a pack: indexing stalls, the memory index fills
  // (the log, already open, still takes every commit).
  env.FailOp(FaultOp::kCreate);
  const std::string big(2000, 'z');
  int answered = 0;
  for (int i = 0; i < 64; ++i) cl.Send(TransactMsg(i, Put(i, big)));
  while (auto m = cl.Recv(1500)) answered += m->type == MsgType::kTxOk;
  ASSERT_LT(answered, 64) << "no writer waited for room: the test shows nothing";
  const T committed = conn->db().basis_t();
  const auto t0 = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&] { (*server)->Stop(); });
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "Stop hangs";
  const auto took = std::chrono::steady_clock::now() - t0;
  std::printf("Stop with %d transactions waiting for room: %lld ms\n", 64 - answered,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, std::chrono::seconds(5));
  // Nothing unacknowledged was committed; everything acknowledged is in the log.
  EXPECT_EQ(conn->db().basis_t(), committed);
  EXPECT_EQ(testing::LogTexts(*conn).size(), static_cast<size_t>(answered) + 1);
  env.ClearFaults();
}

// ---- no password to peers ---------------------------------------------------

TEST_F(SecurityTest, TheWelcomeNamesTheLocationWithoutItsPassword) {
  UsePostgresStorage();
  TransactorOptions o;
  o.location = "postgresql://alice:s3cret@db.example:5432/pg?strata_db=music";
  StartServer(o);
  RawClient c(server_->endpoint());
  c.Send(HelloMsg());
  auto w = c.Recv();
  ASSERT_TRUE(w && w->type == MsgType::kWelcome);
  EXPECT_EQ(w->text.find("s3cret"), std::string::npos) << w->text;
  EXPECT_NE(w->text.find("alice@db.example"), std::string::npos) << w->text;
  EXPECT_NE(w->text.find("strata_db=music"), std::string::npos) << w->text;
}

TEST(RedactSecrets, EveryPostgresUriInATextLosesItsPassword) {
  UsePostgresStorage();
  const std::string text = "opening postgresql://u:s3cret@host/db: failed; also postgres://v:hunter2@h2:5/x?strata_db=a, done";
  const std::string r = RedactSecrets(text);
  EXPECT_EQ(r.find("s3cret"), std::string::npos) << r;
  EXPECT_EQ(r.find("hunter2"), std::string::npos) << r;
  EXPECT_NE(r.find("opening postgres://u@host/db?strata_db=default: failed"), std::string::npos) << r;
  EXPECT_NE(r.find(", done"), std::string::npos) << r;
  EXPECT_EQ(RedactSecrets("no uri here"), "no uri here");
  // Without a password, text stays as written (hints such as postgres://...).
  EXPECT_EQ(RedactSecrets("expected postgres://... or postgres://u@h/d?x=1"), "expected postgres://... or postgres://u@h/d?x=1");
  EXPECT_EQ(RedactSecrets("at postgres://u@h/d?password=pw&a=b").find("pw"), std::string::npos);
}

}  // namespace
}  // namespace strata::net
