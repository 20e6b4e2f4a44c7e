// net/transactor.h: the ROUTER thread, the report pump and the workers.
//
// Only the router thread touches the ROUTER socket and the per-peer state.
// The pump (live reports) and the workers (transactions, catch-ups from the
// log) hand it messages over one inproc PULL socket: PUSH sockets keep each
// sender's order, so live reports reach the router in commit order.
//
// Each subscribed peer has a cursor, sent_t: the last t sent to it in its
// current subscription epoch. The router advances it from `ring_` (the
// newest reports, contiguous) or, when the peer is older than the ring,
// from a catch-up task reading the log. A send refused at the peer's
// high-water mark leaves the cursor where it is and is retried on the next
// tick, so a report is never skipped: the worst a peer sees is a gap it
// detects (prev_t past its basis) and answers with a new subscription.
//
// Memory per peer is bounded in bytes, not messages: the router counts the
// report bytes it sent a peer that the peer has not acknowledged (its
// pings carry its basis-t); past peer_unread_bytes it drops the
// subscription and tells the peer to resubscribe. With CURVE the router
// thread also answers the ZAP requests that admit or refuse each
// handshake.
#include "net/transactor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "net/protocol.h"
#include "net/keys.h"
#include "strata/connection.h"
#include "strata/location.h"
#include "strata/mutex.h"
#include "strata/replica.h"

