// strata/replica.h — a read-only copy of a database that follows the
// transactor: what a peer process holds.
//
// A Replica reads the durable index (root and segments) straight from the
// database's storage, and keeps its own memory index of the transactions
// given to it by Apply — in a peer, the transactions the transactor streams
// (net/peer.h). It never writes to storage and never reads the log.
//
//   auto r = Replica::Open("postgres://...?strata_db=music");
//   // stream transactions with t > r->basis_t() into r->Apply(...)
//   // after the transactor reports a new index root: r->RefreshRoot()
//
// Thread safety: db(), basis_t() and the Database values they return may be
// used from any thread; Apply and RefreshRoot from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/database.h"
#include "strata/env.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

struct ReplicaOptions {
  Env* env = nullptr;                         // folder locations; null: Env::Default()
  uint64_t segment_cache_bytes = 256u << 20;  // decoded leaves kept in memory
};

class Replica {
 public:
  // Opens the database at `location` (a folder or a PostgreSQL URI) for
  // reading: loads its newest root. NotFound when no database is there.
  static Result<std::unique_ptr<Replica>> Open(const std::string& location, const ReplicaOptions& options = {});
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  Database db() const;
  T basis_t() const;       // the last transaction applied (or indexed)
  T root_basis_t() const;  // the last transaction the loaded root covers

  // Applies committed transaction t, whose datoms are the log's (a tx
  // report's tx_data). A t at or below basis_t() is a duplicate and is
  // ignored (the report has t == 0). Returns the report a local
  // subscriber sees (no tempids: those belong to the submitter).
  Result<TxReport> Apply(T t, const std::vector<Datom>& datoms);

  // Re-reads the root from storage. When it is newer than the loaded one,
  // reads switch to it and the novelty it covers is dropped; true then.
  Result<bool> RefreshRoot();

  size_t novelty_transactions() const;  // applied and not yet in the root
  const std::string& location() const;

 private:
  Replica();
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// ---- the replication stream -----------------------------------------------
//
// How a committed transaction travels from the transactor to replicas
// (net/: the payload of a report message). The bytes are the engine's to
// define: senders and receivers use only these two functions and never
// look inside. Today they are a log record's payload (docs/formats.md,
// "Log"); decoding checks every byte and returns Corruption on malformed
// input, so a replica never applies a half-understood transaction.

// Encodes transaction t and its datoms (a tx report's tx_data).
std::string EncodeReplicatedTx(T t, const std::vector<Datom>& datoms);
// Decodes bytes made by EncodeReplicatedTx into *t and *datoms (replaced).
Status DecodeReplicatedTx(std::string_view bytes, T* t, std::vector<Datom>* datoms);

}  // namespace strata
