// The text exposition format: what RenderPrometheus writes is read back by
// a strict parser of the format's rules (exposition_parser.h), names and
// label values are escaped or refused as the format requires, and strata's
// own families keep the naming conventions of docs/metrics.md.
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/
// Conventions: https://prometheus.io/docs/practices/naming/
#include "metrics/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "metrics/exposition_parser.h"
#include "metrics/strata_metrics.h"
#include "strata/connection.h"

namespace strata::metrics {
namespace {

using testing::ParseExposition;

TEST(PrometheusText, CountersGaugesAndHistogramsReadBack) {
  MetricsSnapshot m;
  m.Counter("strata_things_total", "Things counted.", 42, {{"strategy", "adaptive"}});
  m.Counter("strata_things_total", "Things counted.", 7, {{"strategy", "cow-tree"}});
  m.Gauge("strata_level_bytes", "A level.", 1.5);
  Histogram h;
  h.bounds = {0.001, 0.01, 0.1};
  h.counts = {3, 0, 2, 1};  // one above every bound
  h.sum = 0.75;
  m.AddHistogram("strata_op_duration_seconds", "Each op.", h, {{"op", "get"}});
  auto text = RenderPrometheus(m);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const auto e = ParseExposition(*text);
  ASSERT_EQ(e.error, "") << *text;
  EXPECT_EQ(e.types.at("strata_things_total"), "counter");
  EXPECT_EQ(e.types.at("strata_level_bytes"), "gauge");
  EXPECT_EQ(e.types.at("strata_op_duration_seconds"), "histogram");
  EXPECT_EQ(e.help.at("strata_things_total"), "Things counted.");
  EXPECT_EQ(e.Get("strata_things_total{strategy=\"adaptive\"}"), 42);
  EXPECT_EQ(e.Get("strata_things_total{strategy=\"cow-tree\"}"), 7);
  EXPECT_EQ(e.Get("strata_level_bytes"), 1.5);
  // Buckets are cumulative, the last is +Inf and equals the count.
  EXPECT_EQ(e.Get("strata_op_duration_seconds_bucket{op=\"get\"}{le=\"0.001\"}"), 3);
  EXPECT_EQ(e.Get("strata_op_duration_seconds_bucket{op=\"get\"}{le=\"0.01\"}"), 3);
  EXPECT_EQ(e.Get("strata_op_duration_seconds_bucket{op=\"get\"}{le=\"0.1\"}"), 5);
  EXPECT_EQ(e.Get("strata_op_duration_seconds_bucket{op=\"get\"}{le=\"+Inf\"}"), 6);
  EXPECT_EQ(e.Get("strata_op_duration_seconds_count{op=\"get\"}"), 6);
  EXPECT_EQ(e.Get("strata_op_duration_seconds_sum{op=\"get\"}"), 0.75);
  // One HELP and one TYPE per family, before its samples.
  EXPECT_NE(text->find("# HELP strata_things_total Things counted.\n# TYPE strata_things_total counter\n"
                       "strata_things_total{strategy=\"adaptive\"} 42\n"),
            std::string::npos)
      << *text;
}

TEST(PrometheusText, LabelValuesAndHelpAreEscaped) {
  MetricsSnapshot m;
  m.Gauge("strata_x", "Help with a \\ backslash\nand a second line.", 1, {{"path", "a\\b\"c\nd"}});
  auto text = RenderPrometheus(m);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  // Label values escape \, " and newline; HELP escapes \ and newline only.
  EXPECT_NE(text->find(R"(strata_x{path="a\\b\"c\nd"} 1)"), std::string::npos) << *text;
  EXPECT_NE(text->find(R"(# HELP strata_x Help with a \\ backslash\nand a second line.)"), std::string::npos) << *text;
  const auto e = ParseExposition(*text);
  ASSERT_EQ(e.error, "") << *text;
  EXPECT_EQ(e.help.at("strata_x"), "Help with a \\ backslash\nand a second line.");
}

TEST(PrometheusText, NamesTheFormatForbidsAreRefused) {
  struct Case {
    const char* what;
    std::function<void(MetricsSnapshot&)> add;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"digit first", [](MetricsSnapshot& m) { m.Gauge("9lives", "x", 1); }, "invalid metric name '9lives'"},
      {"dash", [](MetricsSnapshot& m) { m.Gauge("strata-x", "x", 1); }, "invalid metric name 'strata-x'"},
      {"empty", [](MetricsSnapshot& m) { m.Gauge("", "x", 1); }, "invalid metric name ''"},
      {"label dash", [](MetricsSnapshot& m) { m.Gauge("strata_x", "x", 1, {{"a-b", "v"}}); },
       "metric strata_x: invalid label name 'a-b'"},
      {"reserved label", [](MetricsSnapshot& m) { m.Gauge("strata_x", "x", 1, {{"__name", "v"}}); },
       "metric strata_x: invalid label name '__name'"},
      {"label twice", [](MetricsSnapshot& m) { m.Gauge("strata_x", "x", 1, {{"a", "1"}, {"a", "2"}}); },
       "metric strata_x: label a given twice"},
      {"same labels twice",
       [](MetricsSnapshot& m) {
         m.Gauge("strata_x", "x", 1, {{"a", "1"}});
         m.Gauge("strata_x", "x", 2, {{"a", "1"}});
       },
       "metric strata_x: two samples with the labels {a=\"1\"}"},
      {"type clash",
       [](MetricsSnapshot& m) {
         m.Gauge("strata_x", "x", 1, {{"a", "1"}});
         m.Counter("strata_x", "x", 2, {{"a", "2"}});
       },
       "metric strata_x is a gauge and was given a counter sample"},
      {"le on a histogram",
       [](MetricsSnapshot& m) { m.AddHistogram("strata_h", "x", Histogram{{1}, {0, 0}, 0}, {{"le", "1"}}); },
       "metric strata_h: a histogram may not have a label named le"},
      {"counts short",
       [](MetricsSnapshot& m) { m.AddHistogram("strata_h", "x", Histogram{{1, 2}, {0, 0}, 0}); },
       "metric strata_h: 2 bounds need 3 counts, not 2"},
  };
  for (const Case& c : cases) {
    MetricsSnapshot m;
    c.add(m);
    auto text = RenderPrometheus(m);
    ASSERT_FALSE(text.ok()) << c.what << ": " << *text;
    EXPECT_TRUE(text.status().IsInvalidArgument()) << c.what;
    EXPECT_EQ(text.status().message(), c.message) << c.what;
  }
}

TEST(PrometheusText, ValuesAreWrittenSoTheyReadBack) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(FormatValue(1.5), "1.5");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  for (double v : {0.1, 5e-05, 1.0 / 3, 123456.789, 1e300})
    EXPECT_EQ(std::strtod(FormatValue(v).c_str(), nullptr), v) << FormatValue(v);
}

