// One test per rule of SPEC §3 (transactions).
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
  {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :item/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
  {:db/ident :item/parts :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
  {:db/ident :item/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :item/price :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
  {:db/ident :item/at :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
  {:db/ident :item/uuid :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one}
  {:db/ident :item/active :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
  {:db/ident :part/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :part/sub :db/valueType :db.type/ref :db/cardinality :db.cardinality/one :db/isComponent true}
  {:db/ident :manager/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :corrected/by :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :counter/hits :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/noHistory true}
])";

class TransactorTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Tx(kSchema);
  }
  // Datoms of one report, without the txInstant, as "[e :a v t added]".
  std::vector<std::string> Data(const TxReport& r) {
    std::vector<std::string> out;
    for (const Datom& d : r.tx_data) {
      if (d.e == r.tx && r.db_after.ident(d.a) && *r.db_after.ident(d.a) == "db/txInstant") continue;
      edn::Node n = r.db_after.DatomToEdn(d);
      n.items[3] = edn::Node::Long(static_cast<int64_t>(d.t()));
      out.push_back(edn::Print(n));
    }
    return out;
  }
};

TEST_F(TransactorTest, EntityIdsFollowTheTCounter) {
  T before = conn_->db().next_t();
  TxReport r = Tx(R"([{:db/id "a" :item/id "A"} {:db/id "b" :item/id "B"}])");
  EXPECT_EQ(r.t, before);
  EXPECT_EQ(r.tx, MakeEntityId(kPartTx, before));
  EXPECT_EQ(r.tempids.at("a"), MakeEntityId(kPartUser, before + 1));
  EXPECT_EQ(r.tempids.at("b"), MakeEntityId(kPartUser, before + 2));
  EXPECT_EQ(conn_->db().basis_t(), before);
  EXPECT_EQ(conn_->db().next_t(), before + 3);
  // Datomic's own example: tx 3<<42|1003 created 4<<42|1004.
  EXPECT_EQ(TxId(1003), 13194139534315u);
  EXPECT_EQ(MakeEntityId(kPartUser, 1004), 17592186045420u);
}

TEST_F(TransactorTest, AddAndRetract) {
  TxReport r = Tx(R"([[:db/add "x" :item/id "X"] [:db/add "x" :item/tags :a] [:db/add "x" :item/tags :b]])");
  EntityId x = r.tempids.at("x");
  EXPECT_EQ(Vals(conn_->db(), x, "item/tags"), (std::vector<std::string>{":a", ":b"}));
  TxReport r2 = Tx("[[:db/retract " + std::to_string(x) + " :item/tags :a]]");
  EXPECT_EQ(Data(r2), std::vector<std::string>{"[" + std::to_string(x) + " :item/tags :a " + std::to_string(r2.t) + " false]"});
  EXPECT_EQ(Vals(conn_->db(), x, "item/tags"), std::vector<std::string>{":b"});
}

TEST_F(TransactorTest, RetractWithoutValueRetractsEveryCurrentValue) {
  TxReport r = Tx(R"([{:db/id "x" :item/id "X" :item/tags [:a :b :c]}])");
  EntityId x = r.tempids.at("x");
  TxReport r2 = Tx("[[:db/retract " + std::to_string(x) + " :item/tags]]");
  EXPECT_EQ(Data(r2).size(), 3u);
  EXPECT_TRUE(Vals(conn_->db(), x, "item/tags").empty());
  EXPECT_EQ(Vals(conn_->db(), x, "item/id"), std::vector<std::string>{"\"X\""});
}

TEST_F(TransactorTest, RetractEntityCascadesToComponentsAndIncomingRefs) {
  TxReport r = Tx(R"([{:db/id "x" :item/id "X" :item/parts [{:db/id "p" :part/name "P" :part/sub {:db/id "q" :part/name "Q"}}]}
                      {:db/id "y" :item/id "Y" :item/owner "x"}])");
  EntityId x = r.tempids.at("x"), p = r.tempids.at("p"), q = r.tempids.at("q"), y = r.tempids.at("y");
  Tx("[[:db/retractEntity " + std::to_string(x) + "]]");
  Database db = conn_->db();
  for (EntityId e : {x, p, q}) EXPECT_TRUE(Dump(db, Index::kEavt, {std::to_string(e)}).empty()) << e;
  // y survives, without its ref to x.
  EXPECT_EQ(Vals(db, y, "item/id"), std::vector<std::string>{"\"Y\""});
  EXPECT_TRUE(Vals(db, y, "item/owner").empty());
  // The alias works too.
  TxReport r2 = Tx(R"([{:db/id "z" :item/id "Z"}])");
  Tx("[[:db.fn/retractEntity [:item/id \"Z\"]]]");
  EXPECT_TRUE(Dump(conn_->db(), Index::kEavt, {std::to_string(r2.tempids.at("z"))}).empty());
}

