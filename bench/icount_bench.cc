// strata_icount_bench: a few micro-benchmarks' operations with a fixed
// number of iterations, for counting instructions under callgrind
// (scripts/perf-icount runs it with --collect-atstart=no). Each operation's
// loop runs with collection on (CALLGRIND_TOGGLE_COLLECT) and ends with
// CALLGRIND_DUMP_STATS_AT(name), so each dump holds exactly that loop's
// instructions; building the data is outside every loop. The operations
// are those of the Google Benchmark programs beside it (tx_bench.cc,
// index_bench.cc, query_bench.cc): commits of 1 and of 1000 entities, a
// point lookup and a 100-datom range scan over durable + memory index, and
// pulls on the classic people data. Outside Valgrind it runs the same work
// and prints the wall time of each loop.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "people_data.h"
#include "strata/connection.h"
#include "strata/database.h"
#include "strata/env.h"
#include "strata/pull.h"

#ifdef STRATA_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(name) (void)(name)
#endif

namespace strata::bench {
namespace {

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "strata_icount_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

// Runs `body` `iterations` times as the named region.
template <class F>
void Measure(const char* name, int iterations, F&& body) {
  const auto t0 = std::chrono::steady_clock::now();
  CALLGRIND_TOGGLE_COLLECT;
  for (int i = 0; i < iterations; ++i) body(i);
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_DUMP_STATS_AT(name);
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%-24s %6d iterations %12.1f us/iteration\n", name, iterations, us / iterations);
}

constexpr const char* kSchema = R"([
  {:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :p/score :db/valueType :db.type/double :db/cardinality :db.cardinality/one}])";

edn::Node People(int64_t first, int entities) {
  std::vector<edn::Node> ops;
  for (int i = 0; i < entities; ++i) {
    const int64_t id = first + i;
    ops.push_back(edn::Node::Map({edn::Node::Keyword("p/id"), edn::Node::Long(id), edn::Node::Keyword("p/name"),
                                  edn::Node::String("person-" + std::to_string(id)), edn::Node::Keyword("p/age"),
                                  edn::Node::Long(id % 90), edn::Node::Keyword("p/score"),
                                  edn::Node::Double(static_cast<double>(id) / 7.0)}));
  }
  return edn::Node::Vector(std::move(ops));
}

std::unique_ptr<Connection> Open(Env* env, const std::string& strategy) {
  Options o;
  o.env = env;
  o.sync = SyncPolicy::kNever;
  o.background_indexing = false;  // no thread beside the measured loop
  o.memory_index_threshold = 1ull << 40;
  if (!strategy.empty()) o.strategy = strategy;
  auto c = Connection::Open("/db", o);
  if (!c.ok()) Die("opening a database", c.status());
  if (auto r = (*c)->Transact(kSchema); !r.ok()) Die("the schema", r.status());
  return std::move(*c);
}

// tx_bench.cc's BM_Transact (sync never): commits of `entities` new people,
// built before the loop.
void Transact(const char* name, int entities, int iterations) {
  auto env = NewMemEnv();
  auto conn = Open(env.get(), "");
  std::vector<edn::Node> txs;
  for (int i = 0; i < iterations; ++i) txs.push_back(People(static_cast<int64_t>(i) * entities, entities));
  Measure(name, iterations, [&](int i) {
    if (auto r = conn->Transact(txs[static_cast<size_t>(i)]); !r.ok()) Die(name, r.status());
  });
}

// index_bench.cc's fixture, smaller (10,000 people rather than 50,000, so
// building it under callgrind takes seconds): 90% in the durable index (the
// adaptive strategy), the rest in the memory index; a point lookup by
// entity and attribute, and a 100-datom scan of the :p/age index.
void Reads() {
  auto env = NewMemEnv();
  auto conn = Open(env.get(), "adaptive");
  const int64_t n = 10000;
  for (int64_t i = 0; i < n; i += 1000) {
    if (auto r = conn->Transact(People(i, 1000)); !r.ok()) Die("loading", r.status());
    if (i + 1000 == n * 9 / 10)
      if (auto j = conn->IndexNow(); !j.ok()) Die("indexing", j.status());
  }
  const Database db = conn->db();
  const Attribute* name = db.attribute("p/name");
  const Attribute* age = db.attribute("p/age");
  std::mt19937_64 rng(1);
  std::vector<EntityId> ids;
  for (int i = 0; i < 1024; ++i) {
    auto e = db.Entid(edn::Node::Vector({edn::Node::Keyword("p/id"), edn::Node::Long(static_cast<int64_t>(rng() % n))}));
    if (!e.ok()) Die("an entity id", e.status());
    ids.push_back(*e);
  }
  Measure("point-lookup", 1000, [&](int i) {
    auto c = db.Datoms(Index::kEavt, {Value::Ref(ids[static_cast<size_t>(i) & 1023]), Value::Ref(name->id)});
    if (!c.ok()) Die("point-lookup", c.status());
    if (!c->Valid() && !c->status().ok()) Die("point-lookup", c->status());
  });
  Measure("range-scan-100", 200, [&](int i) {
    auto c = db.IndexRange(age->id, Value::Long(i % 80), std::nullopt);
    if (!c.ok()) Die("range-scan-100", c.status());
    for (int k = 0; c->Valid() && k < 100; c->Next(), ++k) {
    }
    if (!c->Valid() && !c->status().ok()) Die("range-scan-100", c->status());
  });
}

// query_bench.cc's people data (a quarter of it): pull [*] and four
// attributes by id.
void Pulls() {
  auto env = NewMemEnv();
  auto conn = Open(env.get(), "");
  if (auto r = conn->Transact(kPeopleSchema); !r.ok()) Die("the people schema", r.status());
  const auto people = MakePeople(5000, 1);  // query_bench.cc has 20,000
  auto r = conn->Transact(PeopleTx(people));
  if (!r.ok()) Die("the people", r.status());
  std::vector<EntityId> ids;
  for (size_t i = 0; i < people.size(); ++i) ids.push_back(r->tempids.at("p" + std::to_string(i)));
  const Database db = conn->db();
  for (const auto& [name, text] : {std::pair{"pull-wildcard", "[*]"},
                                   std::pair{"pull-attrs4", "[:person/name :person/last-name :person/age :person/salary]"}}) {
    auto pattern = edn::ReadOne(text);
    if (!pattern.ok()) Die(name, pattern.status());
    Measure(name, 1000, [&](int i) {
      auto p = Pull(db, *pattern, edn::Node::Long(static_cast<int64_t>(ids[static_cast<size_t>(i) * 7919 % ids.size()])));
      if (!p.ok()) Die(name, p.status());
    });
  }
}

}  // namespace
}  // namespace strata::bench

int main() {
  strata::bench::Transact("transact-1", 1, 200);
  strata::bench::Transact("transact-1000", 1000, 2);
  strata::bench::Reads();
  strata::bench::Pulls();
  return 0;
}
