#include "strata/connection.h"
#include "workloads/csv_mapping.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "workloads/csv_gen.h"

namespace strata::workloads {
namespace {

Result<Mapping> Parse(const std::string& text) {
  auto n = edn::ReadOne(text);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return ParseMapping(*n, "/base");
}

ColumnSpec Col(ValueType t, std::string format = "") {
  ColumnSpec c;
  c.column = "c";
  c.attr = "x/c";
  c.type = t;
  c.format = std::move(format);
  return c;
}

std::vector<Value> Cell(const ColumnSpec& c, const std::string& text, std::string* error = nullptr) {
  std::vector<Value> out;
  std::string err;
  const bool ok = ParseCell(c, text, &out, &err);
  EXPECT_EQ(ok, err.empty()) << err;
  if (error) *error = err;
  return out;
}

TEST(CsvMapping, ParsesEveryKey) {
  auto m = Parse(R"({:schema "s.edn" :batch 50 :on-error :skip
     :files [{:file "a.csv" :entity :thing :delimiter ";"
              :columns [{:column "id" :attr :a/id :identity true}
                        {:column "n" :attr :a/n :type :long :required true :trim false}
                        {:column "t" :attr :a/t :type :instant :format "MM/dd/yyyy"}
                        {:column "k" :attr :a/k :type :keyword :keyword-ns "kind"}
                        {:column "r" :attr :a/r :ref :b/id :split "|"}]}]})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->schema_path, "/base/s.edn");
  EXPECT_EQ(m->batch_rows, 50u);
  EXPECT_EQ(m->on_error, OnError::kSkip);
  ASSERT_EQ(m->files.size(), 1u);
  const FileSpec& f = m->files[0];
  EXPECT_EQ(f.entity, "thing");
  EXPECT_EQ(f.delimiter, ';');
  ASSERT_EQ(f.columns.size(), 5u);
  EXPECT_EQ(f.identity(), &f.columns[0]);
  EXPECT_TRUE(f.columns[0].required);
  EXPECT_EQ(f.columns[1].type, ValueType::kLong);
  EXPECT_FALSE(f.columns[1].trim);
  EXPECT_EQ(f.columns[4].ref, "b/id");
  EXPECT_EQ(f.columns[4].split, "|");
}

TEST(CsvMapping, RejectsMistakesWithTheirPlace) {
  const char* bad[] = {
      R"({:files []})",
      R"({:files [{:file "a.csv" :columns [{:column "x" :attr :a/x :tpye :long}]}]})",
      R"({:files [{:file "a.csv" :columns [{:column "x" :attr :a/x :type :float}]}]})",
      R"({:files [{:file "a.csv" :columns [{:column "x" :attr :a/x :identity true} {:column "y" :attr :a/y :identity true}]}]})",
      R"({:files [{:file "a.csv" :columns [{:column "x" :attr :a/x :ref :b/id :identity true}]}]})",
      R"({:files [{:file "a.csv" :columns [{:column "x" :attr :a/x :format "iso"}]}]})",
      R"({:files [{:file "a.csv" :columns [{:column "x" :attr :a/x} {:column "x" :attr :a/y}]}]})",
      R"({:batch 0 :files [{:file "a.csv" :columns [{:column "x" :attr :a/x}]}]})",
      R"({:on-error :maybe :files [{:file "a.csv" :columns [{:column "x" :attr :a/x}]}]})",
  };
  for (const char* text : bad) {
    auto m = Parse(text);
    EXPECT_FALSE(m.ok()) << text;
    EXPECT_TRUE(m.status().IsInvalidArgument()) << m.status().ToString();
  }
  auto m = Parse(R"({:files [{:file "a.csv" :columns [{:column "x" :attr :a/x :tpye :long}]}]})");
  EXPECT_NE(m.status().message().find("unknown key :tpye"), std::string::npos) << m.status().message();
}

