// The log-structured memory index against a plain fold of every datom.
#include "memindex/memindex.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

namespace strata {
namespace {

// Replays random alternating assert/retract streams over few (e a v)
// keys and checks every view against a straightforward fold.
TEST(MemIndex, ViewsMatchAFoldOfTheLog) {
  std::mt19937_64 rng(42);
  auto is_ref = [](EntityId a) { return a == 3; };
  auto no_hist = [](EntityId a) { return false; };
  auto mem = std::make_shared<const MemIndex>();
  std::vector<Datom> all;
  std::map<std::tuple<EntityId, EntityId, int64_t>, bool> live;
  for (T t = 1; t <= 400; ++t) {
    std::vector<Datom> tx;
    std::set<std::tuple<EntityId, EntityId, int64_t>> touched;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      EntityId e = 1 + rng() % 5, a = 1 + rng() % 3;
      int64_t v = static_cast<int64_t>(rng() % 4);
      auto k = std::make_tuple(e, a, v);
      if (!touched.insert(k).second) continue;
      bool now = live[k];
      Value val = a == 3 ? Value::Ref(static_cast<EntityId>(v + 1)) : Value::Long(v);
      tx.push_back(Datom{e, a, val, TxId(t), !now});
      live[k] = !now;
    }
    all.insert(all.end(), tx.begin(), tx.end());
    mem = mem->Add(tx, is_ref, no_hist);
  }
  // Runs stay few: the tiered policy bounds them by ~3·log4(n) per kind.
  EXPECT_LE(mem->SourceCount(true), 2 * 12u);
  // Collect (a job's novelty) is the merged read of the current runs.
  for (int o = 0; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    std::vector<std::unique_ptr<DatomIterator>> kids;
    mem->AddSources(order, false, &kids);
    auto it = NewMergingIterator(order, std::move(kids));
    std::vector<Datom> merged;
    for (it->SeekToFirst(); it->Valid(); it->Next()) merged.push_back(it->datom());
    EXPECT_EQ(mem->Collect(order, false), merged) << "order " << o;
  }

