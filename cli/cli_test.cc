// End-to-end tests of the `strata` binary: each runs it as a subprocess on
// a fresh temporary folder and checks exit codes, stdout and stderr.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <re2/re2.h>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_binary_test_util.h"
#include "storage/storage.h"
#include "strata/indexing.h"

namespace {

using nlohmann::json;
using strata::cli::testing::Outcome;
using strata::cli::testing::RunStrata;
using strata::cli::testing::Slurp;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

constexpr const char* kSchema = R"([
 {:db/ident :item/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
 {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
 {:db/ident :item/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :item/at :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
 {:db/ident :item/price :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
 {:db/ident :item/key :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one}
 {:db/ident :item/ok :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
 {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]
)";

constexpr const char* kData = R"([{:db/id "alice" :person/name "Alice"}
 {:db/id "x" :item/id "0042-TRBL" :item/count 7 :item/tags [:tag/red :tag/blue] :item/owner "alice"
  :item/at #inst "2024-01-02T03:04:05.678Z" :item/price 2.5
  :item/key #uuid "6f1c2a52-0a7e-4c4e-9d3c-8d5a2f0e1b7a" :item/ok true}]
)";

constexpr const char* kUpdate = "[[:db/add [:item/id \"0042-TRBL\"] :item/count 8]]\n";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "strata-cli-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    db_ = root_ + "/db";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = root_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Runs the binary with `args`, feeding `input` on stdin.
  Outcome Run(const std::vector<std::string>& args, const std::string& input = "") {
    return RunStrata(args, WriteFile("stdin.txt", input), root_ + "/stdout.txt", root_ + "/stderr.txt");
  }

  // Transacts schema, data and the update; returns the three JSON reports.
  std::vector<json> Load() {
    Outcome o = Run({"transact", "--db", db_, "--format", "json", WriteFile("all.edn", std::string(kSchema) + kData + kUpdate)});
    EXPECT_EQ(o.code, 0) << o.err;
    std::vector<json> reports;
    for (const std::string& line : Lines(o.out)) reports.push_back(json::parse(line));
    EXPECT_EQ(reports.size(), 3u);
    return reports;
  }

  std::vector<std::string> DatomLines(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"datoms", "--db", db_};
    all.insert(all.end(), args.begin(), args.end());
    Outcome o = Run(all);
    EXPECT_EQ(o.code, 0) << o.err;
    return Lines(o.out);
  }

  std::string root_, db_;
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(CliTest, TransactPrintsOneEdnReportPerTransaction) {
  Outcome o = Run({"transact", "--db", db_, WriteFile("a.edn", std::string(kSchema) + kData)});
  ASSERT_EQ(o.code, 0) << o.err;
  auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].starts_with("{:t 1000, :tx 13194139534312, :tempids {")) << lines[0];
  EXPECT_TRUE(Has(lines[1], "\"x\" 1759218604")) << lines[1];
  EXPECT_TRUE(Has(lines[1], ":tx-data [[")) << lines[1];
  EXPECT_TRUE(Has(lines[1], ":item/id \"0042-TRBL\"")) << lines[1];
}

TEST_F(CliTest, TransactJsonReportShape) {
  std::vector<json> r = Load();
  ASSERT_EQ(r.size(), 3u);
  for (const json& j : r) {
    EXPECT_EQ(j["tx"].get<uint64_t>(), (uint64_t{3} << 42) | j["t"].get<uint64_t>());
    ASSERT_TRUE(j["tempids"].is_object());
    ASSERT_TRUE(j["tx_data"].is_array());
    for (const json& d : j["tx_data"]) {
      ASSERT_EQ(d.size(), 5u);
      EXPECT_TRUE(d[0].is_number_unsigned());
      EXPECT_TRUE(d[1].get<std::string>().starts_with(":"));
      EXPECT_EQ(d[3], j["tx"]);
      EXPECT_TRUE(d[4].is_boolean());
    }
  }
  EXPECT_TRUE(r[1]["tempids"].contains("x"));
  // The update replaced 7 by 8: a retraction and an assertion (and txInstant).
  EXPECT_EQ(r[2]["tx_data"].size(), 3u);
}

TEST_F(CliTest, TransactReadsStdin) {
  Outcome o = Run({"transact", "--db", db_, "--sync", "never"}, kSchema);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Lines(o.out).size(), 1u);
  o = Run({"transact", "--db", db_, "-"}, kData);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Lines(o.out).size(), 1u);
}

