// net/peer.h: the peer's I/O thread, its replica and the waiting callers.
//
// The I/O thread owns the DEALER socket and the replica's write side
// (Apply, RefreshRoot). Callers hand it transactions through an inproc
// PUSH socket (guarded by send_mu_) carrying only a request id; the
// request itself waits in pending_ until the thread sends it, and its
// caller waits on cv_ for the reply.
#include "net/peer.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "net/protocol.h"
#include "strata/replica.h"
#include "strata/connection.h"
#include "strata/mutex.h"
#include "strata/tx_report_queue.h"

namespace strata::net {

std::string PeerOptions::ToString() const {
  return "connect_timeout_ms=" + std::to_string(connect_timeout_ms) + " heartbeat_ms=" + std::to_string(heartbeat_ms) +
         " silence_timeout_ms=" + std::to_string(silence_timeout_ms) + " backoff_max_ms=" +
         std::to_string(backoff_max_ms) + " transact_timeout_ms=" + std::to_string(transact_timeout_ms) +
         " curve=" + (server_public_key.empty() ? "off" : "on");
}

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct PendingTx {
  std::string edn;
  bool sent = false;
  bool done = false;
  Result<TxReport> result = Status::Aborted("pending");
};

class PeerImpl final : public Peer {
 public:
  PeerImpl(std::string endpoint, PeerOptions options)
      : endpoint_(std::move(endpoint)), options_(std::move(options)), cmd_push_(ctx_, zmq::socket_type::push),
        cmd_pull_(ctx_, zmq::socket_type::pull) {}
  ~PeerImpl() override { Close(); }

  Status Start() {
    const std::string cmd = "inproc://strata-peer-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    cmd_pull_.set(zmq::sockopt::linger, 0);
    cmd_pull_.bind(cmd);
    {
      MutexLock l(&send_mu_);
      cmd_push_.set(zmq::sockopt::linger, 0);
      cmd_push_.connect(cmd);
    }
    io_ = std::thread([this] { IoThread(); });
    const auto deadline = Clock::now() + milliseconds(options_.connect_timeout_ms);
    MutexLock l(&mu_);
    while (!((replica_ && connected_) || !connect_status_.ok()) && cv_.WaitUntil(deadline)) {
    }
    const bool answered = (replica_ && connected_) || !connect_status_.ok();
    if (!connect_status_.ok()) return connect_status_;
    if (!answered) {
      return Status::IOError("no transactor answered at " + endpoint_ + " within " +
                             std::to_string(options_.connect_timeout_ms) + " ms");
    }
    return Status::OK();
  }

  Result<TxReport> Transact(std::string_view edn) override {
    auto p = std::make_shared<PendingTx>();
    p->edn = std::string(edn);
    const uint64_t id = next_id_++;
    const auto deadline = Clock::now() + milliseconds(options_.transact_timeout_ms);
    {
      MutexLock l(&mu_);
      if (closed_) return Status::Aborted("peer of " + endpoint_ + " is closed");
      pending_[id] = p;
      stats_.transactions++;
    }
    Command("T", id);
    {
      MutexLock l(&mu_);
      while (!p->done && cv_.WaitUntil(deadline)) {
      }
      if (!p->done) {
        pending_.erase(id);
        if (p->sent) {
          return Status::Aborted("no reply from the transactor at " + endpoint_ + " within " +
                                 std::to_string(options_.transact_timeout_ms) +
                                 " ms: the transaction's outcome is unknown");
        }
        return Status::Busy("not sent: no transactor at " + endpoint_ + " within " +
                            std::to_string(options_.transact_timeout_ms) + " ms; the transaction was not committed");
      }
    }
    if (!p->result.ok()) return p->result.status();
    TxReport report = std::move(*p->result);
    const int left = static_cast<int>(
        std::max<int64_t>(0, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count()));
    if (auto db = Sync(report.t, left); db.ok()) {
      report.db_after = db->AsOf(report.t);
      report.db_before = db->AsOf(report.t - 1);
    }
    return report;
  }

  Database db() const override {
    MutexLock l(&mu_);
    return replica_ ? replica_->db() : Database();
  }

  Result<Database> Sync(T t, int timeout_ms) override {
    const auto deadline = Clock::now() + milliseconds(std::max(timeout_ms, 0));
    MutexLock l(&mu_);
    while (!(replica_ && replica_->basis_t() >= t) && !closed_ && cv_.WaitUntil(deadline)) {
    }
    if (!(replica_ && replica_->basis_t() >= t)) {
      const T at = replica_ ? replica_->basis_t() : 0;
      return Status::Busy("sync: basis-t " + std::to_string(t) + " not reached within " + std::to_string(timeout_ms) +
                          " ms (this peer is at " + std::to_string(at) + ", the transactor at " +
                          std::to_string(stats_.transactor_basis_t) + ")" +
                          (stream_status_.ok() ? "" : "; stream stopped: " + stream_status_.ToString()));
    }
    return replica_->db();
  }

