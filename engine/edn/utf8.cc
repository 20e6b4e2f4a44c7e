// UTF-8 helpers of the EDN reader (see utf8.h).

#include "edn/utf8.h"

#include <utf8proc.h>

#include <cstdio>

#include "strata/edn.h"

namespace strata::edn {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool Hex4(std::string_view s, uint32_t* out) {
  if (s.size() < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = s[i];
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

size_t Utf8Length(std::string_view s) {
  if (static_cast<unsigned char>(s[0]) < 0x80) return 1;
  utf8proc_int32_t cp;
  const utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                              static_cast<utf8proc_ssize_t>(s.size()), &cp);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

size_t FindInvalidUtf8(std::string_view s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII, eight bytes at a time where it can.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = Utf8Length(s.substr(i));
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string DescribeInvalidUtf8(std::string_view s, size_t offset) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "byte 0x%02X at offset %zu", offset < s.size() ? static_cast<unsigned char>(s[offset]) : 0u,
                offset);
  return buf;
}

}  // namespace strata::edn
