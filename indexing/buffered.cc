#include "indexing/buffered.h"

#include <algorithm>
#include <limits>

#include "indexing/settings.h"

namespace strata {
namespace {

uint64_t Times(uint64_t a, uint64_t b) {  // saturating
  return b != 0 && a > std::numeric_limits<uint64_t>::max() / b ? std::numeric_limits<uint64_t>::max() : a * b;
}

uint64_t Power(uint64_t base, size_t exp) {
  uint64_t r = 1;
  for (size_t i = 0; i < exp; ++i) r = Times(r, base);
  return r;
}

MergeStep Flush(int from, size_t first, size_t count) {
  MergeStep s;
  s.kind = MergeStep::Kind::kCompact;
  s.from_level = from;
  s.first = first;
  s.count = count;
  s.to_level = from + 1;
  return s;
}

class Buffered final : public MergeStrategy {
 public:
  explicit Buffered(const BufferedOptions& options) : options_(options) {}
  std::string name() const override { return "buffered"; }

  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions& o) const override {
    const uint64_t capacity = options_.buffer_datoms
                                  ? options_.buffer_datoms
                                  : std::max<uint64_t>(o.memory_index_threshold / kMemIndexBytesPerDatom, 4 * o.segment_datoms);
    const uint64_t fanout = std::max<uint32_t>(options_.fanout, 2);
    static const LevelShape kEmpty;
    MergePlan p;
    for (int t = 0; t < kTreeCount; ++t) {
      const Index order = TreeOrder(t);
      std::vector<const LevelShape*> v;  // the levels as the flushes will see them
      for (const LevelShape& l : shape.trees[t]) v.push_back(&l);
      std::vector<MergeStep>& steps = p.trees[t];
      // Grow: the deepest buffer nodes cover too many leaves. The leaves
      // move down unchanged; an empty buffer level takes their place.
      if (v.size() >= 2 && v.size() < o.max_levels) {
        const LevelShape& leaves = *v.back();
        const size_t buffers = v.size() - 1;
        if (leaves.datoms > Times(Power(fanout, buffers), capacity) && !leaves.segments.empty()) {
          steps.push_back(Flush(static_cast<int>(buffers), 0, leaves.segments.size()));
          v.insert(v.end() - 1, &kEmpty);
        }
      }
      // Deepest buffer level first: a flush changes its level and the one
      // below, which no later step's segment indices refer to.
      const std::vector<SegmentRef>& leaves = v.empty() ? kEmpty.segments : v.back()->segments;
      for (size_t d = v.size() >= 2 ? v.size() - 2 : 0; d >= 1 && d + 1 < v.size(); --d) {
        const std::vector<SegmentRef>& buf = v[d]->segments;
        if (buf.empty()) continue;
        // Nodes at depth d: min(fanout^d, leaves) groups of leaf segments.
        const size_t groups = std::max<size_t>(1, std::min<uint64_t>(Power(fanout, d), leaves.size()));
        size_t best_first = 0, best_count = 0;
        uint64_t best = 0;
        for (size_t j = 0, s = 0; j < groups && s < buf.size(); ++j) {
          // Node j ends where node j+1's first leaf begins.
          const size_t next_leaf = (j + 1) * leaves.size() / groups;
          const size_t first = s;
          uint64_t sum = 0;
          while (s < buf.size() &&
                 (j + 1 == groups || CompareDatoms(order, buf[s].first, leaves[next_leaf].first) < 0))
            sum += buf[s++].count;
          if (sum > best) {
            best = sum;
            best_first = first;
            best_count = s - first;
          }
        }
        if (best > capacity) steps.push_back(Flush(static_cast<int>(d), best_first, best_count));
      }
      // The root: one node, flushed whole when the novelty would overfill it.
      if (!v.empty() && !v[0]->segments.empty() && v[0]->datoms + novelty.datoms[t] > capacity)
        steps.push_back(Flush(0, 0, v[0]->segments.size()));
      if (novelty.datoms[t] > 0) {
        MergeStep s;
        s.kind = MergeStep::Kind::kNovelty;
        s.to_level = 0;
        steps.push_back(s);
      }
    }
    return p;
  }

 private:
  const BufferedOptions options_;
};

}  // namespace

Result<BufferedOptions> ParseBufferedOptions(std::string_view settings) {
  BufferedOptions o;
  STRATA_ASSIGN_OR_RETURN(auto items, SplitSettings("buffered", settings));
  for (const auto& [key, value] : items) {
    if (key == "buffer_datoms") {
      STRATA_ASSIGN_OR_RETURN(o.buffer_datoms,
                              ParseUnsignedSetting("buffered", key, value, 0, std::numeric_limits<uint64_t>::max()));
    } else if (key == "fanout") {
      STRATA_ASSIGN_OR_RETURN(uint64_t fanout, ParseUnsignedSetting("buffered", key, value, 2, 1000));
      o.fanout = static_cast<uint32_t>(fanout);
    } else {
      return UnknownSetting("buffered", key, "buffer_datoms, fanout");
    }
  }
  return o;
}

std::unique_ptr<MergeStrategy> NewBufferedStrategy(const BufferedOptions& options) {
  return std::make_unique<Buffered>(options);
}

}  // namespace strata
