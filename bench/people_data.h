// people_data.h — the classic DataScript benchmark data set, for the query
// and pull benchmarks and the DataScript comparison (bench only).
//
// `n` people (default 20,000), each with 5 datoms: name (8 first names),
// last name (6), sex ("male"/"female"), age (0-99) and salary (0-99,999):
// 100,000 datoms, as in DataScript's bench. Every fourth person also
// follows one other person (a ref, for joins through references). The
// same seed gives the same people.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/edn.h"

namespace strata::bench {

struct Person {
  std::string name, last_name, sex;
  int64_t age = 0, salary = 0;
  int follows = -1;  // index of the person followed, or -1
};

std::vector<Person> MakePeople(int n, uint64_t seed);

// strata's schema (EDN text) and the people as one transaction; person i
// has the tempid "p<i>".
extern const char* const kPeopleSchema;
edn::Node PeopleTx(const std::vector<Person>& people);

// The number of datoms PeopleTx asserts (besides :db/txInstant).
uint64_t PeopleDatoms(const std::vector<Person>& people);

// A benchmark query: strata's EDN and its input values (after $).
struct PeopleQuery {
  std::string name;
  std::string text;                 // attributes as :person/x
  std::vector<edn::Node> inputs;
};

// The queries of the comparison: 1 to 4 joins, predicates, a join through
// a reference, an aggregate.
std::vector<PeopleQuery> PeopleQueries();

}  // namespace strata::bench
