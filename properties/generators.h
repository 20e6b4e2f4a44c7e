// generators.h — random schemas and transaction streams as EDN (SPEC §2–3).
//
// Every function here draws its choices with RapidCheck's `*gen` and so
// must run inside a generation context (a property body, rc::gen::exec, or
// the constructor of an rc::state command). Choices shrink.
//
// Collisions are the point: a handful of entities, three or four values per
// type, a few tempids reused across operations, so that redundancy,
// implicit retraction, upserts and uniqueness conflicts happen often.
// Entities are named the way a user names them — ids the model knows,
// tempids, lookup refs — so a shrunk stream stays meaningful: when an
// earlier transaction is removed, an id may stop existing and the model
// then predicts the rejection.
//
// Restrictions (where prediction would be hard, the generator stays out):
// :db.unique/identity is never put on a ref attribute (no upsert chains);
// maps never consist of reverse keys alone and nested maps always assert
// something (every new entity is the subject of a datom); attributes are
// never renamed; excision targets are user entities named by id (never a
// transaction entity, which a lookup ref could name after
// [:db/add "datomic.tx" :unique/attr v]) and never an excision request
// (the model refuses that, SPEC §7; the engine accepts it and then loses
// the first excision on restart: regressions_test.cc, bug 4 in
// docs/testing.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.h"
#include "strata/edn.h"

namespace strata::props {

// The clock's origin: 2100-01-01, later than any machine running a replay,
// so that `strata transact` accepts the generated :db/txInstant values.
constexpr int64_t kClockBase = 4102444800000;

// Operation mix of generated transactions (relative weights).
struct TxMix {
  int add = 6, retract = 3, retract_attr = 1, retract_entity = 2, cas = 2, map = 5;
  int annotate = 1, instant = 1, excise = 0;
};

// The initial schema transaction: 4–8 attributes of every value type,
// cardinalities, uniqueness, :db/index, components and :db/noHistory.
edn::Node GenSchemaTx();
// A transaction of 1–4 operations, usually valid (the model decides).
edn::Node GenTx(const Model& m, const TxMix& mix);
// A transaction with one injected error (not always an error once shrunk:
// callers check the model's verdict).
edn::Node GenInvalidTx(const Model& m);
// One schema alteration of a user attribute (SPEC §2).
edn::Node GenAlterSchema(const Model& m);
// An excision, alone or with other operations.
edn::Node GenExciseTx(const Model& m);
// ---- invented entity ids (issue 17, transaction semantics) ----
// An entity id the transactor never handed out (see generators.cc).
edn::Node GenInventedId(const Model& m);
// A transaction naming an invented id somewhere: always refused, by the
// model and by the engine, and nothing may change.
edn::Node GenInventedIdTx(const Model& m);
// ---- end of invented entity ids ----

// The clock value for the next transaction: mostly forward, sometimes
// standing still or going back (txInstant must not follow it back).
int64_t GenNow(const Model& m);

// A uniform draw from [lo, hi), whatever the generation size (RapidCheck
// scales inRange by size, which would make small cases all pick the first
// choice). Shrinks towards lo.
int Uniform(int lo, int hi);
// An index drawn with the given relative weights (zero weights never).
size_t Weighted(const std::vector<int>& weights);

// The user attributes of the model's schema (idents "p/..."), by id.
std::vector<const ModelAttr*> UserAttrs(const Model& m);

}  // namespace strata::props
