// The "mbrainz-synth" workload (see mbrainz_synth.h): a streaming generator
// whose every entity is a pure function of (seed, kind, index).

#include "workloads/mbrainz_synth.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "workloads/mbrainz_gen.h"
#include "workloads/mbrainz_tables.h"

namespace strata::workloads {

using namespace mbz;  // NOLINT: the generator's vocabulary

namespace {

// The subset's counts: scale 1 has these many of each.
constexpr double kGroups = 10180, kArtists = 4601, kLabels = 1207;

constexpr double kVariousArtists = 0.037;  // groups with a drawn primary artist credited to artist 0
constexpr double kExtraRelease = 0.0768;   // odds of one more release of a group at its creation (geometric)
constexpr double kReRelease = 0.04;        // per step: a re-release of an earlier group
constexpr size_t kLanguagesPerTx = 500;

// Corrections per step, to entities of earlier transactions.
constexpr double kRename = 0.008, kStatusFix = 0.005, kRetractBarcode = 0.003, kLabelEnd = 0.003,
                 kRetractLabels = 0.002, kGroupTypeFix = 0.002;

// Track-name lengths, for the "A / B" names of singles.
constexpr Knot kSideLength[] = {{0, 3}, {0.5, 10}, {0.9, 20}, {1, 40}};

std::string Num(char prefix, uint64_t n) { return prefix + std::to_string(n); }

GroupType TypeOf(const char* ident) {
  const std::string_view t = ident ? ident : "";
  if (t == "release.type/album") return GroupType::kAlbum;
  if (t == "release.type/single") return GroupType::kSingle;
  if (t == "release.type/ep") return GroupType::kEp;
  return t.empty() ? GroupType::kNone : GroupType::kOther;
}

// Draws entities by popularity class (see mbrainz_synth.h).
class ClassPicker {
 public:
  ClassPicker(uint64_t seed, uint64_t kind, Classes c) : stream_(Stream(seed, kClass * 16 + kind)) {
    double total = 0, share = 0;
    for (size_t i = 0; i < c.share.size(); ++i) total += c.share[i] * c.popularity[i];
    double q = 0;
    for (size_t i = 0; i < c.share.size(); ++i) {
      share += c.share[i];
      q += c.share[i] * c.popularity[i] / total;
      share_cdf_.push_back(share);
      pick_cdf_.push_back(q);
    }
  }

  size_t ClassOf(uint64_t n) const {
    const double u = static_cast<double>(KeyIn(stream_, n) >> 11) * 0x1.0p-53;  // Key(seed, kClass * 16 + kind, n)
    return Index(share_cdf_, u);
  }

  // An entity in [lo, n); requires lo < n.
  uint64_t Pick(Rng& rng, uint64_t lo, uint64_t n) const {
    const size_t k = Index(pick_cdf_, rng.Uniform());
    for (int tries = 0; tries < 4096; ++tries) {
      const uint64_t x = lo + rng.Below(n - lo);
      if (ClassOf(x) == k) return x;
    }
    return lo + rng.Below(n - lo);  // too few entities yet for that class
  }

 private:
  static size_t Index(const std::vector<double>& cdf, double u) {
    for (size_t i = 0; i < cdf.size(); ++i)
      if (u < cdf[i]) return i;
    return cdf.size() - 1;
  }

