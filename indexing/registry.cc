// The strategy registry: the table, and the lookup strata/indexing.h
// declares for the engine.
#include "indexing/registry.h"

#include "indexing/adaptive.h"
#include "indexing/adaptive_append.h"
#include "indexing/buffered.h"
#include "indexing/cow_tree.h"
#include "indexing/full_rebuild.h"
#include "indexing/lazy_leveling.h"
#include "indexing/settings.h"
#include "indexing/tiered.h"

namespace strata {
namespace {

// A strategy with settings: its parser, then its constructor.
template <auto Parse, auto New>
Result<std::unique_ptr<MergeStrategy>> MakeWith(std::string_view settings) {
  STRATA_ASSIGN_OR_RETURN(auto options, Parse(settings));
  return New(options);
}

// For a strategy without settings: any key is unknown.
Status NoSettings(std::string_view strategy, std::string_view settings) {
  STRATA_ASSIGN_OR_RETURN(auto items, SplitSettings(strategy, settings));
  if (!items.empty()) return UnknownSetting(strategy, items.front().first, "");
  return Status::OK();
}

Result<std::unique_ptr<MergeStrategy>> MakeCowTree(std::string_view settings) {
  STRATA_RETURN_IF_ERROR(NoSettings("cow-tree", settings));
  return NewCowTreeStrategy();
}

Result<std::unique_ptr<MergeStrategy>> MakeFullRebuild(std::string_view settings) {
  STRATA_RETURN_IF_ERROR(NoSettings("full-rebuild", settings));
  return NewFullRebuildStrategy();
}

// Sorted by name (indexing_tests checks it).
constexpr StrategyEntry kStrategies[] = {
    {"adaptive", "leveled runs with partial compaction: job cost grows with log(database)",
     MakeWith<ParseAdaptiveOptions, NewAdaptiveStrategy>},
    {"adaptive-append", "adaptive, with appends anywhere in a tree written beside its segments, not merged into them",
     MakeWith<ParseAdaptiveAppendOptions, NewAdaptiveAppendStrategy>},
    {"buffered", "B-epsilon / hitchhiker tree: novelty waits in per-node buffers above the leaves, flushed when full",
     MakeWith<ParseBufferedOptions, NewBufferedStrategy>},
    {"cow-tree", "one level per tree; a job rewrites the leaves its novelty touches", MakeCowTree},
    {"full-rebuild", "the baseline: every job rewrites the whole index", MakeFullRebuild},
    {"lazy-leveling", "Dostoevsky's lazy leveling: tiered upper levels, one run at the last",
     MakeWith<ParseLazyLevelingOptions, NewLazyLevelingStrategy>},
    {"tiered", "size-tiered runs, RocksDB universal style: cheap jobs, occasional whole-tree merges",
     MakeWith<ParseTieredOptions, NewTieredStrategy>},
};

constexpr const char* kDefaultStrategy = "adaptive";

}  // namespace

std::span<const StrategyEntry> Strategies() { return kStrategies; }

Result<std::unique_ptr<MergeStrategy>> MakeStrategy(const std::string& name, std::string_view settings) {
  for (const StrategyEntry& e : kStrategies)
    if (name == e.name) return e.make(settings);
  std::string known;
  for (const StrategyEntry& e : kStrategies) known += (known.empty() ? "" : ", ") + std::string(e.name);
  return Status::InvalidArgument("unknown merge strategy \"" + name + "\" (known: " + known + ")");
}

std::vector<std::string> StrategyNames() {
  std::vector<std::string> out;
  for (const StrategyEntry& e : kStrategies) out.emplace_back(e.name);
  return out;
}

std::string DefaultStrategyName() { return kDefaultStrategy; }

}  // namespace strata
