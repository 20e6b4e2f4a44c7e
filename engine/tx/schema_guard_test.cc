// The system schema cannot be retracted, renamed or re-purposed
// (tx/schema_guard.h), and user idents stay out of the reserved namespaces.
//
// Datomic, docs.datomic.com/schema.html (":db/ident"): "Namespaces can be
// hierarchical, with segments separated by '.' ... The :db namespace is
// reserved for use by Datomic itself." Its own idents use :db and :db.*
// (:db.type/string, :db.cardinality/one, :db.install/attribute, :db.fn/cas).
#include <gtest/gtest.h>

#include "state/schema.h"
#include "testing/test_util.h"

namespace strata {
namespace {

using testing::DbTest;
using testing::Vals;

class SchemaGuardTest : public DbTest {
 protected:
  // Expects `edn` refused with a message holding each of `parts`, and
  // nothing committed.
  void Refused(const std::string& edn, const std::vector<std::string>& parts) {
    const T before = conn_->db().basis_t();
    Status st = TxError(edn);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
    for (const auto& p : parts) EXPECT_NE(st.message().find(p), std::string::npos) << st.message() << "\n lacks " << p;
    EXPECT_EQ(conn_->db().basis_t(), before) << "committed: " << edn;
  }
};

// The issue's reproduction: retract the ident of :db/txInstant, then give a
// string attribute that name.
TEST_F(SchemaGuardTest, SystemIdentCannotBeRetractedNorClaimed) {
  Refused("[[:db/retract :db/txInstant :db/ident :db/txInstant]]",
          {":db/txInstant", "[19 :db/ident :db/txInstant]", "retracted by [:db/retract"});
  // :db/ident is unique identity, so the map upserts to entity 19, whose
  // type cannot change.
  Refused("[{:db/ident :db/txInstant :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]",
          {"system entity :db/txInstant", "[19 :db/valueType"});
  const Attribute* at = conn_->db().attribute("db/txInstant");
  ASSERT_NE(at, nullptr);
  EXPECT_EQ(at->id, 19u);
  EXPECT_EQ(at->type, ValueType::kInstant);
  // Transactions still get their instant.
  TxReport r = Tx(R"([[:db/add "datomic.tx" :db/doc "still works"]])");
  EXPECT_EQ(Vals(conn_->db(), r.tx, "db/txInstant").size(), 1u);
}

TEST_F(SchemaGuardTest, SystemEntitiesCannotBeRenamedRetypedOrRetracted) {
  Refused("[[:db/add :db/txInstant :db/ident :my/when]]", {"system entity :db/txInstant", "[19 :db/ident :my/when]"});
  Refused("[{:db/id :db/txInstant :db/valueType :db.type/string}]", {":db/txInstant", ":db/valueType"});
  Refused("[{:db/id :db/doc :db/cardinality :db.cardinality/many}]", {":db/doc", ":db/cardinality"});
  Refused("[{:db/id :db/ident :db/unique :db.unique/value}]", {":db/ident", ":db/unique"});
  Refused("[[:db/retract :db.cardinality/one :db/ident :db.cardinality/one]]", {":db.cardinality/one"});
  Refused("[[:db/retractEntity :db.type/string]]", {":db.type/string", "retractEntity"});
  Refused("[[:db/retractEntity :db.part/user]]", {":db.part/user"});
  Refused("[[:db/retract :db.part/db :db.install/attribute :db/ident]]", {":db.part/db", ":db.install/attribute"});
  Refused("[[:db/add :db.unique/identity :db/index true]]", {":db.unique/identity", ":db/index"});
  // The bootstrap transaction's instant is history too.
  Refused("[[:db/add " + std::to_string(TxId(0)) + " :db/txInstant #inst \"2020-01-01\"]]", {":db/txInstant"});
}

TEST_F(SchemaGuardTest, ReservedNamespacesAreRefusedForUserIdents) {
  for (const char* ident : {"db/mine", "db.fn/mine", "db.type/text", "db.part/mine", "db.install/x", "db.custom/y"}) {
    Refused(std::string("[{:db/ident :") + ident +
                " :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]",
            {":" + std::string(ident), "reserved"});
    Refused(std::string("[{:db/ident :") + ident + "}]", {":" + std::string(ident), "reserved"});
  }
  // Near misses are ordinary namespaces.
  Tx("[{:db/ident :dbx/a :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
     " {:db/ident :database/b :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
     " {:db/ident :my.db/c} {:db/ident :db}]");
  EXPECT_NE(conn_->db().attribute("dbx/a"), nullptr);
  EXPECT_NE(conn_->db().attribute("database/b"), nullptr);
}

TEST_F(SchemaGuardTest, WhatDoesNotChangeMeaningIsAllowed) {
  // Documentation on a system attribute.
  Tx(R"([[:db/add :db/txInstant :db/doc "when the transaction happened"]])");
  EXPECT_EQ(Vals(conn_->db(), 19, "db/doc"), std::vector<std::string>{"\"when the transaction happened\""});
  // The legacy install form asserts on :db.part/db.
  Tx(R"([{:db/id #db/id [:db.part/db] :db/ident :a/name :db/valueType :db.type/string
          :db/cardinality :db.cardinality/one :db.install/_attribute :db.part/db}])");
  ASSERT_NE(conn_->db().attribute("a/name"), nullptr);
  // A user attribute on a system entity says nothing about its meaning.
  Tx(R"([[:db/add :db.type/string :a/name "text"]])");
  EXPECT_EQ(Vals(conn_->db(), sys::kTypeRef + 2, "a/name"), std::vector<std::string>{"\"text\""});
  // Redundant: already true, so no datom and nothing to refuse.
  Tx("[[:db/add :db/ident :db/ident :db/ident]]");
}

}  // namespace
}  // namespace strata