TEST_F(CliTest, DatomsInEveryIndexWithComponents) {
  std::vector<json> r = Load();
  const uint64_t alice = r[1]["tempids"]["alice"], x = r[1]["tempids"]["x"];
  auto eavt = DatomLines({"eavt", "[:item/id \"0042-TRBL\"]"});
  EXPECT_EQ(eavt.size(), 9u);  // id count owner at price key ok, two tags
  for (const std::string& l : eavt) EXPECT_TRUE(l.starts_with("[" + std::to_string(x) + " :item/")) << l;
  EXPECT_EQ(DatomLines({"eavt", std::to_string(x), ":item/count"}).size(), 1u);
  auto aevt = DatomLines({"aevt", ":item/count"});
  ASSERT_EQ(aevt.size(), 1u);
  EXPECT_TRUE(aevt[0].starts_with("[" + std::to_string(x) + " :item/count 8 ")) << aevt[0];
  auto avet = DatomLines({"avet", ":item/id", "\"0042-TRBL\""});
  ASSERT_EQ(avet.size(), 1u);
  EXPECT_TRUE(Has(avet[0], ":item/id \"0042-TRBL\"")) << avet[0];
  auto vaet = DatomLines({"vaet", std::to_string(alice)});
  ASSERT_EQ(vaet.size(), 1u);
  EXPECT_TRUE(Has(vaet[0], ":item/owner " + std::to_string(alice))) << vaet[0];
  EXPECT_EQ(DatomLines({"vaet", "[:person/name \"Alice\"]", ":item/owner"}), vaet);
  EXPECT_EQ(DatomLines({"eavt", "--limit", "3"}).size(), 3u);
}

TEST_F(CliTest, AsOfSinceAndHistory) {
  std::vector<json> r = Load();
  const std::string data_t = std::to_string(r[1]["t"].get<uint64_t>());
  const std::string update_tx = std::to_string(r[2]["tx"].get<uint64_t>());
  const std::string item = "[:item/id \"0042-TRBL\"]";
  auto now = DatomLines({"eavt", item, ":item/count"});
  ASSERT_EQ(now.size(), 1u);
  EXPECT_TRUE(Has(now[0], ":item/count 8 ")) << now[0];
  auto before = DatomLines({"eavt", item, ":item/count", "--as-of", data_t});
  ASSERT_EQ(before.size(), 1u);
  EXPECT_TRUE(Has(before[0], ":item/count 7 ")) << before[0];
  EXPECT_EQ(DatomLines({"eavt", item, ":item/count", "--as-of", update_tx}), now);  // a tx id works too
  auto since = DatomLines({"eavt", item, "--since", data_t});
  ASSERT_EQ(since.size(), 1u);
  EXPECT_TRUE(Has(since[0], ":item/count 8 " + update_tx + " true")) << since[0];
  auto history = DatomLines({"eavt", item, ":item/count", "--history"});
  ASSERT_EQ(history.size(), 3u);
  EXPECT_TRUE(Has(history[1], ":item/count 7 " + update_tx + " false")) << history[1];
  // Instants: long before the data nothing user-made exists; later, all.
  EXPECT_TRUE(DatomLines({"aevt", ":item/count", "--as-of", "2000-01-01"}).empty());
  EXPECT_EQ(DatomLines({"aevt", ":item/count", "--as-of", "#inst \"2200-01-01T00:00:00Z\""}), now);
}