TEST_F(TransactorTest, CasSucceedsAndFailsAtomically) {
  TxReport r = Tx(R"([{:db/id "x" :item/id "X" :item/count 1}])");
  std::string x = std::to_string(r.tempids.at("x"));
  Tx("[[:db/cas " + x + " :item/count 1 2]]");
  EXPECT_EQ(Vals(conn_->db(), r.tempids.at("x"), "item/count"), std::vector<std::string>{"2"});
  T basis = conn_->db().basis_t();
  Status s = TxError("[[:db/cas " + x + " :item/count 1 3] [:db/add " + x + " :item/tags :z]]");
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find(":db/cas failed"), std::string::npos) << s.ToString();
  EXPECT_EQ(conn_->db().basis_t(), basis);
  EXPECT_TRUE(Vals(conn_->db(), r.tempids.at("x"), "item/tags").empty());
  // nil old value: only when there is no current value.
  Tx("[[:db/cas " + x + " :item/description nil \"first\"]]");
  EXPECT_TRUE(TxError("[[:db/cas " + x + " :item/description nil \"second\"]]").IsConflict());
}

TEST_F(TransactorTest, MapFormNestedMapsReverseKeysAndSets) {
  TxReport r = Tx(R"([{:db/id "m" :manager/email "m@x"}
                      {:db/id "x" :item/id "X" :item/tags #{:a :b} :item/owner "m"
                       :item/parts [{:part/name "p1"} {:part/name "p2"}]}])");
  Database db = conn_->db();
  EntityId x = r.tempids.at("x");
  EXPECT_EQ(Vals(db, x, "item/tags"), (std::vector<std::string>{":a", ":b"}));
  EXPECT_EQ(Vals(db, x, "item/parts").size(), 2u);
  EXPECT_EQ(Vals(db, x, "item/owner"), std::vector<std::string>{std::to_string(r.tempids.at("m"))});
  // Nested maps under a ref attribute became entities of their own.
  for (const std::string& p : Vals(db, x, "item/parts"))
    EXPECT_EQ(Vals(db, std::stoull(p), "part/name").size(), 1u) << p;
}

TEST_F(TransactorTest, ReverseKeyLinksFromTheOtherEntity) {
  TxReport r = Tx(R"([{:db/id "x" :item/id "X"}])");
  TxReport r2 = Tx(R"([{:db/id "y" :item/id "Y" :item/_owner [:item/id "X"]}])");
  EXPECT_EQ(Vals(conn_->db(), r.tempids.at("x"), "item/owner"),
            std::vector<std::string>{std::to_string(r2.tempids.at("y"))});
}

TEST_F(TransactorTest, TempidsStringsNegativeNumbersAndDbId) {
  TxReport r = Tx(R"([[:db/add -1 :item/id "N"] [:db/add "s" :item/id "S"] {:db/id #db/id[:db.part/user -2] :item/id "D"}])");
  EXPECT_EQ(PartitionOf(r.tempids.at("-1")), kPartUser);
  EXPECT_EQ(PartitionOf(r.tempids.at("-2")), kPartUser);
  EXPECT_NE(r.tempids.at("-1"), r.tempids.at("s"));
  EXPECT_EQ(r.tempids.at("datomic.tx"), r.tx);
}

TEST_F(TransactorTest, DatomicTxAnnotatesTheTransaction) {
  Tx(R"([{:db/id "m" :manager/email "jdoe@example.com"}])");
  TxReport r = Tx(R"([[:db/add "datomic.tx" :corrected/by [:manager/email "jdoe@example.com"]]
                      [:db/add "datomic.tx" :db/doc "why"]])");
  Database db = conn_->db();
  EXPECT_EQ(Vals(db, r.tx, "corrected/by"), std::vector<std::string>{std::to_string(Id("[:manager/email \"jdoe@example.com\"]"))});
  EXPECT_EQ(Vals(db, r.tx, "db/doc"), std::vector<std::string>{"\"why\""});
}

