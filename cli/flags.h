// cli/flags.h — command-line flags several subcommands share.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/output.h"

namespace strata::cli {

// --format edn|json (case-insensitive; default edn).
void AddFormatFlag(CLI::App* cmd, Format* format);

}  // namespace strata::cli
