#include "indexing/adaptive_append.h"

#include <algorithm>
#include <limits>

#include "indexing/settings.h"

namespace strata {
namespace {

constexpr const char* kName = "adaptive-append";

// Compares (e a v) in `order`, ignoring t and the operation.
// adaptive-append's slice: one that moves without rewrite if any (its whole
// range overlaps nothing below); else the one whose segments, each on its
// own, overlap the fewest datoms below per datom moved (with gap inserts a
// slice rewrites itself and about the sum of these, not its whole range's
// overlap).
Slice MovesOrLeastRewrite(Index order, const LevelShape& lv, const LevelShape& below, uint64_t want) {
  std::vector<uint64_t> cost(lv.segments.size());
  for (size_t k = 0; k < lv.segments.size(); ++k)
    cost[k] = OverlapBelow(order, below, lv.segments[k].first, lv.segments[k].last);
  Slice best{0, lv.segments.size()};
  double best_ratio = -1;
  uint64_t sum = 0, sum_cost = 0;
  for (size_t a = 0, b = 0; a < lv.segments.size(); ++a) {
    while (b < lv.segments.size() && sum < want) {
      sum_cost += cost[b];
      sum += lv.segments[b++].count;
    }
    if (sum < want && a > 0) break;  // no later window is big enough
    const bool moves = OverlapBelow(order, below, lv.segments[a].first, lv.segments[b - 1].last) == 0;
    const double r =
        moves ? 0.0 : static_cast<double>(sum + sum_cost) / static_cast<double>(std::max<uint64_t>(sum, 1));
    if (best_ratio < 0 || r < best_ratio) {
      best_ratio = r;
      best = {a, b - a};
    }
    sum -= lv.segments[a].count;
    sum_cost -= cost[a];
  }
  return best;
}

class AdaptiveAppend final : public MergeStrategy {
 public:
  explicit AdaptiveAppend(const AdaptiveOptions& options) : options_(options) {}
  std::string name() const override { return kName; }

  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions& o) const override {
    return PlanLeveled(options_, shape, novelty, o, MovesOrLeastRewrite, /*gaps=*/true);
  }

 private:
  const AdaptiveOptions options_;
};

}  // namespace

Result<AdaptiveOptions> ParseAdaptiveAppendOptions(std::string_view settings) {
  return ParseLeveledOptions(kName, settings);
}

std::unique_ptr<MergeStrategy> NewAdaptiveAppendStrategy(const AdaptiveOptions& options) {
  return std::make_unique<AdaptiveAppend>(options);
}

}  // namespace strata
