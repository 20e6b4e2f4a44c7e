// Shared command-line flags (see flags.h).

#include "cli/flags.h"

#include <cctype>
#include <string>

namespace strata::cli {

void AddFormatFlag(CLI::App* cmd, Format* format) {
  // CLI11's own checker answers "Check xml value in {edn->0,json->1} OR
  // {0,1} FAILED"; this one names the value and the formats there are.
  CLI::Validator formats(
      [](std::string& value) -> std::string {
        std::string lower = value;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "edn") value = std::to_string(static_cast<int>(Format::kEdn));
        else if (lower == "json") value = std::to_string(static_cast<int>(Format::kJson));
        else return "'" + value + "' is not an output format: expected edn or json";
        return "";
      },
      "edn|json");
  cmd->add_option("--format", *format, "output format: edn (default) or json")->transform(formats)->option_text("edn|json");
}

}  // namespace strata::cli
