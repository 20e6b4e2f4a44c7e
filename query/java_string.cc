// Java string semantics over UTF-8 (see java_string.h).
#include "java_string.h"

#include <unicode/ustring.h>
#include <utf8proc.h>

#include <vector>

namespace strata::query {

uint32_t NextCodePoint(std::string_view s, size_t* pos) {
  utf8proc_int32_t cp = 0;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()) + *pos,
                                  static_cast<utf8proc_ssize_t>(s.size() - *pos), &cp);
  if (n <= 0) {  // not UTF-8 (never stored); step one byte, as U+FFFD
    ++*pos;
    return 0xfffd;
  }
  *pos += static_cast<size_t>(n);
  return static_cast<uint32_t>(cp);
}

int64_t Utf16Length(std::string_view s) {
  int64_t n = 0;
  for (size_t pos = 0; pos < s.size();) n += NextCodePoint(s, &pos) >= 0x10000 ? 2 : 1;
  return n;
}

Result<size_t> ByteOffsetOfUtf16(const char* fn, std::string_view s, int64_t i) {
  int64_t units = 0;
  size_t pos = 0;
  while (units < i && pos < s.size()) {
    const size_t at = pos;
    const uint32_t cp = NextCodePoint(s, &pos);
    units += cp >= 0x10000 ? 2 : 1;
    if (units > i) {
      char hex[16];
      snprintf(hex, sizeof hex, "U+%04X", cp);
      return Status::InvalidArgument(std::string("'") + fn + "' index " + std::to_string(i) + " falls inside " + hex +
                                     " at byte " + std::to_string(at) +
                                     ", which Java counts as two UTF-16 units; strata strings are UTF-8 and "
                                     "cannot hold half of it");
    }
  }
  return pos;
}

namespace {

// UTF-8 -> UTF-16 -> ICU case mapping (root locale) -> UTF-8.
Result<std::string> MapCase(std::string_view s, bool upper) {
  UErrorCode err = U_ZERO_ERROR;
  int32_t n16 = 0;
  u_strFromUTF8(nullptr, 0, &n16, s.data(), static_cast<int32_t>(s.size()), &err);
  if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) {
    return Status::InvalidArgument(std::string("case mapping: ") + u_errorName(err));
  }
  std::vector<UChar> in(static_cast<size_t>(n16) + 1);
  err = U_ZERO_ERROR;
  u_strFromUTF8(in.data(), n16 + 1, nullptr, s.data(), static_cast<int32_t>(s.size()), &err);
  if (U_FAILURE(err)) return Status::InvalidArgument(std::string("case mapping: ") + u_errorName(err));
  // The mapped length first (a full mapping may grow: ß -> SS), then the mapping.
  auto map = [&](UChar* dest, int32_t cap) {
    return upper ? u_strToUpper(dest, cap, in.data(), n16, "", &err) : u_strToLower(dest, cap, in.data(), n16, "", &err);
  };
  err = U_ZERO_ERROR;
  const int32_t m = map(nullptr, 0);
  if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) {
    return Status::InvalidArgument(std::string("case mapping: ") + u_errorName(err));
  }
  std::vector<UChar> out(static_cast<size_t>(m) + 1);
  err = U_ZERO_ERROR;
  map(out.data(), m + 1);
  if (U_FAILURE(err)) return Status::InvalidArgument(std::string("case mapping: ") + u_errorName(err));
  int32_t n8 = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &n8, out.data(), m, &err);
  if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) {
    return Status::InvalidArgument(std::string("case mapping: ") + u_errorName(err));
  }
  std::string r(static_cast<size_t>(n8), '\0');
  err = U_ZERO_ERROR;
  u_strToUTF8(r.data(), n8, nullptr, out.data(), m, &err);
  if (U_FAILURE(err) && err != U_STRING_NOT_TERMINATED_WARNING) {
    return Status::InvalidArgument(std::string("case mapping: ") + u_errorName(err));
  }
  return r;
}

}  // namespace

Result<std::string> ToUpperJava(std::string_view s) { return MapCase(s, true); }
Result<std::string> ToLowerJava(std::string_view s) { return MapCase(s, false); }

bool IsJavaWhitespace(uint32_t cp) {
  // Java: a space, line or paragraph separator other than the no-break
  // spaces (U+00A0, U+2007, U+202F), or one of \t \n \u000B \f \r and
  // \u001C-\u001F.
  if (cp == 0x09 || cp == 0x0a || cp == 0x0b || cp == 0x0c || cp == 0x0d || (cp >= 0x1c && cp <= 0x1f)) return true;
  if (cp == 0xa0 || cp == 0x2007 || cp == 0x202f) return false;
  const auto c = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

}  // namespace strata::query
