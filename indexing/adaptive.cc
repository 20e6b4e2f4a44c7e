#include "indexing/adaptive.h"

#include <algorithm>
#include <limits>

#include "indexing/settings.h"

namespace strata {
namespace {

int CompareGroup(Index order, const Datom& x, const Datom& y) {  // by e a v only
  if (x.e == y.e && x.a == y.a && x.v == y.v) return 0;
  return CompareDatoms(order, x, y);
}

uint64_t Times(uint64_t a, uint64_t b) {  // saturating: deep targets never wrap
  return a > std::numeric_limits<uint64_t>::max() / b ? std::numeric_limits<uint64_t>::max() : a * b;
}

// adaptive's slice: the one whose whole key range overlaps the fewest
// datoms below per datom it moves.
Slice LeastOverlap(Index order, const LevelShape& lv, const LevelShape& below, uint64_t want) {
  Slice best{0, lv.segments.size()};
  double best_ratio = -1;
  uint64_t sum = 0;
  for (size_t a = 0, b = 0; a < lv.segments.size(); ++a) {
    while (b < lv.segments.size() && sum < want) sum += lv.segments[b++].count;
    if (sum < want && a > 0) break;  // no later window is big enough
    const double ratio = static_cast<double>(OverlapBelow(order, below, lv.segments[a].first, lv.segments[b - 1].last)) /
                         static_cast<double>(std::max<uint64_t>(sum, 1));
    if (best_ratio < 0 || ratio < best_ratio) {
      best_ratio = ratio;
      best = {a, b - a};
    }
    sum -= lv.segments[a].count;
  }
  return best;
}

class Adaptive final : public MergeStrategy {
 public:
  explicit Adaptive(const AdaptiveOptions& options) : options_(options) {}
  std::string name() const override { return "adaptive"; }

  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions& o) const override {
    return PlanLeveled(options_, shape, novelty, o, LeastOverlap, /*gaps=*/false);
  }

 private:
  const AdaptiveOptions options_;
};

}  // namespace

uint64_t OverlapBelow(Index order, const LevelShape& below, const Datom& first, const Datom& last) {
  const auto& s = below.segments;
  auto lo = std::lower_bound(s.begin(), s.end(), first,
                             [&](const SegmentRef& r, const Datom& d) { return CompareGroup(order, r.last, d) < 0; });
  uint64_t n = 0;
  for (auto it = lo; it != s.end() && CompareGroup(order, it->first, last) <= 0; ++it) n += it->count;
  return n;
}

MergePlan PlanLeveled(const AdaptiveOptions& options, const IndexShape& shape, const NoveltyShape& novelty,
                      const StrategyOptions& o, PickSlice pick, bool gaps) {
  // Level 0 holds about four jobs' novelty (kMemIndexBytesPerDatom a datom).
  const uint64_t level0 = options.level0_datoms
                              ? options.level0_datoms
                              : std::max<uint64_t>(4 * o.memory_index_threshold / kMemIndexBytesPerDatom, 4 * o.segment_datoms);
  const uint64_t ratio = std::max<uint32_t>(options.level_ratio, 2);
  static const LevelShape kEmpty;
  MergePlan p;
  for (int t = 0; t < kTreeCount; ++t) {
    const auto& levels = shape.trees[t];
    std::vector<MergeStep> compactions;
    uint64_t inflow = novelty.datoms[t];
    uint64_t target = std::max<uint64_t>(level0, o.segment_datoms);
    for (size_t i = 0; i < levels.size() && i + 1 < o.max_levels; ++i, target = Times(target, ratio)) {
      const LevelShape& lv = levels[i];
      if (lv.datoms + inflow <= target || lv.segments.empty()) {
        inflow = 0;
        continue;
      }
      // Move at least the excess (and at least one job's worth, so levels
      // drain as fast as they fill) as one slice of consecutive segments.
      const uint64_t want = std::max(lv.datoms + inflow - target, std::min<uint64_t>(novelty.datoms[t], lv.datoms));
      const Slice slice = pick(TreeOrder(t), lv, i + 1 < levels.size() ? levels[i + 1] : kEmpty, want);
      MergeStep s;
      s.kind = MergeStep::Kind::kCompact;
      s.from_level = static_cast<int>(i);
      s.first = slice.first;
      s.count = slice.count;
      s.to_level = static_cast<int>(i + 1);
      s.gaps = gaps;
      compactions.push_back(s);
      inflow = 0;
      for (size_t k = slice.first; k < slice.first + slice.count; ++k) inflow += lv.segments[k].count;
    }
    // Deepest first: each step's slice indices refer to a level no earlier
    // step of this job has changed.
    std::reverse(compactions.begin(), compactions.end());
    p.trees[t] = std::move(compactions);
    if (novelty.datoms[t] > 0) {
      MergeStep s;
      s.kind = MergeStep::Kind::kNovelty;
      s.to_level = 0;
      s.gaps = gaps;
      p.trees[t].push_back(s);
    }
  }
  return p;
}

Result<AdaptiveOptions> ParseLeveledOptions(const char* strategy, std::string_view settings) {
  AdaptiveOptions o;
  STRATA_ASSIGN_OR_RETURN(auto items, SplitSettings(strategy, settings));
  for (const auto& [key, value] : items) {
    if (key == "level0_datoms") {
      STRATA_ASSIGN_OR_RETURN(o.level0_datoms,
                              ParseUnsignedSetting(strategy, key, value, 0, std::numeric_limits<uint64_t>::max()));
    } else if (key == "level_ratio") {
      STRATA_ASSIGN_OR_RETURN(uint64_t ratio, ParseUnsignedSetting(strategy, key, value, 2, 1000));
      o.level_ratio = static_cast<uint32_t>(ratio);
    } else {
      return UnknownSetting(strategy, key, "level0_datoms, level_ratio");
    }
  }
  return o;
}

Result<AdaptiveOptions> ParseAdaptiveOptions(std::string_view settings) {
  return ParseLeveledOptions("adaptive", settings);
}

std::unique_ptr<MergeStrategy> NewAdaptiveStrategy(const AdaptiveOptions& options) {
  return std::make_unique<Adaptive>(options);
}

}  // namespace strata
