// `strata experiment FILE`: flag handling over harness::RunExperiment
// (harness/experiment.h). Here: the progress line with an ETA over the
// whole experiment on stderr, then OUT/observations.csv, OUT/report.html
// and OUT/summary.md over every finished cell. Ctrl-C stops after the step in flight: the cell
// in progress is left unfinished (redone by the next invocation), the CSV
// and the report cover the finished cells, and the exit code is 130. A
// cell that fails ends the run with exit 1 naming it, after the CSV and
// the report of the cells before it.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/experiment_command.h"
#include "harness/experiment.h"
#include "harness/observations.h"
#include "reports/experiment_report.h"
#include "reports/experiment_summary.h"
#include "reports/page.h"
#include "strata/location.h"

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

std::string Duration(double s) {
  char buf[32];
  if (s < 90) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 5400) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

// "\r  [3/24, 9%] uniform-s1-adaptive-r1-...  1200/2000 steps  ETA 4 min"
// on a terminal; a line per cell otherwise. The ETA weighs each cell by
// its workload's estimated steps, at the rate of the cells run so far in
// this invocation (skipped cells cost nothing).
class ExperimentProgress : public harness::ExperimentObserver {
 public:
  ExperimentProgress() : on_(isatty(STDERR_FILENO) != 0), start_(Clock::now()) {}

  bool Stopped() override { return Interrupted(); }
  void CellStarted(size_t index, size_t total, const harness::ExperimentCell& cell, uint64_t done_weight,
                   uint64_t total_weight) override {
    if (cell_weight_ > 0) ran_weight_ += cell_weight_;  // the previous cell ran to its end
    index_ = index;
    total_ = total;
    cell_weight_ = cell.weight;
    done_weight_ = done_weight;
    total_weight_ = total_weight;
    id_ = cell.key.id;
    steps_ = 0;
    if (!on_) std::fprintf(stderr, "strata experiment: cell %zu/%zu %s  ETA %s\n", index + 1, total, id_.c_str(), Eta().c_str());
  }
  void CellSkipped(const harness::ExperimentCell& cell) override { skipped_++; }
  void Started(const std::string& label, uint64_t estimated_steps) override { estimated_ = estimated_steps; }
  void Progress(uint64_t steps, const ConnectionStats& cs) override {
    steps_ = steps;
    Line("");
  }
  void Note(const std::string& what) override { Line(what); }
  void Ended() override {
    if (on_) std::fputs("\r\033[K", stderr);
  }
  // A line per cell that stays on a terminal (the progress line is erased).
  void Finished(const std::string& label, const harness::RunResult& r) override {
    if (!on_) return;
    const harness::Summary& s = r.summary;
    std::fprintf(stderr, "  %s: %.1f s, %llu jobs, write amp %.2f, %.2f segments per point read%s\n", id_.c_str(),
                 s.import_s + s.final_index_ms / 1000, static_cast<unsigned long long>(s.jobs), s.write_amplification,
                 s.read_segments_per_point_read, s.interrupted ? " (interrupted)" : "");
  }
  void Message(const std::string& text) override {
    Ended();
    std::fprintf(stderr, "strata: %s\n", RedactSecrets(text).c_str());
  }
  size_t skipped() const { return skipped_; }

 private:
  // The current cell's share done, from its steps.
  double Fraction() const {
    return estimated_ > 0 ? std::min(1.0, static_cast<double>(steps_) / static_cast<double>(estimated_)) : 0;
  }
  std::string Eta() const {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double ran = static_cast<double>(ran_weight_) + Fraction() * static_cast<double>(cell_weight_);
    if (ran <= 0 || elapsed <= 0) return "?";
    const double left = static_cast<double>(total_weight_ - done_weight_) - Fraction() * static_cast<double>(cell_weight_);
    return Duration(std::max(0.0, left) * elapsed / ran);
  }
  void Line(const std::string& what) {
    if (!on_) return;
    const Clock::time_point now = Clock::now();
    if (what.empty() && now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double pct = total_weight_ > 0 ? 100.0 * (static_cast<double>(done_weight_) + Fraction() * cell_weight_) /
                                               static_cast<double>(total_weight_)
                                         : 0;
    std::fprintf(stderr, "\r\033[K  [%zu/%zu, %.0f%%] %s  %s  ETA %s", index_ + 1, total_, pct, id_.c_str(),
                 what.empty() ? (std::to_string(steps_) + "/" + std::to_string(estimated_) + " steps").c_str()
                              : what.c_str(),
                 Eta().c_str());
  }

  const bool on_;
  const Clock::time_point start_;
  Clock::time_point last_;
  size_t index_ = 0, total_ = 0, skipped_ = 0;
  uint64_t cell_weight_ = 0, ran_weight_ = 0, done_weight_ = 0, total_weight_ = 0;
  uint64_t steps_ = 0, estimated_ = 0;
  std::string id_;
};

}  // namespace

