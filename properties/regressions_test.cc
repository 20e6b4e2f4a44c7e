// regressions_test.cc — named regression tests for bugs the property suite
// found, each the shrunk case made readable (STYLE habit 12). A test here
// fails until its bug is fixed; the comment names the property and the
// minimal stream that exposed it.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "testing/fault_injection_env.h"
#include "testing/test_util.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/env.h"

namespace strata::props {
namespace {

// The engine tests' in-memory fixture (engine/testing/test_util.h), plus
// an attribute's id by ident.
class RegressionTest : public strata::testing::DbTest {
 protected:
  EntityId Attr(const std::string& ident) { return conn_->db().attribute(ident)->id; }
};

// Found by Since, IndexAgreement and IndexingTransparency (every strategy):
// the full-scan AVET filter of Database::Open (database.cc) wraps an
// iterator that is already positioned and never re-checks its first datom,
// so the first datom of the view leaks into AVET whatever its attribute.
// In a since(t) view the first datom in AVET order is often a schema datom
// of a non-indexed attribute such as :db/doc or :db/index.
TEST_F(RegressionTest, AvetFullScanOfSinceViewHoldsOnlyIndexedOrUniqueAttributes) {
  TxReport schema = Tx(R"([{:db/ident :a/x :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])");
  Tx(R"([[:db/add :a/x :db/doc "not indexed"]])");
  auto avet = conn_->db().Since(schema.t).DatomsVector(Index::kAvet);
  ASSERT_TRUE(avet.ok());
  for (const Datom& d : *avet) {
    const Attribute* a = conn_->db().attribute(d.a);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->in_avet()) << "AVET holds a datom of :" << a->ident << ", which is neither indexed nor unique";
  }
}

// Found by Excision (every strategy) as a crash of the test process:
// CrashDuringCommit of an excision while every rename fails. After an
// excision commit, Connection::Rep::RewriteLog (connection.cc) resets the
// log writer before renaming the rewritten log over the old one; when the
// rename fails it returns with `log` null, and CommitGroup then reads
// log->size() for its stats: a null dereference (SIGSEGV) in the very
// commit, and every later commit would dereference it too.
TEST_F(RegressionTest, ExcisionWhoseLogRewriteCannotRenameKeepsTheConnectionUsable) {
  conn_.reset();
  auto fenv = std::make_unique<FaultInjectionEnv>(env_.get());
  {
    Options o;
    o.env = fenv.get();
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }
  Tx(R"([{:db/ident :a/x :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])");
  const EntityId e = Tx(R"([{:db/id "e" :a/x 1}])").tempids.at("e");
  fenv->FailOp(FaultOp::kRename);
  auto excised = conn_->Transact("[[:db/excise " + std::to_string(e) + "]]");  // crashes here today
  fenv->ClearFaults();
  // The excision is durable (its commit was synced); the rewrite may finish later.
  EXPECT_TRUE(excised.ok()) << excised.status().ToString();
  auto next = conn_->Transact(R"([{:a/x 2}])");
  EXPECT_TRUE(next.ok()) << next.status().ToString();
  conn_.reset();
}

// Found while checking Durability's "every index root readable": a read
// whose durable segments cannot be read reports success with the datoms of
// those segments missing. DatomCursor has no status(), and
// Database::DatomsVector (database.cc) stops at the first !Valid() without
// asking the iterator why, so an I/O error (or a corrupt segment) becomes
// a silently truncated answer instead of an IOError/Corruption.
TEST_F(RegressionTest, ReadThatCannotReadItsSegmentsFailsInsteadOfReturningFewerDatoms) {
  conn_.reset();
  auto fenv = std::make_unique<FaultInjectionEnv>(env_.get());
  Options o;
  o.env = fenv.get();
  o.segment_datoms = 16;
  o.background_indexing = false;
  size_t before = 0;
  {
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->Transact(R"([{:db/ident :a/x :db/valueType :db.type/long :db/cardinality :db.cardinality/one}])").ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE((*c)->Transact("[{:a/x " + std::to_string(i) + "}]").ok());
    before = (*c)->db().DatomsVector(Index::kEavt)->size();
    ASSERT_TRUE((*c)->IndexNow().ok());
  }
  auto c = Connection::Open("/db", o);  // a cold segment cache
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  fenv->FailOp(FaultOp::kRead);
  auto r = (*c)->db().DatomsVector(Index::kEavt);
  fenv->ClearFaults();
  if (r.ok()) {
    EXPECT_EQ(r->size(), before) << "a failed segment read came back as OK with datoms missing";
  }
}

// Found by Excision (shrunk from 300 cases): an excision request can itself
// be excised. Before the next indexing job, the first excision lives only
// as pending state rebuilt from the request in the log; excising the
// request removes it from the log, so after a restart the durable index's
// copy of the excised datoms is current again. SPEC §7 says the request
// "stays visible": refusing [:db/excise request] (the model's rule) would
// do; so would keeping pending excisions durable. Either way the excised
// datom must not come back.
TEST_F(RegressionTest, ExcisedDatomsStayGoneAfterTheirRequestIsExcisedAndTheDatabaseReopens) {
  options_.background_indexing = false;
  Reopen();
  Tx(R"([{:db/ident :a/x :db/valueType :db.type/string :db/cardinality :db.cardinality/one}])");
  const EntityId e = Tx(R"([{:db/id "e" :a/x "v"}])").tempids.at("e");
  ASSERT_TRUE(conn_->IndexNow().ok());  // the datom is in the durable index
  TxReport excise = Tx("[[:db/excise " + std::to_string(e) + "]]");
  EntityId request = 0;
  for (const Datom& d : excise.tx_data)
    if (d.a == Attr("db/excise")) request = d.e;
  ASSERT_NE(request, 0u);
  (void)conn_->Transact("[[:db/excise " + std::to_string(request) + "]]");  // refusing it is fine too
  auto gone = [&](const Database& db) {
    auto h = db.History().DatomsVector(Index::kEavt, {Value::Ref(e), Value::Ref(Attr("a/x"))});
    return h.ok() && h->empty();
  };
  EXPECT_TRUE(gone(conn_->db()));
  ASSERT_TRUE(conn_->Close().ok());
  Reopen();
  EXPECT_TRUE(gone(conn_->db())) << "the excised [e :a/x \"v\"] is back after reopening";
}

// Found while writing the model (SPEC §1: "each new entity that it creates
// takes the following t values"): a new entity that is the subject of no
// datom — a map whose only keys are reverse keys, or {:db/id "x"} alone —
// gets an id (and is reported in tempids) but does not advance next_t,
// because ApplyDatoms (db_state.cc) derives next_t from the entity ids of
// the datoms only. The next transaction then takes the same t. The
// generators avoid such maps (generators.h) so that this bug does not mask
// others; lift that restriction once it is fixed.
TEST_F(RegressionTest, NewEntityNamedOnlyAsARefValueStillTakesItsT) {
  Tx(R"([{:db/ident :a/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
         {:db/ident :a/refs :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])");
  Tx(R"([{:a/id "parent"}])");
  TxReport r = Tx(R"([{:db/id "x" :a/_refs [:a/id "parent"]}])");
  const EntityId x = r.tempids.at("x");
  EXPECT_EQ(TOf(x), r.t + 1);
  TxReport next = Tx(R"([{:a/id "next"}])");
  EXPECT_GT(next.t, TOf(x)) << "transaction t=" << next.t << " reuses the t of entity " << x;
}

}  // namespace
}  // namespace strata::props
