// The memory index's write path: adding one transaction's datoms as a run
// and merging runs as they accumulate (tiered, four at a time), in datoms/s.
// Args: datoms per transaction; share of updates (per mille) that replace a
// value asserted earlier, so merges also move cancelled pairs to history.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "memindex/memindex.h"

namespace strata {
namespace {

void BM_MemIndexAdd(benchmark::State& state) {
  const int per_tx = static_cast<int>(state.range(0));
  const int update_permille = static_cast<int>(state.range(1));
  constexpr int kTxs = 256;
  const EntityId attr_name = 100, attr_age = 101;
  auto is_ref = [](EntityId) { return false; };
  auto no_history = [](EntityId) { return false; };
  // The transactions, built once: new entities with a string and a long, and
  // updates that retract an earlier age and assert a new one.
  std::vector<std::vector<Datom>> txs;
  uint64_t e_next = 1 << 20;
  std::vector<std::pair<EntityId, int64_t>> ages;
  uint64_t rng = 42;
  auto rand = [&rng] { return rng = rng * 6364136223846793005ULL + 1442695040888963407ULL, rng >> 33; };
  for (int t = 0; t < kTxs; ++t) {
    std::vector<Datom> tx;
    const EntityId txid = TxId(1000 + t);
    while (static_cast<int>(tx.size()) < per_tx) {
      if (!ages.empty() && static_cast<int>(rand() % 1000) < update_permille) {
        auto& [e, age] = ages[rand() % ages.size()];
        tx.push_back(Datom{e, attr_age, Value::Long(age), txid, false});
        age += 1;
        tx.push_back(Datom{e, attr_age, Value::Long(age), txid, true});
      } else {
        const EntityId e = e_next++;
        tx.push_back(Datom{e, attr_name, Value::String("person-" + std::to_string(e)), txid, true});
        tx.push_back(Datom{e, attr_age, Value::Long(static_cast<int64_t>(e % 90)), txid, true});
        ages.emplace_back(e, static_cast<int64_t>(e % 90));
      }
    }
    std::sort(tx.begin(), tx.end(), DatomLess{Index::kEavt});
    txs.push_back(std::move(tx));
  }
  uint64_t datoms = 0;
  for (auto _ : state) {
    auto mem = std::make_shared<const MemIndex>();
    for (const auto& tx : txs) {
      mem = mem->Add(tx, is_ref, no_history);
      datoms += tx.size();
    }
    benchmark::DoNotOptimize(mem->stats().datoms);
    state.counters["history_runs"] = static_cast<double>(mem->stats().history_runs);
    // Memory held per datom, exactly as the index accounts it (the Datom
    // itself, its value's heap bytes, one 32-bit slot per other order).
    state.counters["bytes_per_datom"] =
        static_cast<double>(mem->stats().bytes) / static_cast<double>(std::max<uint64_t>(1, mem->stats().datoms));
  }
  state.SetItemsProcessed(static_cast<int64_t>(datoms));
}
// An indexing job's collection of the novelty: every current datom of a
// memory index of 255 transactions of 1000 datoms (12 runs: three in each
// tier, the most the tiered policy leaves), in each order, in
// datoms/s. Arg: the order (0 eavt .. 3 vaet).
void BM_MemIndexCollect(benchmark::State& state) {
  const Index order = static_cast<Index>(state.range(0));
  auto is_ref = [](EntityId a) { return a == 102; };
  auto no_history = [](EntityId) { return false; };
  auto mem = std::make_shared<const MemIndex>();
  uint64_t e = 1 << 20, rng = 42;
  for (int t = 0; t < 255; ++t) {
    std::vector<Datom> tx;
    for (int i = 0; i < 250; ++i, ++e) {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      tx.push_back(Datom{e, 100, Value::String("person-" + std::to_string(rng >> 40)), TxId(1000 + t), true});
      tx.push_back(Datom{e, 101, Value::Long(static_cast<int64_t>(rng % 90)), TxId(1000 + t), true});
      tx.push_back(Datom{e, 102, Value::Ref(e - 1 - (rng >> 50) % 1000), TxId(1000 + t), true});
      tx.push_back(Datom{e, 103, Value::FromUuid(Uuid{rng, e}), TxId(1000 + t), true});
    }
    mem = mem->Add(std::move(tx), is_ref, no_history);
  }
  uint64_t datoms = 0;
  for (auto _ : state) {
    auto all = mem->Collect(order, false);
    datoms += all.size();
    benchmark::DoNotOptimize(all.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(datoms));
  state.counters["runs"] = static_cast<double>(mem->stats().current_runs);
}
BENCHMARK(BM_MemIndexCollect)->ArgName("order")->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_MemIndexAdd)
    ->ArgNames({"datoms_per_tx", "update_permille"})
    ->Args({10, 0})
    ->Args({1000, 0})
    ->Args({1000, 300})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata
