#include "strata/connection.h"
#include "workloads/csv_import.h"

#include <gtest/gtest.h>

#include "workloads/csv_gen.h"

namespace strata::workloads {
namespace {

constexpr const char* kSchema = R"([
 {:db/ident :client/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :client/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :client/balance :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
 {:db/ident :client/referrer :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :patient/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :patient/client :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :patient/born :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
 {:db/ident :patient/chip :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
 {:db/ident :patient/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}])";

constexpr const char* kMapping = R"({:schema "schema.edn" :batch 2
 :files [{:file "clients.csv"
          :columns [{:column "id" :attr :client/id :identity true}
                    {:column "name" :attr :client/name :required true}
                    {:column "balance" :attr :client/balance :type :double}
                    {:column "referrer" :attr :client/referrer :ref :client/id}]}
         {:file "patients.csv"
          :columns [{:column "id" :attr :patient/id :identity true}
                    {:column "client" :attr :patient/client :ref :client/id :required true}
                    {:column "born" :attr :patient/born :type :instant :format "MM/dd/yyyy"}
                    {:column "chip" :attr :patient/chip}
                    {:column "tags" :attr :patient/tags :type :keyword :keyword-ns "tag" :split ";"}]}]})";

class CsvImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.reset();
    env_ = NewMemEnv();
    ASSERT_TRUE(env_->CreateDirs("/in").ok());
    Write("schema.edn", kSchema);
    Write("mapping.edn", kMapping);
    Options o;
    o.env = env_.get();
    o.sync = SyncPolicy::kNever;
    auto c = Connection::Open("/db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(env_.get(), "/in/" + name, text).ok());
  }

  Status Import(std::vector<std::string> names, OnError policy, ImportReport* report, size_t batch = 0) {
    auto m = LoadMapping(env_.get(), "/in/mapping.edn");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    ImportOptions o;
    o.env = env_.get();
    o.on_error = policy;
    o.batch_rows = batch;
    for (std::string& n : names) n = "/in/" + n;
    return ImportCsv(*conn_, *m, names, o, report);
  }

  std::vector<Value> Get(const std::string& id_attr, const std::string& id, const std::string& attr) {
    Database db = conn_->db();
    auto e = db.Entid(edn::Node::Vector({edn::Node::Keyword(id_attr), edn::Node::String(id)}));
    if (!e.ok()) return {};
    return db.Values(*e, db.attribute(attr)->id).value();
  }

  bool Exists(const std::string& id_attr, const std::string& id) {
    return conn_->db().Entid(edn::Node::Vector({edn::Node::Keyword(id_attr), edn::Node::String(id)})).ok();
  }

  std::unique_ptr<Env> env_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(CsvImportTest, ImportsTypesReferencesAndUpserts) {
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana,10.5,\nC2,\"Okafor, Ben\",,C1\nC3,Cy,0,C2\n");
  Write("patients.csv",
        "id,client,born,chip,tags\r\nP1,C1,05/05/2022,X1,vip;senior\r\nP2,C3,,,\r\nP3,C2,01/31/2020,X3,\r\n");
  ImportReport r;
  Status s = Import({"patients.csv", "clients.csv"}, OnError::kFail, &r);  // order from the mapping
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(r.schema_transacted);
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.rows, 6u);
  EXPECT_EQ(r.rows_imported, 6u);
  EXPECT_EQ(r.rows_bad, 0u);
  EXPECT_EQ(r.transactions, 4u);  // batches of 2: C1 C2 | C3 | P1 P2 | P3
  EXPECT_EQ(r.committed_through, "/in/patients.csv:4");

  EXPECT_EQ(Get("client/id", "C2", "client/name"), std::vector<Value>{Value::String("Okafor, Ben")});
  EXPECT_TRUE(Get("client/id", "C2", "client/balance").empty());  // empty = absent
  // C2's referrer C1 was in the same batch (tempid); C3's in the batch before (lookup).
  auto c1 = conn_->db().Entid(edn::ReadOne("[:client/id \"C1\"]").value());
  auto c2 = conn_->db().Entid(edn::ReadOne("[:client/id \"C2\"]").value());
  EXPECT_EQ(Get("client/id", "C2", "client/referrer"), std::vector<Value>{Value::Ref(*c1)});
  EXPECT_EQ(Get("client/id", "C3", "client/referrer"), std::vector<Value>{Value::Ref(*c2)});
  EXPECT_EQ(Get("patient/id", "P1", "patient/born"), std::vector<Value>{Value::Instant(19117LL * 86400000)});
  EXPECT_EQ(Get("patient/id", "P1", "patient/tags"),
            (std::vector<Value>{Value::Keyword("tag/senior"), Value::Keyword("tag/vip")}));

  // Re-importing changes nothing: no transaction, no datom.
  const T basis = conn_->db().basis_t();
  s = Import({"clients.csv", "patients.csv"}, OnError::kFail, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(r.schema_transacted);
  EXPECT_EQ(r.rows_unchanged, 6u);
  EXPECT_EQ(r.transactions, 0u);
  EXPECT_EQ(r.datoms, 0u);
  EXPECT_EQ(conn_->db().basis_t(), basis);

  // A changed row upserts: one entity, the new value replaces the old.
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana,99,\nC2,\"Okafor, Ben\",,C1\n");
  s = Import({"clients.csv"}, OnError::kFail, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.rows_imported, 1u);
  EXPECT_EQ(r.rows_unchanged, 1u);
  EXPECT_EQ(r.datoms, 3u);  // retract 10.5, assert 99, the tx instant
  EXPECT_EQ(Get("client/id", "C1", "client/balance"), std::vector<Value>{Value::Double(99)});
}

TEST_F(CsvImportTest, LaterRowForOneEntityWins) {
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana,1,\nC1,Ana,2,\n");
  ImportReport r;
  ASSERT_TRUE(Import({"clients.csv"}, OnError::kFail, &r, 100).ok());
  EXPECT_EQ(r.transactions, 2u);
  EXPECT_EQ(Get("client/id", "C1", "client/balance"), std::vector<Value>{Value::Double(2)});
}

constexpr const char* kBadClients =
    "id,name,balance,referrer\n"
    "C1,Ana,1,\n"          // 2 good
    "C2,Ben,lots,\n"       // 3 wrong type
    ",Cy,3,\n"             // 4 missing key
    "C4,Dee,4,C99\n"       // 5 unresolvable reference
    "C5,\"Ed\"die,5,\n"    // 6 broken quoting
    "C6,Flo,6\n"           // 7 wrong column count
    "C7,,7,\n"             // 8 missing required value
    "C8,Gus,8,C1\n";       // 9 good

TEST_F(CsvImportTest, SkipReportsEachBadRowAndImportsTheRest) {
  Write("clients.csv", kBadClients);
  ImportReport r;
  Status s = Import({"clients.csv"}, OnError::kSkip, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.rows, 8u);
  EXPECT_EQ(r.rows_imported, 2u);
  EXPECT_EQ(r.rows_bad, 6u);
  ASSERT_EQ(r.errors.size(), 6u);
  const std::pair<uint64_t, const char*> want[] = {
      {3, "column 'balance': 'lots' is not a double"},
      {4, "missing identity column 'id'"},
      {5, "column 'referrer': unresolvable reference, [:client/id \"C99\"] matches no entity"},
      {6, "text after the closing quote of field 2"},
      {7, "3 fields, the header has 4"},
      {8, "missing required column 'name'"},
  };
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(r.errors[i].file, "/in/clients.csv");
    EXPECT_EQ(r.errors[i].line, want[i].first);
    EXPECT_EQ(r.errors[i].reason, want[i].second);
  }
  EXPECT_EQ(r.errors[2].ToString(),
            "/in/clients.csv:5: column 'referrer': unresolvable reference, [:client/id \"C99\"] matches no entity");
  EXPECT_TRUE(Exists("client/id", "C1"));
  EXPECT_TRUE(Exists("client/id", "C8"));
  for (const char* id : {"C2", "C4", "C5", "C6", "C7"}) EXPECT_FALSE(Exists("client/id", id)) << id;
}

