// `strata index-range`, `strata seek-datoms` and `strata entity`, run in
// process on a database in a temporary folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/index_read_commands.h"
#include "cli/in_process_test_util.h"
#include "strata/connection.h"
#include "strata/edn.h"

namespace strata::cli {
namespace {

class IndexReadCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/strata_ir_cli_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    auto conn = Connection::Open(dir_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto tx = [&](const char* text) {
      auto r = (*conn)->Transact(text);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      return r.ok() ? r->t : T{0};
    };
    tx(R"([{:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
           {:db/ident :item/note :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :item/sku :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
           {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
           {:db/ident :item/kind :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
           {:db/ident :item/maker :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
           {:db/ident :item/parts :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
           {:db/ident :part/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
           {:db/ident :kind/tool}])");
    t1_ = tx(R"([{:db/id "m" :item/sku "MAKER"}
                 {:item/sku "SKU-1" :item/count 1 :item/note "one"}
                 {:item/sku "SKU-5" :item/count 5 :item/note "five" :item/tags [:red :blue] :item/kind :kind/tool
                  :item/maker "m" :item/parts [{:part/name "lid"} {:part/name "box"}]}
                 {:item/sku "SKU-9" :item/count 9}
                 {:item/sku "SKU-20" :item/count 20}])");
    tx(R"([[:db/add [:item/sku "SKU-5"] :item/count 6]])");
    ASSERT_TRUE((*conn)->Close().ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Cli(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) {
    return testing::RunInProcess([](CLI::App& app, int* code) { AddIndexReadCommands(app, code); }, std::move(argv), out, err);
  }

  // The printed datoms, each read back as EDN [e a v tx added].
  std::vector<edn::Node> Datoms(const std::string& out) {
    std::vector<edn::Node> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      auto n = edn::ReadOne(line);
      EXPECT_TRUE(n.ok()) << line;
      if (n.ok()) v.push_back(*n);
    }
    return v;
  }
  // "attr=value" for each datom, in order.
  std::vector<std::string> AV(const std::string& out) {
    std::vector<std::string> v;
    for (const auto& d : Datoms(out)) v.push_back(edn::Print(d.items[1]) + "=" + edn::Print(d.items[2]));
    return v;
  }

  std::string dir_;
  T t1_ = 0;
};

using Strings = std::vector<std::string>;

// Datomic's index-range: "all the SKUs between "SKU-42" inclusive and
// "SKU-44" exclusive" (https://docs.datomic.com/indexes/index-apis.html);
// nil for an open end.
TEST_F(IndexReadCommandsTest, IndexRange) {
  std::string out, err;
  ASSERT_EQ(Cli({"index-range", "--db", dir_, ":item/count", "5", "20"}, &out, &err), 0) << err;
  EXPECT_EQ(AV(out), (Strings{":item/count=6", ":item/count=9"}));
  ASSERT_EQ(Cli({"index-range", "--db", dir_, ":item/count", "nil", "6"}, &out, &err), 0) << err;
  EXPECT_EQ(AV(out), (Strings{":item/count=1"}));
  ASSERT_EQ(Cli({"index-range", "--db", dir_, ":item/count", "9"}, &out, &err), 0) << err;
  EXPECT_EQ(AV(out), (Strings{":item/count=9", ":item/count=20"}));
  ASSERT_EQ(Cli({"index-range", "--db", dir_, ":item/sku", "\"SKU-1\"", "\"SKU-5\""}, &out, &err), 0) << err;
  EXPECT_EQ(AV(out), (Strings{":item/sku=\"SKU-1\"", ":item/sku=\"SKU-20\""}));  // string order
  ASSERT_EQ(Cli({"index-range", "--db", dir_, "--as-of", std::to_string(t1_), ":item/count", "5", "6"}, &out, &err), 0);
  EXPECT_EQ(AV(out), (Strings{":item/count=5"}));
  ASSERT_EQ(Cli({"index-range", "--db", dir_, "--format", "json", "--limit", "1", ":item/count"}, &out, &err), 0);
  auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0][2], 1);
  EXPECT_NE(err.find("stopped at --limit 1"), std::string::npos) << err;

  EXPECT_EQ(Cli({"index-range", "--db", dir_, ":item/note"}, &out, &err), 1);
  EXPECT_NE(err.find("neither :db/index nor :db/unique"), std::string::npos) << err;
  EXPECT_EQ(Cli({"index-range", "--db", dir_, ":item/count", "\"x\""}, &out, &err), 1);
  EXPECT_NE(err.find("START \"x\""), std::string::npos) << err;
  EXPECT_EQ(Cli({"index-range", "--db", dir_, ":item/nope"}, &out, &err), 1);
  EXPECT_EQ(Cli({"index-range", "--db", dir_, ":item/count", "1", "2", "3"}, &out, &err), 1);
}

// Datomic's seek-datoms "returns datoms forward from the point in the index
// where the components would reside" and continues "until ... you reach the
// end of the index" (https://docs.datomic.com/indexes/rseek-datoms.html):
// past the attribute named, unlike `datoms`.
TEST_F(IndexReadCommandsTest, SeekDatoms) {
  std::string out, err;
  ASSERT_EQ(Cli({"seek-datoms", "--db", dir_, "avet", ":item/count", "7"}, &out, &err), 0) << err;
  Strings av = AV(out);
  ASSERT_GE(av.size(), 3u) << out;
  EXPECT_EQ(av[0], ":item/count=9");  // the first value >= 7
  EXPECT_EQ(av[1], ":item/count=20");
  EXPECT_EQ(av[2], ":item/sku=\"MAKER\"");  // on into the next AVET attribute
  for (const auto& s : av) EXPECT_EQ(s.find(":item/note"), std::string::npos) << "AVET holds only indexed/unique: " << s;
  // The default limit bounds a seek to the end of the index, with a note.
  ASSERT_EQ(Cli({"seek-datoms", "--db", dir_, "eavt", "--limit", "2"}, &out, &err), 0) << err;
  EXPECT_EQ(Datoms(out).size(), 2u);
  EXPECT_NE(err.find("stopped at --limit 2"), std::string::npos) << err;
  // From an entity on: its datoms, then later entities'. (The space before
  // "[" is main.cc's: CLI11 strips a list argument's brackets.)
  ASSERT_EQ(Cli({"seek-datoms", "--db", dir_, "eavt", " [:item/sku \"SKU-9\"]", "--limit", "0"}, &out, &err), 0) << err;
  auto ds = Datoms(out);
  ASSERT_GE(ds.size(), 3u);
  EXPECT_EQ(edn::Print(ds[0].items[2]), "9");  // SKU-9's :item/count, its first attribute
  EXPECT_GT(ds.back().items[0].i, ds[0].items[0].i);
  EXPECT_EQ(err, "");
  EXPECT_EQ(Cli({"seek-datoms", "--db", dir_, "xyz"}, &out, &err), 1);
  EXPECT_NE(err.find("unknown index 'xyz'"), std::string::npos) << err;
  EXPECT_EQ(Cli({"seek-datoms", "--db", dir_, "avet", ":item/note", "\"a\""}, &out, &err), 1);
  EXPECT_NE(err.find("neither :db/index nor :db/unique"), std::string::npos) << err;
}

// Datomic's touched entity: "all the attribute/value pairs associated with
// an entity id", a set for cardinality many, components touched
// "recursively" (https://docs.datomic.com/overview/entities.html,
// https://docs.datomic.com/javadoc/datomic/Entity.html); a ref to an enum
// ident reads as its keyword; an identifier naming nothing gives nil.
TEST_F(IndexReadCommandsTest, Entity) {
  std::string out, err;
  ASSERT_EQ(Cli({"entity", "--db", dir_, "[:item/sku \"SKU-5\"]"}, &out, &err), 0) << err;
  auto m = edn::ReadOne(out);
  ASSERT_TRUE(m.ok()) << out;
  ASSERT_TRUE(m->is(edn::Kind::kMap)) << out;
  EXPECT_EQ(edn::Print(*m->Get("item/count")), "6");
  EXPECT_EQ(edn::Print(*m->Get("item/note")), "\"five\"");
  EXPECT_TRUE(m->Get("db/id")->is(edn::Kind::kLong));
  const edn::Node* tags = m->Get("item/tags");
  ASSERT_TRUE(tags && tags->is(edn::Kind::kSet)) << out;
  EXPECT_EQ(tags->items.size(), 2u);
  EXPECT_EQ(edn::Print(*m->Get("item/kind")), ":kind/tool");
  const edn::Node* maker = m->Get("item/maker");
  ASSERT_TRUE(maker && maker->is(edn::Kind::kMap)) << out;
  EXPECT_EQ(maker->items.size(), 2u) << "a non-component ref is {:db/id N}: " << out;
  const edn::Node* parts = m->Get("item/parts");
  ASSERT_TRUE(parts && parts->is(edn::Kind::kSet) && parts->items.size() == 2) << out;
  for (const auto& p : parts->items) EXPECT_NE(p.Get("part/name"), nullptr) << "components are touched: " << out;

  ASSERT_EQ(Cli({"entity", "--db", dir_, "--as-of", std::to_string(t1_), "[:item/sku \"SKU-5\"]"}, &out, &err), 0);
  EXPECT_EQ(edn::Print(*edn::ReadOne(out)->Get("item/count")), "5");
  ASSERT_EQ(Cli({"entity", "--db", dir_, "--format", "json", "[:item/sku \"SKU-5\"]"}, &out, &err), 0);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j[":item/count"], 6);
  EXPECT_EQ(j[":item/tags"].size(), 2u);
  ASSERT_EQ(Cli({"entity", "--db", dir_, "[:item/sku \"nobody\"]"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "nil\n");
  EXPECT_EQ(Cli({"entity", "--db", dir_, "[:item/count 6]"}, &out, &err), 1);
  EXPECT_NE(err.find("not unique"), std::string::npos) << err;
  EXPECT_GT(Cli({"entity", "--db", dir_, "--history", ":kind/tool"}, &out, &err), 100) << "no --history for entity";
}

}  // namespace
}  // namespace strata::cli
