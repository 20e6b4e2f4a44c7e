// tx_report_queue.cc — the tx-report queue (strata/tx_report_queue.h).
#include "strata/tx_report_queue.h"

#include <chrono>
#include <deque>
#include <string>

#include "strata/mutex.h"

namespace strata {
namespace {

class ReportQueueImpl final : public ReportQueue {
 public:
  explicit ReportQueueImpl(size_t capacity) : capacity_(capacity) {}

  bool Pop(TxReport* out, int timeout_ms) override EXCLUDES(mu_) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    MutexLock l(&mu_);
    while (q_.empty() && !closed_) {
      if (timeout_ms < 0) cv_.Wait();
      else if (!cv_.WaitUntil(deadline) && q_.empty() && !closed_) return false;
    }
    if (q_.empty()) return false;
    *out = std::move(q_.front());
    q_.pop_front();
    return true;
  }

  size_t size() const override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return q_.size();
  }

  Status status() const override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return status_;
  }

  void Push(const TxReport& r) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    if (closed_) return;
    if (capacity_ && q_.size() >= capacity_) {
      closed_ = true;
      status_ = Status::Busy("subscriber fell " + std::to_string(capacity_) + " reports behind and was closed at t=" +
                             std::to_string(r.t) + "; resubscribe and read the rest from TxRange");
    } else {
      q_.push_back(r);
    }
    cv_.SignalAll();
  }

  void Close(Status why) override EXCLUDES(mu_) {
    MutexLock l(&mu_);
    if (!closed_) status_ = std::move(why);
    closed_ = true;
    cv_.SignalAll();
  }

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  CondVar cv_{&mu_};  // a report pushed, or the queue closed
  std::deque<TxReport> q_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  Status status_ GUARDED_BY(mu_);
};

}  // namespace

std::shared_ptr<ReportQueue> NewReportQueue(size_t capacity) { return std::make_shared<ReportQueueImpl>(capacity); }

}  // namespace strata