  uint64_t stream_;  // Stream(seed, kClass * 16 + kind): a Pick's tries draw a key each
  std::vector<double> share_cdf_, pick_cdf_;
};

struct ArtistData {
  std::string name, sort_name;
  const char* type = nullptr;
  const char* gender = nullptr;
  const char* country = nullptr;
  int start[3] = {0, 0, 0}, end[3] = {0, 0, 0};  // year, month, day; 0: absent
};

struct GroupData {
  std::string name, credit;
  const char* type = nullptr;
  int year = 1970;
  std::vector<uint64_t> artists;
};

// The attributes a release draws from its own stream, before anything that
// depends on when it is made (so corrections can recompute them).
struct ReleaseOwn {
  const char* status = nullptr;
  const char* country = nullptr;
  const char* language = nullptr;
  const char* script = nullptr;
  const char* packaging = nullptr;
  int month = 0, day = 0;
  std::string barcode;
};

class SynthWorkload final : public Workload {
 public:
  explicit SynthWorkload(const WorkloadOptions& o)
      : options_(o),
        seed_(o.seed),
        groups_(Count(kGroups, o.scale)),
        artists_(Count(kArtists, o.scale)),
        labels_(Count(kLabels, o.scale)),
        artist_picker_(o.seed, kArtist, ArtistClasses()),
        label_picker_(o.seed, kLabel, LabelClasses()),
        group_picker_(o.seed, kGroup, GroupClasses()),
        reads_(Key(o.seed, kRead, 0)) {}

  std::string name() const override { return "mbrainz-synth"; }
  std::string Provenance() const override {
    return "synthesized: every entity is generated from the seed, shaped by figures measured over the real "
           "MusicBrainz 1968-1973 extract (no real names or ids)";
  }
  std::vector<edn::Node> Schema() const override { return {MbrainzSchemaTx()}; }

  uint64_t EstimatedSteps() const override {
    const uint64_t tx = 3 + (kLanguageCount + kLanguagesPerTx - 1) / kLanguagesPerTx +
                        (groups_ + kMbrainzSynthGroupsPerTx - 1) / kMbrainzSynthGroupsPerTx;
    return static_cast<uint64_t>(static_cast<double>(tx) * (1 + std::max(0.0, options_.read_ratio)));
  }

  bool Next(Step* out) override {
    if (pacer_.Due() && artists_made_ > 0) {
      pacer_.Read();
      NextRead(out);
      return true;
    }
    edn::Node tx = edn::Node::Vector();
    tx.items.reserve(64);  // a step's entities (~3 per group, 20 groups), so they are not moved as it grows
    if (!NextTx(&tx)) return false;
    SetTransact(out, std::move(tx));
    pacer_.Transacted(options_.read_ratio);
    return true;
  }

 private:
  static uint64_t Count(double per_scale, double scale) {
    return std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(per_scale * std::max(0.0, scale))));
  }

  // Entities of a kind (total `of`) that exist once step g is done: an even
  // schedule over the groups, the first at step 0.
  uint64_t After(uint64_t of, uint64_t g) const {
    const auto n = static_cast<uint64_t>(static_cast<unsigned __int128>(g) * of / groups_) + 1;
    return std::min(of, n);
  }
  uint64_t ArtistsAfter(uint64_t g) const { return After(artists_, g); }
  uint64_t LabelsAfter(uint64_t g) const { return After(labels_, g); }
  bool NewAt(uint64_t of, uint64_t g) const { return g == 0 || After(of, g) > After(of, g - 1); }

  // ---- reference data ----

  bool NextTx(edn::Node* tx) {
    switch (ref_phase_) {
      case 0: {  // enums
        for (const EnumDef& e : EnumValues()) {
          edn::Node m = edn::Node::Map();
          Put(&m, "db/ident", Kw(e.ident));
          const std::string ident = e.ident;
          Put(&m, ident.substr(0, ident.find('/')) + "/name", Str(e.name));
          tx->items.push_back(std::move(m));
        }
        ++ref_phase_;
        return true;
      }
      case 1:
        Idents(Countries(), "country", 0, Countries().size(), tx);
        ++ref_phase_;
        return true;
      case 2: {
        const size_t end = std::min(Languages().size(), ref_next_ + kLanguagesPerTx);
        Idents(Languages(), "language", ref_next_, end, tx);
        ref_next_ = end;
        if (ref_next_ == Languages().size()) ++ref_phase_;
        return true;
      }
      case 3:
        Idents(Scripts(), "script", 0, Scripts().size(), tx);
        ++ref_phase_;
        return true;
      default:
        break;
    }
    if (step_ >= groups_) return false;
    BeginTx();
    const uint64_t end = std::min(groups_, step_ + kMbrainzSynthGroupsPerTx);
    for (; step_ < end; ++step_) MakeStep(step_, tx);
    return true;
  }

