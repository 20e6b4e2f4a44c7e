// workloads/mbrainz_test_util.h — helpers for the MusicBrainz workload tests
// (test-only): an in-memory database, a driver that replays a workload into
// it, and the figures the comparison table reports, computed from a database
// value by index scans.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/env.h"
#include "workloads/workload.h"

namespace strata::workloads::mbztest {

// An in-memory database that never runs an indexing job during a test: the
// whole import stays in the memory index.
inline std::unique_ptr<Connection> OpenMemory(Env* env, const std::string& dir) {
  Options o;
  o.env = env;
  o.sync = SyncPolicy::kNever;
  o.memory_index_threshold = uint64_t{16} << 20;
  o.memory_index_max = uint64_t{16} << 30;
  auto conn = Connection::Open(dir, o);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(*conn) : nullptr;
}

struct DriveResult {
  uint64_t transactions = 0;
  uint64_t datoms = 0;  // committed, tx datoms included
  std::map<std::string, uint64_t> reads;  // per read name
  double seconds = 0;
  double cpu_seconds = 0;  // of the whole process (background jobs too)
};

// Commits the workload's schema and transactions and runs its reads;
// stops at the first failure.
inline Result<DriveResult> Drive(Workload& w, Connection& conn) {
  DriveResult r;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  w.RegisterTxFunctions(conn);
  const uint64_t datoms0 = conn.stats().datoms;
  for (const edn::Node& tx : w.Schema()) {
    auto rep = conn.Transact(tx);
    if (!rep.ok()) return rep.status().WithContext("schema");
  }
  Step step;
  while (w.Next(&step)) {
    if (step.kind == Step::Kind::kTransact) {
      auto rep = conn.Transact(step.tx);
      if (!rep.ok()) return rep.status().WithContext("transaction " + std::to_string(r.transactions + 1));
      ++r.transactions;
    } else {
      Status s = step.read(conn.db());
      if (!s.ok()) return s.WithContext("read " + step.read_name);
      ++r.reads[step.read_name];
    }
  }
  r.datoms = conn.stats().datoms - datoms0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return r;
}

// ---- figures from a database value ----

inline EntityId Attr(const Database& db, const std::string& ident) {
  const Attribute* a = db.attribute(ident);
  EXPECT_NE(a, nullptr) << ident;
  return a ? a->id : 0;
}

// Every current datom of an attribute (AEVT).
template <typename Fn>
void ForEach(const Database& db, const std::string& attr, Fn fn) {
  auto c = db.Datoms(Index::kAevt, {Value::Ref(Attr(db, attr))});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (; c->Valid(); c->Next()) fn(c->datom());
  ASSERT_TRUE(c->status().ok()) << c->status().ToString();
}

inline uint64_t CountDatoms(const Database& db, const std::string& attr) {
  uint64_t n = 0;
  ForEach(db, attr, [&](const Datom&) { ++n; });
  return n;
}

inline uint64_t CountRefsTo(const Database& db, const std::string& ident, const std::string& attr) {
  auto e = db.Entid(edn::Node::Keyword(ident));
  if (!e.ok()) return 0;
  auto c = db.Datoms(Index::kVaet, {Value::Ref(*e), Value::Ref(Attr(db, attr))});
  uint64_t n = 0;
  EXPECT_TRUE(ForEach(std::move(c), [&](const Datom&) { ++n; }).ok());
  return n;
}

inline uint64_t CountAll(const Database& db) {
  auto c = db.Datoms(Index::kEavt);
  uint64_t n = 0;
  EXPECT_TRUE(ForEach(std::move(c), [&](const Datom&) { ++n; }).ok());
  return n;
}

struct Figure {
  std::string name;
  double value = 0;
  bool asserted = true;  // compared within 10% (else shown only)
};

inline double Percentile(std::vector<uint64_t> xs, double p) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  return static_cast<double>(xs[std::min(xs.size() - 1, static_cast<size_t>(p * static_cast<double>(xs.size())))]);
}