TEST(CsvMapping, ParsesEachType) {
  EXPECT_EQ(Cell(Col(ValueType::kLong), " 42 "), std::vector<Value>{Value::Long(42)});
  EXPECT_EQ(Cell(Col(ValueType::kLong), "+7"), std::vector<Value>{Value::Long(7)});
  EXPECT_EQ(Cell(Col(ValueType::kDouble), "-1.5"), std::vector<Value>{Value::Double(-1.5)});
  EXPECT_EQ(Cell(Col(ValueType::kBoolean), "Y"), std::vector<Value>{Value::Boolean(true)});
  EXPECT_EQ(Cell(Col(ValueType::kBoolean), "false"), std::vector<Value>{Value::Boolean(false)});
  EXPECT_EQ(Cell(Col(ValueType::kString), "  padded "), std::vector<Value>{Value::String("padded")});
  ColumnSpec keep = Col(ValueType::kString);
  keep.trim = false;
  EXPECT_EQ(Cell(keep, "  padded "), std::vector<Value>{Value::String("  padded ")});
  ColumnSpec kw = Col(ValueType::kKeyword);
  kw.keyword_ns = "species";
  EXPECT_EQ(Cell(kw, "canine"), std::vector<Value>{Value::Keyword("species/canine")});
  EXPECT_EQ(Cell(kw, ":a/b"), std::vector<Value>{Value::Keyword("a/b")});
  Uuid u;
  ASSERT_TRUE(Uuid::Parse("5f0c7e4e-8d3a-4b1e-9a51-3c2d8e1f0a77", &u));
  EXPECT_EQ(Cell(Col(ValueType::kUuid), "5f0c7e4e-8d3a-4b1e-9a51-3c2d8e1f0a77"), std::vector<Value>{Value::FromUuid(u)});
  // Empty means absent.
  EXPECT_TRUE(Cell(Col(ValueType::kLong), "   ").empty());
}

TEST(CsvMapping, Instants) {
  const int64_t day = 86400000;
  const int64_t may5 = 19117 * day;  // 2022-05-05
  EXPECT_EQ(Cell(Col(ValueType::kInstant), "2022-05-05"), std::vector<Value>{Value::Instant(may5)});
  EXPECT_EQ(Cell(Col(ValueType::kInstant), "2022-05-05T01:00:00Z"), std::vector<Value>{Value::Instant(may5 + 3600000)});
  EXPECT_EQ(Cell(Col(ValueType::kInstant), "2022-05-05T03:00:00+02:00"),
            std::vector<Value>{Value::Instant(may5 + 3600000)});
  EXPECT_EQ(Cell(Col(ValueType::kInstant, "MM/dd/yyyy"), "05/05/2022"), std::vector<Value>{Value::Instant(may5)});
  EXPECT_EQ(Cell(Col(ValueType::kInstant, "M/d/yyyy"), "5/5/2022"), std::vector<Value>{Value::Instant(may5)});
  EXPECT_EQ(Cell(Col(ValueType::kInstant, "dd.MM.yyyy HH:mm:ss.SSS"), "05.05.2022 00:00:01.250"),
            std::vector<Value>{Value::Instant(may5 + 1250)});
  EXPECT_EQ(Cell(Col(ValueType::kInstant, "epoch-s"), "1651708800"), std::vector<Value>{Value::Instant(may5)});
  EXPECT_EQ(Cell(Col(ValueType::kInstant, "epoch-ms"), "1651708800000"), std::vector<Value>{Value::Instant(may5)});
  std::string err;
  Cell(Col(ValueType::kInstant, "MM/dd/yyyy"), "02/30/2022", &err);
  EXPECT_NE(err.find("is not an instant in format MM/dd/yyyy"), std::string::npos) << err;
  Cell(Col(ValueType::kInstant), "last spring", &err);
  EXPECT_NE(err.find("'last spring' is not an instant"), std::string::npos) << err;
  // Fuzz finding: seconds whose milliseconds overflow are bad text, not
  // undefined behaviour (datasets/fuzz/regressions/csv_fuzz-epoch-seconds-overflow).
  err.clear();
  EXPECT_TRUE(Cell(Col(ValueType::kInstant, "epoch-s"), "477777777777777777", &err).empty());
  EXPECT_NE(err.find("is not an instant"), std::string::npos) << err;
}

TEST(CsvMapping, WrongTypesSayColumnAndText) {
  std::string err;
  Cell(Col(ValueType::kLong), "12x", &err);
  EXPECT_EQ(err, "column 'c': '12x' is not a long");
  Cell(Col(ValueType::kDouble), "heavy", &err);
  EXPECT_EQ(err, "column 'c': 'heavy' is not a double");
  Cell(Col(ValueType::kBoolean), "maybe", &err);
  EXPECT_NE(err.find("is not a boolean"), std::string::npos);
  Cell(Col(ValueType::kUuid), "not-a-uuid", &err);
  EXPECT_NE(err.find("is not a uuid"), std::string::npos);
}

