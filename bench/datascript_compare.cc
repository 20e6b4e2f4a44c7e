// strata_datascript_compare — strata against DataScript on the classic
// DataScript benchmark data (people_data.h), same machine, same run:
// the same transaction and the same queries and pulls in both, strata in
// process, DataScript in node (bench/datascript_compare.js). Prints
// per-query times and ratios and writes them, with their context, as JSON.
// Run through scripts/datascript-compare, which builds this in release and
// installs DataScript from npm.
//
// Both sides start every query and pull from its text (DataScript's
// JavaScript API takes only text), run it until --seconds have passed (at
// least 5 times, after 2 warm-up runs) and report the median. The import
// is one transaction of all people into an empty in-memory database
// (DataScript: a new connection; strata: an in-memory Env), the median of
// 3; strata on disk (default options) is reported too. The two run one after the
// other, never at the same time.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "people_data.h"
#include "strata/database.h"
#include "strata/connection.h"
#include "strata/env.h"
#include "strata/pull.h"
#include "strata/query.h"

namespace strata::bench {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string datascript, runner, node = "node", out;
  int people = 20000;
  double seconds = 1.0;
  uint64_t seed = 1;
};

struct Timing {
  size_t rows = 0;
  size_t runs = 0;
  double median_ms = 0;
};

double Ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs.empty() ? 0 : xs.size() % 2 ? xs[xs.size() / 2] : (xs[xs.size() / 2 - 1] + xs[xs.size() / 2]) / 2;
}

// Runs `f` (which returns the result's row count) as the node side does.
Timing Time(double seconds, const std::function<size_t()>& f) {
  Timing t;
  t.rows = f();
  f();
  std::vector<double> ms;
  const auto start = Clock::now();
  while (ms.size() < 5 || Ms(start, Clock::now()) < seconds * 1000) {
    const auto a = Clock::now();
    f();
    ms.push_back(Ms(a, Clock::now()));
  }
  t.runs = ms.size();
  t.median_ms = Median(ms);
  return t;
}

// DataScript's JavaScript API names attributes with strings.
std::string ForDataScript(const std::string& edn) {
  static const RE2 kw(":person/([a-z-]+)");
  std::string out = edn;
  RE2::GlobalReplace(&out, kw, "\"person/\\1\"");
  return out;
}

