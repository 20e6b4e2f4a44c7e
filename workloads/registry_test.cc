#include <gtest/gtest.h>

#include <map>

#include "strata/connection.h"
#include "workloads/uniform.h"
#include "workloads/workload.h"

namespace strata::workloads {
namespace {

std::unique_ptr<Workload> Make(const std::string& name, double scale, double read_ratio = 0, uint64_t seed = 1) {
  WorkloadOptions o;
  o.name = name;
  o.scale = scale;
  o.read_ratio = read_ratio;
  o.seed = seed;
  auto w = MakeWorkload(o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(*w) : nullptr;
}

TEST(WorkloadRegistry, NamesAndUnknown) {
  EXPECT_EQ(WorkloadNames(), (std::vector<std::string>{"bulk-import", "corrections", "mbrainz", "mbrainz-synth", "permissions",
                                                        "reminders", "replay", "uniform"}));
  WorkloadOptions o;
  o.name = "nope";
  auto w = MakeWorkload(o);
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().IsInvalidArgument());
  EXPECT_NE(w.status().message().find("known: bulk-import, corrections, mbrainz, mbrainz-synth, permissions, reminders, replay, uniform"), std::string::npos) << w.status().message();
  o.name = "uniform";
  o.scale = 0;
  EXPECT_FALSE(MakeWorkload(o).ok());
}

TEST(WorkloadRegistry, OptionsToString) {
  WorkloadOptions o;
  o.name = "uniform";
  o.scale = 0.5;
  o.seed = 9;
  EXPECT_EQ(o.ToString(), "workload=uniform scale=0.5 seed=9 read_ratio=0");
}

TEST(UniformAdapter, ScaleCountsTransactions) {
  auto w = Make("uniform", 0.25);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->name(), "uniform");
  EXPECT_EQ(w->Schema().size(), 1u);
  EXPECT_EQ(w->EstimatedSteps(), kUniformTransactionsPerScale / 4);
  Step s;
  uint64_t n = 0;
  while (w->Next(&s)) {
    EXPECT_EQ(s.kind, Step::Kind::kTransact);
    ++n;
  }
  EXPECT_EQ(n, kUniformTransactionsPerScale / 4);
}

TEST(UniformAdapter, SameSeedSameSteps) {
  auto print = [](uint64_t seed) {
    auto w = Make("uniform", 0.05, 1.5, seed);
    std::string out;
    Step s;
    while (w->Next(&s)) out += s.kind == Step::Kind::kRead ? s.read_name + "\n" : edn::Print(s.tx) + "\n";
    return out;
  };
  EXPECT_EQ(print(3), print(3));
  EXPECT_NE(print(3), print(4));
}

// Reads run against the database the transactions built, and never fail.
TEST(UniformAdapter, ReadsRunAgainstTheDatabase) {
  auto env = NewMemEnv();
  Options options;
  options.env = env.get();
  options.sync = SyncPolicy::kNever;
  options.memory_index_threshold = 64 << 10;  // durable segments too
  auto conn = Connection::Open("/reads", options);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto w = Make("uniform", 0.1, 2);
  ASSERT_NE(w, nullptr);
  for (const edn::Node& tx : w->Schema()) ASSERT_TRUE((*conn)->Transact(tx).ok());
  std::map<std::string, int> reads;
  uint64_t txs = 0;
  Step s;
  while (w->Next(&s)) {
    if (s.kind == Step::Kind::kTransact) {
      auto r = (*conn)->Transact(s.tx);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ++txs;
      continue;
    }
    Status st = s.read((*conn)->db());
    ASSERT_TRUE(st.ok()) << s.read_name << ": " << st.ToString();
    reads[s.read_name]++;
  }
  EXPECT_EQ(txs, 200u);
  EXPECT_EQ(reads.size(), 3u);
  int total = 0;
  for (const auto& [name, n] : reads) {
    EXPECT_GT(n, 100) << name;
    total += n;
  }
  EXPECT_EQ(total, 400);
  EXPECT_GT((*conn)->stats().jobs, 0u);
}

}  // namespace
}  // namespace strata::workloads
