// Named callgrind regions (see icount.h).

#include "icount.h"

#include <array>
#include <fstream>
#include <utility>

#ifdef STRATA_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#endif

namespace strata::harness::icount {

namespace {

// One function per slot, so callgrind attributes each slot's operations
// to a function of its own: strata::harness::icount::(anonymous
// namespace)::Region<N>(void (*)(void*), void*).
template <size_t N>
[[gnu::noinline]] void Region(void (*fn)(void*), void* arg) {
#ifdef STRATA_HAVE_CALLGRIND
  CALLGRIND_TOGGLE_COLLECT;
#endif
  fn(arg);
#ifdef STRATA_HAVE_CALLGRIND
  CALLGRIND_TOGGLE_COLLECT;
#endif
  asm volatile("" ::: "memory");  // not a tail call: the toggle stays inside Region<N>
}

template <size_t... N>
constexpr std::array<void (*)(void (*)(void*), void*), sizeof...(N)> Table(std::index_sequence<N...>) {
  return {&Region<N>...};
}

constexpr auto kRegions = Table(std::make_index_sequence<kSlots>());

}  // namespace

void InRegion(size_t slot, void (*fn)(void*), void* arg) { kRegions[slot < kSlots ? slot : kSlots - 1](fn, arg); }

bool UnderValgrind() {
#ifdef STRATA_HAVE_CALLGRIND
  return RUNNING_ON_VALGRIND != 0;
#else
  return false;
#endif
}

size_t Regions::ReadSlot(const std::string& name) {
  if (auto it = reads_.find(name); it != reads_.end()) return it->second;
  size_t slot = names_.size();
  if (slot >= kSlots) {
    slot = kSlots - 1;
    names_.back() = "other-reads";
  } else {
    names_.push_back(name);
  }
  reads_[name] = slot;
  return slot;
}

Status Regions::Write(const std::string& path) const {
  std::ofstream out(path);
  for (size_t i = 0; i < names_.size(); ++i) out << i << '\t' << names_[i] << '\n';
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

}  // namespace strata::harness::icount
