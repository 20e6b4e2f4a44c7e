#include "indexing/lazy_leveling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "indexing/runs.h"
#include "indexing/settings.h"

namespace strata {
namespace {

class LazyLeveling final : public MergeStrategy {
 public:
  explicit LazyLeveling(const LazyLevelingOptions& options) : o_(options) {}
  std::string name() const override { return "lazy-leveling"; }

  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions& so) const override {
    const uint64_t base = o_.level0_datoms ? o_.level0_datoms
                                           : std::max<uint64_t>(so.memory_index_threshold / kMemIndexBytesPerDatom, so.segment_datoms);
    MergePlan p;
    for (int t = 0; t < kTreeCount; ++t) {
      const RunCandidates c = CandidateRuns(shape.trees[t], novelty.datoms[t]);
      p.trees[t] = MergeRuns(shape.trees[t], c, Pick(c.datoms, std::max<uint64_t>(base, 1)));
    }
    return p;
  }

 private:
  // The level of a run of `datoms`: the nearest power of T on a log scale.
  int LevelOf(uint64_t datoms, uint64_t base) const {
    const double ratio = o_.level_ratio;
    double bound = static_cast<double>(base) * std::sqrt(ratio);
    int level = 0;
    while (static_cast<double>(datoms) >= bound && level < 64) {
      bound *= ratio;
      ++level;
    }
    return level;
  }

  // The groups of candidates (newest first, the last one the last level's
  // run) to merge.
  std::vector<std::pair<size_t, size_t>> Pick(const std::vector<uint64_t>& d, uint64_t base) const {
    const size_t n = d.size();
    if (n < 2) return {};
    const size_t last = n - 1;
    const int levels = LevelOf(d[last], base);  // the last run's level: upper levels are 0 .. levels - 1
    std::vector<int> lv(last);
    for (size_t j = 0; j < last; ++j) lv[j] = std::max(LevelOf(d[j], base), j ? lv[j - 1] : 0);
    // A run as big as the last level's belongs to it: it and everything
    // older merge into the last run.
    size_t upper = 0;
    while (upper < last && lv[upper] < levels) ++upper;
    std::vector<std::pair<size_t, size_t>> groups;
    const size_t T = o_.level_ratio;
    for (size_t j = 0; j < upper;) {
      size_t end = j;
      while (end < upper && lv[end] == lv[j]) ++end;
      if (end - j < T) {  // this level has room
        j = end;
        continue;
      }
      // Full: its runs merge into one run of the next level, which may
      // fill that level in turn, up to the last run.
      const size_t first = j;
      int level = lv[j];
      size_t g = end - 1;  // the group's oldest member so far
      for (;;) {
        if (level + 1 >= levels) {
          g = last;
          break;
        }
        size_t e2 = g + 1;
        while (e2 < upper && lv[e2] == level + 1) ++e2;
        if (e2 - (g + 1) + 1 < T) break;  // the next level keeps the merged run
        g = e2 - 1;
        ++level;
      }
      groups.emplace_back(first, g);
      j = g + 1;
    }
    if (upper < last && (groups.empty() || groups.back().second != last)) groups.emplace_back(upper, last);
    return groups;
  }

  const LazyLevelingOptions o_;
};

}  // namespace

Result<LazyLevelingOptions> ParseLazyLevelingOptions(std::string_view settings) {
  LazyLevelingOptions o;
  STRATA_ASSIGN_OR_RETURN(auto items, SplitSettings("lazy-leveling", settings));
  for (const auto& [key, value] : items) {
    if (key == "level_ratio") {
      STRATA_ASSIGN_OR_RETURN(uint64_t v, ParseUnsignedSetting("lazy-leveling", key, value, 2, 100));
      o.level_ratio = static_cast<uint32_t>(v);
    } else if (key == "level0_datoms") {
      STRATA_ASSIGN_OR_RETURN(o.level0_datoms, ParseUnsignedSetting("lazy-leveling", key, value, 0,
                                                                    std::numeric_limits<uint64_t>::max()));
    } else {
      return UnknownSetting("lazy-leveling", key, "level_ratio, level0_datoms");
    }
  }
  return o;
}

std::unique_ptr<MergeStrategy> NewLazyLevelingStrategy(const LazyLevelingOptions& options) {
  return std::make_unique<LazyLeveling>(options);
}

}  // namespace strata
