// `strata experiment` as a command, in process: a bad file is refused with
// exit 1 naming the file and the key, and nothing is written; a tiny
// experiment writes its folder and a second invocation runs nothing; its
// summary.md agrees with figures recomputed here from the results files;
// --set replaces a key of the file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/experiment_command.h"
#include "cli/in_process_test_util.h"

namespace strata::cli {
namespace {

std::string FreshDir() {
  std::string dir = std::filesystem::temp_directory_path().string() + "/strata-experiment-cli-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "";
  return dir;
}

int Experiment(std::vector<std::string> args, std::string* out, std::string* err) {
  args.insert(args.begin(), "experiment");
  return testing::RunInProcess(AddExperimentCommand, args, out, err);
}

TEST(ExperimentCommand, ABadFileIsRefusedNamingTheKey) {
  const std::string dir = FreshDir();
  std::ofstream(dir + "/bad.edn") << "{:workloads [:uniform] :strategies [{:name :adaptive :settings {:level_ratio 1}}]}";
  std::string out, err;
  EXPECT_EQ(Experiment({dir + "/bad.edn", "--out", dir + "/out"}, &out, &err), 1);
  EXPECT_NE(err.find(dir + "/bad.edn: :strategies[0] :settings: "), std::string::npos) << err;
  EXPECT_NE(err.find("level_ratio"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/out"));  // nothing written
  EXPECT_EQ(Experiment({dir + "/missing.edn", "--out", dir + "/out"}, &out, &err), 1);
  EXPECT_NE(err.find("missing.edn: cannot be read"), std::string::npos) << err;
  std::filesystem::remove_all(dir);
}

TEST(ExperimentCommand, WritesItsFolderAndResumes) {
  const std::string dir = FreshDir();
  std::ofstream(dir + "/tiny.edn") << "{:workloads [:uniform] :scales [0.02] :strategies [:adaptive :cow-tree]\n"
                                      " :parameters {:memory-index-threshold \"16k\"}}";
  std::string out, err;
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("2 cells: 2 ran, 0 finished before, 0 left"), std::string::npos) << out;
  EXPECT_NE(out.find("summary in " + dir + "/out/summary.md"), std::string::npos) << out;
  for (const char* f : {"/out/experiment.edn", "/out/observations.csv", "/out/report.html", "/out/summary.md"})
    EXPECT_TRUE(std::filesystem::exists(dir + f)) << f;
  std::ifstream csv(dir + "/out/observations.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "cell,workload,strategy,memory_index_threshold,scale,repetition,kind,job,name,value");
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("2 cells: 0 ran, 2 finished before, 0 left"), std::string::npos) << out;
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out", "--dry-run"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("finished uniform-s0.02-adaptive-r1-"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The figures of one results file, computed here from its JSON (not through
// reports/): the flatness windows as docs/indexing.md defines them.
struct Figures {
  double datoms = 0, write_amp = 0, cpu_early = 0, cpu_late = 0, rate_early = 0, rate_late = 0;
};

// Job CPU (µs) per novelty datom of the jobs whose (previous db, own db]
// overlaps [lo, hi].
double CpuPerDatom(const nlohmann::json& jobs, double lo, double hi) {
  double cpu = 0, datoms = 0, prev = 0;
  for (const auto& j : jobs) {
    const double db = j["db_datoms"].get<double>();
    if (!(db < lo) && prev < hi) {
      cpu += j["cpu_ms"].get<double>();
      datoms += j["novelty_datoms"].get<double>();
    }
    prev = db;
  }
  return cpu * 1000 / datoms;
}

// When (ms) the timeline's datoms reached `x`, linear from the sample
// before (the origin is 0 datoms at 0 ms).
double ReachedMs(const nlohmann::json& t, double x) {
  const auto& ms = t["t_ms"];
  const auto& d = t["datoms"];
  for (size_t k = 0; k < d.size(); ++k) {
    if (d[k].get<double>() < x) continue;
    const double t1 = ms[k].get<double>(), d1 = d[k].get<double>();
    const double t0 = k == 0 ? 0 : ms[k - 1].get<double>(), d0 = k == 0 ? 0 : d[k - 1].get<double>();
    return t0 + (t1 - t0) * (x - d0) / (d1 - d0);
  }
  ADD_FAILURE() << "never reached " << x;
  return 0;
}

Figures Recompute(const nlohmann::json& r) {
  Figures f;
  f.datoms = r["summary"]["datoms"].get<double>();
  double written = 0, novelty = 0;
  for (const auto& j : r["jobs"]) {
    written += j["bytes_written"].get<double>();
    novelty += j["novelty_bytes"].get<double>();
  }
  f.write_amp = written / novelty;
  const double db = r["jobs"].back()["db_datoms"].get<double>();
  f.cpu_early = CpuPerDatom(r["jobs"], 0.01 * db, 0.03 * db);
  f.cpu_late = CpuPerDatom(r["jobs"], 0.9 * db, db);
  const auto& t = r["timeline"];
  const double n = t["datoms"].back().get<double>();
  f.rate_early = 0.02 * n / ((ReachedMs(t, 0.03 * n) - ReachedMs(t, 0.01 * n)) / 1000);
  f.rate_late = 0.1 * n / ((ReachedMs(t, n) - ReachedMs(t, 0.9 * n)) / 1000);
  return f;
}

double Mid(double a, double b) { return (a + b) / 2; }  // the median of two

// "10.2k" -> 10200.
double Rate(const std::string& s) {
  const double v = std::stod(s);
  return s.back() == 'M' ? v * 1e6 : s.back() == 'k' ? v * 1e3 : v;
}

TEST(ExperimentCommand, SummaryAgreesWithTheResultsFiles) {
  const std::string dir = FreshDir();
  std::ofstream(dir + "/two.edn") << "{:workloads [:uniform] :scales [0.1] :repetitions 2 :strategies [:adaptive :cow-tree]\n"
                                     " :parameters {:memory-index-threshold \"16k\"}}";
  std::string out, err;
  ASSERT_EQ(Experiment({dir + "/two.edn", "--out", dir + "/out"}, &out, &err), 0) << err;
  const std::string md = Slurp(dir + "/out/summary.md");
  EXPECT_NE(md.find("4 finished cells (2 configurations"), std::string::npos) << md;
  EXPECT_NE(md.find("**parameters of every cell**: memory_index_threshold=16384"), std::string::npos) << md;
  // The cells' results files by strategy, in run order (repetition 1 first).
  std::map<std::string, std::vector<Figures>> runs;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/out/cells"))
    if (e.path().extension() == ".json") files.push_back(e.path());
  ASSERT_EQ(files.size(), 4u);
  for (const auto& p : files) {
    const nlohmann::json r = nlohmann::json::parse(Slurp(p.string()));
    ASSERT_GT(r["jobs"].size(), 3u) << p;  // enough jobs for distinct windows
    runs[r["strategy"].get<std::string>()].push_back(Recompute(r));
  }
  for (const auto& [strategy, f] : runs) {
    SCOPED_TRACE(strategy);
    ASSERT_EQ(f.size(), 2u);
    // | uniform | 0.1 | STRATEGY | defaults | 2 | datoms | jobs | wa M | src M | segs | space | rewritten |
    //   a → b µs (×g M) | A → B/s (×r M) | rss | wall |
    const std::regex row("\\| uniform \\| 0\\.1 \\| " + strategy +
                         " \\| defaults \\| 2 \\| ([0-9,]+) \\| [0-9,]+ \\| ([0-9.]+) (✓|✗) \\|[^\\n]*?\\| "
                         "([0-9.]+) → ([0-9.]+) µs \\(×([0-9.]+) (✓|✗)\\) \\| ([0-9.]+[kM]?) → ([0-9.]+[kM]?)/s "
                         "\\(×([0-9.]+) (✓|✗)\\) \\|");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(md, m, row)) << md;
    std::string datoms = m[1];
    datoms.erase(std::remove(datoms.begin(), datoms.end(), ','), datoms.end());
    EXPECT_EQ(std::stod(datoms), Mid(f[0].datoms, f[1].datoms));
    const double wa = Mid(f[0].write_amp, f[1].write_amp);
    EXPECT_NEAR(std::stod(m[2]), wa, 0.006);
    EXPECT_EQ(m[3], wa <= 5 ? "✓" : "✗");
    EXPECT_NEAR(std::stod(m[4]), Mid(f[0].cpu_early, f[1].cpu_early), 0.006);
    EXPECT_NEAR(std::stod(m[5]), Mid(f[0].cpu_late, f[1].cpu_late), 0.006);
    const double growth = Mid(f[0].cpu_late / f[0].cpu_early, f[1].cpu_late / f[1].cpu_early);
    EXPECT_NEAR(std::stod(m[6]), growth, 0.006);
    EXPECT_EQ(m[7], growth <= 1.5 ? "✓" : "✗");
    const double early = Mid(f[0].rate_early, f[1].rate_early), late = Mid(f[0].rate_late, f[1].rate_late);
    EXPECT_NEAR(Rate(m[8]), early, early * 0.006);
    EXPECT_NEAR(Rate(m[9]), late, late * 0.006);
    const double ratio = Mid(f[0].rate_late / f[0].rate_early, f[1].rate_late / f[1].rate_early);
    EXPECT_NEAR(std::stod(m[10]), ratio, 0.006);
    EXPECT_EQ(m[11], ratio >= 0.8 ? "✓" : "✗");
  }
  std::filesystem::remove_all(dir);
}

TEST(ExperimentCommand, SetReplacesAKeyOfTheFile) {
  const std::string dir = FreshDir();
  std::ofstream(dir + "/tiny.edn") << "{:workloads [:uniform] :scales [0.02 0.03] :strategies [:adaptive]\n"
                                      " :parameters {:storage \"postgres://nobody@127.0.0.1:1/x\"}}";
  std::string out, err;
  // The file's PostgreSQL and its second scale replaced: one folder cell.
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out", "--dry-run", "--set", "storage=\"folder\"", "--set",
                        "scales=[0.02]"},
                       &out, &err),
            0)
      << err;
  EXPECT_NE(out.find("to run   uniform-s0.02-adaptive-r1-"), std::string::npos) << out;
  EXPECT_NE(out.find("\n1 cells\n"), std::string::npos) << out;
  // A parameter the file lacks is added; a bad key or value is refused.
  ASSERT_EQ(Experiment({dir + "/tiny.edn", "--out", dir + "/out", "--dry-run", "--set", "storage=\"folder\"", "--set",
                        "segment-datoms=[512 1024]"},
                       &out, &err),
            0)
      << err;
  EXPECT_NE(out.find("\n4 cells\n"), std::string::npos) << out;
  EXPECT_EQ(Experiment({dir + "/tiny.edn", "--dry-run", "--set", "colour=1"}, &out, &err), 1);
  EXPECT_NE(err.find("--set colour=1: unknown key 'colour'"), std::string::npos) << err;
  EXPECT_EQ(Experiment({dir + "/tiny.edn", "--dry-run", "--set", "storage=\"/tmp/db\""}, &out, &err), 1);
  EXPECT_NE(err.find(":parameters :storage: expected \"folder\""), std::string::npos) << err;
  EXPECT_EQ(Experiment({dir + "/tiny.edn", "--dry-run", "--set", "scales"}, &out, &err), 1);
  EXPECT_NE(err.find("--set scales: expected KEY=VALUE"), std::string::npos) << err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::cli