  std::shared_ptr<TxReportQueue> Subscribe() override {
    auto q = NewReportQueue();
    MutexLock l(&mu_);
    if (closed_) q->Close(Status::Aborted("peer closed"));
    else subscribers_.push_back(q);
    return q;
  }

  Status stream_status() const override {
    MutexLock l(&mu_);
    return stream_status_;
  }

  PeerStats stats() const override {
    MutexLock l(&mu_);
    PeerStats s = stats_;
    s.basis_t = replica_ ? replica_->basis_t() : 0;
    s.connected = connected_;
    return s;
  }

  const std::string& location() const override { return location_; }

  void Close() override {
    {
      MutexLock l(&mu_);
      if (closed_) return;
      closed_ = true;
    }
    stop_ = true;
    if (io_.joinable()) io_.join();
    MutexLock l(&mu_);
    for (auto& [id, p] : pending_) {
      if (p->done) continue;
      p->done = true;
      p->result = p->sent ? Status::Aborted("peer closed before the reply came: the transaction's outcome is unknown")
                          : Status::Aborted("peer closed before the transaction was sent; not committed");
    }
    pending_.clear();
    for (auto& w : subscribers_)
      if (auto q = w.lock()) q->Close(Status::Aborted("peer closed"));
    subscribers_.clear();
    cv_.SignalAll();
    MutexLock s(&send_mu_);
    cmd_push_.close();
    cmd_pull_.close();
  }

 private:
  enum class State { kHandshaking, kReady };

  void Command(const char* kind, uint64_t id) {
    MutexLock l(&send_mu_);
    if (stop_) return;
    std::string body(kind);
    body.append(reinterpret_cast<const char*>(&id), sizeof id);
    (void)cmd_push_.send(zmq::buffer(body), zmq::send_flags::none);
  }

  // ---- the I/O thread -----------------------------------------------------

  void IoThread() {
    try {
      NewSocket();
      while (!stop_) {
        zmq::pollitem_t items[] = {{dealer_->handle(), 0, ZMQ_POLLIN, 0},
                                   {cmd_pull_.handle(), 0, ZMQ_POLLIN, 0},
                                   {monitor_->handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 3, milliseconds(20));
        std::vector<zmq::message_t> parts;
        for (int i = 0; i < 16; ++i) {
          parts.clear();
          if (!zmq::recv_multipart(*monitor_, std::back_inserter(parts), zmq::recv_flags::dontwait)) break;
          OnMonitorEvent(parts);
        }
        for (int i = 0; i < 1024 && !stop_; ++i) {
          parts.clear();
          if (!zmq::recv_multipart(*dealer_, std::back_inserter(parts), zmq::recv_flags::dontwait)) break;
          last_heard_ = Clock::now();
          Frames f;
          for (auto& m : parts) f.push_back(m.to_string());
          auto msg = Decode(f);
          if (!msg.ok()) {
            spdlog::error("peer of {}: {}", endpoint_, msg.status().ToString());
            continue;
          }
          OnMessage(*msg);
          // Applying a large report takes time of our own, not silence of
          // the transactor's: the silence clock starts after it.
          last_heard_ = Clock::now();
        }
        // Acknowledge what was read without waiting for the heartbeat: the
        // transactor keeps at most peer_unread_bytes unacknowledged.
        if (state_ == State::kReady && unacked_bytes_ >= kAckBytes) SendPing();
        zmq::message_t cmd;
        while (cmd_pull_.recv(cmd, zmq::recv_flags::dontwait)) {
          if (cmd.size() == 1 + sizeof(uint64_t)) {
            uint64_t id;
            std::memcpy(&id, cmd.data<char>() + 1, sizeof id);
            unsent_.push_back(id);
          }
        }
        if (state_ == State::kReady) SendUnsent();
        Tick();
      }
    } catch (const zmq::error_t& e) {
      SetStreamError(Status::IOError("peer of " + endpoint_ + ": socket error: " + e.what()));
    }
    monitor_.reset();
    dealer_.reset();
  }

  // A handshake refused: by the transactor's ZAP handler (our key is not
  // authorised), or for a mechanism mismatch (one side has keys, the other
  // not). Connect reports it at once rather than timing out.
  void OnMonitorEvent(std::vector<zmq::message_t>& parts) {
    if (parts.empty() || parts[0].size() < 2) return;
    uint16_t event = 0;
    std::memcpy(&event, parts[0].data(), sizeof event);
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      SetStreamError(Status::InvalidArgument("the transactor at " + endpoint_ +
                                             " refused this peer: its key is not authorised there"));
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
      SetStreamError(Status::InvalidArgument(
          "handshake with the transactor at " + endpoint_ + " failed: " +
          (options_.server_public_key.empty() ? "it may require CURVE keys (--client-key, --server-public-key)"
                                              : "a wrong server public key, or it runs without keys")));
    }
  }

