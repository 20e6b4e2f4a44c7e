// Where the figures are measured (see run.h).

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "harness/plant.h"
#include "harness/run.h"
#include "process_stats.h"

#ifndef STRATA_BUILD_TYPE
#define STRATA_BUILD_TYPE "unknown"
#endif
#ifndef STRATA_SOURCE_DIR
#define STRATA_SOURCE_DIR "."
#endif

namespace strata::harness {

namespace {

// The first line a shell command prints, or "" when it fails.
std::string CommandLine1(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  char buf[256];
  std::string out;
  if (std::fgets(buf, sizeof buf, p) != nullptr) out = buf;
  const int rc = pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return rc == 0 ? out : "";
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "";
}

// MemTotal of /proc/meminfo in bytes; 0 when it cannot be read.
uint64_t MemoryBytes() {
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("MemTotal:", 0) == 0) return std::strtoull(line.c_str() + 9, nullptr, 10) * 1024;  // "... kB"
  }
  return 0;
}

}  // namespace

Context CollectContext(const std::string& command) {
  Context c;
  const std::string git = std::string("git -C '") + STRATA_SOURCE_DIR + "' ";
  c.git_commit = CommandLine1(git + "rev-parse HEAD 2>/dev/null");
  if (!c.git_commit.empty())
    c.git_dirty = !CommandLine1(git + "status --porcelain --untracked-files=no 2>/dev/null").empty();
  c.build_type = STRATA_BUILD_TYPE;
#ifdef NDEBUG
  c.assertions = false;
#endif
#if defined(__SANITIZE_ADDRESS__)
  c.sanitizers = "address";
#elif defined(__SANITIZE_THREAD__)
  c.sanitizers = "thread";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  c.sanitizers = "address";
#elif __has_feature(thread_sanitizer)
  c.sanitizers = "thread";
#endif
#endif
#if defined(__clang__)
  c.compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  c.compiler = std::string("gcc ") + __VERSION__;
#else
  c.compiler = "unknown";
#endif
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) c.hostname = host;
  c.cpu_model = CpuModel();
  c.memory_bytes = MemoryBytes();
  utsname u{};
  if (uname(&u) == 0) c.kernel = std::string(u.sysname) + " " + u.release;
  c.cpus = std::thread::hardware_concurrency();
  c.date = UtcNow();
  c.command = command;
  c.jemalloc = JemallocVersion();
  if (const char* plant = std::getenv("STRATA_PLANT_SLOW_READ_US"); plant != nullptr && *plant != '\0')
    c.planted_slow_read_us = std::strtoull(plant, nullptr, 10);
  const PlantedSlowdown planted = PlantedSlowdownFromEnv();
  c.planted_slow_commit_pct = planted.commit_pct;
  c.planted_slow_read_pct = planted.read_pct;
  c.planted_slow_commit_cpu_pct = planted.commit_cpu_pct;
  c.planted_slow_read_cpu_pct = planted.read_cpu_pct;
  const LoadAverage load = ReadLoadAverage();
  c.load_avg = {load.m1, load.m5, load.m15};
  // An optimized build without assertions or sanitizers.
  c.release = !c.assertions && c.sanitizers.empty() && (c.build_type == "Release" || c.build_type == "RelWithDebInfo");
  return c;
}

}  // namespace strata::harness
