// checks.h — one check per SPEC §8 invariant, run after every step of a
// property's command sequence.
//
// Each returns "" when the invariant holds for the engine's current state,
// else a message naming the view, the order and the datoms that differ.
// They read the engine through its public API only and compare with the
// reference model (or, for transparency, with a twin that never indexes).
#pragma once

#include <cstdint>
#include <string>

#include "harness.h"
#include "model.h"

namespace strata::props {

// Bits of PropertySpec::checks.
enum Check : uint32_t {
  kCheckFold = 1u << 0,
  kCheckHistory = 1u << 1,
  kCheckRetraction = 1u << 2,
  kCheckSince = 1u << 3,
  kCheckCardinality = 1u << 4,
  kCheckIndexAgreement = 1u << 5,
  kCheckTransparency = 1u << 6,
  kCheckDurability = 1u << 7,
  kCheckAtomicity = 1u << 8,
  kCheckMonotonicTime = 1u << 9,
  kCheckQueue = 1u << 10,
  kCheckExcision = 1u << 11,
  kCheckHeld = 1u << 12,
};

// 1 Fold: for every t, as_of(t) equals the log replayed up to t.
std::string CheckFold(const Model& m, Sut& sut);
// 2 History: history() holds exactly the recorded datoms.
std::string CheckHistory(const Model& m, Sut& sut);
// 3 Retraction: asserted at t1, retracted at t2: in as_of(t) iff t1 <= t < t2.
std::string CheckRetraction(const Model& m, Sut& sut);
// 4 Since: since(t) holds exactly the current datoms with tx > t.
std::string CheckSince(const Model& m, Sut& sut);
// 5 Cardinality and uniqueness hold in every as_of(t).
std::string CheckCardinalityUniqueness(const Model& m, Sut& sut);
// 6 Index agreement: all orders hold the same datoms, sorted, no duplicates.
std::string CheckIndexAgreement(const Model& m, Sut& sut);
// 7 Indexing transparency: the engine reads like a twin that never indexed.
std::string CheckTransparency(const Model& m, Sut& sut);
// 8 Durability: the whole database equals the acknowledged transactions.
std::string CheckDurable(const Model& m, Sut& sut);
// 10 Monotonic time: t increases, txInstant never decreases, as-of-instant.
std::string CheckMonotonicTime(const Model& m, Sut& sut);
// 12 Excision: every view, order and the log equal the model's.
std::string CheckExcision(const Model& m, Sut& sut);
// Held database values still return what they returned when taken.
std::string CheckHeld(Sut& sut);

// Reads a held value's queries.
std::vector<std::vector<Datom>> ReadHeld(const Database& db, const std::vector<std::pair<ViewQuery, Index>>& queries,
                                         std::string* err);

// Runs every check whose bit is set, and the counters; first failure wins.
std::string RunChecks(uint32_t checks, const Model& m, Sut& sut);

}  // namespace strata::props
