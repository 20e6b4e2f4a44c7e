// Locations: naming, dispatch and destruction.
#include "storage/backend.h"

#include <gtest/gtest.h>

#include "strata/database.h"
#include "strata/connection.h"

namespace strata {
namespace {

TEST(Location, WithStrataDbSetsOrReplacesTheName) {
  EXPECT_EQ(WithStrataDb("postgres://u@h:5432/pg", "a"), "postgres://u@h:5432/pg?strata_db=a");
  EXPECT_EQ(WithStrataDb("postgresql://h/pg?sslmode=disable", "b"), "postgresql://h/pg?sslmode=disable&strata_db=b");
  EXPECT_EQ(WithStrataDb("postgres://h/pg?strata_db=old&host=/tmp", "c"), "postgres://h/pg?host=/tmp&strata_db=c");
  EXPECT_EQ(WithStrataDb("/data/dbs/one", "two"), "/data/dbs/two");
  EXPECT_EQ(WithStrataDb("file:/data/one", "two"), "/data/two");
  EXPECT_EQ(WithStrataDb("one", "two"), "two");
}

// With the PostgreSQL backend linked, redaction keeps user, host and
// strata_db (pg_backend_test.cc: PgLocation.RedactedLocationsHaveNoPassword);
// without it, a PostgreSQL location is hidden whole.
TEST(Location, RedactedLocationsHaveNoPassword) {
  EXPECT_EQ(RedactLocation("/data/db"), "/data/db");
  for (const std::string uri : {"postgres://alice:s3cret@db.example:5432/pg?strata_db=music",
                                "postgresql://alice@db.example/pg?password=s3cret&strata_db=music"}) {
    const std::string r = RedactLocation(uri);
    EXPECT_EQ(r.find("s3cret"), std::string::npos) << r;
    EXPECT_EQ(r.rfind(uri.substr(0, uri.find("://") + 3), 0), 0u) << r;
  }
}

// engine_tests does not link strata_postgres: a PostgreSQL location is
// refused with a message that says why and shows no password.
TEST(Location, PostgresWithoutItsBackendIsAClearError) {
  const std::string uri = "postgres://alice:s3cret@db.example:5432/pg?strata_db=music";
  auto b = OpenBackend(uri, BackendOptions{});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find("without the PostgreSQL backend"), std::string::npos) << b.status().ToString();
  EXPECT_EQ(b.status().message().find("s3cret"), std::string::npos) << b.status().ToString();
  EXPECT_EQ(DestroyDatabase(uri).code(), Code::kInvalidArgument);
}

TEST(Location, UnknownSchemesAreRefused) {
  auto b = OpenBackend("s3://bucket/db", BackendOptions{});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find("s3://bucket/db"), std::string::npos) << b.status().ToString();
}

TEST(Location, DestroyRemovesADatabaseButNotAnOpenOne) {
  auto env = NewMemEnv();
  Options o;
  o.env = env.get();
  auto c = Connection::Open("/x/db", o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE((*c)->Transact("[{:db/doc \"hello\"}]").ok());
  ASSERT_TRUE((*c)->IndexNow().ok());  // segments in dir/packs
  EXPECT_EQ(DestroyDatabase("/x/db", env.get()).code(), Code::kBusy);
  c->reset();
  ASSERT_FALSE(env->ListDir("/x/db/packs")->empty());
  ASSERT_TRUE(DestroyDatabase("/x/db", env.get()).ok());
  EXPECT_TRUE(env->ListDir("/x/db/packs")->empty()) << "the pack files go too";
  o.create_if_missing = false;
  auto gone = Connection::Open("/x/db", o);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.status().IsNotFound()) << gone.status().ToString();
  EXPECT_TRUE(DestroyDatabase("/x/never", env.get()).ok());
}

}  // namespace
}  // namespace strata