  auto read = [&](Index order, ViewSpec spec) {
    std::vector<std::unique_ptr<DatomIterator>> kids;
    mem->AddSources(order, spec.history || spec.as_of.has_value(), &kids);
    auto it = NewViewIterator(order, NewMergingIterator(order, std::move(kids)), spec);
    std::vector<Datom> out;
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.push_back(it->datom());
    return out;
  };
  auto fold = [&](Index order, ViewSpec spec) {
    std::map<std::tuple<EntityId, EntityId, int64_t>, Datom> last;
    std::vector<Datom> out;
    for (const Datom& d : all) {
      if (spec.as_of && d.t() > *spec.as_of) continue;
      if (spec.history) {
        if (!spec.since || d.t() > *spec.since) out.push_back(d);
        continue;
      }
      last[{d.e, d.a, d.v.type() == ValueType::kRef ? static_cast<int64_t>(d.v.ref()) : d.v.as_long()}] = d;
    }
    if (!spec.history)
      for (auto& [k, d] : last)
        if (d.added && (!spec.since || d.t() > *spec.since)) out.push_back(d);
    if (order == Index::kVaet) std::erase_if(out, [](const Datom& d) { return d.a != 3; });
    std::sort(out.begin(), out.end(), DatomLess{order});
    return out;
  };
  for (int o = 0; o < kIndexCount; ++o) {
    Index order = static_cast<Index>(o);
    for (T at : {T{1}, T{50}, T{199}, T{200}, T{400}}) {
      ViewSpec as_of;
      as_of.as_of = at;
      EXPECT_EQ(read(order, as_of), fold(order, as_of)) << IndexName(order) << " as_of " << at;
      ViewSpec since;
      since.since = at;
      EXPECT_EQ(read(order, since), fold(order, since)) << IndexName(order) << " since " << at;
    }
    EXPECT_EQ(read(order, ViewSpec{}), fold(order, ViewSpec{})) << IndexName(order);
    ViewSpec h;
    h.history = true;
    EXPECT_EQ(read(order, h), fold(order, h)) << IndexName(order) << " history";
  }
}

TEST(MemIndex, CurrentReadsDoNotMergeHistoryRuns) {
  auto is_ref = [](EntityId) { return false; };
  auto no_hist = [](EntityId) { return false; };
  auto mem = std::make_shared<const MemIndex>();
  // One value rewritten many times: history grows, the present does not.
  for (T t = 1; t <= 256; ++t) {
    std::vector<Datom> tx{Datom{1, 1, Value::Long(static_cast<int64_t>(t)), TxId(t), true}};
    if (t > 1) tx.push_back(Datom{1, 1, Value::Long(static_cast<int64_t>(t - 1)), TxId(t), false});
    mem = mem->Add(tx, is_ref, no_hist);
  }
  std::vector<std::unique_ptr<DatomIterator>> cur;
  mem->AddSources(Index::kEavt, false, &cur);
  size_t current_datoms = 0;
  for (auto& it : cur)
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++current_datoms;
  // Cancelled pairs moved out of the current runs as they merged.
  EXPECT_LT(current_datoms, 20u);
  EXPECT_GT(mem->stats().history_runs, 0u);
  // Count says what Collect would return, in every order and both halves.
  for (int o = 0; o < kIndexCount; ++o)
    for (bool history : {false, true})
      EXPECT_EQ(mem->Count(static_cast<Index>(o), history), mem->Collect(static_cast<Index>(o), history).size())
          << "order " << o << " history " << history;
  EXPECT_EQ(mem->Count(Index::kEavt, false), current_datoms);
}

TEST(MemIndex, BytesAreTrackedExactly) {
  auto is_ref = [](EntityId) { return false; };
  auto no_hist = [](EntityId) { return false; };
  auto mem = std::make_shared<const MemIndex>();
  for (T t = 1; t <= 64; ++t)
    mem = mem->Add({Datom{t, 1, Value::String(std::string(40, 'x')), TxId(t), true}}, is_ref, no_hist);
  EXPECT_EQ(mem->stats().datoms, 64u);
  // A record, three permutation slots, and the shared copy of the text.
  const uint64_t per_datom = sizeof(Record) + 3 * sizeof(uint32_t) + Record::kLongTextHeader + 40;
  const uint64_t runs = mem->stats().current_runs + mem->stats().history_runs;
  EXPECT_EQ(mem->stats().bytes, 64 * per_datom + runs * sizeof(strata::Run));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// The tiered policy merges the newest four runs of about one size at once:
// 4096 one-datom transactions give runs of 1, 4, 16, ... 4096 datoms, so each
// datom is copied log4(4096) = 6 times (pairwise merging, a binary counter,
// copies it log2(4096) = 12 times), and at most three runs wait per size.
TEST(MemIndex, TieredMergesCopyEachDatomAboutLog4Times) {
  auto is_ref = [](EntityId) { return false; };
  auto no_hist = [](EntityId) { return false; };
  auto mem = std::make_shared<const MemIndex>();
  constexpr T kTxs = 4096;
  for (T t = 1; t <= kTxs; ++t) mem = mem->Add({Datom{t, 1, Value::Long(7), TxId(t), true}}, is_ref, no_hist);
  EXPECT_EQ(mem->stats().datoms, kTxs);
  EXPECT_EQ(mem->stats().datoms_merged, 6 * kTxs);
  EXPECT_EQ(mem->stats().current_runs, 1u);
  // 4095 = 3 * (1024 + 256 + 64 + 16 + 4 + 1) more: three runs wait in
  // each of the six tiers below the big run, none merged yet.
  for (T t = kTxs + 1; t <= kTxs + 4095; ++t)
    mem = mem->Add({Datom{t, 1, Value::Long(7), TxId(t), true}}, is_ref, no_hist);
  EXPECT_EQ(mem->stats().current_runs, 1u + 3 * 6);
  EXPECT_EQ(mem->Collect(Index::kEavt, false).size(), mem->stats().datoms);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Unique-value lookups read each large run through its hash of (a v)
// groups: they must find exactly the datoms a scan of AVET finds, for
// values present (asserted, retracted, re-asserted) and absent, and for
// value types looked up by binary search instead (tuples, floats).
TEST(MemIndex, AvLookupsMatchAScanOfAvet) {
  std::mt19937_64 rng(7);
  auto is_ref = [](EntityId a) { return a == 3; };
  auto no_hist = [](EntityId) { return false; };
  // Hashed: all but the refs (3) and the floats (6, never hashable).
  auto is_unique = [](EntityId a) { return a != 3; };
  auto value = [](EntityId a, int64_t k) {
    switch (a) {
      case 1: return Value::Long(k);
      case 2: return Value::String("name-" + std::to_string(k) + std::string(k % 3 == 0 ? 20 : 0, 'x'));
      case 3: return Value::Ref(static_cast<EntityId>(k + 1));
      case 4: return Value::FromUuid(Uuid{static_cast<uint64_t>(k) * 7919, static_cast<uint64_t>(k)});
      case 5: return Value::Double(static_cast<double>(k) / 3.0);
      case 6: return Value::Float(static_cast<float>(k));
      default: return Value::Tuple({Value::Long(k), Value::String("t")});
    }
  };
  auto mem = std::make_shared<const MemIndex>();
  std::map<std::tuple<EntityId, EntityId, int64_t>, bool> live;
  for (T t = 1; t <= 300; ++t) {
    std::vector<Datom> tx;
    std::set<std::tuple<EntityId, EntityId, int64_t>> touched;
    for (int i = 0; i < 40; ++i) {
      const EntityId e = 1 + rng() % 400, a = 1 + rng() % 7;
      const int64_t k = static_cast<int64_t>(rng() % 300);
      if (!touched.insert({e, a, k}).second) continue;
      const bool now = live[{e, a, k}];
      tx.push_back(Datom{e, a, value(a, k), TxId(t), !now});
      live[{e, a, k}] = !now;
    }
    mem = mem->Add(tx, is_ref, no_hist, is_unique);
  }
  ASSERT_GE(mem->stats().datoms, kAvIndexMinDatoms);  // some run has a hash
  const std::vector<Datom> avet = mem->Collect(Index::kAvet, false);
  int found = 0;
  for (EntityId a = 1; a <= 7; ++a) {
    for (int64_t k = 0; k < 320; ++k) {  // 300..319 are in no datom
      const Value v = value(a, k);
      std::vector<Datom> want;
      for (const Datom& d : avet)
        if (d.a == a && d.v == v) want.push_back(d);
      std::vector<Datom> got;
      mem->AppendCurrentWithAv(a, v, &got);
      std::sort(got.begin(), got.end(), DatomLessIn<Index::kAvet>{});
      ASSERT_EQ(got, want) << "a " << a << " k " << k;
      found += !got.empty();
    }
  }
  EXPECT_GT(found, 7 * 250);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

auto NotRef = [](EntityId) { return false; };
auto NoHist = [](EntityId) { return false; };

// A value of every type, with texts on both sides of the 15 bytes a record
// holds inline, and the orders Value::Compare defines (-0.0 before 0.0,
// NaN after infinity, 1.0M before 1.00M, namespaced keywords after plain).
std::vector<Value> EveryKindOfValue() {
  std::vector<Value> vs = {
      Value::Ref(1), Value::Ref(~0ull >> 1), Value::Boolean(false), Value::Boolean(true),
      Value::Long(0), Value::Long(-1), Value::Long(std::numeric_limits<int64_t>::min()),
      Value::Long(std::numeric_limits<int64_t>::max()), Value::Instant(-86400000), Value::Instant(1700000000000),
      Value::Double(0.0), Value::Double(-0.0), Value::Double(-1e308),
      Value::Double(std::numeric_limits<double>::infinity()), Value::Double(-std::numeric_limits<double>::infinity()),
      Value::Double(std::numeric_limits<double>::quiet_NaN()), Value::Double(-std::numeric_limits<double>::quiet_NaN()),
      Value::Float(0.0f), Value::Float(-0.0f), Value::Float(std::numeric_limits<float>::quiet_NaN()),
      Value::Float(-2.5f), Value::FromUuid(Uuid{0, 0}), Value::FromUuid(Uuid{~0ull, 1}),
      Value::FromUuid(Uuid{1, ~0ull}), Value::Uri("https://example.com/a/very/long/path/name"), Value::Uri("u:x"),
      Value::Symbol("sym"), Value::Symbol("ns/sym"), Value::Symbol("a-rather-long-namespace/and-name"),
      Value::Keyword("ab"), Value::Keyword("a/b"), Value::Keyword("a-/b"), Value::Keyword("db/ident"),
      Value::Keyword("some.long.namespace/and-a-long-name"), Value::Bytes(std::string("\0\xff\x01", 3)),
      Value::Bytes(std::string(16, '\xff')), Value::Bytes(std::string(15, '\0')), Value::Bytes(""),
      Value::Tuple({Value::Long(1), Value::String("t")}), Value::Tuple({Value::Long(1), Value(), Value::Long(2)}),
      Value::Tuple({Value::String(std::string(40, 'q')), Value::Keyword("k/w")}),
  };
  for (const char* t : {"-123", "0", "98765432109876543210987654321", "7"}) {
    Value v;
    EXPECT_TRUE(Value::ParseBigInt(t, &v)) << t;
    vs.push_back(v);
  }
  for (const char* t : {"1.0", "1.00", "-0.5", "123456789012345678901234567890.5", "1"}) {
    Value v;
    EXPECT_TRUE(Value::ParseBigDec(t, &v)) << t;
    vs.push_back(v);
  }
  for (size_t n : {0, 1, 14, 15, 16, 17, 31, 200}) {
    vs.push_back(Value::String(std::string(n, 'a')));
    vs.push_back(Value::String(std::string(n, 'a') + "b"));
    if (n > 0) vs.push_back(Value::String(std::string(n, '\xe9')));  // bytes above 0x7f sort high
  }
  return vs;
}

// Values of every type go through runs (built, then merged four at a time)
// and come back equal, in Value::Compare's order in every index: reads,
// seeks and unique-value lookups all see the same datoms as a sort of the
// originals.
TEST(MemIndex, EveryValueTypeRoundTripsThroughMergedRuns) {
  const std::vector<Value> vs = EveryKindOfValue();
  auto is_ref = [](EntityId a) { return a == 7; };
  auto all_unique = [](EntityId) { return true; };
  std::vector<Datom> all;
  auto mem = std::make_shared<const MemIndex>();
  T t = 1;
  for (int round = 0; round < 64; ++round) {  // runs of more than kAvIndexMinDatoms: hashed lookups too
    for (size_t i = 0; i < vs.size(); ++t) {
      std::vector<Datom> tx;
      for (size_t k = 0; k < 3 && i < vs.size(); ++k, ++i) {
        const EntityId a = vs[i].type() == ValueType::kRef ? 7 : 5 + round % 2;
        tx.push_back(Datom{1000 + static_cast<EntityId>(round * 7 + i % 5), a, vs[i], TxId(t), true});
      }
      all.insert(all.end(), tx.begin(), tx.end());
      mem = mem->Add(tx, is_ref, NoHist, all_unique);
    }
  }
  ASSERT_GT(mem->stats().merges, 10u);
  ASSERT_EQ(mem->stats().datoms, all.size());
  for (int o = 0; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    std::vector<Datom> want = all;
    if (order == Index::kVaet) std::erase_if(want, [](const Datom& d) { return d.a != 7; });
    std::sort(want.begin(), want.end(), DatomLess{order});
    const std::vector<Datom> got = mem->Collect(order, false);
    ASSERT_EQ(got.size(), want.size()) << IndexName(order);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << IndexName(order) << " at " << i;
      // bitwise equal doubles too (operator== compares the fields)
      ASSERT_EQ(got[i].v.str(), want[i].v.str());
    }
    std::vector<std::unique_ptr<DatomIterator>> kids;
    mem->AddSources(order, false, &kids);
    auto it = NewMergingIterator(order, std::move(kids));
    for (size_t i = 0; i < want.size(); i += 7) {  // a seek lands on the datom itself
      it->Seek(want[i]);
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(it->datom(), want[i]) << IndexName(order) << " seek " << i;
    }
  }
  for (const Value& v : vs) {
    const EntityId a = v.type() == ValueType::kRef ? 7 : 5;
    std::vector<Datom> got, want;
    mem->AppendCurrentWithAv(a, v, &got);
    for (const Datom& d : all)
      if (d.a == a && d.v == v) want.push_back(d);
    std::sort(got.begin(), got.end(), DatomLess{Index::kAvet});
    std::sort(want.begin(), want.end(), DatomLess{Index::kAvet});
    EXPECT_EQ(got, want) << ValueTypeName(v.type()) << " " << v.str();
  }
}

// A run's orders are built by bucketing its EAVT records by attribute and
// sorting each attribute's values only (memindex.cc BuildPerms): one
// transaction with many attributes (more than the bucket table's first
// size), each attribute's values in and out of order, ref and non-ref
// attributes with ref values, repeated values, retractions and several
// transactions (a run rebuilt by Without), against a full sort per order.
TEST(MemIndex, OneRunIsSortedInEveryOrder) {
  const std::vector<Value> kinds = EveryKindOfValue();
  std::mt19937_64 rng(7);
  auto is_ref = [](EntityId a) { return a % 3 == 0; };  // a % 3 == 1 holds refs too, but is no ref attribute
  for (int shape = 0; shape < 3; ++shape) {
    std::vector<Datom> tx;
    for (EntityId e = 1000; e < 1400; ++e) {
      for (EntityId a = 10; a < 10 + 3 * 40; a += 1 + rng() % 5) {
        Value v;
        if (a % 3 == 0 || a % 3 == 1) v = Value::Ref(1 + (shape == 0 ? e : rng() % 50));
        else if (a % 7 == 2) v = kinds[rng() % kinds.size()];
        else v = Value::Long(shape == 0 ? static_cast<int64_t>(e) : static_cast<int64_t>(rng() % 30) - 15);
        const T t = shape == 2 ? 1 + rng() % 4 : 1;
        tx.push_back(Datom{e, a, v, TxId(t), shape != 2 || rng() % 3 != 0});
      }
    }
    std::sort(tx.begin(), tx.end(), DatomLess{Index::kEavt});
    tx.erase(std::unique(tx.begin(), tx.end()), tx.end());
    if (shape == 1) std::shuffle(tx.begin(), tx.end(), rng);  // Build sorts what comes out of order
    auto run = Run::Build(tx, is_ref);
    ASSERT_EQ(run->size(), tx.size());
    for (int o = 0; o < kIndexCount; ++o) {
      const Index order = static_cast<Index>(o);
      std::vector<Datom> want = tx;
      if (order == Index::kVaet)
        std::erase_if(want, [&](const Datom& d) { return d.v.type() != ValueType::kRef || !is_ref(d.a); });
      std::sort(want.begin(), want.end(), DatomLess{order});
      std::vector<Datom> got;
      auto it = run->NewIterator(order);
      for (it->SeekToFirst(); it->Valid(); it->Next()) got.push_back(it->datom());
      ASSERT_EQ(got.size(), want.size()) << "shape " << shape << " " << IndexName(order);
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_EQ(got[i], want[i]) << "shape " << shape << " " << IndexName(order) << " at " << i;
    }
  }
}

// Run merges take long stretches of one run at once (memindex.cc
// KWayMerge gallops after a few consecutive datoms of one run): mostly new,
// consecutive entities (stretches) mixed with datoms of random older ones
// (interleavings), in every order; each run read on its own must be sorted
// and all of them together must hold exactly the datoms added.
TEST(MemIndex, MergesOfStretchesAndInterleavingsStaySorted) {
  std::mt19937_64 rng(11);
  auto is_ref = [](EntityId a) { return a == 3; };
  auto mem = std::make_shared<const MemIndex>();
  std::vector<Datom> all;
  std::set<std::tuple<EntityId, EntityId, int64_t>> seen;
  EntityId next_e = 100;
  for (T t = 1; t <= 700; ++t) {
    std::vector<Datom> tx;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      const EntityId e = rng() % 10 < 7 ? next_e++ : 100 + rng() % next_e;
      const EntityId a = 1 + rng() % 4;
      const int64_t x = a == 1 ? static_cast<int64_t>(e) : static_cast<int64_t>(rng() % 1000);
      if (!seen.insert({e, a, x}).second) continue;
      const Value v = a == 3 ? Value::Ref(static_cast<EntityId>(x) + 100)
                      : a == 4 ? Value::String(std::to_string(x * 7919))
                               : Value::Long(x);
      tx.push_back(Datom{e, a, v, TxId(t), true});
    }
    all.insert(all.end(), tx.begin(), tx.end());
    std::sort(tx.begin(), tx.end(), DatomLess{Index::kEavt});
    mem = mem->Add(tx, is_ref, NoHist);
  }
  ASSERT_GT(mem->stats().merges, 100u);
  for (int o = 0; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    std::vector<Datom> want = all;
    if (order == Index::kVaet) std::erase_if(want, [](const Datom& d) { return d.a != 3; });
    std::sort(want.begin(), want.end(), DatomLess{order});
    std::vector<std::unique_ptr<DatomIterator>> runs;
    mem->AddSources(order, true, &runs);
    size_t total = 0;
    for (auto& it : runs) {
      std::optional<Datom> prev;
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++total) {
        if (prev) {
          ASSERT_TRUE(DatomLess{order}(*prev, it->datom())) << IndexName(order) << " at " << total;
        }
        prev = it->datom();
      }
    }
    EXPECT_EQ(total, want.size()) << IndexName(order);
    EXPECT_EQ(mem->Collect(order, false), want) << IndexName(order);
  }
}

// Inline texts (up to 15 bytes) compare as numbers of their zero-padded
// bytes (memindex.cc CompareInline): texts with zero bytes, bytes over
// 0x7f, prefixes of each other and long texts must still come in byte
// order (Value::Compare), in runs built and merged, and seeks find them.
TEST(MemIndex, TextsComeInByteOrder) {
  std::mt19937_64 rng(5);
  const std::string alphabet("\0\x01a\x7f\x80\xff", 6);
  std::vector<Datom> all;
  std::set<std::pair<EntityId, std::string>> seen;
  auto mem = std::make_shared<const MemIndex>();
  for (T t = 1; t <= 64; ++t) {
    std::vector<Datom> tx;
    for (int i = 0; i < 40; ++i) {
      std::string text;
      const size_t len = rng() % 20;  // inline up to 15, long beyond
      for (size_t k = 0; k < len; ++k) text.push_back(alphabet[rng() % alphabet.size()]);
      const EntityId a = 1 + rng() % 2;
      const EntityId e = 100 + rng() % 50;
      if (!seen.insert({e, std::to_string(a) + text}).second) continue;
      tx.push_back(Datom{e, a, a == 1 ? Value::String(text) : Value::Bytes(text), TxId(t), true});
    }
    all.insert(all.end(), tx.begin(), tx.end());
    mem = mem->Add(tx, NotRef, NoHist);
  }
  ASSERT_GT(mem->stats().merges, 5u);
  for (Index order : {Index::kEavt, Index::kAvet}) {
    std::vector<Datom> want = all;
    std::sort(want.begin(), want.end(), DatomLess{order});
    EXPECT_EQ(mem->Collect(order, false), want) << IndexName(order);
    std::vector<std::unique_ptr<DatomIterator>> kids;
    mem->AddSources(order, false, &kids);
    auto it = NewMergingIterator(order, std::move(kids));
    for (size_t i = 0; i < want.size(); i += 3) {
      it->Seek(want[i]);
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->datom(), want[i]) << IndexName(order) << " seek " << i;
    }
  }
}

