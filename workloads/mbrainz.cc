// The "mbrainz" workload: an importer for the real 1968–1973 subset (see
// mbrainz.h). A state machine over the files, one phase per entity kind;
// each Next() fills one transaction from the current phase.

#include "workloads/mbrainz.h"

#include <unistd.h>
#include <zstd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "strata/connection.h"
#include "strata/env.h"
#include "workloads/mbrainz_gen.h"

namespace strata::workloads {

using mbz::Kw;
using mbz::Put;

namespace {

constexpr const char* kSubset = "subset-1968-1973";
constexpr const char* kMediaFn = "mbrainz.import/media";
constexpr const char* kFailFn = "mbrainz.import/fail";

// Entities per transaction, per phase: a few hundred, like a real importer;
// media carry ~38 datoms per release, so fewer of them.
constexpr size_t kEntitiesPerTx = 250;
constexpr size_t kLinksPerTx = 500;
constexpr size_t kReleasesWithMediaPerTx = 50;

bool HasSubset(const std::string& dir) {
  if (dir.empty()) return false;
  const std::string schema = dir + "/" + kSubset + "/schema.edn";
  return Env::Default()->FileExists(schema) || Env::Default()->FileExists(schema + ".zst");
}

// `dir` as the mbrainz folder, its subset folder, or a folder holding mbrainz/.
std::optional<std::string> Resolve(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (HasSubset(dir)) return dir;
  const std::string suffix = std::string("/") + kSubset;
  if (dir.size() > suffix.size() && dir.ends_with(suffix)) {
    std::string up = dir.substr(0, dir.size() - suffix.size());
    if (HasSubset(up)) return up;
  }
  if (HasSubset(dir + "/mbrainz")) return dir + "/mbrainz";
  return std::nullopt;
}

std::optional<std::string> WalkUp(std::string dir) {
  while (!dir.empty()) {
    if (HasSubset(dir + "/datasets/mbrainz")) return dir + "/datasets/mbrainz";
    const size_t slash = dir.find_last_of('/');
    if (slash == std::string::npos || dir == "/") break;
    dir = slash == 0 ? "/" : dir.substr(0, slash);
    if (dir == "/") {
      if (HasSubset("/datasets/mbrainz")) return std::string("/datasets/mbrainz");
      break;
    }
  }
  return std::nullopt;
}

struct UuidHash {
  size_t operator()(const Uuid& u) const { return mbz::Mix(u.hi ^ (u.lo * 0x9E3779B97F4A7C15ULL)); }
};

// One EDN file read form by form. The text stays in memory (the largest
// file is 4 MB); the forms are never gathered into one tree. With
// `inside_map`, the file is one map whose entries are read one at a time
// (key, value, key, value...).
class FormStream {
 public:
  static Result<std::unique_ptr<FormStream>> Open(const std::string& path, bool inside_map) {
    auto text = ReadDataFile(path);
    if (!text.ok()) return text.status().WithContext("mbrainz: reading " + path);
    auto s = std::unique_ptr<FormStream>(new FormStream(path, std::move(*text)));
    std::string_view view = s->text_;
    if (inside_map) {
      const size_t open = view.find('{'), close = view.rfind('}');
      if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return Status::InvalidArgument("mbrainz: " + path + " is not one EDN map");
      view = view.substr(open + 1, close - open - 1);
    }
    s->reader_.emplace(view);
    return s;
  }
  // The next form; false at the end or on error (status() says which).
  bool Next(edn::Node* out) {
    if (!status_.ok()) return false;
    if (reader_->Next(out, &status_)) return true;
    if (!status_.ok()) status_ = status_.WithContext("mbrainz: " + path_);
    return false;
  }
  const Status& status() const { return status_; }

