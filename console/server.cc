// The console's HTTP server: routes to api.h, the event stream, the page.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "console/api.h"
#include "console/assets.h"
#include "console/console.h"
#include "metrics/http_server.h"
#include "metrics/strata_metrics.h"
#include "reports/report.h"
#include "strata/mutex.h"

namespace strata::console {

namespace {

int HttpStatus(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kBusy:     // a limit of the request (max tuples, bytes)
    case Code::kAborted:  // the request's timeout
    case Code::kConflict:  // a transaction's conflict: the tx data's fault
      return 400;
    case Code::kNotFound: return 404;
    default: return 500;  // Corruption, IOError: the database's
  }
}

void Reply(httplib::Response& res, const Result<Json>& r) {
  if (r.ok()) {
    res.status = 200;
    res.set_content(cli::DumpJson(*r), "application/json; charset=utf-8");
    return;
  }
  res.status = HttpStatus(r.status());
  Json err = Json{{"error", r.status().message()}, {"code", CodeName(r.status().code())}};
  res.set_content(cli::DumpJson(err), "application/json; charset=utf-8");
}

class ConsoleImpl final : public Console {
 public:
  ConsoleImpl(Source* src, const ConsoleOptions& o) : src_(src), options_(o) {
    limits_.timeout_ms = o.timeout_ms;
    limits_.max_tuples = o.max_tuples;
    limits_.max_bytes = o.max_bytes;
    limits_.max_page = o.max_page;
  }
  ~ConsoleImpl() override { Stop(); }

  Status Start() {
    Routes();
    // Event streams hold a thread each while open: room for them and for
    // the API's requests beside them.
    const size_t threads = options_.max_streams + 8;
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    if (options_.port == 0) {
      port_ = server_.bind_to_any_port(options_.host);
    } else {
      port_ = server_.bind_to_port(options_.host, options_.port) ? options_.port : -1;
    }
    if (port_ <= 0)
      return Status::IOError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                             " (in use, or not an address of this machine)");
    queue_ = src_->Subscribe();
    pump_ = std::thread([this] { Pump(); });
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() does nothing to a server not yet running: wait until it is,
    // so that a Stop right after Start ends it.
    for (int i = 0; !server_.is_running(); ++i) {
      if (i == 5000) return Status::IOError("the HTTP server did not start");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Status::OK();
  }

  int port() const override { return port_; }
  std::string url() const override { return "http://" + options_.host + ":" + std::to_string(port_); }

  void Stop() override {
    {
      MutexLock l(&mu_);
      if (stopping_) return;
      stopping_ = true;
      cv_.SignalAll();
    }
    server_.stop();
    if (listener_.joinable()) listener_.join();
    if (pump_.joinable()) pump_.join();
  }

 private:
  void Routes() {
    auto get = [this](const char* path, std::function<Result<Json>(const httplib::Request&)> fn) {
      auto handler = [fn](const httplib::Request& req, httplib::Response& res) { Reply(res, fn(req)); };
      server_.Get(path, handler);
      server_.Post(path, handler);
    };
    get("/api/info", [this](const httplib::Request&) { return ApiInfo(*src_, limits_); });
    get("/api/schema", [this](const httplib::Request& r) { return ApiSchema(*src_, r.params); });
    get("/api/q", [this](const httplib::Request& r) { return ApiQuery(*src_, r.params, limits_); });
    get("/api/pull", [this](const httplib::Request& r) { return ApiPull(*src_, r.params, limits_); });
    get("/api/entity", [this](const httplib::Request& r) { return ApiEntity(*src_, r.params, limits_); });
    get("/api/log", [this](const httplib::Request& r) { return ApiLog(*src_, r.params, limits_); });
    get("/api/datoms", [this](const httplib::Request& r) { return ApiDatoms(*src_, r.params, limits_); });
    get("/api/index", [this](const httplib::Request& r) { return ApiIndex(*src_, r.params, limits_); });
    get("/api/verify", [this](const httplib::Request&) { return ApiVerify(*src_); });
    server_.Post("/api/transact", [this](const httplib::Request& r, httplib::Response& res) {
      Reply(res, ApiTransact(*src_, r.params));
    });
    server_.Get("/api/transact", [](const httplib::Request&, httplib::Response& res) {
      Reply(res, Status::InvalidArgument("transact takes POST"));
    });
    server_.Get("/api/events", [this](const httplib::Request&, httplib::Response& res) { Events(res); });
    server_.Get("/report", [this](const httplib::Request&, httplib::Response& res) { Report(res); });
    // The database's Prometheus metrics (docs/metrics.md), when the console
    // holds the connection itself (not as a peer of a transactor, which
    // serves its own with --metrics).
    if (const Connection* conn = src_->log_connection()) {
      metrics::MountMetrics(server_, [conn]() -> Result<metrics::MetricsSnapshot> {
        metrics::MetricsSnapshot m;
        metrics::AddConnectionMetrics(conn->stats(), conn->Jobs(), conn->strategy(), {}, &m);
        return m;
      });
    }
    server_.Get(R"(/api/.*)", [](const httplib::Request& r, httplib::Response& res) {
      Reply(res, Status::NotFound("no endpoint " + r.path + " (docs/console.md lists them)"));
    });
    server_.Get(R"(/.*)", [](const httplib::Request& r, httplib::Response& res) {
      const std::string path = r.path == "/" ? "/index.html" : r.path;
      for (size_t i = 0; i < kAssetCount; ++i) {
        if (path == kAssets[i].path) {
          res.set_content(reinterpret_cast<const char*>(kAssets[i].data), kAssets[i].size, kAssets[i].content_type);
          return;
        }
      }
      res.status = 404;
      res.set_content("not found: " + r.path + "\n", "text/plain; charset=utf-8");
    });
  }