// A datom whose values fit a record inline costs 60 bytes: a 48-byte
// record and three 4-byte permutation slots; nothing else but each run's
// header. Counted as memory held, exactly.
TEST(MemIndex, ShortValuesCostSixtyBytesADatom) {
  auto mem = std::make_shared<const MemIndex>();
  uint64_t n = 0;
  for (T t = 1; t <= 100; ++t) {
    std::vector<Datom> tx;
    for (EntityId e = t * 10; e < t * 10 + 5; ++e) {
      tx.push_back(Datom{e, 1, Value::String("person-" + std::to_string(e) + "xxxx"), TxId(t), true});  // <= 15 bytes
      tx.push_back(Datom{e, 2, Value::Keyword("k/" + std::to_string(e)), TxId(t), true});
      tx.push_back(Datom{e, 3, Value::FromUuid(Uuid{e, e}), TxId(t), true});
      tx.push_back(Datom{e, 4, Value::Long(static_cast<int64_t>(e)), TxId(t), true});
    }
    n += tx.size();
    mem = mem->Add(tx, NotRef, NoHist);
  }
  EXPECT_EQ(sizeof(Record) + 3 * sizeof(uint32_t), 60u);
  const uint64_t runs = mem->stats().current_runs + mem->stats().history_runs;
  EXPECT_EQ(mem->stats().datoms, n);
  EXPECT_EQ(mem->stats().bytes, n * 60 + runs * sizeof(strata::Run));
}

