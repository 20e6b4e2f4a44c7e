// The classic DataScript benchmark queries (bench/people_data.cc: 1-4 joins,
// predicates, a ref join, a value join, an aggregate) on generated people,
// each result compared with a naive evaluation over the generated records
// (no index, no planner): what the query engine's fast paths (rows built in
// place, entity-keyed lookups grouped by sorting, sums and averages added
// where the values stand) must not change.
//
// Datomic's semantics: a :find of variables returns a set of tuples; an
// aggregate groups by the other find elements, (count ?x) counts the
// group's values, (avg ?x) is their mean and (sum ?x) their sum; :with keeps
// the bag of values the aggregate sees
// (https://docs.datomic.com/query/query-data-reference.html, "Aggregates",
// "With").
#include <algorithm>
#include <map>
#include <random>

#include "query_test_util.h"

namespace strata {
namespace {

using edn::Node;

struct Person {
  std::string name, last, sex;
  int64_t age = 0, salary = 0;
  int follows = -1;
  EntityId id = 0;
};

class ClassicQueries : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :person/last-name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :person/sex :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
           {:db/ident :person/salary :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
           {:db/ident :person/follows :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])");
    static const char* kNames[] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry"};
    static const char* kLast[] = {"Ivanov", "Petrov", "Sidorov", "Kovalev"};
    std::mt19937_64 rng(20);
    people_.resize(3000);
    std::vector<Node> ops;
    for (size_t i = 0; i < people_.size(); ++i) {
      Person& p = people_[i];
      p.name = kNames[rng() % 6];
      p.last = kLast[rng() % 4];
      p.sex = rng() % 2 ? "male" : "female";
      p.age = static_cast<int64_t>(rng() % 100);
      p.salary = static_cast<int64_t>(rng() % 100000);
      if (i % 3 == 0) p.follows = static_cast<int>(rng() % people_.size());
      std::vector<Node> m = {Node::Keyword("db/id"),       Node::String("p" + std::to_string(i)),
                             Node::Keyword("person/name"), Node::String(p.name),
                             Node::Keyword("person/last-name"), Node::String(p.last),
                             Node::Keyword("person/sex"),  Node::String(p.sex),
                             Node::Keyword("person/age"),  Node::Long(p.age),
                             Node::Keyword("person/salary"), Node::Long(p.salary)};
      if (p.follows >= 0) {
        m.push_back(Node::Keyword("person/follows"));
        m.push_back(Node::String("p" + std::to_string(p.follows)));
      }
      ops.push_back(Node::Map(std::move(m)));
    }
    auto r = conn_->Transact(Node::Vector(std::move(ops)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (size_t i = 0; i < people_.size(); ++i) people_[i].id = r->tempids.at("p" + std::to_string(i));
  }

  static Node Id(const Person& p) { return Node::Long(static_cast<int64_t>(p.id)); }
  static Node Row(std::vector<Node> xs) { return Node::Vector(std::move(xs)); }

  void Expect(const std::string& q, std::vector<Node> rows, std::vector<QueryInput> extra = {}) {
    std::vector<QueryInput> in{db()};
    for (auto& x : extra) in.push_back(x);
    auto r = Q(E(q), in);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n in " << q;
    const Node want = Node::Set(std::move(rows));
    EXPECT_GT(want.items.size(), 0u) << "a case that selects nothing shows nothing: " << q;
    EXPECT_EQ(r->items.size(), want.items.size()) << q;
    EXPECT_EQ(*r, want) << q;
  }

  std::vector<Person> people_;
};

TEST_F(ClassicQueries, EveryQueryEqualsANaiveEvaluation) {
  std::vector<Node> q1, q2, q3, q4, q5, pred, ref, same, agg;
  for (const Person& p : people_) {
    if (p.salary > 50000) pred.push_back(Row({Id(p), Node::Long(p.salary)}));
    if (p.name != "Ivan") continue;
    q1.push_back(Row({Id(p)}));
    q2.push_back(Row({Id(p), Node::Long(p.age)}));
    if (p.follows >= 0) {
      const Person& f = people_[static_cast<size_t>(p.follows)];
      if (f.age > 50) ref.push_back(Row({Id(p), Node::String(f.name)}));
    }
    if (p.last == "Ivanov") {
      for (const Person& o : people_)
        if (o.name == "Petr" && o.last == "Petrov" && o.age == p.age) same.push_back(Row({Id(p), Id(o)}));
    }
    if (p.sex != "male") continue;
    q3.push_back(Row({Id(p), Node::Long(p.age)}));
    q4.push_back(Row({Id(p), Node::String(p.last), Node::Long(p.age)}));
    q5.push_back(Row({Id(p), Node::String(p.last), Node::Long(p.age), Node::Long(p.salary)}));
  }
  // Salaries are integers far below 2^53: their double sum is exact in any order.
  std::map<std::string, std::pair<double, int64_t>> by_name;
  for (const Person& p : people_) {
    by_name[p.name].first += static_cast<double>(p.salary);
    ++by_name[p.name].second;
  }
  for (const auto& [n, sc] : by_name)
    agg.push_back(Row({Node::String(n), Node::Double(sc.first / static_cast<double>(sc.second)), Node::Long(sc.second)}));

  Expect(R"([:find ?e :where [?e :person/name "Ivan"]])", q1);
  Expect(R"([:find ?e ?a :where [?e :person/name "Ivan"] [?e :person/age ?a]])", q2);
  Expect(R"([:find ?e ?a :where [?e :person/name "Ivan"] [?e :person/age ?a] [?e :person/sex "male"]])", q3);
  Expect(R"([:find ?e ?l ?a :where [?e :person/name "Ivan"] [?e :person/last-name ?l] [?e :person/age ?a]
             [?e :person/sex "male"]])", q4);
  Expect(R"([:find ?e ?l ?a ?s :where [?e :person/name "Ivan"] [?e :person/last-name ?l] [?e :person/age ?a]
             [?e :person/sex "male"] [?e :person/salary ?s]])", q5);
  Expect(R"([:find ?e ?s :where [?e :person/salary ?s] [(> ?s 50000)]])", pred);
  Expect(R"([:find ?e ?s :in $ ?min :where [?e :person/salary ?s] [(> ?s ?min)]])", pred, {Node::Long(50000)});
  Expect(R"([:find ?e ?n2 :where [?e :person/name "Ivan"] [?e :person/follows ?f] [?f :person/name ?n2]
             [?f :person/age ?a] [(> ?a 50)]])", ref);
  Expect(R"([:find ?e1 ?e2 :where [?e1 :person/name "Ivan"] [?e1 :person/last-name "Ivanov"] [?e1 :person/age ?a]
             [?e2 :person/age ?a] [?e2 :person/name "Petr"] [?e2 :person/last-name "Petrov"]])", same);
  Expect(R"([:find ?n (avg ?s) (count ?e) :where [?e :person/name ?n] [?e :person/salary ?s]])", agg);
}