TEST_F(CliTest, JsonDatomsShapeAndValues) {
  std::vector<json> r = Load();
  Outcome o = Run({"datoms", "--db", db_, "eavt", "[:item/id \"0042-TRBL\"]", "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json all = json::parse(o.out);
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 9u);
  std::map<std::string, std::vector<json>> by_attr;
  for (const json& d : all) {
    ASSERT_EQ(d.size(), 5u);
    EXPECT_EQ(d[0], r[1]["tempids"]["x"]);
    by_attr[d[1].get<std::string>()].push_back(d[2]);
    EXPECT_EQ(d[4], true);
  }
  EXPECT_EQ(by_attr[":item/id"][0], "0042-TRBL");
  EXPECT_EQ(by_attr[":item/count"][0], 8);
  EXPECT_EQ(by_attr[":item/owner"][0], r[1]["tempids"]["alice"]);
  EXPECT_EQ(by_attr[":item/at"][0], "2024-01-02T03:04:05.678Z");
  EXPECT_EQ(by_attr[":item/price"][0], 2.5);
  EXPECT_EQ(by_attr[":item/key"][0], "6f1c2a52-0a7e-4c4e-9d3c-8d5a2f0e1b7a");
  EXPECT_EQ(by_attr[":item/ok"][0], true);
  EXPECT_EQ(by_attr[":item/tags"], (std::vector<json>{":tag/blue", ":tag/red"}));
  o = Run({"datoms", "--db", db_, "avet", ":item/id", "\"nope\"", "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(json::parse(o.out), json::array());
}

TEST_F(CliTest, UnknownAttributeFails) {
  Run({"transact", "--db", db_}, kSchema);
  Outcome o = Run({"transact", "--db", db_}, "[[:db/add \"t\" :no/such 1]]");
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.err.starts_with("strata: error: stdin: transaction 1 (line 1, column 1) failed: ")) << o.err;
  EXPECT_TRUE(Has(o.err, ":no/such")) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1);
  EXPECT_TRUE(o.out.empty());
}

TEST_F(CliTest, MalformedEdnNamesLineAndColumn) {
  Outcome o = Run({"transact", "--db", db_, WriteFile("bad.edn", "[{:item/id\n   \"x]\n")});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(RE2::PartialMatch(o.err, "^strata: error: .*bad\\.edn: reading transaction 1: EDN \\d+:\\d+: "))
      << o.err;
  o = Run({"datoms", "--db", db_, "eavt", "[:item/id"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(RE2::PartialMatch(o.err, "component 1 .*EDN \\d+:\\d+")) << o.err;
}

TEST_F(CliTest, ReadsOfAMissingDatabaseFailWithoutCreatingIt) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"datoms", "--db", db_, "eavt"}, {"log", "--db", db_}}) {
    Outcome o = Run(args);
    EXPECT_EQ(o.code, 1);
    EXPECT_EQ(o.err, "strata: error: no database at " + db_ + "\n");
  }
  EXPECT_FALSE(std::filesystem::exists(db_));
  Outcome o = Run({"transact", "--db", db_, root_ + "/missing.edn"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "missing.edn")) << o.err;
  EXPECT_FALSE(std::filesystem::exists(db_));
}

TEST_F(CliTest, UsageErrors) {
  Outcome o = Run({"datoms", "eavt"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(o.err.starts_with("strata: error: ") && Has(o.err, "--db")) << o.err;
  Load();
  o = Run({"datoms", "--db", db_, "xyz"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "unknown index 'xyz'")) << o.err;
  o = Run({"datoms", "--db", db_, "eavt", "--as-of", "yesterday"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "--as-of 'yesterday'")) << o.err;
  o = Run({"datoms", "--db", db_, "avet", ":item/tags"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "avet")) << o.err;
  EXPECT_EQ(Run({"transact", "--help"}).code, 0);
  EXPECT_EQ(Run({"demo", "--help"}).code, 0);
}

// Messages a newcomer tripped on (issue 17): log lines read "strata: info:
// strata: ..." (the engine's own prefix doubled by the command's), --format
// xml answered with CLI11's "Check xml value in {edn->0,json->1} OR {0,1}
// FAILED", and `verify` of a database with nothing indexed printed
// ":datoms 0", which reads as an empty database.
TEST_F(CliTest, MessagesANewcomerTrippedOn) {
  Load();
  Outcome o = Run({"verify", "--db", db_});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(Has(o.out, ":datoms 0")) << o.out;
  EXPECT_TRUE(Has(o.out, ":indexed-datoms 0, :log-transactions 3, :log-datoms ")) << o.out;
  Outcome log = Run({"log", "--db", db_, "--format", "json"});
  ASSERT_EQ(log.code, 0) << log.err;
  uint64_t log_datoms = 0;
  for (const json& entry : json::parse(log.out)) log_datoms += entry["data"].size();
  o = Run({"verify", "--db", db_, "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json v = json::parse(o.out);
  EXPECT_EQ(v["indexed_datoms"], 0);
  EXPECT_EQ(v["log_datoms"], log_datoms);
  EXPECT_GT(log_datoms, 10u);

  o = Run({"index", "--db", db_});
  ASSERT_EQ(o.code, 0) << o.err;
  auto lines = Lines(o.err);
  ASSERT_FALSE(lines.empty()) << "the indexing job logs a line";
  for (const std::string& line : lines) {
    EXPECT_TRUE(line.starts_with("strata: info: ")) << line;
    EXPECT_FALSE(Has(line, "strata: info: strata:")) << line;
  }
  o = Run({"verify", "--db", db_, "--format", "json"});
  EXPECT_GT(json::parse(o.out)["indexed_datoms"].get<uint64_t>(), 10u) << o.out;

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"datoms", "--db", db_, "--format", "xml", "eavt"},
        std::vector<std::string>{"q", "--db", db_, "--format", "xml", "[:find ?e :where [?e :item/id]]"},
        std::vector<std::string>{"entity", "--db", db_, "--format", "yaml", "1"}}) {
    o = Run(args);
    EXPECT_EQ(o.code, 1) << args[0];
    EXPECT_TRUE(Has(o.err, "is not an output format: expected edn or json")) << o.err;
    EXPECT_FALSE(Has(o.err, "->0")) << o.err;
  }
  EXPECT_EQ(Run({"datoms", "--db", db_, "--format", "JSON", "eavt", ":item/id"}).code, 0);
}

TEST_F(CliTest, FailedTransactionLeavesEarlierOnesCommitted) {
  const std::string file = WriteFile("multi.edn", std::string(kSchema) + kData +  // lines 1-10, 11-14
                                                      "\n[{:item/id \"zzz\" :item/count 1}\n"
                                                      " [:db/add \"q\" :no/such 2]]\n");
  Outcome o = Run({"transact", "--db", db_, "--format", "json", file});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(Lines(o.out).size(), 2u);
  EXPECT_TRUE(Has(o.err, "transaction 3 (line 16, column 1) failed")) << o.err;
  EXPECT_TRUE(Has(o.err, "the 2 earlier transactions stay committed")) << o.err;
  EXPECT_TRUE(DatomLines({"avet", ":item/id", "\"zzz\""}).empty());
  EXPECT_EQ(DatomLines({"avet", ":item/id", "\"0042-TRBL\""}).size(), 1u);
  o = Run({"log", "--db", db_});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Lines(o.out).size(), 2u);
}

