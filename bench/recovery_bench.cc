// Reopening after a crash: the log tail past the durable index is replayed
// into the memory index. Reports replayed datoms/s (items_per_second).
// Arg: transactions in the tail (1000 datoms each, new entities).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "strata/database.h"
#include "strata/connection.h"

namespace strata {
namespace {

void BM_ReopenReplaysLogTail(benchmark::State& state) {
  const int txs = static_cast<int>(state.range(0));
  auto dir = std::filesystem::temp_directory_path() / ("strata-bench-reopen-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  Options o;
  o.sync = SyncPolicy::kNever;
  o.background_indexing = false;  // everything stays in the log tail
  o.memory_index_threshold = uint64_t{1} << 40;
  o.memory_index_max = uint64_t{1} << 40;
  uint64_t datoms = 0;
  {
    auto conn = Connection::Open(dir.string(), o);
    if (!conn.ok()) {
      state.SkipWithError(conn.status().ToString().c_str());
      return;
    }
    auto s = (*conn)->Transact(R"([{:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
                                    {:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
                                    {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])");
    if (!s.ok()) {
      state.SkipWithError(s.status().ToString().c_str());
      return;
    }
    int64_t id = 0;
    for (int t = 0; t < txs; ++t) {
      std::vector<edn::Node> ops;
      for (int i = 0; i < 333; ++i, ++id)
        ops.push_back(edn::Node::Map({edn::Node::Keyword("p/id"), edn::Node::Long(id), edn::Node::Keyword("p/name"),
                                      edn::Node::String("person-" + std::to_string(id)), edn::Node::Keyword("p/age"),
                                      edn::Node::Long(id % 90)}));
      auto r = (*conn)->Transact(edn::Node::Vector(std::move(ops)));
      if (!r.ok()) {
        state.SkipWithError(r.status().ToString().c_str());
        return;
      }
      datoms += r->tx_data.size();
    }
    (void)(*conn)->Sync();
  }
  uint64_t replayed = 0;
  for (auto _ : state) {
    auto conn = Connection::Open(dir.string(), o);
    if (!conn.ok()) {
      state.SkipWithError(conn.status().ToString().c_str());
      break;
    }
    replayed += datoms;
    state.PauseTiming();
    conn->reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(replayed));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ReopenReplaysLogTail)->Arg(300)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata
