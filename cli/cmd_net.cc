// `strata transactor` and `strata peer` (cli/net_commands.h).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>
#include <tuple>

#include "strata/connection.h"
#include "cli/flags.h"
#include "cli/net_commands.h"
#include "cli/query_commands.h"
#include "metrics/http_server.h"
#include "metrics/strata_metrics.h"
#include "net/keys.h"
#include "net/peer.h"
#include "net/protocol.h"
#include "net/transactor.h"

namespace strata::cli {

namespace {

struct TransactorArgs {
  std::string db;
  std::string listen;
  std::string strategy;
  std::string sync = "always";
  int workers = 8;
  std::string server_key;       // our secret key file: CURVE on
  std::string authorized_keys;  // public keys of the peers admitted (file or folder)
  bool insecure = false;        // allow listening beyond loopback without keys
  std::string memory_index_threshold, memory_index_max;  // sizes ("32m"); empty: the defaults
  std::string metrics;          // HOST:PORT for /metrics (docs/metrics.md); empty: none
  bool metrics_remote = false;  // allow a non-loopback --metrics address
};

// 127.0.0.0/8, ::1 or localhost: only this machine can connect.
bool IsLoopback(const std::string& endpoint) {
  std::string host = endpoint.substr(6, endpoint.rfind(':') - 6);  // after "tcp://"
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int RunTransactor(const TransactorArgs& args) {
  SyncPolicy policy;
  if (!ParseSyncPolicy(args.sync, &policy)) return Fail("--sync '" + args.sync + "': expected always, batch or never");
  auto endpoint = net::TcpEndpoint(args.listen);
  if (!endpoint.ok()) return Fail("--listen " + endpoint.status().message());
  net::TransactorOptions to;
  to.listen = *endpoint;
  to.workers = args.workers;
  if (args.server_key.empty() != args.authorized_keys.empty())
    return Fail("--server-key and --authorized-keys go together (CURVE security needs both)");
  if (!args.server_key.empty()) {
    auto pair = net::ReadSecretKeyFile(args.server_key);
    if (!pair.ok()) return Fail("--server-key: " + pair.status().message());
    auto keys = net::ReadAuthorizedKeys(args.authorized_keys);
    if (!keys.ok()) return Fail("--authorized-keys: " + keys.status().message());
    to.secret_key = pair->secret_key;
    to.authorized_keys = std::move(*keys);
  } else if (!IsLoopback(*endpoint)) {
    if (!args.insecure)
      return Fail("--listen " + args.listen + " without keys would let anyone who reaches the port transact: " +
                  "give --server-key and --authorized-keys (strata keygen), or --insecure");
    std::fprintf(stderr, "strata: warning: listening on %s without authentication (--insecure): anyone who "
                         "reaches the port can transact and read every transaction\n", args.listen.c_str());
  }
  std::optional<metrics::HttpAddress> metrics_address;
  if (!args.metrics.empty()) {
    auto a = metrics::ParseHttpAddress(args.metrics, args.metrics_remote);
    if (!a.ok())
      return Fail(a.status().message() + (args.metrics_remote ? "" : "; use 127.0.0.1, or give --metrics-remote"));
    metrics_address = *a;
  }
  // Every thread started from here on inherits the blocked signals; this
  // one takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Options options;
  options.sync = policy;
  options.strategy = args.strategy;
  options.segment_retain_ms = 60000;  // peers may read a superseded root that long
  for (auto [text, flag, slot] : {std::tuple{&args.memory_index_threshold, "--memory-index-threshold",
                                             &options.memory_index_threshold},
                                  {&args.memory_index_max, "--memory-index-max", &options.memory_index_max}}) {
    if (text->empty()) continue;
    auto bytes = ParseSize(*text, flag);
    if (!bytes.ok()) return Fail(bytes.status().message());
    *slot = *bytes;
  }
  if (options.memory_index_max < options.memory_index_threshold)
    return Fail("--memory-index-max must be at least --memory-index-threshold");
  auto conn = Connection::Open(args.db, options);
  if (!conn.ok()) return Fail("opening " + RedactLocation(args.db) + ": " + conn.status().ToString());
  auto server = net::Transactor::Start(conn->get(), to);
  if (!server.ok()) return Fail(server.status().message());
  metrics::HttpServer http;  // stopped before the transactor and the connection go
  if (metrics_address) {
    metrics::MountMetrics(http.routes(), [c = conn->get(), t = server->get()]() -> Result<metrics::MetricsSnapshot> {
      return metrics::TransactorSnapshot(*c, *t);
    });
    if (Status s = http.Start(*metrics_address); !s.ok()) {
      (*server)->Stop();
      return Fail("--metrics: " + s.message());
    }
  }
  std::printf("strata transactor: listening on %s (database %s, basis-t %llu, sync %s, %s)\n",
              (*server)->endpoint().c_str(), RedactLocation(args.db).c_str(),
              static_cast<unsigned long long>((*conn)->db().basis_t()), args.sync.c_str(),
              to.secret_key.empty() ? "no authentication"
                                    : ("CURVE, " + std::to_string(to.authorized_keys.size()) + " authorised keys").c_str());
  if (metrics_address)
    std::printf("strata transactor: metrics on http://%s/metrics\n",
                metrics::HttpAddress{metrics_address->host, http.port()}.ToString().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  http.Stop();
  (*server)->Stop();
  const net::TransactorStats st = (*server)->stats();
  std::fprintf(stderr,
               "strata transactor: %s; stopping (transactions %llu, reports sent %llu, catch-ups %llu, "
               "subscriptions dropped %llu, peers refused %llu, basis-t %llu)\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", static_cast<unsigned long long>(st.transactions),
               static_cast<unsigned long long>(st.reports_sent), static_cast<unsigned long long>(st.catchups),
               static_cast<unsigned long long>(st.subscriptions_dropped),
               static_cast<unsigned long long>(st.peers_refused), static_cast<unsigned long long>(st.basis_t));
  if (Status s = (*conn)->Close(); !s.ok()) return Fail("closing " + RedactLocation(args.db) + ": " + s.ToString());
  return 0;
}

struct PeerArgs {
  std::string connect;
  uint32_t connect_timeout_ms = 5000;
  std::string client_key;         // our secret key file (CURVE)
  std::string server_public_key;  // the transactor's public key file
  // transact
  std::string file = "-";
  // q, pull (views and format in the QueryArgs / PullArgs)
  uint64_t at_t = 0;  // wait for this basis-t before reading
  QueryArgs q;
  PullArgs pull;
  // watch
  uint64_t count = 0;  // 0: until interrupted
  // sync
  uint64_t sync_t = 0;
  int timeout_ms = 10000;
  Format format = Format::kEdn;
};

Result<std::unique_ptr<net::Peer>> ConnectPeer(const PeerArgs& a) {
  net::PeerOptions po;
  po.connect_timeout_ms = a.connect_timeout_ms;
  if (a.client_key.empty() != a.server_public_key.empty())
    return Status::InvalidArgument("--client-key and --server-public-key go together (CURVE security needs both)");
  if (!a.client_key.empty()) {
    STRATA_ASSIGN_OR_RETURN(net::CurveKeyPair pair, net::ReadSecretKeyFile(a.client_key));
    STRATA_ASSIGN_OR_RETURN(po.server_public_key, net::ReadPublicKeyFile(a.server_public_key));
    po.client_public_key = pair.public_key;
    po.client_secret_key = pair.secret_key;
  }
  auto p = net::Peer::Connect(a.connect, po);
  if (!p.ok()) return p.status().WithContext("connecting to " + a.connect);
  return p;
}

Status ReadAll(const std::string& file, std::string* out) {
  std::ostringstream buf;
  if (file == "-") {
    buf << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::IOError("cannot open " + file);
    buf << in.rdbuf();
  }
  *out = std::move(buf).str();
  return Status::OK();
}

int RunPeerTransact(const PeerArgs& a) {
  std::string text;
  if (Status s = ReadAll(a.file, &text); !s.ok()) return Fail(s.message());
  auto peer = ConnectPeer(a);
  if (!peer.ok()) return Fail(peer.status().message());
  const std::string source = a.file == "-" ? "stdin" : a.file;
  edn::Reader reader(text);
  edn::Node form;
  Status read_status;
  for (uint64_t k = 1;; ++k) {
    if (!reader.Next(&form, &read_status)) {
      if (!read_status.ok()) return Fail(source + ": reading transaction " + std::to_string(k) + ": " + read_status.message());
      break;
    }
    auto r = (*peer)->Transact(edn::Print(form));
    if (!r.ok()) {
      return Fail(source + ": transaction " + std::to_string(k) + " (line " + std::to_string(form.line) +
                  ") failed: " + r.status().ToString());
    }
    PrintLine(a.format == Format::kJson ? DumpJson(TxReportToJson(*r)) : TxReportToEdn(*r));
  }
  return 0;
}

// The peer's database once it has reached --t.
std::function<Result<ReadSource>()> PeerSource(const PeerArgs& a, std::unique_ptr<net::Peer>* holder) {
  return [&a, holder]() -> Result<ReadSource> {
    STRATA_ASSIGN_OR_RETURN(*holder, ConnectPeer(a));
    // Without --t: everything committed when the peer connected.
    const T t = a.at_t != 0 ? a.at_t : (*holder)->stats().transactor_basis_t;
    STRATA_ASSIGN_OR_RETURN(Database db, (*holder)->Sync(t, a.timeout_ms));
    return ReadSource{db, nullptr};
  };
}

int RunPeerWatch(const PeerArgs& a) {
  auto peer = ConnectPeer(a);
  if (!peer.ok()) return Fail(peer.status().message());
  // Only what commits from now on: the replica's catch-up past its index
  // root is history.
  auto queue = (*peer)->Subscribe();
  const T from = (*peer)->stats().transactor_basis_t;
  CatchSigint();
  uint64_t printed = 0;
  TxReport r;
  while (!Interrupted() && (a.count == 0 || printed < a.count)) {
    if (!queue->Pop(&r, 100)) {
      if (!queue->status().ok()) return Fail("watch: " + queue->status().ToString());
      continue;
    }
    if (r.t <= from) continue;
    PrintLine(a.format == Format::kJson ? DumpJson(LogEntryToJson(r.db_after, r.t, r.tx_data))
                                        : LogEntryToEdn(r.db_after, r.t, r.tx_data));
    std::fflush(stdout);
    ++printed;
  }
  return 0;
}

int RunPeerSync(const PeerArgs& a) {
  auto peer = ConnectPeer(a);
  if (!peer.ok()) return Fail(peer.status().message());
  auto db = (*peer)->Sync(a.sync_t, a.timeout_ms);
  if (!db.ok()) return Fail(db.status().message());
  PrintLine(a.format == Format::kJson ? "{\"basis_t\":" + std::to_string(db->basis_t()) + "}"
                                      : "{:basis-t " + std::to_string(db->basis_t()) + "}");
  return 0;
}

void AddPeerViewFlags(CLI::App* cmd, PeerArgs* a, ReadViewArgs* v) {
  cmd->add_option("--t", a->at_t, "wait until the peer has every transaction up to T before reading\n"
                  "(default: everything committed when it connected)")
      ->option_text("T");
  cmd->add_option("--timeout-ms", a->timeout_ms, "longest wait for --t")->option_text("MS (default 10000)");
  cmd->add_option("--as-of", v->as_of, "read the database as of T: a t, a tx id, or an instant")->option_text("T");
  cmd->add_option("--since", v->since, "only datoms added after T (T excluded)")->option_text("T");
  cmd->add_flag("--history", v->history, "every assertion and retraction ever recorded");
  AddFormatFlag(cmd, &v->format);
}

}  // namespace

void AddNetCommands(CLI::App& app, int* exit_code) {
  auto ta = std::make_shared<TransactorArgs>();
  CLI::App* tc = app.add_subcommand(
      "transactor", "Serve a database to peers over the network until SIGINT or SIGTERM.\n"
                    "Example: strata transactor --db DIR --listen 127.0.0.1:4334");
  tc->add_option("--db", ta->db, "database location: a folder (created if missing) or a PostgreSQL URI")
      ->required()
      ->option_text("LOCATION");
  tc->add_option("--listen", ta->listen, "address to listen on; port 0 picks a free one (printed)")
      ->required()
      ->option_text("HOST:PORT");
  tc->add_option("--strategy", ta->strategy, "merge strategy for indexing jobs (default: the root's)")
      ->option_text("S");
  tc->add_option("--sync", ta->sync, "commit durability")
      ->check(CLI::IsMember({"always", "batch", "never"}))
      ->option_text("always|batch|never (default always)");
  tc->add_option("--workers", ta->workers, "threads running transactions at once (group commit)")
      ->check(CLI::Range(1, 256))
      ->option_text("N (default 8)");
  tc->add_option("--server-key", ta->server_key, "this transactor's secret key file (strata keygen): CURVE security")
      ->option_text("FILE");
  tc->add_option("--authorized-keys", ta->authorized_keys,
                 "public keys of the peers admitted: a file (one key a line) or a folder of .pub files")
      ->option_text("FILE|DIR");
  tc->add_option("--memory-index-threshold", ta->memory_index_threshold, "novelty per indexing job")
      ->option_text("SIZE (default 32m)");
  tc->add_option("--memory-index-max", ta->memory_index_max, "transactions wait past this much novelty")
      ->option_text("SIZE (default 512m)");
  tc->add_option("--metrics", ta->metrics, "serve Prometheus metrics on http://HOST:PORT/metrics (docs/metrics.md)")
      ->option_text("HOST:PORT (e.g. 127.0.0.1:9464)");
  tc->add_flag("--metrics-remote", ta->metrics_remote,
               "allow a non-loopback --metrics address (anyone reaching it reads the metrics)");
  tc->add_flag("--insecure", ta->insecure,
               "allow a non-loopback --listen without keys (anyone reaching the port can transact)");
  tc->callback([ta, exit_code] { *exit_code = RunTransactor(*ta); });

  auto pa = std::make_shared<PeerArgs>();
  CLI::App* pc = app.add_subcommand(
      "peer", "Connect to a transactor as a peer: transact through it, read locally, watch its transactions.\n"
              "Example: strata peer --connect 127.0.0.1:4334 q '[:find ?e :where [?e :db/ident]]'");
  pc->add_option("--connect", pa->connect, "the transactor's address")->required()->option_text("HOST:PORT");
  pc->add_option("--connect-timeout-ms", pa->connect_timeout_ms, "give up connecting after this long")
      ->option_text("MS (default 5000)");
  pc->add_option("--client-key", pa->client_key, "this peer's secret key file (strata keygen), for a transactor with keys")
      ->option_text("FILE");
  pc->add_option("--server-public-key", pa->server_public_key, "the transactor's public key file")
      ->option_text("FILE");
  pc->require_subcommand(1);

  CLI::App* tx = pc->add_subcommand("transact", "Commit the EDN transactions of FILE or stdin, printing each report");
  tx->add_option("file", pa->file, "EDN file; '-' or nothing reads stdin")->option_text("FILE|-");
  AddFormatFlag(tx, &pa->format);
  tx->callback([pa, exit_code] { *exit_code = RunPeerTransact(*pa); });

  CLI::App* q = pc->add_subcommand("q", "Run a Datalog query on the peer's database");
  q->add_option("query", pa->q.query, "the query, EDN")->required()->option_text("QUERY");
  q->add_option("inputs", pa->q.inputs, "the query's other :in inputs, EDN")->option_text("INPUT...");
  q->add_option("--rules", pa->q.rules, "EDN file of rules, bound to %")->option_text("FILE");
  AddPeerViewFlags(q, pa.get(), &pa->q);
  q->callback([pa, exit_code] {
    std::unique_ptr<net::Peer> holder;
    *exit_code = RunQuery(pa->q, PeerSource(*pa, &holder));
  });

  CLI::App* pull = pc->add_subcommand("pull", "Pull a pattern from an entity of the peer's database");
  pull->add_option("pattern", pa->pull.pattern, "the pull pattern, EDN")->required()->option_text("PATTERN");
  pull->add_option("entity", pa->pull.entity, "an entity id, ident or lookup ref, EDN")->required()->option_text("ENTITY");
  AddPeerViewFlags(pull, pa.get(), &pa->pull);
  pull->callback([pa, exit_code] {
    std::unique_ptr<net::Peer> holder;
    *exit_code = RunPull(pa->pull, PeerSource(*pa, &holder));
  });

  CLI::App* watch = pc->add_subcommand("watch", "Print each transaction committed from now on, in t order");
  watch->add_option("--count", pa->count, "stop after N transactions (0: until Ctrl-C)")->option_text("N");
  AddFormatFlag(watch, &pa->format);
  watch->callback([pa, exit_code] { *exit_code = RunPeerWatch(*pa); });

  CLI::App* sync = pc->add_subcommand("sync", "Wait until the peer has every transaction up to T; print its basis-t");
  sync->add_option("--t", pa->sync_t, "the basis-t to reach")->required()->option_text("T");
  sync->add_option("--timeout-ms", pa->timeout_ms, "longest wait")->option_text("MS (default 10000)");
  AddFormatFlag(sync, &pa->format);
  sync->callback([pa, exit_code] { *exit_code = RunPeerSync(*pa); });

  auto prefix = std::make_shared<std::string>();
  CLI::App* kg = app.add_subcommand(
      "keygen", "Write a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub (public).\n"
                "Example: strata keygen --out keys/transactor");
  kg->add_option("--out", *prefix, "where to write the pair (never overwritten)")->required()->option_text("PREFIX");
  kg->callback([prefix, exit_code] {
    auto pair = net::GenerateCurveKeyPair();
    Status s = pair.ok() ? net::WriteKeyFiles(*pair, *prefix) : pair.status();
    if (!s.ok()) {
      *exit_code = Fail("keygen: " + s.message());
      return;
    }
    std::printf("wrote %s.key (secret: keep it private) and %s.pub (public key %s)\n", prefix->c_str(),
                prefix->c_str(), pair->public_key.c_str());
    *exit_code = 0;
  });
}

}  // namespace strata::cli
