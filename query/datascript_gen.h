// datascript_gen.h — random databases, queries and pull patterns for the
// DataScript differential test (test only).
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/database.h"

namespace strata {

struct GenQuery {
  enum Shape { kRel, kColl, kScalar } shape = kRel;
  std::string text;                 // EDN, attributes as keywords
  std::vector<std::string> inputs;  // EDN of the inputs after $
  std::vector<bool> input_is_rules;
  std::vector<size_t> set_columns;  // result columns that are sets
  // DataScript keeps tuples that pull to equal maps; strata's relation is
  // a set of them (Datomic). Compared against DataScript's distinct rows.
  bool distinct_after_pull = false;
};

struct GenPull {
  std::string pattern;
  std::string key;  // the entity's :g/key
  EntityId eid = 0; // filled by ExportToDataScript
};

struct GenAttr {
  std::string name;  // "g/s0"
  enum Type { kString, kLong, kRef } type = kString;
  bool many = false, unique = false, indexed = false, component = false;
};

struct GenCase {
  std::vector<std::string> txs;  // the schema first
  std::vector<GenQuery> queries;
  std::vector<GenPull> pulls;
  std::map<int64_t, int64_t> ids;  // strata entity id -> DataScript entity id
  std::vector<GenAttr> attrs;
  int entities = 0;
};

GenCase GenerateCase(std::mt19937_64* rng);

// DataScript's view of the current database: {schema, tx, queries, pulls},
// attributes as strings. Fills g->ids and each pull's eid (pulls of
// entities that no longer exist are dropped).
nlohmann::json ExportToDataScript(const Database& db, GenCase* g);

}  // namespace strata
