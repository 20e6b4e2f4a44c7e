// The classic DataScript benchmark data set and queries (people_data.h).
#include "people_data.h"

#include <random>

namespace strata::bench {

const char* const kPeopleSchema = R"([
  {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :person/last-name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :person/sex :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :person/salary :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :person/follows :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])";

std::vector<Person> MakePeople(int n, uint64_t seed) {
  static const char* kNames[] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"};
  static const char* kLast[] = {"Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"};
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t k) { return rng() % k; };
  std::vector<Person> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Person& p = out[static_cast<size_t>(i)];
    p.name = kNames[pick(8)];
    p.last_name = kLast[pick(6)];
    p.sex = pick(2) ? "male" : "female";
    p.age = static_cast<int64_t>(pick(100));
    p.salary = static_cast<int64_t>(pick(100000));
    if (i % 4 == 0 && n > 1) p.follows = static_cast<int>(pick(static_cast<uint64_t>(n)));
  }
  return out;
}

edn::Node PeopleTx(const std::vector<Person>& people) {
  using edn::Node;
  std::vector<Node> ops;
  ops.reserve(people.size());
  for (size_t i = 0; i < people.size(); ++i) {
    const Person& p = people[i];
    std::vector<Node> m = {Node::Keyword("db/id"),         Node::String("p" + std::to_string(i)),
                           Node::Keyword("person/name"),   Node::String(p.name),
                           Node::Keyword("person/last-name"), Node::String(p.last_name),
                           Node::Keyword("person/sex"),    Node::String(p.sex),
                           Node::Keyword("person/age"),    Node::Long(p.age),
                           Node::Keyword("person/salary"), Node::Long(p.salary)};
    if (p.follows >= 0) {
      m.push_back(Node::Keyword("person/follows"));
      m.push_back(Node::String("p" + std::to_string(p.follows)));
    }
    ops.push_back(Node::Map(std::move(m)));
  }
  return Node::Vector(std::move(ops));
}

uint64_t PeopleDatoms(const std::vector<Person>& people) {
  uint64_t n = 0;
  for (const Person& p : people) n += 5 + (p.follows >= 0);
  return n;
}

std::vector<PeopleQuery> PeopleQueries() {
  return {
      {"q1 (1 clause)", R"([:find ?e :where [?e :person/name "Ivan"]])", {}},
      {"q2 (1 join)", R"([:find ?e ?a :where [?e :person/name "Ivan"] [?e :person/age ?a]])", {}},
      {"q3 (2 joins)", R"([:find ?e ?a :where [?e :person/name "Ivan"] [?e :person/age ?a] [?e :person/sex "male"]])", {}},
      {"q4 (3 joins)",
       R"([:find ?e ?l ?a :where [?e :person/name "Ivan"] [?e :person/last-name ?l] [?e :person/age ?a]
          [?e :person/sex "male"]])",
       {}},
      {"q5 (4 joins)",
       R"([:find ?e ?l ?a ?s :where [?e :person/name "Ivan"] [?e :person/last-name ?l] [?e :person/age ?a]
          [?e :person/sex "male"] [?e :person/salary ?s]])",
       {}},
      {"qpred1 (predicate)", R"([:find ?e ?s :where [?e :person/salary ?s] [(> ?s 50000)]])", {}},
      {"qpred2 (predicate, input)", R"([:find ?e ?s :in $ ?min :where [?e :person/salary ?s] [(> ?s ?min)]])",
       {edn::Node::Long(50000)}},
      {"qref (join through a ref)",
       R"([:find ?e ?n2 :where [?e :person/name "Ivan"] [?e :person/follows ?f] [?f :person/name ?n2]
          [?f :person/age ?a] [(> ?a 50)]])",
       {}},
      {"qsame-age (value join)",
       R"([:find ?e1 ?e2 :where [?e1 :person/name "Ivan"] [?e1 :person/last-name "Ivanov"] [?e1 :person/age ?a]
          [?e2 :person/age ?a] [?e2 :person/name "Petr"] [?e2 :person/last-name "Petrov"]])",
       {}},
      {"qagg (aggregate)", R"([:find ?n (avg ?s) (count ?e) :where [?e :person/name ?n] [?e :person/salary ?s]])", {}},
  };
}

}  // namespace strata::bench
