// Tests of the "mbrainz" workload: the real 1968–1973 subset imports, known
// facts hold, and a re-import adds nothing but transaction entities.

#include "workloads/mbrainz.h"

#include <gtest/gtest.h>

#include <zstd.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "strata/pull.h"
#include "strata/query.h"
#include "workloads/mbrainz_gen.h"
#include "workloads/mbrainz_test_util.h"

namespace strata::workloads {
namespace {

using mbztest::Drive;
using mbztest::OpenMemory;

std::string DataDir() {
  auto d = FindMbrainzDataDir("");
  return d.ok() ? *d : "";
}

// Streams the rows of a subset file into fn (as the importer does).
template <typename Fn>
void ForEachRow(const std::string& file, Fn fn) {
  auto text = ReadDataFile(DataDir() + "/subset-1968-1973/" + file);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  edn::Reader reader(*text);
  edn::Node row;
  Status s;
  while (reader.Next(&row, &s)) fn(row);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

TEST(MbrainzData, FoundFromHintsAndEnvironment) {
  const std::string dir = DataDir();
  ASSERT_FALSE(dir.empty()) << FindMbrainzDataDir("").status().ToString();
  EXPECT_EQ(*FindMbrainzDataDir(dir), dir);
  EXPECT_EQ(*FindMbrainzDataDir(dir + "/subset-1968-1973/"), dir);
  EXPECT_EQ(*FindMbrainzDataDir(dir.substr(0, dir.rfind('/'))), dir);  // datasets/
  auto bad = FindMbrainzDataDir("/nonexistent/mbrainz");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsNotFound());
  setenv("STRATA_DATA_DIR", dir.c_str(), 1);
  EXPECT_EQ(*FindMbrainzDataDir(""), dir);
  unsetenv("STRATA_DATA_DIR");
}

// The repository keeps the subset's files zstd-compressed; a plain file of
// the same name is read as is.
TEST(MbrainzData, DataFilesAreReadPlainOrCompressed) {
  char tmpl[] = "/tmp/strata-mbz-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  Env* env = Env::Default();
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "{:n " + std::to_string(i) + "}\n";  // several zstd blocks
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 3));
  ASSERT_FALSE(ZSTD_isError(packed.size()));

  ASSERT_TRUE(WriteFileAtomic(env, dir + "/a.edn.zst", packed).ok());
  auto a = ReadDataFile(dir + "/a.edn");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, text);
  ASSERT_TRUE(WriteFileAtomic(env, dir + "/a.edn", "plain").ok());  // the plain file wins
  EXPECT_EQ(*ReadDataFile(dir + "/a.edn"), "plain");

  ASSERT_TRUE(WriteFileAtomic(env, dir + "/cut.edn.zst", packed.substr(0, packed.size() / 2)).ok());
  auto cut = ReadDataFile(dir + "/cut.edn");
  EXPECT_TRUE(cut.status().IsCorruption()) << cut.status().ToString();
  EXPECT_NE(cut.status().message().find("cut.edn.zst"), std::string::npos) << cut.status().ToString();
  ASSERT_TRUE(WriteFileAtomic(env, dir + "/junk.edn.zst", "not zstd at all").ok());
  EXPECT_TRUE(ReadDataFile(dir + "/junk.edn").status().IsCorruption());
  EXPECT_TRUE(ReadDataFile(dir + "/none.edn").status().IsNotFound());
  std::filesystem::remove_all(dir);
}

// Without data the registry refuses the workload, saying where it looked.
TEST(MbrainzData, MissingDataIsNotFoundFromTheRegistry) {
  WorkloadOptions o;
  o.name = "mbrainz";
  o.data_dir = "/nonexistent";
  EXPECT_TRUE(OpenMbrainzWorkload(o).status().IsNotFound());
  auto w = MakeWorkload(o);
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().IsNotFound()) << w.status().ToString();
  EXPECT_NE(w.status().message().find("no subset-1968-1973/schema.edn under --data-dir /nonexistent"), std::string::npos)
      << w.status().message();
}

