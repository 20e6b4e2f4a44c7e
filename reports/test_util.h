// reports/test_util.h — helpers shared by the reports tests: copies of the
// fixture results (reports/testdata) in a fresh folder, optionally with a
// synthetic "timeline" in the format docs/harness.md asks `strata run` for.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "reports/result_set.h"

namespace strata::reports::testing {

// A new folder under the temporary directory, removed when the test
// program exits.
inline std::string FreshDir(const std::string& name) {
  struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const std::string& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  std::string dir = std::filesystem::temp_directory_path().string() + "/strata-" + name + "-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "";
  cleanup.dirs.push_back(dir);
  return dir;
}

// Runs `cmd` in a shell; its stdout, and its wait status in *status.
inline std::string Shell(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

// The Chromium binary on PATH, or "" (the browser tests then skip).
inline std::string Chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    int status = 0;
    std::string path = Shell(std::string("command -v ") + name + " 2>/dev/null", &status);
    while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
    if (status == 0 && !path.empty()) return path;
  }
  return "";
}

// Headless, offline, and in a fresh profile: nothing but the file is loaded.
inline std::string BrowserCommand(const std::string& chromium, const std::string& profile, const std::string& what) {
  return "timeout 120 '" + chromium +
         "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars"
         " --virtual-time-budget=10000 --user-data-dir='" + profile + "' " + what + " 2>/dev/null";
}

inline void WriteJson(const std::string& path, const Json& j) { std::ofstream(path) << j.dump(2) << "\n"; }

inline Json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

// A timeline sampled every 50 ms: transactions at a steady rate, a
// memory index that grows and drops at each job, latencies with a bump
// while a job runs.
inline Json SyntheticTimeline(const Json& run) {
  Json t{{"interval_ms", 50}};
  Json t_ms = Json::array(), tx = Json::array(), datoms = Json::array(), mem = Json::array(), jobs = Json::array(),
       p50 = Json::array(), p99 = Json::array(), mx = Json::array();
  const size_t njobs = run["jobs"].size();
  const size_t per_job = 8;
  double mem_bytes = 0;
  for (size_t i = 0; i <= njobs * per_job; ++i) {
    t_ms.push_back(50.0 * static_cast<double>(i));
    tx.push_back(20 * i);
    datoms.push_back(900 * i + (i % 3) * 40);
    const bool job_done = i > 0 && i % per_job == 0;
    mem_bytes = job_done ? 2000 : mem_bytes + 16000;
    mem.push_back(mem_bytes);
    jobs.push_back(i / per_job);
    const double bump = i % per_job == 1 ? 4 : 1;
    p50.push_back(40 * bump);
    p99.push_back(180 * bump + 10 * std::sin(static_cast<double>(i)));
    mx.push_back(900 * bump);
  }
  t["t_ms"] = t_ms;
  t["transactions"] = tx;
  t["datoms"] = datoms;
  t["memory_index_bytes"] = mem;
  t["jobs"] = jobs;
  t["tx_p50_us"] = p50;
  t["tx_p99_us"] = p99;
  t["tx_max_us"] = mx;
  return t;
}

// Copies testdata/<fixture>/results-*.json into a fresh folder; with
// `timeline`, each file gains a synthetic "timeline".
inline std::string CopyFixture(const std::string& testdata, const std::string& fixture, bool timeline) {
  const std::string dir = FreshDir(fixture);
  for (const auto& e : std::filesystem::directory_iterator(testdata + "/" + fixture)) {
    Json j = ReadJson(e.path().string());
    if (timeline) j["timeline"] = SyntheticTimeline(j);
    WriteJson(dir + "/" + e.path().filename().string(), j);
  }
  return dir;
}

}  // namespace strata::reports::testing
