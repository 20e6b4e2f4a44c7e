#include "indexing/settings.h"

#include <charconv>

namespace strata {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string Prefix(std::string_view strategy) { return "strategy " + std::string(strategy) + ": "; }

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> SplitSettings(std::string_view strategy,
                                                                       std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return Status::InvalidArgument(Prefix(strategy) + "setting '" + std::string(item) + "': expected key=value");
    const std::string key(Trim(item.substr(0, eq)));
    if (key.empty())
      return Status::InvalidArgument(Prefix(strategy) + "setting '" + std::string(item) + "' has no key");
    for (const auto& [k, v] : out)
      if (k == key) return Status::InvalidArgument(Prefix(strategy) + "setting '" + key + "' is given twice");
    out.emplace_back(key, std::string(Trim(item.substr(eq + 1))));
  }
  return out;
}

Result<uint64_t> ParseUnsignedSetting(std::string_view strategy, std::string_view key, std::string_view value,
                                      uint64_t min, uint64_t max) {
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return Status::InvalidArgument(Prefix(strategy) + "setting '" + std::string(key) + "': '" + std::string(value) +
                                   "' is not an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

Status UnknownSetting(std::string_view strategy, std::string_view key, std::string_view known) {
  return Status::InvalidArgument(Prefix(strategy) + "unknown setting '" + std::string(key) + "' (" +
                                 (known.empty() ? std::string("it has none") : "known: " + std::string(known)) + ")");
}

}  // namespace strata
