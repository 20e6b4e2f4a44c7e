// `strata crash-writer` (hidden): the process scripts/crash-loop kills.
// See dev_commands.h for the transaction stream and what it promises.

#include <algorithm>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "strata/connection.h"
#include "cli/commands.h"
#include "cli/dev_commands.h"

namespace strata::cli {

namespace {

constexpr const char* kSchema = R"([
  {:db/ident :w/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :w/a :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :w/b :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :w/u :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
])";

// "a-<n>-xxxx...": the expected :w/a of entity n, padded to `bytes`.
std::string Payload(uint64_t n, uint32_t bytes) {
  std::string s = "a-" + std::to_string(n) + "-";
  while (s.size() < bytes) s.push_back(static_cast<char>('a' + (n + s.size()) % 26));
  return s;
}

// The highest :w/n in the database (0 if none).
Result<uint64_t> HighestNumber(const Database& db) {
  const Attribute* attr = db.attribute("w/n");
  if (attr == nullptr) return uint64_t{0};
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kAvet, {Value::Ref(attr->id)}));
  uint64_t high = 0;
  STRATA_RETURN_IF_ERROR(
      ForEach(c, [&](const Datom& d) { high = std::max<uint64_t>(high, static_cast<uint64_t>(d.v.as_long())); }));
  return high;
}

edn::Node NumberedTx(uint64_t n, uint32_t payload_bytes) {
  using edn::Node;
  const auto l = [](uint64_t v) { return Node::Long(static_cast<int64_t>(v)); };
  std::vector<Node> ops;
  ops.push_back(Node::Map({Node::Keyword("w/n"), l(n), Node::Keyword("w/a"), Node::String(Payload(n, payload_bytes)),
                           Node::Keyword("w/b"), l(n * 7)}));
  if (n > 1) {
    ops.push_back(Node::Vector({Node::Keyword("db/add"), Node::Vector({Node::Keyword("w/n"), l(n / 2)}),
                                Node::Keyword("w/u"), l(n)}));
  }
  return Node::Vector(std::move(ops));
}

}  // namespace

CLI::App* AddCrashWriter(CLI::App& app, CrashWriterArgs* args) {
  CLI::App* cmd = app.add_subcommand("crash-writer", "Commit numbered transactions until killed (scripts/crash-loop)");
  cmd->group("");  // hidden from --help
  cmd->add_option("--db", args->db, "database folder (created if missing)")->required();
  cmd->add_option("--strategy", args->strategy, "merge strategy");
  cmd->add_option("--memory-index-threshold", args->memory_index_threshold, "novelty bytes per indexing job");
  cmd->add_option("--transactions", args->transactions, "stop after N transactions (0: until killed)");
  cmd->add_option("--payload-bytes", args->payload_bytes, "length of each :w/a string");
  return cmd;
}

int RunCrashWriter(const CrashWriterArgs& args) {
  Options options;
  options.sync = SyncPolicy::kAlways;
  options.create_if_missing = true;
  options.strategy = args.strategy;
  options.memory_index_threshold = args.memory_index_threshold;
  options.env = args.env;
  // A read error is an error, never a short answer: with faults injected
  // the writer retries (a failed open or transaction changed nothing).
  const auto retryable = [&](const Status& s) { return args.retry_failed && (s.IsIOError() || s.IsCorruption()); };
  auto opened = Connection::Open(args.db, options);
  // (An open reads every pack: on a large database under injected faults
  // many attempts may fail; the crash loop kills the writer meanwhile.)
  for (int attempt = 0; !opened.ok() && retryable(opened.status()) && attempt < 100000; ++attempt) {
    opened = Connection::Open(args.db, options);
  }
  if (!opened.ok()) return Fail("opening " + args.db + ": " + opened.status().ToString());
  Connection& conn = **opened;
  if (args.fault_env_on) args.fault_env_on();

  uint64_t failures = 0;
  auto transact = [&](auto&& tx) -> Result<TxReport> {
    for (;;) {
      auto r = conn.Transact(tx);
      if (r.ok() || !retryable(r.status()) || ++failures > 1000000) return r;
      std::fprintf(stderr, "crash-writer: a transaction failed, retrying (%llu so far): %s\n",
                   static_cast<unsigned long long>(failures), r.status().ToString().c_str());
    }
  };
  if (conn.db().attribute("w/n") == nullptr) {
    if (auto r = transact(std::string_view(kSchema)); !r.ok()) return Fail("schema: " + r.status().ToString());
  }
  auto high = HighestNumber(conn.db());
  for (int attempt = 0; !high.ok() && retryable(high.status()) && attempt < 1000; ++attempt) {
    high = HighestNumber(conn.db());
  }
  if (!high.ok()) return Fail("reading :w/n: " + high.status().ToString());

  for (uint64_t n = *high + 1, done = 0; args.transactions == 0 || done < args.transactions; ++n, ++done) {
    auto r = transact(NumberedTx(n, args.payload_bytes));
    if (!r.ok()) return Fail("transaction " + std::to_string(n) + ": " + r.status().ToString());
    std::printf("%llu\n", static_cast<unsigned long long>(n));
    std::fflush(stdout);
  }
  if (Status s = conn.Close(); !s.ok()) return Fail("closing " + args.db + ": " + s.ToString());
  return 0;
}

}  // namespace strata::cli
