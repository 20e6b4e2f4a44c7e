// console/source.h — what the console reads: a database the process holds
// (a Connection, read-only or the writer) or a peer of a transactor.
//
// The HTTP handlers see only this interface, so every page works the same
// over both; what a kind cannot do (a peer reads no log, a read-only
// connection takes no transaction) is an InvalidArgument naming why.
//
// Thread safety: every method may be called from any thread; the
// Connection or Peer must outlive the Source.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/peer.h"
#include "strata/connection.h"
#include "strata/database.h"
#include "strata/indexing.h"

namespace strata::console {

class Source {
 public:
  virtual ~Source() = default;
  virtual Database db() const = 0;
  // Every transaction committed from now on, in t order.
  virtual std::shared_ptr<TxReportQueue> Subscribe() = 0;
  // Commits tx data (EDN text); InvalidArgument when this source is read-only.
  virtual Result<TxReport> Transact(std::string_view edn) = 0;
  // The log, start <= t < end; InvalidArgument where there is none to read.
  virtual Status TxRange(T start, T end, const std::function<Status(T, const std::vector<Datom>&)>& fn) const = 0;
  // The connection whose log a query's `log` input reads; null for a peer.
  virtual const Connection* log_connection() const = 0;
  // Indexing jobs run by this process since it opened the database.
  virtual std::vector<JobMetrics> Jobs() const = 0;
  virtual bool writable() const = 0;
  // "local" or "peer of HOST:PORT"; and the location.
  virtual std::string kind() const = 0;
  virtual std::string location() const = 0;
  // A folder location that Verify can read; empty when there is none.
  virtual std::string verifiable_dir() const = 0;
};

// Over a connection this process opened (read-only or the writer).
std::unique_ptr<Source> ConnectionSource(Connection* conn);
// Over a peer of a transactor: writes go through the transactor when
// `writable`; there is no log.
std::unique_ptr<Source> PeerSource(net::Peer* peer, std::string endpoint, bool writable);

}  // namespace strata::console
