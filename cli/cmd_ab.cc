// `strata ab BASE_RUNS NEW_RUNS` and `strata history DIR` (see
// cli/perf_commands.h).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/commands.h"
#include "cli/perf_commands.h"
#include "reports/ab.h"
#include "reports/history.h"

namespace strata::cli {

namespace {

namespace fs = std::filesystem;

// The runs of an A/B side: the sub-folders of `dir` holding results files,
// in name order (perf-ab names them pair-01, pair-02, ...).
Result<std::vector<reports::ResultSet>> LoadRuns(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + " is not a folder");
  std::vector<std::string> subs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) subs.push_back(e.path().string());
  if (ec) return Status::IOError("listing " + dir + ": " + ec.message());
  std::sort(subs.begin(), subs.end());
  std::vector<reports::ResultSet> runs;
  for (const std::string& s : subs) {
    auto r = reports::LoadResultSet(s);
    if (!r.ok() && r.status().IsNotFound()) continue;  // a folder that is not a run
    if (!r.ok()) return r.status();
    runs.push_back(std::move(*r));
  }
  if (runs.empty()) return Status::NotFound("no runs (sub-folders with results-*.json files) in " + dir);
  return runs;
}

}  // namespace

int RunAb(const AbArgs& args) {
  auto CannotCompare = [](const std::string& message) {
    Fail(message);
    return 2;
  };
  auto base = LoadRuns(args.base);
  if (!base.ok()) return CannotCompare("BASE: " + base.status().message());
  auto next = LoadRuns(args.next);
  if (!next.ok()) return CannotCompare("NEW: " + next.status().message());
  reports::AbOptions o;
  o.threshold_pct = args.threshold_pct;
  o.alpha = args.alpha;
  o.confidence = args.confidence;
  o.statistic = args.statistic == "paired" ? reports::AbStatistic::kPairedRatio : reports::AbStatistic::kMedians;
  o.decide = args.decide == "all" ? reports::AbDecide::kAll : reports::AbDecide::kCpu;
  auto r = reports::CompareAb(*base, *next, o);
  if (!r.ok()) return CannotCompare(r.status().message());
  const std::string md = reports::AbToMarkdown(*r, args.title);
  std::fputs(args.format == "md" ? md.c_str() : reports::AbToText(*r).c_str(), stdout);
  std::fflush(stdout);
  if (!args.markdown_out.empty()) {
    std::ofstream out(args.markdown_out, std::ios::binary | std::ios::trunc);
    out << md;
    if (!out.flush()) return CannotCompare("cannot write " + args.markdown_out);
  }
  if (r->regressed()) {
    for (const std::string& n : r->RegressionNames()) std::fprintf(stderr, "strata: regression: %s\n", n.c_str());
    return 1;
  }
  if (r->undecided() || r->figures.empty()) {
    std::fprintf(stderr, "strata: undecided: the runs were too noisy to decide every figure%s (see the table)\n",
                 o.decide == reports::AbDecide::kAll ? "" : " that a pass needs");
    return 2;
  }
  return 0;
}

int RunHistory(const HistoryArgs& args) {
  reports::ChangePointOptions o;
  o.alpha = args.alpha;
  o.permutations = args.permutations;
  o.min_size = args.min_size;
  auto f = reports::WriteHistoryReport(args.dir, args.out.empty() ? args.dir : args.out, o);
  if (!f.ok()) return Fail(f.status().message());
  std::printf("history: %zu commits, %zu figures, %zu change points; wrote %s and %s\n", f->commits, f->series,
              f->change_points, f->html_path.c_str(), f->markdown_path.c_str());
  std::fflush(stdout);
  return 0;
}

void AddPerfCommands(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<AbArgs>();
  CLI::App* ab = app.add_subcommand(
      "ab", "The A/B timing gate: compare runs of a base and a new build made in interleaved pairs\n"
            "(scripts/perf-ab makes them). BASE_RUNS and NEW_RUNS hold one sub-folder per run (strata run\n"
            "results), paired in name order. Per figure (commit p50/p99, each read's p50, import rate, job\n"
            "wall time; the run thread's CPU time per commit and per read, p10): the change (pairs' ratios,\n"
            "or difference of medians), randomization test with swaps within pairs (Holm over the figures),\n"
            "bootstrap interval of the change. Exit 0: no regression, every CPU-time figure decided (--decide);\n"
            "1: a regression in any figure; 2: a figure a pass needs too noisy to decide, or the runs cannot be compared.");
  ab->add_option("base", a->base, "the base build's runs")->required()->option_text("BASE_RUNS");
  ab->add_option("new", a->next, "the new build's runs")->required()->option_text("NEW_RUNS");
  ab->add_option("--threshold", a->threshold_pct, "smallest change of a median that counts, in percent")
      ->check(CLI::NonNegativeNumber)
      ->option_text("PCT (default 3)");
  ab->add_option("--alpha", a->alpha, "family-wise significance level")
      ->check(CLI::Range(0.0, 1.0))
      ->option_text("A (default 0.05)");
  ab->add_option("--confidence", a->confidence, "level of the bootstrap interval")
      ->check(CLI::Range(0.0, 1.0))
      ->option_text("C (default 0.95)");
  ab->add_option("--statistic", a->statistic,
                 "paired: the pairs' ratios new/base (Hodges-Lehmann); medians: difference of medians (ClickHouse)")
      ->check(CLI::IsMember({"medians", "paired"}))
      ->option_text("paired|medians (default paired)");
  ab->add_option("--decide", a->decide,
                 "cpu: a pass needs the CPU-time figures decided (wall-clock ones too noisy are shown, not "
                 "required); all: every figure. A regression in any figure fails either way")
      ->check(CLI::IsMember({"cpu", "all"}))
      ->option_text("cpu|all (default cpu)");
  ab->add_option("--format", a->format, "output format")->check(CLI::IsMember({"text", "md"}))->option_text("text|md");
  ab->add_option("--markdown-out", a->markdown_out, "also write the markdown section to FILE")->option_text("FILE");
  ab->add_option("--title", a->title, "heading of the markdown section")->option_text("TEXT");
  ab->callback([a, exit_code] { *exit_code = RunAb(*a); });

  auto h = std::make_shared<HistoryArgs>();
  CLI::App* history = app.add_subcommand(
      "history", "Write OUT/history.html (self-contained) and OUT/history.md: every figure of a history\n"
                 "folder over commits, with change points by E-divisive means (Matteson & James 2014) and a\n"
                 "permutation test. scripts/perf-ci and scripts/perf-ab append to the folder (--history DIR\n"
                 "or $PERF_HISTORY).");
  history->add_option("dir", h->dir, "the history folder")->required()->option_text("DIR");
  history->add_option("--out", h->out, "where the report goes (default DIR)")->option_text("OUT");
  history->add_option("--alpha", h->alpha, "significance of a change point")
      ->check(CLI::Range(0.0, 1.0))
      ->option_text("A (default 0.05)");
  history->add_option("--permutations", h->permutations, "shuffles per test")
      ->check(CLI::Range(19, 100000))
      ->option_text("N (default 199)");
  history->add_option("--min-size", h->min_size, "commits on each side of a change point")
      ->check(CLI::Range(2, 1000))
      ->option_text("N (default 2)");
  history->callback([h, exit_code] { *exit_code = RunHistory(*h); });
}

}  // namespace strata::cli