 private:
  FormStream(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {}
  std::string path_;
  std::string text_;
  std::optional<edn::Reader> reader_;  // reads text_
  Status status_;
};

// Top-level forms in a file, counted by lines that open one (for ETAs).
uint64_t CountRows(const std::string& path, std::string_view marker) {
  auto text = ReadDataFile(path);
  if (!text.ok()) return 0;
  uint64_t n = 0;
  for (size_t pos = 0; (pos = text->find(marker, pos)) != std::string::npos; pos += marker.size()) ++n;
  return n;
}

// Tempids for entities named by gid. The first reference in a transaction
// adds {:db/id tempid, attr gid} (an upsert, or a gid-only stub when the
// entity does not exist yet); later ones reuse the tempid.
class GidRefs {
 public:
  edn::Node Ref(std::string_view attr, const Uuid& gid, edn::Node* ops) {
    std::string tempid = std::string(attr) + " " + gid.ToString();
    if (seen_.insert(tempid).second) {
      edn::Node m = edn::Node::Map();
      Put(&m, "db/id", mbz::Str(tempid));
      Put(&m, attr, mbz::Gid(gid));
      ops->items.push_back(std::move(m));
    }
    return mbz::Str(std::move(tempid));
  }
  void Reset() { seen_.clear(); }

 private:
  std::unordered_set<std::string> seen_;
};

// How a row value becomes an attribute value.
enum class Conv : uint8_t { kValue, kEnum, kCountry, kLanguage, kScript, kSkip };

struct Field {
  std::string_view key;   // row key, without the colon
  std::string_view attr;  // the attribute
  Conv conv = Conv::kValue;
  const char* table = nullptr;  // enums.edn table, for kEnum
};

constexpr Field kArtistFields[] = {
    {"gid", "artist/gid"},
    {"name", "artist/name"},
    {"sortname", "artist/sortName"},
    {"type", "artist/type", Conv::kEnum, "artist_type"},
    {"gender", "artist/gender", Conv::kEnum, "gender"},
    {"country", "artist/country", Conv::kCountry},
    {"begin_date_year", "artist/startYear"},
    {"begin_date_month", "artist/startMonth"},
    {"begin_date_day", "artist/startDay"},
    {"end_date_year", "artist/endYear"},
    {"end_date_month", "artist/endMonth"},
    {"end_date_day", "artist/endDay"},
};

constexpr Field kLabelFields[] = {
    {"gid", "label/gid"},
    {"name", "label/name"},
    {"sort_name", "label/sortName"},
    {"type", "label/type", Conv::kEnum, "label_type"},
    {"country", "label/country", Conv::kCountry},
    {"begin_date_year", "label/startYear"},
    {"begin_date_month", "label/startMonth"},
    {"begin_date_day", "label/startDay"},
    {"end_date_year", "label/endYear"},
    {"end_date_month", "label/endMonth"},
    {"end_date_day", "label/endDay"},
};

constexpr Field kGroupFields[] = {
    {"gid", "abstractRelease/gid"},
    {"name", "abstractRelease/name"},
    {"type", "abstractRelease/type", Conv::kEnum, "release_group_type"},
    {"artist_credit", "abstractRelease/artistCredit"},
};

// :label, :release_group and :acid are handled by the release phase.
constexpr Field kReleaseFields[] = {
    {"gid", "release/gid"},
    {"name", "release/name"},
    {"artist_credit", "release/artistCredit"},
    {"status", "release/status"},
    {"country", "release/country", Conv::kCountry},
    {"language", "release/language", Conv::kLanguage},
    {"script", "release/script", Conv::kScript},
    {"packaging", "release/packaging", Conv::kEnum, "release_packaging"},
    {"barcode", "release/barcode"},
    {"date_year", "release/year"},
    {"date_month", "release/month"},
    {"date_day", "release/day"},
    {"label", "", Conv::kSkip},
    {"release_group", "", Conv::kSkip},
    {"acid", "", Conv::kSkip},
};

enum class Phase : uint8_t {
  kEnums, kCountries, kLanguages, kScripts, kArtists, kGroups, kGroupArtists, kLabels, kReleases,
  kReleaseArtists, kMedia, kDone,
};

class MbrainzImport final : public Workload {
 public:
  MbrainzImport(const WorkloadOptions& options, std::string dir, edn::Node schema)
      : options_(options), dir_(std::move(dir)), schema_(std::move(schema)), reads_(mbz::Key(options.seed, mbz::kRead, 0)) {
    EstimateSteps();
  }

