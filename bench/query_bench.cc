// Pull and Datalog on the classic DataScript benchmark data (people_data.h:
// 20,000 people, 100,000 datoms, in memory): point pulls by id and by
// lookup ref, wildcard and nested pulls, pull-many, the comparison's
// queries (1 to 4 joins, predicates, a ref join, an aggregate) and a
// recursive rule. Queries and patterns are parsed once, outside the timed
// loop (scripts/datascript-compare times them from text, as DataScript's
// JavaScript API must).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "people_data.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/env.h"
#include "strata/pull.h"
#include "strata/query.h"

namespace strata::bench {
namespace {

// One database for every benchmark in this file, built on first use.
struct People {
  std::unique_ptr<Env> env;
  std::unique_ptr<Connection> conn;
  std::vector<EntityId> ids;  // person i's entity id
  Database db;

  static People& Get() {
    static People* p = [] {
      auto* x = new People;
      x->env = NewMemEnv();
      Options o;
      o.env = x->env.get();
      auto c = Connection::Open("/db", o);
      x->conn = std::move(*c);
      (void)x->conn->Transact(kPeopleSchema);
      const auto people = MakePeople(20000, 1);
      // A unique key for the lookup-ref benchmark (not in the comparison).
      (void)x->conn->Transact(
          "[{:db/ident :person/id :db/valueType :db.type/long :db/cardinality :db.cardinality/one"
          " :db/unique :db.unique/identity}]");
      edn::Node tx = PeopleTx(people);
      for (size_t i = 0; i < tx.items.size(); ++i) {
        tx.items[i].items.push_back(edn::Node::Keyword("person/id"));
        tx.items[i].items.push_back(edn::Node::Long(static_cast<int64_t>(i)));
      }
      auto r = x->conn->Transact(tx);
      for (size_t i = 0; i < people.size(); ++i) x->ids.push_back(r->tempids.at("p" + std::to_string(i)));
      x->db = x->conn->db();
      return x;
    }();
    return *p;
  }
};

edn::Node Edn(const std::string& text) { return *edn::ReadOne(text); }

void BM_PullById(benchmark::State& state, const char* pattern) {
  People& p = People::Get();
  const edn::Node pat = Edn(pattern);
  size_t i = 0;
  for (auto _ : state) {
    auto r = Pull(p.db, pat, edn::Node::Long(static_cast<int64_t>(p.ids[i++ * 7919 % p.ids.size()])));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_PullById, attrs4, "[:person/name :person/last-name :person/age :person/salary]");
BENCHMARK_CAPTURE(BM_PullById, wildcard, "[*]");
BENCHMARK_CAPTURE(BM_PullById, nested_ref, "[:person/name {:person/follows [:person/name :person/age]}]");
BENCHMARK_CAPTURE(BM_PullById, reverse_ref, "[:person/name {:person/_follows [:person/name]}]");

void BM_PullByLookupRef(benchmark::State& state) {
  People& p = People::Get();
  const edn::Node pat = Edn("[:person/name :person/age]");
  int64_t i = 0;
  for (auto _ : state) {
    auto r = Pull(p.db, pat, edn::Node::Vector({edn::Node::Keyword("person/id"), edn::Node::Long(i++ * 7919 % 20000)}));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PullByLookupRef);

void BM_PullAsOf(benchmark::State& state) {
  People& p = People::Get();
  const Database as_of = p.db.AsOf(p.db.basis_t());
  const edn::Node pat = Edn("[:person/name :person/age]");
  size_t i = 0;
  for (auto _ : state) {
    auto r = Pull(as_of, pat, edn::Node::Long(static_cast<int64_t>(p.ids[i++ * 7919 % p.ids.size()])));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PullAsOf);

void BM_PullMany1000(benchmark::State& state) {
  People& p = People::Get();
  const edn::Node pat = Edn("[*]");
  std::vector<edn::Node> ids;
  for (size_t i = 0; i < 1000; ++i) ids.push_back(edn::Node::Long(static_cast<int64_t>(p.ids[i * 7 % p.ids.size()])));
  for (auto _ : state) benchmark::DoNotOptimize(PullMany(p.db, pat, ids));
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_PullMany1000)->Unit(benchmark::kMicrosecond);

void BM_Query(benchmark::State& state, size_t which) {
  People& p = People::Get();
  const PeopleQuery q = PeopleQueries().at(which);
  state.SetLabel(q.name);
  const edn::Node form = Edn(q.text);
  std::vector<QueryInput> in{p.db};
  for (const auto& x : q.inputs) in.push_back(x);
  size_t rows = 0;
  for (auto _ : state) {
    auto r = Q(form, in);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    rows = r->items.size();
  }
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK_CAPTURE(BM_Query, q1, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, q2, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, q3, 2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, q4, 3)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, q5, 4)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, qpred1, 5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, qpred2, 6)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, qref, 7)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, qsame_age, 8)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, qagg, 9)->Unit(benchmark::kMillisecond);

// A point query by a bound entity, and a recursive rule over :person/follows
// from one person (tabled, semi-naive).
void BM_QueryPoint(benchmark::State& state) {
  People& p = People::Get();
  const edn::Node form = Edn("[:find ?n ?a :in $ ?e :where [?e :person/name ?n] [?e :person/age ?a]]");
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        Q(form, {p.db, edn::Node::Long(static_cast<int64_t>(p.ids[i++ * 7919 % p.ids.size()]))}));
  }
}
BENCHMARK(BM_QueryPoint);

void BM_QueryRecursiveRule(benchmark::State& state) {
  People& p = People::Get();
  const edn::Node form = Edn("[:find (count ?b) . :in $ % ?a :where (reach ?a ?b)]");
  const edn::Node rules = Edn("[[(reach ?a ?b) [?a :person/follows ?b]]"
                              " [(reach ?a ?b) (reach ?a ?x) [?x :person/follows ?b]]]");
  for (auto _ : state) {
    benchmark::DoNotOptimize(Q(form, {p.db, rules, edn::Node::Long(static_cast<int64_t>(p.ids[0]))}));
  }
}
BENCHMARK(BM_QueryRecursiveRule)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace strata::bench