  static void Idents(const std::vector<CodeName>& v, const std::string& ns, size_t begin, size_t end, edn::Node* tx) {
    for (size_t i = begin; i < end; ++i) {
      edn::Node m = edn::Node::Map();
      Put(&m, "db/ident", Kw(ns + "/" + v[i].code));
      Put(&m, ns + "/name", Str(v[i].name));
      Put(&m, ns + "/code", Str(v[i].code));
      tx->items.push_back(std::move(m));
    }
  }

  // ---- entities ----

  Uuid GidOf(uint64_t kind, uint64_t n) const { return DerivedGid(seed_, kind, n); }

  // Entities made in this transaction are named by tempid, earlier ones by
  // lookup ref.
  edn::Node Ref(uint64_t kind, uint64_t n) const {
    switch (kind) {
      case kArtist:
        if (n >= tx_first_artist_) return Str(Num('a', n));
        return LookupRef("artist/gid", Gid(GidOf(kArtist, n)));
      case kLabel:
        if (n >= tx_first_label_) return Str(Num('l', n));
        return LookupRef("label/gid", Gid(GidOf(kLabel, n)));
      case kGroup:
        if (n >= tx_first_group_) return Str(Num('g', n));
        return LookupRef("abstractRelease/gid", Gid(GidOf(kGroup, n)));
      default:
        return LookupRef("release/gid", Gid(GidOf(kRelease, n)));
    }
  }

  ArtistData Artist(uint64_t a) const {
    ArtistData d;
    if (a == 0) {
      d.name = d.sort_name = "Various Artists";
      return d;
    }
    Rng rng(Key(seed_, kArtist, a));
    d.type = Pick(rng, ArtistTypes());
    const std::string_view type = d.type ? d.type : "";
    if (type == "artist.type/person") {
      const std::string first = Word(rng, rng.Between(2, 3)), last = Word(rng, rng.Between(2, 3));
      d.name = first + " " + last;
      d.sort_name = last + ", " + first;
      static constexpr Choice kGenders[] = {
          {"artist.gender/male", 1325}, {"artist.gender/female", 309}, {"artist.gender/other", 1}};
      if (rng.Chance(0.729)) d.gender = Pick(rng, kGenders);
    } else if (type == "artist.type/group" && rng.Chance(0.36)) {
      const std::string core = Word(rng, rng.Between(2, 3)) + "s";
      d.name = "The " + core;
      d.sort_name = core + ", The";
    } else {
      d.name = Word(rng, rng.Between(1, 3));
      if (rng.Chance(0.65)) d.name += " " + Word(rng, rng.Between(1, 3));
      d.sort_name = d.name;
    }
    d.country = Pick(rng, Measured().artist_country);
    if (rng.Chance(0.643)) {
      d.start[0] = static_cast<int>(FromQuantiles(rng, ArtistStartYears()));
      if (rng.Chance(0.627)) {
        d.start[1] = rng.Between(1, 12);
        if (rng.Chance(0.978)) d.start[2] = rng.Between(1, 28);
      }
      if (rng.Chance(0.463)) {
        d.end[0] = std::max(d.start[0], static_cast<int>(FromQuantiles(rng, ArtistEndYears())));
        if (rng.Chance(0.606)) {
          d.end[1] = rng.Between(1, 12);
          if (rng.Chance(0.966)) d.end[2] = rng.Between(1, 28);
        }
      }
    }
    return d;
  }