  std::string name() const override { return "mbrainz"; }
  std::string Provenance() const override {
    return "real: the MusicBrainz 1968-1973 extract (artists, releases, labels, release groups, credits, enums) "
           "from " + dir_ + "; synthesized: media and tracks (the extract has none), deterministically from "
           "the seed with the published totals";
  }
  std::vector<edn::Node> Schema() const override { return {schema_}; }
  uint64_t EstimatedSteps() const override { return estimated_steps_; }

  void RegisterTxFunctions(Connection& conn) const override {
    // [:mbrainz.import/media release-ref [medium...]]: the media, unless the
    // release has some already (re-imports add nothing).
    conn.RegisterTxFunction(kMediaFn, [](const Database& db, const std::vector<edn::Node>& args) -> Result<edn::Node> {
      if (args.size() != 2) return Status::InvalidArgument("takes a release and its media");
      STRATA_ASSIGN_OR_RETURN(EntityId release, db.Entid(args[0]));
      const Attribute* media = db.attribute("release/media");
      if (media == nullptr) return Status::NotFound("no attribute :release/media");
      STRATA_ASSIGN_OR_RETURN(std::vector<strata::Value> have, db.Values(release, media->id));
      if (!have.empty()) return edn::Node::Vector();
      edn::Node m = edn::Node::Map();
      Put(&m, "db/id", edn::Node::Long(static_cast<int64_t>(release)));
      Put(&m, "release/media", args[1]);
      return edn::Node::Vector({std::move(m)});
    });
    // [:mbrainz.import/fail "why"]: how an import error reaches the runner.
    conn.RegisterTxFunction(kFailFn, [](const Database&, const std::vector<edn::Node>& args) -> Result<edn::Node> {
      return Status::InvalidArgument(args.empty() ? "mbrainz import failed" : args[0].s);
    });
  }

  bool Next(Step* out) override {
    if (pacer_.Due() && NextRead(out)) {
      pacer_.Read();
      return true;
    }
    edn::Node tx;
    if (!NextTx(&tx)) return false;
    SetTransact(out, std::move(tx));
    pacer_.Transacted(options_.read_ratio);
    return true;
  }

 private:
  struct Release {
    Uuid gid;
    mbz::GroupType type;
  };

  std::string Path(const char* file) const { return dir_ + "/" + kSubset + "/" + file; }

  void EstimateSteps() {
    auto batches = [](uint64_t n, uint64_t per) { return (n + per - 1) / per; };
    uint64_t tx = 1 + 1 + 1;  // enums, countries, scripts
    tx += batches(CountRows(Path("langs.edn"), "{:db/ident"), kLinksPerTx);
    tx += batches(CountRows(Path("artists.edn"), "\n{"), kEntitiesPerTx);
    tx += batches(CountRows(Path("areleases.edn"), "\n{"), kEntitiesPerTx);
    tx += batches(CountRows(Path("areleases-artists.edn"), "\n{"), kLinksPerTx);
    tx += batches(CountRows(Path("labels.edn"), "\n{"), kEntitiesPerTx);
    const uint64_t releases = CountRows(Path("releases.edn"), "\n{");
    tx += batches(releases, kEntitiesPerTx);
    tx += batches(CountRows(Path("releases-artists.edn"), "\n{"), kLinksPerTx);
    tx += batches(releases, kReleasesWithMediaPerTx);
    estimated_steps_ = static_cast<uint64_t>(static_cast<double>(tx) * (1 + std::max(0.0, options_.read_ratio)));
  }

  // ---- transactions ----