// The checker the other tests rely on does reject what a scraper would.
TEST(PrometheusText, TheParserRejectsBrokenExpositions) {
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"# HELP a x\n# TYPE a counter\na 1", "the text does not end with a newline"},
      {"# HELP a x\n# TYPE a gauge\na{b=\"1} 1\n", "unterminated"},
      {"# HELP a x\n# TYPE a gauge\na{b=\"\\q\"} 1\n", "bad escape"},
      {"# HELP a x\n# TYPE a gauge\na one\n", "bad value"},
      {"# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{c=\"1\"} 2\n", "not contiguous"},
      {"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "not cumulative"},
      {"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n", "+Inf"},
      {"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "_count differs"},
      {"# TYPE a gauge\na 1\n", "has no HELP"},
      {"# HELP a x\n# TYPE a gauge\n# TYPE a gauge\na 1\n", "a second TYPE"},
  };
  for (const auto& [text, why] : broken) {
    const auto e = ParseExposition(text);
    EXPECT_NE(e.error.find(why), std::string::npos) << "text:\n" << text << "\nerror: " << e.error;
  }
}

// strata's families, from a real connection that committed and indexed:
// valid text, and the naming conventions docs/metrics.md states.
TEST(PrometheusText, StrataFamiliesFollowTheConventions) {
  const std::string dir = (std::filesystem::temp_directory_path() / "strata-metrics-conv").string();
  std::filesystem::remove_all(dir);
  {
    auto conn = Connection::Open(dir);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Transact("[{:db/ident :k/v :db/valueType :db.type/long :db/cardinality "
                                  ":db.cardinality/one}]")
                    .ok());
    ASSERT_TRUE((*conn)->Transact("[{:k/v 1}]").ok());
    ASSERT_TRUE((*conn)->IndexNow().ok());
    MetricsSnapshot m;
    AddConnectionMetrics((*conn)->stats(), (*conn)->Jobs(), (*conn)->strategy(), {}, &m);
    AddTransactorMetrics(net::TransactorStats{}, &m);
    auto text = RenderPrometheus(m);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    const auto e = ParseExposition(*text);
    ASSERT_EQ(e.error, "") << *text;
    ASSERT_GT(m.families().size(), 40u);
    for (const Family& f : m.families()) {
      EXPECT_EQ(f.name.rfind("strata_", 0), 0u) << f.name;
      const bool total = f.name.size() > 6 && f.name.compare(f.name.size() - 6, 6, "_total") == 0;
      EXPECT_EQ(total, f.type == MetricType::kCounter) << f.name << ": counters, and only they, end in _total";
      EXPECT_FALSE(f.help.empty()) << f.name;
      for (const char* unit : {"_ms", "msec", "_mb", "millis", "_us"})
        EXPECT_EQ(f.name.find(unit), std::string::npos) << f.name << ": base units only (seconds, bytes)";
      if (f.type == MetricType::kHistogram) {
        EXPECT_NE(f.name.find("_seconds"), std::string::npos) << f.name << ": latencies in seconds";
      }
    }
    ASSERT_TRUE((*conn)->Close().ok());
  }
  std::filesystem::remove_all(dir);
}

// Before its first job the connection's strategy already has its job
// families, at zero, so a rate over them starts from the first scrape.
TEST(PrometheusText, JobFamiliesStartAtZero) {
  const std::string dir = (std::filesystem::temp_directory_path() / "strata-metrics-zero").string();
  std::filesystem::remove_all(dir);
  {
    auto conn = Connection::Open(dir);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Jobs().empty());
    MetricsSnapshot m;
    AddConnectionMetrics((*conn)->stats(), (*conn)->Jobs(), (*conn)->strategy(), {{"db", "a"}}, &m);
    const Family* jobs = m.Find("strata_index_jobs_total");
    ASSERT_NE(jobs, nullptr);
    ASSERT_EQ(jobs->samples.size(), 1u);
    EXPECT_EQ(jobs->samples[0].value, 0);
    EXPECT_EQ(jobs->samples[0].labels, (Labels{{"db", "a"}, {"strategy", (*conn)->strategy()}}));
    EXPECT_EQ(m.Find("strata_index_read_sources"), nullptr) << "no job, no latest job's figure";
    ASSERT_TRUE((*conn)->Close().ok());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::metrics
