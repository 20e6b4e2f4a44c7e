// concurrency_test.cc — readers holding database values while the writer
// commits and background jobs publish new roots (SPEC §4: a database value
// is immutable; §6: publishing a root is atomic). Labelled `concurrency`:
// scripts/test tsan runs it under ThreadSanitizer.
//
// The transaction stream and the model's state after each commit are
// computed up front; reader threads then take db(), look up the model
// state of its basis_t, and compare several views — twice, with a yield in
// between, and again later for a value they kept from an earlier round.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "checks.h"
#include "generators.h"
#include "harness.h"
#include "strata/indexing.h"
#include "testing/sanitizers.h"

namespace rc::detail {
TestListener& globalTestListener();
}  // namespace rc::detail

namespace strata::props {
namespace {

// ThreadSanitizer slows everything ten times or more: fewer cases there.
using strata::testing::kUnderTsan;

struct Step {
  edn::Node tx;
  int64_t now = 0;
  TxOutcome want;
};

void ConcurrencyCase(const std::string& strategy) {
  SutConfig cfg;
  cfg.strategy = strategy;
  cfg.background = true;
  cfg.memory_index_threshold = 2 << 10;
  cfg.segment_datoms = 16;
  Sut sut(cfg);

  // The stream, and the model after every commit, by basis_t.
  Model m = Model::FromBootstrap(BootstrapDatoms());
  std::map<T, std::shared_ptr<const Model>> at;
  const edn::Node schema = GenSchemaTx();
  RC_ASSERT(m.Transact(schema, kClockBase).ok);
  sut.now = kClockBase;
  RC_ASSERT(sut.conn().Transact(schema).ok());
  at[m.basis_t()] = std::make_shared<const Model>(m);
  std::vector<Step> steps;
  const int n = Uniform(20, 50);
  for (int i = 0; i < n; ++i) {
    Step s;
    s.tx = GenTx(m, TxMix{});
    s.now = GenNow(m);
    s.want = m.Transact(s.tx, s.now);
    if (s.want.ok) at[m.basis_t()] = std::make_shared<const Model>(m);
    steps.push_back(std::move(s));
  }
  const auto models = std::make_shared<const std::map<T, std::shared_ptr<const Model>>>(std::move(at));

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string failure;
  std::atomic<uint64_t> reads{0};
  auto fail = [&](const std::string& msg) {
    std::lock_guard l(mu);
    if (failure.empty()) failure = msg;
  };
  auto reader = [&](int id) {
    std::optional<Database> kept;
    std::vector<Datom> kept_read;
    while (!stop.load()) {
      const Database db = sut.conn().db();
      auto it = models->find(db.basis_t());
      if (it == models->end()) return fail("reader " + std::to_string(id) + ": no model for basis_t " +
                                           std::to_string(db.basis_t()));
      const Model& mm = *it->second;
      std::vector<ViewQuery> views = SampleViews(mm, 1);
      for (const ViewQuery& q : views) {
        for (Index o : {Index::kEavt, Index::kAvet}) {
          if (std::string d = CompareView(mm, db, q, o); !d.empty()) return fail("reader: " + d);
        }
      }
      std::string err;
      const std::vector<Datom> first = ReadIndex(db.History(), Index::kAevt, {}, &err);
      std::this_thread::yield();
      const std::vector<Datom> second = ReadIndex(db.History(), Index::kAevt, {}, &err);
      if (!err.empty()) return fail("reader: " + err);
      if (std::string d = DiffDatoms("reader: the same value read twice", first, second); !d.empty()) return fail(d);
      if (kept) {
        const std::vector<Datom> again = ReadIndex(kept->History(), Index::kAevt, {}, &err);
        if (std::string d = DiffDatoms("reader: a value kept across commits and jobs", kept_read, again); !d.empty())
          return fail(d);
      }
      if (!kept || reads.load() % 7 == 0) {
        kept = db;
        kept_read = first;
      }
      reads++;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader, i);

  std::string writer_failure;
  for (size_t i = 0; i < steps.size() && writer_failure.empty(); ++i) {
    sut.now = steps[i].now;
    auto got = sut.conn().Transact(steps[i].tx);
    if (got.ok() != steps[i].want.ok) {
      writer_failure = "writer: " + edn::Print(steps[i].tx) + ": model " + (steps[i].want.ok ? "accepts" : "rejects") +
                       ", engine " + (got.ok() ? "accepts" : "rejects: " + got.status().ToString());
    }
    if (i % 10 == 9) {
      auto r = sut.conn().IndexNow();
      if (!r.ok()) writer_failure = "IndexNow: " + r.status().ToString();
    }
  }
  // Let the readers see the final value for a moment, with jobs settling.
  for (int i = 0; i < 200 && reads.load() < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  for (auto& t : readers) t.join();
  RC_ASSERT(writer_failure.empty());
  if (!failure.empty()) RC_FAIL(failure);
}

TEST(Concurrency, ReadersHoldingValuesSeeStableResults) {
  for (const std::string& strategy : StrategyNames()) {
    rc::detail::TestMetadata md;
    md.id = "Concurrency/" + strategy;
    md.description = md.id;
    auto params = rc::detail::configuration().testParams;
    if (!std::getenv("RC_PARAMS") || std::string(std::getenv("RC_PARAMS")).find("max_success") == std::string::npos)
      params.maxSuccess = kUnderTsan ? 3 : 15;
    params.maxSize = 50;
    const auto result =
        rc::detail::checkProperty(rc::detail::toProperty([&] { ConcurrencyCase(strategy); }), md, params,
                                  rc::detail::globalTestListener(), rc::detail::configuration().reproduce);
    if (!result.template is<rc::detail::SuccessResult>()) {
      std::ostringstream os;
      rc::detail::printResultMessage(result, os);
      ADD_FAILURE() << "strategy " << strategy << ":\n" << os.str();
    }
  }
}

}  // namespace
}  // namespace strata::props