  bool NextTx(edn::Node* tx) {
    while (phase_ != Phase::kDone) {
      edn::Node ops = edn::Node::Vector();
      refs_.Reset();
      Status s = Fill(&ops);
      if (!s.ok()) {
        phase_ = Phase::kDone;
        *tx = edn::Node::Vector({edn::Node::Vector({Kw(kFailFn), mbz::Str(s.message())})});
        return true;
      }
      if (!ops.items.empty()) {
        *tx = std::move(ops);
        return true;
      }
      phase_ = static_cast<Phase>(static_cast<int>(phase_) + 1);
      stream_.reset();
    }
    return false;
  }

  // Opens the phase's file on first use.
  Status Stream(const char* file, bool inside_map = false) {
    if (stream_) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(stream_, FormStream::Open(Path(file), inside_map));
    return Status::OK();
  }

  // Up to `n` rows of the phase's stream into `fn`.
  template <typename Fn>
  Status Rows(size_t n, Fn fn) {
    edn::Node row;
    for (size_t i = 0; i < n && stream_->Next(&row); ++i) STRATA_RETURN_IF_ERROR(fn(row));
    return stream_->status();
  }

  Status Fill(edn::Node* ops) {
    switch (phase_) {
      case Phase::kEnums: return FillEnums(ops);
      case Phase::kCountries: return FillIdents("countries.edn", "country", &countries_, kEntitiesPerTx * 4, ops);
      case Phase::kLanguages: return FillIdents("langs.edn", "language", &languages_, kLinksPerTx, ops);
      case Phase::kScripts: return FillIdents("scripts.edn", "script", &scripts_, kEntitiesPerTx * 4, ops);
      case Phase::kArtists:
        STRATA_RETURN_IF_ERROR(Stream("artists.edn"));
        return Rows(kEntitiesPerTx, [&](const edn::Node& row) -> Status {
          STRATA_ASSIGN_OR_RETURN(edn::Node e, Convert(row, kArtistFields));
          const edn::Node* gid = row.Get("gid");
          const edn::Node* country = row.Get("country");
          if (gid && gid->is(edn::Kind::kUuid)) {
            artists_.push_back(gid->uuid);
            artist_countries_.push_back(country && country->is(edn::Kind::kString) ? country->s : "");
          }
          ops->items.push_back(std::move(e));
          return Status::OK();
        });
      case Phase::kGroups:
        STRATA_RETURN_IF_ERROR(Stream("areleases.edn"));
        return Rows(kEntitiesPerTx, [&](const edn::Node& row) -> Status {
          STRATA_ASSIGN_OR_RETURN(edn::Node e, Convert(row, kGroupFields));
          const edn::Node* gid = row.Get("gid");
          const edn::Node* type = row.Get("type");
          if (gid && gid->is(edn::Kind::kUuid))
            group_types_[gid->uuid] = mbz::ParseGroupType(type && type->is(edn::Kind::kString) ? type->s : "");
          ops->items.push_back(std::move(e));
          return Status::OK();
        });
      case Phase::kGroupArtists:
        STRATA_RETURN_IF_ERROR(Stream("areleases-artists.edn"));
        return Rows(kLinksPerTx, [&](const edn::Node& row) {
          return Link(row, "release_group", "abstractRelease/gid", "abstractRelease/artists", ops);
        });
      case Phase::kLabels:
        STRATA_RETURN_IF_ERROR(Stream("labels.edn"));
        return Rows(kEntitiesPerTx, [&](const edn::Node& row) -> Status {
          STRATA_ASSIGN_OR_RETURN(edn::Node e, Convert(row, kLabelFields));
          ops->items.push_back(std::move(e));
          return Status::OK();
        });
      case Phase::kReleases: return FillReleases(ops);
      case Phase::kReleaseArtists:
        STRATA_RETURN_IF_ERROR(Stream("releases-artists.edn"));
        return Rows(kLinksPerTx, [&](const edn::Node& row) -> Status {
          const edn::Node* r = row.Get("release");
          const edn::Node* a = row.Get("artist");
          if (r && a && r->is(edn::Kind::kUuid) && a->is(edn::Kind::kUuid)) release_artists_[r->uuid].push_back(a->uuid);
          return Link(row, "release", "release/gid", "release/artists", ops);
        });
      case Phase::kMedia: return FillMedia(ops);
      case Phase::kDone: return Status::OK();
    }
    return Status::OK();
  }

