// net/peer.h — a peer: a process that reads a database locally and writes
// through its transactor.
//
// A Peer connects to a transactor (net/transactor.h), opens a Replica on
// the database's storage (the location the transactor names), and follows
// the transactor's stream of committed transactions into the replica's
// memory index, in t order, without gaps: after a disconnect or a
// transactor restart it reconnects with back-off and resubscribes from its
// own basis-t, so it misses nothing. Reads (db, Sync) never go through the
// transactor.
//
//   auto peer = Peer::Connect("tcp://127.0.0.1:4334");
//   auto r = (*peer)->Transact("[{:db/id \"x\" :k/id 1}]");  // r->t
//   Database db = *(*peer)->Sync(r->t);   // sees the transaction
//
// Thread safety: every method may be called from any thread. One internal
// thread owns the socket and applies the stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/replica.h"

namespace strata::net {

struct PeerOptions {
  uint32_t connect_timeout_ms = 5000;     // Connect: wait this long for the first handshake
  uint32_t heartbeat_ms = 200;            // ping the transactor this often
  uint32_t silence_timeout_ms = 2000;     // no message from the transactor this long: reconnect
  uint32_t backoff_max_ms = 2000;         // longest wait between handshake attempts
  uint32_t transact_timeout_ms = 30000;   // Transact: longest wait for the reply
  ReplicaOptions replica;                 // the local replica's options
  // CURVE security (net/keys.h), for a transactor started with keys: its
  // public key, and this peer's key pair (the public one must be among the
  // transactor's authorised keys). All Z85; empty: plain TCP.
  std::string server_public_key;
  std::string client_public_key;
  std::string client_secret_key;

  std::string ToString() const;
};

struct PeerStats {
  uint64_t reports = 0;         // transactions applied from the stream
  uint64_t duplicates = 0;      // reports at or below the basis, ignored
  uint64_t gaps = 0;            // reports past a gap: each one resubscribed
  uint64_t subscriptions = 0;   // subscribe messages sent (1 + gaps + reconnects)
  uint64_t reconnects = 0;      // new sockets after silence or a refused session
  uint64_t dropped = 0;         // subscriptions the transactor dropped (we fell behind): resubscribed
  uint64_t root_refreshes = 0;  // newer index roots taken from storage
  uint64_t transactions = 0;    // transactions submitted
  T basis_t = 0;                // the replica's basis-t
  T transactor_basis_t = 0;     // the last basis-t the transactor announced
  bool connected = false;       // handshake done, not silent
};

class Peer {
 public:
  // Connects to the transactor at `endpoint` ("tcp://HOST:PORT" or
  // "HOST:PORT") and opens the replica. Fails when no transactor answered
  // within connect_timeout_ms, when it refused this peer's key (or its lack
  // of one), or when the location it names cannot be opened. The location
  // carries no password: a PostgreSQL one is opened with this process's
  // own credentials (PGPASSWORD, ~/.pgpass).
  static Result<std::unique_ptr<Peer>> Connect(const std::string& endpoint, const PeerOptions& options = {});
  virtual ~Peer() = default;

  // Submits a transaction (EDN) and waits for its outcome. On success the
  // report has t, tx, tempids and tx_data, and db_before/db_after are this
  // peer's views as of t-1 and t (empty values if the stream did not bring
  // t within transact_timeout_ms). Errors are the transactor's (same code
  // and message), or Aborted when the outcome is unknown (the connection
  // was lost after the transaction was sent), or Busy when it was never
  // sent (no transactor within the timeout).
  virtual Result<TxReport> Transact(std::string_view edn) = 0;

  // The newest local database value. Right after Connect the replica may
  // still be catching up: Sync(stats().transactor_basis_t) waits for
  // everything committed when the peer connected.
  virtual Database db() const = 0;
  // Waits until the local basis-t reaches t; Busy after timeout_ms.
  virtual Result<Database> Sync(T t, int timeout_ms = 10000) = 0;
  // A queue of every transaction applied from now on, in t order (SPEC §5):
  // db_before, db_after, tx_data, t (no tempids: those are the submitter's).
  virtual std::shared_ptr<TxReportQueue> Subscribe() = 0;

  // OK, or the error that stopped the stream (e.g. the transactor's
  // database is behind this peer's basis).
  virtual Status stream_status() const = 0;
  virtual PeerStats stats() const = 0;
  virtual const std::string& location() const = 0;  // the database's storage
  // Disconnects and stops the thread; later calls fail. Idempotent.
  virtual void Close() = 0;
};

}  // namespace strata::net
