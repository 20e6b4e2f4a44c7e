// Shared pieces of the MusicBrainz workloads (see mbrainz_gen.h).

#include "workloads/mbrainz_gen.h"

#include <algorithm>
#include <cmath>

#include "strata/pull.h"

namespace strata::workloads::mbz {

// ---- randomness ---------------------------------------------------------------

namespace {
constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;
}  // namespace

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

uint64_t Stream(uint64_t seed, uint64_t kind) { return Mix(seed * kGamma + kind); }

uint64_t KeyIn(uint64_t stream, uint64_t index) {
  return Mix(stream ^ (index * 0xD6E8FEB86659FD93ULL + 0x2545F4914F6CDD1DULL));
}

uint64_t Key(uint64_t seed, uint64_t kind, uint64_t index) { return KeyIn(Stream(seed, kind), index); }

uint64_t Rng::Next() {
  state_ += kGamma;
  return Mix(state_);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

uint64_t Rng::Below(uint64_t n) {
  // Multiply-shift: unbiased enough for n far below 2^64, and portable.
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
}

int Rng::Between(int lo, int hi) { return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo + 1))); }

double Rng::Normal() {
  const double u1 = 1.0 - Uniform();  // (0, 1]
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

Uuid DerivedGid(uint64_t seed, uint64_t kind, uint64_t index) {
  Rng rng(Key(seed, kind | 0x6700, index));
  Uuid u{rng.Next(), rng.Next()};
  u.hi = (u.hi & ~uint64_t{0xF000}) | 0x4000;                       // version 4
  u.lo = (u.lo & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);        // RFC 4122 variant
  return u;
}

// ---- weighted choices ----------------------------------------------------------

const char* Pick(Rng& rng, std::span<const Choice> choices) {
  double total = 0;
  for (const Choice& c : choices) total += c.weight;
  double x = rng.Uniform() * total;
  for (const Choice& c : choices) {
    if (x < c.weight) return c.value;
    x -= c.weight;
  }
  return choices.back().value;
}

double FromQuantiles(Rng& rng, std::span<const Knot> knots) {
  const double u = rng.Uniform();
  for (size_t i = 1; i < knots.size(); ++i) {
    if (u <= knots[i].q) {
      const Knot& a = knots[i - 1];
      const Knot& b = knots[i];
      return a.v + (b.v - a.v) * (u - a.q) / (b.q - a.q);
    }
  }
  return knots.back().v;
}

// ---- synthetic text -------------------------------------------------------------

namespace {
// string_views: appending one copies a known length (no strlen per piece).
constexpr std::string_view kOnsets[] = {"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
                                   "v", "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "pr", "sh", "st", "th", "tr"};
constexpr std::string_view kVowels[] = {"a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "y"};
constexpr std::string_view kCodas[] = {"", "", "", "", "n", "r", "s", "l", "m", "t", "nd", "rk", "st"};
// Short real words keep titles readable and their lengths realistic.
constexpr std::string_view kSmallWords[] = {"of", "the", "in", "and", "my", "love", "on", "to", "a", "you",
                                       "me", "no", "for", "blue", "all", "night", "live", "song", "way", "I"};
}  // namespace

namespace {
// Word's text appended to *out: written into room made for the longest
// syllables (an onset, a vowel and a coda are at most 2 bytes each), then
// cut to what was written.
void AppendWord(Rng& rng, int syllables, std::string* out) {
  const size_t start = out->size();
  out->resize(start + static_cast<size_t>(std::max(syllables, 0)) * 6);
  char* p = out->data() + start;
  auto put = [&p](std::string_view piece) {
    for (char c : piece) *p++ = c;
  };
  for (int i = 0; i < syllables; ++i) {
    put(kOnsets[rng.Below(std::size(kOnsets))]);
    put(kVowels[rng.Below(std::size(kVowels))]);
    if (i + 1 == syllables || rng.Chance(0.25)) put(kCodas[rng.Below(std::size(kCodas))]);
  }
  out->resize(static_cast<size_t>(p - out->data()));
  if (out->size() > start) (*out)[start] = static_cast<char>((*out)[start] - 'a' + 'A');
}
}  // namespace

std::string Word(Rng& rng, int syllables) {
  std::string w;
  AppendWord(rng, syllables, &w);
  return w;
}

std::string Title(Rng& rng, std::span<const Knot> length_knots) {
  const auto target = static_cast<size_t>(std::max(1.0, std::round(FromQuantiles(rng, length_knots))));
  std::string t;
  t.reserve(target + 24);  // a last word may pass the target by up to 18 bytes
  while (t.size() < target) {
    if (!t.empty()) t += ' ';
    const size_t room = target - t.size();
    if (room <= 3 || (!t.empty() && rng.Chance(0.3))) {
      t += kSmallWords[rng.Below(std::size(kSmallWords))];
    } else {
      AppendWord(rng, room <= 5 ? 1 : rng.Between(1, 3), &t);
    }
  }
  return t;
}

// ---- EDN builders -----------------------------------------------------------------

edn::Node LookupRef(std::string_view attr, edn::Node value) {
  // Built by moves: a braced list would copy both nodes.
  edn::Node ref = edn::Node::Vector();
  ref.items.reserve(2);
  ref.items.push_back(Kw(attr));
  ref.items.push_back(std::move(value));
  return ref;
}

edn::Node MapOf(size_t entries) {
  edn::Node m = edn::Node::Map();
  m.items.reserve(2 * entries);
  return m;
}

void Put(edn::Node* m, std::string_view key, edn::Node value) {
  // The key is made in its slot, not built and moved there.
  edn::Node& k = m->items.emplace_back();
  k.kind = edn::Kind::kKeyword;
  k.s.assign(key);
  m->items.push_back(std::move(value));
}

// ---- media and tracks ---------------------------------------------------------------

GroupType ParseGroupType(std::string_view s) {
  if (s == "Album") return GroupType::kAlbum;
  if (s == "Single") return GroupType::kSingle;
  if (s == "EP") return GroupType::kEp;
  if (s.empty()) return GroupType::kNone;
  return GroupType::kOther;
}

namespace {

constexpr Choice kSingleFormats[] = {{"medium.format/vinyl7", 85}, {"medium.format/vinyl", 8},
                                     {"medium.format/cassette", 3}, {"medium.format/cd", 2},
                                     {"medium.format/vinyl12", 2}};
constexpr Choice kAlbumFormats[] = {{"medium.format/vinyl12", 52}, {"medium.format/vinyl", 25},
                                    {"medium.format/cassette", 9},  {"medium.format/cd", 7},
                                    {"medium.format/reel", 3},      {"medium.format/cartridge", 2},
                                    {"medium.format/vinyl7", 1},    {"medium.format/other", 1}};
// Track names: a little shorter than release names (median ~14 characters).
constexpr Knot kTrackNameLength[] = {{0, 2}, {0.1, 6}, {0.5, 14}, {0.9, 28}, {0.99, 50}, {1, 90}};

int Poisson(Rng& rng, double lambda) {
  const double u = rng.Uniform();
  double p = std::exp(-lambda), cdf = p;
  int k = 0;
  while (u > cdf && k < 200) {
    ++k;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

int TracksOnMedium(Rng& rng, GroupType type) {
  switch (type) {
    case GroupType::kSingle: {
      const double u = rng.Uniform();
      return u < 0.85 ? 2 : u < 0.90 ? 1 : u < 0.95 ? 3 : 4;
    }
    case GroupType::kEp:
      return rng.Between(3, 6);
    default:
      // Albums: the mean solves to ~10 so the overall mean is 8.36.
      return std::clamp(Poisson(rng, 9) + 1, 4, 24);
  }
}

int MediaCount(Rng& rng) {
  const double u = rng.Uniform();
  return u < 0.972 ? 1 : u < 0.9965 ? 2 : u < 0.999 ? 3 : 4;
}

}  // namespace

edn::Node SynthesizeMedia(uint64_t key, GroupType type, const std::vector<edn::Node>& artists) {
  Rng rng(key);
  const int media = MediaCount(rng);
  const std::span<const Choice> formats =
      type == GroupType::kSingle ? std::span<const Choice>(kSingleFormats) : std::span<const Choice>(kAlbumFormats);
  // One format for the whole release, as a pressing has.
  const char* format = rng.Chance(kMediumFormatPresent) ? Pick(rng, formats) : nullptr;
  edn::Node out = edn::Node::Vector();
  out.items.reserve(media);
  for (int m = 1; m <= media; ++m) {
    const int tracks = TracksOnMedium(rng, type);
    edn::Node medium = MapOf(4);
    Put(&medium, "medium/position", Long(m));
    Put(&medium, "medium/trackCount", Long(tracks));
    if (format) Put(&medium, "medium/format", Kw(format));
    edn::Node list = edn::Node::Vector();
    list.items.reserve(tracks);
    for (int t = 1; t <= tracks; ++t) {
      edn::Node track = MapOf(4);
      Put(&track, "track/name", Str(Title(rng, kTrackNameLength)));
      Put(&track, "track/position", Long(t));
      if (rng.Chance(kTrackDurationPresent)) {
        // Lognormal around 195 s, clipped to [20 s, 25 min].
        const double seconds = std::clamp(195.0 * std::exp(0.42 * rng.Normal()), 20.0, 1500.0);
        Put(&track, "track/duration", Long(static_cast<int64_t>(seconds * 1000)));
      }
      if (!artists.empty()) Put(&track, "track/artists", edn::Node::Vector(artists));
      list.items.push_back(std::move(track));
    }
    Put(&medium, "medium/tracks", std::move(list));
    out.items.push_back(std::move(medium));
  }
  return out;
}

// ---- reads --------------------------------------------------------------------------

namespace {

Result<EntityId> ByGid(const Database& db, std::string_view attr, const Uuid& gid) {
  return db.Entid(LookupRef(attr, Gid(gid)));
}

Result<EntityId> AttrId(const Database& db, const std::string& ident) {
  const Attribute* a = db.attribute(ident);
  if (a == nullptr) return Status::NotFound("no attribute :" + ident);
  return a->id;
}

}  // namespace

Status ReadArtistByGid(const Database& db, const Uuid& gid) {
  static const edn::Node kPattern = *edn::ReadOne("[*]");
  STRATA_ASSIGN_OR_RETURN(edn::Node artist, Pull(db, kPattern, LookupRef("artist/gid", Gid(gid))));
  if (artist.Get("artist/gid") == nullptr)
    return Status::NotFound("artist-by-gid: no artist " + gid.ToString());
  return Status::OK();
}

Status ReadReleasesOfArtist(const Database& db, const Uuid& gid) {
  STRATA_ASSIGN_OR_RETURN(EntityId e, ByGid(db, "artist/gid", gid));
  STRATA_ASSIGN_OR_RETURN(EntityId artists, AttrId(db, "release/artists"));
  STRATA_ASSIGN_OR_RETURN(EntityId name, AttrId(db, "release/name"));
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kVaet, {Value::Ref(e), Value::Ref(artists)}));
  return ForEach(c, [&](const Datom& d) -> Status {
    STRATA_ASSIGN_OR_RETURN(std::vector<Value> names, db.Values(d.e, name));
    if (names.empty()) return Status::NotFound("releases-of-artist: release " + std::to_string(d.e) + " has no name");
    return Status::OK();
  });
}

Status ReadCountryArtists(const Database& db, const std::string& code) {
  STRATA_ASSIGN_OR_RETURN(EntityId country, db.Entid(Kw("country/" + code)));
  STRATA_ASSIGN_OR_RETURN(EntityId attr, AttrId(db, "artist/country"));
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kVaet, {Value::Ref(country), Value::Ref(attr)}));
  return ForEach(c, [](const Datom&) {});
}

Status ReadReleaseTracks(const Database& db, const Uuid& gid) {
  static const edn::Node kPattern = *edn::ReadOne(
      "[:release/name {:release/media [:medium/position {:medium/tracks [:track/position :track/name]}]}]");
  STRATA_ASSIGN_OR_RETURN(edn::Node release, Pull(db, kPattern, LookupRef("release/gid", Gid(gid))));
  uint64_t n = 0;
  if (const edn::Node* media = release.Get("release/media")) {
    for (const edn::Node& m : media->items)
      if (const edn::Node* tracks = m.Get("medium/tracks")) n += tracks->items.size();
  }
  if (n == 0) return Status::NotFound("release-tracks: release " + gid.ToString() + " has no tracks");
  return Status::OK();
}

}  // namespace strata::workloads::mbz
