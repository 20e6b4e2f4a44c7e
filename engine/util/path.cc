// path.cc — see path.h.
#include "util/path.h"

#include <string_view>

namespace strata {

std::string NormalizePath(const std::string& path) {
  std::string_view in = path;
  while (in.size() > 2 && in.substr(0, 2) == "./") in.remove_prefix(2);
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.empty()) out = ".";
  return out;
}

std::string ParentOf(const std::string& norm) {
  size_t slash = norm.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return norm.substr(0, slash);
}

std::string BaseName(const std::string& norm) {
  size_t slash = norm.find_last_of('/');
  return slash == std::string::npos ? norm : norm.substr(slash + 1);
}

}  // namespace strata
