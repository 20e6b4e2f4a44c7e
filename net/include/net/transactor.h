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

#include "strata/database.h"
#include "strata/connection.h"

namespace strata::net {

struct TransactorOptions {
  std::string listen = "tcp://127.0.0.1:0";  // ZeroMQ endpoint; port 0 picks a free one
  std::string location;                // told to peers; empty: the connection's (made absolute)
  int workers = 8;                     // threads running transactions and catch-ups
  uint32_t heartbeat_ms = 200;         // heartbeat to every peer this often
  uint32_t peer_timeout_ms = 3000;     // forget a peer silent this long
  size_t recent_reports = 8192;        // reports kept in memory for peers slightly behind
  int send_hwm = 100000;               // messages queued per peer before sends fail (and wait)

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
  // Stops serving: closes the socket and joins the threads. A transaction
  // running now still commits; its peer gets no reply and reports the
  // outcome as unknown. Idempotent.
  virtual void Stop() = 0;
  virtual TransactorStats stats() const = 0;
};

}  // namespace strata::net
