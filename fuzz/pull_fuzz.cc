// pull_fuzz — pull patterns (strata/pull.h) on arbitrary EDN.
//
// The first form of the input is the pattern; a second form, if any, is
// the entity to pull (an id, an ident or a lookup ref). The pattern is
// pulled from that entity and from every entity of a small fixed database
// (fuzz_db.h), with tight limits. It must answer OK or an error (never
// Corruption or IOError), never crash, and Pull must agree with PullMany.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

#include "fuzz_db.h"
#include "strata/edn.h"
#include "strata/pull.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "pull_fuzz: %s: %s\n", what, detail.substr(0, 3000).c_str());
  std::abort();
}

void CheckError(const strata::Status& s) {
  if (s.IsCorruption() || s.IsIOError()) Fail("pull failed inside the engine", s.ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  auto forms = edn::ReadAll(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!forms.ok() || forms->empty() || forms->size() > 2) return 0;
  const Database& db = fuzzing::FuzzDb();
  PullOptions options;
  options.max_nodes = 10'000;
  options.max_depth = 64;

  static const std::vector<edn::Node> kEids = [&] {
    std::set<EntityId> es;
    auto all = db.DatomsVector(Index::kEavt);
    if (all.ok()) {
      for (const Datom& d : *all) es.insert(d.e);
    }
    std::vector<edn::Node> out;
    for (EntityId e : es) out.push_back(edn::Node::Long(static_cast<int64_t>(e)));
    return out;
  }();
  std::vector<edn::Node> eids = kEids;
  if (forms->size() == 2) eids.insert(eids.begin(), (*forms)[1]);

  auto many = PullMany(db, (*forms)[0], eids, options);
  static const bool verbose = std::getenv("STRATA_FUZZ_VERBOSE") != nullptr;  // for writing seeds
  if (verbose) std::fprintf(stderr, "pull_fuzz: %s\n", many.ok() ? edn::Print(*many).c_str() : many.status().ToString().c_str());
  if (!many.ok()) CheckError(many.status());
  for (size_t i = 0; i < eids.size(); ++i) {
    auto one = Pull(db, (*forms)[0], eids[i], options);
    if (!one.ok()) {
      CheckError(one.status());
      continue;
    }
    if (many.ok() && i < many->items.size() && !(many->items[i] == *one)) {
      Fail("Pull and PullMany disagree", edn::Print(*one) + "\n  PullMany: " + edn::Print(many->items[i]));
    }
  }
  return 0;
}
