// metrics/prometheus.h — metrics as values, and the Prometheus text
// exposition format (version 0.0.4) they render to.
//
// A MetricsSnapshot is a list of metric families (a name, a HELP text, a
// type, and samples with labels), built afresh for each scrape from the
// counters the engine and the transactor keep (metrics/strata_metrics.h).
// There is no global registry: whoever serves /metrics says how to collect
// a snapshot (metrics/http_server.h), so the transactor, `strata run` and a
// console can each mount their own.
//
//   MetricsSnapshot m;
//   m.Counter("strata_transactions_total", "Transactions committed.", 42);
//   m.Gauge("strata_memory_index_bytes", "Novelty in memory.", 1 << 20, {{"strategy", "adaptive"}});
//   auto text = RenderPrometheus(m);   // "# HELP ...\n# TYPE ...\n..."
//
// Names follow Prometheus conventions (docs/metrics.md): snake_case with
// the strata_ prefix, counters end in _total, units are base units
// (_seconds, _bytes). RenderPrometheus checks the exposition rules (metric
// and label names, one type per family, no repeated label set) and fails
// with InvalidArgument naming the metric rather than emitting text a
// scraper would reject.
//
// Thread safety: a snapshot is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/status.h"

namespace strata::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

// Observations in buckets: counts[i] are those in (bounds[i-1], bounds[i]],
// counts.back() those above every bound (rendered cumulatively, with the
// final le="+Inf" bucket equal to the count). bounds ascend.
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
  uint64_t count() const;
};

struct Sample {
  Labels labels;
  double value = 0;     // counters and gauges
  Histogram histogram;  // histograms
};

struct Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;
};

class MetricsSnapshot {
 public:
  // Each adds one sample to the family `name`, made on first use. A
  // family's type and help are those of its first sample; adding a sample
  // of another type makes RenderPrometheus fail.
  void Counter(std::string_view name, std::string_view help, double value, Labels labels = {});
  void Gauge(std::string_view name, std::string_view help, double value, Labels labels = {});
  void AddHistogram(std::string_view name, std::string_view help, Histogram h, Labels labels = {});
  // Every family and sample of `other`, after this one's.
  void Append(const MetricsSnapshot& other);

  const std::vector<Family>& families() const { return families_; }
  const Family* Find(std::string_view name) const;

 private:
  void Add(std::string_view name, std::string_view help, MetricType type, Sample sample);
  std::vector<Family> families_;
  std::string error_;  // the first type clash, reported by RenderPrometheus
  friend Result<std::string> RenderPrometheus(const MetricsSnapshot& snapshot);
};

// The text format: per family "# HELP", "# TYPE", then its samples
// (histograms as _bucket{le=...}, _sum and _count). InvalidArgument for a
// name or label name the format does not allow, a type clash, or two
// samples of a family with the same labels.
Result<std::string> RenderPrometheus(const MetricsSnapshot& snapshot);

// The Content-Type of the text format.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// What the format allows: [a-zA-Z_:][a-zA-Z0-9_:]* for metric names,
// [a-zA-Z_][a-zA-Z0-9_]* (not starting "__") for label names.
bool ValidMetricName(std::string_view name);
bool ValidLabelName(std::string_view name);
// A sample value as the format writes it: "+Inf", "-Inf", "NaN", integers
// without exponent or fraction, others in the shortest form that reads back.
std::string FormatValue(double v);

}  // namespace strata::metrics