TEST(MbrainzMedia, FollowThePublishedFigures) {
  const std::vector<edn::Node> artists = {mbz::Str("a")};
  double releases = 0, media = 0, tracks = 0, durations = 0;
  for (uint64_t i = 0; i < 20000; ++i) {
    // The subset's mix of group types (release groups: 76% albums, 20% singles).
    const uint64_t k = i % 100;
    const mbz::GroupType type = k < 76 ? mbz::GroupType::kAlbum
                                : k < 96 ? mbz::GroupType::kSingle
                                : k < 98 ? mbz::GroupType::kEp
                                         : mbz::GroupType::kOther;
    const edn::Node m = mbz::SynthesizeMedia(mbz::Key(1, mbz::kMedia, i), type, artists);
    releases += 1;
    media += static_cast<double>(m.items.size());
    for (const edn::Node& medium : m.items) {
      const edn::Node* list = medium.Get("medium/tracks");
      ASSERT_NE(list, nullptr);
      EXPECT_EQ(medium.Get("medium/trackCount")->i, static_cast<int64_t>(list->items.size()));
      tracks += static_cast<double>(list->items.size());
      for (const edn::Node& t : list->items) durations += t.Get("track/duration") != nullptr;
    }
  }
  EXPECT_NEAR(media / releases, mbz::kMediaPerRelease, 0.01);
  EXPECT_NEAR(tracks / media, mbz::kTracksPerMedium, 0.2);
  EXPECT_NEAR(durations / tracks, mbz::kTrackDurationPresent, 0.01);
  EXPECT_EQ(edn::Print(mbz::SynthesizeMedia(7, mbz::GroupType::kAlbum, artists)),
            edn::Print(mbz::SynthesizeMedia(7, mbz::GroupType::kAlbum, artists)));
}