  Status FillEnums(edn::Node* ops) {
    if (enums_loaded_) return Status::OK();
    enums_loaded_ = true;
    // enums.edn: {table {"String" :ident ...} ...}, for the row values.
    auto text = ReadDataFile(Path("enums.edn"));
    if (!text.ok()) return text.status().WithContext("mbrainz: reading enums.edn");
    STRATA_ASSIGN_OR_RETURN(edn::Node tables, edn::ReadOne(*text));
    if (!tables.is(edn::Kind::kMap)) return Status::InvalidArgument("mbrainz: enums.edn is not a map");
    for (size_t i = 0; i + 1 < tables.items.size(); i += 2) {
      const edn::Node& t = tables.items[i + 1];
      for (size_t j = 0; j + 1 < t.items.size(); j += 2) enums_[tables.items[i].s][t.items[j].s] = t.items[j + 1].s;
    }
    // enums-batch.edn: {:batch-ident ... :data [{:db/ident ... :x/name "..."}]}: the enum entities.
    auto batch = ReadDataFile(Path("enums-batch.edn"));
    if (!batch.ok()) return batch.status().WithContext("mbrainz: reading enums-batch.edn");
    STRATA_ASSIGN_OR_RETURN(edn::Node b, edn::ReadOne(*batch));
    const edn::Node* data = b.Get("data");
    if (data == nullptr || !data->is_seq()) return Status::InvalidArgument("mbrainz: enums-batch.edn has no :data");
    ops->items = data->items;
    return Status::OK();
  }

  // countries.edn, langs.edn, scripts.edn: {"code" {:db/ident :ns/code ...}}.
  Status FillIdents(const char* file, const char* ns, std::map<std::string, std::string>* codes, size_t n,
                    edn::Node* ops) {
    STRATA_RETURN_IF_ERROR(Stream(file, /*inside_map=*/true));
    edn::Node code, entity;
    for (size_t i = 0; i < n && stream_->Next(&code); ++i) {
      if (!stream_->Next(&entity)) break;
      const edn::Node* ident = entity.Get("db/ident");
      if (!code.is(edn::Kind::kString) || ident == nullptr || !ident->is(edn::Kind::kKeyword))
        return Status::InvalidArgument(std::string("mbrainz: ") + file + ": expected \"code\" {:db/ident :" + ns +
                                       "/code ...} at " + code.Where());
      (*codes)[code.s] = ident->s;
      ops->items.push_back(std::move(entity));
    }
    return stream_->status();
  }

  Result<edn::Node> Value(const Field& f, const edn::Node& v) const {
    auto lookup = [&](const std::map<std::string, std::string>& m, const char* what) -> Result<edn::Node> {
      auto it = v.is(edn::Kind::kString) ? m.find(v.s) : m.end();
      if (it == m.end()) return Status::InvalidArgument("mbrainz: unknown " + std::string(what) + " " + edn::Print(v));
      return Kw(it->second);
    };
    switch (f.conv) {
      case Conv::kValue: return v;
      case Conv::kCountry: return lookup(countries_, "country");
      case Conv::kLanguage: return lookup(languages_, "language");
      case Conv::kScript: return lookup(scripts_, "script");
      case Conv::kEnum: {
        auto t = enums_.find(f.table);
        if (t == enums_.end()) return Status::InvalidArgument(std::string("mbrainz: enums.edn has no table ") + f.table);
        return lookup(t->second, f.table);
      }
      case Conv::kSkip: break;
    }
    return edn::Node();
  }

