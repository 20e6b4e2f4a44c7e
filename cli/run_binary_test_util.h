// run_binary_test_util.h — runs the built `strata` binary (STRATA_BIN, a
// compile definition of each end-to-end test) in a child process, for the
// CLI's end-to-end tests: stdin from a file (or /dev/null), stdout and
// stderr to files, optionally under an address-space limit and a watchdog.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef STRATA_BIN
#error "STRATA_BIN: the path of the strata binary under test"
#endif

namespace strata::cli::testing {

struct Outcome {
  int code = -1;  // the exit status, or 128 + the signal that ended it
  std::string out, err;
  double seconds = 0;
  long peak_mb = 0;  // the child's peak resident set
};

inline std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct ChildLimits {
  rlim_t address_space = 0;    // RLIMIT_AS; 0: none
  unsigned watchdog_seconds = 0;  // SIGALRM after this long; 0: none
};

// Starts the binary with `args`; stdin from `in` ("": /dev/null), stdout
// and stderr to the files `out` and `err`. Returns the child's pid.
inline pid_t StartStrata(const std::vector<std::string>& args, const std::string& in, const std::string& out,
                         const std::string& err, ChildLimits limits = {}) {
  std::vector<char*> argv = {const_cast<char*>(STRATA_BIN)};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    if (limits.address_space != 0) {
      rlimit as{limits.address_space, limits.address_space};
      if (setrlimit(RLIMIT_AS, &as) != 0) _exit(126);
    }
    if (limits.watchdog_seconds != 0) alarm(limits.watchdog_seconds);
    dup2(open(in.empty() ? "/dev/null" : in.c_str(), O_RDONLY), 0);
    dup2(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    dup2(open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    execv(STRATA_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

// Runs the binary to its end (see StartStrata) and collects what it did.
inline Outcome RunStrata(const std::vector<std::string>& args, const std::string& in, const std::string& out,
                         const std::string& err, ChildLimits limits = {}) {
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = StartStrata(args, in, out, err, limits);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  o.peak_mb = ru.ru_maxrss / 1024;
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.out = Slurp(out);
  o.err = Slurp(err);
  return o;
}

}  // namespace strata::cli::testing