// The whole subset, once: facts from the data hold, every named read works
// during the import, and a second run adds nothing but transaction entities.
TEST(MbrainzImport, RealSubsetFactsAndIdempotence) {
  ASSERT_FALSE(DataDir().empty());
  auto env = NewMemEnv();
  auto conn = OpenMemory(env.get(), "/mbrainz");
  WorkloadOptions o;
  o.name = "mbrainz";
  o.read_ratio = 0.25;
  auto w = OpenMbrainzWorkload(o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const uint64_t estimated = (*w)->EstimatedSteps();
  auto first = Drive(**w, *conn);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  uint64_t reads = 0;
  for (const auto& [name, n] : first->reads) reads += n;
  std::printf("import: %llu transactions, %llu datoms in %.2f s (%.0f datoms/s; CPU %.2f s, %.0f datoms per CPU s), "
              "%llu reads; estimated steps %llu\n",
              static_cast<unsigned long long>(first->transactions), static_cast<unsigned long long>(first->datoms),
              first->seconds, static_cast<double>(first->datoms) / first->seconds, first->cpu_seconds,
              static_cast<double>(first->datoms) / first->cpu_seconds,
              static_cast<unsigned long long>(reads), static_cast<unsigned long long>(estimated));
  EXPECT_NEAR(static_cast<double>(first->transactions + reads), static_cast<double>(estimated),
              0.1 * static_cast<double>(estimated));
  for (const char* name : {"artist-by-gid", "country-artists", "releases-of-artist", "release-tracks"})
    EXPECT_GT(first->reads[name], 0u) << name;

  const Database db = conn->db();
  using mbztest::CountDatoms;

  // 482 artists have :artist/country :country/GB, in the file and in the database.
  uint64_t gb_rows = 0;
  ForEachRow("artists.edn", [&](const edn::Node& row) {
    const edn::Node* c = row.Get("country");
    gb_rows += c && c->is(edn::Kind::kString) && c->s == "GB";
  });
  EXPECT_EQ(gb_rows, 482u);
  EXPECT_EQ(mbztest::CountRefsTo(db, "country/GB", "artist/country"), 482u);

  // Led Zeppelin, by a scan of :artist/name (not indexed, so no AVET).
  std::vector<EntityId> zep;
  mbztest::ForEach(db, "artist/name", [&](const Datom& d) {
    if (d.v.str() == "Led Zeppelin") zep.push_back(d.e);
  });
  ASSERT_EQ(zep.size(), 1u);
  auto values = [&](const char* attr) { return db.Values(zep[0], mbztest::Attr(db, attr)).value(); };
  ASSERT_EQ(values("artist/startYear").size(), 1u);
  EXPECT_EQ(values("artist/startYear")[0].as_long(), 1968);
  ASSERT_EQ(values("artist/endYear").size(), 1u);
  EXPECT_EQ(values("artist/endYear")[0].as_long(), 1980);
  EXPECT_EQ(values("artist/endMonth")[0].as_long(), 9);
  EXPECT_EQ(values("artist/country")[0].ref(), *db.Entid(edn::Node::Keyword("country/GB")));
  EXPECT_EQ(values("artist/type")[0].ref(), *db.Entid(edn::Node::Keyword("artist.type/group")));

  // The same facts through Datalog and pull.
  auto q = [&](const char* text) {
    auto r = Q(text, {db});
    EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    return r.ok() ? edn::Print(*r) : "";
  };
  EXPECT_EQ(q("[:find (count ?a) . :where [?a :artist/country :country/GB]]"), "482");
  EXPECT_EQ(q(R"([:find ?from ?to :where [?a :artist/name "Led Zeppelin"] [?a :artist/startYear ?from]
                  [?a :artist/endYear ?to]])"),
            "#{[1968 1980]}");
  auto gb = Pull(db, *edn::ReadOne("[{:artist/_country [:db/id]}]"), edn::Node::Keyword("country/GB"));
  ASSERT_TRUE(gb.ok()) << gb.status().ToString();
  ASSERT_NE(gb->Get("artist/_country"), nullptr);
  EXPECT_EQ(gb->Get("artist/_country")->items.size(), 482u);

  // Distinct artist names over releases, computed independently from the files.
  std::map<Uuid, std::string> names;
  ForEachRow("artists.edn", [&](const edn::Node& row) { names[row.Get("gid")->uuid] = row.Get("name")->s; });
  std::set<std::string> expected_names;
  std::set<std::pair<Uuid, Uuid>> expected_labels;
  ForEachRow("releases-artists.edn",
             [&](const edn::Node& row) { expected_names.insert(names.at(row.Get("artist")->uuid)); });
  std::set<Uuid> release_gids;
  ForEachRow("releases.edn", [&](const edn::Node& row) {
    release_gids.insert(row.Get("gid")->uuid);
    if (const edn::Node* l = row.Get("label")) expected_labels.insert({row.Get("gid")->uuid, l->uuid});
  });
  std::set<std::string> db_names;
  const EntityId name_attr = mbztest::Attr(db, "artist/name");
  mbztest::ForEach(db, "release/artists", [&](const Datom& d) {
    for (const Value& v : std::vector<Value>(db.Values(d.v.ref(), name_attr).value())) db_names.insert(v.str());
  });
  EXPECT_EQ(db_names.size(), expected_names.size());
  EXPECT_EQ(db_names, expected_names);

  // Entity counts: one release per gid, labels merged; 12 gid-only artists
  // (linked from release groups, absent from artists.edn).
  EXPECT_EQ(release_gids.size(), 11434u);
  EXPECT_EQ(CountDatoms(db, "release/gid"), 11434u);
  EXPECT_EQ(CountDatoms(db, "release/labels"), expected_labels.size());
  EXPECT_EQ(CountDatoms(db, "artist/gid"), 4601u + 12u);
  EXPECT_EQ(CountDatoms(db, "artist/name"), 4601u);
  EXPECT_EQ(CountDatoms(db, "label/gid"), 1207u);
  EXPECT_EQ(CountDatoms(db, "abstractRelease/gid"), 10180u);
  EXPECT_EQ(CountDatoms(db, "release/abstractRelease"), 11434u);
  EXPECT_EQ(CountDatoms(db, "release/artists"), 11806u);
  EXPECT_EQ(CountDatoms(db, "abstractRelease/artists"), 10544u);
  EXPECT_EQ(CountDatoms(db, "country/code"), 257u);
  EXPECT_EQ(CountDatoms(db, "language/code"), 7777u);
  EXPECT_EQ(CountDatoms(db, "script/code"), 159u);
  const double media = static_cast<double>(CountDatoms(db, "release/media"));
  const double tracks = static_cast<double>(CountDatoms(db, "medium/tracks"));
  EXPECT_NEAR(media / 11434, 1.03, 0.02);
  EXPECT_NEAR(tracks / media, 8.36, 0.25);
  const uint64_t total = mbztest::CountAll(db);
  std::printf("current datoms %llu (published importer variant: 753,814), media %.0f, tracks %.0f\n",
              static_cast<unsigned long long>(total), media, tracks);

  // Re-import: only transaction entities (their :db/txInstant) are new.
  const T before = db.basis_t();
  auto again = OpenMbrainzWorkload(o);
  ASSERT_TRUE(again.ok());
  auto second = Drive(**again, *conn);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  uint64_t non_tx = 0, tx_datoms = 0;
  ASSERT_TRUE(conn->TxRange(before + 1, conn->db().basis_t() + 1, [&](T, const std::vector<Datom>& ds) {
                    for (const Datom& d : ds) {
                      if (PartitionOf(d.e) == kPartTx) ++tx_datoms;
                      else ++non_tx;
                    }
                    return Status::OK();
                  }).ok());
  EXPECT_EQ(non_tx, 0u);
  EXPECT_EQ(tx_datoms, second->transactions + 1);  // + the schema transaction
  EXPECT_EQ(mbztest::CountAll(conn->db()), total + tx_datoms);
}

}  // namespace
}  // namespace strata::workloads
