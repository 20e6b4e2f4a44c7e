// A tiny Google Benchmark binary for the regression gate's own tests: a
// stand-in "read" (binary searches over a sorted array) whose speed does not
// depend on the engine, so the gate's tests and its false-positive
// measurement (docs/harness.md) see only the machine's noise.
//
// Test-only knob: STRATA_PLANT_SLOW_READ_US=N busy-waits N microseconds in
// every read, a planted slowdown the gate must catch and name.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

double PlantedSlowReadUs() {
  const char* v = std::getenv("STRATA_PLANT_SLOW_READ_US");
  return v == nullptr ? 0 : std::strtod(v, nullptr);
}

void BusyWaitUs(double us) {
  if (us <= 0) return;
  const auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(static_cast<int64_t>(us * 1000));
  while (std::chrono::steady_clock::now() < end) {
  }
}

const std::vector<uint64_t>& Keys() {
  static const std::vector<uint64_t> keys = [] {
    std::vector<uint64_t> k(1 << 16);
    std::mt19937_64 rng(1);
    for (auto& x : k) x = rng();
    std::sort(k.begin(), k.end());
    return k;
  }();
  return keys;
}

// One "read": 256 lookups, a few microseconds.
void BM_GateRead(benchmark::State& state) {
  const std::vector<uint64_t>& keys = Keys();
  const double slow_us = PlantedSlowReadUs();
  std::mt19937_64 rng(2);
  uint64_t found = 0;
  for (auto _ : state) {
    for (int i = 0; i < 256; ++i) found += std::binary_search(keys.begin(), keys.end(), rng()) ? 1 : 0;
    BusyWaitUs(slow_us);
  }
  benchmark::DoNotOptimize(found);
  state.counters["segments_read"] = 0;  // a deterministic counter: the gate compares it exactly
}
BENCHMARK(BM_GateRead);

// A second figure the planted slowdown leaves alone.
void BM_GateSum(benchmark::State& state) {
  const std::vector<uint64_t>& keys = Keys();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (size_t i = 0; i < 4096; ++i) sum += keys[i];
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_GateSum);

}  // namespace

BENCHMARK_MAIN();