// A long text is copied once, when its datom enters the memory index: the
// runs merged from that run share it, so holding an old index (its runs
// unmerged) and a new one (the same datoms, merged) holds one copy, and it
// is freed with the last run that refers to it.
TEST(MemIndex, LongTextsAreSharedAcrossMergesNotCopied) {
  const uint64_t before = LongTextBytesAlive();
  const std::string text(100, 'z');
  std::shared_ptr<const MemIndex> old_mem;
  {
    auto mem = std::make_shared<const MemIndex>();
    for (T t = 1; t <= 3; ++t)
      mem = mem->Add({Datom{t, 1, Value::String(text + std::to_string(t)), TxId(t), true}}, NotRef, NoHist);
    old_mem = mem;  // three one-datom runs
    EXPECT_EQ(LongTextBytesAlive() - before, 3 * (Record::kLongTextHeader + 101));
    for (T t = 4; t <= 64; ++t)
      mem = mem->Add({Datom{t, 1, Value::String(text + std::to_string(t)), TxId(t), true}}, NotRef, NoHist);
    ASSERT_GT(mem->stats().datoms_merged, 64u);  // every datom merged at least once
    uint64_t held = 0;
    for (T t = 1; t <= 64; ++t) held += Record::kLongTextHeader + text.size() + std::to_string(t).size();
    // One copy of each text, however many runs the merges built.
    EXPECT_EQ(LongTextBytesAlive() - before, held);
    EXPECT_EQ(mem->stats().bytes, 64 * (sizeof(Record) + 3 * sizeof(uint32_t)) + held +
                                      (mem->stats().current_runs + mem->stats().history_runs) * sizeof(strata::Run));
  }
  // The newest index is gone; the old one still reads its texts.
  EXPECT_EQ(LongTextBytesAlive() - before, 3 * (Record::kLongTextHeader + 101));
  auto got = old_mem->Collect(Index::kEavt, false);
  ASSERT_EQ(got.size(), 3u);
  for (T t = 1; t <= 3; ++t) EXPECT_EQ(got[t - 1].v.str(), text + std::to_string(t));
  old_mem.reset();
  EXPECT_EQ(LongTextBytesAlive(), before);
}

