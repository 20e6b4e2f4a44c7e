// q_fuzz — Datalog queries (strata/query.h) on arbitrary EDN.
//
// The first form of the input is the query; every further form is an :in
// input after the database (a scalar, a collection, a relation or a rule
// set). The query runs against a small fixed database (fuzz_db.h) with
// tight limits. It must answer OK or an error (never Corruption or
// IOError), never crash, and give the same answer when run twice.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_db.h"
#include "strata/edn.h"
#include "strata/query.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "q_fuzz: %s: %s\n", what, detail.substr(0, 3000).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  auto forms = edn::ReadAll(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!forms.ok() || forms->empty() || forms->size() > 8) return 0;

  std::vector<QueryInput> inputs{fuzzing::FuzzDb()};
  for (size_t i = 1; i < forms->size(); ++i) inputs.emplace_back((*forms)[i]);
  QueryOptions options;
  options.max_tuples = 100'000;
  options.timeout_ms = 2'000;
  options.pull.max_nodes = 10'000;
  options.pull.max_depth = 64;

  auto first = Q((*forms)[0], inputs, options);
  static const bool verbose = std::getenv("STRATA_FUZZ_VERBOSE") != nullptr;  // for writing seeds
  if (verbose) std::fprintf(stderr, "q_fuzz: %s\n", first.ok() ? edn::Print(*first).c_str() : first.status().ToString().c_str());
  if (!first.ok()) {
    const Status& s = first.status();
    if (s.IsCorruption() || s.IsIOError()) Fail("query failed inside the engine", s.ToString());
    return 0;
  }
  auto second = Q((*forms)[0], inputs, options);
  if (second.ok() && !(*second == *first)) {
    Fail("the same query answered differently", edn::Print(*first) + "\n  then: " + edn::Print(*second));
  }
  return 0;
}
