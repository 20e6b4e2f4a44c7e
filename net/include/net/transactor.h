// net/transactor.h — serves one Connection to peers over ZeroMQ.
//
// The transactor accepts peers on a ROUTER socket: it runs their
// transactions on the connection (several at once, so group commit works)
// and streams every committed transaction to every subscribed peer, in
// commit order, from any basis-t the peer names: first from the log, then
// live. docs/network.md has the protocol.
//
//   auto conn = Connection::Open(location, options);
//   auto server = Transactor::Start(conn->get(), {.listen = "tcp://127.0.0.1:0"});
//   ... (*server)->endpoint() ...
//   (*server)->Stop();   // then close the connection
//
// Threads: one owns the socket, one pumps the connection's tx-report queue,
// `workers` run transactions and catch-ups. The Transactor's methods may be
// called from any thread. The connection must outlive the Transactor (or
// its Stop), and nothing else should close it while the transactor runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"

namespace strata::net {

struct TransactorOptions {
  std::string listen = "tcp://127.0.0.1:0";  // ZeroMQ endpoint; port 0 picks a free one
  std::string location;                // told to peers; empty: the connection's (made absolute)
  int workers = 8;                     // threads running transactions and catch-ups
  uint32_t heartbeat_ms = 200;         // heartbeat to every peer this often
  uint32_t peer_timeout_ms = 3000;     // forget a peer silent this long
  size_t recent_reports = 8192;        // reports kept in memory for peers slightly behind...
  uint64_t recent_report_bytes = 32u << 20;  // ...and at most this many bytes of them (one at least)
  // Report bytes sent to a subscribed peer and not yet acknowledged (a
  // ping's basis-t) before its subscription is dropped: it is told to
  // resubscribe (which it does from its basis-t once it has read what was
  // queued). One report is always allowed, however large.
  uint64_t peer_unread_bytes = 16u << 20;
  int send_hwm = 100000;               // messages queued per peer before sends fail (and wait)
  // CURVE security (net/keys.h). With a secret key the transactor is a
  // CURVE server and admits only peers presenting one of authorized_keys:
  // others can neither transact nor subscribe. Empty: plain TCP, anyone
  // who reaches the port is served (keep it on loopback).
  std::string secret_key;                    // Z85
  std::vector<std::string> authorized_keys;  // Z85 public keys

  // One line for logs and reports; names no key.

  std::string ToString() const;
};

struct TransactorStats {
  uint64_t peers = 0;                 // peers known now
  uint64_t hellos = 0;                // handshakes since start
  uint64_t transactions = 0;          // transactions run for peers (committed or not)
  uint64_t reports_sent = 0;          // report messages sent (live and catch-up)
  uint64_t catchups = 0;              // catch-ups from the log started
  uint64_t catchup_reports = 0;       // of reports_sent, those read from the log
  uint64_t send_stalls = 0;           // sends refused at a peer's high-water mark (retried later)
  uint64_t peers_timed_out = 0;
  uint64_t peers_refused = 0;         // handshakes refused: a key not authorised (CURVE)
  uint64_t subscriptions_dropped = 0; // peers past peer_unread_bytes, told to resubscribe
  uint64_t ring_bytes = 0;            // bytes of the recent reports kept now
  T basis_t = 0;                      // the newest t streamed
};

class Transactor {
 public:
  // Binds options.listen and starts serving `conn`.
  static Result<std::unique_ptr<Transactor>> Start(Connection* conn, const TransactorOptions& options = {});
  virtual ~Transactor() = default;

  // The bound endpoint, with the real port ("tcp://127.0.0.1:40123").
  virtual const std::string& endpoint() const = 0;
  virtual uint16_t port() const = 0;
  // Stops serving, in bounded time whatever the state: closes the socket
  // and joins the threads. A transaction already written to the log still
  // commits; one waiting for memory-index room (or not started) fails with
  // Aborted "transactor stopping" and is not committed (Connection::
  // RefuseWrites). Its peer gets no reply and reports the outcome as
  // unknown. Idempotent.
  virtual void Stop() = 0;
  virtual TransactorStats stats() const = 0;
};

}  // namespace strata::net