  // The tx-report queue, drained into the ring of recent events.
  void Pump() {
    for (;;) {
      {
        MutexLock l(&mu_);
        if (stopping_) return;
      }
      TxReport r;
      if (!queue_->Pop(&r, 200)) {
        const Status s = queue_->status();
        if (s.ok()) continue;  // no transaction in 200 ms
        spdlog::warn("console: the transaction stream ended: {}", s.ToString());
        Json err = Json{{"error", s.message()}, {"code", CodeName(s.code())}};
        Publish("error", cli::DumpJson(err));
        return;
      }
      Publish("tx", cli::DumpJson(TxJson(r.db_after, r.t, r.tx, r.tx_data)));
    }
  }

  void Publish(const std::string& event, const std::string& data) {
    MutexLock l(&mu_);
    const uint64_t seq = next_seq_++;
    events_.push_back({seq, "event: " + event + "\nid: " + std::to_string(seq) + "\ndata: " + data + "\n\n"});
    while (events_.size() > options_.events_kept) events_.pop_front();
    cv_.SignalAll();
  }

  void Events(httplib::Response& res) {
    uint64_t start;
    {
      MutexLock l(&mu_);
      if (streams_ >= options_.max_streams) {
        Reply(res, Status::Busy(std::to_string(streams_) + " event streams are open already (the most allowed)"));
        res.status = 503;
        return;
      }
      ++streams_;
      start = next_seq_;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    auto cursor = std::make_shared<uint64_t>(start);
    auto hello = std::make_shared<bool>(false);
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, cursor, hello](size_t, httplib::DataSink& sink) {
          if (!*hello) {
            *hello = true;
            const std::string h = "event: hello\ndata: " +
                                  cli::DumpJson(Json{{"basis_t", src_->db().basis_t()}}) + "\n\n";
            return sink.write(h.data(), h.size());
          }
          std::string out;
          {
            MutexLock l(&mu_);
            if (!stopping_ && next_seq_ == *cursor) cv_.WaitFor(std::chrono::seconds(10));
            if (stopping_) {
              sink.done();
              return true;
            }
            if (!events_.empty() && events_.front().seq > *cursor) {
              // This stream fell behind the ring: the page reloads its views.
              out += "event: reset\ndata: {}\n\n";
              *cursor = events_.front().seq;
            }
            for (const auto& e : events_) {
              if (e.seq >= *cursor) out += e.text;
            }
            *cursor = next_seq_;
          }
          if (out.empty()) out = ": keep-alive\n\n";  // also notices a closed client
          return sink.write(out.data(), out.size());
        },
        [this](bool) {
          MutexLock l(&mu_);
          --streams_;
        });
  }

  void Report(httplib::Response& res) {
    if (options_.results_dir.empty()) {
      Reply(res, Status::NotFound("no results folder: start the console with --results DIR (a strata run --out)"));
      return;
    }
    auto files = reports::WriteReport(options_.results_dir);
    if (!files.ok()) {
      Reply(res, files.status().WithContext("report of " + options_.results_dir));
      if (res.status == 404) res.status = 400;
      return;
    }
    std::ifstream in(files->html_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in.good() && !in.eof()) {
      Reply(res, Status::IOError("cannot read " + files->html_path));
      return;
    }
    res.set_content(ss.str(), "text/html; charset=utf-8");
  }

  struct Event {
    uint64_t seq;
    std::string text;
  };

  Source* src_;
  const ConsoleOptions options_;
  Limits limits_;
  httplib::Server server_;
  int port_ = -1;
  std::shared_ptr<TxReportQueue> queue_;
  std::thread pump_, listener_;
  Mutex mu_;
  CondVar cv_{&mu_};
  bool stopping_ GUARDED_BY(mu_) = false;
  std::deque<Event> events_ GUARDED_BY(mu_);
  uint64_t next_seq_ GUARDED_BY(mu_) = 0;
  size_t streams_ GUARDED_BY(mu_) = 0;
};

}  // namespace

Result<std::unique_ptr<Console>> Console::Start(Source* src, const ConsoleOptions& options) {
  auto c = std::make_unique<ConsoleImpl>(src, options);
  STRATA_RETURN_IF_ERROR(c->Start());
  return std::unique_ptr<Console>(std::move(c));
}

}  // namespace strata::console
