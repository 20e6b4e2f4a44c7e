// workloads/mbrainz_synth.h — the "mbrainz-synth" workload: a MusicBrainz-
// like generator calibrated on datasets/mbrainz/distributions.json. At
// scale 1 it resembles the real 1968–1973 subset (entity counts, ratios,
// skews, attribute presence, name lengths; ~770 thousand datoms); scale N
// has N times the artists, labels, release groups and releases, with the
// same shape, up to 10^8 datoms (scale ~130) and beyond.
//
// It streams in constant memory: it keeps counters and fixed tables only,
// never the generated entities. Entity n of a kind has the gid
// DerivedGid(seed, kind, n) and its attributes are a pure function of
// (seed, kind, n), so later data refers to earlier entities by lookup ref
// and can recompute anything about them.
//
// The stream, after the schema (the subset's, built in; no data files
// needed) and the reference data (enums, 257 countries, 7,777 languages,
// 159 scripts), is a sequence of release-group steps, kGroupsPerTx per
// transaction. Step g creates
//   - the artists and labels due by then: a fixed schedule spreads them
//     evenly over the steps, so every artist and label is created before it
//     is used, and the step that creates one uses it (none is left without a
//     release);
//   - release group g: its primary artist is the artist created at this step
//     if any, else "Various Artists" (artist 0, ~2% of releases) or an
//     earlier artist drawn by popularity class (below); ~3% of groups have
//     co-artists;
//   - its releases (1.12 per group on average), each with labels (76% one,
//     rare two or three; new labels first, then by popularity class), and
//     their media and tracks as components (mbrainz_gen.h);
//   - sometimes a later re-release of an earlier group, and corrections to
//     earlier data (artist renames, status fixes, retracted barcodes and
//     label links, label end years, group type fixes), so history grows.
//
// Popularity classes give the Zipf-like skews of releases per artist and per
// label without per-entity state: entity n's class is a hash of n; a pick
// first draws a class in proportion to (share x mean popularity), then draws
// uniformly among the created entities until one in that class turns up.
// The class tables were fitted to the published histograms.
//
// Reads (read_ratio > 0) are those of "mbrainz" (mbrainz_gen.h), on
// committed entities.
//
// Thread safety: a workload is used by one thread.
#pragma once

#include <memory>
#include <string>

#include "workloads/workload.h"

namespace strata::workloads {

// Release groups per transaction (~1,500 datoms).
constexpr uint64_t kMbrainzSynthGroupsPerTx = 20;

// The subset's schema (as subset-1968-1973/schema.edn, without the docs).
edn::Node MbrainzSchemaTx();

std::unique_ptr<Workload> NewMbrainzSynthWorkload(const WorkloadOptions& options);

}  // namespace strata::workloads
