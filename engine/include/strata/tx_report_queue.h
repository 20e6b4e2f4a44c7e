// strata/tx_report_queue.h — the queue behind Connection::Subscribe, for
// anything else that hands out tx reports in order (a peer's subscribers).
//
// Thread safety: Push and Close from the producer, Pop from the consumer,
// size and status from anywhere.
#pragma once

#include <cstddef>
#include <memory>

#include "strata/connection.h"
#include "strata/database.h"

namespace strata {

// The producer's side of a TxReportQueue; the consumer sees only
// TxReportQueue.
class ReportQueue : public TxReportQueue {
 public:
  // Ignored once closed.
  virtual void Push(const TxReport& r) = 0;
  // Ends the queue: what was pushed can still be popped, then Pop is false
  // and status() is `why` (the first reason given).
  virtual void Close(Status why) = 0;
};

// capacity 0: unbounded; else a consumer that falls that many reports
// behind is closed with Busy (never silently gapped).
std::shared_ptr<ReportQueue> NewReportQueue(size_t capacity = 0);

}  // namespace strata
