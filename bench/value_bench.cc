// Values: comparing datoms in each index order (the innermost operation of
// sorting, merging and seeking) and encoding/decoding values (the log and
// segment formats), over a mix of every value type.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "util/coding.h"
#include "strata/value.h"

namespace strata {
namespace {

// Datoms with values of every type, in no particular order; neighbours
// often share e and a, as in real indexes, so comparisons reach the value.
std::vector<Datom> MixedDatoms(size_t n) {
  std::vector<Datom> out;
  out.reserve(n);
  uint64_t x = 88172645463325252ULL;
  auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17, x; };
  for (size_t i = 0; i < n; ++i) {
    Datom d;
    d.e = MakeEntityId(kPartUser, 1000 + next() % 64);
    d.a = 100 + next() % 6;
    switch (d.a % 6) {
      case 0: d.v = Value::Long(static_cast<int64_t>(next() % 1000)); break;
      case 1: d.v = Value::String("name-" + std::to_string(next() % 500)); break;
      case 2: d.v = Value::Ref(MakeEntityId(kPartUser, next() % 5000)); break;
      case 3: d.v = Value::Double(static_cast<double>(next() % 10000) / 7.0); break;
      case 4: d.v = Value::Keyword("k/" + std::to_string(next() % 20)); break;
      default: d.v = Value::Instant(static_cast<int64_t>(1700000000000 + next() % 100000)); break;
    }
    d.tx = TxId(1000 + next() % 100);
    d.added = next() % 4 != 0;
    out.push_back(std::move(d));
  }
  return out;
}

void BM_CompareDatoms(benchmark::State& state) {
  const auto order = static_cast<Index>(state.range(0));
  const std::vector<Datom> ds = MixedDatoms(4096);
  size_t i = 0;
  int64_t sum = 0;
  for (auto _ : state) {
    sum += CompareDatoms(order, ds[i], ds[(i + 1) & 4095]);
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(IndexName(order)));
}
BENCHMARK(BM_CompareDatoms)->DenseRange(0, kIndexCount - 1);

// Sorting a transaction's datoms: std::sort on the datoms themselves
// (arg 0) against SortDatoms (arg 1), which sorts positions and moves
// each datom once.
void BM_SortDatoms(benchmark::State& state) {
  const std::vector<Datom> ds = MixedDatoms(static_cast<size_t>(state.range(1)));
  for (auto _ : state) {
    std::vector<Datom> v = ds;
    if (state.range(0) == 0) std::sort(v.begin(), v.end(), DatomLess{Index::kEavt});
    else SortDatoms(Index::kEavt, &v);
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetLabel(state.range(0) == 0 ? "std::sort" : "SortDatoms");
}
BENCHMARK(BM_SortDatoms)->ArgsProduct({{0, 1}, {1000, 20000}});

void BM_EncodeValues(benchmark::State& state) {
  const std::vector<Datom> ds = MixedDatoms(4096);
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const Datom& d : ds) coding::PutValue(&out, d.v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ds.size()));
  state.counters["bytes_per_value"] = static_cast<double>(out.size()) / static_cast<double>(ds.size());
}
BENCHMARK(BM_EncodeValues);

void BM_DecodeValues(benchmark::State& state) {
  const std::vector<Datom> ds = MixedDatoms(4096);
  std::string enc;
  for (const Datom& d : ds) coding::PutValue(&enc, d.v);
  for (auto _ : state) {
    std::string_view in = enc;
    Value v;
    size_t n = 0;
    while (!in.empty() && coding::GetValue(&in, &v)) ++n;
    if (n != ds.size()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ds.size()));
}
BENCHMARK(BM_DecodeValues);

}  // namespace
}  // namespace strata