TEST_F(CliTest, LogRange) {
  std::vector<json> r = Load();
  const uint64_t t1 = r[1]["t"], t2 = r[2]["t"];
  Outcome o = Run({"log", "--db", db_, "--from", std::to_string(t1), "--to", std::to_string(t2)});
  ASSERT_EQ(o.code, 0) << o.err;
  auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].starts_with("{:t " + std::to_string(t1) + ", :tx " + r[1]["tx"].dump() + ", :data [[")) << lines[0];
  o = Run({"log", "--db", db_, "--from", r[1]["tx"].dump(), "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json log = json::parse(o.out);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["t"], t1);
  EXPECT_EQ(log[1]["tx"], r[2]["tx"]);
  auto sorted = [](json a) {
    std::sort(a.begin(), a.end());
    return a;
  };
  EXPECT_EQ(sorted(log[1]["data"]), sorted(r[2]["tx_data"]));
  o = Run({"log", "--db", db_, "--to", "2000-01-01", "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(json::parse(o.out), json::array());
}

TEST_F(CliTest, DemoRuns) {
  Outcome o = Run({"demo", "--transactions", "200", "--dir", db_});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(Has(o.out, "transactions  201 (the schema + 200)")) << o.out;
  EXPECT_TRUE(Has(o.out, "memory index")) << o.out;
  EXPECT_TRUE(Has(o.out, "group commits")) << o.out;
  EXPECT_TRUE(Has(o.out, "time travel")) << o.out;
  // The database it left is readable, and a second run refuses it.
  EXPECT_EQ(DatomLines({"eavt", "[:u/id \"u-1\"]", ":u/id"}).size(), 1u);
  o = Run({"demo", "--transactions", "5", "--dir", db_});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "already holds a database")) << o.err;
}

// A scratch folder on tmpfs when there is one: indexing jobs fsync every
// segment, which on a disk would dominate these tests.
std::string ScratchDir() {
  std::string base = std::filesystem::exists("/dev/shm") && access("/dev/shm", W_OK) == 0
                         ? "/dev/shm"
                         : std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/strata-cli-run-XXXXXX";
  return mkdtemp(pattern.data()) != nullptr ? pattern : "";
}

bool HasKeys(const json& j, const std::vector<std::string>& keys, std::string* missing) {
  for (const std::string& k : keys) {
    if (!j.contains(k)) {
      *missing = k;
      return false;
    }
  }
  return true;
}

TEST_F(CliTest, RunStrategyAllRunsEveryRegisteredStrategy) {
  const std::string out = ScratchDir();
  ASSERT_FALSE(out.empty());
  Outcome o = Run({"run", "--workload", "uniform", "--scale", "0.05", "--strategy", "all,adaptive",
                   "--memory-index-threshold", "64k", "--out", out});
  ASSERT_EQ(o.code, 0) << o.err;
  for (const std::string& s : strata::StrategyNames())
    EXPECT_TRUE(std::filesystem::exists(out + "/results-" + s + ".json")) << s;
}

TEST_F(CliTest, RunWritesResultsPerStrategy) {
  const std::string out = ScratchDir();
  ASSERT_FALSE(out.empty());
  const std::vector<std::string> strategies = {"adaptive", "full-rebuild", "cow-tree"};
  Outcome o = Run({"run", "--workload", "uniform", "--scale", "0.5", "--strategy", "adaptive,full-rebuild,cow-tree",
                   "--memory-index-threshold", "64k", "--out", out});
  ASSERT_EQ(o.code, 0) << o.err;
  std::string missing;
  std::vector<uint64_t> datoms;
  for (const std::string& s : strategies) {
    SCOPED_TRACE(s);
    json r = json::parse(Slurp(out + "/results-" + s + ".json"));
    ASSERT_TRUE(HasKeys(r, {"strategy", "workload", "scale", "seed", "jobs", "summary", "context", "reads"}, &missing))
        << missing;
    EXPECT_EQ(r["strategy"], s);
    EXPECT_EQ(r["workload"], "uniform");
    EXPECT_EQ(r["scale"], 0.5);
    EXPECT_EQ(r["seed"], 1);
    ASSERT_GT(r["jobs"].size(), 3u);
    for (const json& j : r["jobs"]) {
      ASSERT_TRUE(HasKeys(j, {"basis_t", "db_datoms", "novelty_datoms", "segments_read", "segments_written",
                              "bytes_read", "bytes_written", "datoms_rewritten", "wall_ms", "cpu_ms",
                              "peak_memory_bytes", "max_read_sources", "levels_max", "segments_moved", "plan",
                              "storage_round_trips", "storage_wait_ms"},
                          &missing))
          << missing;
      EXPECT_EQ(j["strategy"], s);
    }
    const json& sum = r["summary"];
    ASSERT_TRUE(HasKeys(sum, {"datoms", "transactions", "import_datoms_per_s", "index_bytes_written",
                              "write_amplification", "max_read_sources", "backpressure_wait_ms", "peak_rss_bytes"},
                        &missing))
        << missing;
    EXPECT_EQ(sum["transactions"], 1001);  // the schema + 0.5 * 2000
    EXPECT_GT(sum["write_amplification"].get<double>(), 0);
    EXPECT_GT(sum["peak_rss_bytes"].get<uint64_t>(), 0u);
    EXPECT_EQ(sum["jobs"], r["jobs"].size());
    EXPECT_EQ(r["jobs"].back()["db_datoms"], sum["db_datoms"]);
    datoms.push_back(sum["datoms"].get<uint64_t>());
    const json& c = r["context"];
    ASSERT_TRUE(HasKeys(c, {"results_format", "git_commit", "build_type", "compiler", "options", "hostname", "cpus",
                            "date"},
                        &missing))
        << missing;
    EXPECT_EQ(c["results_format"], 1);
    EXPECT_TRUE(Has(c["options"].get<std::string>(), "memory_index_threshold=65536")) << c["options"];
    EXPECT_TRUE(Has(c["options"].get<std::string>(), "strategy=" + s)) << c["options"];
    EXPECT_TRUE(Has(o.out, "\n" + s + " ")) << o.out;  // a row of the table
  }
  EXPECT_EQ(datoms[0], datoms[1]);
  EXPECT_EQ(datoms[0], datoms[2]);
  // The databases were temporary; the report was written.
  EXPECT_TRUE(std::filesystem::exists(out + "/report.html"));
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name.starts_with("results-") || name == "report.html" || name == "summary.md") << entry.path();
  }
  std::filesystem::remove_all(out);
}