  // A row map into an entity map through `fields`; unknown keys are errors.
  template <size_t N>
  Result<edn::Node> Convert(const edn::Node& row, const Field (&fields)[N]) const {
    if (!row.is(edn::Kind::kMap)) return Status::InvalidArgument("mbrainz: a row is not a map at " + row.Where());
    edn::Node e = edn::Node::Map();
    for (size_t i = 0; i + 1 < row.items.size(); i += 2) {
      const edn::Node& k = row.items[i];
      const Field* f = nullptr;
      for (const Field& x : fields)
        if (k.is(edn::Kind::kKeyword) && k.s == x.key) f = &x;
      if (f == nullptr) return Status::InvalidArgument("mbrainz: unexpected key " + edn::Print(k) + " at " + row.Where());
      if (f->conv == Conv::kSkip) continue;
      STRATA_ASSIGN_OR_RETURN(edn::Node v, Value(*f, row.items[i + 1]));
      Put(&e, f->attr, std::move(v));
    }
    return e;
  }

  // {:<owner_key> gid :artist gid} → [:db/add owner attr artist].
  Status Link(const edn::Node& row, const char* owner_key, const char* owner_attr, const char* attr, edn::Node* ops) {
    const edn::Node* owner = row.Get(owner_key);
    const edn::Node* artist = row.Get("artist");
    if (!owner || !artist || !owner->is(edn::Kind::kUuid) || !artist->is(edn::Kind::kUuid))
      return Status::InvalidArgument(std::string("mbrainz: a link needs :") + owner_key + " and :artist uuids at " +
                                     row.Where());
    edn::Node o = refs_.Ref(owner_attr, owner->uuid, ops);
    edn::Node a = refs_.Ref("artist/gid", artist->uuid, ops);
    ops->items.push_back(edn::Node::Vector({Kw("db/add"), std::move(o), Kw(attr), std::move(a)}));
    return Status::OK();
  }

  // Rows with one gid (consecutive in the file) are one release.
  Status FillReleases(edn::Node* ops) {
    if (credits_.empty()) STRATA_RETURN_IF_ERROR(LoadCredits());
    STRATA_RETURN_IF_ERROR(Stream("releases.edn"));
    size_t flushed = 0;
    edn::Node row;
    while (flushed < kEntitiesPerTx) {
      if (!stream_->Next(&row)) {
        STRATA_RETURN_IF_ERROR(stream_->status());
        if (pending_) {
          STRATA_RETURN_IF_ERROR(FlushRelease(ops));
          ++flushed;
        }
        break;
      }
      const edn::Node* gid = row.Get("gid");
      if (gid == nullptr || !gid->is(edn::Kind::kUuid))
        return Status::InvalidArgument("mbrainz: a release row without a :gid uuid at " + row.Where());
      if (pending_ && pending_->Get("gid")->uuid == gid->uuid) {
        if (const edn::Node* label = row.Get("label")) pending_labels_.push_back(*label);
        continue;
      }
      if (pending_) {
        STRATA_RETURN_IF_ERROR(FlushRelease(ops));
        ++flushed;
      }
      pending_labels_.clear();
      if (const edn::Node* label = row.Get("label")) pending_labels_.push_back(*label);
      pending_ = std::move(row);
    }
    return Status::OK();
  }

