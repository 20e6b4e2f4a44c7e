// Explain: query-stats and io-stats in Datomic's shapes, as EDN and JSON.
//
// Datomic returns these beside a result when asked (:query-stats in a query
// map, :io-context on a call): https://docs.datomic.com/reference/query-stats.html
// and https://docs.datomic.com/reference/io-stats.html. strata keeps the
// keys Datomic documents and adds its own counters under their own names.
#include <nlohmann/json.hpp>

#include "strata/query.h"

namespace strata {

namespace {

using Json = nlohmann::ordered_json;
using edn::Node;

Node Kw(const char* k) { return Node::Keyword(k); }
Node N(uint64_t v) { return Node::Long(static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX))); }

std::vector<Node> Symbols(const std::vector<std::string>& vars) {
  std::vector<Node> out;
  for (const auto& v : vars) out.push_back(Node::Symbol(v));
  return out;
}

double Round2(double ms) { return static_cast<double>(static_cast<int64_t>(ms * 100 + 0.5)) / 100; }

// The :reads counters by name, in one order for both forms.
std::vector<std::pair<std::string, uint64_t>> Reads(const ReadCounters& r) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (int i = 0; i < kIndexCount; ++i) out.emplace_back(IndexName(static_cast<Index>(i)), r.segments[i]);
  out.emplace_back("ocache", r.cache_hits);
  out.emplace_back("dev", r.storage_reads);
  out.emplace_back("dev-bytes", r.storage_bytes);
  out.emplace_back("cursors", r.cursors);
  out.emplace_back("sources-merged", r.sources_merged);
  return out;
}

// The counters of one clause, by name, for both forms.
std::vector<std::pair<std::string, uint64_t>> Counts(const ClauseStats& c) {
  return {{"rows-in", c.rows_in},   {"rows-out", c.rows_out},           {"datoms", c.datoms},
          {"index-lookups", c.index_lookups}, {"segments", c.segments}, {"position", c.position}};
}

}  // namespace

IoMeter::IoMeter(std::string api) : api_(std::move(api)), start_(ThreadReadCounters()), t0_(std::chrono::steady_clock::now()) {}

IoStats IoMeter::Stop() const {
  IoStats io;
  io.api = api_;
  io.api_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
  io.reads = ThreadReadCounters() - start_;
  return io;
}

edn::Node IoStatsEdn(const IoStats& io) {
  std::vector<Node> reads;
  for (const auto& [k, v] : Reads(io.reads)) {
    reads.push_back(Node::Keyword(k));
    reads.push_back(N(v));
  }
  return Node::Map({Kw("api"), Node::Keyword(io.api), Kw("api-ms"), Node::Double(Round2(io.api_ms)), Kw("reads"),
                    Node::Map(std::move(reads))});
}

edn::Node ExplainEdn(const edn::Node& query, const QueryStats& stats) {
  std::vector<Node> phases;
  for (const PhaseStats& p : stats.phases) {
    std::vector<Node> sched, clauses;
    for (const ClauseStats& c : p.clauses) {
      sched.push_back(c.clause);
      std::vector<Node> m{Kw("clause"), c.clause};
      for (const auto& [k, v] : Counts(c)) {
        m.push_back(Node::Keyword(k));
        m.push_back(N(v));
      }
      if (c.est_rows >= 0) {
        m.push_back(Kw("est-rows"));
        m.push_back(N(static_cast<uint64_t>(c.est_rows)));
      }
      m.push_back(Kw("binds-in"));
      m.push_back(Node::List(Symbols(c.binds_in)));
      m.push_back(Kw("binds-out"));
      m.push_back(Node::Vector(Symbols(c.binds_out)));
      clauses.push_back(Node::Map(std::move(m)));
    }
    phases.push_back(Node::Map({Kw("sched"), Node::List({Node::List(std::move(sched))}), Kw("clauses"),
                                Node::Vector(std::move(clauses))}));
  }
  std::vector<Node> qs{Kw("query"), query, Kw("phases"), Node::Vector(std::move(phases))};
  if (stats.phases_dropped > 0) {
    qs.push_back(Kw("phases-dropped"));
    qs.push_back(N(stats.phases_dropped));
  }
  return Node::Map({Kw("query-stats"), Node::Map(std::move(qs)), Kw("io-stats"), IoStatsEdn(stats.io)});
}

namespace {

Json IoJson(const IoStats& io) {
  Json reads = Json::object();
  for (const auto& [k, v] : Reads(io.reads)) reads[k] = v;
  return Json{{"api", io.api}, {"api-ms", Round2(io.api_ms)}, {"reads", reads}};
}

}  // namespace

std::string IoStatsJson(const IoStats& io) { return IoJson(io).dump(); }

std::string ExplainJson(const edn::Node& query, const QueryStats& stats) {
  Json phases = Json::array();
  for (const PhaseStats& p : stats.phases) {
    Json sched = Json::array(), clauses = Json::array();
    for (const ClauseStats& c : p.clauses) {
      sched.push_back(edn::Print(c.clause));
      Json m{{"clause", edn::Print(c.clause)}};
      for (const auto& [k, v] : Counts(c)) m[k] = v;
      if (c.est_rows >= 0) m["est-rows"] = c.est_rows;
      m["binds-in"] = c.binds_in;
      m["binds-out"] = c.binds_out;
      clauses.push_back(std::move(m));
    }
    phases.push_back(Json{{"sched", sched}, {"clauses", clauses}});
  }
  Json qs{{"query", edn::Print(query)}, {"phases", phases}};
  if (stats.phases_dropped > 0) qs["phases-dropped"] = stats.phases_dropped;
  return Json{{"query-stats", qs}, {"io-stats", IoJson(stats.io)}}.dump();
}

}  // namespace strata
