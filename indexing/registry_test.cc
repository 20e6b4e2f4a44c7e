// The registry: one sorted table, every row constructible, lookups and
// their errors.
#include "indexing/registry.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace strata {
namespace {

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(Registry, NamesAreSortedAndUnique) {
  const std::vector<std::string> names = StrategyNames();
  ASSERT_GE(names.size(), 3u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  ASSERT_EQ(names.size(), Strategies().size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], Strategies()[i].name);
}

TEST(Registry, EveryStrategyIsConstructibleWithItsDefaults) {
  for (const StrategyEntry& e : Strategies()) {
    SCOPED_TRACE(e.name);
    EXPECT_FALSE(std::string(e.description).empty());
    auto s = MakeStrategy(e.name);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->name(), e.name);  // the name a root records is the table's
    // An empty index and no novelty: nothing to do.
    EXPECT_EQ((*s)->Plan(IndexShape{}, NoveltyShape{}, StrategyOptions{}).ToString(), "");
    auto blank = MakeStrategy(e.name, " , ");
    EXPECT_TRUE(blank.ok()) << blank.status().ToString();
  }
}

TEST(Registry, DefaultIsRegistered) {
  const auto names = StrategyNames();
  EXPECT_NE(std::find(names.begin(), names.end(), DefaultStrategyName()), names.end());
}

TEST(Registry, UnknownNameListsTheKnownOnes) {
  auto s = MakeStrategy("fastest");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  const std::string msg = s.status().ToString();
  EXPECT_TRUE(Has(msg, "\"fastest\"")) << msg;
  for (const std::string& name : StrategyNames()) EXPECT_TRUE(Has(msg, name)) << msg;
}

TEST(Registry, SettingsErrorsNameTheStrategyAndKey) {
  struct Case {
    const char* strategy;
    const char* settings;
    std::vector<const char*> want;
  };
  const Case cases[] = {
      {"adaptive", "level_ratoi=4", {"adaptive", "unknown setting 'level_ratoi'", "level0_datoms, level_ratio"}},
      {"adaptive", "level_ratio=1", {"adaptive", "'level_ratio'", "'1'", "2 to 1000"}},
      {"adaptive", "level_ratio=ten", {"adaptive", "'level_ratio'", "'ten'"}},
      {"adaptive", "level_ratio=", {"adaptive", "'level_ratio'"}},
      {"adaptive", "level0_datoms=-5", {"adaptive", "'level0_datoms'", "'-5'"}},
      {"adaptive", "level0_datoms=99999999999999999999", {"adaptive", "'level0_datoms'"}},
      {"adaptive", "level_ratio=4,level_ratio=5", {"adaptive", "'level_ratio' is given twice"}},
      {"adaptive", "level_ratio", {"adaptive", "'level_ratio'", "key=value"}},
      {"adaptive", "=4", {"adaptive", "no key"}},
      {"cow-tree", "level_ratio=4", {"cow-tree", "unknown setting 'level_ratio'", "it has none"}},
      {"full-rebuild", "x=1", {"full-rebuild", "unknown setting 'x'"}},
      {"tiered", "size_ration=1", {"tiered", "unknown setting 'size_ration'", "max_size_amp_percent, run_trigger"}},
      {"tiered", "min_merge_width=1", {"tiered", "'min_merge_width'", "'1'"}},
      {"tiered", "run_trigger=61", {"tiered", "'run_trigger'", "'61'"}},
      {"tiered", "min_merge_width=4,max_merge_width=3", {"tiered", "'max_merge_width'", "below min_merge_width (4)"}},
      {"lazy-leveling", "level_ratio=1", {"lazy-leveling", "'level_ratio'", "'1'"}},
      {"lazy-leveling", "runs=3", {"lazy-leveling", "unknown setting 'runs'", "level_ratio, level0_datoms"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.strategy) + " " + c.settings);
    auto s = MakeStrategy(c.strategy, c.settings);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    for (const char* w : c.want) EXPECT_TRUE(Has(s.status().ToString(), w)) << s.status().ToString();
  }
}

}  // namespace
}  // namespace strata
