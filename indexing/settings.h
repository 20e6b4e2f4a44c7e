// settings.h — reading a strategy's settings: "key=value,key=value".
//
// The engine carries each strategy's settings as opaque text
// (Options::strategy_settings); the strategy fills its own options struct
// from it with these helpers when it is made. Every error is an
// InvalidArgument naming the strategy and the key, so a typo is reported,
// never ignored.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata {

// The key=value items of `text`, in order. Spaces around keys and values
// are ignored; an empty text (or empty items) gives none. InvalidArgument
// for an item without '=', an empty key, or a key given twice.
Result<std::vector<std::pair<std::string, std::string>>> SplitSettings(std::string_view strategy,
                                                                       std::string_view text);

// `value` as a decimal integer in [min, max], or InvalidArgument.
Result<uint64_t> ParseUnsignedSetting(std::string_view strategy, std::string_view key, std::string_view value,
                                      uint64_t min, uint64_t max);

// The error for a key the strategy does not have; `known` lists its keys
// ("a, b"), empty when it has none.
Status UnknownSetting(std::string_view strategy, std::string_view key, std::string_view known);

}  // namespace strata
