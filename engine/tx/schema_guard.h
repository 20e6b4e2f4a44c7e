// schema_guard.h — the system schema cannot be re-purposed (internal to tx/).
//
// The bootstrap entities (state/schema.h IsSystemEntity: :db/ident,
// :db/txInstant, :db.type/*, :db.cardinality/*, :db.unique/*, :db.part/*,
// :db.install/*, :db.excise/*, :db.alter/*) define what every datom means,
// and every log relies on their ids. A transaction may not retract, rename,
// re-type or otherwise change them, and no other entity may take an ident in
// a reserved namespace (:db, :db.*), so a name like :db/txInstant always
// means the system attribute.
//
// Thread safety: a pure function of its arguments.
#pragma once

#include <vector>

#include "tx/builder.h"

namespace strata::tx_internal {

// Checks one transaction's datoms (`datoms`, as EmitDatoms made them from
// `ch`) against db-before `s`. Allowed on a system entity: :db/doc, user
// attributes, and on :db.part/db installing or altering a user entity
// (:db.install/_attribute :db.part/db). Anything else that asserts or
// retracts a system attribute on a system entity, and any :db/ident in a
// reserved namespace asserted on another entity, is InvalidArgument naming
// the ident, the datom and the operation that asked for it.
Status CheckSystemSchema(const DbState& s, const Changes& ch, const std::vector<Datom>& datoms);

}  // namespace strata::tx_internal
