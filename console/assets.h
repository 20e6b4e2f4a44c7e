// console/assets.h — the page's files, compiled into the binary from
// console/page/ by console/embed.cmake (internal).
#pragma once

#include <cstddef>

namespace strata::console {

struct Asset {
  const char* path;          // "/app.js"
  const char* content_type;  // "text/javascript; charset=utf-8"
  const unsigned char* data;
  size_t size;
};

extern const Asset kAssets[];
extern const size_t kAssetCount;

}  // namespace strata::console
