#include "indexing/adaptive_append.h"

#include <algorithm>
#include <limits>

#include "indexing/settings.h"

namespace strata {
namespace {

constexpr const char* kName = "adaptive-append";

// Compares (e a v) in `order`, ignoring t and the operation.
int CompareGroup(Index order, const Datom& x, const Datom& y) {
  if (x.e == y.e && x.a == y.a && x.v == y.v) return 0;
  return CompareDatoms(order, x, y);
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

uint64_t Times(uint64_t a, uint64_t b) {  // saturating: deep targets never wrap
  return a > std::numeric_limits<uint64_t>::max() / b ? std::numeric_limits<uint64_t>::max() : a * b;
}

class AdaptiveAppend final : public MergeStrategy {
 public:
  explicit AdaptiveAppend(const AdaptiveOptions& options) : options_(options) {}
  std::string name() const override { return kName; }

  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions& o) const override {
    const uint64_t level0 = options_.level0_datoms ? options_.level0_datoms
                                                   : std::max<uint64_t>(4 * o.memory_index_threshold / 100,
                                                                        4 * o.segment_datoms);
    const uint64_t ratio = std::max<uint32_t>(options_.level_ratio, 2);
    static const LevelShape kEmpty;
    MergePlan p;
    for (int t = 0; t < kTreeCount; ++t) {
      const auto& levels = shape.trees[t];
      const Index order = TreeOrder(t);
      std::vector<MergeStep> compactions;
      uint64_t inflow = novelty.datoms[t];
      uint64_t target = std::max<uint64_t>(level0, o.segment_datoms);
      for (size_t i = 0; i < levels.size() && i + 1 < o.max_levels; ++i, target = Times(target, ratio)) {
        const LevelShape& lv = levels[i];
        if (lv.datoms + inflow <= target || lv.segments.empty()) {
          inflow = 0;
          continue;
        }
        const uint64_t want = std::max(lv.datoms + inflow - target, std::min<uint64_t>(novelty.datoms[t], lv.datoms));
        const LevelShape& below = i + 1 < levels.size() ? levels[i + 1] : kEmpty;
        // What each segment, on its own, overlaps below: with gap inserts a
        // slice that does not move rewrites itself and about the sum of
        // these, not its whole range's overlap.
        std::vector<uint64_t> cost(lv.segments.size());
        for (size_t k = 0; k < lv.segments.size(); ++k)
          cost[k] = Overlap(order, below, lv.segments[k].first, lv.segments[k].last);
        size_t best_first = 0, best_count = lv.segments.size();
        double best_ratio = -1;
        uint64_t sum = 0, sum_cost = 0;
        for (size_t a = 0, b = 0; a < lv.segments.size(); ++a) {
          while (b < lv.segments.size() && sum < want) {
            sum_cost += cost[b];
            sum += lv.segments[b++].count;
          }
          if (sum < want && a > 0) break;  // no later window is big enough
          // A slice whose whole range overlaps nothing moves for free;
          // any other is itself rewritten, plus what it falls inside.
          const bool moves = Overlap(order, below, lv.segments[a].first, lv.segments[b - 1].last) == 0;
          const double r = moves ? 0.0
                                 : static_cast<double>(sum + sum_cost) / static_cast<double>(std::max<uint64_t>(sum, 1));
          if (best_ratio < 0 || r < best_ratio) {
            best_ratio = r;
            best_first = a;
            best_count = b - a;
          }
          sum -= lv.segments[a].count;
          sum_cost -= cost[a];
        }
        MergeStep s;
        s.kind = MergeStep::Kind::kCompact;
        s.from_level = static_cast<int>(i);
        s.first = best_first;
        s.count = best_count;
        s.to_level = static_cast<int>(i + 1);
        s.gaps = true;
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
        s.gaps = true;
        p.trees[t].push_back(s);
      }
    }
    return p;
  }

 private:
  const AdaptiveOptions options_;
};

}  // namespace

Result<AdaptiveOptions> ParseAdaptiveAppendOptions(std::string_view settings) {
  AdaptiveOptions o;
  STRATA_ASSIGN_OR_RETURN(auto items, SplitSettings(kName, settings));
  for (const auto& [key, value] : items) {
    if (key == "level0_datoms") {
      STRATA_ASSIGN_OR_RETURN(o.level0_datoms,
                              ParseUnsignedSetting(kName, key, value, 0, std::numeric_limits<uint64_t>::max()));
    } else if (key == "level_ratio") {
      STRATA_ASSIGN_OR_RETURN(uint64_t ratio, ParseUnsignedSetting(kName, key, value, 2, 1000));
      o.level_ratio = static_cast<uint32_t>(ratio);
    } else {
      return UnknownSetting(kName, key, "level0_datoms, level_ratio");
    }
  }
  return o;
}

std::unique_ptr<MergeStrategy> NewAdaptiveAppendStrategy(const AdaptiveOptions& options) {
  return std::make_unique<AdaptiveAppend>(options);
}

}  // namespace strata