// Excision rebuilds the runs it touches from their datoms: long texts of
// the datoms kept stay readable, those of the dropped ones are freed.
TEST(MemIndex, WithoutKeepsLongTextsOfTheDatomsKept) {
  const uint64_t before = LongTextBytesAlive();
  auto mem = std::make_shared<const MemIndex>();
  for (T t = 1; t <= 20; ++t)
    mem = mem->Add({Datom{t, 1, Value::String(std::string(30, 'a') + std::to_string(t)), TxId(t), true},
                    Datom{t, 2, Value::Long(static_cast<int64_t>(t)), TxId(t), true}},
                   NotRef, NoHist);
  auto cut = mem->Without([](const Datom& d) { return d.e % 2 == 0; }, NotRef);
  mem.reset();
  const auto got = cut->Collect(Index::kAevt, false);
  ASSERT_EQ(got.size(), 20u);
  uint64_t held = 0;
  for (const Datom& d : got) {
    EXPECT_EQ(d.e % 2, 1u);
    if (d.a == 1) {
      EXPECT_EQ(d.v.str(), std::string(30, 'a') + std::to_string(d.e));
      held += Record::kLongTextHeader + d.v.str().size();
    }
  }
  EXPECT_EQ(LongTextBytesAlive() - before, held);
}

