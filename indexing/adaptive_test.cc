// adaptive's settings: parsing, and what they change in a plan.
#include "indexing/adaptive.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(AdaptiveOptions, DefaultsAndParsing) {
  auto d = ParseAdaptiveOptions("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->level0_datoms, 0u);
  EXPECT_EQ(d->level_ratio, 10u);
  auto o = ParseAdaptiveOptions(" level0_datoms = 128 ,level_ratio=4");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->level0_datoms, 128u);
  EXPECT_EQ(o->level_ratio, 4u);
}

// One tree (eavt/current) whose level 0 holds two segments of 100 datoms,
// and 100 datoms of novelty for it.
IndexShape TwoSegments() {
  IndexShape shape;
  LevelShape l0;
  for (int i = 0; i < 2; ++i) {
    SegmentRef r;
    r.id = static_cast<uint64_t>(i + 1);
    r.count = 100;
    r.first = Datom{static_cast<EntityId>(100 * i + 1), 1, Value::Long(0), 0, true};
    r.last = Datom{static_cast<EntityId>(100 * i + 100), 1, Value::Long(0), 0, true};
    l0.segments.push_back(r);
    l0.datoms += 100;
  }
  shape.trees[0].push_back(l0);
  return shape;
}

std::string PlanWith(const char* settings, uint64_t memory_index_threshold) {
  auto options = ParseAdaptiveOptions(settings);
  EXPECT_TRUE(options.ok());
  NoveltyShape novelty;
  novelty.datoms[0] = 100;
  StrategyOptions facts;
  facts.segment_datoms = 32;
  facts.memory_index_threshold = memory_index_threshold;
  return NewAdaptiveStrategy(*options)->Plan(TwoSegments(), novelty, facts).ToString();
}

TEST(AdaptiveOptions, Level0DefaultsToFourJobsOfNovelty) {
  // 300 datoms after the job; level 0 = 4 × threshold / kMemIndexBytesPerDatom (60).
  static_assert(kMemIndexBytesPerDatom == 60);
  EXPECT_EQ(PlanWith("", 3840), "eavt/current: L0[0+1]->L1 novelty->L0\n");  // level 0: 256
  EXPECT_EQ(PlanWith("", 4800), "eavt/current: novelty->L0\n");               // level 0: 320
  // An explicit level0_datoms overrides it.
  EXPECT_EQ(PlanWith("level0_datoms=1000", 6400), "eavt/current: novelty->L0\n");
  EXPECT_EQ(PlanWith("level0_datoms=250", 1 << 30), "eavt/current: L0[0+1]->L1 novelty->L0\n");
}

}  // namespace
}  // namespace strata
