// `strata index` (force an indexing job, print its metrics), `strata
// verify` (the consistency check of strata/verify.h, read-only) and `strata
// repair` (what can be fixed without losing acknowledged data).

#include <cstdio>
#include <limits>
#include <memory>

#include "cli/commands.h"
#include "harness/results.h"
#include "harness/run.h"
#include "strata/connection.h"
#include "strata/verify.h"

namespace strata::cli {

namespace {

// {:job 1 :strategy "adaptive" :basis-t ...}: the keys of the results
// files' jobs (harness/results.h), in EDN's style.
edn::Node JobToEdn(const JobMetrics& m) {
  using edn::Node;
  auto n = [](uint64_t v) { return Node::Long(static_cast<int64_t>(v)); };
  return Node::Map({Node::Keyword("job"), n(m.job),
                    Node::Keyword("strategy"), Node::String(m.strategy),
                    Node::Keyword("basis-t"), n(m.basis_t),
                    Node::Keyword("db-datoms"), n(m.db_datoms),
                    Node::Keyword("novelty-datoms"), n(m.novelty_datoms),
                    Node::Keyword("novelty-bytes"), n(m.novelty_bytes),
                    Node::Keyword("segments-read"), n(m.segments_read),
                    Node::Keyword("segments-written"), n(m.segments_written),
                    Node::Keyword("bytes-read"), n(m.bytes_read),
                    Node::Keyword("bytes-written"), n(m.bytes_written),
                    Node::Keyword("datoms-rewritten"), n(m.datoms_rewritten),
                    Node::Keyword("datoms-written"), n(m.datoms_written),
                    Node::Keyword("segments-moved"), n(m.segments_moved),
                    Node::Keyword("levels-max"), n(m.levels_max),
                    Node::Keyword("max-read-sources"), n(m.max_read_sources),
                    Node::Keyword("wall-ms"), Node::Double(m.wall_ms),
                    Node::Keyword("cpu-ms"), Node::Double(m.cpu_ms),
                    Node::Keyword("storage-round-trips"), n(m.storage_round_trips),
                    Node::Keyword("storage-wait-ms"), Node::Double(m.storage_wait_ms),
                    Node::Keyword("peak-memory-bytes"), n(m.peak_memory_bytes),
                    Node::Keyword("plan"), Node::String(m.plan)});
}

}  // namespace

int RunIndex(const IndexArgs& args) {
  Options o;
  o.create_if_missing = false;
  o.background_indexing = false;  // the job runs here, in IndexNow
  o.strategy = args.strategy;
  auto conn = Connection::Open(args.db, o);
  if (!conn.ok()) {
    if (conn.status().IsNotFound()) return Fail(conn.status().message());
    return Fail("opening " + args.db + ": " + conn.status().ToString());
  }
  auto jobs = (*conn)->IndexNow();
  if (!jobs.ok()) return Fail("indexing " + args.db + ": " + jobs.status().ToString());
  if (args.format == Format::kJson) {
    JsonArrayWriter out(stdout);
    for (const JobMetrics& m : *jobs) out.Add(harness::ToJson(harness::JobOf(m)));
    out.Finish();
  } else {
    for (const JobMetrics& m : *jobs) PrintLine(edn::Print(JobToEdn(m)));
  }
  if (jobs->empty()) std::fprintf(stderr, "strata: nothing to index: every transaction is in the durable index\n");
  if (Status s = (*conn)->Close(); !s.ok()) return Fail("closing " + args.db + ": " + s.ToString());
  std::fflush(stdout);
  return 0;
}

namespace {

struct LogFigures {
  uint64_t transactions = 0;
  uint64_t datoms = 0;
};

// The log's transactions and datoms (read-only): what the database holds
// when nothing is indexed yet, so `verify` never reads as empty then.
Result<LogFigures> CountLog(const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, OpenExisting(dir));
  LogFigures f;
  STRATA_RETURN_IF_ERROR(conn->TxRange(0, std::numeric_limits<T>::max(), [&](T, const std::vector<Datom>& datoms) {
    ++f.transactions;
    f.datoms += datoms.size();
    return Status::OK();
  }));
  return f;
}

}  // namespace

