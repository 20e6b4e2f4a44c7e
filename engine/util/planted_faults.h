// planted_faults.h — deliberate bugs, for proving the property suite
// catches them (scripts/check-planted-faults, docs/testing.md).
//
// A build configured with -DSTRATA_PLANTED_FAULTS=ON compiles the hooks in;
// at run time the environment variable STRATA_PLANTED_FAULT names the one
// fault to switch on (read once). Every other build gets a constexpr false,
// so a hook costs nothing in release code:
//
//   if (PlantedFault("asof-excludes-t")) ...
//
// Faults: asof-excludes-t, since-includes-t, history-drops-retraction,
// implicit-retraction-forgets-old, job-loses-last-datom,
// recovery-skips-last, strategy-reorders-equal-keys,
// cursor-drops-status (every cursor read takes a failed read's end for the
// end of its datoms), tx-reader-drops-status (the transactor's point reads
// treat a failed read as an empty answer).
#pragma once

#ifdef STRATA_PLANTED_FAULTS
#include <cstdlib>
#include <cstring>
#endif

namespace strata {

#ifdef STRATA_PLANTED_FAULTS
inline bool PlantedFault(const char* name) {
  static const char* const active = std::getenv("STRATA_PLANTED_FAULT");
  return active != nullptr && std::strcmp(active, name) == 0;
}
#else
inline constexpr bool PlantedFault(const char*) { return false; }
#endif

}  // namespace strata
