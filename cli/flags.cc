// Shared command-line flags (see flags.h).

#include "cli/flags.h"

#include <map>

namespace strata::cli {

void AddFormatFlag(CLI::App* cmd, Format* format) {
  static const std::map<std::string, Format> kFormats = {{"edn", Format::kEdn}, {"json", Format::kJson}};
  cmd->add_option("--format", *format, "output format: edn (default) or json")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case))
      ->option_text("edn|json");
}

}  // namespace strata::cli
