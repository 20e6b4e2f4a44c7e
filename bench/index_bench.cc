// Benchmarks of the durable index's hot paths: segment encode/decode, merge
// iteration, point lookups and range scans over durable + memory sources,
// for each merge strategy.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "format/segment.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/indexing.h"

namespace strata {
namespace {

std::vector<Datom> RealisticLeaf(size_t n) {
  std::vector<Datom> ds;
  ds.reserve(n);
  for (size_t i = 0; ds.size() < n; ++i) {
    EntityId e = MakeEntityId(kPartUser, 1000 + i);
    ds.push_back({e, 1001, Value::String("user" + std::to_string(i)), TxId(1000 + i / 50), true});
    ds.push_back({e, 1002, Value::Long(static_cast<int64_t>(i % 90)), TxId(1000 + i / 50), true});
    ds.push_back({e, 1003, Value::Double(static_cast<double>(i) * 1.5), TxId(1000 + i / 50), true});
    ds.push_back({e, 1004, Value::Ref(MakeEntityId(kPartUser, 1000 + i / 3)), TxId(1000 + i / 50), true});
  }
  ds.resize(n);
  std::sort(ds.begin(), ds.end(), DatomLess{Index::kEavt});
  return ds;
}

void BM_SegmentEncode(benchmark::State& state) {
  auto ds = RealisticLeaf(4096);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string s = EncodeLeaf(Index::kEavt, ds).value();
    bytes = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ds.size()));
  state.counters["bytes_per_datom"] = static_cast<double>(bytes) / static_cast<double>(ds.size());
}
BENCHMARK(BM_SegmentEncode);

void BM_SegmentDecode(benchmark::State& state) {
  auto ds = RealisticLeaf(4096);
  std::string s = EncodeLeaf(Index::kEavt, ds).value();
  for (auto _ : state) {
    Index o;
    std::vector<Datom> out;
    Status st = DecodeLeaf(s, "bench", &o, &out);
    benchmark::DoNotOptimize(out);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ds.size()));
}
BENCHMARK(BM_SegmentDecode);

// A database of `people` entities (4 datoms each) indexed into the durable
// index by `strategy`, with a further 10% in the memory index.
struct Fixture {
  std::unique_ptr<Env> env = NewMemEnv();
  std::unique_ptr<Connection> conn;
  int64_t people = 0;

