#include "indexing/tiered.h"

#include <algorithm>
#include <limits>

#include "indexing/runs.h"
#include "indexing/settings.h"

namespace strata {
namespace {

class Tiered final : public MergeStrategy {
 public:
  explicit Tiered(const TieredOptions& options) : o_(options) {}
  std::string name() const override { return "tiered"; }

  MergePlan Plan(const IndexShape& shape, const NoveltyShape& novelty, const StrategyOptions&) const override {
    MergePlan p;
    for (int t = 0; t < kTreeCount; ++t) {
      const RunCandidates c = CandidateRuns(shape.trees[t], novelty.datoms[t]);
      p.trees[t] = MergeRuns(shape.trees[t], c, Groups(c.datoms));
    }
    return p;
  }

 private:
  // Picks until fewer than run_trigger runs remain (as RocksDB keeps
  // picking compactions while the trigger holds); a pick may take runs an
  // earlier pick of the same job merged. Groups index `d`.
  std::vector<std::pair<size_t, size_t>> Groups(const std::vector<uint64_t>& d) const {
    struct Run {
      size_t first, last;  // the candidates it holds
      uint64_t datoms;
    };
    std::vector<Run> runs;
    for (size_t i = 0; i < d.size(); ++i) runs.push_back({i, i, d[i]});
    for (;;) {
      std::vector<uint64_t> sizes;
      for (const Run& r : runs) sizes.push_back(r.datoms);
      const auto pick = Pick(sizes);
      if (pick.empty()) break;
      const auto [a, b] = pick.front();
      Run merged{runs[a].first, runs[b].last, 0};
      for (size_t i = a; i <= b; ++i) merged.datoms += runs[i].datoms;
      runs.erase(runs.begin() + a + 1, runs.begin() + b + 1);
      runs[a] = merged;
    }
    std::vector<std::pair<size_t, size_t>> groups;
    for (const Run& r : runs)
      if (r.last > r.first) groups.emplace_back(r.first, r.last);
    return groups;
  }

  // The group to merge (indices into `d`, newest first), if any.
  std::vector<std::pair<size_t, size_t>> Pick(const std::vector<uint64_t>& d) const {
    const size_t n = d.size();
    if (n < 2 || n < o_.run_trigger) return {};
    // 1. Space amplification: everything above the oldest run, against it.
    uint64_t above = 0;
    for (size_t i = 0; i + 1 < n; ++i) above += d[i];
    if (static_cast<double>(above) * 100 > static_cast<double>(o_.max_size_amp_percent) * static_cast<double>(d[n - 1]))
      return {{0, n - 1}};
    // 2. Size ratio: a stretch of runs no bigger than what it follows.
    for (size_t start = 0; start + 1 < n; ++start) {
      double stretch = static_cast<double>(d[start]);
      size_t k = start + 1;
      while (k < n && k - start < o_.max_merge_width &&
             static_cast<double>(d[k]) * 100 <= stretch * (100.0 + o_.size_ratio))
        stretch += static_cast<double>(d[k++]);
      if (k - start >= o_.min_merge_width) return {{start, k - 1}};
    }
    // 3. Too many runs: merge the newest until the count is below the trigger.
    const size_t width = std::max<size_t>(2, n - o_.run_trigger + 2);
    return {{0, std::min(width, n) - 1}};
  }

  const TieredOptions o_;
};

}  // namespace

Result<TieredOptions> ParseTieredOptions(std::string_view settings) {
  TieredOptions o;
  STRATA_ASSIGN_OR_RETURN(auto items, SplitSettings("tiered", settings));
  bool max_width_given = false;
  for (const auto& [key, value] : items) {
    uint32_t* field = nullptr;
    uint64_t lo = 0, hi = 0;
    if (key == "size_ratio") {
      field = &o.size_ratio, lo = 0, hi = 10000;
    } else if (key == "min_merge_width") {
      field = &o.min_merge_width, lo = 2, hi = 1000000;
    } else if (key == "max_merge_width") {
      field = &o.max_merge_width, lo = 2, hi = std::numeric_limits<uint32_t>::max();
      max_width_given = true;
    } else if (key == "max_size_amp_percent") {
      field = &o.max_size_amp_percent, lo = 1, hi = 1000000;
    } else if (key == "run_trigger") {
      field = &o.run_trigger, lo = 2, hi = 60;
    } else {
      return UnknownSetting("tiered", key,
                            "size_ratio, min_merge_width, max_merge_width, max_size_amp_percent, run_trigger");
    }
    STRATA_ASSIGN_OR_RETURN(uint64_t v, ParseUnsignedSetting("tiered", key, value, lo, hi));
    *field = static_cast<uint32_t>(v);
  }
  if (max_width_given && o.max_merge_width < o.min_merge_width)
    return Status::InvalidArgument("strategy tiered: setting 'max_merge_width': " + std::to_string(o.max_merge_width) +
                                   " is below min_merge_width (" + std::to_string(o.min_merge_width) + ")");
  return o;
}

std::unique_ptr<MergeStrategy> NewTieredStrategy(const TieredOptions& options) {
  return std::make_unique<Tiered>(options);
}

}  // namespace strata
