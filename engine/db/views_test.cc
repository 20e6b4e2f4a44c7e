// One test per view of SPEC §4, the Tribbles walk-through of the retraction
// article, schema alteration (SPEC §2) and excision (SPEC §7).
#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace strata {
namespace {

using testing::DbTest;
using testing::Dump;
using testing::Vals;

constexpr const char* kSchema = R"([
  {:db/ident :item/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :item/description :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :item/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :manager/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :corrected/by :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :tx/mistake :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
  {:db/ident :counter/hits :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/noHistory true}
])";

class ViewsTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Tx(kSchema);
  }
};

// The article "Stuff Happens: Fixing Bad Data in Datomic", step by step.
TEST_F(ViewsTest, TribblesWalkThrough) {
  Tx(R"([{:db/id "m" :manager/email "jdoe@example.com"}])");
  TxReport add = Tx(R"([{:db/id "t" :item/id "0042-TRBL" :item/description "Tribble: a low maintenance pet." :item/count 999}])");
  // The new entity takes the t right after its transaction.
  const EntityId e = add.tempids.at("t");
  EXPECT_EQ(e, MakeEntityId(kPartUser, add.t + 1));
  TxReport fix = Tx(R"([[:db/add [:item/id "0042-TRBL"] :item/count 0]
                        [:db/add "datomic.tx" :db/doc "Error correction entry. We do not sell Tribbles."]])");
  TxReport gone = Tx(R"([[:db.fn/retractEntity [:item/id "0042-TRBL"]]
                         [:db/add "datomic.tx" :corrected/by [:manager/email "jdoe@example.com"]]])");
  const std::string ta = std::to_string(add.t), tf = std::to_string(fix.t), tg = std::to_string(gone.t);
  const std::string es = std::to_string(e);

  // The history of the entity: the eight datoms of the article's table.
  Database hist = conn_->db().History();
  std::vector<std::string> got;
  for (const std::string& d : Dump(hist, Index::kEavt, {es})) got.push_back(d);
  std::vector<std::string> want = {
      "[" + es + " :item/count 0 " + tf + " true]",
      "[" + es + " :item/count 0 " + tg + " false]",
      "[" + es + " :item/count 999 " + ta + " true]",
      "[" + es + " :item/count 999 " + tf + " false]",
      "[" + es + " :item/description \"Tribble: a low maintenance pet.\" " + ta + " true]",
      "[" + es + " :item/description \"Tribble: a low maintenance pet.\" " + tg + " false]",
      "[" + es + " :item/id \"0042-TRBL\" " + ta + " true]",
      "[" + es + " :item/id \"0042-TRBL\" " + tg + " false]",
  };
  // EAVT sorts by attribute id; compare as sets, then check the tx order
  // per attribute (assert before retract).
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);

  // as_of between each step shows the state of that moment.
  Database db = conn_->db();
  EXPECT_TRUE(Dump(db.AsOf(add.t - 1), Index::kEavt, {es}).empty());
  EXPECT_EQ(Vals(db.AsOf(add.t), e, "item/count"), std::vector<std::string>{"999"});
  EXPECT_EQ(Vals(db.AsOf(fix.t), e, "item/count"), std::vector<std::string>{"0"});
  EXPECT_EQ(Vals(db.AsOf(fix.t), e, "item/id"), std::vector<std::string>{"\"0042-TRBL\""});
  EXPECT_TRUE(Dump(db.AsOf(gone.t), Index::kEavt, {es}).empty());
  EXPECT_TRUE(Dump(db, Index::kEavt, {es}).empty());
  // The transactions carry their provenance.
  EXPECT_EQ(Vals(db, fix.tx, "db/doc"), std::vector<std::string>{"\"Error correction entry. We do not sell Tribbles.\""});
  EXPECT_EQ(Vals(db, gone.tx, "corrected/by").size(), 1u);
  // The log holds the bad transaction whole (tx-data by t).
  int seen = 0;
  ASSERT_TRUE(conn_->TxRange(add.t, add.t + 1, [&](T t, const std::vector<Datom>& ds) {
    EXPECT_EQ(t, add.t);
    EXPECT_EQ(ds.size(), 4u);  // three item datoms and the txInstant
    ++seen;
    return Status::OK();
  }).ok());
  EXPECT_EQ(seen, 1);
}

