// properties_test.cc — one property per SPEC §8 invariant, each registered
// once for every merge strategy in StrategyNames() (test "Fold.adaptive",
// "Fold.cow-tree", ...): a new strategy is checked without touching this
// file. Budgets are the CI ones; scripts/soak raises them with RC_PARAMS.
//
// Every property also checks, on every transaction, that the engine accepts
// exactly what the model accepts and records exactly the predicted datoms,
// t and tempids; its own invariant is what it checks after every step.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "state_machine.h"
#include "strata/indexing.h"
#include "strata/postgres.h"

namespace strata::props {
namespace {

std::vector<PropertySpec> Specs() {
  std::vector<PropertySpec> out;
  auto add = [&](std::string name, int cases, uint32_t checks, CommandWeights w, TxMix mix = {},
                 Background bg = Background::kSometimes) {
    PropertySpec s;
    s.name = std::move(name);
    s.cases = cases;
    s.max_size = 40;
    s.checks = checks;
    s.weights = w;
    s.mix = mix;
    s.background = bg;
    out.push_back(std::move(s));
  };
  auto w = [](auto edit) {
    CommandWeights c;
    edit(c);
    return c;
  };
  add("Fold", 100, kCheckFold, w([](auto& c) {
        c.alter = 1, c.excise = 1, c.index_now = 3, c.reopen = 1, c.crash = 1;
      }));
  add("History", 150, kCheckHistory, w([](auto& c) {
        c.alter = 2, c.excise = 1, c.index_now = 3, c.reopen = 1, c.crash = 1;
      }));
  TxMix retracting;
  retracting.retract = 6, retracting.retract_attr = 2, retracting.retract_entity = 3;
  add("Retraction", 200, kCheckRetraction, w([](auto& c) { c.alter = 1, c.index_now = 3, c.reopen = 1; }), retracting);
  add("Since", 150, kCheckSince, w([](auto& c) { c.alter = 1, c.index_now = 3, c.reopen = 1; }));
  add("CardinalityUniqueness", 120, kCheckCardinality, w([](auto& c) {
        c.invalid = 4, c.alter = 4, c.index_now = 2, c.crash = 1;
      }));
  add("IndexAgreement", 100, kCheckIndexAgreement, w([](auto& c) {
        c.alter = 2, c.excise = 1, c.index_now = 3, c.reopen = 1;
      }));
  add("IndexingTransparency", 100, kCheckTransparency | kCheckHeld, w([](auto& c) {
        c.invalid = 1, c.alter = 2, c.excise = 1, c.index_now = 5, c.hold = 2, c.switch_strategy = 1, c.crash_job = 1;
      }));
  add("Durability", 150, kCheckDurability, w([](auto& c) {
        c.alter = 1, c.excise = 1, c.index_now = 3, c.reopen = 2, c.crash = 3, c.crash_job = 3, c.crash_commit = 2;
      }));
  add("Atomicity", 200, kCheckAtomicity, w([](auto& c) {
        c.transact = 6, c.invalid = 8, c.with = 3, c.index_now = 2, c.crash = 1;
      }));
  TxMix instants;
  instants.instant = 4;
  add("MonotonicTime", 200, kCheckMonotonicTime, w([](auto& c) {
        c.index_now = 2, c.reopen = 1, c.crash = 2, c.crash_commit = 1;
      }), instants);
  add("Queue", 200, kCheckQueue, w([](auto& c) { c.subscribe = 1, c.index_now = 2, c.reopen = 1, c.crash = 1; }));
  TxMix excising;
  excising.excise = 3;
  add("Excision", 120, kCheckExcision, w([](auto& c) {
        c.transact = 8, c.excise = 4, c.alter = 1, c.index_now = 3, c.reopen = 1, c.crash = 2, c.crash_commit = 3;
      }), excising);
  // Errors that cannot be dropped: a share of segment reads fail or return
  // flipped bits; every read is right or an error, nothing commits after a
  // failed read, and the invariants hold once the faults stop.
  add("ReadFaults", 60, kCheckHistory | kCheckIndexAgreement, w([](auto& c) {
        c.transact = 6, c.faulty_reads = 6, c.alter = 1, c.excise = 1, c.index_now = 2, c.reopen = 1;
      }), {}, Background::kNever);
  return out;
}

class PropertyTest : public ::testing::Test {
 public:
  PropertyTest(PropertySpec spec, std::string strategy) : spec_(std::move(spec)), strategy_(std::move(strategy)) {}
  void TestBody() override {
    const std::string failure = CheckProperty(spec_, strategy_);
    if (!failure.empty()) FAIL() << failure;
  }

 private:
  PropertySpec spec_;
  std::string strategy_;
};

}  // namespace
}  // namespace strata::props

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  spdlog::set_level(spdlog::level::off);  // crashes and failing disks are the point here
  // STRATA_PROPS_STORAGE=postgres://... runs every property on PostgreSQL
  // storage (ctest's properties.postgres entries, a reduced budget).
  const char* storage = std::getenv("STRATA_PROPS_STORAGE");
  if (storage && *storage) strata::UsePostgresStorage();
  for (auto spec : strata::props::Specs()) {
    if (storage && *storage) {
      if (spec.weights.faulty_reads > 0) continue;  // the read faults live in the Env, not in PostgreSQL
      spec.storage = storage;
      spec.weights.crash_job = 0;
      spec.weights.crash_commit = 0;
    }
    for (const std::string& strategy : strata::StrategyNames()) {
      // A '-' would start the negative part of a --gtest_filter: cow-tree is cow_tree here.
      std::string test = strategy;
      std::replace(test.begin(), test.end(), '-', '_');
      ::testing::RegisterTest(spec.name.c_str(), test.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                              [spec, strategy]() -> ::testing::Test* {
                                return new strata::props::PropertyTest(spec, strategy);
                              });
    }
  }
  return RUN_ALL_TESTS();
}
