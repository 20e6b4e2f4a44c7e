// workloads/workload.h — the interface every workload implements, and the
// registry `strata run --workload NAME` and `strata load` use.
//
// A workload is a deterministic stream of steps from (name, scale, seed):
// transactions to commit and named reads to time. It streams: memory stays
// flat whatever the scale. Reads are tagged by name so latency is reported
// per query.
//
// Thread safety: a Workload is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/edn.h"

namespace strata::workloads {

struct Step {
  enum class Kind : uint8_t { kTransact, kRead };
  Kind kind = Kind::kTransact;
  edn::Node tx;                                 // kTransact: a vector of operations
  std::string read_name;                        // kRead: the name latency is reported under
  std::function<Status(const Database&)> read;  // kRead: runs one read against a db value
};

// A transaction step (no read).
inline void SetTransact(Step* out, edn::Node tx) {
  out->kind = Step::Kind::kTransact;
  out->tx = std::move(tx);
  out->read_name.clear();
  out->read = nullptr;
}

// The read/write mix every workload shares: each transaction owes
// read_ratio more reads, and a read is due while at least one is owed, so
// reads spread evenly between transactions whatever the ratio.
class ReadPacer {
 public:
  bool Due() const { return owed_ >= 1; }
  void Read() { owed_ -= 1; }
  void Transacted(double read_ratio) { owed_ += read_ratio; }

 private:
  double owed_ = 0;
};

struct WorkloadOptions {
  std::string name;           // registry name: "uniform", "mbrainz", ...
  double scale = 1;           // workload-defined size unit (1 = the "small" default)
  uint64_t seed = 1;
  double read_ratio = 0;      // reads per transaction (0: write only)
  std::string data_dir;       // real data sets (e.g. datasets/mbrainz) when needed
  std::string ToString() const;
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  // Schema transactions, committed before the first Next().
  virtual std::vector<edn::Node> Schema() const = 0;
  // The next step into *out; false when the workload is done.
  virtual bool Next(Step* out) = 0;
  // Steps the workload will produce, for progress and ETA (0: unknown).
  virtual uint64_t EstimatedSteps() const { return 0; }
  // Transaction functions the workload's transactions call.
  virtual void RegisterTxFunctions(Connection& conn) const {}
  // Where the data comes from, for a user reading it: which parts are real
  // data and which are generated (one or two sentences; "" for a purely
  // generated workload whose name says so).
  virtual std::string Provenance() const { return ""; }
};

// Creates a registered workload; InvalidArgument lists the known names.
Result<std::unique_ptr<Workload>> MakeWorkload(const WorkloadOptions& options);
std::vector<std::string> WorkloadNames();

}  // namespace strata::workloads