  edn::Node ArtistEntity(uint64_t a) const {
    const ArtistData d = Artist(a);
    edn::Node m = MapOf(13);
    Put(&m, "db/id", Str(Num('a', a)));
    Put(&m, "artist/gid", Gid(GidOf(kArtist, a)));
    Put(&m, "artist/name", Str(d.name));
    Put(&m, "artist/sortName", Str(d.sort_name));
    if (d.type) Put(&m, "artist/type", Kw(d.type));
    if (d.gender) Put(&m, "artist/gender", Kw(d.gender));
    if (d.country) Put(&m, "artist/country", Kw(std::string("country/") + d.country));
    static constexpr const char* kStart[] = {"artist/startYear", "artist/startMonth", "artist/startDay"};
    static constexpr const char* kEnd[] = {"artist/endYear", "artist/endMonth", "artist/endDay"};
    for (int i = 0; i < 3; ++i) {
      if (d.start[i]) Put(&m, kStart[i], Long(d.start[i]));
      if (d.end[i]) Put(&m, kEnd[i], Long(d.end[i]));
    }
    return m;
  }

  edn::Node LabelEntity(uint64_t l) const {
    Rng rng(Key(seed_, kLabel, l));
    static constexpr Choice kSuffixes[] = {{" Records", 35}, {"", 35}, {" Music", 8}, {" Sound", 5},
                                           {" Productions", 4}, {" International", 3}, {" Disques", 3},
                                           {" Recordings", 7}};
    std::string name = Word(rng, rng.Between(1, 3)) + Pick(rng, kSuffixes);
    edn::Node m = MapOf(12);
    Put(&m, "db/id", Str(Num('l', l)));
    Put(&m, "label/gid", Gid(GidOf(kLabel, l)));
    Put(&m, "label/name", Str(name));
    Put(&m, "label/sortName", Str(name));
    if (const char* t = Pick(rng, LabelTypes())) Put(&m, "label/type", Kw(t));
    if (const char* c = Pick(rng, Measured().label_country)) Put(&m, "label/country", Kw(std::string("country/") + c));
    int start = 0;
    if (rng.Chance(0.304)) {
      static constexpr Knot kYears[] = {{0, 1890}, {0.2, 1940}, {0.5, 1962}, {0.8, 1969}, {1, 1973}};
      start = static_cast<int>(FromQuantiles(rng, kYears));
      Put(&m, "label/startYear", Long(start));
      if (rng.Chance(0.10)) {
        Put(&m, "label/startMonth", Long(rng.Between(1, 12)));
        if (rng.Chance(0.65)) Put(&m, "label/startDay", Long(rng.Between(1, 28)));
      }
    }
    if (rng.Chance(0.115)) {
      Put(&m, "label/endYear", Long(std::max(start, rng.Between(1965, 2012))));
      if (rng.Chance(0.086)) {
        Put(&m, "label/endMonth", Long(rng.Between(1, 12)));
        if (rng.Chance(0.67)) Put(&m, "label/endDay", Long(rng.Between(1, 28)));
      }
    }
    return m;
  }

  // Group g as made at step g (a pure function of g).
  GroupData Group(uint64_t g) const {
    GroupData d;
    Rng rng(Key(seed_, kGroup, g));
    d.type = Pick(rng, GroupTypes());
    if (d.type && std::string_view(d.type) == "release.type/single" && rng.Chance(0.6)) {
      d.name = Title(rng, kSideLength) + " / " + Title(rng, kSideLength);
    } else {
      d.name = Title(rng, ReleaseNameLengths());
    }
    d.year = std::atoi(Pick(rng, ReleaseYears()));
    const uint64_t n = ArtistsAfter(g);
    uint64_t primary;
    if (NewAt(artists_, g)) primary = n - 1;
    else if (n == 1 || rng.Chance(kVariousArtists)) primary = 0;
    else primary = artist_picker_.Pick(rng, 1, n);
    d.artists.push_back(primary);
    const double u = rng.Uniform();
    const size_t want = u < 0.9709 ? 1 : u < 0.9976 ? 2 : u < 0.9994 ? 3 : 4;
    for (int tries = 0; d.artists.size() < want && n > 2 && tries < 16; ++tries) {
      const uint64_t a = artist_picker_.Pick(rng, 1, n);
      if (std::find(d.artists.begin(), d.artists.end(), a) == d.artists.end()) d.artists.push_back(a);
    }
    for (size_t i = 0; i < d.artists.size(); ++i) {
      if (i > 0) d.credit += i + 1 == d.artists.size() ? " & " : ", ";
      d.credit += Artist(d.artists[i]).name;
    }
    return d;
  }