// Every registered workload (the list comes from the binary itself, so a
// new one is covered without touching this test) runs under both
// strategies at a small scale, with reads and several indexing jobs, and
// both strategies end with the same datoms: the same work.
TEST_F(CliTest, EveryRegisteredWorkloadRunsUnderBothStrategies) {
  Outcome names = Run({"run", "--workload", "no-such-workload", "--strategy", "adaptive"});
  ASSERT_NE(names.code, 0);
  std::string known;
  ASSERT_TRUE(RE2::PartialMatch(names.err, "known: ([^)]*)\\)", &known)) << names.err;
  std::vector<std::string> workloads;
  std::stringstream list(known);
  for (std::string w; std::getline(list, w, ',');) workloads.push_back(w.substr(w.find_first_not_of(' ')));
  ASSERT_GE(workloads.size(), 7u) << known;
  for (const std::string& w : workloads) {
    SCOPED_TRACE(w);
    const std::string out = ScratchDir();
    ASSERT_FALSE(out.empty());
    // The real mbrainz subset has one size (~774k datoms, scale ignored):
    // bigger jobs keep full-rebuild's quadratic cost to a few jobs.
    const std::string threshold = w == "mbrainz" ? "16m" : "256k";
    std::vector<std::string> args = {"run", "--workload", w, "--scale", "0.05", "--strategy", "adaptive,full-rebuild",
                                     "--memory-index-threshold", threshold, "--read-ratio", "0.2", "--out", out};
    if (w == "replay") {  // replays what `strata gen` wrote
      const std::string ds = root_ + "/dataset";
      Outcome g = Run({"gen", "uniform", "--scale", "0.05", "--out", ds});
      ASSERT_EQ(g.code, 0) << g.err;
      EXPECT_TRUE(Has(g.out, "wrote uniform")) << g.out;
      args.insert(args.end(), {"--data-dir", ds});
    }
    Outcome o = Run(args);
    ASSERT_EQ(o.code, 0) << o.err;
    json a = json::parse(Slurp(out + "/results-adaptive.json"));
    json f = json::parse(Slurp(out + "/results-full-rebuild.json"));
    EXPECT_GT(a["summary"]["datoms"].get<uint64_t>(), 0u);
    EXPECT_EQ(a["summary"]["datoms"], f["summary"]["datoms"]);
    EXPECT_EQ(a["summary"]["db_datoms"], f["summary"]["db_datoms"]);
    EXPECT_GE(a["jobs"].size(), 1u);
    EXPECT_EQ(a["summary"]["read_errors"], 0);
    std::filesystem::remove_all(out);
  }
}

