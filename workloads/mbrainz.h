// workloads/mbrainz.h — the "mbrainz" workload: imports the real MusicBrainz
// 1968–1973 subset (datasets/mbrainz/subset-1968-1973, see its README.md)
// the way a real importer does, in batches of entities per transaction.
//
// Schema: subset-1968-1973/schema.edn, as is. Then, in the Datomic
// importer's order: enums (enums-batch.edn), countries, languages and
// scripts (entities with idents), artists, release groups (:abstractRelease),
// group→artist links, labels, releases, release→artist links, media.
//
// Row keys map to attributes as the schema names them (:sortname →
// :artist/sortName, :begin_date_year → :artist/startYear, :date_year →
// :release/year, :release_group → :release/abstractRelease, :label →
// :release/labels, :country → :country/<code>, enum strings through
// enums.edn). releases.edn has one row per (release, label): consecutive rows
// with one gid are one release whose labels are the cardinality-many
// :release/labels. artist-credits.edn maps a release's :acid to its credit
// when the row has no :artist_credit; :acid itself is not stored.
//
// Media and tracks are absent from the subset and are synthesized per
// release, deterministically from (seed, release gid), with the published
// figures (1.03 media per release, 8.36 tracks per medium, 85% of tracks with
// a duration; a track credits its release's artists), as :release/media and
// :medium/tracks components. :track/artistCredit is left out, as the Datomic
// importer leaves it out.
//
// Idempotent: every entity is named by its :db.unique/identity gid (refs go
// through string tempids that upsert, so a link to an artist missing from
// artists.edn creates a gid-only stub, as in Datomic), and media are added
// by the transaction function :mbrainz.import/media only to a release that
// has none. Re-running the workload on the same database adds nothing but
// transaction entities.
//
// Scale is ignored: the data set has one size (~767 thousand datoms). The
// workload holds small per-release tables (gid, group type, artists) for the
// media phase; the files are streamed with edn::Reader, one row at a time.
//
// With read_ratio > 0 these named reads are interleaved, on entities already
// committed: "artist-by-gid", "country-artists", "releases-of-artist" (once
// release links are in) and "release-tracks" (once media are in); see
// mbrainz_gen.h.
//
// Thread safety: a workload is used by one thread.
#pragma once

#include <memory>
#include <string>

#include "workloads/workload.h"

namespace strata::workloads {

// The folder holding subset-1968-1973/: `hint` when given (the mbrainz
// folder, its subset folder, or a data folder holding mbrainz/); else
// $STRATA_DATA_DIR likewise; else the repository's datasets/mbrainz, found
// walking up from the executable's folder, then from the working directory.
// NotFound says where it looked.
Result<std::string> FindMbrainzDataDir(const std::string& hint);

// The text of a data file: `path` itself, or else `path`.zst decompressed
// (the repository keeps the subset's large files compressed). NotFound when
// neither exists; Corruption naming the file when the compressed bytes do
// not decode.
Result<std::string> ReadDataFile(const std::string& path);

// The workload, or why it cannot run (no data folder, unreadable schema).
Result<std::unique_ptr<Workload>> OpenMbrainzWorkload(const WorkloadOptions& options);

}  // namespace strata::workloads
