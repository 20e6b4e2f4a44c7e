#include "indexing/runs.h"

#include <algorithm>

namespace strata {
namespace {

// Roots hold at most 64 levels a tree (durable_index.cc); new runs stop
// claiming levels a little before.
constexpr size_t kMaxLevels = 60;

}  // namespace

RunCandidates CandidateRuns(const std::vector<LevelShape>& levels, uint64_t novelty_datoms) {
  RunCandidates c;
  if (novelty_datoms > 0) {
    c.has_novelty = true;
    c.datoms.push_back(novelty_datoms);
    c.level.push_back(-1);
  }
  for (size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].segments.empty()) continue;
    c.datoms.push_back(levels[i].datoms);
    c.level.push_back(static_cast<int>(i));
  }
  return c;
}

std::vector<MergeStep> MergeRuns(const std::vector<LevelShape>& levels, const RunCandidates& c,
                                 std::vector<std::pair<size_t, size_t>> groups) {
  // What the job's steps have done so far to each level: its segment count
  // (kAllSegments once a merge wrote it) and whether it holds a run.
  std::vector<size_t> segs(levels.size());
  std::vector<bool> full(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    segs[i] = levels[i].segments.size();
    full[i] = segs[i] > 0;
  }
  std::vector<MergeStep> steps;
  auto compact = [&](int from, int to) {
    if (static_cast<size_t>(to) >= segs.size()) {
      segs.resize(to + 1, 0);
      full.resize(to + 1, false);
    }
    MergeStep s;
    s.kind = MergeStep::Kind::kCompact;
    s.from_level = from;
    s.first = 0;
    s.count = segs[from];  // kAllSegments when unknown
    s.to_level = to;
    steps.push_back(s);
    // Into an empty level the segments move as they are.
    segs[to] = full[to] ? MergeStep::kAllSegments : segs[from];
    full[to] = true;
    segs[from] = 0;
    full[from] = false;
  };
  bool novelty_left = c.has_novelty;
  std::sort(groups.begin(), groups.end());
  for (const auto& [a, b] : groups) {
    if (b <= a || b >= c.level.size()) continue;  // not a merge
    size_t k = a;
    if (c.level[a] < 0) {  // the novelty joins the group's newest run
      MergeStep s;
      s.kind = MergeStep::Kind::kNovelty;
      s.to_level = c.level[a + 1];
      steps.push_back(s);
      segs[s.to_level] = MergeStep::kAllSegments;
      novelty_left = false;
      k = a + 1;
    }
    for (; k < b; ++k) compact(c.level[k], c.level[k + 1]);
  }
  if (novelty_left) {
    MergeStep n;
    n.kind = MergeStep::Kind::kNovelty;
    n.to_level = 0;
    const auto newest = std::find(full.begin(), full.end(), true);
    if (newest == full.end()) {
      n.to_level = 0;  // no run yet
    } else if (newest != full.begin()) {
      n.to_level = static_cast<int>(newest - full.begin()) - 1;  // the empty level just above
    } else {
      // Level 0 is taken: move the runs down to the first empty level.
      size_t e = 1;
      while (e < full.size() && full[e]) ++e;
      if (e < kMaxLevels)
        for (int j = static_cast<int>(e) - 1; j >= 0; --j) compact(j, j + 1);
      // else no room: the novelty merges into the newest run
    }
    steps.push_back(n);
  }
  return steps;
}

}  // namespace strata
