// Golden plan tests: shapes in, plans out, as text — one file per strategy
// in indexing/testdata/plans/<strategy>.txt. The model is Pebble's
// compaction-picker testdata (cockroachdb/pebble, datadriven): a file is a
// list of commands, each with its input and the output it must print.
//
// File format. Lines starting with '#' and blank lines between commands are
// comments. A command is
//
//   <command> [key=value ...]
//   <input lines>
//   ----
//   <expected output lines>
//   <a blank line or the end of the file>
//
// Commands:
//
//   define [segment_datoms=N] [memory_index_threshold=N] [max_levels=N]
//     Sets the durable index's shape (and the StrategyOptions every later
//     plan gets; defaults: segment_datoms=100, memory_index_threshold=
//     1000000, max_levels=7). Each input line is one level of one tree:
//       <tree> L<i>: <segment> <segment> ...      (or "<tree> L<i>: empty")
//     <tree> is a tree name ("eavt/current", "aevt/history", ...). A segment
//     is "lo-hi[:count][/n]": datoms whose keys are the numbers lo..hi
//     (a key stands for one (e a v) group; every sort order sorts keys the
//     same way), count datoms (default: hi-lo+1, one per key), split into n
//     equal segments (default 1). A segment weighs 100 bytes a datom.
//     Prints the shape back (see "Shapes" below).
//
//   plan [strategy=NAME] [settings=TEXT]
//     The plan the strategy (default: the file's strategy; settings as
//     Options::strategy_settings, "key=value,...") makes for the current
//     shape and this novelty. Each input line is
//       <tree>: <segment> ...                     (the tree's novelty)
//     Prints MergePlan::ToString(): one line per tree with steps, or
//     "(no steps)".
//
//   apply
//     Executes the last plan on the current shape, with its novelty, in a
//     model of the indexing job (engine/index/index_job.cc) that keeps key
//     ranges and counts instead of datoms: a merge rewrites the segments its
//     input touches (each input key joins the last segment whose first key is
//     not after it; with a step's gaps flag, runs of at least a quarter
//     segment between two segments are written beside them instead), a
//     slice that overlaps nothing below moves without being rewritten,
//     rewritten datoms are cut into segments as LeafCuts cuts them by count,
//     trailing empty levels go. Keys are assumed uniformly spread
//     inside each segment. The result becomes the current shape and is
//     printed. Use it to follow an index through several jobs and to switch
//     strategies mid-life (plan with one strategy, apply, plan with
//     another).
//
// Shapes print one line per level: "<tree> L<i>: <n> segments, <d> datoms,
// keys lo-hi", followed by the segments themselves ("[lo-hi:count ...]")
// when there are at most 8; an empty level prints "empty".
//
// STRATA_REWRITE_GOLDEN=1 rewrites every file with the outputs the
// strategies print now (commands, inputs and comments are kept); review the
// diff before committing it. The test fails when a registered strategy has
// no file, or a file names no registered strategy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "indexing/registry.h"

#ifndef STRATA_GOLDEN_PLAN_DIR
#error "STRATA_GOLDEN_PLAN_DIR must name indexing/testdata/plans (indexing/CMakeLists.txt)"
#endif