TEST_F(CsvImportTest, FailStopsAndCommitsNothingOfTheBadBatch) {
  // Batches of 2: [C1 C2] commits; C3's batch [C3 <bad>] does not.
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana,1,\nC2,Ben,2,\nC3,Cy,3,\nC4,Dee,four,\nC5,Ed,5,\n");
  ImportReport r;
  Status s = Import({"clients.csv"}, OnError::kFail, &r);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "/in/clients.csv:5: column 'balance': 'four' is not a double");
  EXPECT_EQ(r.committed_through, "/in/clients.csv:3");
  EXPECT_EQ(r.rows_imported, 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(Exists("client/id", "C1"));
  EXPECT_TRUE(Exists("client/id", "C2"));
  EXPECT_FALSE(Exists("client/id", "C3"));
  EXPECT_FALSE(Exists("client/id", "C5"));
}

TEST_F(CsvImportTest, FailOnEveryKindOfBadRow) {
  const char* rows[] = {"C2,Ben,lots,", ",Cy,3,", "C4,Dee,4,C99", "C5,\"Ed\"die,5,", "C6,Flo,6", "C7,,7,",
                        "C8,\"never closed,8,"};
  for (const char* bad : rows) {
    SetUp();
    Write("clients.csv", std::string("id,name,balance,referrer\nC1,Ana,1,\n") + bad + "\n");
    ImportReport r;
    Status s = Import({"clients.csv"}, OnError::kFail, &r);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad << ": " << s.ToString();
    EXPECT_EQ(r.errors.size(), 1u) << bad;
    EXPECT_EQ(r.errors.at(0).line, 3u) << bad;
    EXPECT_EQ(r.transactions, 0u) << bad;  // C1 shared the bad row's batch
    EXPECT_FALSE(Exists("client/id", "C1")) << bad;
  }
}

TEST_F(CsvImportTest, RowsTheTransactorRefusesAreFoundAndLeftOut) {
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana,1,\n");
  // P2 reuses P1's :db.unique/value chip: the batch [P1 P2 P3] is refused,
  // P2 is found by trying rows one at a time, and [P1 P3] goes in again.
  Write("patients.csv", "id,client,born,chip,tags\nP1,C1,,X1,\nP2,C1,,X1,\nP3,C1,,X3,\n");
  ImportReport r;
  Status s = Import({"clients.csv", "patients.csv"}, OnError::kSkip, &r, 10);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 3u);
  EXPECT_NE(r.errors[0].reason.find("refused by the transactor: unique conflict"), std::string::npos)
      << r.errors[0].reason;
  EXPECT_EQ(r.retried_batches, 1u);
  EXPECT_TRUE(Exists("patient/id", "P1"));
  EXPECT_FALSE(Exists("patient/id", "P2"));
  EXPECT_TRUE(Exists("patient/id", "P3"));

  // Under fail the same batch commits nothing.
  SetUp();
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana,1,\n");
  Write("patients.csv", "id,client,born,chip,tags\nP1,C1,,X1,\nP2,C1,,X1,\nP3,C1,,X3,\n");
  s = Import({"clients.csv", "patients.csv"}, OnError::kFail, &r, 10);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("patients.csv:3: refused by the transactor"), std::string::npos) << s.message();
  EXPECT_FALSE(Exists("patient/id", "P1"));
  EXPECT_TRUE(Exists("client/id", "C1"));
}

TEST_F(CsvImportTest, UnknownFilesAndMissingColumnsAreRefusedUpFront) {
  Write("other.csv", "a\n1\n");
  ImportReport r;
  Status s = Import({"other.csv"}, OnError::kSkip, &r);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("matches no :file of the mapping"), std::string::npos) << s.message();
  EXPECT_EQ(conn_->db().attribute("client/id"), nullptr);  // not even the schema went in
  Write("clients.csv", "id,nom\nC1,Ana\n");
  s = Import({"clients.csv"}, OnError::kSkip, &r);
  EXPECT_NE(s.message().find("the header has no column 'name'"), std::string::npos) << s.message();
}

