// Clause-order independence of query time: each clause-order case
// (clause_order.h) run with every permutation of its :where clauses (at
// most 5040). Each permutation is run kRuns times and its fastest run kept,
// in CPU time of the running thread (the work is deterministic; on a
// loaded machine the fastest run, in CPU time, is the one least disturbed
// by other processes); the counters report the fastest and the slowest
// permutation and their ratio, worst/best (1 when the order written does
// not matter), the written order's time, and how many distinct plans the
// permutations got (read from explain; 1 when the planner ignores the
// written order, so the ratio is then the measurement's noise), and the
// worst/best ratio of the work done, exactly: datoms read plus tuples built. Run:
//   build/release/bench/strata_bench --benchmark_filter=BM_ClauseOrder
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "clause_order.h"

namespace strata::bench {
namespace {

constexpr size_t kMaxPermutations = 5040;
constexpr int kRuns = 5;

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

LoadedDb& Db(const std::string& name) {
  static LoadedDb* people = nullptr;
  static LoadedDb* mbrainz = nullptr;
  LoadedDb*& slot = name == "people" ? people : mbrainz;
  if (slot == nullptr) {
    auto r = name == "people" ? LoadPeople() : LoadMbrainz();
    if (!r.ok()) {
      std::fprintf(stderr, "loading %s: %s\n", name.c_str(), r.status().ToString().c_str());
      std::exit(1);
    }
    slot = r->release();
  }
  return *slot;
}

void BM_ClauseOrder(benchmark::State& state, size_t which) {
  const OrderCase c = OrderCases().at(which);
  state.SetLabel(c.name);
  std::vector<QueryInput> in{Db(c.db).db};
  for (const auto& x : c.inputs) in.push_back(x);
  const edn::Node form = *edn::ReadOne(c.text);
  std::vector<edn::Node> forms;
  for (const auto& p : Permutations(WhereCount(form), kMaxPermutations)) forms.push_back(WithWhereOrder(form, p));
  // The plans the permutations got (the order of the clauses run, from
  // explain): one when the written order does not matter.
  std::set<std::vector<std::string>> plans;
  double work_lo = 1e300, work_hi = 0;
  for (const auto& f : forms) {
    QueryOptions o;
    o.explain = true;
    QueryStats st;
    if (!Q(f, in, o, &st).ok() || st.phases.empty()) continue;
    // The work done, exactly: datoms read and tuples built; the same for
    // every permutation when the plan is. The planner's samples are left
    // out: the first query of the value reads them, the rest find them kept
    // with the value (Database::SampleAttribute).
    const double work = static_cast<double>(st.datoms - st.planner_datoms + st.tuples);
    work_lo = std::min(work_lo, work);
    work_hi = std::max(work_hi, work);
    std::vector<std::string> sched;
    for (const auto& c : st.phases[0].clauses) sched.push_back(edn::Print(c.clause));
    plans.insert(std::move(sched));
  }
  std::vector<double> best(forms.size(), 1e300);
  for (auto _ : state) {
    for (int run = 0; run < kRuns; ++run) {
      for (size_t i = 0; i < forms.size(); ++i) {
        const double t0 = ThreadCpuMs();
        auto r = Q(forms[i], in);
        const double ms = ThreadCpuMs() - t0;
        if (!r.ok()) {
          state.SkipWithError(r.status().ToString().c_str());
          return;
        }
        best[i] = std::min(best[i], ms);
      }
    }
  }
  const auto [lo, hi] = std::minmax_element(best.begin(), best.end());
  state.counters["perms"] = static_cast<double>(forms.size());
  state.counters["plans"] = static_cast<double>(plans.size());
  state.counters["work_worst/best"] = work_hi / std::max(work_lo, 1.0);
  state.counters["written_ms"] = best[0];
  state.counters["best_ms"] = *lo;
  state.counters["worst_ms"] = *hi;
  state.counters["worst/best"] = *hi / *lo;
}

void RegisterClauseOrder() {
  const auto cases = OrderCases();
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string name = "BM_ClauseOrder/" + cases[i].name.substr(0, cases[i].name.find(' '));
    if (cases[i].db == "mbrainz") name = "BM_ClauseOrder/mbrainz" + std::to_string(i);
    benchmark::RegisterBenchmark(name.c_str(), BM_ClauseOrder, i)->Iterations(1)->Unit(benchmark::kMillisecond);
  }
}
const int kRegistered = (RegisterClauseOrder(), 0);

}  // namespace
}  // namespace strata::bench