namespace strata {
namespace {

constexpr uint64_t kBytesPerDatom = 100;

// A run of keys lo..hi holding `count` datoms, spread evenly.
struct Piece {
  uint64_t lo = 0, hi = 0;
  double count = 0;
};
struct Seg {
  uint64_t lo = 0, hi = 0, count = 0;
};
using ModelLevel = std::vector<Seg>;
using ModelTree = std::vector<ModelLevel>;
using ModelShape = std::array<ModelTree, kTreeCount>;

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// "lo-hi[:count][/n]" into n segments; false with *error on bad text.
bool ParseSegments(const std::string& text, std::vector<Seg>* out, std::string* error) {
  uint64_t lo = 0, hi = 0, count = 0, n = 1;
  char* end = nullptr;
  const char* p = text.c_str();
  lo = std::strtoull(p, &end, 10);
  if (end == p || *end != '-') return *error = "bad segment \"" + text + "\" (want lo-hi[:count][/n])", false;
  p = end + 1;
  hi = std::strtoull(p, &end, 10);
  if (end == p || hi < lo) return *error = "bad key range in \"" + text + "\"", false;
  count = hi - lo + 1;
  if (*end == ':') {
    p = end + 1;
    count = std::strtoull(p, &end, 10);
    if (end == p || count == 0) return *error = "bad count in \"" + text + "\"", false;
  }
  if (*end == '/') {
    p = end + 1;
    n = std::strtoull(p, &end, 10);
    if (end == p || n == 0 || n > hi - lo + 1 || n > count) return *error = "bad split in \"" + text + "\"", false;
  }
  if (*end != '\0') return *error = "trailing text in \"" + text + "\"", false;
  const uint64_t width = hi - lo + 1;
  for (uint64_t i = 0; i < n; ++i) {
    Seg s;
    s.lo = lo + width * i / n;
    s.hi = lo + width * (i + 1) / n - 1;
    s.count = count * (i + 1) / n - count * i / n;
    out->push_back(s);
  }
  return true;
}

int TreeByName(const std::string& name) {
  for (int t = 0; t < kTreeCount; ++t)
    if (TreeName(t) == name) return t;
  return -1;
}

// Datoms of `pieces` with keys below k.
double Below(const std::vector<Piece>& pieces, uint64_t k) {
  double n = 0;
  for (const Piece& p : pieces) {
    if (k <= p.lo) continue;
    const uint64_t upto = std::min(k, p.hi + 1);
    n += p.count * static_cast<double>(upto - p.lo) / static_cast<double>(p.hi - p.lo + 1);
  }
  return n;
}

// Writes `total` datoms spread as `pieces` into segments, as LeafCuts cuts
// by count: one segment up to 1.5 targets, else ceil(n / target) even ones.
uint64_t model_datoms_written = 0;  // every Cut writes its datoms

std::vector<Seg> Cut(const std::vector<Piece>& pieces, uint64_t total, uint64_t segment_datoms) {
  std::vector<Seg> out;
  if (total == 0 || pieces.empty()) return out;
  model_datoms_written += total;
  uint64_t kmin = UINT64_MAX, kmax = 0;
  double sum = 0;
  for (const Piece& p : pieces) {
    if (p.count <= 0) continue;
    kmin = std::min(kmin, p.lo);
    kmax = std::max(kmax, p.hi);
    sum += p.count;
  }
  if (sum <= 0) return out;
  // R(k): datoms (rounded, scaled to total) with keys below k.
  auto R = [&](uint64_t k) { return static_cast<uint64_t>(std::llround(Below(pieces, k) / sum * total)); };
  // The smallest key k in [from, kmax] with R(k + 1) >= want.
  auto first_reaching = [&](uint64_t from, uint64_t want) {
    uint64_t a = from, b = kmax;
    while (a < b) {
      const uint64_t m = a + (b - a) / 2;
      if (R(m + 1) >= want) b = m;
      else a = m + 1;
    }
    return a;
  };
  const uint64_t target = std::clamp<uint64_t>(segment_datoms, 16, UINT64_MAX / 4);
  const uint64_t n_pieces = total <= target + target / 2 ? 1 : (total + target - 1) / target;
  uint64_t done = 0, start = kmin;
  for (uint64_t p = 1; p <= n_pieces && done < total; ++p) {
    const uint64_t want = p == n_pieces ? total : std::max(done + 1, total * p / n_pieces);
    Seg s;
    s.lo = first_reaching(start, done + 1);
    s.hi = p == n_pieces ? first_reaching(s.lo, total) : first_reaching(s.lo, want);
    const uint64_t reached = R(s.hi + 1);
    s.count = reached - done;
    done = reached;
    start = s.hi + 1;
    out.push_back(s);
    if (start > kmax) break;
  }
  return out;
}

std::vector<Piece> AsPieces(const std::vector<Seg>& segs) {
  std::vector<Piece> out;
  for (const Seg& s : segs) out.push_back({s.lo, s.hi, static_cast<double>(s.count)});
  return out;
}

// Pieces of `in` with keys in [a, b), counts in proportion.
std::vector<Piece> Clip(const std::vector<Piece>& in, uint64_t a, uint64_t b) {
  std::vector<Piece> out;
  for (const Piece& p : in) {
    const uint64_t lo = std::max(a, p.lo), hi_excl = std::min(b, p.hi + 1);
    if (lo >= hi_excl) continue;
    out.push_back({lo, hi_excl - 1, p.count * static_cast<double>(hi_excl - lo) / static_cast<double>(p.hi - p.lo + 1)});
  }
  return out;
}

uint64_t Total(const std::vector<Piece>& pieces) {
  double n = 0;
  for (const Piece& p : pieces) n += p.count;
  return static_cast<uint64_t>(std::llround(n));
}

// The executor's MergeInto, on key ranges. With gaps (MergeStep::gaps),
// input keys between two segments (before the first, after the last) that
// number at least a quarter segment are written as segments of their own.
void MergeInto(ModelTree* levels, int to, const std::vector<Piece>& input, bool rewrite_all, bool gaps,
               uint64_t segd) {
  while (static_cast<int>(levels->size()) <= to) levels->emplace_back();
  ModelLevel& level = (*levels)[to];
  const uint64_t in_total = Total(input);
  if (rewrite_all || level.empty()) {
    std::vector<Piece> all = AsPieces(level);
    uint64_t total = in_total;
    for (const Seg& s : level) total += s.count;
    all.insert(all.end(), input.begin(), input.end());
    level = Cut(all, total, segd);
    return;
  }
  ModelLevel next;
  double in_sum = 0;
  for (const Piece& p : input) in_sum += p.count;
  auto in_below = [&](uint64_t k) {
    return in_sum <= 0 ? uint64_t{0} : static_cast<uint64_t>(std::llround(Below(input, k) / in_sum * in_total));
  };
  for (size_t i = 0; i < level.size(); ++i) {
    const uint64_t a = i == 0 ? 0 : level[i].lo;
    const uint64_t b = i + 1 < level.size() ? level[i + 1].lo : UINT64_MAX;
    const uint64_t part = (b == UINT64_MAX ? in_total : in_below(b)) - in_below(a);
    if (part == 0) {
      next.push_back(level[i]);
      continue;
    }
    uint64_t head = 0, tail = 0;  // with gaps: input before segment 0, after segment i
    if (gaps) {
      const uint64_t min_run = std::max<uint64_t>(1, segd / 4);
      if (i == 0 && in_below(level[0].lo) >= min_run) head = in_below(level[0].lo);
      const uint64_t after = (b == UINT64_MAX ? in_total : in_below(b)) - in_below(level[i].hi + 1);
      if (after >= min_run) tail = after;
    }
    if (head > 0) {
      for (const Seg& s : Cut(Clip(input, 0, level[0].lo), head, segd)) next.push_back(s);
    }
    if (part - head - tail == 0) {
      next.push_back(level[i]);
    } else {
      std::vector<Piece> pieces = Clip(input, head > 0 ? level[0].lo : a, tail > 0 ? level[i].hi + 1 : b);
      pieces.push_back({level[i].lo, level[i].hi, static_cast<double>(level[i].count)});
      for (const Seg& s : Cut(pieces, level[i].count + part - head - tail, segd)) next.push_back(s);
    }
    if (tail > 0) {
      for (const Seg& s : Cut(Clip(input, level[i].hi + 1, b), tail, segd)) next.push_back(s);
    }
  }
  level = std::move(next);
}

// Runs `plan` on `shape` with `novelty` (per tree), as the job would.
// Returns an error text for a step the executor would refuse.
std::string Apply(const MergePlan& plan, const std::array<std::vector<Piece>, kTreeCount>& novelty, uint64_t segd,
                  ModelShape* shape) {
  for (int t = 0; t < kTreeCount; ++t) {
    ModelTree& levels = (*shape)[t];
    std::vector<Piece> nov = novelty[t];
    for (const MergeStep& st : plan.trees[t]) {
      switch (st.kind) {
        case MergeStep::Kind::kNovelty:
          MergeInto(&levels, st.to_level, nov, st.rewrite_all, st.gaps, segd);
          nov.clear();
          break;
        case MergeStep::Kind::kCompact: {
          if (st.from_level < 0 || st.from_level >= static_cast<int>(levels.size()))
            return TreeName(t) + ": compacts a missing level";
          ModelLevel& from = levels[st.from_level];
          const bool to_end = st.count == MergeStep::kAllSegments;
          const size_t count = to_end && st.first <= from.size() ? from.size() - st.first : st.count;
          if (to_end && count == 0) break;
          if (count == 0 || st.first + count > from.size()) return TreeName(t) + ": compacts a missing slice";
          std::vector<Seg> slice(from.begin() + st.first, from.begin() + st.first + count);
          from.erase(from.begin() + st.first, from.begin() + st.first + count);
          while (static_cast<int>(levels.size()) <= st.to_level) levels.emplace_back();
          ModelLevel& to = levels[st.to_level];
          auto lo = std::lower_bound(to.begin(), to.end(), slice.front().lo,
                                     [](const Seg& s, uint64_t k) { return s.hi < k; });
          const bool overlaps = lo != to.end() && lo->lo <= slice.back().hi;
          if (!overlaps && !st.rewrite_all) {
            to.insert(lo, slice.begin(), slice.end());
            break;
          }
          MergeInto(&levels, st.to_level, AsPieces(slice), st.rewrite_all, st.gaps, segd);
          break;
        }
        case MergeStep::Kind::kRebuild: {
          std::vector<Piece> all = nov;
          uint64_t total = Total(nov);
          nov.clear();
          for (const ModelLevel& l : levels)
            for (const Seg& s : l) {
              all.push_back({s.lo, s.hi, static_cast<double>(s.count)});
              total += s.count;
            }
          levels.clear();
          levels.push_back(Cut(all, total, segd));
          break;
        }
      }
    }
    if (Total(nov) > 0) MergeInto(&levels, 0, nov, false, false, segd);
    while (!levels.empty() && levels.back().empty()) levels.pop_back();
  }
  return "";
}

Datom KeyDatom(uint64_t k) {
  Datom d;
  d.e = k;
  d.a = 10;
  d.v = Value::Long(static_cast<int64_t>(k));
  d.tx = 1;
  return d;
}

IndexShape ToIndexShape(const ModelShape& m) {
  IndexShape shape;
  uint64_t id = 1;
  for (int t = 0; t < kTreeCount; ++t)
    for (const ModelLevel& l : m[t]) {
      LevelShape ls;
      for (const Seg& s : l) {
        SegmentRef r;
        r.id = id++;
        r.count = s.count;
        r.bytes = s.count * kBytesPerDatom;
        r.first = KeyDatom(s.lo);
        r.last = KeyDatom(s.hi);
        ls.segments.push_back(r);
        ls.datoms += r.count;
        ls.bytes += r.bytes;
      }
      shape.trees[t].push_back(std::move(ls));
    }
  return shape;
}

std::string Render(const ModelShape& m) {
  std::string out;
  for (int t = 0; t < kTreeCount; ++t)
    for (size_t i = 0; i < m[t].size(); ++i) {
      const ModelLevel& l = m[t][i];
      out += TreeName(t) + " L" + std::to_string(i) + ": ";
      if (l.empty()) {
        out += "empty\n";
        continue;
      }
      uint64_t datoms = 0;
      for (const Seg& s : l) datoms += s.count;
      out += std::to_string(l.size()) + (l.size() == 1 ? " segment, " : " segments, ") + std::to_string(datoms) +
             " datoms, keys " + std::to_string(l.front().lo) + "-" + std::to_string(l.back().hi);
      if (l.size() <= 8) {
        out += " [";
        for (size_t j = 0; j < l.size(); ++j)
          out += std::string(j ? " " : "") + std::to_string(l[j].lo) + "-" + std::to_string(l[j].hi) + ":" +
                 std::to_string(l[j].count);
        out += "]";
      }
      out += "\n";
    }
  return out.empty() ? "(empty index)\n" : out;
}

struct Command {
  int line = 0;  // 1-based, of the command line
  std::string text;
  std::vector<std::string> input;
  std::string expected;
  std::string actual;
};

// The state one file's commands share.
class Runner {
 public:
  explicit Runner(std::string strategy) : file_strategy_(std::move(strategy)) {}

