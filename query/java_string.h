// java_string.h — Java's string semantics over strata's UTF-8 strings, for the
// query functions (internal).
//
// Datomic's string functions are Clojure's, over java.lang.String: lengths
// and indexes count UTF-16 code units, and case mapping is
// String.toUpperCase / toLowerCase (full Unicode mappings: "ß" upper-cases
// to "SS"). strata stores UTF-8, so these helpers translate: decoding by
// utf8proc, case mapping by ICU (Debian libicu-dev). A character outside
// the Basic Multilingual Plane counts 2, as in Java (and in DataScript's
// JavaScript); an index that falls between its two units cannot be cut in
// UTF-8 and is an error.
//
// Every function requires valid UTF-8 (what the EDN reader and the
// transactor let in). Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::query {

// Java's String.length(): UTF-16 code units.
int64_t Utf16Length(std::string_view s);

// The byte offset of UTF-16 index `i` (0 <= i <= Utf16Length(s)), or an
// InvalidArgument naming `fn` when i falls inside a surrogate pair.
Result<size_t> ByteOffsetOfUtf16(const char* fn, std::string_view s, int64_t i);

// String.toUpperCase / toLowerCase in the root locale (ICU's full case
// mappings, with Greek final sigma in lower case).
Result<std::string> ToUpperJava(std::string_view s);
Result<std::string> ToLowerJava(std::string_view s);

// Character.isWhitespace(cp), as clojure.string/blank? and trim use it.
bool IsJavaWhitespace(uint32_t cp);

// Decodes the code point at s[*pos] and moves *pos past it; requires
// *pos < s.size() and valid UTF-8.
uint32_t NextCodePoint(std::string_view s, size_t* pos);

}  // namespace strata::query
