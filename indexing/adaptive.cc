#include "adaptive.h"

#include <algorithm>

namespace strata {
namespace {

int CompareGroup(Index order, const Datom& x, const Datom& y) {
  Datom a = x, b = y;
  a.tx = b.tx = 0;
  a.added = b.added = false;
  return CompareDatoms(order, a, b);
}

// Datoms of `below` whose segments overlap [first, last].
uint64_t Overlap(Index order, const LevelShape& below, const Datom& first, const Datom& last) {
  const auto& s = below.segments;
  auto lo = std::lower_bound(s.begin(), s.end(), first,
                             [&](const SegmentRef& r, const Datom& d) { return CompareGroup(order, r.last, d) < 0; });
  uint64_t n = 0;
  for (auto it = lo; it != s.end() && CompareGroup(order, it->first, last) <= 0; ++it) n += it->count;
  return n;
}

class Adaptive final : public MergeStrategy {
 public:
  std::string name() const override { return "adaptive"; }

  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions& o) const override {
    MergePlan p;
    for (int t = 0; t < kTreeCount; ++t) {
      const auto& levels = shape.trees[t];
      const Index order = TreeOrder(t);
      std::vector<MergeStep> compactions;
      uint64_t inflow = novelty.datoms[t];
      uint64_t target = std::max<uint64_t>(o.level0_datoms, o.segment_datoms);
      for (size_t i = 0; i < levels.size() && i + 1 < o.max_levels; ++i, target *= std::max<uint32_t>(o.level_ratio, 2)) {
        const LevelShape& lv = levels[i];
        if (lv.datoms + inflow <= target || lv.segments.empty()) {
          inflow = 0;
          continue;
        }
        // Move at least the excess (and at least one job's worth, so levels
        // drain as fast as they fill) as one slice of consecutive segments.
        const uint64_t want = std::max(lv.datoms + inflow - target, std::min<uint64_t>(novelty.datoms[t], lv.datoms));
        static const LevelShape kEmpty;
        const LevelShape& below = i + 1 < levels.size() ? levels[i + 1] : kEmpty;
        size_t best_first = 0, best_count = lv.segments.size();
        double best_ratio = -1;
        uint64_t sum = 0;
        for (size_t a = 0, b = 0; a < lv.segments.size(); ++a) {
          while (b < lv.segments.size() && sum < want) sum += lv.segments[b++].count;
          if (sum < want && a > 0) break;  // no later window is big enough
          const double ratio = static_cast<double>(Overlap(order, below, lv.segments[a].first, lv.segments[b - 1].last)) /
                               static_cast<double>(std::max<uint64_t>(sum, 1));
          if (best_ratio < 0 || ratio < best_ratio) {
            best_ratio = ratio;
            best_first = a;
            best_count = b - a;
          }
          sum -= lv.segments[a].count;
        }
        MergeStep s;
        s.kind = MergeStep::Kind::kCompact;
        s.from_level = static_cast<int>(i);
        s.first = best_first;
        s.count = best_count;
        s.to_level = static_cast<int>(i + 1);
        compactions.push_back(s);
        inflow = 0;
        for (size_t k = best_first; k < best_first + best_count; ++k) inflow += lv.segments[k].count;
      }
      // Deepest first: each step's slice indices refer to a level no
      // earlier step of this job has changed.
      std::reverse(compactions.begin(), compactions.end());
      p.trees[t] = std::move(compactions);
      if (novelty.datoms[t] > 0) {
        MergeStep s;
        s.kind = MergeStep::Kind::kNovelty;
        s.to_level = 0;
        p.trees[t].push_back(s);
      }
    }
    return p;
  }
};

const bool kRegistered = RegisterStrategy("adaptive", [] { return NewAdaptiveStrategy(); });

}  // namespace

std::unique_ptr<MergeStrategy> NewAdaptiveStrategy() { return std::make_unique<Adaptive>(); }

}  // namespace strata