  std::string Run(const Command& c) {
    const std::vector<std::string> words = Words(c.text);
    std::map<std::string, std::string> args;
    for (size_t i = 1; i < words.size(); ++i) {
      const size_t eq = words[i].find('=');
      if (eq == std::string::npos) return "error: argument without '=': " + words[i] + "\n";
      args[words[i].substr(0, eq)] = words[i].substr(eq + 1);
    }
    if (words[0] == "define") return Define(args, c.input);
    if (words[0] == "plan") return PlanCmd(args, c.input);
    if (words[0] == "apply") {
      if (!have_plan_) return "error: apply before plan\n";
      const std::string err = Apply(plan_, novelty_, opts_.segment_datoms, &shape_);
      if (!err.empty()) return "error: " + err + "\n";
      have_plan_ = false;
      return Render(shape_);
    }
    return "error: unknown command \"" + words[0] + "\"\n";
  }

 private:
  std::string Define(const std::map<std::string, std::string>& args, const std::vector<std::string>& input) {
    opts_ = StrategyOptions{};
    opts_.segment_datoms = 100;
    opts_.memory_index_threshold = 1000000;
    for (const auto& [k, v] : args) {
      const uint64_t n = std::strtoull(v.c_str(), nullptr, 10);
      if (k == "segment_datoms") opts_.segment_datoms = n;
      else if (k == "memory_index_threshold") opts_.memory_index_threshold = n;
      else if (k == "max_levels") opts_.max_levels = static_cast<uint32_t>(n);
      else return "error: unknown define argument \"" + k + "\"\n";
    }
    shape_ = ModelShape{};
    have_plan_ = false;
    for (const std::string& line : input) {
      const std::vector<std::string> w = Words(line);
      if (w.size() < 3 || w[1].size() < 3 || w[1][0] != 'L' || w[1].back() != ':')
        return "error: want \"<tree> L<i>: <segments>\": " + line + "\n";
      const int t = TreeByName(w[0]);
      if (t < 0) return "error: unknown tree \"" + w[0] + "\"\n";
      const size_t level = std::strtoull(w[1].c_str() + 1, nullptr, 10);
      if (shape_[t].size() <= level) shape_[t].resize(level + 1);
      if (w.size() == 3 && w[2] == "empty") continue;
      for (size_t i = 2; i < w.size(); ++i) {
        std::string err;
        if (!ParseSegments(w[i], &shape_[t][level], &err)) return "error: " + err + "\n";
      }
      const ModelLevel& l = shape_[t][level];
      for (size_t i = 1; i < l.size(); ++i)
        if (l[i].lo <= l[i - 1].hi) return "error: segments overlap or are out of order: " + line + "\n";
    }
    return Render(shape_);
  }