  void NewSocket() {
    monitor_.reset();
    dealer_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
    dealer_->set(zmq::sockopt::linger, 0);
    dealer_->set(zmq::sockopt::maxmsgsize, kMaxFrameBytes);
    if (!options_.server_public_key.empty()) {
      dealer_->set(zmq::sockopt::curve_serverkey, options_.server_public_key);
      dealer_->set(zmq::sockopt::curve_publickey, options_.client_public_key);
      dealer_->set(zmq::sockopt::curve_secretkey, options_.client_secret_key);
    }
    const std::string mon = "inproc://strata-peer-monitor-" + std::to_string(reinterpret_cast<uintptr_t>(this)) +
                            "-" + std::to_string(sockets_++);
    if (zmq_socket_monitor(dealer_->handle(), mon.c_str(),
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
      throw zmq::error_t();
    monitor_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::pair);
    monitor_->set(zmq::sockopt::linger, 0);
    monitor_->connect(mon);
    dealer_->set(zmq::sockopt::rcvhwm, 100000);
    dealer_->set(zmq::sockopt::sndhwm, 100000);
    dealer_->set(zmq::sockopt::reconnect_ivl, 100);
    dealer_->set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(options_.backoff_max_ms));
    dealer_->connect(endpoint_);
    Message hello;
    hello.type = MsgType::kHello;
    hello.number = kProtocolVersion;
    SendMsg(hello);
    state_ = State::kHandshaking;
    hello_at_ = Clock::now();
  }

  bool SendMsg(const Message& m) {
    Frames f = Encode(m);
    for (size_t i = 0; i < f.size(); ++i) {
      auto flags = (i + 1 < f.size() ? zmq::send_flags::sndmore : zmq::send_flags::none) | zmq::send_flags::dontwait;
      if (!dealer_->send(zmq::buffer(f[i]), flags)) return false;  // only the first frame can be refused
    }
    return true;
  }

  // Drops the session: replies still owed are reported as unknown outcomes,
  // and a new socket says hello.
  void Reconnect(const std::string& why) {
    {
      MutexLock l(&mu_);
      const T at = replica_ ? replica_->basis_t() : 0;
      for (auto& [id, p] : pending_) {
        if (!p->sent || p->done) continue;
        p->done = true;
        p->result = Status::Aborted("the connection to the transactor at " + endpoint_ + " was lost (" + why +
                                    ") after the transaction was sent: its outcome is unknown (look for it after "
                                    "basis-t " + std::to_string(at) + ")");
      }
      for (auto it = pending_.begin(); it != pending_.end();) it = it->second->done ? pending_.erase(it) : std::next(it);
      connected_ = false;
      stats_.reconnects++;
    }
    cv_.SignalAll();
    spdlog::debug("peer of {}: reconnecting: {}", endpoint_, why);
    NewSocket();
  }

  void Tick() {
    const auto now = Clock::now();
    if (state_ == State::kHandshaking) {
      if (now - hello_at_ > milliseconds(backoff_ms_)) {
        backoff_ms_ = std::min(backoff_ms_ * 2, options_.backoff_max_ms);
        Reconnect("no answer to hello");
      }
      return;
    }
    if (now - last_heard_ > milliseconds(options_.silence_timeout_ms)) {
      Reconnect("no message for " + std::to_string(options_.silence_timeout_ms) + " ms");
      return;
    }
    if (now - last_ping_ >= milliseconds(options_.heartbeat_ms)) {
      SendPing();
      if (resubscribe_) SendSubscribe();
      if (root_dirty_) RefreshRoot();
    }
  }

  // Liveness, and the acknowledgement of every report up to our basis-t.
  void SendPing() {
    Message ping;
    ping.type = MsgType::kPing;
    ping.t = replica_ ? replica_->basis_t() : 0;
    if (SendMsg(ping)) unacked_bytes_ = 0;
    last_ping_ = Clock::now();
  }

