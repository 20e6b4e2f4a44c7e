// docs/query.md's tables of Datomic's grammar and built-ins against the
// code: each grammar example runs and succeeds ("supported") or fails
// with "not supported by strata" ("refused"); each function row is
// registered or refused, and every registered name has a row.
#include <fstream>
#include <set>
#include <sstream>

#include "functions.h"
#include "query_test_util.h"

namespace strata {
namespace {

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  const size_t b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The `code` spans of a cell, in order.
std::vector<std::string> CodeSpans(const std::string& cell) {
  std::vector<std::string> out;
  for (size_t at = cell.find('`'); at != std::string::npos;) {
    const size_t end = cell.find('`', at + 1);
    if (end == std::string::npos) break;
    out.push_back(cell.substr(at + 1, end - at - 1));
    at = cell.find('`', end + 1);
  }
  return out;
}

// The body rows (the header row left out) of the table after `marker`,
// as trimmed cells.
std::vector<std::vector<std::string>> Table(const std::string& marker) {
  std::ifstream in(STRATA_SOURCE_DIR "/docs/query.md");
  EXPECT_TRUE(in.good()) << "cannot read docs/query.md";
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("<!-- " + marker, 0) == 0) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.rfind("<!-- end " + marker, 0) == 0) break;
    if (line.rfind("| ", 0) != 0 || line.rfind("|---", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string cell; std::getline(ss, cell, '|');) cells.push_back(Trim(cell));
    rows.push_back(std::move(cells));
  }
  if (!rows.empty()) rows.erase(rows.begin());
  return rows;
}

constexpr const char* kRefused = "not supported by strata";

class QueryDocsTest : public testing::QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Tx(R"([{:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
           {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
           {:db/ident :p/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
           {:db/ident :p/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
           {:db/ident :doc/text :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/fulltext true}])");
    Tx(R"([{:db/id "a" :p/name "alice" :p/age 30 :p/friend "b" :p/tags [:a :b]}
           {:db/id "b" :p/name "bob" :p/age 25 :p/friend "c"}
           {:db/id "c" :p/name "carol" :p/age 30}])");
  }
};

TEST_F(QueryDocsTest, GrammarTableMatchesTheCode) {
  const auto rows = Table("grammar-table");
  ASSERT_GT(rows.size(), 40u) << "the grammar table in docs/query.md is missing or cut short";
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 4u) << "a grammar row has 4 cells: " << row[0];
    const auto query = CodeSpans(row[1]);
    ASSERT_EQ(query.size(), 1u) << "one example query per row: " << row[0];
    std::vector<QueryInput> inputs;
    for (const auto& in : CodeSpans(row[2])) {
      if (in == "$") {
        inputs.push_back(db());
      } else {
        inputs.push_back(E(in));
      }
    }
    const std::string out = Run(query[0], inputs);
    const bool failed = out.rfind("error: ", 0) == 0;
    if (row[3] == "supported") {
      EXPECT_FALSE(failed) << row[0] << ": " << query[0] << "\n  " << out;
    } else {
      ASSERT_EQ(row[3].rfind("refused: ", 0), 0u) << "status is \"supported\" or \"refused: why\": " << row[0];
      EXPECT_NE(out.find(kRefused), std::string::npos) << row[0] << ": " << query[0] << "\n  " << out;
    }
  }
}

TEST_F(QueryDocsTest, FunctionTableMatchesTheRegistry) {
  const auto rows = Table("functions-table");
  ASSERT_GT(rows.size(), 80u) << "the functions table in docs/query.md is missing or cut short";
  std::set<std::string> documented;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 2u) << "a function row has 2 cells: " << row[0];
    const auto name = CodeSpans(row[0]);
    ASSERT_EQ(name.size(), 1u) << row[0];
    EXPECT_TRUE(documented.insert(name[0]).second) << name[0] << " has two rows";
    if (row[1].rfind("supported", 0) == 0) {
      EXPECT_NE(query::FindFunction(name[0]), nullptr) << name[0] << " is documented as supported";
    } else {
      ASSERT_EQ(row[1].rfind("refused: ", 0), 0u) << name[0] << ": \"supported\" or \"refused: why\"";
      EXPECT_EQ(query::FindFunction(name[0]), nullptr) << name[0] << " is documented as refused";
      // A query that calls it is refused with the reason.
      const std::string out = Run("[:find ?x . :where [(" + name[0] + " 1) ?x]]");
      EXPECT_EQ(out.rfind(std::string("error: ") + kRefused + ": '" + name[0] + "'", 0), 0u) << out;
    }
  }
  for (const auto& n : query::FunctionNames()) EXPECT_TRUE(documented.count(n)) << n << " has no row in docs/query.md";
  for (const auto& n : query::RefusedFunctionNames()) {
    EXPECT_TRUE(documented.count(n)) << n << " (refused) has no row in docs/query.md";
  }
}

}  // namespace
}  // namespace strata
