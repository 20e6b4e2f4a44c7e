// The command's log sink (see log_sink.h).

#include "cli/log_sink.h"

#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/sinks/base_sink.h>

#include "strata/location.h"

namespace strata::cli {

namespace {

class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(FILE* out) : out_(out) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::details::log_msg m = msg;
    constexpr std::string_view kPrefix = "strata: ";
    const std::string_view payload(m.payload.data(), m.payload.size());
    if (payload.starts_with(kPrefix)) {
      m.payload = spdlog::string_view_t(payload.data() + kPrefix.size(), payload.size() - kPrefix.size());
    }
    spdlog::memory_buf_t buf;
    formatter_->format(m, buf);
    const std::string line = RedactSecrets(std::string(buf.data(), buf.size()));
    std::fwrite(line.data(), 1, line.size(), out_);
  }
  void flush_() override { std::fflush(out_); }

 private:
  FILE* out_;
};

}  // namespace

std::shared_ptr<spdlog::logger> NewCliLogger(FILE* out) {
  auto logger = std::make_shared<spdlog::logger>("strata", std::make_shared<RedactingSink>(out));
  logger->set_pattern("strata: %l: %v");
  return logger;
}

}  // namespace strata::cli
