// cli/demo_report.h — the summary the demo prints after its run.
#pragma once

#include <cstdint>

#include "strata/database.h"
#include "strata/connection.h"

namespace strata::cli {

// What the demo's loop did.
struct DemoTotals {
  uint64_t transactions = 0;  // data transactions committed (schema excluded)
  uint64_t target = 0;        // data transactions asked for
  uint64_t datoms = 0;        // datoms committed, schema included
  uint64_t entities = 0;      // entities the workload created
  double elapsed_s = 0;
  bool interrupted = false;   // stopped by SIGINT
};

// Prints throughput, the memory index, the connection's commit figures and
// a few reads across time of one entity (now, as of its creation, history)
// on stdout.
void PrintDemoReport(const Connection& conn, const DemoTotals& totals);

}  // namespace strata::cli