TEST_F(CliTest, RunTimesNamedReads) {
  const std::string out = ScratchDir();
  ASSERT_FALSE(out.empty());
  Outcome o = Run({"run", "--scale", "0.05", "--strategy", "adaptive", "--read-ratio", "3", "--memory-index-max",
                   "64m", "--out", out});
  ASSERT_EQ(o.code, 0) << o.err;
  json r = json::parse(Slurp(out + "/results-adaptive.json"));
  EXPECT_EQ(r["summary"]["reads"], 300);
  EXPECT_EQ(r["summary"]["read_errors"], 0);
  for (const char* name : {"entity-by-id", "attr-range", "as-of-entity"}) {
    ASSERT_TRUE(r["reads"].contains(name)) << r["reads"];
    const json& l = r["reads"][name];
    EXPECT_GT(l["count"].get<int>(), 50);
    EXPECT_LE(l["p50_us"].get<double>(), l["p99_us"].get<double>());
    EXPECT_LE(l["p99_us"].get<double>(), l["max_us"].get<double>());
  }
  EXPECT_TRUE(Has(r["context"]["options"].get<std::string>(), "memory_index_max=67108864"));
  std::filesystem::remove_all(out);
}

// --segment-cache bounds the decoded leaves a run keeps; the timeline
// records what the cache holds and what jemalloc holds resident.
TEST_F(CliTest, RunSegmentCacheBoundsTheCache) {
  const std::string out = ScratchDir();
  ASSERT_FALSE(out.empty());
  Outcome o = Run({"run", "--scale", "0.05", "--strategy", "adaptive", "--read-ratio", "3", "--memory-index-threshold",
                   "64k", "--segment-cache", "48k", "--out", out});
  ASSERT_EQ(o.code, 0) << o.err;
  json r = json::parse(Slurp(out + "/results-adaptive.json"));
  EXPECT_TRUE(Has(r["context"]["options"].get<std::string>(), "segment_cache_bytes=49152"));
  const json& cache = r["timeline"]["segment_cache_bytes"];
  const json& resident = r["timeline"]["resident_bytes"];
  ASSERT_EQ(cache.size(), r["timeline"]["t_ms"].size());
  ASSERT_EQ(resident.size(), r["timeline"]["t_ms"].size());
  uint64_t most = 0;
  for (const json& b : cache) {
    EXPECT_LE(b.get<uint64_t>(), 49152u);
    most = std::max(most, b.get<uint64_t>());
  }
  EXPECT_GT(most, 0u);  // reads of indexed leaves went through the cache
  EXPECT_GT(resident.back().get<uint64_t>(), 0u);
  std::filesystem::remove_all(out);
}

