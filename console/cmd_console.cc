// `strata console`: flag handling over console::Console.
#include <signal.h>

#include <cstdio>

#include "cli/commands.h"
#include "console/command.h"
#include "console/console.h"
#include "net/peer.h"
#include "strata/location.h"

namespace strata::console {

namespace {

struct ConsoleArgs {
  std::string db, connect;
  std::string listen = "127.0.0.1:8080";
  bool writable = false;
  bool insecure = false;
  double timeout_s = 60;
  uint64_t max_tuples = QueryOptions{}.max_tuples;
  uint64_t max_bytes = QueryOptions{}.max_bytes;
  std::string results;
};

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int Run(const ConsoleArgs& a) {
  using cli::Fail;
  if (a.db.empty() == a.connect.empty()) return Fail("give --db LOCATION or --connect HOST:PORT (one of them)");
  ConsoleOptions o;
  const size_t colon = a.listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == a.listen.size())
    return Fail("--listen '" + a.listen + "': expected HOST:PORT (127.0.0.1:8080; port 0 picks a free one)");
  o.host = a.listen.substr(0, colon);
  if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
  try {
    size_t used = 0;
    const std::string port = a.listen.substr(colon + 1);
    o.port = std::stoi(port, &used);
    if (used != port.size() || o.port < 0 || o.port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return Fail("--listen '" + a.listen + "': the port must be a number from 0 to 65535");
  }
  if (!IsLoopback(o.host)) {
    if (!a.insecure)
      return Fail("--listen " + a.listen + " is not a loopback address: the console has no authentication, so "
                  "anyone who reaches the port could read" + (a.writable ? " and write" : "") +
                  " the database; give --insecure to do it anyway");
    std::fprintf(stderr, "strata: warning: the console listens on %s without authentication (--insecure)\n",
                 a.listen.c_str());
  }
  o.timeout_ms = a.timeout_s > 0 ? std::max<uint64_t>(1, static_cast<uint64_t>(a.timeout_s * 1000 + 0.5)) : 0;
  o.max_tuples = a.max_tuples;
  o.max_bytes = a.max_bytes;
  o.results_dir = a.results;

  // Signals go to the main thread's sigwait: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<Connection> conn;
  std::unique_ptr<net::Peer> peer;
  std::unique_ptr<Source> src;
  if (!a.db.empty()) {
    if (a.writable) {
      Options options;
      options.create_if_missing = false;
      auto c = Connection::Open(a.db, options);
      if (!c.ok()) return Fail("opening " + RedactLocation(a.db) + ": " + cli::ErrorText(c.status()));
      conn = std::move(*c);
    } else {
      auto c = cli::OpenExisting(a.db);
      if (!c.ok()) return Fail(c.status().message());
      conn = std::move(*c);
    }
    src = ConnectionSource(conn.get());
  } else {
    auto p = net::Peer::Connect(a.connect);
    if (!p.ok()) return Fail("connecting to " + a.connect + ": " + p.status().message());
    peer = std::move(*p);
    // Everything committed before the console connected, then live.
    if (auto s = peer->Sync(peer->stats().transactor_basis_t); !s.ok())
      return Fail("catching up with " + a.connect + ": " + s.status().message());
    src = PeerSource(peer.get(), a.connect, a.writable);
  }
  auto console = Console::Start(src.get(), o);
  if (!console.ok()) return Fail("--listen " + a.listen + ": " + console.status().message());
  std::printf("strata console: listening on %s (database %s, %s, basis-t %llu)\n", (*console)->url().c_str(),
              src->location().c_str(), (src->kind() + (src->writable() ? ", writable" : ", read-only")).c_str(),
              static_cast<unsigned long long>(src->db().basis_t()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "strata console: %s; stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*console)->Stop();
  if (peer) peer->Close();
  if (conn) {
    if (Status s = conn->Close(); !s.ok()) return Fail("closing " + RedactLocation(a.db) + ": " + s.ToString());
  }
  return 0;
}

}  // namespace

void AddConsoleCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<ConsoleArgs>();
  CLI::App* c = app.add_subcommand(
      "console", "Serve a web console over a database: schema, queries, entities, the log, the indexes, live\n"
                 "transactions (docs/console.md). Read-only unless --writable. Example:\n"
                 "  strata console --db DIR --listen 127.0.0.1:8080   (then open http://127.0.0.1:8080)");
  c->add_option("--db", a->db, "database location: a folder or a postgres:// URI (must exist)")->option_text("LOCATION");
  c->add_option("--connect", a->connect, "run as a peer of the transactor at HOST:PORT instead")
      ->option_text("HOST:PORT");
  c->add_option("--listen", a->listen, "HTTP address; port 0 picks a free one")
      ->option_text("HOST:PORT (default 127.0.0.1:8080)");
  c->add_flag("--writable", a->writable, "accept transactions from the page (/api/transact)");
  c->add_flag("--insecure", a->insecure, "allow a --listen address other than loopback (no authentication)");
  c->add_option("--timeout", a->timeout_s, "stop a query or pull from the page running longer than S seconds (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->option_text("S (default 60)");
  c->add_option("--max-tuples", a->max_tuples, "a query fails when an intermediate relation holds more tuples")
      ->option_text("N (default 20000000)");
  c->add_option("--max-bytes", a->max_bytes, "a query fails when an intermediate relation holds more bytes (suffixes: kb mb gb)")
      ->transform(CLI::AsSizeValue(false))
      ->option_text("SIZE (default 1gb)");
  c->add_option("--results", a->results, "a `strata run` results folder, shown as its report at /report")
      ->option_text("DIR");
  c->callback([a, exit_code] { *exit_code = Run(*a); });
}

}  // namespace strata::console