  std::string PlanCmd(const std::map<std::string, std::string>& args, const std::vector<std::string>& input) {
    std::string name = file_strategy_, settings;
    for (const auto& [k, v] : args) {
      if (k == "strategy") name = v;
      else if (k == "settings") settings = v;
      else return "error: unknown plan argument \"" + k + "\"\n";
    }
    auto strategy = MakeStrategy(name, settings);
    if (!strategy.ok()) return "error: " + strategy.status().ToString() + "\n";
    novelty_ = {};
    NoveltyShape ns;
    for (const std::string& line : input) {
      const std::vector<std::string> w = Words(line);
      if (w.size() < 2 || w[0].back() != ':') return "error: want \"<tree>: <segments>\": " + line + "\n";
      const int t = TreeByName(w[0].substr(0, w[0].size() - 1));
      if (t < 0) return "error: unknown tree in \"" + line + "\"\n";
      for (size_t i = 1; i < w.size(); ++i) {
        std::vector<Seg> segs;
        std::string err;
        if (!ParseSegments(w[i], &segs, &err)) return "error: " + err + "\n";
        for (const Seg& s : segs) {
          novelty_[t].push_back({s.lo, s.hi, static_cast<double>(s.count)});
          ns.datoms[t] += s.count;
          ns.bytes += s.count * kBytesPerDatom;
        }
      }
    }
    plan_ = (*strategy)->Plan(ToIndexShape(shape_), ns, opts_);
    have_plan_ = true;
    const std::string text = plan_.ToString();
    return text.empty() ? "(no steps)\n" : text;
  }

