// strata/tx_report_queue.h — the queue behind Connection::Subscribe, for
// anything else that hands out tx reports in order (a peer's subscribers).
//
// Thread safety: Push and Close from the producer, Pop from the consumer,
// size and status from anywhere.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

#include "strata/database.h"
#include "strata/connection.h"

namespace strata {

class ReportQueue final : public TxReportQueue {
 public:
  // capacity 0: unbounded; else a consumer that falls that many reports
  // behind is closed with Busy (never silently gapped).
  explicit ReportQueue(size_t capacity = 0) : capacity_(capacity) {}

  bool Pop(TxReport* out, int timeout_ms = -1) override;
  size_t size() const override;
  Status status() const override;
  // Ignored once closed.
  void Push(const TxReport& r);
  // Ends the queue: what was pushed can still be popped, then Pop is false
  // and status() is `why` (the first reason given).
  void Close(Status why);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TxReport> q_;
  const size_t capacity_;
  bool closed_ = false;
  Status status_;
};

}  // namespace strata