TEST(CsvMapping, SplitCells) {
  ColumnSpec c = Col(ValueType::kString);
  c.split = ";";
  EXPECT_EQ(Cell(c, "a; b;;c "), (std::vector<Value>{Value::String("a"), Value::String("b"), Value::String("c")}));
}

TEST(CsvMapping, RowMapperChecksCountsRequiredAndTypes) {
  auto m = Parse(R"({:files [{:file "a.csv"
      :columns [{:column "id" :attr :a/id :identity true}
                {:column "n" :attr :a/n :type :long :required true}
                {:column "r" :attr :a/r :ref :b/id}]}]})");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(RowMapper::Make(m->files[0], {"id", "n"}).ok());  // no column r
  auto mapper = RowMapper::Make(m->files[0], {"r", "extra", "id", "n"});
  ASSERT_TRUE(mapper.ok()) << mapper.status().ToString();
  CsvRecord rec;
  MappedRow row;
  std::string err;
  rec.fields = {"B-1", "ignored", "A-1", "5"};
  rec.line = 9;
  ASSERT_TRUE(mapper->Map(rec, &row, &err)) << err;
  EXPECT_EQ(row.line, 9u);
  ASSERT_NE(row.identity, nullptr);
  EXPECT_EQ(row.key, Value::String("A-1"));
  ASSERT_EQ(row.values.size(), 3u);
  EXPECT_EQ(row.values[2].col->ref, "b/id");
  EXPECT_EQ(row.values[2].v, Value::String("B-1"));
  rec.fields = {"", "", "A-2", ""};
  EXPECT_FALSE(mapper->Map(rec, &row, &err));
  EXPECT_EQ(err, "missing required column 'n'");
  rec.fields = {"", "", "", "1"};
  EXPECT_FALSE(mapper->Map(rec, &row, &err));
  EXPECT_EQ(err, "missing identity column 'id'");
  rec.fields = {"", "", "A-3"};
  EXPECT_FALSE(mapper->Map(rec, &row, &err));
  EXPECT_EQ(err, "3 fields, the header has 4");
  rec.fields = {"", "", "A-3", "five"};
  EXPECT_FALSE(mapper->Map(rec, &row, &err));
  EXPECT_EQ(err, "column 'n': 'five' is not a long");
}

TEST(CsvMapping, CheckMappingAgainstTheSchema) {
  auto env = NewMemEnv();
  Options o;
  o.env = env.get();
  auto conn = Connection::Open("/db", o);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Transact(R"([{:db/ident :b/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
      {:db/ident :a/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
      {:db/ident :a/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
      {:db/ident :a/r :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}])").ok());
  auto check = [&](const std::string& cols) {
    auto m = Parse("{:files [{:file \"a.csv\" :columns [" + cols + "]}]}");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return CheckMapping((*conn)->db(), *m);
  };
  EXPECT_TRUE(check(R"({:column "id" :attr :a/id :identity true} {:column "n" :attr :a/n :type :long}
                       {:column "r" :attr :a/r :ref :b/id})").ok());
  EXPECT_NE(check(R"({:column "n" :attr :a/n})").message().find(":a/n is long, the column parses string"),
            std::string::npos);
  EXPECT_NE(check(R"({:column "x" :attr :a/nope})").message().find("no attribute :a/nope"), std::string::npos);
  EXPECT_NE(check(R"({:column "r" :attr :a/r :ref :a/n :type :long})").message().find("is not unique"),
            std::string::npos);
  EXPECT_NE(check(R"({:column "n" :attr :a/n :type :long :identity true})").message().find("db.unique/identity"),
            std::string::npos);
  EXPECT_NE(check(R"({:column "r" :attr :a/r :ref :b/id :split ";"})").message().find("cardinality-many"),
            std::string::npos);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// datasets/vetspire holds the very text the generator and workloads embed.
TEST(CsvMapping, VetspireDatasetMatchesTheBuiltInCopy) {
  const std::string dir = std::string(STRATA_SOURCE_DIR) + "/datasets/vetspire/";
  EXPECT_EQ(ReadText(dir + "mapping.edn"), VetspireMappingEdn());
  EXPECT_EQ(ReadText(dir + "schema.edn"), VetspireSchemaEdn());
  auto m = LoadMapping(Env::Default(), dir + "mapping.edn");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->files.size(), 7u);
  EXPECT_EQ(m->schema_path, dir + "schema.edn");
}

}  // namespace
}  // namespace strata::workloads