  void SendUnsent() {
    while (!unsent_.empty()) {
      const uint64_t id = unsent_.front();
      std::shared_ptr<PendingTx> p;
      {
        MutexLock l(&mu_);
        auto it = pending_.find(id);
        if (it != pending_.end()) p = it->second;
      }
      if (p) {
        Message m;
        m.type = MsgType::kTransact;
        m.id = id;
        m.text = p->edn;
        if (!SendMsg(m)) return;  // full: try again on the next turn
        MutexLock l(&mu_);
        p->sent = true;
      }
      unsent_.pop_front();
    }
  }

  void SendSubscribe() {
    Message s;
    s.type = MsgType::kSubscribe;
    s.id = ++epoch_;
    s.t = replica_->basis_t();
    unacked_bytes_ = 0;  // a subscription acknowledges its basis-t too
    if (!SendMsg(s)) {
      resubscribe_ = true;
      return;
    }
    resubscribe_ = false;
    MutexLock l(&mu_);
    stats_.subscriptions++;
  }

  void RefreshRoot() {
    auto r = replica_->RefreshRoot();
    if (!r.ok()) {
      spdlog::warn("peer of {}: reading the new index root: {}", endpoint_, r.status().ToString());
      return;
    }
    if (*r) {
      MutexLock l(&mu_);
      stats_.root_refreshes++;
    }
    // Taken, or nothing newer once caught up with the announcement.
    if (*r || replica_->basis_t() >= root_announced_t_) root_dirty_ = false;
  }

  void OnMessage(const Message& m) {
    switch (m.type) {
      case MsgType::kWelcome: OnWelcome(m); return;
      case MsgType::kReport: OnReport(m); return;
      case MsgType::kHeartbeat: {
        {
          MutexLock l(&mu_);
          stats_.transactor_basis_t = std::max(stats_.transactor_basis_t, m.t);
        }
        if (m.generation != generation_) {
          generation_ = m.generation;
          root_dirty_ = true;
          root_announced_t_ = m.t;
        }
        return;
      }
      case MsgType::kTxOk:
      case MsgType::kTxError: OnReply(m); return;
      case MsgType::kResubscribe: {
        // We fell too far behind: what was queued for us has now been read
        // (this message came after it); carry on from our basis-t.
        if (m.id != epoch_ || state_ != State::kReady) return;
        {
          MutexLock l(&mu_);
          stats_.dropped++;
        }
        SendSubscribe();
        return;
      }
      case MsgType::kError: {
        if (m.code == Code::kAborted) {  // the transactor forgot this session
          Reconnect(m.text);
          return;
        }
        SetStreamError(m.status().WithContext("transactor at " + endpoint_));
        return;
      }
      default:
        spdlog::warn("peer of {}: unexpected {} message", endpoint_, MsgTypeName(m.type));
    }
  }

  void OnWelcome(const Message& m) {
    if (state_ != State::kHandshaking) return;
    if (m.number != kProtocolVersion) {
      SetStreamError(Status::InvalidArgument("transactor at " + endpoint_ + " speaks protocol version " +
                                             std::to_string(m.number) + ", this peer " +
                                             std::to_string(kProtocolVersion)));
      return;
    }
    if (!replica_) {
      auto r = Replica::Open(m.text, options_.replica);
      if (!r.ok()) {
        SetStreamError(r.status().WithContext("peer of " + endpoint_ + ": opening the database at " + m.text));
        return;
      }
      MutexLock l(&mu_);
      location_ = m.text;
      replica_ = std::move(*r);
    } else if (m.text != location_) {
      SetStreamError(Status::InvalidArgument("the transactor at " + endpoint_ + " now serves " + m.text +
                                             ", this peer follows " + location_));
      return;
    } else {
      RefreshRoot();  // the transactor may have indexed while we were away
    }
    state_ = State::kReady;
    backoff_ms_ = options_.heartbeat_ms;
    generation_ = m.generation;
    root_announced_t_ = m.t;
    root_dirty_ = true;
    last_ping_ = Clock::now();
    SendSubscribe();
    {
      MutexLock l(&mu_);
      connected_ = true;
      stats_.transactor_basis_t = m.t;
    }
    cv_.SignalAll();
    SendUnsent();
  }