// The binary carries jemalloc's options (harness/malloc_conf.cc): freed
// pages decay within 10 s and are not kept as MADV_FREE pages, which still
// count in the resident set (peak RSS of the 10^8 import). jemalloc prints
// its options at exit with stats_print.
TEST_F(CliTest, TheBinaryCarriesItsJemallocOptions) {
  ASSERT_EQ(setenv("MALLOC_CONF", "stats_print:true", 1), 0);
  Outcome o = Run({"--version"});
  unsetenv("MALLOC_CONF");
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string all = o.out + o.err;
  EXPECT_TRUE(Has(all, "opt.dirty_decay_ms: 10000")) << all.substr(0, 4000);
  EXPECT_TRUE(Has(all, "opt.muzzy_decay_ms: 0")) << all.substr(0, 4000);
  EXPECT_TRUE(Has(all, "opt.oversize_threshold: 0")) << all.substr(0, 4000);
}

TEST_F(CliTest, RunUsageErrors) {
  Outcome o = Run({"run", "--workload", "nope", "--strategy", "adaptive", "--out", root_ + "/out"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "unknown workload 'nope' (known: bulk-import, corrections, mbrainz, mbrainz-synth, permissions, reminders, replay, uniform)")) << o.err;
  o = Run({"run", "--strategy", "adaptive,fastest", "--out", root_ + "/out"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "unknown strategy 'fastest'") && Has(o.err, "full-rebuild")) << o.err;
  o = Run({"run", "--strategy", "adaptive", "--memory-index-threshold", "64q", "--out", root_ + "/out"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "--memory-index-threshold '64q'")) << o.err;
  o = Run({"run", "--strategy", "adaptive", "--segment-cache", "1x", "--out", root_ + "/out"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "--segment-cache '1x'")) << o.err;
  o = Run({"run", "--out", root_ + "/out"});
  EXPECT_EQ(o.code, 1);
  EXPECT_TRUE(Has(o.err, "--strategy")) << o.err;
  EXPECT_EQ(Run({"run", "--help"}).code, 0);
}

