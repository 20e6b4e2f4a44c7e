// The Prometheus text exposition format (metrics/prometheus.h).
#include "metrics/prometheus.h"

#include <charconv>
#include <cmath>
#include <set>

namespace strata::metrics {

namespace {

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline; label values also the double quote.
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

// {a="x",b="y"}, with `extra` (the le of a bucket) last; "" without labels.
std::string LabelText(const Labels& labels, const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::pair<std::string, std::string>& l) {
    if (!first) out += ',';
    first = false;
    out += l.first + "=\"" + Escape(l.second, true) + "\"";
  };
  for (const auto& l : labels) add(l);
  if (extra != nullptr) add(*extra);
  return out + "}";
}

Status CheckLabels(const Family& f, const Sample& s) {
  std::set<std::string> seen;
  for (const auto& [name, value] : s.labels) {
    if (!ValidLabelName(name)) return Status::InvalidArgument("metric " + f.name + ": invalid label name '" + name + "'");
    if (f.type == MetricType::kHistogram && name == "le")
      return Status::InvalidArgument("metric " + f.name + ": a histogram may not have a label named le");
    if (!seen.insert(name).second) return Status::InvalidArgument("metric " + f.name + ": label " + name + " given twice");
  }
  return Status::OK();
}

}  // namespace

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that reads back
  return std::string(buf, r.ptr);
}

void MetricsSnapshot::Add(std::string_view name, std::string_view help, MetricType type, Sample sample) {
  for (Family& f : families_) {
    if (f.name != name) continue;
    if (f.type != type && error_.empty())
      error_ = "metric " + f.name + " is a " + TypeName(f.type) + " and was given a " + TypeName(type) + " sample";
    f.samples.push_back(std::move(sample));
    return;
  }
  families_.push_back(Family{std::string(name), std::string(help), type, {std::move(sample)}});
}

void MetricsSnapshot::Counter(std::string_view name, std::string_view help, double value, Labels labels) {
  Add(name, help, MetricType::kCounter, Sample{std::move(labels), value, {}});
}

void MetricsSnapshot::Gauge(std::string_view name, std::string_view help, double value, Labels labels) {
  Add(name, help, MetricType::kGauge, Sample{std::move(labels), value, {}});
}

void MetricsSnapshot::AddHistogram(std::string_view name, std::string_view help, Histogram h, Labels labels) {
  Add(name, help, MetricType::kHistogram, Sample{std::move(labels), 0, std::move(h)});
}

void MetricsSnapshot::Append(const MetricsSnapshot& other) {
  for (const Family& f : other.families_)
    for (const Sample& s : f.samples) Add(f.name, f.help, f.type, s);
  if (error_.empty()) error_ = other.error_;
}

const Family* MetricsSnapshot::Find(std::string_view name) const {
  for (const Family& f : families_)
    if (f.name == name) return &f;
  return nullptr;
}

Result<std::string> RenderPrometheus(const MetricsSnapshot& snapshot) {
  if (!snapshot.error_.empty()) return Status::InvalidArgument(snapshot.error_);
  std::string out;
  for (const Family& f : snapshot.families_) {
    if (!ValidMetricName(f.name)) return Status::InvalidArgument("invalid metric name '" + f.name + "'");
    out += "# HELP " + f.name + " " + Escape(f.help, false) + "\n";
    out += "# TYPE " + f.name + " " + TypeName(f.type) + "\n";
    std::set<std::string> label_sets;
    for (const Sample& s : f.samples) {
      STRATA_RETURN_IF_ERROR(CheckLabels(f, s));
      const std::string labels = LabelText(s.labels);
      if (!label_sets.insert(labels).second)
        return Status::InvalidArgument("metric " + f.name + ": two samples with the labels " +
                                       (labels.empty() ? "{}" : labels));
      if (f.type != MetricType::kHistogram) {
        out += f.name + labels + " " + FormatValue(s.value) + "\n";
        continue;
      }
      const Histogram& h = s.histogram;
      if (h.counts.size() != h.bounds.size() + 1)
        return Status::InvalidArgument("metric " + f.name + ": " + std::to_string(h.bounds.size()) + " bounds need " +
                                       std::to_string(h.bounds.size() + 1) + " counts, not " +
                                       std::to_string(h.counts.size()));
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h.bounds.size(); ++i) {
        if (i > 0 && i < h.bounds.size() && !(h.bounds[i] > h.bounds[i - 1]))
          return Status::InvalidArgument("metric " + f.name + ": bucket bounds must ascend");
        cumulative += h.counts[i];
        const std::pair<std::string, std::string> le{"le", i < h.bounds.size() ? FormatValue(h.bounds[i]) : "+Inf"};
        out += f.name + "_bucket" + LabelText(s.labels, &le) + " " + FormatValue(static_cast<double>(cumulative)) + "\n";
      }
      out += f.name + "_sum" + labels + " " + FormatValue(h.sum) + "\n";
      out += f.name + "_count" + labels + " " + FormatValue(static_cast<double>(cumulative)) + "\n";
    }
  }
  return out;
}

}  // namespace strata::metrics