  void OnReport(const Message& m) {
    if (m.id != epoch_ || state_ != State::kReady) return;  // an older subscription's
    const T basis = replica_->basis_t();
    if (m.t <= basis) {
      MutexLock l(&mu_);
      stats_.duplicates++;
      return;
    }
    if (m.prev_t > basis) {  // something between basis and t never came
      {
        MutexLock l(&mu_);
        stats_.gaps++;
      }
      SendSubscribe();
      return;
    }
    T t = 0;
    std::vector<Datom> datoms;
    unacked_bytes_ += m.payload.size();
    Status s = DecodeReplicatedTx(m.payload, &t, &datoms);
    if (s.ok() && t != m.t) s = Status::Corruption("report for t=" + std::to_string(m.t) + " holds t=" + std::to_string(t));
    Result<TxReport> r = s.ok() ? replica_->Apply(t, datoms) : Result<TxReport>(s);
    if (!r.ok()) {
      SetStreamError(r.status().WithContext("peer of " + endpoint_ + ": applying t=" + std::to_string(m.t)));
      resubscribe_ = true;  // try again on the next heartbeat
      return;
    }
    {
      MutexLock l(&mu_);
      stats_.reports++;
      for (auto it = subscribers_.begin(); it != subscribers_.end();) {
        if (auto q = it->lock()) {
          q->Push(*r);
          ++it;
        } else {
          it = subscribers_.erase(it);
        }
      }
    }
    cv_.SignalAll();
  }

  void OnReply(const Message& m) {
    MutexLock l(&mu_);
    auto it = pending_.find(m.id);
    if (it == pending_.end()) return;  // the caller gave up
    PendingTx& p = *it->second;
    if (m.type == MsgType::kTxError) {
      p.result = m.status();
    } else {
      TxReport r;
      T t = 0;
      Status s = DecodeReplicatedTx(m.payload, &t, &r.tx_data);
      if (s.ok()) {
        r.t = m.t;
        r.tx = TxId(m.t);
        r.tempids = m.tempids;
        p.result = std::move(r);
      } else {
        p.result = s.WithContext("committed at t=" + std::to_string(m.t) + " but the reply was unreadable");
      }
    }
    p.done = true;
    pending_.erase(it);
    cv_.SignalAll();
  }

  void SetStreamError(Status s) {
    {
      MutexLock l(&mu_);
      // Before the replica opens, Connect returns the error: no log line.
      if (replica_) spdlog::error("{}", s.ToString());
      stream_status_ = s;
      if (!replica_) connect_status_ = s;
    }
    cv_.SignalAll();
  }

  const std::string endpoint_;
  const PeerOptions options_;
  zmq::context_t ctx_;
  Mutex send_mu_;
  zmq::socket_t cmd_push_ GUARDED_BY(send_mu_);  // callers'
  zmq::socket_t cmd_pull_;  // the I/O thread's
  std::thread io_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_id_{1};
  std::string location_;  // set once, before connected_

  // The I/O thread's.
  std::unique_ptr<zmq::socket_t> dealer_;
  std::unique_ptr<zmq::socket_t> monitor_;  // the dealer's handshake failures
  uint64_t sockets_ = 0;                    // dealers made, naming their monitors
  uint64_t unacked_bytes_ = 0;              // report bytes read since the last ping
  static constexpr uint64_t kAckBytes = 1u << 20;
  State state_ = State::kHandshaking;
  Clock::time_point hello_at_, last_heard_, last_ping_;
  uint32_t backoff_ms_ = 200;
  uint64_t epoch_ = 0;
  uint64_t generation_ = 0;
  bool root_dirty_ = false, resubscribe_ = false;
  T root_announced_t_ = 0;
  std::deque<uint64_t> unsent_;

  mutable Mutex mu_;
  CondVar cv_{&mu_};  // connected, a reply or a new basis-t arrived, or closed
  std::unique_ptr<Replica> replica_;  // set once under mu_, then read freely
  bool connected_ GUARDED_BY(mu_) = false, closed_ GUARDED_BY(mu_) = false;
  Status connect_status_ GUARDED_BY(mu_), stream_status_ GUARDED_BY(mu_);
  std::map<uint64_t, std::shared_ptr<PendingTx>> pending_ GUARDED_BY(mu_);
  std::vector<std::weak_ptr<ReportQueue>> subscribers_ GUARDED_BY(mu_);
  PeerStats stats_ GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<Peer>> Peer::Connect(const std::string& endpoint, const PeerOptions& options) {
  STRATA_ASSIGN_OR_RETURN(std::string ep, TcpEndpoint(endpoint));
  auto p = std::make_unique<PeerImpl>(ep, options);
  try {
    STRATA_RETURN_IF_ERROR(p->Start());
  } catch (const zmq::error_t& e) {
    return Status::IOError("peer of " + ep + ": " + e.what());
  }
  return std::unique_ptr<Peer>(std::move(p));
}

}  // namespace strata::net
