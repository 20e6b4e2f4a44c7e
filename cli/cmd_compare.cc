// `strata compare BASE NEW`: the regression gate (see reports/compare.h).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/commands.h"
#include "cli/report_commands.h"
#include "reports/compare.h"

namespace strata::cli {

void AddCompareCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Compare two result sets and exit 1 on a regression, naming the figure.\n"
                 "BASE and NEW are strata run results (a folder or a results file) or Google Benchmark\n"
                 "JSON (--benchmark_out). Counters (bytes and segments written, datoms rewritten, sources\n"
                 "merged) are compared exactly: an increase beyond the threshold regresses. Timings regress\n"
                 "when a two-sided Mann-Whitney U test gives p < alpha and the median is worse by more than\n"
                 "the threshold. When both runs record storage_live_bytes, live bytes are gated and garbage\n"
                 "bytes shown. Exit 0: no regression; 1: a regression; 2: the inputs cannot be compared\n"
                 "(unreadable, different formats, no strategy or figure in common, or runs whose workload,\n"
                 "scale, seed, engine options or build differ, unless --allow-different-options).");
  cmd->add_option("base", args->base, "the reference results")->required()->option_text("BASE");
  cmd->add_option("new", args->next, "the results to check")->required()->option_text("NEW");
  cmd->add_option("--threshold", args->threshold_pct, "smallest change of a median that counts, in percent")
      ->check(CLI::NonNegativeNumber)
      ->option_text("PCT (default 5)");
  cmd->add_option("--alpha", args->alpha, "significance level of the timing test")
      ->check(CLI::Range(0.0, 1.0))
      ->option_text("A (default 0.05)");
  cmd->add_option("--format", args->format, "output format")
      ->check(CLI::IsMember({"text", "md"}))
      ->option_text("text|md (default text)");
  cmd->add_option("--markdown-out", args->markdown_out, "also write the markdown table to FILE")
      ->option_text("FILE");
  cmd->add_flag("--allow-different-options", args->allow_different_options,
                "compare runs whose settings differ (a loud warning) instead of exiting 2");
  cmd->callback([args, exit_code] { *exit_code = RunCompare(*args); });
}

int RunCompare(const CompareArgs& args) {
  // Bad input is not a regression: exit 2, so CI can tell the two apart.
  auto CannotCompare = [](const std::string& message) {
    Fail(message);
    return 2;
  };
  auto base = reports::LoadResultSet(args.base);
  if (!base.ok()) return CannotCompare("BASE: " + base.status().message());
  auto next = reports::LoadResultSet(args.next);
  if (!next.ok()) return CannotCompare("NEW: " + next.status().message());
  reports::CompareOptions options;
  options.threshold_pct = args.threshold_pct;
  options.alpha = args.alpha;
  auto c = reports::Compare(*base, *next, options);
  if (!c.ok()) return CannotCompare(c.status().message());
  if (!c->differences.empty() && !args.allow_different_options) {
    std::string list;
    for (const std::string& d : c->differences) list += "\n  " + d;
    return CannotCompare("the runs differ in their settings, so their figures measure different things:" + list +
                         "\ncompare runs made with the same workload, options and build, or pass "
                         "--allow-different-options to compare them anyway");
  }
  for (const std::string& d : c->differences) std::fprintf(stderr, "strata: warning: settings differ: %s\n", d.c_str());

  const std::string md = reports::ComparisonToMarkdown(*c);
  std::fputs(args.format == "md" ? md.c_str() : reports::ComparisonToText(*c).c_str(), stdout);
  std::fflush(stdout);
  if (!args.markdown_out.empty()) {
    std::ofstream out(args.markdown_out, std::ios::binary | std::ios::trunc);
    out << md;
    if (!out.flush()) return CannotCompare("cannot write " + args.markdown_out);
  }
  if (c->regressed()) {
    for (const std::string& r : c->RegressionNames()) std::fprintf(stderr, "strata: regression: %s\n", r.c_str());
    return 1;
  }
  return 0;
}

}  // namespace strata::cli
