// cli/progress.h — the progress line of long commands (load, gen):
// "\r  label  120/406 tx  3.1M datoms  210k datoms/s  ETA 9 s" on stderr, at
// most four times a second, and only when stderr is a terminal (quiet in
// pipes, logs and CI).
//
// Thread safety: used by one thread.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace strata::cli {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  // `total` transactions expected (0: unknown, no ETA); `unit` names the
  // second figure ("datoms", "bytes").
  Progress(std::string label, uint64_t total, std::string unit = "datoms")
      : label_(std::move(label)), unit_(std::move(unit)), total_(total), on_(isatty(STDERR_FILENO) != 0),
        start_(Clock::now()) {}

  void Update(uint64_t tx, uint64_t amount) {
    if (!on_) return;
    const Clock::time_point now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string eta = "?";
    if (total_ > tx && tx > 0 && elapsed > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f s", static_cast<double>(total_ - tx) * elapsed / static_cast<double>(tx));
      eta = buf;
    }
    std::fprintf(stderr, "\r\033[K  %s  %llu/%llu tx  %s %s  %s %s/s  ETA %s", label_.c_str(),
                 static_cast<unsigned long long>(tx), static_cast<unsigned long long>(total_),
                 Human(static_cast<double>(amount)).c_str(), unit_.c_str(),
                 Human(elapsed > 0 ? static_cast<double>(amount) / elapsed : 0).c_str(), unit_.c_str(), eta.c_str());
  }
  void Note(const char* what) {
    if (on_) std::fprintf(stderr, "\r\033[K  %s  %s", label_.c_str(), what);
  }
  void Clear() {
    if (on_) std::fputs("\r\033[K", stderr);
  }

  static std::string Human(double x) {
    char buf[32];
    if (x >= 1e9) std::snprintf(buf, sizeof buf, "%.1fG", x / 1e9);
    else if (x >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", x / 1e6);
    else if (x >= 1e4) std::snprintf(buf, sizeof buf, "%.0fk", x / 1e3);
    else std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }

 private:
  std::string label_, unit_;
  uint64_t total_;
  bool on_;
  Clock::time_point start_, last_;
};

}  // namespace strata::cli