TEST_F(ViewsTest, AsOfIncludesItsOwnTAndAcceptsTxIdsAndInstants) {
  TxReport a = Tx(R"([[:db/add "datomic.tx" :db/txInstant #inst "2031-01-01"] {:item/id "A" :item/count 1}])");
  TxReport b = Tx(R"([[:db/add "datomic.tx" :db/txInstant #inst "2031-02-01"] [:db/add [:item/id "A"] :item/count 2]])");
  Database db = conn_->db();
  EntityId e = Id("[:item/id \"A\"]");
  EXPECT_EQ(Vals(db.AsOf(a.t), e, "item/count"), std::vector<std::string>{"1"});
  EXPECT_EQ(Vals(db.AsOf(a.tx), e, "item/count"), std::vector<std::string>{"1"});
  EXPECT_EQ(Vals(db.AsOf(b.t), e, "item/count"), std::vector<std::string>{"2"});
  int64_t jan15;
  ASSERT_TRUE(edn::ParseInstant("2031-01-15", &jan15));
  EXPECT_EQ(Vals(db.AsOfInstant(jan15).value(), e, "item/count"), std::vector<std::string>{"1"});
  EXPECT_EQ(db.AsOfInstant(jan15).value().as_of_t(), a.t);
}

TEST_F(ViewsTest, LookupRefsResolveInTheirView) {
  TxReport a = Tx(R"([{:item/id "GONE" :item/count 1}])");
  EntityId e = Id("[:item/id \"GONE\"]");
  Tx(R"([[:db/retractEntity [:item/id "GONE"]]])");
  auto ref = *edn::ReadOne(R"([:item/id "GONE"])");
  EXPECT_TRUE(conn_->db().Entid(ref).status().IsNotFound());
  auto then = conn_->db().AsOf(a.t).Entid(ref);
  ASSERT_TRUE(then.ok()) << then.status().ToString();
  EXPECT_EQ(*then, e);
  EXPECT_EQ(*conn_->db().AsOf(a.t).History().Entid(ref), e);
}

