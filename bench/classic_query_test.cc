// The classic DataScript benchmark queries, exactly as the comparison runs
// them (people_data.h: PeopleQueries, on PeopleTx's people), each result
// compared with a naive evaluation over the generated records (no index, no
// planner): what the query engine's fast paths (rows built in place,
// entity-keyed lookups grouped by sorting, a constant-value scan compared on
// the cursor's fields, sums and averages added where the values stand) must
// not change.
//
// Datomic's semantics: a :find of variables returns a set of tuples; an
// aggregate groups by the other find elements, (count ?x) counts the
// group's values and (avg ?x) is their mean
// (https://docs.datomic.com/query/query-data-reference.html, "Aggregates").
#include <algorithm>
#include <map>
#include <random>

#include "people_data.h"
#include "query_test_util.h"

namespace strata::bench {
namespace {

using edn::Node;

class ClassicQueries : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(kPeopleSchema);
    people_ = MakePeople(3000, 20);
    auto r = conn_->Transact(PeopleTx(people_));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (size_t i = 0; i < people_.size(); ++i) person_ids_.push_back(r->tempids.at("p" + std::to_string(i)));
  }

  Node Pid(size_t i) const { return Node::Long(static_cast<int64_t>(person_ids_[i])); }
  static Node Row(std::vector<Node> xs) { return Node::Vector(std::move(xs)); }

  void Expect(const std::string& q, std::vector<Node> rows, std::vector<QueryInput> extra = {}) {
    std::vector<QueryInput> in{db()};
    for (auto& x : extra) in.push_back(x);
    auto form = edn::ReadOne(q);
    ASSERT_TRUE(form.ok()) << form.status().ToString();
    auto r = Q(*form, in);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n in " << q;
    const Node want = Node::Set(std::move(rows));
    EXPECT_GT(want.items.size(), 0u) << "a case that selects nothing shows nothing: " << q;
    EXPECT_EQ(r->items.size(), want.items.size()) << q;
    EXPECT_EQ(*r, want) << q;
  }

  std::vector<Person> people_;
  std::vector<EntityId> person_ids_;
};

TEST_F(ClassicQueries, EveryQueryEqualsANaiveEvaluation) {
  std::map<std::string, std::vector<Node>> want;  // by the query's short name
  for (size_t i = 0; i < people_.size(); ++i) {
    const Person& p = people_[i];
    if (p.salary > 50000) {
      want["qpred1"].push_back(Row({Pid(i), Node::Long(p.salary)}));
      want["qpred2"].push_back(Row({Pid(i), Node::Long(p.salary)}));
    }
    if (p.name != "Ivan") continue;
    want["q1"].push_back(Row({Pid(i)}));
    want["q2"].push_back(Row({Pid(i), Node::Long(p.age)}));
    if (p.follows >= 0) {
      const Person& f = people_[static_cast<size_t>(p.follows)];
      if (f.age > 50) want["qref"].push_back(Row({Pid(i), Node::String(f.name)}));
    }
    if (p.last_name == "Ivanov") {
      for (size_t j = 0; j < people_.size(); ++j) {
        const Person& o = people_[j];
        if (o.name == "Petr" && o.last_name == "Petrov" && o.age == p.age) {
          want["qsame-age"].push_back(Row({Pid(i), Pid(j)}));
        }
      }
    }
    if (p.sex != "male") continue;
    want["q3"].push_back(Row({Pid(i), Node::Long(p.age)}));
    want["q4"].push_back(Row({Pid(i), Node::String(p.last_name), Node::Long(p.age)}));
    want["q5"].push_back(Row({Pid(i), Node::String(p.last_name), Node::Long(p.age), Node::Long(p.salary)}));
  }
  // Salaries are integers far below 2^53: their double sum is exact in any order.
  std::map<std::string, std::pair<double, int64_t>> by_name;
  for (const Person& p : people_) {
    by_name[p.name].first += static_cast<double>(p.salary);
    ++by_name[p.name].second;
  }
  for (const auto& [n, sc] : by_name) {
    want["qagg"].push_back(
        Row({Node::String(n), Node::Double(sc.first / static_cast<double>(sc.second)), Node::Long(sc.second)}));
  }

  const std::vector<PeopleQuery> queries = PeopleQueries();
  ASSERT_EQ(queries.size(), 10u);
  for (const PeopleQuery& q : queries) {
    const std::string name = q.name.substr(0, q.name.find(' '));
    ASSERT_TRUE(want.count(name)) << "no naive evaluation for " << q.name;
    std::vector<QueryInput> inputs;
    for (const Node& x : q.inputs) inputs.push_back(x);
    Expect(q.text, want[name], inputs);
  }
}

// A pattern looked up per bound entity, where the relation binds an entity
// on several rows and in no order: every row gets the entity's values, once.
// With 300 entities the lookups are served by one attribute scan; with 20,
// by a lookup each (query/patterns.cc); both group the rows by sorting ids.
TEST_F(ClassicQueries, EntityKeyedLookupJoinsRepeatedUnsortedEntities) {
  for (size_t count : {size_t{20}, size_t{300}}) {
    std::vector<size_t> picks;
    for (size_t i = 0; i < count; ++i) picks.push_back(i * 7 % people_.size());
    std::mt19937_64 rng(count);
    std::shuffle(picks.begin(), picks.end(), rng);
    std::vector<Node> input, want;
    for (size_t i : picks) {
      for (int64_t tag : {1, 2}) {
        input.push_back(Node::Vector({Pid(i), Node::Long(tag)}));
        want.push_back(Row({Node::Long(tag), Pid(i), Node::Long(people_[i].age)}));
      }
    }
    // An id no entity has, and a negative number: no rows.
    input.push_back(Node::Vector({Node::Long(987654321), Node::Long(1)}));
    input.push_back(Node::Vector({Node::Long(-5), Node::Long(1)}));
    Expect("[:find ?tag ?e ?a :in $ [[?e ?tag]] :where [?e :person/age ?a]]", want, {Node::Vector(input)});
  }
}

}  // namespace
}  // namespace strata::bench
