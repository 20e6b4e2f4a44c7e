// harness/icount.h — named regions for counting instructions under
// Valgrind's callgrind (scripts/perf-icount, docs/harness.md "Instruction
// counts").
//
// Each measured operation of a run — a commit, an indexing job, a read of
// one name — runs inside Region<slot>(), a function of its own per slot
// that switches callgrind's collection on for the operation and off after
// it (CALLGRIND_TOGGLE_COLLECT; the run is started with
// --collect-atstart=no). The inclusive cost of `Region<slot>` in the
// callgrind profile is then exactly the instructions of that operation
// kind, summed over the run: start-up, data generation, timing and
// bookkeeping are outside every region. Slot 0 is the commit, 1 the
// indexing job, 2.. the reads in order of first appearance; the run
// writes the slot names to OUT/icount-regions.tsv.
//
// Outside Valgrind a client request is a few no-op instructions, so the
// regions are always compiled in and cost nothing measurable.
//
// Thread safety: a Regions object belongs to the run's thread.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::harness::icount {

inline constexpr size_t kSlots = 16;  // commit, job, and up to 14 read names
inline constexpr size_t kCommitSlot = 0;
inline constexpr size_t kJobSlot = 1;

// Runs fn(arg) inside the region of `slot` (< kSlots).
void InRegion(size_t slot, void (*fn)(void*), void* arg);

template <class F>
void InRegion(size_t slot, F& f) {
  InRegion(slot, [](void* p) { (*static_cast<F*>(p))(); }, &f);
}

// True when the process runs under Valgrind.
bool UnderValgrind();

// The slot of each operation name: "commit", "index-job", then read names.
class Regions {
 public:
  Regions() : names_{"commit", "index-job"} {}
  // The slot of read `name`; the last slot is shared once they run out.
  size_t ReadSlot(const std::string& name);
  // "slot<TAB>name" lines.
  Status Write(const std::string& path) const;

 private:
  std::vector<std::string> names_;
  std::map<std::string, size_t> reads_;
};

}  // namespace strata::harness::icount
