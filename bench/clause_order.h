// clause_order.h — the queries whose :where clauses are permuted by the
// clause-order test and benchmark (bench only): the classic DataScript
// benchmark queries on the people data (people_data.h) and three queries on
// the real MusicBrainz 1968-1973 subset, and the databases they run on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/connection.h"
#include "strata/database.h"
#include "strata/edn.h"
#include "strata/env.h"
#include "strata/query.h"

namespace strata::bench {

struct OrderCase {
  std::string name;
  std::string db;                  // "people" or "mbrainz"
  std::string text;                // the query, clauses in the written order
  std::vector<edn::Node> inputs;   // after $
};

// Every classic people query (PeopleQueries()) and three mbrainz queries.
std::vector<OrderCase> OrderCases();

// The query `q` (vector form) with its :where clauses reordered: clause i
// of the result is the written clause perm[i].
edn::Node WithWhereOrder(const edn::Node& q, const std::vector<size_t>& perm);
size_t WhereCount(const edn::Node& q);

// Permutations of 0..n-1 in lexicographic order, the identity first; at
// most `cap` (the first `cap` of them when n! is larger).
std::vector<std::vector<size_t>> Permutations(size_t n, size_t cap);

// An in-memory database holding a data set, kept alive by its Env and
// Connection.
struct LoadedDb {
  std::unique_ptr<Env> env;
  std::unique_ptr<Connection> conn;
  Database db;
};
// The people data (20,000 people, seed 1), as the DataScript comparison.
Result<std::unique_ptr<LoadedDb>> LoadPeople();
// The MusicBrainz 1968-1973 subset (the mbrainz workload; its data found
// by walking up from the binary, as strata does).
Result<std::unique_ptr<LoadedDb>> LoadMbrainz();

}  // namespace strata::bench
