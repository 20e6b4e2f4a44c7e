// The allocator options of the programs that measure strata
// (malloc_conf.cc) reach arena 0, the main thread's, too.
#include <jemalloc/jemalloc.h>
#include <sys/resource.h>

#include <cstddef>
#include <cstdlib>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace {

size_t Read(const char* name) {
  size_t v = 0, len = sizeof v;
  EXPECT_EQ(mallctl(name, &v, &len, nullptr, 0), 0) << name;
  return v;
}

TEST(MallocConf, ArenaZeroHasTheConfiguredOversizeThreshold) {
  if (std::getenv("MALLOC_CONF") != nullptr) GTEST_SKIP() << "MALLOC_CONF overrides the options";
  ASSERT_EQ(Read("opt.oversize_threshold"), 0u);  // malloc_conf.cc: no oversize arena
  // jemalloc 5.3.0 leaves arena 0 at its built-in 8 MiB without the
  // constructor in malloc_conf.cc.
  EXPECT_EQ(Read("arena.0.oversize_threshold"), std::numeric_limits<size_t>::max());
}

// What that threshold did: a freed large extent coalesced past 8 MiB was
// purged at once, and allocating it again faulted in fresh pages (the
// DataScript comparison's aggregate query: ~1,600 faults a run).
TEST(MallocConf, FreedLargeBuffersKeepTheirPages) {
  if (std::getenv("MALLOC_CONF") != nullptr) GTEST_SKIP() << "MALLOC_CONF overrides the options";
  auto faults = [] {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_minflt;
  };
  auto touch_and_free = [] {
    std::vector<char> a(9 << 20, 1);  // past 8 MiB
    return a[a.size() - 1];
  };
  ASSERT_EQ(touch_and_free(), 1);
  const long before = faults();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(touch_and_free(), 1);
  // Purged each time: ~2,300 faults a round (4 KiB pages).
  EXPECT_LT(faults() - before, 500);
}

}  // namespace
