// console/console.h — `strata console`: a web console over one database
// (docs/console.md), served by this process over HTTP (cpp-httplib).
//
//   auto src = console::ConnectionSource(conn.get());
//   auto c = console::Console::Start(src.get(), {.port = 0});
//   ... (*c)->url() ...   // "http://127.0.0.1:40123"
//   (*c)->Stop();
//
// The server answers the JSON API of docs/console.md under /api/, streams
// every committed transaction to /api/events (Server-Sent Events, from the
// source's tx-report queue), and serves the page (compiled into the
// binary) at /. It is read-only unless the source is writable.
//
// Thread safety: Start, url, port and Stop may be called from any thread.
// The Source must outlive the Console (or its Stop).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "console/source.h"
#include "strata/query.h"

namespace strata::console {

struct ConsoleOptions {
  std::string host = "127.0.0.1";                 // listen address: loopback unless told
  int port = 8080;                                // 0 picks a free one
  uint64_t timeout_ms = 60000;                    // a read from the page running longer fails
  uint64_t max_tuples = QueryOptions{}.max_tuples;  // as `strata q --max-tuples`
  uint64_t max_bytes = QueryOptions{}.max_bytes;    // as `strata q --max-bytes`
  uint64_t max_page = 10000;                      // most datoms or transactions in one response
  size_t events_kept = 1024;                      // live transactions kept for slow streams
  size_t max_streams = 32;                        // open /api/events streams at once
  std::string results_dir;                        // a `strata run` results folder shown at /report
};

class Console {
 public:
  // Binds host:port and starts serving `src` on a thread of its own.
  static Result<std::unique_ptr<Console>> Start(Source* src, const ConsoleOptions& options = {});
  virtual ~Console() = default;
  virtual int port() const = 0;
  virtual std::string url() const = 0;  // "http://HOST:PORT"
  // Ends every event stream and stops serving; idempotent.
  virtual void Stop() = 0;
};

}  // namespace strata::console
