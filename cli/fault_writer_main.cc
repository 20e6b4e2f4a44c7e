// strata_fault_writer — `strata crash-writer` on the read-fault storage (a
// test program: it links strata_testing). scripts/crash-loop runs it when
// CRASH_LOOP_READ_FAULTS is set, for the soak of issue 16: kill -9 cycles
// while a share of the writer's reads fail (EIO) or return a flipped bit.
//
//   strata_fault_writer --db DIR [--strategy S] [--memory-index-threshold N]
//                       --read-faults FRACTION [--seed N]
//
// FRACTION of reads fail and as many again come back corrupted, once the
// database is open. The open itself sees only failures (EIO), at a
// twentieth of FRACTION since it reads every pack (an open fails whole and
// is retried): a bit flipped in the log's last record while the writer
// recovers would be indistinguishable from a torn write. Every failed read
// must fail its transaction or job, never commit a wrong one; the crash
// loop then checks, without faults, that every acknowledged number is
// there exactly once.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/dev_commands.h"
#include "testing/fault_injection_env.h"

int main(int argc, char** argv) {
  CLI::App app{"strata crash-writer on the read-fault storage"};
  strata::cli::CrashWriterArgs args;
  double fraction = 0.01;
  uint64_t seed = 1;
  app.add_option("--db", args.db, "database folder (created if missing)")->required();
  app.add_option("--strategy", args.strategy, "merge strategy");
  app.add_option("--memory-index-threshold", args.memory_index_threshold, "novelty bytes per indexing job");
  app.add_option("--transactions", args.transactions, "stop after N transactions (0: until killed)");
  app.add_option("--read-faults", fraction, "share of reads that fail, and again that are corrupted")
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--seed", seed, "fault seed");
  CLI11_PARSE(app, argc, argv);

  // Results (the acknowledged numbers) on stdout, the engine's log on stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("strata"));
  strata::FaultInjectionEnv env(strata::Env::Default());
  strata::ReadFaultSpec open_faults;
  open_faults.fail_fraction = fraction / 20;
  open_faults.seed = seed;
  env.SetReadFaults(open_faults);
  args.env = &env;
  args.retry_failed = true;
  args.fault_env_on = [&] {
    strata::ReadFaultSpec spec = open_faults;
    spec.fail_fraction = fraction;
    spec.corrupt_fraction = fraction;
    env.SetReadFaults(spec);
  };
  return strata::cli::RunCrashWriter(args);
}