  edn::Node GroupEntity(uint64_t g, const GroupData& d) const {
    edn::Node m = MapOf(6);
    Put(&m, "db/id", Str(Num('g', g)));
    Put(&m, "abstractRelease/gid", Gid(GidOf(kGroup, g)));
    Put(&m, "abstractRelease/name", Str(d.name));
    Put(&m, "abstractRelease/artistCredit", Str(d.credit));
    if (d.type) Put(&m, "abstractRelease/type", Kw(d.type));
    edn::Node artists = edn::Node::Vector();
    artists.items.reserve(d.artists.size());
    for (uint64_t a : d.artists) artists.items.push_back(Ref(kArtist, a));
    Put(&m, "abstractRelease/artists", std::move(artists));
    return m;
  }

  static ReleaseOwn Own(Rng& rng) {
    ReleaseOwn o;
    o.status = Pick(rng, ReleaseStatuses());
    o.country = Pick(rng, Measured().release_country);
    o.language = Pick(rng, Measured().release_language);
    o.script = Pick(rng, Measured().release_script);
    o.packaging = Pick(rng, Packagings());
    if (rng.Chance(0.183)) {
      o.month = rng.Between(1, 12);
      if (rng.Chance(0.43)) o.day = rng.Between(1, 28);
    }
    if (rng.Chance(0.047)) {
      o.barcode = "0";
      for (int i = 0; i < 11; ++i) o.barcode += static_cast<char>('0' + rng.Below(10));
    }
    return o;
  }

  // Release r of group g, made at step `step`; `new_label` is a label made
  // at this step that the release must carry (or ~0).
  edn::Node ReleaseEntity(uint64_t r, uint64_t g, const GroupData& group, uint64_t step, bool first,
                          uint64_t new_label) const {
    Rng rng(Key(seed_, kRelease, r));
    const ReleaseOwn o = Own(rng);
    edn::Node m = MapOf(16);
    Put(&m, "release/gid", Gid(GidOf(kRelease, r)));
    Put(&m, "release/name", Str(first || rng.Chance(0.9) ? group.name : Title(rng, ReleaseNameLengths())));
    Put(&m, "release/artistCredit", Str(group.credit));
    Put(&m, "release/abstractRelease", Ref(kGroup, g));
    edn::Node artists = edn::Node::Vector();
    artists.items.reserve(group.artists.size());
    for (uint64_t a : group.artists) artists.items.push_back(Ref(kArtist, a));
    Put(&m, "release/artists", artists);
    Put(&m, "release/year", Long(first ? group.year : std::min(1973, group.year + (rng.Chance(0.7) ? 0 : rng.Between(1, 2)))));
    if (o.month) Put(&m, "release/month", Long(o.month));
    if (o.day) Put(&m, "release/day", Long(o.day));
    if (o.status) Put(&m, "release/status", Str(o.status));
    if (o.country) Put(&m, "release/country", Kw(std::string("country/") + o.country));
    if (o.language) Put(&m, "release/language", Kw(std::string("language/") + o.language));
    if (o.script) Put(&m, "release/script", Kw(std::string("script/") + o.script));
    if (o.packaging) Put(&m, "release/packaging", Kw(o.packaging));
    if (!o.barcode.empty()) Put(&m, "release/barcode", Str(o.barcode));
    const double u = rng.Uniform();
    size_t want = u < 0.237 ? 0 : u < 0.9976 ? 1 : u < 0.9998 ? 2 : 3;
    std::vector<uint64_t> labels;
    if (new_label != ~uint64_t{0}) {
      labels.push_back(new_label);
      want = std::max<size_t>(want, 1);
    }
    const uint64_t n = LabelsAfter(step);
    for (int tries = 0; labels.size() < want && tries < 16; ++tries) {
      const uint64_t l = label_picker_.Pick(rng, 0, n);
      if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
    }
    if (!labels.empty()) {
      edn::Node refs = edn::Node::Vector();
      for (uint64_t l : labels) refs.items.push_back(Ref(kLabel, l));
      Put(&m, "release/labels", std::move(refs));
    }
    Put(&m, "release/media", SynthesizeMedia(Key(seed_, kMedia, r), TypeOf(group.type), artists.items));
    return m;
  }

