// schema_test.cc — Schema lookups by id agree whether an id is in the
// dense tables (below Schema's dense limit) or only in the maps, through
// renames, retractions, removal and copies.

#include "state/schema.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

// Datoms that install a cardinality-one string attribute `name` as entity e.
std::vector<Datom> Install(EntityId e, const std::string& name, T t) {
  const EntityId tx = TxId(t);
  return {Datom{e, sys::kIdent, Value::Keyword(name), tx, true},
          Datom{e, sys::kValueType, Value::Ref(EntityForType(ValueType::kString)), tx, true},
          Datom{e, sys::kCardinality, Value::Ref(sys::kCardOne), tx, true}};
}

TEST(SchemaTest, LookupsAgreeForSmallAndLargeIds) {
  const EntityId small = MakeEntityId(kPartDb, 1001), large = MakeEntityId(kPartDb, uint64_t{1} << 30);
  Schema s;
  ApplySchemaDatoms(&s, BootstrapDatoms());
  ApplySchemaDatoms(&s, Install(small, "person/name", 1001));
  ApplySchemaDatoms(&s, Install(large, "person/email", 1002));
  for (auto [id, name] : {std::pair{small, "person/name"}, std::pair{large, "person/email"}}) {
    SCOPED_TRACE(name);
    const Attribute* a = s.Attr(id);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->ident, name);
    EXPECT_EQ(a->type, ValueType::kString);
    ASSERT_NE(s.IdentOf(id), nullptr);
    EXPECT_EQ(*s.IdentOf(id), name);
    EXPECT_EQ(s.AttrByIdent(name), a);
  }
  EXPECT_EQ(s.Attr(small + 1), nullptr);
  EXPECT_EQ(s.Attr(large + 1), nullptr);
  EXPECT_EQ(s.IdentOf(small + 1), nullptr);

  // A copy answers from its own nodes: changing the copy leaves the
  // original as it was, and the copy outlives the original.
  auto copy = std::make_unique<Schema>(s);
  ApplySchemaDatoms(copy.get(), {Datom{small, sys::kIdent, Value::Keyword("person/full-name"), TxId(1003), true}});
  ASSERT_NE(copy->IdentOf(small), nullptr);
  EXPECT_EQ(*copy->IdentOf(small), "person/full-name");
  EXPECT_EQ(copy->Attr(small)->ident, "person/full-name");
  EXPECT_EQ(*s.IdentOf(small), "person/name");
  EXPECT_EQ(s.Attr(small)->ident, "person/name");
  Schema assigned;
  assigned = *copy;
  copy.reset();
  EXPECT_EQ(*assigned.IdentOf(small), "person/full-name");
  EXPECT_EQ(*assigned.IdentOf(large), "person/email");

  // Retracting an ident clears it; removing an attribute forgets it.
  ApplySchemaDatoms(&assigned, {Datom{large, sys::kIdent, Value::Keyword("person/email"), TxId(1004), false}});
  EXPECT_EQ(assigned.IdentOf(large), nullptr);
  assigned.RemoveAttribute(small);
  assigned.RemoveAttribute(large);
  EXPECT_EQ(assigned.Attr(small), nullptr);
  EXPECT_EQ(assigned.Attr(large), nullptr);
  EXPECT_NE(s.Attr(small), nullptr);
}

}  // namespace
}  // namespace strata