namespace strata::net {

std::string TransactorOptions::ToString() const {
  return "listen=" + listen + " workers=" + std::to_string(workers) + " heartbeat_ms=" + std::to_string(heartbeat_ms) +
         " peer_timeout_ms=" + std::to_string(peer_timeout_ms) + " recent_reports=" + std::to_string(recent_reports) +
         " recent_report_bytes=" + std::to_string(recent_report_bytes) +
         " peer_unread_bytes=" + std::to_string(peer_unread_bytes) + " send_hwm=" + std::to_string(send_hwm) +
         " curve=" + (secret_key.empty() ? "off" : "on authorized_keys=" + std::to_string(authorized_keys.size()));
}

namespace {

using Clock = std::chrono::steady_clock;

// Kinds of the internal messages on the inproc socket:
//   kind | routing id | the five frames of a protocol Message
constexpr char kLive = 'L';      // a committed transaction (routing id empty)
constexpr char kReply = 'T';     // a tx-ok / tx-error for the peer
constexpr char kCatchUp = 'C';   // a report read from the log for the peer
constexpr char kCaughtUp = 'D';  // catch-up task ended: id = epoch, t = last t sent, code/text = why
// Messages queued on the inproc pipe per sender (and at the router): a
// catch-up reading the log far faster than the router forwards (or drops)
// waits instead of buffering the log in memory.
constexpr int kInternalHwm = 16;

void SendAll(zmq::socket_t& s, const Frames& frames, zmq::send_flags last_flags) {
  for (size_t i = 0; i < frames.size(); ++i) {
    const bool more = i + 1 < frames.size();
    auto r = s.send(zmq::buffer(frames[i]), more ? zmq::send_flags::sndmore : last_flags);
    (void)r;  // blocking inproc sends do not return EAGAIN
  }
}

void PushInternal(zmq::socket_t& s, char kind, const std::string& rid, const Message& m) {
  Frames f = Encode(m);
  f.insert(f.begin(), {std::string(1, kind), rid});
  SendAll(s, f, zmq::send_flags::none);
}

std::string AbsoluteLocation(const std::string& loc) {
  if (loc.find("://") != std::string::npos || loc.rfind("file:", 0) == 0) return loc;
  std::error_code ec;
  auto abs = std::filesystem::absolute(loc, ec);
  return ec ? loc : abs.lexically_normal().string();
}

// Threads running tasks; each owns a PUSH socket to the router.
class WorkerPool {
 public:
  using Task = std::function<void(zmq::socket_t& out)>;
  void Start(zmq::context_t& ctx, const std::string& endpoint, int n) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this, &ctx, endpoint] {
        try {
          zmq::socket_t out(ctx, zmq::socket_type::push);
          out.set(zmq::sockopt::linger, 0);
          out.set(zmq::sockopt::sndhwm, kInternalHwm);
          out.connect(endpoint);
          Run(out);
        } catch (const zmq::error_t& e) {
          if (e.num() != ETERM) spdlog::error("transactor worker: {}", e.what());
        }
      });
    }
  }
  void Submit(Task t) {
    {
      MutexLock l(&mu_);
      tasks_.push_back(std::move(t));
    }
    cv_.Signal();
  }
  void Stop() {
    {
      MutexLock l(&mu_);
      stop_ = true;
    }
    cv_.SignalAll();
  }
  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void Run(zmq::socket_t& out) {
    while (true) {
      Task task;
      {
        MutexLock l(&mu_);
        while (!stop_ && tasks_.empty()) cv_.Wait();
        if (stop_) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task(out);
    }
  }
  Mutex mu_;
  CondVar cv_{&mu_};  // a task queued, or stopping
  std::deque<Task> tasks_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

struct PeerState {
  std::string rid;
  Clock::time_point last_seen;
  bool subscribed = false;
  uint64_t epoch = 0;
  T sent_t = 0;              // last t sent in this epoch
  bool catching_up = false;  // a catch-up task runs for this peer
  std::shared_ptr<std::atomic<bool>> cancel;
  bool stalled = false;      // a send was refused: retry on the next tick
  bool gone = false;         // unroutable: dropped on the next tick
  // Reports sent and not yet acknowledged by the peer (its ping's or
  // subscribe's basis-t), in send order: what may still sit in the queues
  // between us. Kept across subscriptions: the bytes are queued whatever
  // the epoch.
  std::deque<std::pair<T, size_t>> unread;
  uint64_t unread_bytes = 0;
};

// Forgets the reports the peer has read: every one up to `t`.
void Acknowledge(PeerState& p, T t) {
  while (!p.unread.empty() && p.unread.front().first <= t) {
    p.unread_bytes -= p.unread.front().second;
    p.unread.pop_front();
  }
}

size_t MessageBytes(const Message& m) { return m.payload.size() + m.text.size() + 64; }

// The ZAP handler's reply (rfc.zeromq.org/spec/27): version, request id,
// status code, status text, user id, metadata.
void ZapReply(zmq::socket_t& zap, const std::string& request_id, bool ok, const std::string& why) {
  const std::string frames[] = {"1.0", request_id, ok ? "200" : "400", why, "", ""};
  for (size_t i = 0; i < 6; ++i)
    (void)zap.send(zmq::buffer(frames[i]), i + 1 < 6 ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

class TransactorImpl final : public Transactor {
 public:
  TransactorImpl(Connection* conn, TransactorOptions options)
      : conn_(conn), options_(std::move(options)), router_(ctx_, zmq::socket_type::router),
        results_(ctx_, zmq::socket_type::pull), zap_(ctx_, zmq::socket_type::rep) {}
  ~TransactorImpl() override { Stop(); }

  Status Init() {
    // Peers are told where the database is, never its password: they
    // supply their own credentials (PGPASSWORD, ~/.pgpass).
    location_ = RedactLocation(options_.location.empty() ? AbsoluteLocation(conn_->dir()) : options_.location);
    const bool curve = !options_.secret_key.empty();
    if (curve) {
      if (!CurveAvailable()) return Status::InvalidArgument("transactor: this libzmq has no CURVE security (libsodium)");
      if (options_.authorized_keys.empty())
        return Status::InvalidArgument("transactor: a secret key without authorised keys would admit no peer");
      for (const std::string& k : options_.authorized_keys) {
        if (k.size() != 40) return Status::InvalidArgument("transactor: an authorised key is not 40 Z85 characters");
        authorized_.insert(k);
      }
    }
    // Subscribe before reading the basis: every commit after it is queued.
    queue_ = conn_->Subscribe();
    head_ = ring_base_ = pumped_ = conn_->db().basis_t();
    {
      MutexLock l(&stats_mu_);
      stats_.basis_t = head_;
    }
    try {
      router_.set(zmq::sockopt::router_mandatory, 1);
      router_.set(zmq::sockopt::sndhwm, options_.send_hwm);
      router_.set(zmq::sockopt::rcvhwm, options_.send_hwm);
      router_.set(zmq::sockopt::linger, 0);
      // A larger frame drops its connection before any of it is buffered.
      router_.set(zmq::sockopt::maxmsgsize, kMaxFrameBytes);
      if (curve) {
        // The ZAP handler (this context's inproc://zeromq.zap.01) decides
        // every handshake; the router thread answers it.
        zap_.set(zmq::sockopt::linger, 0);
        zap_.bind("inproc://zeromq.zap.01");
        router_.set(zmq::sockopt::curve_server, true);
        router_.set(zmq::sockopt::curve_secretkey, options_.secret_key);
        router_.set(zmq::sockopt::zap_domain, "strata");
      }
      router_.bind(options_.listen);
      endpoint_ = router_.get(zmq::sockopt::last_endpoint);
      results_endpoint_ = "inproc://strata-transactor-" + std::to_string(reinterpret_cast<uintptr_t>(this));
      results_.set(zmq::sockopt::linger, 0);
      results_.set(zmq::sockopt::rcvhwm, kInternalHwm);
      results_.bind(results_endpoint_);
    } catch (const zmq::error_t& e) {
      return Status::IOError("transactor: cannot listen on " + options_.listen + ": " + e.what());
    }
    port_ = static_cast<uint16_t>(std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1)));
    pool_.Start(ctx_, results_endpoint_, std::max(1, options_.workers));
    pump_ = std::thread([this] { PumpThread(); });
    router_thread_ = std::thread([this] { RouterThread(); });
    return Status::OK();
  }

  const std::string& endpoint() const override { return endpoint_; }
  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    {
      MutexLock l(&stop_mu_);
      stop_ = true;
    }
    stop_cv_.SignalAll();
    if (router_thread_.joinable()) router_thread_.join();
    pool_.Stop();
    // Workers may wait for memory-index room behind an indexing job that
    // never ends (storage down): make them give up, not commit.
    conn_->RefuseWrites(Status::Aborted("transactor stopping: the transaction was not committed"));
    ctx_.shutdown();  // blocked inproc sends end with ETERM
    pool_.Join();
    if (pump_.joinable()) pump_.join();
    conn_->RefuseWrites(Status::OK());
    router_.close();
    results_.close();
    zap_.close();
    ctx_.close();
  }

  TransactorStats stats() const override {
    MutexLock l(&stats_mu_);
    return stats_;
  }

 private:
  // ---- the report pump --------------------------------------------------

  void PumpThread() {
    try {
      zmq::socket_t out(ctx_, zmq::socket_type::push);
      out.set(zmq::sockopt::linger, 0);
      out.set(zmq::sockopt::sndhwm, kInternalHwm);
      out.connect(results_endpoint_);
      while (!stop_) {
        TxReport r;
        if (queue_->Pop(&r, 100)) {
          if (r.t > pumped_) PushLive(out, r.t, r.tx_data);
          continue;
        }
        Status s = queue_->status();
        if (s.ok() || stop_) continue;
        // The queue was closed (it fell behind a bound, or the connection
        // closed): subscribe again and fill the gap from the log.
        spdlog::warn("transactor: tx-report queue closed ({}); resubscribing from t={}", s.ToString(), pumped_);
        queue_ = conn_->Subscribe();
        Status fill = conn_->TxRange(pumped_ + 1, std::numeric_limits<T>::max(), [&](T t, const std::vector<Datom>& d) {
          PushLive(out, t, d);
          return Status::OK();
        });
        if (!fill.ok()) {
          spdlog::error("transactor: reading the log after t={}: {}", pumped_, fill.ToString());
          // Back off before retrying; Stop cuts the wait short.
          MutexLock l(&stop_mu_);
          const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.heartbeat_ms);
          while (!stop_ && stop_cv_.WaitUntil(until)) {
          }
        }
      }
    } catch (const zmq::error_t& e) {
      if (e.num() != ETERM) spdlog::error("transactor report pump: {}", e.what());
    }
  }

  void PushLive(zmq::socket_t& out, T t, const std::vector<Datom>& datoms) {
    if (t <= pumped_) return;
    Message m;
    m.type = MsgType::kReport;
    m.t = t;
    m.prev_t = pumped_;
    m.payload = EncodeReplicatedTx(t, datoms);
    PushInternal(out, kLive, "", m);
    pumped_ = t;
  }

  // ---- the router thread ------------------------------------------------

  void RouterThread() {
    const auto beat = std::chrono::milliseconds(options_.heartbeat_ms);
    auto next_beat = Clock::now() + beat;
    try {
      while (!stop_) {
        zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                   {results_.handle(), 0, ZMQ_POLLIN, 0},
                                   {zap_.handle(), 0, ZMQ_POLLIN, 0}};
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_beat - Clock::now());
        zmq::poll(items, authorized_.empty() ? 2 : 3,
                  std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(beat)));
        std::vector<zmq::message_t> parts;
        if (!authorized_.empty()) {
          for (int i = 0; i < 64; ++i) {
            parts.clear();
            if (!zmq::recv_multipart(zap_, std::back_inserter(parts), zmq::recv_flags::dontwait)) break;
            OnZapRequest(parts);
          }
        }
        for (int i = 0; i < 512; ++i) {
          parts.clear();
          if (!zmq::recv_multipart(router_, std::back_inserter(parts), zmq::recv_flags::dontwait)) break;
          OnPeerMessage(parts);
        }
        for (int i = 0; i < 4096; ++i) {
          parts.clear();
          if (!zmq::recv_multipart(results_, std::back_inserter(parts), zmq::recv_flags::dontwait)) break;
          OnInternal(parts);
        }
        if (Clock::now() >= next_beat) {
          Tick();
          next_beat = Clock::now() + beat;
        }
      }
    } catch (const zmq::error_t& e) {
      spdlog::error("transactor on {}: socket error: {}", endpoint_, e.what());
    }
    for (auto& [rid, p] : peers_)
      if (p.cancel) *p.cancel = true;
  }

  static Frames ToFrames(std::vector<zmq::message_t>& parts, size_t from) {
    Frames f;
    for (size_t i = from; i < parts.size(); ++i) f.push_back(parts[i].to_string());
    return f;
  }

  enum class Sent { kOk, kFull, kGone };

  Sent SendTo(const std::string& rid, const Message& m) {
    Frames f = Encode(m);
    try {
      if (!router_.send(zmq::buffer(rid), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return Sent::kFull;
      for (size_t i = 0; i < f.size(); ++i) {
        auto flags = i + 1 < f.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        // Once the routing frame is accepted the rest of the message is too.
        (void)router_.send(zmq::buffer(f[i]), flags | zmq::send_flags::dontwait);
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == EHOSTUNREACH) return Sent::kGone;
      throw;
    }
    return Sent::kOk;
  }

  bool Send(PeerState& p, const Message& m) {
    switch (SendTo(p.rid, m)) {
      case Sent::kOk: return true;
      case Sent::kFull: {
        p.stalled = true;
        MutexLock l(&stats_mu_);
        stats_.send_stalls++;
        return false;
      }
      case Sent::kGone: p.gone = true; return false;
    }
    return false;
  }

  // A report for a subscribed peer, within its unread-bytes bound: past
  // it, the subscription is dropped and the peer told to resubscribe.
  bool SendReport(PeerState& p, const Message& m) {
    const size_t bytes = MessageBytes(m);
    if (p.unread_bytes > 0 && p.unread_bytes + bytes > options_.peer_unread_bytes) {
      DropSubscription(p);
      return false;
    }
    if (!Send(p, m)) return false;
    p.unread.emplace_back(m.t, bytes);
    p.unread_bytes += bytes;
    return true;
  }

  void DropSubscription(PeerState& p) {
    if (p.cancel) *p.cancel = true;
    p.subscribed = false;  // a catch-up task still running ends (cancelled) with kCaughtUp
    Message r;
    r.type = MsgType::kResubscribe;
    r.id = p.epoch;
    r.t = p.sent_t;
    (void)SendTo(p.rid, r);  // lost when full: the peer's silence timeout reconnects it
    MutexLock l(&stats_mu_);
    stats_.subscriptions_dropped++;
  }

  // A ZAP request (rfc.zeromq.org/spec/27): version, request id, domain,
  // address, identity, mechanism, then the CURVE client's public key (32
  // bytes). Only an authorised key is admitted.
  void OnZapRequest(std::vector<zmq::message_t>& parts) {
    if (parts.size() < 6) return;  // malformed: libzmq never sends one
    const std::string request_id = parts[1].to_string();
    const std::string address = parts[3].to_string();
    if (parts[5].to_string() != "CURVE" || parts.size() < 7 || parts[6].size() != 32) {
      ZapReply(zap_, request_id, false, "CURVE required");
      return;
    }
    char z85[41];
    if (zmq_z85_encode(z85, parts[6].data<uint8_t>(), 32) == nullptr) {
      ZapReply(zap_, request_id, false, "bad key");
      return;
    }
    const bool ok = authorized_.count(z85) > 0;
    ZapReply(zap_, request_id, ok, ok ? "OK" : "key not authorised");
    if (!ok) {
      spdlog::warn("transactor on {}: refused a peer from {}: its key {} is not authorised", endpoint_, address, z85);
      MutexLock l(&stats_mu_);
      stats_.peers_refused++;
    }
  }

  void SendError(const std::string& rid, MsgType type, uint64_t id, const Status& s) {
    Message m;
    m.type = type;
    m.id = id;
    m.code = s.code();
    m.text = RedactSecrets(s.message());
    (void)SendTo(rid, m);  // best effort: the peer may be gone
  }

  void OnPeerMessage(std::vector<zmq::message_t>& parts) {
    if (parts.size() < 2) return;
    const std::string rid = parts[0].to_string();
    auto decoded = Decode(ToFrames(parts, 1));
    if (!decoded.ok()) {
      SendError(rid, MsgType::kError, 0, decoded.status());
      return;
    }
    const Message& m = *decoded;
    auto it = peers_.find(rid);
    if (m.type == MsgType::kHello) {
      OnHello(rid, m);
      return;
    }
    if (it == peers_.end()) {
      // A peer of an earlier transactor (or one it timed out): nothing it
      // sends is acted on until it says hello.
      if (m.type == MsgType::kTransact) {
        SendError(rid, MsgType::kTxError, m.id,
                  Status::Aborted("not run: the transactor does not know this peer (restarted, or timed it out); "
                                  "the transaction was not committed"));
      } else {
        SendError(rid, MsgType::kError, 0, Status::Aborted("unknown peer: say hello first"));
      }
      return;
    }
    PeerState& p = it->second;
    p.last_seen = Clock::now();
    switch (m.type) {
      case MsgType::kPing:
        Acknowledge(p, m.t);
        PumpPeer(p);
        return;
      case MsgType::kSubscribe: OnSubscribe(p, m); return;
      case MsgType::kTransact: OnTransact(rid, m); return;
      default:
        SendError(rid, MsgType::kError, 0,
                  Status::InvalidArgument(std::string("unexpected ") + MsgTypeName(m.type) + " message from a peer"));
    }
  }

  void OnHello(const std::string& rid, const Message& m) {
    if (m.number != kProtocolVersion) {
      SendError(rid, MsgType::kError, 0,
                Status::InvalidArgument("peer speaks protocol version " + std::to_string(m.number) +
                                        ", this transactor " + std::to_string(kProtocolVersion)));
      return;
    }
    if (auto it = peers_.find(rid); it != peers_.end() && it->second.cancel) *it->second.cancel = true;
    PeerState& p = peers_[rid];
    // The same connection's queued reports are still queued.
    std::deque<std::pair<T, size_t>> unread = std::move(p.unread);
    const uint64_t unread_bytes = p.unread_bytes;
    p = PeerState{};
    p.rid = rid;
    p.unread = std::move(unread);
    p.unread_bytes = unread_bytes;
    p.last_seen = Clock::now();
    Message w;
    w.type = MsgType::kWelcome;
    w.number = kProtocolVersion;
    w.text = location_;
    w.t = head_;
    w.generation = generation_;
    w.id = options_.heartbeat_ms;
    Send(p, w);
    MutexLock l(&stats_mu_);
    stats_.hellos++;
    stats_.peers = peers_.size();
  }

  void OnSubscribe(PeerState& p, const Message& m) {
    if (m.t > head_) {
      const T committed = conn_->db().basis_t();
      if (m.t > committed) {
        SendError(p.rid, MsgType::kError, 0,
                  Status::InvalidArgument("peer's basis-t " + std::to_string(m.t) + " is past the transactor's " +
                                          std::to_string(committed) + " at " + RedactLocation(location_) +
                                          ": another database, or commits lost by a crash under a lax sync policy"));
        return;
      }
    }
    if (p.cancel) *p.cancel = true;  // a running catch-up belongs to the old epoch
    Acknowledge(p, m.t);
    p.subscribed = true;
    p.epoch = m.id;
    p.sent_t = m.t;
    p.stalled = false;
    PumpPeer(p);
  }

  void OnTransact(const std::string& rid, const Message& m) {
    {
      MutexLock l(&stats_mu_);
      stats_.transactions++;
    }
    pool_.Submit([this, rid, id = m.id, edn = m.text](zmq::socket_t& out) {
      auto r = conn_->Transact(std::string_view(edn));
      Message reply;
      reply.id = id;
      if (r.ok()) {
        reply.type = MsgType::kTxOk;
        reply.t = r->t;
        reply.payload = EncodeReplicatedTx(r->t, r->tx_data);
        reply.tempids = r->tempids;
      } else {
        reply.type = MsgType::kTxError;
        reply.code = r.status().code();
        reply.text = RedactSecrets(r.status().message());
      }
      PushInternal(out, kReply, rid, reply);
    });
  }

  void OnInternal(std::vector<zmq::message_t>& parts) {
    if (parts.size() < 2 || parts[0].size() != 1) return;
    const char kind = *parts[0].data<char>();
    const std::string rid = parts[1].to_string();
    auto decoded = Decode(ToFrames(parts, 2));
    if (!decoded.ok()) {
      spdlog::error("transactor: bad internal message: {}", decoded.status().ToString());
      return;
    }
    Message& m = *decoded;
    if (kind == kLive) {
      OnLive(std::move(m));
      return;
    }
    auto it = peers_.find(rid);
    if (kind == kReply) {
      if (it != peers_.end()) Send(it->second, m);
      else (void)SendTo(rid, m);  // timed out meanwhile: try anyway
      return;
    }
    if (it == peers_.end()) return;
    PeerState& p = it->second;
    if (kind == kCatchUp) {
      if (m.id != p.epoch || !p.subscribed || !p.catching_up || m.t <= p.sent_t) return;
      if (m.prev_t > p.sent_t || !SendReport(p, m)) {
        if (p.cancel) *p.cancel = true;
        return;
      }
      p.sent_t = m.t;
      MutexLock l(&stats_mu_);
      stats_.reports_sent++;
      stats_.catchup_reports++;
    } else if (kind == kCaughtUp) {
      p.catching_up = false;
      if (!m.status().ok() && m.code != Code::kAborted) {
        spdlog::error("transactor: catching up a peer from the log: {}", m.status().ToString());
        SendError(p.rid, MsgType::kError, 0, m.status().WithContext("catching up from the log"));
        p.stalled = true;  // retry on the next tick, not in a loop
        return;
      }
      PumpPeer(p);
    }
  }

  void OnLive(Message m) {
    if (m.t <= head_) return;
    head_ = m.t;
    ring_bytes_ += MessageBytes(m);
    ring_.push_back(std::move(m));
    while (ring_.size() > 1 &&
           (ring_.size() > options_.recent_reports || ring_bytes_ > options_.recent_report_bytes)) {
      ring_base_ = ring_.front().t;
      ring_bytes_ -= MessageBytes(ring_.front());
      ring_.pop_front();
    }
    {
      MutexLock l(&stats_mu_);
      stats_.basis_t = head_;
      stats_.ring_bytes = ring_bytes_;
    }
    for (auto& [rid, p] : peers_) PumpPeer(p);
  }

  // Sends the peer what it has not had, from the ring or a catch-up task.
  void PumpPeer(PeerState& p) {
    if (!p.subscribed || p.catching_up || p.stalled || p.gone) return;
    if (p.sent_t >= head_) return;
    if (p.sent_t < ring_base_) {
      StartCatchUp(p);
      return;
    }
    auto it = std::upper_bound(ring_.begin(), ring_.end(), p.sent_t, [](T t, const Message& m) { return t < m.t; });
    uint64_t sent = 0;
    for (; it != ring_.end(); ++it) {
      Message m = *it;
      m.id = p.epoch;
      if (!SendReport(p, m)) break;
      p.sent_t = it->t;
      ++sent;
    }
    MutexLock l(&stats_mu_);
    stats_.reports_sent += sent;
  }

  void StartCatchUp(PeerState& p) {
    p.catching_up = true;
    p.cancel = std::make_shared<std::atomic<bool>>(false);
    {
      MutexLock l(&stats_mu_);
      stats_.catchups++;
    }
    pool_.Submit([this, rid = p.rid, epoch = p.epoch, from = p.sent_t, cancel = p.cancel](zmq::socket_t& out) {
      T last = from;
      Status s = conn_->TxRange(from + 1, std::numeric_limits<T>::max(), [&](T t, const std::vector<Datom>& d) {
        if (*cancel || stop_) return Status::Aborted("catch-up cancelled");
        Message m;
        m.type = MsgType::kReport;
        m.id = epoch;
        m.t = t;
        m.prev_t = last;
        m.payload = EncodeReplicatedTx(t, d);
        PushInternal(out, kCatchUp, rid, m);
        last = t;
        return Status::OK();
      });
      Message done;
      done.type = MsgType::kError;
      done.id = epoch;
      done.t = last;
      done.code = s.code();
      done.text = s.message();
      PushInternal(out, kCaughtUp, rid, done);
    });
  }

  void Tick() {
    generation_ = conn_->stats().jobs;
    const auto now = Clock::now();
    uint64_t timed_out = 0;
    for (auto it = peers_.begin(); it != peers_.end();) {
      PeerState& p = it->second;
      if (p.gone || now - p.last_seen > std::chrono::milliseconds(options_.peer_timeout_ms)) {
        if (p.cancel) *p.cancel = true;
        if (!p.gone) ++timed_out;
        it = peers_.erase(it);
        continue;
      }
      Message hb;
      hb.type = MsgType::kHeartbeat;
      hb.t = head_;
      hb.generation = generation_;
      (void)SendTo(p.rid, hb);  // a full pipe is busy with reports anyway
      p.stalled = false;
      PumpPeer(p);
      ++it;
    }
    MutexLock l(&stats_mu_);
    stats_.peers = peers_.size();
    stats_.peers_timed_out += timed_out;
  }

  Connection* const conn_;
  const TransactorOptions options_;
  zmq::context_t ctx_;
  zmq::socket_t router_;   // the router thread's
  zmq::socket_t results_;  // the router thread's
  zmq::socket_t zap_;      // the router thread's: the ZAP handler (CURVE only)
  std::set<std::string> authorized_;  // Z85 public keys; set before the threads start
  std::string endpoint_, results_endpoint_, location_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false}, stopped_{false};
  WorkerPool pool_;
  std::thread pump_, router_thread_;

  // The pump thread's.
  std::shared_ptr<TxReportQueue> queue_;
  T pumped_ = 0;

  // The router thread's.
  std::map<std::string, PeerState> peers_;
  std::deque<Message> ring_;  // the newest reports, contiguous, ascending t
  T ring_base_ = 0;           // the t just before ring_.front()
  uint64_t ring_bytes_ = 0;   // MessageBytes of the ring
  T head_ = 0;                // the newest t the router has
  uint64_t generation_ = 0;

  mutable Mutex stats_mu_;
  TransactorStats stats_ GUARDED_BY(stats_mu_);
  // Wakes the report pump's back-off when Stop sets stop_ (which is also
  // read without it).
  Mutex stop_mu_;
  CondVar stop_cv_{&stop_mu_};
};

}  // namespace

Result<std::unique_ptr<Transactor>> Transactor::Start(Connection* conn, const TransactorOptions& options) {
  if (conn == nullptr) return Status::InvalidArgument("transactor: no connection");
  auto t = std::make_unique<TransactorImpl>(conn, options);
  STRATA_RETURN_IF_ERROR(t->Init());
  return std::unique_ptr<Transactor>(std::move(t));
}

}  // namespace strata::net
