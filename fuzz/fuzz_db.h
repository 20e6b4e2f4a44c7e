// fuzz_db.h — a small, fixed in-memory database for the read-side fuzzers
// (queries, pull). Built once per process and never changed, so every
// input sees the same value: part of it in segments (indexed), part in the
// memory index, with retractions for history, refs with a cycle, and
// component entities.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/env.h"

namespace strata::fuzzing {

inline const Database& FuzzDb() {
  static const Database db = [] {
    static std::unique_ptr<Env> env = NewMemEnv();
    Options o;
    o.env = env.get();
    o.background_indexing = false;
    o.clock = [] { return int64_t{1700000000000}; };
    static auto conn = Connection::Open("/db", o);  // kept open: the value reads its segments
    const char* txs[] = {
        R"([{:db/ident :item/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
            {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
            {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
            {:db/ident :item/price :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
            {:db/ident :item/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
            {:db/ident :item/parts :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
            {:db/ident :item/at :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
            {:db/ident :part/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
            {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
            {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])",
        R"([{:db/id "a" :person/name "alice" :person/friend "b"} {:db/id "b" :person/name "bob" :person/friend "c"}
            {:db/id "c" :person/name "carol" :person/friend "a"}
            {:item/id "I1" :item/count 1 :item/tags [:red :big] :item/price 9.5 :item/owner "a"
             :item/parts [{:part/name "p1"} {:part/name "p2"}] :item/at #inst "2024-05-01"}
            {:item/id "I2" :item/count 20 :item/tags [:blue] :item/owner "b"}])",
        R"([[:db/add [:item/id "I1"] :item/count 2] [:db/retract [:item/id "I2"] :item/tags :blue]])",
        R"([{:item/id "I3" :item/count 3 :item/tags [:red] :item/owner [:person/name "carol"]}
            {:item/id "I4" :item/count 40 :item/price -1.0}])",
    };
    Database out;
    bool ok = conn.ok();
    for (int i = 0; ok && i < 4; ++i) {
      ok = (*conn)->Transact(std::string_view(txs[i])).ok();
      if (ok && i == 1) ok = (*conn)->IndexNow().ok();  // the rest stays in the memory index
    }
    if (!ok) {
      std::fprintf(stderr, "fuzz_db: could not build the database\n");
      std::abort();
    }
    out = (*conn)->db();
    return out;
  }();
  return db;
}

}  // namespace strata::fuzzing