TEST_F(CsvImportTest, ProgressAndStop) {
  std::string text = "id,name,balance,referrer\n";
  for (int i = 0; i < 100; ++i) text += "C" + std::to_string(i) + ",N,1,\n";
  Write("clients.csv", text);
  auto m = LoadMapping(env_.get(), "/in/mapping.edn");
  ASSERT_TRUE(m.ok());
  ImportOptions o;
  o.env = env_.get();
  o.batch_rows = 10;
  o.progress_interval_s = 0;
  std::vector<ImportProgress> seen;
  o.progress = [&](const ImportProgress& p) { seen.push_back(p); };
  o.stop = [&] { return seen.size() >= 3; };
  ImportReport r;
  Status s = ImportCsv(*conn_, *m, {"/in/clients.csv"}, o, &r);
  EXPECT_EQ(s.code(), Code::kAborted) << s.ToString();
  EXPECT_EQ(r.rows_imported, 30u);  // stopped after the third batch, cleanly
  EXPECT_EQ(r.committed_through, "/in/clients.csv:31");
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen[0].bytes_total, text.size());
  EXPECT_GT(seen[2].bytes_read, 0u);
  EXPECT_EQ(seen[2].rows, 30u);
  EXPECT_GT(seen[2].datoms, 60u);
  EXPECT_TRUE(Exists("client/id", "C29"));
  EXPECT_FALSE(Exists("client/id", "C30"));
}

// The generator's files, bad rows included, through the Vetspire mapping.
TEST(CsvImportGenerated, SkipFindsExactlyTheGeneratedBadRows) {
  auto env = NewMemEnv();
  CsvGenPlan plan = PlanForClients(300, 5, 0.02);
  CsvGenReport gen;
  ASSERT_TRUE(GenerateCsv(env.get(), "/gen", plan, &gen).ok());
  for (int k = 0; k < kBadKinds; ++k) {
    uint64_t n = 0;
    for (const CsvGenTable& t : gen.tables) n += t.bad[k];
    EXPECT_GT(n, 2u) << BadKindName(static_cast<BadKind>(k));
  }
  Options o;
  o.env = env.get();
  o.sync = SyncPolicy::kNever;
  auto conn = Connection::Open("/db", o);
  ASSERT_TRUE(conn.ok());
  auto m = LoadMapping(env.get(), "/gen/mapping.edn");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<std::string> files;
  for (int t = 0; t < kVetTables; ++t) files.push_back(std::string("/gen/") + VetTableFile(static_cast<VetTable>(t)));
  ImportOptions io;
  io.env = env.get();
  io.on_error = OnError::kSkip;
  io.max_listed_errors = 100000;
  ImportReport r;
  Status s = ImportCsv(**conn, *m, files, io, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.rows_bad, gen.bad_rows()) << r.Summary();
  EXPECT_EQ(r.rows_imported, gen.good_rows()) << r.Summary();
  EXPECT_EQ(r.rows, gen.good_rows() + gen.bad_rows());
  EXPECT_EQ(r.bytes, gen.bytes);
  for (const RowError& e : r.errors) EXPECT_GT(e.line, 1u) << e.ToString();
  // Everything bad came from a bad row, never a good one nearby.
  uint64_t by_kind[kBadKinds] = {};
  for (const RowError& e : r.errors) {
    if (e.reason.find("not a") != std::string::npos) by_kind[0]++;
    else if (e.reason.find("missing identity") != std::string::npos) by_kind[1]++;
    else if (e.reason.find("unresolvable reference") != std::string::npos) by_kind[2]++;
    else if (e.reason.find("quote") != std::string::npos) by_kind[3]++;
    else if (e.reason.find("the header has") != std::string::npos) by_kind[4]++;
    else ADD_FAILURE() << e.ToString();
  }
  for (int k = 0; k < kBadKinds; ++k) {
    uint64_t want = 0;
    for (const CsvGenTable& t : gen.tables) want += t.bad[k];
    EXPECT_EQ(by_kind[k], want) << BadKindName(static_cast<BadKind>(k));
  }

  // Re-importing the same files adds no datom.
  const T basis = (*conn)->db().basis_t();
  s = ImportCsv(**conn, *m, files, io, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.datoms, 0u);
  EXPECT_EQ(r.transactions, 0u);
  EXPECT_EQ(r.rows_unchanged, gen.good_rows());
  EXPECT_EQ((*conn)->db().basis_t(), basis);
}