// A pattern looked up per bound entity, where the relation binds an entity
// on several rows and in no order: every row gets the entity's values, once.
// With 300 entities the lookups are served by one attribute scan; with 20,
// by a lookup each (patterns.cc); both group the rows by sorting ids.
TEST_F(ClassicQueries, EntityKeyedLookupJoinsRepeatedUnsortedEntities) {
  for (size_t count : {size_t{20}, size_t{300}}) {
    std::vector<size_t> picks;
    for (size_t i = 0; i < count; ++i) picks.push_back(i * 7 % people_.size());
    std::mt19937_64 rng(count);
    std::shuffle(picks.begin(), picks.end(), rng);
    std::vector<Node> input, want;
    for (size_t i : picks) {
      const Person& p = people_[i];
      for (int64_t tag : {1, 2}) {
        input.push_back(Node::Vector({Id(p), Node::Long(tag)}));
        want.push_back(Row({Node::Long(tag), Id(p), Node::Long(p.age)}));
      }
    }
    // An id no entity has, and a negative number: no rows.
    input.push_back(Node::Vector({Node::Long(987654321), Node::Long(1)}));
    input.push_back(Node::Vector({Node::Long(-5), Node::Long(1)}));
    Expect("[:find ?tag ?e ?a :in $ [[?e ?tag]] :where [?e :person/age ?a]]", want, {Node::Vector(input)});
  }
}

// sum and avg over a group's values as Datomic defines them: longs sum to a
// long, a double among them makes the sum a double; avg is a double; a
// value that is not a number, and a long sum that overflows, are errors.
TEST_F(ClassicQueries, SumAndAvgOverMixedNumbers) {
  auto run = [&](const std::string& rel) {
    auto r = Q(E("[:find ?k (sum ?x) (avg ?x) :with ?i :in [[?k ?x ?i]]]"), {E(rel)});
    return r.ok() ? edn::Print(*r) : "error: " + r.status().message();
  };
  EXPECT_EQ(run(R"([["a" 1 0] ["a" 2 1] ["a" 2 2] ["b" 1 3] ["b" 2.5 4]])"), R"(#{["a" 5 1.6666666666666667] ["b" 3.5 1.75]})");
  EXPECT_EQ(run(R"([["a" 1 0] ["a" "x" 1]])"), R"(error: (sum) needs numbers, got "x")");
  EXPECT_EQ(run(R"([["a" 9223372036854775807 0] ["a" 1 1]])"), "error: integer overflow in (sum)");
  // avg of longs that overflow a long sum: a double mean, no error.
  auto avg = Q(E("[:find (avg ?x) . :with ?i :in [[?x ?i]]]"), {E("[[9223372036854775807 0] [9223372036854775807 1]]")});
  ASSERT_TRUE(avg.ok()) << avg.status().ToString();
  EXPECT_EQ(avg->kind, edn::Kind::kDouble);
  EXPECT_EQ(avg->d, 9223372036854775807.0);
}

}  // namespace
}  // namespace strata
