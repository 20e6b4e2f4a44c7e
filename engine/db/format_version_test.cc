// Format version 2 (docs/formats.md, "Versions"): an index written by a
// version 1 strata (keywords sorted as whole strings) is refused on open
// with a message naming both versions, and `strata repair` rebuilds it from
// the log, after which the database opens with its data.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "strata/verify.h"
#include "testing/test_util.h"
#include "util/coding.h"

namespace strata {
namespace {

// Repair renames folders, which the in-memory Env does not: a real folder.
TEST(FormatVersion, OldRootIsRefusedNamingBothVersionsAndRepairRebuildsIt) {
  char tmpl[] = "/tmp/strata_format_version_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/db";
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } cleanup{tmpl};
  Env* env = Env::Default();
  Options o;
  o.env = env;
  {
    auto c = Connection::Open(dir, o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(
        (*c)->Transact("[{:db/ident :k/v :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]").ok());
    ASSERT_TRUE((*c)->Transact("[{:k/v [:a/b :a-/b :ab]}]").ok());
    ASSERT_TRUE((*c)->IndexNow().ok());
  }
  // The root as a version 1 strata wrote it: same layout, version 1.
  auto root = env->ReadFile(dir + "/root");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  std::string bytes = *root;
  ASSERT_EQ(bytes.substr(0, 9), "STRATROOT");
  ASSERT_EQ(coding::DecodeFixed32(bytes.data() + 9), 2u);
  std::string v1;
  coding::PutFixed32(&v1, 1);
  bytes.replace(9, 4, v1);
  std::string body = bytes.substr(0, bytes.size() - 8);
  coding::PutFixed64(&body, coding::Checksum(body));
  {
    auto f = env->NewWritableFile(dir + "/root");
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(body).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto c = Connection::Open(dir, o);
  ASSERT_FALSE(c.ok());
  const std::string msg = c.status().ToString();
  EXPECT_NE(msg.find("version 1 is older than this strata's version 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("strata repair"), std::string::npos) << msg;

  RepairOptions ro;
  ro.env = env;
  auto rep = Repair(dir, ro);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_TRUE(rep->after.ok) << rep->ToString();
  auto again = Connection::Open(dir, o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto e = (*again)->db().Entid(*edn::ReadOne(":k/v"));
  ASSERT_TRUE(e.ok());
  auto ds = (*again)->db().DatomsVector(Index::kAevt, {Value::Ref(*e)});
  ASSERT_TRUE(ds.ok());
  std::vector<std::string> vs;
  for (const Datom& d : *ds) vs.push_back(d.v.str());
  EXPECT_EQ(vs, (std::vector<std::string>{"ab", "a/b", "a-/b"}));  // namespace, then name
}

}  // namespace
}  // namespace strata
