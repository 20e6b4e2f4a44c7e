// Printing merge plans (MergeStep, MergePlan: strata/indexing.h), for
// job metrics and golden tests. The strategies and their registry are in
// indexing/.
#include "strata/indexing.h"

namespace strata {

namespace {
std::string Flags(const MergeStep& s) {
  return std::string(s.rewrite_all ? " (all)" : "") + (s.gaps ? " (gaps)" : "");
}
}  // namespace

std::string MergeStep::ToString() const {
  switch (kind) {
    case Kind::kNovelty:
      return "novelty->L" + std::to_string(to_level) + Flags(*this);
    case Kind::kCompact:
      return "L" + std::to_string(from_level) + "[" + std::to_string(first) + "+" +
             (count == kAllSegments ? std::string("all") : std::to_string(count)) + "]->L" +
             std::to_string(to_level) + Flags(*this);
    case Kind::kRebuild:
      return "rebuild";
  }
  return "?";
}

std::string MergePlan::ToString() const {
  std::string out;
  for (int t = 0; t < kTreeCount; ++t) {
    if (trees[t].empty()) continue;
    out += TreeName(t) + ":";
    for (const auto& s : trees[t]) out += " " + s.ToString();
    out += "\n";
  }
  return out;
}

}  // namespace strata
