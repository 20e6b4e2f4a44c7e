// workloads/bulk_import.h — the "bulk-import" workload: the Vetspire-style
// CSV import, generated in memory as it goes, so it needs no files.
//
// Rows come from csv_gen.h's table generators, are read back by the CSV
// reader and converted by the Vetspire mapping (csv_mapping.h) exactly as
// `strata import` converts files; each transaction is one batch of
// kBulkImportBatchRows rows of one table (TxBatchBuilder: references to rows
// of the batch by tempid, to earlier ones by lookup ref). Tables come in
// the mapping's order, so every reference resolves.
//
// A small share of malformed rows (kBulkImportBadRows, every kind except
// unresolvable references, which only a database can detect) is generated
// and dropped by the reader and mapper, as an import under skip would.
//
// Scale 1 = kBulkImportClientsPerScale clients; each client comes with 1.5
// patients, 4 immunizations and 3 orders (csv_gen.h), about 9.5 rows and 75
// datoms. Reads (read_ratio > 0), on committed rows only:
//   "client-by-id"          every datom of [:client/id "C-n"] (EAVT);
//   "patient-immunizations" a patient's immunizations through VAET
//                           (:immunization/patient), each one's datoms.
//
// Thread safety: used by one thread; memory is constant in the scale.
#pragma once

#include <memory>

#include "workloads/workload.h"

namespace strata::workloads {

constexpr uint64_t kBulkImportClientsPerScale = 2000;
constexpr size_t kBulkImportBatchRows = 500;
constexpr double kBulkImportBadRows = 0.001;

std::unique_ptr<Workload> NewBulkImportWorkload(const WorkloadOptions& options);

}  // namespace strata::workloads