TEST_F(TransactorTest, LookupRefsAndIdentsInEntityAndValuePositions) {
  Tx(R"([{:db/ident :status/open} {:item/id "A"} {:item/id "B"}])");
  Tx(R"([[:db/add [:item/id "A"] :item/owner [:item/id "B"]] [:db/add [:item/id "B"] :item/owner :status/open]])");
  Database db = conn_->db();
  EXPECT_EQ(Vals(db, Id("[:item/id \"A\"]"), "item/owner"), std::vector<std::string>{std::to_string(Id("[:item/id \"B\"]"))});
  EXPECT_EQ(Vals(db, Id("[:item/id \"B\"]"), "item/owner"), std::vector<std::string>{std::to_string(Id(":status/open"))});
}

// The transactor remembers each ident it resolved (attributes, and idents
// as entity ids) in a table of 256 slots (builder.h): more idents than
// slots, each used twice in one transaction, keyword values naming
// enumerations, and an unknown ident after known ones must still resolve
// exactly as the schema does.
TEST_F(TransactorTest, ManyIdentsInOneTransactionResolveAsTheSchemaSays) {
  constexpr int kAttrs = 300;
  std::string schema = "[";
  for (int i = 0; i < kAttrs; ++i)
    schema += "{:db/ident :many/a" + std::to_string(i) +
              " :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}";
  schema += "]";
  Tx(schema);
  // Each attribute's value is the ident of another attribute: an entity id
  // by ident, in value position.
  std::string tx = "[";
  for (int round = 0; round < 2; ++round) {
    tx += "{";
    for (int i = 0; i < kAttrs; ++i)
      tx += ":many/a" + std::to_string(i) + " :many/a" + std::to_string((i * 7 + round) % kAttrs) + " ";
    tx += "}";
  }
  tx += "]";
  TxReport r = Tx(tx);
  const Database& db = r.db_after;
  EntityId first = ~EntityId{0};  // the first map's entity, created first
  for (const Datom& d : r.tx_data)
    if (d.e != r.tx) first = std::min(first, d.e);
  size_t checked = 0;
  for (const Datom& d : r.tx_data) {
    if (d.e == r.tx) continue;
    const std::string a = *db.ident(d.a);
    ASSERT_EQ(a.rfind("many/a", 0), 0u) << a;
    const int i = std::stoi(a.substr(6));
    const int round = d.e == first ? 0 : 1;
    ASSERT_NE(db.ident(d.v.ref()), nullptr);
    EXPECT_EQ(*db.ident(d.v.ref()), "many/a" + std::to_string((i * 7 + round) % kAttrs)) << a;
    ++checked;
  }
  EXPECT_EQ(checked, 2u * kAttrs);
  Status s = TxError("[{:many/a1 :many/a2} [:db/add \"x\" :many/a3 :many/nothing]]");
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find("unknown ident :many/nothing"), std::string::npos) << s.ToString();
  s = TxError("[{:many/a1 :many/a2} {:many/nothing 1}]");
  EXPECT_NE(s.message().find("unknown attribute :many/nothing"), std::string::npos) << s.ToString();
}

TEST_F(TransactorTest, UpsertResolvesTempidToExistingEntity) {
  TxReport r = Tx(R"([{:db/id "a" :item/id "A" :item/count 1}])");
  TxReport r2 = Tx(R"([{:db/id "again" :item/id "A" :item/count 2}])");
  EXPECT_EQ(r2.tempids.at("again"), r.tempids.at("a"));
  EXPECT_EQ(Vals(conn_->db(), r.tempids.at("a"), "item/count"), std::vector<std::string>{"2"});
  // A tempid that upserts to two different entities is an error.
  Tx(R"([{:db/id "m" :manager/email "m@x"}])");
  Status s = TxError(R"([{:db/id "t" :item/id "A" :manager/email "m@x"}])");
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("two entities"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("tempid \"t\""), std::string::npos) << s.ToString();
}

TEST_F(TransactorTest, AnEntityMapWithoutDbIdThatUpsertsToTwoEntitiesIsNamedAsSuch) {
  Tx(R"([{:db/id "a" :item/id "B"} {:db/id "m" :manager/email "b@x"}])");
  Status s = TxError(R"([{:item/id "B" :manager/email "b@x"}])");
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  // The message names the map, not the transaction's internal key for it.
  EXPECT_NE(s.message().find("an entity map without :db/id upserts to two entities"), std::string::npos)
      << s.ToString();
  for (char c : s.message()) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << s.ToString();
}

TEST_F(TransactorTest, CardinalityOneImplicitRetractionIsRecorded) {
  TxReport r = Tx(R"([{:db/id "a" :item/id "A" :item/count 1}])");
  std::string a = std::to_string(r.tempids.at("a"));
  TxReport r2 = Tx("[[:db/add " + a + " :item/count 2]]");
  std::string t = std::to_string(r2.t);
  EXPECT_EQ(Data(r2), (std::vector<std::string>{"[" + a + " :item/count 1 " + t + " false]",
                                                 "[" + a + " :item/count 2 " + t + " true]"}));
}

