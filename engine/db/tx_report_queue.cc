// tx_report_queue.cc — the tx-report queue (strata/tx_report_queue.h).
#include "strata/tx_report_queue.h"

#include <chrono>
#include <string>

namespace strata {

bool ReportQueue::Pop(TxReport* out, int timeout_ms) {
  std::unique_lock l(mu_);
  auto ready = [&] { return !q_.empty() || closed_; };
  if (timeout_ms < 0) cv_.wait(l, ready);
  else if (!cv_.wait_for(l, std::chrono::milliseconds(timeout_ms), ready)) return false;
  if (q_.empty()) return false;
  *out = std::move(q_.front());
  q_.pop_front();
  return true;
}

size_t ReportQueue::size() const {
  std::lock_guard l(mu_);
  return q_.size();
}

Status ReportQueue::status() const {
  std::lock_guard l(mu_);
  return status_;
}

void ReportQueue::Push(const TxReport& r) {
  std::lock_guard l(mu_);
  if (closed_) return;
  if (capacity_ && q_.size() >= capacity_) {
    closed_ = true;
    status_ = Status::Busy("subscriber fell " + std::to_string(capacity_) + " reports behind and was closed at t=" +
                           std::to_string(r.t) + "; resubscribe and read the rest from TxRange");
  } else {
    q_.push_back(r);
  }
  cv_.notify_all();
}

void ReportQueue::Close(Status why) {
  std::lock_guard l(mu_);
  if (!closed_) status_ = std::move(why);
  closed_ = true;
  cv_.notify_all();
}

}  // namespace strata