// Collect (a job's novelty) emits the top run's datoms in batches up to
// the runner-up's head: it must equal the merged read of the same runs for
// runs over disjoint entity ranges (long batches), interleaved runs (short
// ones), equal values across runs, retractions (pairs moved to the history
// runs), :db/noHistory drops, excision, in every order and both halves.
TEST(MemIndex, CollectEqualsTheMergedReadOfItsRuns) {
  auto is_ref = [](EntityId a) { return a == 3; };
  auto no_hist = [](EntityId a) { return a == 4; };
  for (int shape = 0; shape < 3; ++shape) {
    std::mt19937_64 rng(7 + shape);
    auto mem = std::make_shared<const MemIndex>();
    // (e a v) keys: v as its type, number and text.
    using Key = std::tuple<EntityId, EntityId, int, int64_t, std::string>;
    std::map<Key, bool> live;
    EntityId next_e = 1000;
    for (T t = 1; t <= 700; ++t) {
      std::vector<Datom> tx;
      std::set<Key> touched;
      const int n = 1 + static_cast<int>(rng() % 12);
      for (int i = 0; i < n; ++i) {
        // shape 0: mostly new entities per transaction (a few recent ones
        // retract); 1: a few hot entities; 2: both.
        EntityId e = 1 + rng() % 40;
        if (shape == 0) e = rng() % 10 == 0 && next_e > 1000 ? next_e - 1 - rng() % std::min<EntityId>(next_e - 1000, 30) : next_e++;
        if (shape == 2 && rng() % 2) e = next_e++;
        const EntityId a = 1 + rng() % 4;
        Value v;
        const uint64_t x = rng() % 6;
        if (a == 1) v = Value::String(x < 3 ? "s" + std::to_string(x) : std::string(20, 'L') + std::to_string(x));
        else if (a == 3) v = Value::Ref(1 + x);
        else v = Value::Long(static_cast<int64_t>(x));
        const Key key{e, a, static_cast<int>(v.type()), a == 3 ? static_cast<int64_t>(v.ref()) : a == 1 ? 0 : v.as_long(),
                      a == 1 ? v.str() : std::string()};
        if (!touched.insert(key).second) continue;
        const bool now = live[key];
        tx.push_back(Datom{e, a, v, TxId(t), !now});
        live[key] = !now;
      }
      mem = mem->Add(std::move(tx), is_ref, no_hist);
    }
    if (shape == 2) mem = mem->Without([](const Datom& d) { return d.e % 7 == 0; }, is_ref);
    ASSERT_GT(mem->SourceCount(false), 2u) << "shape " << shape;
    ASSERT_GT(mem->SourceCount(true), mem->SourceCount(false)) << "shape " << shape;
    for (int o = 0; o < kIndexCount; ++o) {
      const Index order = static_cast<Index>(o);
      for (bool history : {false, true}) {
        std::vector<std::unique_ptr<DatomIterator>> kids;
        mem->AddSources(order, history, &kids);
        if (history) kids.erase(kids.begin(), kids.begin() + static_cast<ptrdiff_t>(mem->SourceCount(false)));
        auto it = NewMergingIterator(order, std::move(kids));
        std::vector<Datom> merged;
        for (it->SeekToFirst(); it->Valid(); it->Next()) merged.push_back(it->datom());
        ASSERT_FALSE(merged.empty());
        EXPECT_TRUE(std::is_sorted(merged.begin(), merged.end(), DatomLess{order}));
        EXPECT_EQ(mem->Collect(order, history), merged)
            << "shape " << shape << " " << IndexName(order) << " history " << history;
      }
    }
  }
}

