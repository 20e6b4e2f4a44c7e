// workloads/mbrainz_tables.h — the fixed tables of the synthetic MusicBrainz
// generator (internal): the subset's schema, enum values, reference-data
// codes, and the measured distributions (distributions.json) as weighted
// choices.
//
// Thread safety: immutable data.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "workloads/mbrainz_gen.h"

namespace strata::workloads::mbz {

struct AttrDef {
  const char* ident;
  const char* type;          // "string", "ref", ...
  bool many = false;
  const char* unique = nullptr;  // "identity" | "value" | nullptr
  bool component = false;
  bool fulltext = false;
};
std::span<const AttrDef> SchemaAttributes();

struct EnumDef {
  const char* ident;  // "artist.gender/male"
  const char* name;   // "Male"
};
std::span<const EnumDef> EnumValues();

// Reference data: real codes and names first, then synthetic ones up to the
// subset's counts (257 countries, 7,777 languages, 159 scripts).
struct CodeName {
  std::string code, name;
};
const std::vector<CodeName>& Countries();
const std::vector<CodeName>& Languages();
const std::vector<CodeName>& Scripts();
constexpr size_t kCountryCount = 257, kLanguageCount = 7777, kScriptCount = 159;

// Weighted choices; a nullptr value means the attribute is absent.
struct Distributions {
  std::vector<Choice> artist_country, release_country, label_country;
  std::vector<Choice> release_language, release_script;
};
const Distributions& Measured();

std::span<const Choice> ArtistTypes();      // enum idents
std::span<const Choice> GroupTypes();       // enum idents
std::span<const Choice> ReleaseStatuses();  // strings
std::span<const Choice> Packagings();       // enum idents
std::span<const Choice> LabelTypes();       // enum idents
std::span<const Choice> ReleaseYears();     // "1968".."1973"

std::span<const Knot> ArtistStartYears();
std::span<const Knot> ArtistEndYears();
std::span<const Knot> ReleaseNameLengths();

// Popularity classes (see mbrainz_synth.h): share of entities and mean
// popularity per class, fitted to the releases-per-artist and -per-label
// histograms.
struct Classes {
  std::span<const double> share, popularity;
};
Classes ArtistClasses();
Classes LabelClasses();
Classes GroupClasses();

}  // namespace strata::workloads::mbz
