// registry.h — every merge strategy, in one explicit table.
//
// One row per strategy: its name (stable: a root records it), a one-line
// description, and a factory that parses that strategy's settings
// ("key=value,...", see settings.h) into its own options struct and makes
// it. Adding a strategy is one file pair and one row in registry.cc; there
// are no static initializers, so nothing depends on which object files a
// linker keeps.
//
// registry.cc also defines the engine-facing lookup declared in
// strata/indexing.h (MakeStrategy, StrategyNames, DefaultStrategyName): the
// engine calls those and never includes this folder. strata_engine links
// strata_indexing, so every program that links the engine has every
// strategy, and no caller has to hand the engine a registry (the other
// design considered: a registry pointer in Options, which every test and
// tool would have to set). Code that knows indexing/ — its tests — may read
// the table itself.
//
// Thread safety: the table is constant; factories are pure.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "strata/indexing.h"

namespace strata {

struct StrategyEntry {
  const char* name;
  const char* description;  // one line
  // The strategy with its settings parsed, or InvalidArgument naming the
  // strategy and the key.
  Result<std::unique_ptr<MergeStrategy>> (*make)(std::string_view settings);
};

// Every strategy, sorted by name.
std::span<const StrategyEntry> Strategies();

}  // namespace strata
