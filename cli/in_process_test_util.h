// in_process_test_util.h — runs a `strata` command line in the test's own
// process (test builds only): the commands one Add*Commands function
// registers, stdout and stderr captured. For tests through the binary, see
// run_binary_test_util.h.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace strata::cli::testing {

// `add(app, &code)` registers the commands (e.g. AddQueryCommands). Returns
// the command's exit code, or 100 + CLI11's exit code when parsing failed
// (CLI11 prints its message as the binary would).
template <class Add>
int RunInProcess(Add add, std::vector<std::string> argv, std::string* out, std::string* err) {
  CLI::App app{"strata"};
  int code = -1;
  add(app, &code);
  std::vector<std::string> rev(argv.rbegin(), argv.rend());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  try {
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    code = 100 + app.exit(e);
  }
  *out = ::testing::internal::GetCapturedStdout();
  std::string e = ::testing::internal::GetCapturedStderr();
  if (err != nullptr) *err = e;
  return code;
}

}  // namespace strata::cli::testing