TEST_F(ViewsTest, EntityIsLazyAndNavigatesBothWays) {
  Tx(R"([{:db/id "m" :manager/email "m@x"} {:item/id "A" :item/count 2 :item/owner "m" :item/tags [:a :b]}])");
  auto a = conn_->db().entity(*edn::ReadOne(R"([:item/id "A"])"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Get(":item/count")->at(0).as_long(), 2);
  EXPECT_EQ(a->Get("item/tags")->size(), 2u);
  EXPECT_EQ(a->Keys().value(), (std::vector<std::string>{"item/id", "item/count", "item/tags", "item/owner"}));
  auto m = conn_->db().entity(*edn::ReadOne(R"([:manager/email "m@x"])"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Get("item/_owner")->at(0).ref(), a->id());
  EXPECT_FALSE(a->Get("no/such").ok());
}

TEST_F(ViewsTest, SinceExcludesItsTAndKeepsOnlyLaterCurrentDatoms) {
  TxReport a = Tx(R"([{:item/id "A" :item/count 1 :item/tags [:x]}])");
  TxReport b = Tx(R"([[:db/add [:item/id "A"] :item/count 2]])");
  EntityId e = Id("[:item/id \"A\"]");
  Database since_a = conn_->db().Since(a.t);
  EXPECT_EQ(Dump(since_a, Index::kEavt, {std::to_string(e)}),
            std::vector<std::string>{"[" + std::to_string(e) + " :item/count 2 " + std::to_string(b.t) + " true]"});
  EXPECT_EQ(Vals(conn_->db().Since(a.t - 1), e, "item/tags"), std::vector<std::string>{":x"});
  // since(t).asOf composes: as of a, nothing is newer than a.
  EXPECT_TRUE(Dump(conn_->db().AsOf(a.t).Since(a.t), Index::kEavt, {std::to_string(e)}).empty());
}

TEST_F(ViewsTest, HistoryHoldsEveryAssertionAndRetraction) {
  Tx(R"([{:item/id "A" :item/count 1}])");
  Tx(R"([[:db/add [:item/id "A"] :item/count 2]])");
  Tx(R"([[:db/add [:item/id "A"] :item/count 1]])");
  EntityId e = Id("[:item/id \"A\"]");
  auto h = Dump(conn_->db().History(), Index::kEavt, {std::to_string(e), ":item/count"});
  EXPECT_EQ(h.size(), 5u);  // 1+, 1-, 2+, 2-, 1+
  // As-of history: only up to t.
  auto h2 = Dump(conn_->db().AsOf(conn_->db().basis_t() - 1).History(), Index::kEavt, {std::to_string(e), ":item/count"});
  EXPECT_EQ(h2.size(), 3u);
}

TEST_F(ViewsTest, FilterHidesMistakenTransactions) {
  Tx(R"([{:item/id "A" :item/count 1}])");
  TxReport bad = Tx(R"([{:item/id "B" :item/count 666} [:db/add "datomic.tx" :tx/mistake true]])");
  Database db = conn_->db();
  const Attribute* mistake = db.attribute("tx/mistake");
  Database clean = db.Filter([mistake](const Database& d, const Datom& datom) {
    auto v = d.Values(datom.tx, mistake->id).value();
    return v.empty() || !v[0].as_bool();
  });
  EXPECT_EQ(Dump(db, Index::kAevt, {":item/count"}).size(), 2u);
  EXPECT_EQ(Dump(clean, Index::kAevt, {":item/count"}).size(), 1u);
  EXPECT_EQ(Dump(clean.History(), Index::kAevt, {":item/count"}).size(), 1u);
  (void)bad;
}

TEST_F(ViewsTest, WithIsSpeculative) {
  Tx(R"([{:item/id "A" :item/count 1}])");
  Database db = conn_->db();
  auto r = db.With(*edn::ReadOne(R"([[:db/add [:item/id "A"] :item/count 2]])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EntityId e = Id("[:item/id \"A\"]");
  EXPECT_EQ(Vals(r->db_after, e, "item/count"), std::vector<std::string>{"2"});
  EXPECT_EQ(Vals(conn_->db(), e, "item/count"), std::vector<std::string>{"1"});
  EXPECT_EQ(conn_->db().basis_t(), db.basis_t());
  // Speculation stacks.
  auto r2 = r->db_after.With(*edn::ReadOne(R"([[:db/add [:item/id "A"] :item/count 3]])"));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Vals(r2->db_after, e, "item/count"), std::vector<std::string>{"3"});
}

TEST_F(ViewsTest, DatabaseValuesAreImmutable) {
  Tx(R"([{:item/id "A" :item/count 1}])");
  Database snap = conn_->db();
  auto before = Dump(snap, Index::kEavt);
  for (int i = 2; i < 40; ++i) Tx("[[:db/add [:item/id \"A\"] :item/count " + std::to_string(i) + "]]");
  EXPECT_EQ(Dump(snap, Index::kEavt), before);
}

TEST_F(ViewsTest, IndexesAgreeAndAvetNeedsAnIndex) {
  Tx(R"([{:db/id "m" :manager/email "m@x"} {:item/id "A" :item/count 3 :item/owner "m" :item/tags [:t1 :t2]}
         {:item/id "B" :item/count 1 :item/owner "m"}])");
  Database db = conn_->db();
  auto eavt = Dump(db, Index::kEavt), aevt = Dump(db, Index::kAevt);
  std::sort(eavt.begin(), eavt.end());
  std::sort(aevt.begin(), aevt.end());
  EXPECT_EQ(eavt, aevt);
  // VAET: refs only; reverse navigation to the manager.
  EXPECT_EQ(Dump(db, Index::kVaet, {"[:manager/email \"m@x\"]"}).size(), 2u);
  // AVET: sorted by value.
  auto avet = Dump(db, Index::kAvet, {":item/count"});
  ASSERT_EQ(avet.size(), 2u);
  EXPECT_NE(avet[0].find(":item/count 1 "), std::string::npos);
  auto bad = db.Datoms(Index::kAvet, {Value::Ref(db.attribute("item/tags")->id)});
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status().ToString();
  // index_range: start inclusive, end exclusive.
  auto r = db.IndexRange(db.attribute("item/count")->id, Value::Long(1), Value::Long(3));
  ASSERT_TRUE(r.ok());
  int n = 0;
  for (; r->Valid(); r->Next()) ++n;
  EXPECT_EQ(n, 1);
  // seek_datoms continues past the prefix.
  auto s = db.SeekDatoms(Index::kAevt, {Value::Ref(db.attribute("item/count")->id)});
  ASSERT_TRUE(s.ok());
  int m = 0;
  for (; s->Valid(); s->Next()) ++m;
  EXPECT_GT(m, 2);
}

TEST_F(ViewsTest, SchemaAlterationRenameKeepsOldNameResolving) {
  Tx(R"([{:item/id "A" :item/count 1}])");
  Tx(R"([{:db/id :item/count :db/ident :item/quantity}])");
  Database db = conn_->db();
  ASSERT_NE(db.attribute("item/quantity"), nullptr);
  EXPECT_EQ(db.attribute("item/count"), db.attribute("item/quantity"));
  Tx(R"([[:db/add [:item/id "A"] :item/count 5]])");  // the old name still works
  EXPECT_EQ(Vals(conn_->db(), Id("[:item/id \"A\"]"), "item/quantity"), std::vector<std::string>{"5"});
  // Until it is reused by another attribute.
  Tx(R"([{:db/ident :item/count :db/valueType :db.type/string :db/cardinality :db.cardinality/one}])");
  EXPECT_EQ(conn_->db().attribute("item/count")->type, ValueType::kString);
}

TEST_F(ViewsTest, SchemaAlterationCardinalityAndUniqueness) {
  Tx(R"([{:item/id "A" :item/description "x"} {:item/id "B" :item/description "x"}])");
  Tx(R"([{:db/id :item/description :db/cardinality :db.cardinality/many}])");
  Tx(R"([[:db/add [:item/id "A"] :item/description "y"]])");
  EXPECT_EQ(Vals(conn_->db(), Id("[:item/id \"A\"]"), "item/description").size(), 2u);
  Status s = TxError(R"([{:db/id :item/description :db/cardinality :db.cardinality/one}])");
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  Tx(R"([[:db/retract [:item/id "A"] :item/description "y"]])");
  Tx(R"([{:db/id :item/description :db/cardinality :db.cardinality/one}])");
  // Unique refused while two entities share "x"; allowed once they do not.
  EXPECT_TRUE(TxError(R"([{:db/id :item/description :db/unique :db.unique/value}])").IsConflict());
  Tx(R"([[:db/add [:item/id "B"] :item/description "z"]])");
  Tx(R"([{:db/id :item/description :db/unique :db.unique/value}])");
  EXPECT_TRUE(TxError(R"([{:item/id "C" :item/description "z"}])").IsConflict());
  // Value type never changes.
  EXPECT_NE(TxError(R"([{:db/id :item/description :db/valueType :db.type/long}])").message().find(":db/valueType"),
            std::string::npos);
}

TEST_F(ViewsTest, SchemaAlterationIndexToggle) {
  Tx(R"([{:item/id "A" :item/tags [:q]}])");
  Database db = conn_->db();
  EXPECT_FALSE(db.Datoms(Index::kAvet, {Value::Ref(db.attribute("item/tags")->id)}).ok());
  Tx(R"([{:db/id :item/tags :db/index true}])");
  EXPECT_EQ(Dump(conn_->db(), Index::kAvet, {":item/tags"}).size(), 1u);
  Tx(R"([[:db/retract :item/tags :db/index true]])");
  Database db2 = conn_->db();
  EXPECT_FALSE(db2.Datoms(Index::kAvet, {Value::Ref(db2.attribute("item/tags")->id)}).ok());
}

TEST_F(ViewsTest, NoHistoryKeepsCurrentExact) {
  Tx(R"([{:item/id "A" :counter/hits 1}])");
  for (int i = 2; i <= 50; ++i) Tx("[[:db/add [:item/id \"A\"] :counter/hits " + std::to_string(i) + "]]");
  EntityId e = Id("[:item/id \"A\"]");
  EXPECT_EQ(Vals(conn_->db(), e, "counter/hits"), std::vector<std::string>{"50"});
  // History need not keep the past values (the memory index drops them as
  // runs merge); it never invents any.
  auto h = Dump(conn_->db().History(), Index::kEavt, {std::to_string(e), ":counter/hits"});
  EXPECT_LT(h.size(), 99u);
  EXPECT_GE(h.size(), 1u);
}

TEST_F(ViewsTest, ExcisionRemovesEverywhereAndSurvivesReopen) {
  Tx(R"([{:item/id "SECRET" :item/description "private" :item/count 1}])");
  Tx(R"([[:db/add [:item/id "SECRET"] :item/count 2]])");
  Tx(R"([{:item/id "KEEP" :item/count 7}])");
  EntityId e = Id("[:item/id \"SECRET\"]");
  TxReport ex = Tx("[[:db/excise " + std::to_string(e) + "]]");
  auto check = [&] {
    Database db = conn_->db();
    for (Index i : {Index::kEavt, Index::kAevt})
      for (const std::string& d : Dump(db.History(), i)) EXPECT_EQ(d.find("SECRET"), std::string::npos) << d;
    EXPECT_TRUE(Dump(db.History(), Index::kEavt, {std::to_string(e)}).empty());
    EXPECT_TRUE(Dump(db.AsOf(ex.t - 1), Index::kEavt, {std::to_string(e)}).empty());
    ASSERT_TRUE(conn_->TxRange(0, 1u << 30, [&](T, const std::vector<Datom>& ds) {
      for (const Datom& d : ds) EXPECT_NE(d.e, e);
      return Status::OK();
    }).ok());
    // The request stays visible as data; other entities are untouched.
    EXPECT_EQ(Dump(db, Index::kVaet, {std::to_string(e)}).size(), 1u);
    EXPECT_EQ(Vals(db, Id("[:item/id \"KEEP\"]"), "item/count"), std::vector<std::string>{"7"});
  };
  check();
  Reopen();
  check();
}

TEST_F(ViewsTest, ExcisionLimitedToAttributes) {
  Tx(R"([{:item/id "S" :item/description "private" :item/count 1}])");
  EntityId e = Id("[:item/id \"S\"]");
  Tx("[[:db/excise " + std::to_string(e) + " [:item/description]]]");
  EXPECT_TRUE(Vals(conn_->db(), e, "item/description").empty());
  EXPECT_EQ(Vals(conn_->db(), e, "item/count"), std::vector<std::string>{"1"});
}

TEST_F(ViewsTest, ReopenRebuildsTheSameDatabase) {
  Tx(R"([{:item/id "A" :item/count 1 :item/tags [:a :b]}])");
  Tx(R"([[:db/add [:item/id "A"] :item/count 2] [:db/retract [:item/id "A"] :item/tags :a]])");
  Tx(R"([{:db/id :item/count :db/ident :item/n}])");
  Database db = conn_->db();
  auto cur = Dump(db, Index::kEavt), hist = Dump(db.History(), Index::kAevt);
  T basis = db.basis_t(), next = db.next_t();
  Reopen();
  EXPECT_EQ(Dump(conn_->db(), Index::kEavt), cur);
  EXPECT_EQ(Dump(conn_->db().History(), Index::kAevt), hist);
  EXPECT_EQ(conn_->db().basis_t(), basis);
  EXPECT_EQ(conn_->db().next_t(), next);
  EXPECT_NE(conn_->db().attribute("item/n"), nullptr);
}

// Attribute samples (for the query planner) are kept with the database value
// and view: the same value and view answer with the same sample, another
// view or a later value read their own datoms.
TEST_F(ViewsTest, AttributeSamplesAreKeptPerValueAndView) {
  TxReport first = Tx(R"([{:item/id "a" :item/count 1} {:item/id "b" :item/count 1} {:item/id "c" :item/count 2}])");
  Database db = conn_->db();
  const EntityId count = db.attribute("item/count")->id;
  auto s1 = db.SampleAttribute(count, 512);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ((*s1)->datoms, 3u);
  EXPECT_TRUE((*s1)->complete);
  EXPECT_EQ((*s1)->entities, 3u);
  EXPECT_EQ((*s1)->values.at(Value::Long(1)), 2u);
  auto again = conn_->db().SampleAttribute(count, 512);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), s1->get());  // the same value: not read again
  auto partial = db.SampleAttribute(count, 2);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ((*partial)->datoms, 2u);
  EXPECT_FALSE((*partial)->complete);

  Tx(R"([{:item/id "d" :item/count 3}])");
  auto later = conn_->db().SampleAttribute(count, 512);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)->datoms, 4u);  // a later value samples its own datoms
  auto as_of = conn_->db().AsOf(first.t).SampleAttribute(count, 512);
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ((*as_of)->datoms, 3u);  // the as-of view is keyed apart
  Database filtered = conn_->db().Filter([](const Database&, const Datom& d) { return !(d.v == Value::Long(3)); });
  auto f = filtered.SampleAttribute(count, 512);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->datoms, 3u);  // a filter is applied, never served from the unfiltered view
}

}  // namespace
}  // namespace strata