  Fixture(const std::string& strategy, int64_t n) : people(n) {
    Options o;
    o.env = env.get();
    o.strategy = strategy;
    o.background_indexing = false;
    o.memory_index_threshold = 1ull << 40;
    conn = std::move(Connection::Open("/db", o)).value();
    (void)conn->Transact(R"([
      {:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
      {:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
      {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
      {:db/ident :p/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}])");
    const int64_t durable = n * 9 / 10;
    for (int64_t i = 0; i < n; i += 1000) {
      std::vector<edn::Node> ops;
      for (int64_t k = i; k < std::min(n, i + 1000); ++k) {
        std::vector<edn::Node> kv{edn::Node::Keyword("p/id"), edn::Node::Long(k), edn::Node::Keyword("p/name"),
                                  edn::Node::String("person-" + std::to_string(k)), edn::Node::Keyword("p/age"),
                                  edn::Node::Long(k % 90)};
        if (k / 2 < i) {  // lookup refs resolve against db-before
          kv.push_back(edn::Node::Keyword("p/friend"));
          kv.push_back(edn::Node::Vector({edn::Node::Keyword("p/id"), edn::Node::Long(k / 2)}));
        }
        ops.push_back(edn::Node::Map(std::move(kv)));
      }
      (void)conn->Transact(edn::Node::Vector(std::move(ops)));
      if (i + 1000 >= durable && i < durable) (void)conn->IndexNow();
    }
  }
};

Fixture& Shared(const std::string& strategy) {
  static std::map<std::string, std::unique_ptr<Fixture>> cache;
  auto& f = cache[strategy];
  if (!f) f = std::make_unique<Fixture>(strategy, 50000);
  return *f;
}

// The benchmark argument is an index into StrategyNames(): every registered
// strategy, in name order (the label names it).
std::string StrategyArg(int64_t i) { return StrategyNames()[static_cast<size_t>(i)]; }
void EveryStrategy(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < StrategyNames().size(); ++i) b->Arg(static_cast<int64_t>(i));
}

// One indexing job after another, each over the same amount of fresh
// novelty (5,000 people, ~19,000 datoms, some updating older people) into a
// growing database: the job's own thread CPU per novelty datom
// (JobMetrics.cpu_ms), for the job work (leaf encode/decode, merges,
// pair cancelling) apart from the transactions that feed it. A fixed count
// of jobs, so runs compare job for job.
void BM_IndexJob(benchmark::State& state) {
  const std::string strategy = StrategyArg(state.range(0));
  auto env = NewMemEnv();
  Options o;
  o.env = env.get();
  o.strategy = strategy;
  o.background_indexing = false;
  o.memory_index_threshold = 1ull << 40;
  auto conn = std::move(Connection::Open("/db", o)).value();
  (void)conn->Transact(R"([
    {:db/ident :p/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
    {:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
    {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
    {:db/ident :p/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}])");
  std::mt19937_64 rng(1);
  int64_t next = 0;
  double cpu_ms = 0;
  uint64_t novelty = 0, written = 0;
  std::string error;
  for (auto _ : state) {
    state.PauseTiming();
    for (int batch = 0; batch < 5; ++batch) {
      std::vector<edn::Node> ops;
      const int64_t tx_first = next;  // lookup refs resolve against the db before
      std::set<int64_t> returning_ids;
      for (int k = 0; k < 1000; ++k) {
        // Every fifth a returning person (an update: a retraction and an
        // assertion), the others new.
        int64_t id = tx_first > 0 && k % 5 == 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(tx_first)) : -1;
        const bool returning = id >= 0 && returning_ids.insert(id).second;  // once per transaction
        if (!returning) id = next++;
        std::vector<edn::Node> kv{edn::Node::Keyword("p/id"), edn::Node::Long(id), edn::Node::Keyword("p/name"),
                                  edn::Node::String("person-" + std::to_string(id) + "-" + std::to_string(rng() % 4)),
                                  edn::Node::Keyword("p/age"), edn::Node::Long(static_cast<int64_t>(rng() % 90))};
        if (!returning && id / 2 < tx_first) {
          kv.push_back(edn::Node::Keyword("p/friend"));
          kv.push_back(edn::Node::Vector({edn::Node::Keyword("p/id"), edn::Node::Long(id / 2)}));
        }
        ops.push_back(edn::Node::Map(std::move(kv)));
      }
      auto r = conn->Transact(edn::Node::Vector(std::move(ops)));
      if (!r.ok() && error.empty()) error = r.status().ToString();
    }
    state.ResumeTiming();
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    auto jobs = conn->IndexNow();
    if (!jobs.ok()) {
      state.SkipWithError(jobs.status().ToString().c_str());
      break;
    }
    for (const JobMetrics& m : *jobs) {
      cpu_ms += m.cpu_ms;
      novelty += m.novelty_datoms;
      written += m.datoms_written;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(novelty));
  state.counters["job_ns_per_novelty_datom"] = novelty ? cpu_ms * 1e6 / static_cast<double>(novelty) : 0;
  state.counters["written_per_novelty_datom"] = novelty ? static_cast<double>(written) / static_cast<double>(novelty) : 0;
  state.SetLabel(strategy);
}
BENCHMARK(BM_IndexJob)->Apply(EveryStrategy)->Iterations(40)->Unit(benchmark::kMillisecond);

void BM_PointLookup(benchmark::State& state) {
  Fixture& f = Shared(StrategyArg(state.range(0)));
  Database db = f.conn->db();
  const Attribute* name = db.attribute("p/name");
  std::mt19937_64 rng(1);
  std::vector<EntityId> ids;
  for (int i = 0; i < 1024; ++i)
    ids.push_back(*db.Entid(edn::Node::Vector({edn::Node::Keyword("p/id"), edn::Node::Long(rng() % f.people)})));
  size_t i = 0, sources = 0;
  for (auto _ : state) {
    auto c = db.Datoms(Index::kEavt, {Value::Ref(ids[i++ & 1023]), Value::Ref(name->id)});
    benchmark::DoNotOptimize(c->Valid());
    if (!c->Valid() && !c->status().ok()) state.SkipWithError(c->status().ToString().c_str());
    sources = c->sources_merged();
  }
  state.counters["sources"] = static_cast<double>(sources);
  state.SetLabel(StrategyArg(state.range(0)));
}
BENCHMARK(BM_PointLookup)->Apply(EveryStrategy);

void BM_AsOfPointLookup(benchmark::State& state) {
  Fixture& f = Shared(StrategyArg(state.range(0)));
  Database db = f.conn->db().AsOf(f.conn->db().basis_t() - 5);
  const Attribute* name = db.attribute("p/name");
  std::mt19937_64 rng(1);
  std::vector<EntityId> ids;
  for (int i = 0; i < 1024; ++i)
    ids.push_back(*db.Entid(edn::Node::Vector({edn::Node::Keyword("p/id"), edn::Node::Long(rng() % (f.people / 2))})));
  size_t i = 0;
  for (auto _ : state) {
    auto c = db.Datoms(Index::kEavt, {Value::Ref(ids[i++ & 1023]), Value::Ref(name->id)});
    benchmark::DoNotOptimize(c->Valid());
    if (!c->Valid() && !c->status().ok()) state.SkipWithError(c->status().ToString().c_str());
  }
  state.SetLabel(StrategyArg(state.range(0)));
}
BENCHMARK(BM_AsOfPointLookup)->Apply(EveryStrategy);

void BM_RangeScan100(benchmark::State& state) {
  Fixture& f = Shared(StrategyArg(state.range(0)));
  Database db = f.conn->db();
  const Attribute* age = db.attribute("p/age");
  int64_t n = 0;
  for (auto _ : state) {
    auto c = db.IndexRange(age->id, Value::Long(30), std::nullopt);
    int k = 0;
    for (; c->Valid() && k < 100; c->Next(), ++k) benchmark::DoNotOptimize(c->datom());
    if (!c->Valid() && !c->status().ok()) state.SkipWithError(c->status().ToString().c_str());
    n += k;
  }
  state.SetItemsProcessed(n);
  state.SetLabel(StrategyArg(state.range(0)));
}
BENCHMARK(BM_RangeScan100)->Apply(EveryStrategy);

void BM_MergeIterationFullScan(benchmark::State& state) {
  Fixture& f = Shared(StrategyArg(state.range(0)));
  Database db = f.conn->db();
  int64_t n = 0;
  for (auto _ : state) {
    auto c = db.Datoms(Index::kAevt);
    for (; c->Valid(); c->Next()) ++n;
    if (!c->status().ok()) state.SkipWithError(c->status().ToString().c_str());
    state.counters["sources"] = static_cast<double>(c->sources_merged());
  }
  state.SetItemsProcessed(n);
  state.SetLabel(StrategyArg(state.range(0)));
}
BENCHMARK(BM_MergeIterationFullScan)->Apply(EveryStrategy)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata
