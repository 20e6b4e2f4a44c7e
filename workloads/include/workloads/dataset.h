// workloads/dataset.h — a workload's transaction stream written to files
// (`strata gen`) and replayed from them (`strata run --workload replay
// --data-dir DIR`), so later runs replay exactly the same data without
// generating it again.
//
// A dataset folder holds:
//   manifest.json          format version, the workload, scale and seed it
//                          came from, transaction and read-step counts;
//                          written last, so a folder without it is partial
//   schema.edn             the schema transactions, one per line
//   transactions.edn.zst   the transactions, one EDN vector per line,
//                          zstd-compressed as a stream
// Reads are closures over the generator's state and are not written: a
// replay is write-only, and the manifest records how many reads the
// original stream interleaved.
//
// Memory stays flat: the writer and the reader stream line by line.
// Thread safety: one thread per writer or replay workload.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "strata/status.h"
#include "workloads/workload.h"

namespace strata::workloads {

inline constexpr int kDatasetFormat = 1;

struct DatasetSummary {
  uint64_t transactions = 0;
  uint64_t reads = 0;           // read steps of the original stream (not written)
  uint64_t bytes_written = 0;   // compressed bytes of transactions.edn.zst
  uint64_t edn_bytes = 0;       // EDN text before compression
};

// Writes `workload`'s stream into `dir` (created; an existing complete
// dataset there is refused). `progress(transactions)` is called after each
// transaction; `interrupted()` stops the writer, which then removes what it
// wrote and returns Aborted.
Result<DatasetSummary> WriteDataset(Workload& workload, const WorkloadOptions& options, const std::string& dir,
                                    const std::function<void(uint64_t)>& progress,
                                    const std::function<bool()>& interrupted);

// The "replay" workload: options.data_dir names a dataset folder (NotFound
// when it holds no complete dataset, Corruption when its manifest is bad).
// Its transaction functions are the original workload's.
Result<std::unique_ptr<Workload>> OpenReplayWorkload(const WorkloadOptions& options);

}  // namespace strata::workloads