int RunExperimentCommand(const ExperimentArgs& args) {
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return Fail(args.file + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::string out = args.out.empty() ? "results/" + std::filesystem::path(args.file).stem().string() : args.out;
  auto experiment = harness::ParseExperiment(text, args.file, out, args.overrides);
  if (!experiment.ok()) return Fail(experiment.status().message());
  if (args.dry_run) {
    for (const harness::ExperimentCell& c : experiment->cells)
      std::printf("%s %s\n", harness::FinishedCell(c) ? "finished" : "to run  ", c.key.id.c_str());
    std::printf("%zu cells\n", experiment->cells.size());
    return 0;
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return Fail("--out " + out + ": " + ec.message());
  // The file as run: its text, then the --set overrides (as comments; without passwords).
  std::string as_run = text;
  if (!args.overrides.empty()) {
    as_run += "\n;; run with:\n";
    for (const std::string& o : args.overrides) as_run += ";;   --set " + RedactLocation(o) + "\n";
  }
  if (Status s = reports::WriteFileAtomically(out + "/experiment.edn", as_run); !s.ok()) return Fail(s.message());

  const harness::Context context = harness::CollectContext(args.command_line);
  if (!context.release)
    std::fprintf(stderr, "strata experiment: WARNING: not a release build (%s): timings are not representative\n",
                 context.build_type.c_str());
  CatchSigint();
  ExperimentProgress progress;
  const Clock::time_point t0 = Clock::now();
  auto outcome = harness::RunExperiment(*experiment, context, &progress);
  if (!outcome.ok()) return Fail(outcome.status().message());
  std::printf("strata experiment: %zu cells: %zu ran, %zu finished before, %zu left; %s\n", experiment->cells.size(),
              outcome->ran, outcome->skipped, experiment->cells.size() - outcome->finished.size(),
              Duration(std::chrono::duration<double>(Clock::now() - t0).count()).c_str());

  if (Status s = reports::WriteFileAtomically(out + "/observations.csv", harness::ObservationsCsv(outcome->finished)); !s.ok())
    return Fail(s.message());
  const std::string title = experiment->name.empty() ? std::filesystem::path(args.file).stem().string() : experiment->name;
  auto report = reports::WriteExperimentReport(out, title, outcome->finished);
  if (!report.ok()) return Fail(report.status().message());
  for (const std::string& w : report->warnings) std::fprintf(stderr, "strata: warning: %s\n", w.c_str());
  auto summary = reports::WriteExperimentSummary(out, title, outcome->finished);
  if (!summary.ok()) return Fail(summary.status().message());
  std::printf("observations in %s/observations.csv, report in %s (%d charts), summary in %s\n", out.c_str(),
              report->html_path.c_str(), report->canvases, summary->c_str());
  std::fflush(stdout);
  if (!outcome->error.ok()) return Fail(outcome->error.message() + " (the cells before it are kept; run again to go on)");
  if (outcome->stopped) {
    std::fprintf(stderr, "strata: interrupted; run the same command again to finish the experiment\n");
    return 130;
  }
  return 0;
}

void AddExperimentCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<ExperimentArgs>();
  CLI::App* cmd = app.add_subcommand(
      "experiment",
      "Run a declarative experiment (EDN: workloads x strategies x parameters x scales x repetitions;\n"
      "docs/harness.md, \"Experiments\"), one `strata run` per cell, resumable: a finished cell is not\n"
      "rerun. Writes OUT/cells/<cell>/results-<strategy>.json, OUT/observations.csv (tidy: one row per\n"
      "observation), OUT/report.html and OUT/summary.md (a table per configuration). Ctrl-C stops\n"
      "cleanly (exit 130); run again to go on.\n"
      "Example: strata experiment datasets/experiments/small.edn --out results/small\n"
      "         strata experiment datasets/experiments/storage.edn --set storage='[\"folder\" \"postgres://...\"]'");
  cmd->add_option("file", a->file, "the experiment file (EDN)")->required()->option_text("FILE");
  cmd->add_option("--out", a->out, "the experiment's folder (default results/<FILE's stem>)")->option_text("DIR");
  cmd->add_flag("--dry-run", a->dry_run, "list the cells, finished or to run; run nothing");
  cmd->add_option("--set", a->overrides,
                  "replace a key of the file, KEY=EDN: a top-level key (scales, repetitions, strategies,\n"
                  "workloads, name) or a :parameters key (storage, sync, memory-index-threshold, ...);\n"
                  "repeatable. E.g. --set 'storage=[\"folder\" \"postgres://strata@127.0.0.1:5433/strata\"]'")
      ->option_text("KEY=EDN");
  cmd->callback([a, exit_code] {
    spdlog::set_level(spdlog::level::warn);  // a line per job would bury the progress line
    a->command_line = "strata experiment " + a->file + (a->out.empty() ? "" : " --out " + a->out);
    for (const std::string& o : a->overrides) a->command_line += " --set " + RedactLocation(o);
    *exit_code = RunExperimentCommand(*a);
  });
}

}  // namespace strata::cli