  Status FlushRelease(edn::Node* ops) {
    const edn::Node& row = *pending_;
    STRATA_ASSIGN_OR_RETURN(edn::Node e, Convert(row, kReleaseFields));
    const Uuid gid = row.Get("gid")->uuid;
    if (row.Get("artist_credit") == nullptr) {
      const edn::Node* acid = row.Get("acid");
      auto it = acid && acid->is(edn::Kind::kLong) ? credits_.find(acid->i) : credits_.end();
      if (it != credits_.end()) Put(&e, "release/artistCredit", mbz::Str(it->second));
    }
    mbz::GroupType type = mbz::GroupType::kNone;
    if (const edn::Node* g = row.Get("release_group")) {
      if (!g->is(edn::Kind::kUuid)) return Status::InvalidArgument("mbrainz: :release_group is not a uuid at " + row.Where());
      Put(&e, "release/abstractRelease", refs_.Ref("abstractRelease/gid", g->uuid, ops));
      auto it = group_types_.find(g->uuid);
      if (it != group_types_.end()) type = it->second;
    }
    edn::Node labels = edn::Node::Vector();
    for (const edn::Node& l : pending_labels_) {
      if (!l.is(edn::Kind::kUuid)) return Status::InvalidArgument("mbrainz: :label is not a uuid at " + row.Where());
      labels.items.push_back(refs_.Ref("label/gid", l.uuid, ops));
    }
    if (!labels.items.empty()) Put(&e, "release/labels", std::move(labels));
    ops->items.push_back(std::move(e));
    releases_.push_back(Release{gid, type});
    pending_.reset();
    pending_labels_.clear();
    return Status::OK();
  }

  Status LoadCredits() {
    STRATA_ASSIGN_OR_RETURN(auto s, FormStream::Open(Path("artist-credits.edn"), false));
    edn::Node row;
    while (s->Next(&row)) {
      const edn::Node* acid = row.Get("acid");
      const edn::Node* name = row.Get("name");
      if (acid && name && acid->is(edn::Kind::kLong) && name->is(edn::Kind::kString)) credits_[acid->i] = name->s;
    }
    return s->status();
  }

  Status FillMedia(edn::Node* ops) {
    const size_t end = std::min(releases_.size(), media_next_ + kReleasesWithMediaPerTx);
    for (; media_next_ < end; ++media_next_) {
      const Release& r = releases_[media_next_];
      std::vector<edn::Node> artists;
      auto it = release_artists_.find(r.gid);
      if (it != release_artists_.end())
        for (const Uuid& a : it->second) artists.push_back(mbz::LookupRef("artist/gid", mbz::Gid(a)));
      const uint64_t key = mbz::Key(options_.seed, mbz::kMedia, mbz::Mix(r.gid.hi) ^ r.gid.lo);
      ops->items.push_back(edn::Node::Vector({Kw(kMediaFn), mbz::LookupRef("release/gid", mbz::Gid(r.gid)),
                                              mbz::SynthesizeMedia(key, r.type, artists)}));
    }
    return Status::OK();
  }

  // ---- reads ----

  bool NextRead(Step* out) {
    if (artists_.empty()) return false;
    const bool links = phase_ > Phase::kReleaseArtists;
    const bool media = media_next_ > 0;
    out->kind = Step::Kind::kRead;
    out->tx = edn::Node();
    const uint64_t pick = reads_.Below(2 + (links ? 1 : 0) + (media ? 1 : 0));
    const size_t a = reads_.Below(artists_.size());
    if (pick == 0) {
      out->read_name = "artist-by-gid";
      out->read = [gid = artists_[a]](const Database& db) { return mbz::ReadArtistByGid(db, gid); };
    } else if (pick == 1) {
      out->read_name = "country-artists";
      std::string code = artist_countries_[a].empty() ? "US" : artist_countries_[a];
      out->read = [code](const Database& db) { return mbz::ReadCountryArtists(db, code); };
    } else if (pick == 2 && links) {
      out->read_name = "releases-of-artist";
      out->read = [gid = artists_[a]](const Database& db) { return mbz::ReadReleasesOfArtist(db, gid); };
    } else {
      out->read_name = "release-tracks";
      const Uuid gid = releases_[reads_.Below(media_next_)].gid;
      out->read = [gid](const Database& db) { return mbz::ReadReleaseTracks(db, gid); };
    }
    return true;
  }

  WorkloadOptions options_;
  std::string dir_;
  edn::Node schema_;
  uint64_t estimated_steps_ = 0;
  mbz::Rng reads_;
  ReadPacer pacer_;

