#include "indexing/cow_tree.h"

namespace strata {
namespace {

class CowTree final : public MergeStrategy {
 public:
  std::string name() const override { return "cow-tree"; }
  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions&) const override {
    MergePlan p;
    for (int t = 0; t < kTreeCount; ++t) {
      // Deeper levels left by another strategy are folded into level 0 first.
      for (int i = static_cast<int>(shape.trees[t].size()) - 1; i >= 1; --i) {
        if (shape.trees[t][i].segments.empty()) continue;
        MergeStep s;
        s.kind = MergeStep::Kind::kCompact;
        s.from_level = i;
        s.first = 0;
        s.count = shape.trees[t][i].segments.size();
        s.to_level = i - 1;
        p.trees[t].push_back(s);
      }
      if (novelty.datoms[t] == 0) continue;
      MergeStep s;
      s.kind = MergeStep::Kind::kNovelty;
      s.to_level = 0;
      p.trees[t].push_back(s);
    }
    return p;
  }
};

}  // namespace

std::unique_ptr<MergeStrategy> NewCowTreeStrategy() { return std::make_unique<CowTree>(); }

}  // namespace strata
