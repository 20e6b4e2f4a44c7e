// utf8.h — UTF-8 helpers of the EDN reader (internal).

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::edn {

// Appends the UTF-8 encoding of code point `cp` (at most 0x10ffff).
void AppendUtf8(uint32_t cp, std::string* out);

// Parses exactly four hex digits at s[0..4).
bool Hex4(std::string_view s, uint32_t* out);

// Length of the well-formed UTF-8 sequence starting at s[0] (s not empty),
// or 0 when malformed (overlong, surrogate, past U+10FFFF, truncated): by
// utf8proc. FindInvalidUtf8 (strata/edn.h) applies it to a whole string.
size_t Utf8Length(std::string_view s);

}  // namespace strata::edn
