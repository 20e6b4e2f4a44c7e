// The console's two sources: a connection and a peer.
#include "console/source.h"

#include "strata/location.h"

namespace strata::console {

namespace {

class ConnSource final : public Source {
 public:
  explicit ConnSource(Connection* conn) : conn_(conn) {}
  Database db() const override { return conn_->db(); }
  std::shared_ptr<TxReportQueue> Subscribe() override { return conn_->Subscribe(); }
  Result<TxReport> Transact(std::string_view edn) override {
    if (!writable()) return Status::InvalidArgument("the console is read-only: start it with --writable to transact");
    return conn_->Transact(edn);
  }
  Status TxRange(T start, T end, const std::function<Status(T, const std::vector<Datom>&)>& fn) const override {
    return conn_->TxRange(start, end, fn);
  }
  const Connection* log_connection() const override { return conn_; }
  std::vector<JobMetrics> Jobs() const override { return conn_->Jobs(); }
  bool writable() const override { return !conn_->options().read_only; }
  std::string kind() const override { return "local"; }
  std::string location() const override { return RedactLocation(conn_->dir()); }
  std::string verifiable_dir() const override { return conn_->dir(); }

 private:
  Connection* conn_;
};

class PeerSrc final : public Source {
 public:
  PeerSrc(net::Peer* peer, std::string endpoint, bool writable)
      : peer_(peer), endpoint_(std::move(endpoint)), writable_(writable) {}
  Database db() const override { return peer_->db(); }
  std::shared_ptr<TxReportQueue> Subscribe() override { return peer_->Subscribe(); }
  Result<TxReport> Transact(std::string_view edn) override {
    if (!writable_) return Status::InvalidArgument("the console is read-only: start it with --writable to transact");
    return peer_->Transact(edn);
  }
  Status TxRange(T, T, const std::function<Status(T, const std::vector<Datom>&)>&) const override {
    return Status::InvalidArgument("the log is the transactor's: a console running as a peer reads no log "
                                   "(open the database with --db to read it)");
  }
  const Connection* log_connection() const override { return nullptr; }
  std::vector<JobMetrics> Jobs() const override { return {}; }
  bool writable() const override { return writable_; }
  std::string kind() const override { return "peer of " + endpoint_; }
  std::string location() const override { return RedactLocation(peer_->location()); }
  std::string verifiable_dir() const override { return ""; }

 private:
  net::Peer* peer_;
  std::string endpoint_;
  bool writable_;
};

}  // namespace

std::unique_ptr<Source> ConnectionSource(Connection* conn) { return std::make_unique<ConnSource>(conn); }
std::unique_ptr<Source> PeerSource(net::Peer* peer, std::string endpoint, bool writable) {
  return std::make_unique<PeerSrc>(peer, std::move(endpoint), writable);
}

}  // namespace strata::console