  // ---- the stream ----

  void BeginTx() {
    tx_first_artist_ = artists_made_;
    tx_first_label_ = labels_made_;
    tx_first_group_ = step_;
    tx_first_release_ = releases_made_;
    touched_.clear();
  }

  void MakeStep(uint64_t g, edn::Node* tx) {
    for (const uint64_t n = ArtistsAfter(g); artists_made_ < n; ++artists_made_)
      tx->items.push_back(ArtistEntity(artists_made_));
    uint64_t new_label = ~uint64_t{0};
    for (const uint64_t n = LabelsAfter(g); labels_made_ < n; ++labels_made_) {
      tx->items.push_back(LabelEntity(labels_made_));
      new_label = labels_made_;
    }
    const GroupData group = Group(g);
    tx->items.push_back(GroupEntity(g, group));
    Rng rng(Key(seed_, kTxBatch, g));
    bool first = true;
    do {
      tx->items.push_back(ReleaseEntity(releases_made_++, g, group, g, first, first ? new_label : ~uint64_t{0}));
      first = false;
    } while (rng.Chance(kExtraRelease));
    if (g > 0 && rng.Chance(kReRelease)) {
      const uint64_t h = group_picker_.Pick(rng, 0, g);
      tx->items.push_back(ReleaseEntity(releases_made_++, h, Group(h), g, false, ~uint64_t{0}));
    }
    Corrections(g, rng, tx);
  }

  // Updates to entities of earlier transactions, each touched once per
  // transaction so no two operations clash.
  void Corrections(uint64_t g, Rng& rng, edn::Node* tx) {
    auto fresh = [&](uint64_t kind, uint64_t n) { return touched_.insert({kind, n}).second; };
    auto add = [&](edn::Node e, const char* attr, edn::Node v) {
      tx->items.push_back(edn::Node::Vector({Kw("db/add"), std::move(e), Kw(attr), std::move(v)}));
    };
    auto retract = [&](edn::Node e, const char* attr) {
      tx->items.push_back(edn::Node::Vector({Kw("db/retract"), std::move(e), Kw(attr)}));
    };
    if (tx_first_artist_ > 1 && rng.Chance(kRename)) {
      const uint64_t a = 1 + rng.Below(tx_first_artist_ - 1);
      if (fresh(kArtist, a)) {
        const std::string name = Artist(a).name + " " + Word(rng, rng.Between(1, 2));
        add(Ref(kArtist, a), "artist/name", Str(name));
        add(Ref(kArtist, a), "artist/sortName", Str(name));
      }
    }
    if (tx_first_release_ > 0 && rng.Chance(kStatusFix)) {
      const uint64_t r = rng.Below(tx_first_release_);
      static constexpr Choice kFixes[] = {{"Official", 6}, {"Promotion", 2}, {"Bootleg", 1}, {"Pseudo-Release", 1}};
      if (fresh(kRelease, r)) add(Ref(kRelease, r), "release/status", Str(Pick(rng, kFixes)));
    }
    if (tx_first_release_ > 0 && rng.Chance(kRetractBarcode)) {
      // A release that has a barcode, recomputed from its own stream.
      for (int tries = 0; tries < 64; ++tries) {
        const uint64_t r = rng.Below(tx_first_release_);
        Rng own(Key(seed_, kRelease, r));
        if (Own(own).barcode.empty()) continue;
        if (fresh(kRelease, r)) retract(Ref(kRelease, r), "release/barcode");
        break;
      }
    }
    if (tx_first_label_ > 0 && rng.Chance(kLabelEnd)) {
      const uint64_t l = rng.Below(tx_first_label_);
      if (fresh(kLabel, l)) add(Ref(kLabel, l), "label/endYear", Long(rng.Between(1974, 2012)));
    }
    if (tx_first_release_ > 0 && rng.Chance(kRetractLabels)) {
      const uint64_t r = rng.Below(tx_first_release_);
      if (fresh(kRelease, r)) retract(Ref(kRelease, r), "release/labels");
    }
    if (tx_first_group_ > 0 && rng.Chance(kGroupTypeFix)) {
      const uint64_t h = rng.Below(tx_first_group_);
      if (fresh(kGroup, h)) add(Ref(kGroup, h), "abstractRelease/type", Kw("release.type/album"));
    }
    (void)g;
  }