// A run builds its AEVT permutation the first time it is read (Run::Perm),
// not in every merge: threads that read the same fresh runs in AEVT at
// once must each see every run whole and in order (a build that raced, or
// a read of a permutation not built yet, shows as a short or unsorted
// answer; under TSan as a race).
TEST(MemIndex, RunsReadInAevtFirstByManyThreadsAgree) {
  auto is_ref = [](EntityId a) { return a == 3; };
  std::mt19937_64 rng(5);
  auto mem = std::make_shared<const MemIndex>();
  std::vector<Datom> all;
  EntityId next_e = 100;
  for (T t = 1; t <= 300; ++t) {
    std::vector<Datom> tx;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i, ++next_e)
      for (EntityId a = 1 + rng() % 2; a <= 4; a += 1 + rng() % 2)
        tx.push_back(Datom{next_e, a, a == 3 ? Value::Ref(1 + rng() % 50) : Value::Long(static_cast<int64_t>(rng() % 99)),
                           TxId(t), true});
    all.insert(all.end(), tx.begin(), tx.end());
    mem = mem->Add(tx, is_ref, NoHist);
  }
  ASSERT_GT(mem->stats().merges, 50u);
  std::vector<Datom> want = all;
  std::sort(want.begin(), want.end(), DatomLess{Index::kAevt});
  constexpr int kThreads = 4;
  std::vector<std::vector<Datom>> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      std::vector<std::unique_ptr<DatomIterator>> kids;
      mem->AddSources(Index::kAevt, false, &kids);
      auto it = NewMergingIterator(Index::kAevt, std::move(kids));
      for (it->SeekToFirst(); it->Valid(); it->Next()) got[i].push_back(it->datom());
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(got[i], want) << "thread " << i;
  EXPECT_EQ(mem->Collect(Index::kAevt, false), want);
}