int RunVerify(const VerifyArgs& args) {
  auto report = Verify(args.db);
  if (!report.ok()) return Fail(report.status().message());
  const VerifyReport& r = *report;
  // A database that does not verify may not open; its problems say why.
  LogFigures log;
  bool has_log = false;
  if (r.ok) {
    auto counted = CountLog(args.db);
    if (!counted.ok()) return Fail("reading the log of " + args.db + ": " + counted.status().ToString());
    log = *counted;
    has_log = true;
  }
  if (args.format == Format::kJson) {
    Json problems = Json::array();
    for (const std::string& p : r.problems) problems.push_back(p);
    Json out{{"ok", r.ok},
             {"strategy", r.strategy},
             {"basis_t", r.basis_t},
             {"segments_checked", r.segments_checked},
             {"bytes_checked", r.bytes_checked},
             {"indexed_datoms", r.datoms}};
    if (has_log) {
      out["log_transactions"] = log.transactions;
      out["log_datoms"] = log.datoms;
    }
    out["problems"] = std::move(problems);
    PrintLine(DumpJson(out));
  } else {
    using edn::Node;
    std::vector<Node> problems;
    for (const std::string& p : r.problems) problems.push_back(Node::String(p));
    auto n = [](uint64_t v) { return Node::Long(static_cast<int64_t>(v)); };
    std::vector<Node> items = {Node::Keyword("ok"), Node::Bool(r.ok), Node::Keyword("strategy"),
                               Node::String(r.strategy), Node::Keyword("basis-t"), n(r.basis_t),
                               Node::Keyword("segments-checked"), n(r.segments_checked),
                               Node::Keyword("bytes-checked"), n(r.bytes_checked), Node::Keyword("indexed-datoms"),
                               n(r.datoms)};
    if (has_log) {
      items.insert(items.end(), {Node::Keyword("log-transactions"), n(log.transactions), Node::Keyword("log-datoms"),
                                 n(log.datoms)});
    }
    items.insert(items.end(), {Node::Keyword("problems"), Node::Vector(std::move(problems))});
    PrintLine(edn::Print(Node::Map(std::move(items))));
  }
  if (!r.ok) {
    return Fail(args.db + " is not consistent: " + std::to_string(r.problems.size()) + " problem" +
                (r.problems.size() == 1 ? "" : "s") + "; the first: " + r.problems.front());
  }
  std::fflush(stdout);
  return 0;
}

int RunRepair(const RepairArgs& args) {
  auto report = Repair(args.db);
  if (!report.ok()) return Fail(report.status().message());
  const RepairReport& r = *report;
  if (args.format == Format::kJson) {
    Json actions = Json::array();
    for (const std::string& a : r.actions) actions.push_back(a);
    Json problems = Json::array();
    for (const std::string& p : r.after.problems) problems.push_back(p);
    PrintLine(DumpJson(Json{{"actions", std::move(actions)}, {"ok", r.after.ok}, {"problems", std::move(problems)}}));
  } else {
    using edn::Node;
    std::vector<Node> actions, problems;
    for (const std::string& a : r.actions) actions.push_back(Node::String(a));
    for (const std::string& p : r.after.problems) problems.push_back(Node::String(p));
    PrintLine(edn::Print(Node::Map({Node::Keyword("actions"), Node::Vector(std::move(actions)), Node::Keyword("ok"),
                                    Node::Bool(r.after.ok), Node::Keyword("problems"),
                                    Node::Vector(std::move(problems))})));
  }
  if (!r.after.ok) return Fail(args.db + " still does not verify after repair: " + r.after.problems.front());
  std::fflush(stdout);
  return 0;
}

}  // namespace strata::cli