  // ---- reads ----

  void NextRead(Step* out) {
    out->kind = Step::Kind::kRead;
    out->tx = edn::Node();
    const uint64_t kinds = releases_made_ > 0 ? 4 : 2;
    const Uuid artist = GidOf(kArtist, reads_.Below(artists_made_));
    switch (reads_.Below(kinds)) {
      case 0:
        out->read_name = "artist-by-gid";
        out->read = [artist](const Database& db) { return ReadArtistByGid(db, artist); };
        break;
      case 1: {
        out->read_name = "country-artists";
        const char* c = nullptr;
        while (c == nullptr) c = Pick(reads_, Measured().artist_country);
        out->read = [code = std::string(c)](const Database& db) { return ReadCountryArtists(db, code); };
        break;
      }
      case 2:
        out->read_name = "releases-of-artist";
        out->read = [artist](const Database& db) { return ReadReleasesOfArtist(db, artist); };
        break;
      default: {
        out->read_name = "release-tracks";
        const Uuid release = GidOf(kRelease, reads_.Below(releases_made_));
        out->read = [release](const Database& db) { return ReadReleaseTracks(db, release); };
        break;
      }
    }
  }

  WorkloadOptions options_;
  uint64_t seed_;
  uint64_t groups_, artists_, labels_;  // totals at this scale
  ClassPicker artist_picker_, label_picker_, group_picker_;
  Rng reads_;
  ReadPacer pacer_;

  int ref_phase_ = 0;     // 0 enums, 1 countries, 2 languages, 3 scripts, 4 groups
  size_t ref_next_ = 0;   // next language
  uint64_t step_ = 0;     // next group
  uint64_t artists_made_ = 0, labels_made_ = 0, releases_made_ = 0;
  uint64_t tx_first_artist_ = 0, tx_first_label_ = 0, tx_first_group_ = 0, tx_first_release_ = 0;
  std::set<std::pair<uint64_t, uint64_t>> touched_;  // (kind, n) corrected in this transaction
};

}  // namespace

edn::Node MbrainzSchemaTx() {
  edn::Node tx = edn::Node::Vector();
  for (const AttrDef& a : SchemaAttributes()) {
    edn::Node m = edn::Node::Map();
    Put(&m, "db/ident", Kw(a.ident));
    Put(&m, "db/valueType", Kw(std::string("db.type/") + a.type));
    Put(&m, "db/cardinality", Kw(a.many ? "db.cardinality/many" : "db.cardinality/one"));
    if (a.unique) Put(&m, "db/unique", Kw(std::string("db.unique/") + a.unique));
    if (a.component) Put(&m, "db/isComponent", edn::Node::Bool(true));
    if (a.fulltext) Put(&m, "db/fulltext", edn::Node::Bool(true));
    tx.items.push_back(std::move(m));
  }
  return tx;
}

std::unique_ptr<Workload> NewMbrainzSynthWorkload(const WorkloadOptions& options) {
  return std::make_unique<SynthWorkload>(options);
}

}  // namespace strata::workloads
