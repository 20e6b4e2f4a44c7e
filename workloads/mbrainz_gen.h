// workloads/mbrainz_gen.h — pieces the two MusicBrainz workloads share
// (internal): counter-based randomness, derived gids, synthetic names,
// media and tracks, the EDN builders, and the named reads.
//
// Everything here is a pure function of its arguments (a key and a seed), so
// a generator can recompute any earlier entity instead of remembering it.
// Determinism: only raw 64-bit hash outputs are used, never <random>
// distributions, so results are the same on every platform.
//
// Thread safety: plain functions and values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/database.h"
#include "strata/edn.h"

namespace strata::workloads::mbz {

// ---- randomness -------------------------------------------------------------

// SplitMix64's finalizer: a bijective 64-bit mix.
uint64_t Mix(uint64_t x);
// A key for (seed, kind, index): independent streams per entity.
uint64_t Key(uint64_t seed, uint64_t kind, uint64_t index);
// Key in two steps, for a caller that draws many keys of one (seed, kind):
// Key(seed, kind, i) == KeyIn(Stream(seed, kind), i).
uint64_t Stream(uint64_t seed, uint64_t kind);
uint64_t KeyIn(uint64_t stream, uint64_t index);

// A small counter-based generator: the n-th output is Mix(key + n * gamma).
class Rng {
 public:
  explicit Rng(uint64_t key) : state_(key) {}
  uint64_t Next();
  double Uniform();                       // [0, 1)
  bool Chance(double p) { return Uniform() < p; }
  uint64_t Below(uint64_t n);             // [0, n); n > 0
  int Between(int lo, int hi);            // [lo, hi]
  double Normal();                        // standard normal (Box-Muller)

 private:
  uint64_t state_;
};

// Entity kinds: they separate the gid and randomness streams.
enum Kind : uint64_t {
  kArtist = 1, kLabel, kGroup, kRelease, kMedia, kClass, kCorrection, kRead, kTxBatch,
};

// A version-4-shaped uuid derived from (seed, kind, index).
Uuid DerivedGid(uint64_t seed, uint64_t kind, uint64_t index);

// ---- weighted choices -------------------------------------------------------

struct Choice {
  const char* value;  // nullptr: "absent"
  double weight;
};
// One of `choices` in proportion to the weights (they need not sum to 1).
const char* Pick(Rng& rng, std::span<const Choice> choices);

// A value from a piecewise-linear inverse CDF through (quantile, value) knots,
// the first at quantile 0 and the last at 1.
struct Knot {
  double q, v;
};
double FromQuantiles(Rng& rng, std::span<const Knot> knots);

// ---- synthetic text ----------------------------------------------------------

// A capitalized pseudo-word of `syllables` syllables ("Taloren").
std::string Word(Rng& rng, int syllables);
// A title of words whose length follows `knots` (characters), e.g. a release
// or track name.
std::string Title(Rng& rng, std::span<const Knot> length_knots);

// ---- EDN builders -------------------------------------------------------------

inline edn::Node Kw(std::string_view s) { return edn::Node::Keyword(std::string(s)); }
inline edn::Node Kw(const char* s) { return edn::Node::Keyword(std::string(s)); }
inline edn::Node Kw(std::string&& s) { return edn::Node::Keyword(std::move(s)); }  // a built name, not copied
inline edn::Node Str(std::string s) { return edn::Node::String(std::move(s)); }
inline edn::Node Long(int64_t v) { return edn::Node::Long(v); }
inline edn::Node Gid(const Uuid& u) { return edn::Node::FromUuid(u); }
// [:attr value], a lookup ref.
edn::Node LookupRef(std::string_view attr, edn::Node value);
// An empty map with room for `entries` keys and values.
edn::Node MapOf(size_t entries);
// Appends `key value` to map `m` (keys without the colon: "artist/name").
void Put(edn::Node* m, std::string_view key, edn::Node value);

// ---- media and tracks ----------------------------------------------------------

enum class GroupType : uint8_t { kNone, kAlbum, kSingle, kEp, kOther };
GroupType ParseGroupType(std::string_view s);  // "Album", "Single", "EP", ...

// Published figures the synthesized media reproduce (distributions.json).
constexpr double kMediaPerRelease = 1.030;
constexpr double kTracksPerMedium = 8.363;
constexpr double kTrackDurationPresent = 0.851;
constexpr double kMediumFormatPresent = 0.804;

// The media of one release as a vector of :medium maps, each with its
// :medium/tracks as nested maps (components). Tracks credit `artists` (refs:
// lookup refs or tempids). A pure function of `key`.
edn::Node SynthesizeMedia(uint64_t key, GroupType type, const std::vector<edn::Node>& artists);

// ---- reads ------------------------------------------------------------------

// The named reads both workloads issue; each fails (NotFound) when the
// entity it expects is missing, so a broken import shows up in the results.
//   artist-by-gid      pull [*] of [:artist/gid g]
//   releases-of-artist VAET [artist :release/artists] and each release's name
//   country-artists    VAET [:country/CC :artist/country], counted
//   release-tracks     pull of the release's :release/media and their
//                      :medium/tracks (component navigation)
Status ReadArtistByGid(const Database& db, const Uuid& gid);
Status ReadReleasesOfArtist(const Database& db, const Uuid& gid);
Status ReadCountryArtists(const Database& db, const std::string& code);
Status ReadReleaseTracks(const Database& db, const Uuid& gid);

}  // namespace strata::workloads::mbz
