// /metrics end to end: a transactor with its metrics served over HTTP,
// scraped with cpp-httplib's client before and after peers transact;
// counters move by exactly what was done. Also the address rules (loopback
// unless allowed) and a failing collection.
#include "metrics/http_server.h"

#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <thread>

#include "metrics/exposition_parser.h"
#include "metrics/strata_metrics.h"
#include "net/peer.h"
#include "net/test_util.h"
#include "net/transactor.h"
#include "strata/connection.h"

namespace strata::metrics {
namespace {

using net::testing::Put;
using net::testing::TempDir;
using testing::Exposition;
using testing::ParseExposition;

Exposition Scrape(int port, std::string* content_type = nullptr) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(std::chrono::seconds(10));
  auto res = client.Get("/metrics");
  Exposition e;
  if (!res) {
    e.error = "no response: " + httplib::to_string(res.error());
    return e;
  }
  if (res->status != 200) {
    e.error = "status " + std::to_string(res->status) + ": " + res->body;
    return e;
  }
  if (content_type) *content_type = res->get_header_value("Content-Type");
  return ParseExposition(res->body);
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.memory_index_threshold = 4096;  // a job every few transactions
    auto c = Connection::Open(dir_.db(), o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    auto t = net::Transactor::Start(conn_.get(), {});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    transactor_ = std::move(*t);
    MountMetrics(http_.routes(), [this]() -> Result<MetricsSnapshot> {
      return TransactorSnapshot(*conn_, *transactor_);
    });
    auto addr = ParseHttpAddress("127.0.0.1:0", false);
    ASSERT_TRUE(addr.ok()) << addr.status().ToString();
    ASSERT_TRUE(http_.Start(*addr).ok());
    ASSERT_GT(http_.port(), 0);
  }
  void TearDown() override {
    http_.Stop();
    if (transactor_) transactor_->Stop();
    if (conn_) {
      EXPECT_TRUE(conn_->Close().ok());
    }
  }

