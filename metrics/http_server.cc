// The HTTP server behind /metrics (metrics/http_server.h).
#include "metrics/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdlib>

namespace strata::metrics {

namespace {

// Requests run on this many threads: a scrape is short, and the process
// has real work to do.
constexpr size_t kHandlerThreads = 2;

}  // namespace

std::string HttpAddress::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<HttpAddress> ParseHttpAddress(const std::string& text, bool allow_remote, const std::string& flag) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Status::InvalidArgument(flag + " '" + text + "': expected HOST:PORT, e.g. 127.0.0.1:9464");
  HttpAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || port.empty() || p < 0 || p > 65535)
    return Status::InvalidArgument(flag + " '" + text + "': port '" + port + "' is not a number from 0 to 65535");
  a.port = static_cast<int>(p);
  if (a.host.empty() || (a.host.find(':') != std::string::npos && text.front() != '['))
    return Status::InvalidArgument(flag + " '" + text + "': expected HOST:PORT (an IPv6 host in brackets)");
  if (!allow_remote && !IsLoopbackHost(a.host))
    return Status::InvalidArgument(flag + " " + text +
                                   " is not a loopback address: anyone who reaches the port could read the "
                                   "database's metrics");
  return a;
}

HttpServer::HttpServer() : server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kHandlerThreads); };
  // httplib's default is SO_REUSEPORT, which lets a second process bind the
  // same port and take half the scrapes; SO_REUSEADDR only allows a restart
  // while old connections linger, and a port in use stays an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_keep_alive_max_count(100);
  server_->set_read_timeout(std::chrono::seconds(5));
  server_->set_write_timeout(std::chrono::seconds(5));
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start(const HttpAddress& address) {
  if (thread_.joinable()) return Status::InvalidArgument("the HTTP server is already serving " + host_);
  int port = address.port;
  if (port == 0) {
    port = server_->bind_to_any_port(address.host);
    if (port < 0) return Status::IOError("cannot listen on " + address.ToString() + " (HTTP)");
  } else if (!server_->bind_to_port(address.host, port)) {
    return Status::IOError("cannot listen on " + address.ToString() + " (HTTP): in use, or no such address");
  }
  host_ = address.host;
  port_ = port;
  auto ended = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([s = server_.get(), ended] {
    s->listen_after_bind();
    ended->store(true);
  });
  // httplib's stop() does nothing before the accept loop runs: wait for it,
  // so that Stop always ends the thread.
  while (!server_->is_running() && !ended->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!server_->is_running()) {
    thread_.join();
    return Status::IOError("serving HTTP on " + address.ToString() + " failed");
  }
  return Status::OK();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

void MountMetrics(httplib::Server& server, std::function<Result<MetricsSnapshot>()> collect) {
  server.Get("/metrics", [collect = std::move(collect)](const httplib::Request&, httplib::Response& res) {
    auto snapshot = collect();
    Result<std::string> text = snapshot.ok() ? RenderPrometheus(*snapshot) : Result<std::string>(snapshot.status());
    if (!text.ok()) {
      res.status = 500;
      res.set_content("collecting metrics failed: " + text.status().ToString() + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_content(std::move(*text), kPrometheusContentType);
  });
}

}  // namespace strata::metrics