// The figures of the comparison table (see distributions.json).
inline std::vector<Figure> Figures(const Database& db) {
  std::vector<Figure> f;
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
  uint64_t artists = 0;
  double artist_name_chars = 0;
  ForEach(db, "artist/name", [&](const Datom& d) {
    ++artists;
    artist_name_chars += static_cast<double>(d.v.str().size());
  });
  const double releases = static_cast<double>(CountDatoms(db, "release/gid"));
  const double groups = static_cast<double>(CountDatoms(db, "abstractRelease/gid"));
  const double labels = static_cast<double>(CountDatoms(db, "label/gid"));
  const double media = static_cast<double>(CountDatoms(db, "medium/position"));
  const double tracks = static_cast<double>(CountDatoms(db, "track/position"));
  const double a = static_cast<double>(artists);
  f.push_back({"artists (named)", a});
  f.push_back({"labels", labels});
  f.push_back({"release groups", groups});
  f.push_back({"releases", releases});
  f.push_back({"media", media});
  f.push_back({"tracks", tracks});
  f.push_back({"countries", static_cast<double>(CountDatoms(db, "country/code"))});
  f.push_back({"languages", static_cast<double>(CountDatoms(db, "language/code"))});
  f.push_back({"scripts", static_cast<double>(CountDatoms(db, "script/code"))});
  f.push_back({"datoms (current)", static_cast<double>(CountAll(db))});
  f.push_back({"media per release", ratio(media, releases)});
  f.push_back({"tracks per medium", ratio(tracks, media)});
  f.push_back({"artists per track", ratio(static_cast<double>(CountDatoms(db, "track/artists")), tracks)});
  f.push_back({"track duration present", ratio(static_cast<double>(CountDatoms(db, "track/duration")), tracks)});
  f.push_back({"medium format present", ratio(static_cast<double>(CountDatoms(db, "medium/format")), media)});

  // Releases per artist and per label, over those with at least one.
  std::unordered_map<EntityId, uint64_t> per_artist, per_label;
  std::unordered_set<EntityId> labelled;
  uint64_t artist_links = 0, label_links = 0;
  ForEach(db, "release/artists", [&](const Datom& d) {
    ++per_artist[d.v.ref()];
    ++artist_links;
  });
  ForEach(db, "release/labels", [&](const Datom& d) {
    ++per_label[d.v.ref()];
    labelled.insert(d.e);
    ++label_links;
  });
  std::vector<uint64_t> pa, pl;
  for (const auto& [k, v] : per_artist) pa.push_back(v);
  for (const auto& [k, v] : per_label) pl.push_back(v);
  f.push_back({"artists per release", ratio(static_cast<double>(artist_links), releases)});
  f.push_back({"releases with a label", ratio(static_cast<double>(labelled.size()), releases)});
  f.push_back({"releases per artist (mean)", ratio(static_cast<double>(artist_links), static_cast<double>(pa.size()))});
  f.push_back({"releases per label (mean)", ratio(static_cast<double>(label_links), static_cast<double>(pl.size()))});
  f.push_back({"releases per group", ratio(releases, groups)});
  f.push_back({"artist type present", ratio(static_cast<double>(CountDatoms(db, "artist/type")), a)});
  f.push_back({"artist gender present", ratio(static_cast<double>(CountDatoms(db, "artist/gender")), a)});
  f.push_back({"artist country present", ratio(static_cast<double>(CountDatoms(db, "artist/country")), a)});
  f.push_back({"artist startYear present", ratio(static_cast<double>(CountDatoms(db, "artist/startYear")), a)});
  f.push_back({"artist endYear present", ratio(static_cast<double>(CountDatoms(db, "artist/endYear")), a)});
  f.push_back({"artists from GB", ratio(static_cast<double>(CountRefsTo(db, "country/GB", "artist/country")), a)});
  f.push_back({"artists from US", ratio(static_cast<double>(CountRefsTo(db, "country/US", "artist/country")), a)});
  f.push_back({"releases from US", ratio(static_cast<double>(CountRefsTo(db, "country/US", "release/country")), releases)});
  f.push_back({"releases in English",
               ratio(static_cast<double>(CountRefsTo(db, "language/eng", "release/language")), releases)});
  f.push_back({"release month present", ratio(static_cast<double>(CountDatoms(db, "release/month")), releases)});
  f.push_back({"release status present", ratio(static_cast<double>(CountDatoms(db, "release/status")), releases)});
  f.push_back({"label country present", ratio(static_cast<double>(CountDatoms(db, "label/country")), labels)});
  f.push_back({"label type present", ratio(static_cast<double>(CountDatoms(db, "label/type")), labels)});
  f.push_back({"albums among groups",
               ratio(static_cast<double>(CountRefsTo(db, "release.type/album", "abstractRelease/type")), groups)});
  f.push_back({"singles among groups",
               ratio(static_cast<double>(CountRefsTo(db, "release.type/single", "abstractRelease/type")), groups)});
  uint64_t y1970 = 0;
  ForEach(db, "release/year", [&](const Datom& d) { y1970 += d.v.as_long() == 1970; });
  f.push_back({"releases in 1970", ratio(static_cast<double>(y1970), releases)});
  double release_chars = 0;
  ForEach(db, "release/name", [&](const Datom& d) { release_chars += static_cast<double>(d.v.str().size()); });
  f.push_back({"artist name length (mean)", ratio(artist_name_chars, a)});
  f.push_back({"release name length (mean)", ratio(release_chars, releases)});

  // Shape of the skews: shown, not asserted (small integers).
  f.push_back({"releases per artist p50", Percentile(pa, 0.5), false});
  f.push_back({"releases per artist p90", Percentile(pa, 0.9), false});
  f.push_back({"releases per artist p99", Percentile(pa, 0.99), false});
  f.push_back({"releases per artist max", Percentile(pa, 1.0), false});
  f.push_back({"releases per label p50", Percentile(pl, 0.5), false});
  f.push_back({"releases per label p90", Percentile(pl, 0.9), false});
  f.push_back({"releases per label p99", Percentile(pl, 0.99), false});
  f.push_back({"releases per label max", Percentile(pl, 1.0), false});
  return f;
}

}  // namespace strata::workloads::mbztest