  TempDir dir_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<net::Transactor> transactor_;
  HttpServer http_;
};

// The job counters summed over Connection::Jobs(), the source of truth.
uint64_t SumJobs(const std::vector<JobMetrics>& jobs, uint64_t JobMetrics::*field) {
  uint64_t n = 0;
  for (const JobMetrics& j : jobs) n += j.*field;
  return n;
}

TEST_F(MetricsServerTest, CountersMoveByExactlyWhatPeersDid) {
  auto peer = net::Peer::Connect(transactor_->endpoint());
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  ASSERT_TRUE((*peer)->Transact(net::testing::kSchema).ok());

  std::string content_type;
  const Exposition before = Scrape(http_.port(), &content_type);
  ASSERT_EQ(before.error, "");
  EXPECT_EQ(content_type, kPrometheusContentType);
  const std::string strategy = conn_->strategy();

  // Another client scrapes all along, while commits and jobs run (under
  // ThreadSanitizer, concurrency.metrics.Scrape, this is the race test):
  // every scrape is valid text and the counter never goes back.
  std::atomic<bool> done{false};
  std::string scrape_error;
  int scrapes = 0;
  std::thread scraper([&] {
    double last = 0;
    while (!done.load()) {
      const Exposition e = Scrape(http_.port());
      const double v = e.Get("strata_transactions_total");
      if (!e.error.empty() || v < last) {
        scrape_error = e.error.empty() ? "strata_transactions_total went back" : e.error;
        return;
      }
      last = v;
      ++scrapes;
    }
  });
  constexpr int kTx = 40;
  uint64_t datoms = 0;
  for (int i = 0; i < kTx; ++i) {
    auto r = (*peer)->Transact(Put(i, std::string(200, 'a' + i % 26)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    datoms += r->tx_data.size();
  }
  done = true;
  scraper.join();
  EXPECT_EQ(scrape_error, "");
  EXPECT_GT(scrapes, 0);
  // One refused transaction (an unknown attribute): counted as rejected.
  ASSERT_FALSE((*peer)->Transact("[{:k/nope 1}]").ok());
  ASSERT_TRUE(conn_->IndexNow().ok());  // everything indexed: the job counters are final

  const Exposition after = Scrape(http_.port());
  ASSERT_EQ(after.error, "");
  auto delta = [&](const std::string& series) { return after.Get(series) - before.Get(series); };
  EXPECT_EQ(delta("strata_transactions_total"), kTx);
  EXPECT_EQ(delta("strata_transaction_datoms_total"), datoms);
  EXPECT_EQ(delta("strata_transaction_duration_seconds_count"), kTx);
  EXPECT_GT(delta("strata_transaction_duration_seconds_sum"), 0);
  EXPECT_EQ(delta("strata_transactions_rejected_total"), 1);
  EXPECT_EQ(delta("strata_transactor_peer_transactions_total"), kTx + 1);
  EXPECT_EQ(after.Get("strata_transactor_peers"), 1);
  EXPECT_EQ(after.Get("strata_transactor_basis_t"), conn_->db().basis_t());

  // Indexing: the scraped totals are Connection::Jobs() summed, and jobs ran.
  const std::vector<JobMetrics> jobs = conn_->Jobs();
  ASSERT_GE(jobs.size(), 2u) << "4 KB of novelty per job: the 40 transactions make several";
  const std::string l = "{strategy=\"" + strategy + "\"}";
  EXPECT_EQ(after.Get("strata_index_jobs_total" + l), jobs.size());
  EXPECT_EQ(after.Get("strata_index_segments_written_total" + l), SumJobs(jobs, &JobMetrics::segments_written));
  EXPECT_EQ(after.Get("strata_index_written_bytes_total" + l), SumJobs(jobs, &JobMetrics::bytes_written));
  EXPECT_EQ(after.Get("strata_index_datoms_rewritten_total" + l), SumJobs(jobs, &JobMetrics::datoms_rewritten));
  EXPECT_EQ(after.Get("strata_index_novelty_datoms_total" + l), SumJobs(jobs, &JobMetrics::novelty_datoms));
  EXPECT_EQ(after.Get("strata_index_job_duration_seconds_count" + l), jobs.size());
  EXPECT_EQ(after.Get("strata_index_read_sources" + l), jobs.back().max_read_sources);
  // Every committed datom is indexed now, none left in memory.
  EXPECT_EQ(after.Get("strata_index_datoms"), jobs.back().db_datoms);
  EXPECT_EQ(after.Get("strata_memory_index_datoms"), 0);
  EXPECT_EQ(after.Get("strata_memory_index_bytes"), 0);
  // The schema was committed before the first scrape: in the memory index,
  // or already indexed if its job (4 KB of novelty) ran first.
  EXPECT_GT(before.Get("strata_memory_index_datoms") + before.Get("strata_index_datoms"), 0)
      << "the schema was in the memory index or the durable index at the first scrape";
  // What the jobs wrote went to storage.
  EXPECT_GE(after.Get("strata_storage_put_bytes_total"), SumJobs(jobs, &JobMetrics::bytes_written));
  EXPECT_GT(delta("strata_storage_put_bytes_total"), 0);
  EXPECT_EQ(after.Get("strata_index_segments"), conn_->stats().durable_segments);
  EXPECT_GT(after.Get("strata_index_segments"), 0);
}

TEST_F(MetricsServerTest, ReadsCountCacheHitsAndMisses) {
  ASSERT_TRUE(conn_->Transact(net::testing::kSchema).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(conn_->Transact(Put(i, std::string(300, 'x'))).ok());
  ASSERT_TRUE(conn_->IndexNow().ok());
  const Exposition before = Scrape(http_.port());
  ASSERT_EQ(before.error, "");
  // Two full reads of EAVT: the second finds every leaf the first loaded.
  auto first = conn_->db().DatomsVector(Index::kEavt);
  ASSERT_TRUE(first.ok());
  const Exposition middle = Scrape(http_.port());
  auto second = conn_->db().DatomsVector(Index::kEavt);
  ASSERT_TRUE(second.ok());
  const Exposition after = Scrape(http_.port());
  ASSERT_EQ(after.error, "");
  const double hits1 = middle.Get("strata_segment_cache_hits_total") - before.Get("strata_segment_cache_hits_total");
  const double hits2 = after.Get("strata_segment_cache_hits_total") - middle.Get("strata_segment_cache_hits_total");
  const double misses2 =
      after.Get("strata_segment_cache_misses_total") - middle.Get("strata_segment_cache_misses_total");
  EXPECT_EQ(misses2, 0) << "the second read is served by the cache";
  EXPECT_GT(hits2, 0);
  EXPECT_GE(hits2, hits1);
  // Each miss fetched a leaf from storage, timed.
  EXPECT_EQ(after.Get("strata_storage_leaf_get_duration_seconds_count"),
            after.Get("strata_segment_cache_misses_total"));
}

TEST(HttpAddressTest, LoopbackUnlessAllowed) {
  for (const char* ok : {"127.0.0.1:9464", "localhost:0", "[::1]:9464", "127.1.2.3:80"}) {
    auto a = ParseHttpAddress(ok, false);
    EXPECT_TRUE(a.ok()) << ok << ": " << a.status().ToString();
  }
  auto a = ParseHttpAddress("[::1]:9464", false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 9464);
  EXPECT_EQ(a->ToString(), "[::1]:9464");

  auto remote = ParseHttpAddress("0.0.0.0:9464", false);
  ASSERT_FALSE(remote.ok());
  EXPECT_NE(remote.status().message().find("--metrics 0.0.0.0:9464 is not a loopback address"), std::string::npos)
      << remote.status().message();
  EXPECT_TRUE(ParseHttpAddress("0.0.0.0:9464", true).ok());

  for (const char* bad : {"9464", ":9464", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", "::1:9464"}) {
    auto b = ParseHttpAddress(bad, true);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_TRUE(b.status().IsInvalidArgument()) << bad;
    EXPECT_NE(b.status().message().find(bad), std::string::npos) << b.status().message();
  }
}

TEST(HttpServerTest, APortInUseIsAnErrorAndAFailedCollectionIsA500) {
  HttpServer first;
  MountMetrics(first.routes(), []() -> Result<MetricsSnapshot> { return Status::IOError("storage unreachable"); });
  ASSERT_TRUE(first.Start(HttpAddress{"127.0.0.1", 0}).ok());

  HttpServer second;
  Status s = second.Start(HttpAddress{"127.0.0.1", first.port()});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << s.ToString();

  httplib::Client client("127.0.0.1", first.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("storage unreachable"), std::string::npos) << res->body;
  auto missing = client.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  first.Stop();
  first.Stop();  // idempotent
}

}  // namespace
}  // namespace strata::metrics
