// Tests of the "mbrainz-synth" workload: determinism, the built-in schema,
// reads and history, and a scale-1 comparison with the real subset.

#include "workloads/mbrainz_synth.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string_view>

#include "workloads/mbrainz.h"
#include "workloads/mbrainz_test_util.h"

namespace strata::workloads {
namespace {

using mbztest::Drive;
using mbztest::OpenMemory;

std::unique_ptr<Workload> Synth(double scale, uint64_t seed = 1, double read_ratio = 0) {
  WorkloadOptions o;
  o.name = "mbrainz-synth";
  o.scale = scale;
  o.seed = seed;
  o.read_ratio = read_ratio;
  return NewMbrainzSynthWorkload(o);
}

// The built-in schema is the subset's schema.edn, docs aside.
TEST(MbrainzSynth, SchemaMatchesTheSubset) {
  auto dir = FindMbrainzDataDir("");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  auto text = ReadDataFile(*dir + "/subset-1968-1973/schema.edn");
  ASSERT_TRUE(text.ok());
  auto file = edn::ReadOne(*text);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const edn::Node built = MbrainzSchemaTx();
  ASSERT_EQ(built.items.size(), file->items.size());
  for (size_t i = 0; i < built.items.size(); ++i) {
    edn::Node want = file->items[i];
    for (size_t k = 0; k + 1 < want.items.size(); k += 2) {
      if (want.items[k].is_keyword("db/doc")) {
        want.items.erase(want.items.begin() + static_cast<std::ptrdiff_t>(k), want.items.begin() + static_cast<std::ptrdiff_t>(k) + 2);
        break;
      }
    }
    EXPECT_EQ(built.items[i], want) << edn::Print(built.items[i]) << "\n" << edn::Print(want);
  }
}

TEST(MbrainzSynth, SameSeedSameSteps) {
  auto print = [](uint64_t seed) {
    auto w = Synth(0.05, seed, 0.5);
    std::string out;
    Step s;
    for (int i = 0; i < 40 && w->Next(&s); ++i)
      out += s.kind == Step::Kind::kRead ? s.read_name + "\n" : edn::Print(s.tx) + "\n";
    return out;
  };
  EXPECT_EQ(print(3), print(3));
  EXPECT_NE(print(3), print(4));
}

// The generator's output is pinned: a digest (FNV-1a 64 over the printed EDN
// of the schema and of every step, and each read's name) computed from the generator as it was
// before its EDN building was made cheaper (main at cf457e6). Any change to
// the datoms, their order, the tempid or lookup-ref shapes or the seed's
// streams changes the digest; a deliberate change of the data must update it.
uint64_t StepsDigest(double scale, uint64_t seed, double read_ratio, size_t* steps) {
  auto w = Synth(scale, seed, read_ratio);
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view text) {
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
    h = (h ^ '\n') * 0x100000001b3ULL;
  };
  for (const edn::Node& tx : w->Schema()) mix(edn::Print(tx));
  Step s;
  *steps = 0;
  while (w->Next(&s)) {
    mix(s.kind == Step::Kind::kRead ? s.read_name : edn::Print(s.tx));
    ++*steps;
  }
  return h;
}

TEST(MbrainzSynth, GeneratedStepsAreUnchanged) {
  size_t steps = 0;
  EXPECT_EQ(StepsDigest(0.3, 1, 0, &steps), 0xeb8467dfdc7e4e86ULL);
  EXPECT_EQ(steps, 172u);
  EXPECT_EQ(StepsDigest(0.05, 9, 0.5, &steps), 0x2ad42e25957c1df0ULL);
  EXPECT_EQ(steps, 67u);
}

// Steps deep into a large scale cost what early ones do: nothing grows with
// what was generated (the generator keeps counters only).
TEST(MbrainzSynth, LargeScalesStream) {
  auto w = Synth(1000);
  EXPECT_GT(w->EstimatedSteps(), 500000u);
  Step s;
  size_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 300 && w->Next(&s); ++i) bytes += edn::Print(s.tx).size();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("scale 1000: first 300 transactions, %zu bytes of EDN in %.2f s\n", bytes, seconds);
  EXPECT_LT(seconds, 30.0);
}

TEST(MbrainzSynth, ReadsWorkAndHistoryGrows) {
  auto env = NewMemEnv();
  auto conn = OpenMemory(env.get(), "/synth");
  auto w = Synth(0.2, 7, 0.5);
  auto r = Drive(*w, *conn);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const char* name : {"artist-by-gid", "country-artists", "releases-of-artist", "release-tracks"})
    EXPECT_GT(r->reads[name], 0u) << name;
  uint64_t retracted = 0;
  ASSERT_TRUE(conn->TxRange(0, conn->db().basis_t() + 1, [&](T, const std::vector<Datom>& ds) {
                    for (const Datom& d : ds) retracted += !d.added;
                    return Status::OK();
                  }).ok());
  std::printf("scale 0.2: %llu transactions, %llu datoms, %llu retractions in %.2f s\n",
              static_cast<unsigned long long>(r->transactions), static_cast<unsigned long long>(r->datoms),
              static_cast<unsigned long long>(retracted), r->seconds);
  EXPECT_GT(retracted, 20u);
}

// Scale 1 against the real subset: every asserted figure within 10%.
TEST(MbrainzSynth, ScaleOneResemblesTheRealSubset) {
  auto env = NewMemEnv();
  WorkloadOptions o;
  o.name = "mbrainz";
  auto real = OpenMbrainzWorkload(o);
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  auto real_conn = OpenMemory(env.get(), "/real");
  auto rr = Drive(**real, *real_conn);
  ASSERT_TRUE(rr.ok()) << rr.status().ToString();
  auto synth_conn = OpenMemory(env.get(), "/synth");
  auto sr = Drive(*Synth(1), *synth_conn);
  ASSERT_TRUE(sr.ok()) << sr.status().ToString();

  const auto a = mbztest::Figures(real_conn->db());
  const auto b = mbztest::Figures(synth_conn->db());
  ASSERT_EQ(a.size(), b.size());
  std::printf("%-30s %12s %12s %8s\n", "figure", "real", "synth (1)", "diff");
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = a[i].value != 0 ? (b[i].value - a[i].value) / a[i].value : 0;
    std::printf("%-30s %12.4g %12.4g %+7.1f%%%s\n", a[i].name.c_str(), a[i].value, b[i].value, 100 * diff,
                a[i].asserted ? "" : "  (shown only)");
    if (a[i].asserted) {
      EXPECT_LE(std::abs(diff), 0.10) << a[i].name;
    }
  }
  std::printf("import: real %llu datoms in %.2f s, synth %llu datoms in %.2f s\n",
              static_cast<unsigned long long>(rr->datoms), rr->seconds, static_cast<unsigned long long>(sr->datoms),
              sr->seconds);
}

}  // namespace
}  // namespace strata::workloads