  Phase phase_ = Phase::kEnums;
  std::unique_ptr<FormStream> stream_;  // the current phase's file
  GidRefs refs_;                        // per transaction
  bool enums_loaded_ = false;

  // Lookup tables (small: the subset's reference data).
  std::map<std::string, std::map<std::string, std::string>> enums_;  // table -> string -> ident
  std::map<std::string, std::string> countries_, languages_, scripts_;  // code -> ident
  std::unordered_map<int64_t, std::string> credits_;                     // acid -> name
  std::unordered_map<Uuid, mbz::GroupType, UuidHash> group_types_;

  // What later phases and reads need about earlier ones.
  std::optional<edn::Node> pending_;  // the release whose rows are being merged
  std::vector<edn::Node> pending_labels_;
  std::vector<Release> releases_;  // in file order
  std::unordered_map<Uuid, std::vector<Uuid>, UuidHash> release_artists_;
  size_t media_next_ = 0;  // releases_[0, media_next_) have had their media emitted
  std::vector<Uuid> artists_;
  std::vector<std::string> artist_countries_;
};

}  // namespace

Result<std::string> ReadDataFile(const std::string& path) {
  Env* env = Env::Default();
  if (env->FileExists(path)) return env->ReadFile(path);
  const std::string zst = path + ".zst";
  if (!env->FileExists(zst)) return Status::NotFound(path + " (nor " + zst + ")");
  STRATA_ASSIGN_OR_RETURN(std::string packed, env->ReadFile(zst));
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string text;
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{packed.data(), packed.size(), 0};
  size_t left = 0;  // nonzero while a frame is still open
  for (;;) {
    ZSTD_outBuffer out{buf.data(), buf.size(), 0};
    left = ZSTD_decompressStream(dctx.get(), &out, &in);
    if (ZSTD_isError(left)) return Status::Corruption(zst + ": " + ZSTD_getErrorName(left));
    text.append(buf.data(), out.pos);
    // Done once the input is used up and the decoder had no more to give.
    if (in.pos == in.size && out.pos < out.size) break;
  }
  if (left != 0) return Status::Corruption(zst + ": the compressed data is truncated");
  return text;
}

Result<std::string> FindMbrainzDataDir(const std::string& hint) {
  if (!hint.empty()) {
    if (auto d = Resolve(hint)) return *d;
    return Status::NotFound("mbrainz: no " + std::string(kSubset) + "/schema.edn under --data-dir " + hint);
  }
  std::string looked;
  if (const char* env = std::getenv("STRATA_DATA_DIR"); env && *env) {
    if (auto d = Resolve(env)) return *d;
    looked += std::string("$STRATA_DATA_DIR (") + env + "), ";
  }
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string path(exe, static_cast<size_t>(n));
    if (auto d = WalkUp(path.substr(0, path.find_last_of('/')))) return *d;
    looked += "above " + path + ", ";
  }
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) != nullptr) {
    if (auto d = WalkUp(cwd)) return *d;
    looked += std::string("above ") + cwd;
  }
  return Status::NotFound("mbrainz: no datasets/mbrainz found (looked in " + looked +
                          "); pass --data-dir or set STRATA_DATA_DIR");
}

Result<std::unique_ptr<Workload>> OpenMbrainzWorkload(const WorkloadOptions& options) {
  STRATA_ASSIGN_OR_RETURN(std::string dir, FindMbrainzDataDir(options.data_dir));
  const std::string path = dir + "/" + kSubset + "/schema.edn";
  auto text = ReadDataFile(path);
  if (!text.ok()) return text.status().WithContext("mbrainz: reading " + path);
  auto schema = edn::ReadOne(*text);
  if (!schema.ok()) return schema.status().WithContext("mbrainz: " + path);
  if (!schema->is_seq()) return Status::InvalidArgument("mbrainz: " + path + " is not a vector of attribute maps");
  return std::unique_ptr<Workload>(std::make_unique<MbrainzImport>(options, std::move(dir), std::move(*schema)));
}

}  // namespace strata::workloads
