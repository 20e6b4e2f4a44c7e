// The registry of merge strategies, and plan printing.
#include <algorithm>
#include <map>
#include <mutex>

#include "strata/indexing.h"
#include "strata/mutex.h"

namespace strata {
namespace {

// Built on first use: strategies register from static initializers.
struct Registry {
  Mutex mu;
  std::map<std::string, StrategyFactory> factories GUARDED_BY(mu);
};
Registry& TheRegistry() {
  static Registry r;
  return r;
}

}  // namespace

bool RegisterStrategy(const std::string& name, StrategyFactory factory) {
  Registry& r = TheRegistry();
  MutexLock l(&r.mu);
  r.factories[name] = std::move(factory);
  return true;
}

std::unique_ptr<MergeStrategy> MakeStrategy(const std::string& name) {
  Registry& r = TheRegistry();
  MutexLock l(&r.mu);
  auto it = r.factories.find(name);
  return it == r.factories.end() ? nullptr : it->second();
}

std::vector<std::string> StrategyNames() {
  Registry& r = TheRegistry();
  MutexLock l(&r.mu);
  std::vector<std::string> out;
  for (const auto& [k, v] : r.factories) out.push_back(k);
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