// A run's AVET and VAET sort each attribute's values by an 8-byte key and
// read the records only where keys tie (memindex.cc SortByValue): for
// every type with such a key (signed numbers, doubles and floats with
// signs, zeros, infinities and NaN, uuids, texts that share their first
// eight bytes, long and short, with zero bytes and bytes over 0x7f) the
// run must come out in Value::Compare order, equal values keeping e.
TEST(MemIndex, KeyedValueSortsMatchValueCompare) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const float finf = std::numeric_limits<float>::infinity();
  const std::vector<std::vector<Value>> per_attr = {
      {Value::Long(5), Value::Long(-3), Value::Long(std::numeric_limits<int64_t>::min()), Value::Long(0),
       Value::Long(std::numeric_limits<int64_t>::max()), Value::Long(-3), Value::Long(-1)},
      {Value::Double(1.5), Value::Double(-0.0), Value::Double(0.0), Value::Double(-inf), Value::Double(inf),
       Value::Double(nan), Value::Double(-nan), Value::Double(-2.25), Value::Double(1e-300), Value::Double(-1e300)},
      {Value::Float(1.5f), Value::Float(-0.0f), Value::Float(0.0f), Value::Float(-finf), Value::Float(finf),
       Value::Float(-7.0f), Value::Float(3e-38f)},
      {Value::String("abcdefgh-long-text-2"), Value::String("abcdefgh"), Value::String("abcdefgh-long-text-1"),
       Value::String(std::string("abc\0", 4)), Value::String("abc"), Value::String("\xc3\xa9t\xc3\xa9"),
       Value::String("zz"), Value::String(""), Value::String("abcdefgh-long-text-1"), Value::String("abcdefg")},
      {Value::FromUuid(Uuid{3, 1}), Value::FromUuid(Uuid{~uint64_t{0}, 0}), Value::FromUuid(Uuid{3, 0}),
       Value::FromUuid(Uuid{0, 9})},
      {Value::Ref(900), Value::Ref(7), Value::Ref(900), Value::Ref(12)},
  };
  std::vector<Datom> tx;
  EntityId e = 100;
  for (size_t a = 0; a < per_attr.size(); ++a)
    for (const Value& v : per_attr[a]) tx.push_back(Datom{e++, 10 + a, v, TxId(1), true});
  std::sort(tx.begin(), tx.end(), DatomLess{Index::kEavt});
  auto is_ref = [](EntityId a) { return a == 15; };
  auto run = Run::Build(tx, is_ref);
  for (const Index order : {Index::kAevt, Index::kAvet, Index::kVaet}) {
    std::vector<Datom> want = tx;
    if (order == Index::kVaet) std::erase_if(want, [](const Datom& d) { return d.a != 15; });
    std::sort(want.begin(), want.end(), DatomLess{order});
    auto it = run->NewIterator(order);
    std::vector<Datom> got;
    for (it->SeekToFirst(); it->Valid(); it->Next()) got.push_back(it->datom());
    ASSERT_EQ(got.size(), want.size()) << IndexName(order);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_TRUE(got[i].e == want[i].e && got[i].a == want[i].a) << IndexName(order) << " at " << i;
  }
}

}  // namespace
}  // namespace strata
