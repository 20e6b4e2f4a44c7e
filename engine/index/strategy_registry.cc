// The registry of merge strategies, and plan printing.
#include <algorithm>
#include <map>
#include <mutex>

#include "strata/indexing.h"

namespace strata {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, StrategyFactory>& Registry() {
  static std::map<std::string, StrategyFactory> r;
  return r;
}

}  // namespace

bool RegisterStrategy(const std::string& name, StrategyFactory factory) {
  std::lock_guard l(RegistryMutex());
  Registry()[name] = std::move(factory);
  return true;
}

std::unique_ptr<MergeStrategy> MakeStrategy(const std::string& name) {
  std::lock_guard l(RegistryMutex());
  auto it = Registry().find(name);
  return it == Registry().end() ? nullptr : it->second();
}

std::vector<std::string> StrategyNames() {
  std::lock_guard l(RegistryMutex());
  std::vector<std::string> out;
  for (const auto& [k, v] : Registry()) out.push_back(k);
  return out;
}

std::string MergeStep::ToString() const {
  switch (kind) {
    case Kind::kNovelty:
      return "novelty->L" + std::to_string(to_level) + (rewrite_all ? " (all)" : "");
    case Kind::kCompact:
      return "L" + std::to_string(from_level) + "[" + std::to_string(first) + "+" + std::to_string(count) + "]->L" +
             std::to_string(to_level) + (rewrite_all ? " (all)" : "");
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
