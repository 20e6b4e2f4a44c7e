// ChangeSet (builder.h) against the std::map it replaced in the
// transactor: after each Seal the same keys in the same order, the first
// change added for a key kept (a map's emplace), and the same answers to
// Find and Range. Keys come in random order (the sorting path) and in key
// order with repeats (the path that only checks the order).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "tx/builder.h"

namespace strata::tx_internal {
namespace {

EavKey RandomKey(std::mt19937& rng, int entities = 5) {
  const EntityId e = 1 + rng() % static_cast<unsigned>(entities);
  const EntityId a = 10 + rng() % 3;
  switch (rng() % 3) {
    case 0: return EavKey{e, a, Value::Long(static_cast<int64_t>(rng() % 6))};
    case 1: return EavKey{e, a, Value::String(std::string(1 + rng() % 3, 'a'))};
    default: return EavKey{e, a, Value::String("a long value past the short-string buffer " + std::to_string(rng() % 3))};
  }
}

std::string Show(const EavKey& k, const Pending& p, const std::vector<Op>& ops) {
  return std::to_string(k.e) + " " + std::to_string(k.a) + " " + edn::Print(edn::FromValue(k.v)) + " op " +
         std::to_string(p.op - ops.data());
}

// `entities` entities, up to `max_keys` keys a round: with few entities
// and many keys an entity's changes are more than Seal's insertion sort
// takes (it sorts each entity's changes by attribute and value).
void CheckAgainstAMap(int entities, int max_keys) {
  std::vector<Op> ops(256);  // only their addresses tell changes apart
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const bool in_key_order = seed % 3 == 0;
    ChangeSet set;
    std::map<EavKey, Pending> model;
    size_t next_op = 0;
    for (int round = 0; round < 3; ++round) {
      std::vector<EavKey> keys(rng() % static_cast<unsigned>(max_keys));
      for (EavKey& k : keys) k = RandomKey(rng, entities);
      if (in_key_order) std::sort(keys.begin(), keys.end());  // repeats stay, side by side
      for (EavKey& k : keys) {
        const Pending p{nullptr, &ops[next_op++ % ops.size()]};
        model.emplace(k, p);
        set.Add(k.e, k.a, Value(k.v), p);
      }
      set.Seal();
      std::vector<std::string> got, want;
      for (const auto& [k, p] : set) got.push_back(Show(k, p, ops));
      for (const auto& [k, p] : model) want.push_back(Show(k, p, ops));
      ASSERT_EQ(got, want) << "round " << round;
      ASSERT_EQ(set.size(), model.size());
      for (int probe = 0; probe < 20; ++probe) {
        const EavKey k = RandomKey(rng, entities);
        auto it = model.find(k);
        const Change* c = set.Find(k);
        ASSERT_EQ(c != nullptr, it != model.end()) << Show(k, Pending{}, ops);
        if (c) {
          EXPECT_EQ(c->p.op, it->second.op);
        }
        auto [lo, hi] = set.Range(k.e, k.a);
        std::vector<std::string> range, model_range;
        for (const Change* x = lo; x != hi; ++x) range.push_back(Show(x->k, x->p, ops));
        for (auto m = model.lower_bound(EavKey{k.e, k.a, Value()}); m != model.end() && m->first.e == k.e && m->first.a == k.a; ++m)
          model_range.push_back(Show(m->first, m->second, ops));
        EXPECT_EQ(range, model_range);
      }
    }
  }
}

TEST(ChangeSet, MatchesAMapsEmplaceOverRepeatedSeals) { CheckAgainstAMap(5, 40); }

TEST(ChangeSet, MatchesAMapWithManyChangesOfAnEntity) { CheckAgainstAMap(2, 200); }

TEST(ChangeSet, UnsealedChangesAreNotSeen) {
  ChangeSet set;
  Op op;
  set.Add(1, 10, Value::Long(1), Pending{nullptr, &op});
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.Find(EavKey{1, 10, Value::Long(1)}), nullptr);
  set.Seal();
  EXPECT_EQ(set.size(), 1u);
  EXPECT_NE(set.Find(EavKey{1, 10, Value::Long(1)}), nullptr);
}

}  // namespace
}  // namespace strata::tx_internal
