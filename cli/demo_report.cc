// The demo's summary (see demo_report.h).

#include "strata/connection.h"
#include "cli/demo_report.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "workloads/uniform.h"

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

std::string Bytes(uint64_t b) {
  char buf[32];
  if (b >= (1u << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  }
  return buf;
}

std::string Clip(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 3) + "...";
  return s;
}

// The values of each attribute ("v1 v2" for cardinality many) by ident.
std::map<std::string, std::string> ByAttribute(const Database& db, const std::vector<Datom>& datoms) {
  std::map<std::string, std::string> out;
  for (const Datom& d : datoms) {
    const std::string* ident = db.ident(d.a);
    std::string& slot = out[ident ? ":" + *ident : std::to_string(d.a)];
    if (!slot.empty()) slot += " ";
    slot += edn::Print(db.ValueToEdn(d.v));
  }
  return out;
}

// Reads `datoms` and returns how long it took, in microseconds.
double TimedRead(const Database& db, EntityId e, std::vector<Datom>* datoms) {
  Clock::time_point start = Clock::now();
  auto r = db.DatomsVector(Index::kEavt, {Value::Ref(e)});
  double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  if (r.ok()) *datoms = std::move(*r);
  return us;
}

// Shows one entity now, as of the transaction that created it, and its
// history. Picks the most changed of the first few entities.
void PrintTimeTravel(const Database& db, uint64_t entities) {
  EntityId best = 0;
  uint64_t best_n = 0;
  size_t best_count = 0;
  for (uint64_t n = 0; n < std::min<uint64_t>(entities, 12); ++n) {
    if (workloads::UniformWorkload::Doomed(n)) continue;
    auto e = db.Entid(edn::Node::Vector({edn::Node::Keyword("u/id"), edn::Node::String(workloads::UniformWorkload::IdOf(n))}));
    if (!e.ok()) continue;
    auto h = db.History().DatomsVector(Index::kEavt, {Value::Ref(*e)});
    if (h.ok() && h->size() > best_count) {
      best = *e, best_n = n, best_count = h->size();
    }
  }
  if (best == 0) return;

  std::vector<Datom> now, then, history;
  const double now_us = TimedRead(db, best, &now);
  const double history_us = TimedRead(db.History(), best, &history);
  T created = db.basis_t();
  std::set<EntityId> txs;
  uint64_t assertions = 0;
  for (const Datom& d : history) {
    created = std::min(created, d.t());
    txs.insert(d.tx);
    assertions += d.added ? 1 : 0;
  }
  const double then_us = TimedRead(db.AsOf(created), best, &then);

  std::printf("\ntime travel: entity [:u/id \"%s\"] = %llu\n", workloads::UniformWorkload::IdOf(best_n).c_str(),
              static_cast<unsigned long long>(best));
  std::string now_head = "now (t " + std::to_string(db.basis_t()) + ")";
  std::string then_head = "as of t " + std::to_string(created) + " (its creation)";
  std::printf("  %-12s %-40s %s\n", "attribute", now_head.c_str(), then_head.c_str());
  auto now_by = ByAttribute(db, now), then_by = ByAttribute(db, then);
  std::set<std::string> attrs;
  for (const auto& [a, v] : now_by) attrs.insert(a);
  for (const auto& [a, v] : then_by) attrs.insert(a);
  for (const std::string& a : attrs) {
    const std::string v_now = now_by.count(a) ? now_by[a] : "-";
    const std::string v_then = then_by.count(a) ? then_by[a] : "-";
    std::printf("  %-12s %-40s %s%s\n", a.c_str(), Clip(v_now, 40).c_str(), Clip(v_then, 40).c_str(),
                v_now == v_then ? "" : "  *");
  }
  std::printf("  history: %zu datoms (%llu assertions, %llu retractions) in %zu transactions\n", history.size(),
              static_cast<unsigned long long>(assertions),
              static_cast<unsigned long long>(history.size() - assertions), txs.size());
  std::printf("  reads: now %.0f us (%zu datoms), as-of %.0f us (%zu), history %.0f us (%zu)\n", now_us, now.size(),
              then_us, then.size(), history_us, history.size());
}

}  // namespace

void PrintDemoReport(const Connection& conn, const DemoTotals& t) {
  const Database db = conn.db();
  const ConnectionStats s = conn.stats();
  const double secs = t.elapsed_s > 0 ? t.elapsed_s : 1e-9;
  std::printf("\n");
  if (t.interrupted) {
    std::printf("interrupted after %llu of %llu transactions\n", static_cast<unsigned long long>(t.transactions),
                static_cast<unsigned long long>(t.target));
  }
  std::printf("committed\n");
  std::printf("  transactions  %llu (the schema + %llu)\n", static_cast<unsigned long long>(t.transactions + 1),
              static_cast<unsigned long long>(t.transactions));
  std::printf("  entities      %llu created\n", static_cast<unsigned long long>(t.entities));
  std::printf("  datoms        %llu\n", static_cast<unsigned long long>(t.datoms));
  std::printf("  elapsed       %.3f s\n", t.elapsed_s);
  std::printf("  throughput    %.0f transactions/s, %.0f datoms/s\n", static_cast<double>(t.transactions + 1) / secs,
              static_cast<double>(t.datoms) / secs);
  std::printf("  basis-t       %llu\n", static_cast<unsigned long long>(db.basis_t()));
  std::printf("memory index\n");
  std::printf("  datoms        %llu\n", static_cast<unsigned long long>(db.memory_index_datoms()));
  std::printf("  bytes         %s\n", Bytes(db.memory_index_bytes()).c_str());
  std::printf("  runs          %zu\n", db.memory_index_runs());
  std::printf("connection\n");
  std::printf("  sync          %s\n", SyncPolicyName(conn.options().sync));
  std::printf("  syncs         %llu\n", static_cast<unsigned long long>(s.syncs));
  std::printf("  group commits %llu (%.2f transactions each)\n", static_cast<unsigned long long>(s.group_commits),
              s.group_commits ? static_cast<double>(s.transactions) / static_cast<double>(s.group_commits) : 0.0);
  std::printf("  log           %s\n", Bytes(s.log_bytes).c_str());
  std::printf("  rejected      %llu\n", static_cast<unsigned long long>(s.rejected));
  PrintTimeTravel(db, t.entities);
}

}  // namespace strata::cli
