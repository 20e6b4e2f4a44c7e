// Fixed tables of the synthetic MusicBrainz generator (see mbrainz_tables.h).
// Figures are from datasets/mbrainz/distributions.json and
// subset-stats.json (counts over the subset's 11,510 release rows, 4,601
// artists, 1,207 labels, 10,180 release groups).

#include "workloads/mbrainz_tables.h"

#include <algorithm>
#include <set>

namespace strata::workloads::mbz {

namespace {

constexpr AttrDef kSchema[] = {
    {"country/name", "string", false, "value"},
    {"country/code", "string"},
    {"language/name", "string", false, "value"},
    {"language/code", "string"},
    {"script/name", "string", false, "value"},
    {"script/code", "string"},
    {"artist/gid", "uuid", false, "identity"},
    {"artist/name", "string", false, nullptr, false, true},
    {"artist/sortName", "string"},
    {"artist/type", "ref"},
    {"artist/gender", "ref"},
    {"artist/country", "ref"},
    {"artist/startYear", "long"},
    {"artist/startMonth", "long"},
    {"artist/startDay", "long"},
    {"artist/endYear", "long"},
    {"artist/endMonth", "long"},
    {"artist/endDay", "long"},
    {"abstractRelease/gid", "uuid", false, "identity"},
    {"abstractRelease/name", "string"},
    {"abstractRelease/type", "ref"},
    {"abstractRelease/artists", "ref", true},
    {"abstractRelease/artistCredit", "string", false, nullptr, false, true},
    {"label/gid", "uuid", false, "identity"},
    {"label/name", "string", false, nullptr, false, true},
    {"label/sortName", "string"},
    {"label/type", "ref"},
    {"label/country", "ref"},
    {"label/startYear", "long"},
    {"label/startMonth", "long"},
    {"label/startDay", "long"},
    {"label/endYear", "long"},
    {"label/endMonth", "long"},
    {"label/endDay", "long"},
    {"release/gid", "uuid", false, "identity"},
    {"release/country", "ref"},
    {"release/labels", "ref", true},
    {"release/script", "ref"},
    {"release/language", "ref"},
    {"release/barcode", "string"},
    {"release/name", "string", false, nullptr, false, true},
    {"release/media", "ref", true, nullptr, true},
    {"release/packaging", "ref"},
    {"release/year", "long"},
    {"release/month", "long"},
    {"release/day", "long"},
    {"release/artistCredit", "string", false, nullptr, false, true},
    {"release/artists", "ref", true},
    {"release/abstractRelease", "ref"},
    {"release/status", "string"},
    {"medium/tracks", "ref", true, nullptr, true},
    {"medium/format", "ref"},
    {"medium/position", "long"},
    {"medium/name", "string", false, nullptr, false, true},
    {"medium/trackCount", "long"},
    {"track/artists", "ref", true},
    {"track/artistCredit", "string", false, nullptr, false, true},
    {"track/position", "long"},
    {"track/name", "string", false, nullptr, false, true},
    {"track/duration", "long"},
    {"artist.gender/name", "string"},
    {"artist.type/name", "string"},
    {"release.type/name", "string"},
    {"release.packaging/name", "string"},
    {"medium.format/name", "string"},
    {"label.type/name", "string"},
};

constexpr EnumDef kEnums[] = {
    {"artist.gender/male", "Male"}, {"artist.gender/female", "Female"}, {"artist.gender/other", "Other"},
    {"artist.type/person", "Person"}, {"artist.type/group", "Group"}, {"artist.type/other", "Other"},
    {"release.type/album", "Album"}, {"release.type/single", "Single"}, {"release.type/ep", "EP"},
    {"release.type/audiobook", "Audiobook"}, {"release.type/other", "Other"},
    {"release.packaging/jewelCase", "Jewel Case"}, {"release.packaging/slimJewelCase", "Slim Jewel Case"},
    {"release.packaging/digipak", "Digipak"}, {"release.packaging/other", "Other"},
    {"release.packaging/keepCase", "Keep Case"}, {"release.packaging/none", "None"},
    {"release.packaging/cardboardPaperSleeve", "Cardboard/Paper Sleeve"},
    {"medium.format/cdr", "CD-R"}, {"medium.format/vinyl10", "10\" Vinyl"},
    {"medium.format/usbFlashDrive", "USB Flash Drive"}, {"medium.format/umd", "UMD"},
    {"medium.format/bluray", "Blu-ray"}, {"medium.format/cassette", "Cassette"}, {"medium.format/cd8cm", "8cm CD"},
    {"medium.format/dat", "DAT"}, {"medium.format/reel", "Reel-to-reel"}, {"medium.format/vinyl7", "7\" Vinyl"},
    {"medium.format/cd", "CD"}, {"medium.format/waxCylinder", "Wax Cylinder"}, {"medium.format/svcd", "SVCD"},
    {"medium.format/miniDisc", "MiniDisc"}, {"medium.format/vinyl", "Vinyl"},
    {"medium.format/pianoRoll", "Piano Roll"}, {"medium.format/videotape", "Videotape"},
    {"medium.format/dvdAudio", "DVD-Audio"}, {"medium.format/dvd", "DVD"}, {"medium.format/hddvd", "HD-DVD"},
    {"medium.format/cartridge", "Cartridge"}, {"medium.format/laserDisc", "LaserDisc"},
    {"medium.format/dvdVideo", "DVD-Video"}, {"medium.format/dualDisc", "DualDisc"},
    {"medium.format/slotMusic", "slotMusic"}, {"medium.format/dcc", "DCC"}, {"medium.format/sacd", "SACD"},
    {"medium.format/betamax", "Betamax"}, {"medium.format/digitalMedia", "Digital Media"},
    {"medium.format/hdcd", "HDCD"}, {"medium.format/vhs", "VHS"}, {"medium.format/vinyl12", "12\" Vinyl"},
    {"medium.format/other", "Other"}, {"medium.format/vcd", "VCD"},
    {"label.type/distributor", "Distributor"}, {"label.type/holding", "Holding"},
    {"label.type/production", "Production"}, {"label.type/originalProduction", "Original Production"},
    {"label.type/bootlegProduction", "Bootleg Production"}, {"label.type/reissueProduction", "Reissue Production"},
    {"label.type/publisher", "Publisher"},
};

// Real codes, the subset's most frequent first.
const CodeName kRealCountries[] = {
    {"US", "United States"}, {"GB", "United Kingdom"}, {"FR", "France"}, {"DE", "Germany"}, {"IT", "Italy"},
    {"BR", "Brazil"}, {"CA", "Canada"}, {"NL", "Netherlands"}, {"ES", "Spain"}, {"GR", "Greece"},
    {"JM", "Jamaica"}, {"JP", "Japan"}, {"FI", "Finland"}, {"SE", "Sweden"}, {"AR", "Argentina"},
    {"IE", "Ireland"}, {"AU", "Australia"}, {"EE", "Estonia"}, {"AT", "Austria"}, {"TR", "Turkey"},
    {"SU", "Soviet Union (historical, 1922-1991)"}, {"PT", "Portugal"}, {"BE", "Belgium"}, {"DK", "Denmark"},
    {"NO", "Norway"}, {"CH", "Switzerland"}, {"MX", "Mexico"}, {"NZ", "New Zealand"}, {"ZA", "South Africa"},
    {"YU", "Yugoslavia (historical, 1918-2003)"}, {"XG", "East Germany (historical, 1949-1990)"},
    {"CS", "Czechoslovakia (historical, 1918-1992)"}, {"PL", "Poland"}, {"HU", "Hungary"}, {"RO", "Romania"},
    {"BG", "Bulgaria"}, {"IL", "Israel"}, {"IN", "India"}, {"CL", "Chile"}, {"CO", "Colombia"},
    {"VE", "Venezuela"}, {"PE", "Peru"}, {"UY", "Uruguay"}, {"CU", "Cuba"}, {"PR", "Puerto Rico"},
    {"TT", "Trinidad and Tobago"}, {"NG", "Nigeria"}, {"GH", "Ghana"}, {"SN", "Senegal"}, {"EG", "Egypt"},
    {"LB", "Lebanon"}, {"IR", "Iran"}, {"PH", "Philippines"}, {"KR", "South Korea"}, {"TW", "Taiwan"},
    {"HK", "Hong Kong"}, {"SG", "Singapore"}, {"ID", "Indonesia"}, {"MY", "Malaysia"}, {"TH", "Thailand"},
    {"IS", "Iceland"}, {"LU", "Luxembourg"}, {"MT", "Malta"}, {"CY", "Cyprus"}, {"RU", "Russian Federation"},
    {"UA", "Ukraine"}, {"LV", "Latvia"}, {"LT", "Lithuania"}, {"XE", "Europe"}, {"XW", "Worldwide"},
};

const CodeName kRealLanguages[] = {
    {"eng", "English"}, {"spa", "Spanish"}, {"fra", "French"}, {"ita", "Italian"}, {"deu", "German"},
    {"por", "Portuguese"}, {"mul", "Multiple languages"}, {"ell", "Greek, Modern (1453-)"}, {"nld", "Dutch"},
    {"swe", "Swedish"}, {"tur", "Turkish"}, {"jpn", "Japanese"}, {"fin", "Finnish"}, {"rus", "Russian"},
    {"dan", "Danish"}, {"nor", "Norwegian"}, {"pol", "Polish"}, {"heb", "Hebrew"}, {"ces", "Czech"},
    {"hun", "Hungarian"}, {"est", "Estonian"}, {"ron", "Romanian"}, {"lat", "Latin"}, {"cat", "Catalan"},
    {"ara", "Arabic"}, {"zxx", "No linguistic content"}, {"hrv", "Croatian"}, {"srp", "Serbian"},
    {"bul", "Bulgarian"}, {"isl", "Icelandic"}, {"slk", "Slovak"}, {"zho", "Chinese"}, {"kor", "Korean"},
    {"hin", "Hindi"}, {"gle", "Irish"},
};

const CodeName kRealScripts[] = {
    {"Latn", "Latin"}, {"Grek", "Greek"}, {"Jpan", "Japanese"}, {"Cyrl", "Cyrillic"}, {"Hebr", "Hebrew"},
    {"Arab", "Arabic"}, {"Hant", "Han (Traditional variant)"}, {"Hans", "Han (Simplified variant)"},
    {"Kore", "Korean"}, {"Thai", "Thai"}, {"Deva", "Devanagari"},
};

// Real codes, then synthetic ones of the same shape (`letters` lowercase
// letters after an optional capital) up to `count`.
std::vector<CodeName> Fill(std::span<const CodeName> real, size_t count, int letters, bool capital,
                           const char* noun) {
  std::vector<CodeName> out(real.begin(), real.end());
  std::set<std::string> used;
  for (const CodeName& c : real) used.insert(c.code);
  for (uint64_t n = 0; out.size() < count; ++n) {
    std::string code(static_cast<size_t>(letters), 'a');
    uint64_t x = n;
    for (int i = letters - 1; i >= 0; --i, x /= 26) code[static_cast<size_t>(i)] = static_cast<char>('a' + x % 26);
    if (capital) code[0] = static_cast<char>(code[0] - 'a' + 'A');
    if (!used.insert(code).second) continue;
    out.push_back({code, std::string(noun) + " " + code});
  }
  return out;
}

// `top` as weighted choices, then `tail_weight` spread evenly over the next
// `tail_n` codes of `pool` not in `top`, and `absent`.
std::vector<Choice> WithTail(std::vector<Choice> top, double absent, double tail_weight, size_t tail_n,
                             const std::vector<CodeName>& pool) {
  std::set<std::string> in_top;
  for (const Choice& c : top) in_top.insert(c.value);
  std::vector<Choice> out = top;
  size_t added = 0;
  for (const CodeName& c : pool) {
    if (added == tail_n) break;
    if (in_top.count(c.code)) continue;
    out.push_back({c.code.c_str(), tail_weight / static_cast<double>(tail_n)});
    ++added;
  }
  out.push_back({nullptr, absent});
  return out;
}

constexpr Choice kArtistTypes[] = {{"artist.type/person", 2243}, {"artist.type/group", 2014},
                                   {"artist.type/other", 5}, {nullptr, 339}};
constexpr Choice kGroupTypes[] = {{"release.type/album", 7755}, {"release.type/single", 2003},
                                  {"release.type/other", 135}, {"release.type/ep", 131}, {nullptr, 156}};
constexpr Choice kStatuses[] = {{"Official", 11271}, {"Bootleg", 55}, {"Promotion", 37}, {"Pseudo-Release", 14},
                                {nullptr, 133}};
constexpr Choice kPackagings[] = {{"release.packaging/cardboardPaperSleeve", 549}, {"release.packaging/jewelCase", 47},
                                  {"release.packaging/other", 12}, {"release.packaging/none", 4}, {nullptr, 10898}};
constexpr Choice kLabelTypes[] = {{"label.type/originalProduction", 687}, {"label.type/production", 96},
                                  {"label.type/reissueProduction", 39}, {"label.type/distributor", 23},
                                  {"label.type/holding", 10}, {"label.type/publisher", 8},
                                  {"label.type/bootlegProduction", 7}, {nullptr, 337}};
constexpr Choice kYears[] = {{"1968", 1674}, {"1969", 1832}, {"1970", 1974},
                             {"1971", 1873}, {"1972", 2068}, {"1973", 2089}};

constexpr Knot kStartYears[] = {{0, 1850}, {0.01, 1890}, {0.1, 1925}, {0.25, 1936}, {0.5, 1945},
                                {0.75, 1966}, {0.9, 1970}, {0.99, 1972}, {1, 2003}};
constexpr Knot kEndYears[] = {{0, 1900}, {0.02, 1950}, {0.1, 1969}, {0.25, 1972},
                              {0.5, 1982}, {0.75, 1999}, {0.9, 2007}, {1, 2012}};
// Title() overshoots its target by about half a word; these are the
// measured quantiles less that.
constexpr Knot kNameLengths[] = {{0, 1}, {0.1, 3}, {0.25, 7}, {0.5, 13}, {0.75, 21}, {0.9, 33}, {0.99, 67}, {1, 198}};

constexpr double kArtistShare[] = {0.356, 0.1832, 0.3745, 0.0506, 0.02, 0.0105, 0.0052};
constexpr double kArtistPopularity[] = {0, 1, 2, 4, 8, 16, 32};
constexpr double kLabelShare[] = {0.0532, 0.635, 0.1005, 0.0635, 0.089, 0.0175, 0.0414};
constexpr double kLabelPopularity[] = {0, 1, 3, 8, 20, 50, 100};
constexpr double kGroupShare[] = {0.95, 0.04, 0.01};
constexpr double kGroupPopularity[] = {0, 1, 8};

}  // namespace

std::span<const AttrDef> SchemaAttributes() { return kSchema; }
std::span<const EnumDef> EnumValues() { return kEnums; }

const std::vector<CodeName>& Countries() {
  static const std::vector<CodeName> v = [] {
    std::vector<CodeName> out(std::begin(kRealCountries), std::end(kRealCountries));
    std::set<std::string> used;
    for (const CodeName& c : out) used.insert(c.code);
    for (char a = 'A'; a <= 'Z' && out.size() < kCountryCount; ++a)
      for (char b = 'A'; b <= 'Z' && out.size() < kCountryCount; ++b) {
        std::string code{a, b};
        if (used.insert(code).second) out.push_back({code, "Country " + code});
      }
    return out;
  }();
  return v;
}

const std::vector<CodeName>& Languages() {
  static const std::vector<CodeName> v = Fill(kRealLanguages, kLanguageCount, 3, false, "Language");
  return v;
}

const std::vector<CodeName>& Scripts() {
  static const std::vector<CodeName> v = Fill(kRealScripts, kScriptCount, 4, true, "Script");
  return v;
}

const Distributions& Measured() {
  static const Distributions d = [] {
    Distributions m;
    const auto& c = Countries();
    m.artist_country = WithTail({{"US", 1344}, {"GB", 482}, {"FR", 140}, {"DE", 134}, {"IT", 98}, {"BR", 64},
                                 {"CA", 63},   {"NL", 62},  {"ES", 58},  {"GR", 56},  {"JM", 51}, {"JP", 38},
                                 {"FI", 33},   {"SE", 30},  {"AR", 27},  {"IE", 24},  {"AU", 23}, {"EE", 20},
                                 {"AT", 18}},
                                1617, 219, 49, c);
    m.release_country = WithTail({{"US", 5349}, {"GB", 2024}, {"DE", 755}, {"FR", 578}, {"IT", 335}, {"NL", 263},
                                  {"ES", 244},  {"BR", 191},  {"SE", 164}, {"CA", 147}, {"JP", 144}, {"GR", 136},
                                  {"TR", 98},   {"AU", 82},   {"FI", 78},  {"JM", 69},  {"AR", 66},  {"SU", 50},
                                  {"PT", 44}},
                                 245, 448, 51, c);
    m.label_country = WithTail({{"US", 460}, {"GB", 161}, {"DE", 69}, {"FR", 59}, {"IT", 50}, {"SE", 28},
                                {"NL", 25}, {"JP", 22}, {"ES", 20}},
                               130, 183, 40, c);
    m.release_language = WithTail({{"eng", 8761}, {"spa", 439}, {"fra", 383}, {"ita", 311}, {"deu", 224},
                                   {"por", 195}, {"mul", 153}, {"ell", 132}, {"nld", 129}, {"swe", 120},
                                   {"tur", 93}},
                                  144, 426, 23, Languages());
    m.release_script = {{"Latn", 11269}, {"Grek", 130}, {"Jpan", 67}, {"Cyrl", 25},
                        {"Hebr", 11},    {"Arab", 6},   {"Hant", 2}};
    return m;
  }();
  return d;
}

std::span<const Choice> ArtistTypes() { return kArtistTypes; }
std::span<const Choice> GroupTypes() { return kGroupTypes; }
std::span<const Choice> ReleaseStatuses() { return kStatuses; }
std::span<const Choice> Packagings() { return kPackagings; }
std::span<const Choice> LabelTypes() { return kLabelTypes; }
std::span<const Choice> ReleaseYears() { return kYears; }
std::span<const Knot> ArtistStartYears() { return kStartYears; }
std::span<const Knot> ArtistEndYears() { return kEndYears; }
std::span<const Knot> ReleaseNameLengths() { return kNameLengths; }

Classes ArtistClasses() { return {kArtistShare, kArtistPopularity}; }
Classes LabelClasses() { return {kLabelShare, kLabelPopularity}; }
Classes GroupClasses() { return {kGroupShare, kGroupPopularity}; }

}  // namespace strata::workloads::mbz