TEST_F(CliTest, IndexPrintsTheJobAndVerifyPasses) {
  Load();
  Outcome o = Run({"index", "--db", db_, "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json jobs = json::parse(o.out);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["job"], 1);
  EXPECT_EQ(jobs[0]["strategy"], "adaptive");
  EXPECT_GT(jobs[0]["novelty_datoms"].get<uint64_t>(), 10u);
  EXPECT_GT(jobs[0]["bytes_written"].get<uint64_t>(), 0u);
  o = Run({"index", "--db", db_});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(o.out.empty()) << o.out;
  EXPECT_TRUE(Has(o.err, "nothing to index")) << o.err;
  // Another transaction, indexed by another strategy, which the root then records.
  ASSERT_EQ(Run({"transact", "--db", db_}, kUpdate).code, 0);
  o = Run({"index", "--db", db_, "--strategy", "cow-tree"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(o.out.starts_with("{:job 2, :strategy \"cow-tree\", :basis-t ")) << o.out;
  o = Run({"verify", "--db", db_});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(o.out.starts_with("{:ok true, :strategy \"cow-tree\", :basis-t ")) << o.out;
  o = Run({"verify", "--db", db_, "--format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json v = json::parse(o.out);
  EXPECT_EQ(v["ok"], true);
  EXPECT_GT(v["segments_checked"].get<uint64_t>(), 8u);
  EXPECT_EQ(v["problems"], json::array());
  // The data reads the same after indexing.
  EXPECT_EQ(DatomLines({"eavt", "[:item/id \"0042-TRBL\"]"}).size(), 9u);
}

// Issue 16: one bit flipped inside an AVET leaf made `strata datoms ... avet`
// print part of the datoms with exit 0, `strata q` answer #{} with exit 0,
// and an upsert and a cardinality-one update commit wrong datoms. Now each
// exits 1 naming the corruption, and the log does not grow.
TEST_F(CliTest, AFlippedBitInAnAvetLeafFailsReadsAndWrites) {
  constexpr int kItems = 3500;
  std::string items = "[";
  for (int n = 0; n < kItems; ++n)
    items += "{:item/id \"i-" + std::to_string(n) + "\" :item/count " + std::to_string(n) + "}";
  items += "]";
  ASSERT_EQ(Run({"transact", "--db", db_, WriteFile("items.edn", std::string(kSchema) + items)}).code, 0);
  ASSERT_EQ(Run({"index", "--db", db_}).code, 0);
  ASSERT_EQ(DatomLines({"avet", ":item/id"}).size(), static_cast<size_t>(kItems));
  const size_t log_lines = Lines(Run({"log", "--db", db_}).out).size();
  // Flip a bit in the middle of every AVET leaf (segment header: "STRATSEG",
  // version, kind 1 = leaf, order 2 = AVET).
  int flipped = 0;
  {
    strata::EnvStorageOptions ro;
    ro.read_only = true;
    auto storage = strata::NewEnvStorage(strata::Env::Default(), db_, ro);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    auto keys = (*storage)->List("seg/");
    ASSERT_TRUE(keys.ok());
    std::vector<strata::BlobLocation> avet_leaves;
    for (const std::string& key : *keys) {
      auto blob = (*storage)->Get(key);
      ASSERT_TRUE(blob.ok()) << blob.status().ToString();
      if (blob->size() > 11 && (*blob)[9] == 1 && (*blob)[10] == 2) {
        auto loc = strata::LocateBlob(**storage, key);
        ASSERT_TRUE(loc.ok());
        avet_leaves.push_back(*loc);
      }
    }
    for (const auto& loc : avet_leaves) {
      std::string bytes = Slurp(loc.path);
      bytes[loc.offset + loc.size / 2] ^= 0x10;
      std::ofstream(loc.path, std::ios::binary | std::ios::trunc) << bytes;
      ++flipped;
    }
  }
  ASSERT_GT(flipped, 0);

  Outcome o = Run({"datoms", "--db", db_, "avet", ":item/id"});
  EXPECT_EQ(o.code, 1) << Lines(o.out).size() << " datoms printed";
  EXPECT_TRUE(Has(o.err, "Corruption") && Has(o.err, "checksum")) << o.err;
  EXPECT_LT(Lines(o.out).size(), static_cast<size_t>(kItems));
  o = Run({"q", "--db", db_, "[:find ?e :where [?e :item/id \"i-5\"]]"});
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_TRUE(Has(o.err, "Corruption")) << o.err;
  EXPECT_EQ(o.out, "");
  // Upsert (https://docs.datomic.com/identity.html) and a cardinality-one
  // update (https://docs.datomic.com/cloud/tutorial/retract.html, implicit
  // retract): both need the damaged index; neither commits.
  o = Run({"transact", "--db", db_}, "[{:item/id \"i-5\" :item/count 55}]");
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_TRUE(Has(o.err, "Corruption")) << o.err;
  o = Run({"transact", "--db", db_}, "[[:db/add [:item/id \"i-7\"] :item/count 77]]");
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_TRUE(Has(o.err, "Corruption")) << o.err;
  EXPECT_EQ(Lines(Run({"log", "--db", db_}).out).size(), log_lines);
}

TEST_F(CliTest, VerifyNamesACorruptSegment) {
  Load();
  ASSERT_EQ(Run({"index", "--db", db_}).code, 0);
  std::vector<std::string> keys;
  {
    strata::EnvStorageOptions ro;
    ro.read_only = true;
    auto storage = strata::NewEnvStorage(strata::Env::Default(), db_, ro);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    auto listed = (*storage)->List("seg/");
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    keys = *listed;
  }
  ASSERT_FALSE(keys.empty());
  for (const std::string& key : {keys.front(), keys.back()}) {  // a directory and a leaf, or two leaves
    SCOPED_TRACE(key);
    strata::EnvStorageOptions ro;
    ro.read_only = true;
    auto storage = strata::NewEnvStorage(strata::Env::Default(), db_, ro);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    auto loc = strata::LocateBlob(**storage, key);
    ASSERT_TRUE(loc.ok()) << loc.status().ToString();
    const std::string saved = Slurp(loc->path);
    std::string bytes = saved;
    bytes[loc->offset + loc->size / 2] ^= 0x08;
    std::ofstream(loc->path, std::ios::binary | std::ios::trunc) << bytes;
    Outcome o = Run({"verify", "--db", db_});
    EXPECT_EQ(o.code, 1);
    const std::string id = key.substr(4);
    EXPECT_TRUE(Has(o.err, "is not consistent") && Has(o.err, id)) << o.err;
    EXPECT_TRUE(o.out.starts_with("{:ok false, ")) << o.out;
    std::ofstream(loc->path, std::ios::binary | std::ios::trunc) << saved;
  }
  EXPECT_EQ(Run({"verify", "--db", db_}).code, 0);
  Outcome o = Run({"verify", "--db", root_ + "/none"});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, "strata: error: no database at " + root_ + "/none\n");
}

}  // namespace
