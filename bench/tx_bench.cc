// Transaction throughput through the transactor, the log and the memory
// index, in datoms/s (items_per_second), for small and large transactions,
// with and without fsync.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "strata/database.h"
#include "strata/connection.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :p/score :db/valueType :db.type/double :db/cardinality :db.cardinality/one}])";

// Builds one transaction of `entities` new people (4 datoms each, plus the
// txInstant) as EDN nodes, without parsing text in the timed loop.
edn::Node People(int64_t first, int entities) {
  std::vector<edn::Node> ops;
  ops.reserve(entities);
  for (int i = 0; i < entities; ++i) {
    int64_t id = first + i;
    ops.push_back(edn::Node::Map({edn::Node::Keyword("p/id"), edn::Node::Long(id), edn::Node::Keyword("p/name"),
                                  edn::Node::String("person-" + std::to_string(id)), edn::Node::Keyword("p/age"),
                                  edn::Node::Long(id % 90), edn::Node::Keyword("p/score"),
                                  edn::Node::Double(static_cast<double>(id) / 7.0)}));
  }
  return edn::Node::Vector(std::move(ops));
}

// Args: entities per transaction, sync policy (0 never, 1 always, 2 batch).
void BM_Transact(benchmark::State& state) {
  const int entities = static_cast<int>(state.range(0));
  const auto policy = static_cast<SyncPolicy>(state.range(1) == 0 ? 2 : state.range(1) == 1 ? 0 : 1);
  auto dir = std::filesystem::temp_directory_path() / ("strata-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  Options o;
  o.sync = policy;
  auto conn = Connection::Open(dir.string(), o);
  if (!conn.ok() || !(*conn)->Transact(kSchema).ok()) {
    state.SkipWithError("open failed");
    return;
  }
  int64_t next = 0;
  uint64_t datoms = 0;
  edn::Node tx;  // replaced while the timer is paused: freeing the input is not the transaction's work
  for (auto _ : state) {
    state.PauseTiming();
    tx = People(next, entities);
    next += entities;
    state.ResumeTiming();
    auto r = (*conn)->Transact(tx);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    datoms += r->tx_data.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(datoms));
  state.counters["datoms_per_tx"] = static_cast<double>(datoms) / std::max<double>(1, state.iterations());
  state.counters["mem_runs"] = static_cast<double>((*conn)->db().memory_index_runs());
  conn->reset();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_Transact)
    ->ArgNames({"entities", "sync"})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace strata