TEST(CsvGen, DeterministicAndSizedByBytes) {
  auto env = NewMemEnv();
  CsvGenReport a, b, c;
  ASSERT_TRUE(GenerateCsv(env.get(), "/a", PlanForClients(50, 1, 0.05), &a).ok());
  ASSERT_TRUE(GenerateCsv(env.get(), "/b", PlanForClients(50, 1, 0.05), &b).ok());
  ASSERT_TRUE(GenerateCsv(env.get(), "/c", PlanForClients(50, 2, 0.05), &c).ok());
  for (int t = 0; t < kVetTables; ++t) {
    const std::string f = VetTableFile(static_cast<VetTable>(t));
    EXPECT_EQ(env->ReadFile("/a/" + f).value(), env->ReadFile("/b/" + f).value()) << f;
    if (t >= 3) {
      EXPECT_NE(env->ReadFile("/a/" + f).value(), env->ReadFile("/c/" + f).value()) << f;
    }
  }
  for (uint64_t target : {200u << 10, 3u << 20}) {
    CsvGenReport r;
    ASSERT_TRUE(GenerateCsv(env.get(), "/s", PlanForBytes(target, 3), &r).ok());
    EXPECT_NEAR(static_cast<double>(r.bytes), static_cast<double>(target), 0.02 * static_cast<double>(target));
  }
}

// datasets/vetspire: the generator's 12-client sample, importing cleanly.
TEST(CsvImportDataset, VetspireSampleImportsCleanly) {
  const std::string dir = std::string(STRATA_SOURCE_DIR) + "/datasets/vetspire";
  auto mem = NewMemEnv();
  CsvGenReport gen;
  ASSERT_TRUE(GenerateCsv(mem.get(), "/gen", PlanForClients(12, 1), &gen).ok());
  std::vector<std::string> files;
  for (int t = 0; t < kVetTables; ++t) {
    const std::string f = VetTableFile(static_cast<VetTable>(t));
    files.push_back(dir + "/" + f);
    EXPECT_EQ(Env::Default()->ReadFile(dir + "/" + f).value(), mem->ReadFile("/gen/" + f).value()) << f;
  }
  Options o;
  o.env = mem.get();
  auto conn = Connection::Open("/db", o);
  ASSERT_TRUE(conn.ok());
  auto m = LoadMapping(Env::Default(), dir + "/mapping.edn");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ImportReport r;
  Status s = ImportCsv(**conn, *m, files, ImportOptions(), &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.rows_imported, gen.good_rows());
  EXPECT_EQ(r.rows_bad, 0u);
  EXPECT_TRUE(r.schema_transacted);
}

}  // namespace
}  // namespace strata::workloads

namespace strata::workloads {
namespace {

// A field that is not UTF-8 is a bad row naming file, line and field; under
// skip the rest imports, under fail nothing of its batch commits.
TEST_F(CsvImportTest, InvalidUtf8IsABadRow) {
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana\xC3\xA9,1,\nC2,B\xE9n,2,\nC3,Cy,3,\n");
  ImportReport r;
  Status s = Import({"clients.csv"}, OnError::kSkip, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(), "/in/clients.csv:3: field 2 is not valid UTF-8: byte 0xE9 at offset 1 of the field");
  EXPECT_EQ(Get("client/id", "C1", "client/name"), std::vector<Value>{Value::String("Ana\xC3\xA9")});
  EXPECT_FALSE(Exists("client/id", "C2"));
  EXPECT_TRUE(Exists("client/id", "C3"));

  SetUp();  // a fresh database and files
  Write("clients.csv", "id,name,balance,referrer\nC1,Ana\xC3\xA9,1,\nC2,B\xE9n,2,\nC3,Cy,3,\n");
  s = Import({"clients.csv"}, OnError::kFail, &r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "/in/clients.csv:3: field 2 is not valid UTF-8: byte 0xE9 at offset 1 of the field");
  EXPECT_FALSE(Exists("client/id", "C1"));  // its batch [C1 C2] did not commit
}

}  // namespace
}  // namespace strata::workloads
