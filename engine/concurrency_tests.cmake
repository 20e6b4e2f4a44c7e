# The engine's multi-threaded tests, registered once more under the label
# `concurrency`: `scripts/test tsan` runs only these (ctest -L concurrency),
# which keeps the ThreadSanitizer run short. One CTest entry per gtest
# filter, so ctest -j runs them side by side. When you add a test that
# starts threads (or races a background job), add its filter here, unless
# it takes minutes under TSan (IndexJob.EveryStrategyReadsTheSameAsNoIndex
# does: 160 s; StrategiesCanBeSwitchedBetweenJobs covers the same job
# thread in 26 s).
set(STRATA_CONCURRENCY_TESTS
  "ConnectionTest.ConcurrentWriters*"            # group commit + subscribers
  "ConnectionTest.SlowSubscriberIsClosedNotGapped"
  "MemEnvTest.ConcurrentWritersAndReaders"
  "SegmentCacheTest.ConcurrentLoadsOfOneIdKeepOne"
  "SegmentCacheTest.ManyThreadsStayWithinCapacity"
  "*StorageTest.ConcurrentPutsAndSyncs*"
  "PackStorageTest.ReadsDuringCompaction"        # Gets racing deletes and compaction
  "IndexJob.StrategiesCanBeSwitchedBetweenJobs"  # background jobs under writes
)
foreach(filter IN LISTS STRATA_CONCURRENCY_TESTS)
  string(REGEX REPLACE "[*:]" "" name "${filter}")
  add_test(NAME concurrency.${name} COMMAND engine_tests --gtest_filter=${filter})
  # A filter that matches nothing (a renamed test) must fail, not pass.
  set_tests_properties(concurrency.${name} PROPERTIES LABELS concurrency
    FAIL_REGULAR_EXPRESSION "Running 0 tests")
endforeach()
