// pg_test_util.h — what the PostgreSQL tests share (test builds only).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "strata/database.h"
#include "strata/location.h"
#include "strata/postgres.h"

namespace strata::testing {

// The throw-away server's URI: STRATA_PG_URI, or the first line of the file
// STRATA_PG_URI_FILE names (ctest's `postgres` fixture writes it); "" when
// neither is set (the tests then skip).
inline std::string PgServerUri() {
  UsePostgresStorage();
  if (const char* u = std::getenv("STRATA_PG_URI"); u && *u) return u;
  const char* f = std::getenv("STRATA_PG_URI_FILE");
  if (!f) return "";
  std::ifstream in(f);
  std::string uri;
  std::getline(in, uri);
  return uri;
}

// Why a PostgreSQL test skips when PgServerUri() is "".
inline constexpr const char* kPgSkipMessage =
    "needs a PostgreSQL server: run with ctest (its `postgres` fixture starts one: ctest -L postgres), "
    "or set STRATA_PG_URI=postgres://...";

// The location of a fresh strata database `name` on `server` (anything
// left by an earlier run dropped); "" with a test failure if it cannot be.
inline std::string FreshPgDatabase(const std::string& server, const std::string& name) {
  const std::string uri = WithStrataDb(server, name);
  const Status s = DestroyDatabase(uri);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok() ? uri : "";
}

}  // namespace strata::testing
