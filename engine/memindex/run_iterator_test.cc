// The read path over memory-index runs against a model: a reused iterator
// (a run's seek gallops from its position, a merge and a view seek such
// children instead of stepping, a scan prefetches ahead) must land where a
// search of the plain fold of every datom lands, in every order and every
// time view, after excision too, for seeks near ahead, far ahead and back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <string>

#include "memindex/memindex.h"

namespace strata {
namespace {

constexpr EntityId kRefAttr = 3;

std::string ShowValue(const Value& v) {
  switch (v.type()) {
    case ValueType::kRef: return "#" + std::to_string(v.ref());
    case ValueType::kString: return "\"" + v.str() + "\"";
    case ValueType::kDouble: return std::to_string(v.as_double());
    default: return std::to_string(v.as_long());
  }
}

std::string Show(const Datom& d) {
  return "[" + std::to_string(d.e) + " " + std::to_string(d.a) + " " + ShowValue(d.v) + " " + std::to_string(d.t()) +
         (d.added ? " true]" : " false]");
}

bool SameEav(const Datom& x, const Datom& y) { return x.e == y.e && x.a == y.a && x.v == y.v; }

// What a view shows, folded the plain way: every datom sorted by (e a v) then
// tx; per group the last datom within as_of decides (current views), or every
// datom in time shows (history). As-of includes its t, since excludes it
// (https://docs.datomic.com/reference/filters.html).
std::vector<Datom> Fold(std::vector<Datom> all, Index order, const ViewSpec& spec) {
  std::stable_sort(all.begin(), all.end(), DatomLessIn<Index::kEavt>{});
  std::vector<Datom> out;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    const Datom* last = nullptr;
    for (; j < all.size() && SameEav(all[j], all[i]); ++j) {
      const Datom& d = all[j];
      if (spec.as_of && d.t() > *spec.as_of) continue;
      if (spec.history) {
        if (!spec.since || d.t() > *spec.since) out.push_back(d);
      } else {
        last = &d;
      }
    }
    if (last != nullptr && last->added && (!spec.since || last->t() > *spec.since)) out.push_back(*last);
    i = j;
  }
  if (order == Index::kVaet) std::erase_if(out, [](const Datom& d) { return d.a != kRefAttr; });
  std::sort(out.begin(), out.end(), DatomLess{order});
  return out;
}

Value RandomValue(EntityId a, std::mt19937_64& rng) {
  const uint64_t k = rng() % 40;
  switch (a) {
    case kRefAttr: return Value::Ref(1 + k);
    case 4: return Value::String(k % 2 ? "s" + std::to_string(k) : std::string(20, 'a') + std::to_string(k));  // inline and long texts
    case 5: return Value::Double(static_cast<double>(k) / 3);
    default: return Value::Long(static_cast<int64_t>(k) - 10);
  }
}

// A seek target: the first n components (of the order's sequence) of a datom,
// the rest minimal, as a cursor's prefix seek makes; n == 4: the datom itself.
Datom TargetFrom(Index order, const Datom& d, int n) {
  if (n >= 4) return d;
  static constexpr int kSlots[kIndexCount][3] = {{0, 1, 2}, {1, 0, 2}, {1, 2, 0}, {2, 1, 0}};
  std::vector<Value> comps;
  for (int i = 0; i < n; ++i) {
    switch (kSlots[static_cast<int>(order)][i]) {
      case 0: comps.push_back(Value::Ref(d.e)); break;
      case 1: comps.push_back(Value::Ref(d.a)); break;
      default: comps.push_back(d.v); break;
    }
  }
  return PrefixTarget(order, comps);
}

// A memory index of random transactions (large ones, then many small
// ones, with retractions), some entities excised: *all gets every datom it
// holds.
std::shared_ptr<const MemIndex> RandomIndex(std::mt19937_64& rng, std::vector<Datom>* out) {
  auto is_ref = [](EntityId a) { return a == kRefAttr; };
  auto no_hist = [](EntityId) { return false; };
  auto mem = std::make_shared<const MemIndex>();
  std::vector<Datom>& all = *out;

  std::vector<Datom> live;  // the current assertions, to retract some
  T t = 1;
  // Large transactions first (runs of thousands of datoms: seeks gallop and
  // scans prefetch inside them), then small ones (many runs to merge).
  for (; t <= 120; ++t) {
    const int n = t <= 8 ? 600 : 1 + static_cast<int>(rng() % 12);
    std::vector<Datom> tx;
    for (int i = 0; i < n; ++i) {
      if (!live.empty() && rng() % 4 == 0) {  // retract a live datom
        const size_t at = rng() % live.size();
        Datom d = live[at];
        if (std::any_of(tx.begin(), tx.end(), [&](const Datom& x) { return SameEav(x, d); })) continue;
        live.erase(live.begin() + static_cast<ptrdiff_t>(at));  // never asserted twice (the transactor drops that)
        d.tx = TxId(t);
        d.added = false;
        tx.push_back(d);
        continue;
      }
      const EntityId e = 1 + rng() % 400, a = 1 + rng() % 5;
      Datom d{e, a, RandomValue(a, rng), TxId(t), true};
      auto same = [&](const Datom& x) { return SameEav(x, d); };
      if (std::any_of(tx.begin(), tx.end(), same) || std::any_of(live.begin(), live.end(), same)) continue;
      tx.push_back(d);
      live.push_back(d);
    }
    all.insert(all.end(), tx.begin(), tx.end());
    mem = mem->Add(tx, is_ref, no_hist);
  }
  // Excision of every datom of some entities (and of datoms pointing at them).
  auto drop = [](const Datom& d) { return d.e % 17 == 0 || (d.a == kRefAttr && d.v.ref() % 13 == 0); };
  mem = mem->Without(drop, is_ref);
  std::erase_if(all, drop);
  return mem;
}


TEST(RunIterator, ReusedIteratorsLandWhereASearchOfTheFoldLands) {
  // STRATA_SEED=n repeats a failed run.
  const uint64_t seed = getenv("STRATA_SEED") ? std::stoull(getenv("STRATA_SEED")) : std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<Datom> all;
  auto mem = RandomIndex(rng, &all);
  ASSERT_GT(mem->SourceCount(true), 2u);

  std::vector<ViewSpec> specs(1);
  for (T at : {T{3}, T{8}, T{60}, T{110}}) {
    ViewSpec s;
    s.as_of = at;
    specs.push_back(s);
    s.history = true;
    specs.push_back(s);
    ViewSpec since;
    since.since = at;
    specs.push_back(since);
    since.history = true;
    specs.push_back(since);
  }
  ViewSpec h;
  h.history = true;
  specs.push_back(h);
  ViewSpec both;
  both.as_of = 90;
  both.since = 5;
  specs.push_back(both);

  for (int o = 0; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    for (const ViewSpec& spec : specs) {
      SCOPED_TRACE(std::string(IndexName(order)) + " as_of " + std::to_string(spec.as_of.value_or(0)) + " since " +
                   std::to_string(spec.since.value_or(0)) + (spec.history ? " history" : ""));
      const std::vector<Datom> want = Fold(all, order, spec);
      ASSERT_FALSE(want.empty());
      std::vector<std::unique_ptr<DatomIterator>> kids;
      mem->AddSources(order, spec.history || spec.as_of.has_value(), &kids);
      auto it = NewViewIterator(order, NewMergingIterator(order, std::move(kids)), spec);
      // A full scan first.
      std::vector<Datom> scanned;
      for (it->SeekToFirst(); it->Valid(); it->Next()) scanned.push_back(it->datom());
      ASSERT_TRUE(it->status().ok());
      for (size_t i = 0; i < std::max(scanned.size(), want.size()); ++i) {
        ASSERT_LT(i, scanned.size()) << "the scan ended early, before " << Show(want[i]);
        ASSERT_LT(i, want.size()) << "the scan went on to " << Show(scanned[i]);
        if (!(scanned[i] == want[i]))  // what the log holds of the group
          for (const Datom& d : all)
            if (SameEav(d, scanned[i])) std::cerr << "log: " << Show(d) << "\n";
        ASSERT_EQ(scanned[i], want[i]) << "scan at " << i << ": " << Show(scanned[i]) << ", want " << Show(want[i]);
      }
      // Then one iterator moved by random seeks and steps.
      size_t at = want.size();  // where the model stands
      for (int step = 0; step < 400; ++step) {
        const uint64_t kind = rng() % 10;
        if (kind < 3 && at < want.size()) {
          it->Next();
          ++at;
        } else {
          // Near ahead (within a gallop or two), far ahead, or anywhere.
          size_t to = kind < 6 && at < want.size() ? at + rng() % 8
                      : kind < 8 && at < want.size() ? at + rng() % 200
                                                      : rng() % want.size();
          to = std::min(to, want.size() - 1);
          Datom target = TargetFrom(order, want[to], 1 + static_cast<int>(rng() % 4));
          if (rng() % 5 == 0) target.e += 1;  // a target between datoms
          it->Seek(target);
          at = static_cast<size_t>(std::lower_bound(want.begin(), want.end(), target, DatomLess{order}) - want.begin());
        }
        ASSERT_EQ(it->Valid(), at < want.size()) << "step " << step;
        if (at < want.size()) {
          ASSERT_EQ(it->datom(), want[at]) << "step " << step << ": " << Show(it->datom()) << ", want " << Show(want[at]);
        }
      }
      ASSERT_TRUE(it->status().ok());
    }
  }
}

// A read bounded by a prefix (a cursor of Database::Datoms): the view ends at
// the prefix's end, and a current view's runs fold their groups themselves
// (StepCurrent) once one source is left. Every prefix of one, two and three
// components, moved by seeks as a reused cursor is, must yield exactly the
// fold's datoms with that prefix; DatomRef must describe each datom.
// Reads of `order` and `spec` over the sources add() makes, bounded by
// prefixes of the datoms the fold of `all` shows (see the test below).
void CheckPrefixReads(const std::vector<Datom>& all, Index order, const ViewSpec& spec,
                      const std::function<void(std::vector<std::unique_ptr<DatomIterator>>*)>& add,
                      std::mt19937_64& rng) {
  static constexpr int kSlots[kIndexCount][3] = {{0, 1, 2}, {1, 0, 2}, {1, 2, 0}, {2, 1, 0}};
  SCOPED_TRACE(std::string(IndexName(order)) + " as_of " + std::to_string(spec.as_of.value_or(0)) +
               (spec.history ? " history" : ""));
  const std::vector<Datom> want = Fold(all, order, spec);
  ASSERT_FALSE(want.empty());
  std::vector<Value> prefix;  // read by the merge and the view at each seek
  std::vector<std::unique_ptr<DatomIterator>> kids;
  add(&kids);
  auto it = NewViewIterator(order, NewPrefixMergingIterator(order, std::move(kids), &prefix), spec, &prefix);
  size_t nonempty = 0, empty = 0;
  for (int read = 0; read < 300; ++read) {
    // A prefix of a datom the view shows (a sorted walk now and then: the
    // reseeks go forward), or with the entity one past it.
    const size_t from = read % 3 == 0 ? std::min(want.size() - 1, static_cast<size_t>(read) * want.size() / 300)
                                      : rng() % want.size();
    const Datom& d = want[from];
    const int n = 1 + static_cast<int>(rng() % 3);
    prefix.clear();
    for (int i = 0; i < n; ++i) {
      switch (kSlots[static_cast<int>(order)][i]) {
        case 0: prefix.push_back(Value::Ref(d.e + (rng() % 4 == 0 ? 1 : 0))); break;
        case 1: prefix.push_back(Value::Ref(d.a)); break;
        default: prefix.push_back(d.v); break;
      }
    }
    std::vector<Datom> expect;
    for (const Datom& x : want)
      if (MatchesPrefix(order, x, prefix)) expect.push_back(x);
    it->Seek(PrefixTarget(order, prefix));
    std::vector<Datom> got;
    for (; it->Valid(); it->Next()) {
      const DatomRef r = it->ref();
      Datom x = it->datom();
      ASSERT_EQ(r.e, x.e);
      ASSERT_EQ(r.a, x.a);
      ASSERT_EQ(r.tx, x.tx);
      ASSERT_EQ(r.added, x.added);
      ASSERT_TRUE(r.ValueIs(x.v)) << Show(x);
      ASSERT_EQ(r.value(), x.v) << Show(x);
      got.push_back(std::move(x));
      ASSERT_LE(got.size(), expect.size()) << "read " << read << " went on to " << Show(got.back());
    }
    ASSERT_TRUE(it->status().ok());
    ASSERT_EQ(got, expect) << "read " << read;
    (expect.empty() ? empty : nonempty)++;
  }
  ASSERT_GT(nonempty, 100u);  // most reads found datoms
  ASSERT_GT(empty, 0u);       // and some found none
}

// A read bounded by a prefix (a cursor of Database::Datoms): the view ends at
// the prefix's end, and a current view's runs fold their groups themselves
// (StepCurrent) once one source is left. Every prefix of one, two and three
// components, moved by seeks as a reused cursor is, must yield exactly the
// fold's datoms with that prefix, over many runs and over one run read
// without a merge; DatomRef must describe each datom.
TEST(RunIterator, PrefixBoundedReadsYieldTheFoldsDatomsOfThePrefix) {
  const uint64_t seed = getenv("STRATA_SEED") ? std::stoull(getenv("STRATA_SEED")) : std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<Datom> all;
  auto mem = RandomIndex(rng, &all);
  // One run of what the current view shows (every group one assertion).
  const std::vector<Datom> live = Fold(all, Index::kEavt, ViewSpec{});
  auto run = Run::Build(live, [](EntityId a) { return a == kRefAttr; });
  std::vector<ViewSpec> specs(3);
  specs[1].as_of = 60;
  specs[2].history = true;
  for (int o = 0; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    for (const ViewSpec& spec : specs) {
      const bool history = spec.history || spec.as_of.has_value();
      CheckPrefixReads(all, order, spec, [&](auto* kids) { mem->AddSources(order, history, kids); }, rng);
    }
    SCOPED_TRACE("one run");
    CheckPrefixReads(live, order, ViewSpec{}, [&](auto* kids) { kids->push_back(run->NewIterator(order)); }, rng);
  }
}

}  // namespace
}  // namespace strata
