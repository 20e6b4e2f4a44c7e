// pg_test_util.h — what the PostgreSQL tests share (test builds only).
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

namespace strata::testing {

// The throw-away server's URI: STRATA_PG_URI, or the first line of the file
// STRATA_PG_URI_FILE names (ctest's `postgres` fixture writes it); "" when
// neither is set (the tests then skip).
inline std::string PgServerUri() {
  if (const char* u = std::getenv("STRATA_PG_URI"); u && *u) return u;
  const char* f = std::getenv("STRATA_PG_URI_FILE");
  if (!f) return "";
  std::ifstream in(f);
  std::string uri;
  std::getline(in, uri);
  return uri;
}

}  // namespace strata::testing
