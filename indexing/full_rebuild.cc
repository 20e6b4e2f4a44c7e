#include "indexing/full_rebuild.h"

namespace strata {
namespace {

class FullRebuild final : public MergeStrategy {
 public:
  std::string name() const override { return "full-rebuild"; }
  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions&) const override {
    MergePlan p;
    for (int t = 0; t < kTreeCount; ++t) {
      if (shape.trees[t].empty() && novelty.datoms[t] == 0) continue;
      MergeStep s;
      s.kind = MergeStep::Kind::kRebuild;
      p.trees[t].push_back(s);
    }
    return p;
  }
};

}  // namespace

std::unique_ptr<MergeStrategy> NewFullRebuildStrategy() { return std::make_unique<FullRebuild>(); }

}  // namespace strata
