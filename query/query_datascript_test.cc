// Differential test: random schemas, transactions, queries and pull
// patterns run in strata and in DataScript (npm package `datascript`),
// results compared after mapping entity ids. DataScript is installed into
// a cache folder on first use; without node or npm the test is skipped.
//
//   STRATA_DIFF_SEED=n   run another seed (the seed is printed)
//   STRATA_DIFF_CASES=n  number of random databases (default 12)
//   STRATA_NPM_CACHE=dir where DataScript is installed (default build/npm,
//                        shared with scripts/datascript-compare)
//
// Deliberate differences (docs/query.md) are not generated: get-else on a
// cardinality-many attribute, cyclic unbounded pull recursion, integer
// division, and comparisons of mixed types. Pulled duplicates in a
// relation are compared with DataScript's rows made distinct.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "strata/connection.h"
#include "datascript_gen.h"
#include "query_test_util.h"

namespace strata {
namespace {

using nlohmann::json;

std::string Env(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}

bool Exists(const std::string& path) { return std::ifstream(path).good(); }

// Finds or installs DataScript; returns the path of datascript.js, or ""
// with *why set.
std::string DataScript(std::string* why) {
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    *why = "node is not installed";
    return "";
  }
  const std::string cache = Env("STRATA_NPM_CACHE", STRATA_SOURCE_DIR "/build/npm");
  const std::string js = cache + "/node_modules/datascript/datascript.js";
  if (Exists(js)) return js;
  if (std::system("command -v npm >/dev/null 2>&1") != 0) {
    *why = "npm is not installed";
    return "";
  }
  const std::string cmd = "timeout 180 npm install --prefix '" + cache +
                          "' datascript@1 --no-audit --no-fund --loglevel=error >'" + cache + ".log' 2>&1";
  std::system(("mkdir -p '" + cache + "'").c_str());
  if (std::system(cmd.c_str()) != 0 || !Exists(js)) {
    *why = "npm install datascript@1 failed (see " + cache + ".log)";
    return "";
  }
  return js;
}

// JSON of a strata result, entity ids mapped to DataScript's.
json ToJson(const edn::Node& n, const std::map<int64_t, int64_t>& ids) {
  switch (n.kind) {
    case edn::Kind::kNil: return nullptr;
    case edn::Kind::kBool: return n.b;
    case edn::Kind::kLong: {
      auto it = ids.find(n.i);
      return it == ids.end() ? n.i : it->second;
    }
    case edn::Kind::kDouble: return n.d;
    case edn::Kind::kString:
    case edn::Kind::kKeyword:
    case edn::Kind::kSymbol: return n.s;
    case edn::Kind::kMap: {
      json o = json::object();
      for (size_t i = 0; i + 1 < n.items.size(); i += 2) o[n.items[i].s] = ToJson(n.items[i + 1], ids);
      return o;
    }
    default: {
      json a = json::array();
      for (const auto& x : n.items) a.push_back(ToJson(x, ids));
      return a;
    }
  }
}

// Integral doubles as integers, keys without a leading ':' (DataScript's
// JavaScript API writes :db/id as ":db/id" and string attributes bare).
json Normal(const json& j) {
  if (j.is_number_float() && std::floor(j.get<double>()) == j.get<double>() && std::fabs(j.get<double>()) < 1e15) {
    return static_cast<int64_t>(j.get<double>());
  }
  if (j.is_array()) {
    json a = json::array();
    for (const auto& x : j) a.push_back(Normal(x));
    return a;
  }
  if (j.is_object()) {
    json o = json::object();
    for (const auto& [k, v] : j.items()) o[k.rfind(':', 0) == 0 ? k.substr(1) : k] = Normal(v);
    return o;
  }
  return j;
}

void SortArray(json* a) {
  if (!a->is_array()) return;
  std::vector<std::pair<std::string, json>> xs;
  for (auto& x : *a) xs.push_back({x.dump(), x});
  std::sort(xs.begin(), xs.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
  json out = json::array();
  for (auto& [_, x] : xs) out.push_back(std::move(x));
  *a = std::move(out);
}

// Sets compare without order: the rows of a relation or collection, and
// the columns the generator marks as sets.
// `theirs`: DataScript's answer, whose duplicate pulled tuples are
// dropped when the query says so (strata's relation is a set).
std::string Canonical(const json& raw, const GenQuery& q, bool theirs = false) {
  json j = Normal(raw);
  if (q.shape == GenQuery::kRel && j.is_array()) {
    for (auto& row : j) {
      for (size_t c : q.set_columns)
        if (row.is_array() && c < row.size()) SortArray(&row[c]);
    }
  }
  if (q.shape == GenQuery::kRel || q.shape == GenQuery::kColl) SortArray(&j);
  if (theirs && q.distinct_after_pull && j.is_array()) {
    json out = json::array();
    for (auto& row : j)
      if (out.empty() || out.back() != row) out.push_back(row);
    j = std::move(out);
  }
  return j.dump();
}

TEST(DataScriptDifferential, RandomQueriesAgree) {
  std::string why;
  const std::string ds = DataScript(&why);
  if (ds.empty()) GTEST_SKIP() << "DataScript differential test skipped: " << why;

  const uint64_t seed = std::stoull(Env("STRATA_DIFF_SEED", "20240917"));
  const int cases = std::stoi(Env("STRATA_DIFF_CASES", "12"));
  std::cout << "[ differential ] seed " << seed << " (STRATA_DIFF_SEED), " << cases << " databases\n";
  std::mt19937_64 rng(seed);

  json input = json::array();
  std::vector<GenCase> gens;
  std::vector<std::vector<std::string>> ours;  // canonical strata results per case: queries then pulls
  double ours_ms = 0;
  for (int k = 0; k < cases; ++k) {
    auto env = NewMemEnv();
    Options o;
    o.env = env.get();
    auto conn = Connection::Open("/db", o);
    ASSERT_TRUE(conn.ok());
    GenCase g = GenerateCase(&rng);
    for (const auto& tx : g.txs) {
      auto r = (*conn)->Transact(tx);
      ASSERT_TRUE(r.ok()) << "seed " << seed << " case " << k << ": " << r.status().ToString() << "\n" << tx;
    }
    const Database db = (*conn)->db();
    json ds_case = ExportToDataScript(db, &g);
    std::vector<std::string> results;
    const auto start = std::chrono::steady_clock::now();
    for (const GenQuery& q : g.queries) {
      std::vector<QueryInput> in{db};
      for (const auto& text : q.inputs) in.push_back(*edn::ReadOne(text));
      auto r = Q(*edn::ReadOne(q.text), in);
      results.push_back(r.ok() ? Canonical(ToJson(*r, g.ids), q) : "error: " + r.status().message());
    }
    for (const GenPull& p : g.pulls) {
      auto r = Pull(db, *edn::ReadOne(p.pattern), edn::Node::Long(static_cast<int64_t>(p.eid)));
      GenQuery shape;
      shape.shape = GenQuery::kScalar;
      results.push_back(r.ok() ? Canonical(ToJson(*r, g.ids), shape) : "error: " + r.status().message());
    }
    ours_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    input.push_back(std::move(ds_case));
    ours.push_back(std::move(results));
    gens.push_back(std::move(g));
  }

  const std::string dir = ::testing::TempDir();
  const std::string in_path = dir + "/strata_ds_in.json", out_path = dir + "/strata_ds_out.json";
  std::ofstream(in_path) << input.dump();
  const std::string cmd = "node '" STRATA_SOURCE_DIR "/query/testdata/datascript_runner.js' '" + ds + "' '" + in_path +
                          "' '" + out_path + "' 2>'" + dir + "/strata_ds_err.txt'";
  const auto node_start = std::chrono::steady_clock::now();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "node failed; see " << dir << "/strata_ds_err.txt";
  const double node_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - node_start).count();
  std::ifstream out_file(out_path);
  json out = json::parse(out_file);

  size_t compared = 0, both_errors = 0, mismatches = 0, empty = 0;
  for (size_t k = 0; k < gens.size(); ++k) {
    const GenCase& g = gens[k];
    const json& theirs = out["cases"][k];
    for (size_t i = 0; i < g.queries.size() + g.pulls.size(); ++i) {
      const bool is_query = i < g.queries.size();
      const json& t = is_query ? theirs["queries"][i] : theirs["pulls"][i - g.queries.size()];
      GenQuery pull_shape;
      pull_shape.shape = GenQuery::kScalar;
      const GenQuery& q = is_query ? g.queries[i] : pull_shape;
      const std::string mine = ours[k][i];
      const std::string their = t.contains("ok") ? Canonical(t["ok"], q, true) : "error: " + t["error"].get<std::string>();
      ++compared;
      empty += mine == "[]" || mine == "null" || mine == "0";
      const bool mine_err = mine.rfind("error: ", 0) == 0, their_err = their.rfind("error: ", 0) == 0;
      if (mine_err && their_err) {
        ++both_errors;
        continue;
      }
      if (mine == their) continue;
      if (++mismatches <= 20) {
        const std::string what = is_query ? g.queries[i].text + " inputs " + ::testing::PrintToString(g.queries[i].inputs)
                                          : "pull " + g.pulls[i - g.queries.size()].pattern + " of " +
                                                std::to_string(g.pulls[i - g.queries.size()].eid);
        ADD_FAILURE() << "seed " << seed << " case " << k << ": " << what << "\n strata:     " << mine
                      << "\n datascript: " << their << "\n schema: " << g.txs[0];
      }
    }
  }
  std::cout << "[ differential ] " << compared << " queries and pulls compared (" << both_errors
            << " refused by both, " << empty << " empty), " << mismatches << " mismatches\n"
            << "[ differential ] time in queries and pulls: strata " << ours_ms << " ms, DataScript "
            << out["busy_ms"].get<double>() << " ms (node in all: " << node_ms << " ms)\n";
  ::testing::Test::RecordProperty("strata_ms", std::to_string(ours_ms));
  ::testing::Test::RecordProperty("datascript_ms", std::to_string(out["busy_ms"].get<double>()));
  EXPECT_EQ(mismatches, 0u);
  EXPECT_LT(both_errors, compared / 10) << "too many queries refused by both: the generator makes bad queries";
  EXPECT_LT(empty, compared / 3) << "too many empty results: the generator's constants miss";
}

}  // namespace
}  // namespace strata
