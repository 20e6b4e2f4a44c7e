// metrics/http_server.h — a small HTTP server (cpp-httplib) for /metrics,
// and for any other page a strata process serves (a console mounts its own
// routes beside /metrics).
//
//   auto addr = ParseHttpAddress("127.0.0.1:9464", /*allow_remote=*/false);
//   HttpServer server;
//   MountMetrics(server.routes(), [&]() -> Result<MetricsSnapshot> { ... });
//   STRATA_RETURN_IF_ERROR(server.Start(*addr));   // port 0 picks a free one
//   ... server.port() ...
//   server.Stop();   // also done by the destructor
//
// Plain HTTP only. Debian's cpp-httplib is built with TLS and compression
// support, and its header must be compiled with the same definitions (the
// pkg-config flags) to match the library; nothing here uses either.
//
// Security: like the transactor's ZeroMQ port (cli/cmd_net.cc), an address
// beyond loopback is refused unless the caller allows it explicitly: the
// metrics name the database's figures to anyone who can reach the port.
//
// Threads: Start runs the accept loop on a thread of its own and requests
// on a small pool; handlers run on those threads, so whatever they read
// must be thread-safe. routes() is for before Start; Stop and the
// destructor join every thread (a handler in flight finishes first).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

#include "metrics/prometheus.h"
#include "strata/status.h"

namespace strata::metrics {

struct HttpAddress {
  std::string host;  // "127.0.0.1", "::1", "localhost", "0.0.0.0"...
  int port = 0;      // 0: a free one, chosen at Start
  std::string ToString() const;  // "127.0.0.1:9464", "[::1]:9464"
};

// "HOST:PORT" ("[::1]:PORT" for IPv6). InvalidArgument (naming `flag` and
// the text) for a malformed address, or one beyond loopback unless
// allow_remote.
Result<HttpAddress> ParseHttpAddress(const std::string& text, bool allow_remote, const std::string& flag = "--metrics");
// 127.0.0.0/8, ::1 or localhost.
bool IsLoopbackHost(const std::string& host);

class HttpServer {
 public:
  HttpServer();
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Where handlers are added, before Start.
  httplib::Server& routes() { return *server_; }
  // Binds the address and serves until Stop. IOError naming the address
  // when it cannot be bound (in use, or no such interface).
  Status Start(const HttpAddress& address);
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  void Stop();  // idempotent

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

// GET /metrics: the snapshot `collect` makes, rendered in the text format;
// 500 with the error's text when collecting or rendering fails. `collect`
// runs on the server's threads.
void MountMetrics(httplib::Server& server, std::function<Result<MetricsSnapshot>()> collect);

}  // namespace strata::metrics