TEST_F(TransactorTest, RedundantDatomsRecordNothingButTheTxInstant) {
  TxReport r = Tx(R"([{:db/id "a" :item/id "A" :item/count 1}])");
  std::string a = std::to_string(r.tempids.at("a"));
  TxReport r2 = Tx("[[:db/add " + a + " :item/count 1] [:db/retract " + a + " :item/tags :never]]");
  EXPECT_TRUE(Data(r2).empty());
  ASSERT_EQ(r2.tx_data.size(), 1u);
  EXPECT_EQ(r2.tx_data[0].e, r2.tx);
  EXPECT_EQ(r2.db_after.basis_t(), r2.t);  // the transaction still happened
}

TEST_F(TransactorTest, OperationOrderDoesNotMatter) {
  TxReport r = Tx(R"([{:db/id "a" :item/id "A" :item/count 1 :item/tags [:x]}])");
  std::string a = std::to_string(r.tempids.at("a"));
  // Both see db-before: the retract of :x and the add of :y commute.
  TxReport r1 = conn_->db().With(*edn::ReadOne("[[:db/retract " + a + " :item/tags :x] [:db/add " + a + " :item/count 5]]")).value();
  TxReport r2 = conn_->db().With(*edn::ReadOne("[[:db/add " + a + " :item/count 5] [:db/retract " + a + " :item/tags :x]]")).value();
  EXPECT_EQ(Data(r1), Data(r2));
}

TEST_F(TransactorTest, ErrorsNameTheOperation) {
  Tx(R"([{:db/id "a" :item/id "A" :item/email "a@x"}])");
  struct Case {
    const char* tx;
    const char* needle;
    Code code;
  } cases[] = {
      {R"([[:db/add "x" :no/such "v"]])", "unknown attribute :no/such", Code::kInvalidArgument},
      {R"([[:db/add "x" :item/count "ten"]])", "value of the wrong type for :item/count", Code::kInvalidArgument},
      {R"([{:item/id "B" :item/email "a@x"}])", "unique conflict", Code::kConflict},
      {R"([[:db/add "x" :item/count 1] [:db/add "x" :item/count 2]])", "two values for cardinality-one", Code::kInvalidArgument},
      {R"([[:db/add [:item/id "A"] :item/count 7] [:db/retract [:item/id "A"] :item/count 7]])", "both asserted and retracted", Code::kInvalidArgument},
      {R"([[:db/add [:item/id "nope"] :item/count 1]])", "matches no entity", Code::kNotFound},
      {R"([[:db/add [:item/id "A"] :item/owner "ghost"]])", "used only in value position", Code::kInvalidArgument},
      {R"([{:db/id "bare"} [:db/add "y" :item/owner "bare"]])", "used only in value position", Code::kInvalidArgument},
      {R"([[:db/frobnicate 1]])", "unknown operation", Code::kInvalidArgument},
      {R"([[:db/add "x" :item/count]])", "takes 3 arguments", Code::kInvalidArgument},
      {R"({:item/id "A"})", "vector of operations", Code::kInvalidArgument},
  };
  for (const Case& c : cases) {
    Status s = TxError(c.tx);
    EXPECT_EQ(s.code(), c.code) << c.tx << " -> " << s.ToString();
    EXPECT_NE(s.message().find(c.needle), std::string::npos) << c.tx << " -> " << s.ToString();
  }
  // Positions: the operation's line and column are named.
  Status s = TxError("[\n  [:db/add \"x\" :item/count \"ten\"]]");
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.ToString();
}

TEST_F(TransactorTest, RejectedTransactionChangesNothing) {
  Tx(R"([{:db/id "a" :item/id "A" :item/count 1}])");
  Database before = conn_->db();
  auto log_before = conn_->stats().log_bytes;
  EXPECT_FALSE(TxError(R"([{:item/id "B" :item/count 2} [:db/add [:item/id "A"] :item/count "bad"]])").ok());
  Database after = conn_->db();
  EXPECT_EQ(after.basis_t(), before.basis_t());
  EXPECT_EQ(after.next_t(), before.next_t());
  EXPECT_EQ(conn_->stats().log_bytes, log_before);
  EXPECT_EQ(Dump(after, Index::kEavt), Dump(before, Index::kEavt));
  Reopen();
  EXPECT_EQ(Dump(conn_->db(), Index::kEavt), Dump(before, Index::kEavt));
}