std::string Sh(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

struct PullCase {
  std::string name, pattern;
  std::vector<int> people;  // indexes into the people
  bool many = false;        // one pull-many call instead of one pull each
};

int Run(const Args& a) {
  const std::vector<Person> people = MakePeople(a.people, a.seed);
  const uint64_t datoms = PeopleDatoms(people);
  const edn::Node tx = PeopleTx(people);
  std::vector<PeopleQuery> queries = PeopleQueries();
  std::vector<int> first1000, followers;
  for (int i = 0; i < a.people && first1000.size() < 1000; ++i) first1000.push_back(i * 7 % a.people);
  for (int i = 0; i < a.people && followers.size() < 1000; ++i)
    if (people[static_cast<size_t>(i)].follows >= 0) followers.push_back(i);
  const std::vector<PullCase> pulls = {
      {"pull 4 attrs (x1000)", "[:person/name :person/last-name :person/age :person/salary]", first1000, false},
      {"pull [*] (x1000)", "[*]", first1000, false},
      {"pull nested ref (x1000)", "[:person/name {:person/follows [:person/name :person/age]}]", followers, false},
      {"pull-many [*] (1000 ids)", "[*]", first1000, true},
  };

  // ---- strata ----
  std::fprintf(stderr, "strata: importing %d people (%llu datoms)\n", a.people, static_cast<unsigned long long>(datoms));
  std::vector<double> import_ms;
  std::unique_ptr<Env> env;
  std::unique_ptr<Connection> conn;
  std::map<std::string, EntityId> tempids;
  for (int rep = 0; rep < 3; ++rep) {
    env = NewMemEnv();
    Options o;
    o.env = env.get();
    auto c = Connection::Open("/db", o);
    if (!c.ok() || !(*c)->Transact(kPeopleSchema).ok()) {
      std::fprintf(stderr, "strata: open failed\n");
      return 1;
    }
    const auto t0 = Clock::now();
    auto r = (*c)->Transact(tx);
    import_ms.push_back(Ms(t0, Clock::now()));
    if (!r.ok()) {
      std::fprintf(stderr, "strata: import failed: %s\n", r.status().ToString().c_str());
      return 1;
    }
    tempids = r->tempids;
    conn = std::move(*c);
  }
  double disk_ms = 0;
  {
    const auto dir = std::filesystem::temp_directory_path() / ("strata-dscompare-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    auto c = Connection::Open(dir.string());
    if (c.ok() && (*c)->Transact(kPeopleSchema).ok()) {
      const auto t0 = Clock::now();
      auto r = (*c)->Transact(tx);
      disk_ms = r.ok() ? Ms(t0, Clock::now()) : 0;
      (void)(*c)->Close();
    }
    std::filesystem::remove_all(dir);
  }
  const Database db = conn->db();
  auto eid = [&](int i) { return edn::Node::Long(static_cast<int64_t>(tempids.at("p" + std::to_string(i)))); };

  std::vector<Timing> ours;
  for (const auto& q : queries) {
    std::fprintf(stderr, "strata: %s\n", q.name.c_str());
    ours.push_back(Time(a.seconds, [&]() -> size_t {
      std::vector<QueryInput> in{db};
      for (const auto& x : q.inputs) in.push_back(x);
      auto r = Q(*edn::ReadOne(q.text), in);
      if (!r.ok()) {
        std::fprintf(stderr, "strata: %s: %s\n", q.name.c_str(), r.status().ToString().c_str());
        std::exit(1);
      }
      return r->items.size();
    }));
  }
  for (const auto& p : pulls) {
    std::fprintf(stderr, "strata: %s\n", p.name.c_str());
    std::vector<edn::Node> ids;
    for (int i : p.people) ids.push_back(eid(i));
    ours.push_back(Time(a.seconds, [&]() -> size_t {
      size_t n = 0;
      if (p.many) {
        auto r = PullMany(db, *edn::ReadOne(p.pattern), ids);
        return r.ok() ? r->items.size() : 0;
      }
      for (const auto& e : ids) n += Pull(db, *edn::ReadOne(p.pattern), e).ok();
      return n;
    }));
  }

  // ---- DataScript ----
  json in;
  json schema = {{"person/follows", {{":db/valueType", ":db.type/ref"}, {":db/cardinality", ":db.cardinality/many"}}}};
  json dtx = json::array();
  for (size_t i = 0; i < people.size(); ++i) {
    const Person& p = people[i];
    json m = {{":db/id", -static_cast<int64_t>(i + 1)}, {"person/name", p.name}, {"person/last-name", p.last_name},
              {"person/sex", p.sex}, {"person/age", p.age}, {"person/salary", p.salary}};
    if (p.follows >= 0) m["person/follows"] = -static_cast<int64_t>(p.follows + 1);
    dtx.push_back(std::move(m));
  }
  in["schema"] = schema;
  in["tx"] = std::move(dtx);
  in["seconds"] = a.seconds;
  in["queries"] = json::array();
  for (const auto& q : queries) {
    json inputs = json::array();
    for (const auto& x : q.inputs) inputs.push_back(x.i);
    in["queries"].push_back({{"name", q.name}, {"q", ForDataScript(q.text)}, {"inputs", inputs}});
  }
  in["pulls"] = json::array();
  for (const auto& p : pulls) {
    json tids = json::array();
    for (int i : p.people) tids.push_back(-(i + 1));
    in["pulls"].push_back({{"name", p.name}, {"pattern", ForDataScript(p.pattern)}, {"tempids", tids}, {"many", p.many}});
  }
  const std::string tmp = std::filesystem::temp_directory_path() / ("strata-dscompare-" + std::to_string(getpid()));
  std::ofstream(tmp + ".in.json") << in.dump();
  std::fprintf(stderr, "datascript: running %s\n", a.runner.c_str());
  const std::string cmd = a.node + " '" + a.runner + "' '" + a.datascript + "' '" + tmp + ".in.json' '" + tmp + ".out.json'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "datascript: node failed: %s\n", cmd.c_str());
    return 1;
  }
  json theirs = json::parse(std::ifstream(tmp + ".out.json"));
  std::filesystem::remove(tmp + ".in.json");
  std::filesystem::remove(tmp + ".out.json");

  // ---- report ----
  const double ours_import = Median(import_ms);
  const double their_import = theirs["import_ms"].get<double>();
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", std::gmtime(&now));
  json result = {
      {"date", std::string(date) + " UTC"},
      {"git_commit", Sh("git -C '" STRATA_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null")},
      {"git_dirty", !Sh("git -C '" STRATA_SOURCE_DIR "' status --porcelain --untracked-files=no 2>/dev/null").empty()},
      {"build_type", STRATA_BUILD_TYPE},
      {"cpu", Sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")},
      {"cores", Sh("nproc")},
      {"node", Sh(a.node + " --version")},
      {"datascript", theirs["version"]},
      {"people", a.people},
      {"datoms", datoms},
      {"seed", a.seed},
      {"seconds_per_query", a.seconds},
      {"import", {{"strata_mem_ms", ours_import}, {"strata_disk_ms", disk_ms}, {"datascript_ms", their_import}}},
      {"reads", json::array()}};
  std::printf("strata vs DataScript %s (node %s), %s, %s build, commit %s%s\n",
              theirs["version"].get<std::string>().c_str(), result["node"].get<std::string>().c_str(),
              result["date"].get<std::string>().c_str(), STRATA_BUILD_TYPE,
              result["git_commit"].get<std::string>().c_str(), result["git_dirty"].get<bool>() ? " (dirty)" : "");
  std::printf("data: %d people, %llu datoms (seed %llu); median of runs over %.1f s each\n\n", a.people,
              static_cast<unsigned long long>(datoms), static_cast<unsigned long long>(a.seed), a.seconds);
  std::printf("%-30s %8s %12s %12s %14s\n", "import (one transaction)", "datoms", "strata ms", "DataScript ms",
              "ratio DS/strata");
  std::printf("%-30s %8llu %12.1f %12.1f %13.1fx\n", "  in memory", static_cast<unsigned long long>(datoms),
              ours_import, their_import, their_import / ours_import);
  std::printf("%-30s %8s %12.1f %12s\n", "  strata on disk (defaults)", "", disk_ms, "-");
  std::printf("%-30s %8s %12.0f %12.0f\n\n", "  datoms/s", "", datoms / ours_import * 1000, datoms / their_import * 1000);
  std::printf("%-30s %8s %12s %12s %14s\n", "read", "rows", "strata ms", "DataScript ms", "ratio DS/strata");
  int mismatched = 0;
  std::vector<std::string> names;
  for (const auto& q : queries) names.push_back(q.name);
  for (const auto& p : pulls) names.push_back(p.name);
  const json& reads = theirs["reads"];
  double log_sum = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const Timing& o = ours[i];
    const double t = reads[i]["median_ms"].get<double>();
    const size_t rows = reads[i]["rows"].get<size_t>();
    const bool same = rows == o.rows;
    mismatched += !same;
    log_sum += std::log(t / o.median_ms);
    std::printf("%-30s %8zu %12.3f %12.3f %13.1fx%s\n", names[i].c_str(), o.rows, o.median_ms, t, t / o.median_ms,
                same ? "" : ("  ROWS DIFFER: DataScript " + std::to_string(rows)).c_str());
    result["reads"].push_back({{"name", names[i]},
                               {"rows", o.rows},
                               {"datascript_rows", rows},
                               {"strata_ms", o.median_ms},
                               {"strata_runs", o.runs},
                               {"datascript_ms", t},
                               {"datascript_runs", reads[i]["runs"]},
                               {"ratio", t / o.median_ms}});
  }
  const double geo = std::exp(log_sum / static_cast<double>(names.size()));
  result["geomean_ratio"] = geo;
  std::printf("\ngeometric mean of the read ratios: %.1fx (DataScript time / strata time)\n", geo);
  if (std::string(STRATA_BUILD_TYPE) != "Release") std::printf("WARNING: not a release build\n");
  if (!a.out.empty()) {
    std::ofstream(a.out) << result.dump(2) << "\n";
    std::printf("results: %s\n", a.out.c_str());
  }
  return mismatched ? 3 : 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  strata::bench::Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--datascript") a.datascript = next();
    else if (k == "--runner") a.runner = next();
    else if (k == "--node") a.node = next();
    else if (k == "--out") a.out = next();
    else if (k == "--people") a.people = std::stoi(next());
    else if (k == "--seconds") a.seconds = std::stod(next());
    else if (k == "--seed") a.seed = std::stoull(next());
    else {
      std::fprintf(stderr,
                   "usage: strata_datascript_compare --datascript DIR/datascript.js --runner datascript_compare.js\n"
                   "         [--people 20000] [--seconds 1] [--seed 1] [--node node] [--out results.json]\n");
      return 2;
    }
  }
  if (a.datascript.empty() || a.runner.empty()) {
    std::fprintf(stderr, "--datascript and --runner are required (scripts/datascript-compare passes them)\n");
    return 2;
  }
  return strata::bench::Run(a);
}
