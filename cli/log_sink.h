// cli/log_sink.h — where the strata command's log lines go.
//
// The engine logs through spdlog; the command keeps stdout for results and
// writes each log line to stderr as "strata: <level>: <message>", with
// every PostgreSQL URI's password removed (RedactSecrets). Engine messages
// start with "strata: " themselves (for programs with spdlog's default
// format); that prefix is dropped so a line never reads "strata: info:
// strata: ...".
#pragma once

#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

namespace strata::cli {

// A logger named "strata" writing such lines to `out` (stderr by default).
std::shared_ptr<spdlog::logger> NewCliLogger(FILE* out = stderr);

}  // namespace strata::cli