TEST_F(TransactorTest, TransactionFunctionsSeeDbBeforeAndAddData) {
  // "the creator can write what it created": a function that stamps owner.
  conn_->RegisterTxFunction("my/create", [](const Database& db, const std::vector<edn::Node>& args) -> Result<edn::Node> {
    if (args.size() != 2) return Status::InvalidArgument("my/create takes id and owner");
    return edn::ReadOne("[{:db/id \"new\" :item/id " + edn::Print(args[0]) + " :item/owner " + edn::Print(args[1]) + "}]");
  });
  Tx(R"([{:db/id "m" :manager/email "m@x"}])");
  TxReport r = Tx(R"([[:my/create "F" [:manager/email "m@x"]]])");
  EXPECT_EQ(Vals(conn_->db(), Id("[:item/id \"F\"]"), "item/owner"),
            std::vector<std::string>{std::to_string(Id("[:manager/email \"m@x\"]"))});
  Status s = TxError(R"([[:my/create "G"]])");
  EXPECT_NE(s.message().find("my/create takes"), std::string::npos) << s.ToString();
}

TEST_F(TransactorTest, TxInstantIsMonotonicAndMayBeSupplied) {
  TxReport r = Tx(R"([[:db/add "datomic.tx" :db/txInstant #inst "2030-01-01T00:00:00.000Z"] {:item/id "A"}])");
  EXPECT_EQ(*conn_->db().TxInstant(r.t).value(), int64_t{1893456000000});
  Status s = TxError(R"([[:db/add "datomic.tx" :db/txInstant #inst "2020-01-01"] {:item/id "B"}])");
  EXPECT_NE(s.message().find("before the previous"), std::string::npos) << s.ToString();
  // The clock is behind the supplied instant: the next one does not go back.
  TxReport r2 = Tx(R"([{:item/id "C"}])");
  EXPECT_GE(*conn_->db().TxInstant(r2.t).value(), int64_t{1893456000000});
}

TEST_F(TransactorTest, AllValueTypesRoundTrip) {
  TxReport r = Tx(R"([{:db/id "a" :item/id "A" :item/price 2.5 :item/at #inst "2014-05-19T17:20:48.200-00:00"
                       :item/uuid #uuid "678d88b2-87b0-403b-b63d-5da7465aecc3" :item/active false :item/count -9
                       :item/tags :k/w}])");
  Database db = conn_->db();
  EntityId a = r.tempids.at("a");
  EXPECT_EQ(Vals(db, a, "item/price"), std::vector<std::string>{"2.5"});
  EXPECT_EQ(Vals(db, a, "item/uuid"), std::vector<std::string>{"#uuid \"678d88b2-87b0-403b-b63d-5da7465aecc3\""});
  EXPECT_EQ(Vals(db, a, "item/active"), std::vector<std::string>{"false"});
  EXPECT_EQ(Vals(db, a, "item/count"), std::vector<std::string>{"-9"});
  EXPECT_EQ(Vals(db, a, "item/tags"), std::vector<std::string>{":k/w"});
  EXPECT_EQ(db.Values(a, db.attribute("item/at")->id).value().at(0).instant_ms(), 1400520048200);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Transaction data built as Nodes by code skips the EDN reader: the
// transactor checks text values itself, naming the attribute and the byte.
TEST_F(TransactorTest, StringValuesMustBeUtf8) {
  const T before = conn_->db().basis_t();
  edn::Node bad = edn::Node::Map({edn::Node::Keyword("item/id"), edn::Node::String("A\xC3(")});
  auto r = conn_->Transact(edn::Node::Vector({bad}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("value for :item/id is not valid UTF-8: byte 0xC3 at offset 1 of the string"),
            std::string::npos)
      << r.status().message();
  edn::Node kw = edn::Node::Map({edn::Node::Keyword("item/id"), edn::Node::String("B"), edn::Node::Keyword("item/tags"),
                                 edn::Node::Keyword(std::string("t/\xED\xA0\x80"))});
  r = conn_->Transact(edn::Node::Vector({kw}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(":item/tags is not valid UTF-8: byte 0xED at offset 2 of the keyword"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(conn_->db().basis_t(), before);
  // Well-formed text of any script goes in and comes back byte for byte.
  TxReport ok = Tx("[{:db/id \"c\" :item/id \"\xE2\x82\xAC\xF0\x9F\x98\x80\"}]");
  EXPECT_EQ(Vals(conn_->db(), ok.tempids.at("c"), "item/id"),
            std::vector<std::string>{"\"\xE2\x82\xAC\xF0\x9F\x98\x80\""});
}

}  // namespace
}  // namespace strata