  const std::string file_strategy_;
  StrategyOptions opts_;
  ModelShape shape_;
  MergePlan plan_;
  bool have_plan_ = false;
  std::array<std::vector<Piece>, kTreeCount> novelty_;
};

// Splits a file into commands (and the comment lines around them).
struct Item {
  bool is_command = false;
  std::string comment;  // a verbatim line, when !is_command
  Command command;
};

bool Parse(const std::string& path, std::vector<Item>* items, std::string* error) {
  std::ifstream in(path);
  if (!in) return *error = "cannot read " + path, false;
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  for (size_t i = 0; i < lines.size();) {
    const std::string& l = lines[i];
    if (l.empty() || l[0] == '#') {
      items->push_back({false, l, {}});
      ++i;
      continue;
    }
    Item it;
    it.is_command = true;
    it.command.line = static_cast<int>(i + 1);
    it.command.text = l;
    ++i;
    while (i < lines.size() && lines[i] != "----") {
      if (lines[i].empty()) return *error = path + ":" + std::to_string(i + 1) + ": blank line before ----", false;
      it.command.input.push_back(lines[i++]);
    }
    if (i == lines.size()) return *error = path + ":" + std::to_string(it.command.line) + ": command without ----", false;
    ++i;  // ----
    while (i < lines.size() && !lines[i].empty()) it.command.expected += lines[i++] + "\n";
    items->push_back(std::move(it));
  }
  return true;
}

std::string Dir() { return STRATA_GOLDEN_PLAN_DIR; }

TEST(GoldenPlans, EveryStrategyHasAFileAndEveryFileAStrategy) {
  const std::vector<std::string> names = StrategyNames();
  for (const std::string& n : names)
    EXPECT_TRUE(std::filesystem::exists(Dir() + "/" + n + ".txt")) << "strategy " << n << " has no golden plan file "
                                                                   << Dir() << "/" << n << ".txt";
  for (const auto& e : std::filesystem::directory_iterator(Dir())) {
    const std::string stem = e.path().stem().string();
    EXPECT_EQ(e.path().extension(), ".txt") << e.path();
    EXPECT_NE(std::find(names.begin(), names.end(), stem), names.end())
        << e.path() << " names no registered strategy";
  }
}

TEST(GoldenPlans, EveryFilePrintsWhatItExpects) {
  const bool rewrite = std::getenv("STRATA_REWRITE_GOLDEN") && std::string(std::getenv("STRATA_REWRITE_GOLDEN")) == "1";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(Dir())) {
    if (e.path().extension() != ".txt") continue;
    ++files;
    const std::string path = e.path().string();
    SCOPED_TRACE(path);
    std::vector<Item> items;
    std::string error;
    ASSERT_TRUE(Parse(path, &items, &error)) << error;
    Runner runner(e.path().stem().string());
    int commands = 0;
    for (Item& it : items) {
      if (!it.is_command) continue;
      ++commands;
      it.command.actual = runner.Run(it.command);
      if (!rewrite) {
        EXPECT_EQ(it.command.actual, it.command.expected)
            << path << ":" << it.command.line << ": " << it.command.text
            << "\n(STRATA_REWRITE_GOLDEN=1 rewrites the expected outputs)";
      }
    }
    EXPECT_GT(commands, 0) << path << " has no commands";
    if (rewrite) {
      std::ofstream out(path, std::ios::trunc);
      for (const Item& it : items) {
        if (!it.is_command) {
          out << it.comment << "\n";
          continue;
        }
        out << it.command.text << "\n";
        for (const std::string& l : it.command.input) out << l << "\n";
        out << "----\n" << it.command.actual;
      }
      ASSERT_TRUE(out.good()) << "cannot write " << path;
    }
  }
  EXPECT_GT(files, 0) << "no golden plan files in " << Dir();
}

// The runner itself: a wrong expectation fails, and the model executes a
// move without rewriting (these guard the harness, not a strategy).
TEST(GoldenPlans, ModelMovesDisjointSlicesAndRewritesTouchedSegments) {
  ModelShape m;
  m[0] = {{{1, 100, 100}, {101, 200, 100}}, {{201, 300, 100}}};
  MergePlan p;
  MergeStep s;
  s.kind = MergeStep::Kind::kCompact;
  s.from_level = 0;
  s.first = 0;
  s.count = 2;
  s.to_level = 1;
  p.trees[0].push_back(s);
  std::array<std::vector<Piece>, kTreeCount> nov;
  nov[0] = {{150, 159, 10}};
  ASSERT_EQ(Apply(p, nov, 100, &m), "");
  // The slice moved below (no overlap); the novelty went to level 0, now
  // empty, as the executor's fallback does.
  EXPECT_EQ(Render(m),
            "eavt/current L0: 1 segment, 10 datoms, keys 150-159 [150-159:10]\n"
            "eavt/current L1: 3 segments, 300 datoms, keys 1-300 [1-100:100 101-200:100 201-300:100]\n");
  MergePlan q;
  MergeStep n;
  n.kind = MergeStep::Kind::kNovelty;
  n.to_level = 1;
  q.trees[0].push_back(n);
  nov[0] = {{120, 129, 10}};
  ASSERT_EQ(Apply(q, nov, 100, &m), "");
  // Only the segment the novelty falls in is rewritten (110 datoms: one
  // segment, under 1.5 targets).
  EXPECT_EQ(Render(m),
            "eavt/current L0: 1 segment, 10 datoms, keys 150-159 [150-159:10]\n"
            "eavt/current L1: 3 segments, 310 datoms, keys 1-300 [1-100:100 101-200:110 201-300:100]\n");
}

// The tiering strategies over a long life, in the model: 150 jobs of 300
// scattered datoms into one tree. tiered keeps fewer than run_trigger runs
// and its job sizes have a lumpy tail (a job many times the median);
// lazy-leveling keeps at most T - 1 runs per upper level and one at the
// last, and most datoms in the last run.
TEST(GoldenPlans, TieringStrategiesBoundTheirRunsOverALongLife) {
  for (const std::string name : {"tiered", "lazy-leveling"}) {
    SCOPED_TRACE(name);
    auto strategy = MakeStrategy(name);
    ASSERT_TRUE(strategy.ok());
    StrategyOptions opts;
    opts.segment_datoms = 100;
    opts.memory_index_threshold = 30000;  // lazy-leveling's level 0: 300 datoms
    ModelShape m;
    std::vector<uint64_t> written;
    size_t most_runs = 0;
    for (int job = 0; job < 150; ++job) {
      std::array<std::vector<Piece>, kTreeCount> nov;
      nov[0] = {{1, 1000000, 300}};
      NoveltyShape ns;
      ns.datoms[0] = 300;
      const MergePlan plan = (*strategy)->Plan(ToIndexShape(m), ns, opts);
      model_datoms_written = 0;
      ASSERT_EQ(Apply(plan, nov, opts.segment_datoms, &m), "") << plan.ToString();
      written.push_back(model_datoms_written);
      size_t runs = 0;
      for (const ModelLevel& l : m[0]) runs += !l.empty();
      most_runs = std::max(most_runs, runs);
      ASSERT_LE(m[0].size(), 64u);
    }
    uint64_t total = 0;
    for (const ModelLevel& l : m[0])
      for (const Seg& s : l) total += s.count;
    EXPECT_EQ(total, 150u * 300);  // nothing lost
    std::vector<uint64_t> sorted = written;
    std::sort(sorted.begin(), sorted.end());
    const uint64_t median = sorted[sorted.size() / 2], most = sorted.back();
    if (name == "tiered") {
      EXPECT_LE(most_runs, 3u);  // run_trigger 4
      EXPECT_GE(most, 20 * median) << "median " << median << " max " << most;
    } else {
      // 45,000 datoms at level 0 = 300, T = 4: levels 0..2 tiered (3 runs
      // each at most) and the last.
      EXPECT_LE(most_runs, 3u * 3 + 1);
      EXPECT_GE(m[0].back().size() * opts.segment_datoms * 2, total) << "the last run holds most datoms";
      EXPECT_GE(most, 10 * median) << "median " << median << " max " << most;
    }
  }
}

}  // namespace
}  // namespace strata
