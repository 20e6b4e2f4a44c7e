// `strata index` (force an indexing job, print its metrics), `strata
// verify` (the consistency check of strata/verify.h, read-only) and `strata
// repair` (what can be fixed without losing acknowledged data).

#include <cstdio>

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

int RunVerify(const VerifyArgs& args) {
  auto report = Verify(args.db);
  if (!report.ok()) return Fail(report.status().message());
  const VerifyReport& r = *report;
  if (args.format == Format::kJson) {
    Json problems = Json::array();
    for (const std::string& p : r.problems) problems.push_back(p);
    PrintLine(DumpJson(Json{{"ok", r.ok},
                            {"strategy", r.strategy},
                            {"basis_t", r.basis_t},
                            {"segments_checked", r.segments_checked},
                            {"bytes_checked", r.bytes_checked},
                            {"datoms", r.datoms},
                            {"problems", std::move(problems)}}));
  } else {
    using edn::Node;
    std::vector<Node> problems;
    for (const std::string& p : r.problems) problems.push_back(Node::String(p));
    auto n = [](uint64_t v) { return Node::Long(static_cast<int64_t>(v)); };
    PrintLine(edn::Print(Node::Map({Node::Keyword("ok"), Node::Bool(r.ok), Node::Keyword("strategy"),
                                    Node::String(r.strategy), Node::Keyword("basis-t"), n(r.basis_t),
                                    Node::Keyword("segments-checked"), n(r.segments_checked),
                                    Node::Keyword("bytes-checked"), n(r.bytes_checked), Node::Keyword("datoms"),
                                    n(r.datoms), Node::Keyword("problems"), Node::Vector(std::move(problems))})));
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
