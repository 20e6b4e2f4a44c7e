// path.h — path arithmetic for the in-memory and fault-injecting Envs
// (internal): lexical only, nothing touches a file system.
#pragma once

#include <string>

namespace strata {

// "a//b/" -> "a/b"; "./a" -> "a"; "" -> "."; the root stays "/".
std::string NormalizePath(const std::string& path);
// The folder of a normalized path: "a/b" -> "a", "a" -> ".", "/a" -> "/".
std::string ParentOf(const std::string& norm);
// The last component of a normalized path.
std::string BaseName(const std::string& norm);

}  // namespace strata
