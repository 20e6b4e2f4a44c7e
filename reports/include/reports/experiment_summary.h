// reports/experiment_summary.h — OUT/summary.md of `strata experiment`
// (harness/experiment.h): a header naming where and when the cells ran
// (commits, machine, dates, load) and one table row per configuration
// (workload, scale, strategy with its settings, engine parameters), each
// figure the median over the configuration's repetitions. The flatness
// figures follow docs/indexing.md, "How the figures are computed":
//
//   - early and late are fractions of the run's final size, so they
//     generalise over scales: early = 1%–3% of it, late = the last 10%
//     (90%–100%). At 9.7×10^7 datoms early is issue 19's 1–3×10^6;
//   - the import rate over a window is the timeline's datoms per second
//     between the moments the committed datoms reached the window's ends
//     (linear between 100 ms samples), the final size being the
//     timeline's last datom count;
//   - the job CPU per novelty datom over a window is the sum of cpu_ms over
//     the sum of novelty_datoms of the jobs whose database range overlaps
//     it: job i covers (db_datoms of job i-1, db_datoms of job i], the
//     final size being the last job's db_datoms;
//   - growth is late / early of one run; a row shows the median of the
//     runs' early, late and growth figures.
//
// Each flatness criterion of issue 19 (late import rate ≥ 0.8× early, job
// CPU per novelty datom growing ≤ 1.5×, write amplification ≤ 5, ≤ 8
// durable sources per read) is marked met or missed in every row; the bar
// is stated for 10^8 datoms, so at small scales the marks only show the
// direction.
//
// Thread safety: free functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/observations.h"
#include "harness/results.h"
#include "strata/status.h"

namespace strata::reports {

// The early and late windows, as fractions of the run's final size.
inline constexpr double kEarlyFrom = 0.01, kEarlyTo = 0.03, kLateFrom = 0.90;

// Issue 19's flatness bar.
inline constexpr double kBarImportRatio = 0.8;  // late import rate / early, at least
inline constexpr double kBarCpuGrowth = 1.5;    // late job CPU per novelty datom / early, at most
inline constexpr double kBarWriteAmp = 5;       // at most
inline constexpr double kBarSources = 8;        // durable sources per read, at most

// The figures of one run; nullopt where the file lacks what they need
// (an older file, no job or no timeline sample in a window).
struct FlatnessFigures {
  std::optional<double> datoms, jobs, write_amplification, max_read_sources, segments_per_point_read;
  std::optional<double> space_amplification;           // bytes at rest / live bytes
  std::optional<double> rewritten_per_novelty_datom;   // datoms_rewritten / the jobs' novelty datoms
  std::optional<double> rewritten_early, rewritten_late;  // the same over the windows' jobs
  std::optional<double> cpu_us_early, cpu_us_late;     // job CPU per novelty datom, µs
  std::optional<double> rate_early, rate_late;         // import, datoms per second
  std::optional<double> peak_rss_bytes, wall_s;        // wall: import + final indexing
  std::optional<double> CpuGrowth() const;             // late / early
  std::optional<double> RateRatio() const;             // late / early
};
FlatnessFigures Flatness(const harness::ResultsFile& f);

// The datoms per second of the timeline between the moments it reached
// `from` and `to` datoms (linear between samples); nullopt when it never
// reached `to` or the two moments coincide.
std::optional<double> ImportRate(const harness::Timeline& t, double from, double to);
// Sum of cpu_ms (as µs) over sum of novelty_datoms of the jobs whose
// range (previous job's db_datoms, own db_datoms] overlaps [from, to];
// nullopt when none does or they indexed no datom.
std::optional<double> JobCpuPerNoveltyDatom(const std::vector<harness::Job>& jobs, double from, double to);
// The same jobs' datoms_rewritten over their novelty_datoms.
std::optional<double> RewrittenPerNoveltyDatom(const std::vector<harness::Job>& jobs, double from, double to);

// The markdown.
std::string ExperimentSummary(const std::string& title, const std::vector<harness::CellResult>& cells);

// Writes dir/summary.md; returns its path.
Result<std::string> WriteExperimentSummary(const std::string& dir, const std::string& title,
                                           const std::vector<harness::CellResult>& cells);

}  // namespace strata::reports
