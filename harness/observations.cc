// Observations as tidy CSV (see observations.h).

#include "harness/observations.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <set>

namespace strata::harness {

namespace {

// Every number (and boolean, as 0/1) of a JSON object, in its key order.
void Numbers(const Json& j, const std::function<void(const std::string&, double)>& fn) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const Json& v = it.value();
    if (v.is_boolean()) fn(it.key(), v.get<bool>() ? 1.0 : 0.0);
    else if (v.is_number()) fn(it.key(), v.get<double>());
  }
}

// The shortest text that reads back as exactly `v`.
std::string Number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<Observation> Observe(const ResultsFile& f) {
  std::vector<Observation> out;
  const Json j = ToJson(f);
  if (auto it = j.find("summary"); it != j.end())
    Numbers(*it, [&](const std::string& k, double v) { out.push_back({"run", -1, k, v}); });
  if (f.tx_latency) {
    out.push_back({"run", -1, "tx_p50_us", f.tx_latency->p50_us});
    out.push_back({"run", -1, "tx_p99_us", f.tx_latency->p99_us});
    out.push_back({"run", -1, "tx_max_us", f.tx_latency->max_us});
  }
  for (const auto& [read, l] : f.reads) {
    out.push_back({"run", -1, "reads." + read + ".p50_us", l.p50_us});
    out.push_back({"run", -1, "reads." + read + ".p99_us", l.p99_us});
    out.push_back({"run", -1, "reads." + read + ".max_us", l.max_us});
  }
  const Summary& s = f.summary;
  if (Recorded(s, &Summary::storage_bytes) && Recorded(s, &Summary::storage_live_bytes) && s.storage_live_bytes > 0)
    out.push_back({"run", -1, "space_amplification",
                   static_cast<double>(s.storage_bytes) / static_cast<double>(s.storage_live_bytes)});
  const Timeline* t = f.timeline && !f.timeline->t_ms.empty() && f.timeline->jobs.size() == f.timeline->t_ms.size()
                          ? &*f.timeline
                          : nullptr;
  // Ends from the timeline, then, going backwards, each end no later than
  // the next job's start: one job thread runs them one after another.
  std::vector<double> end(f.jobs.size(), -1), start(f.jobs.size(), -1);
  if (t != nullptr) {
    size_t row = 0;  // the timeline row that first counts the current job (jobs are in order)
    for (size_t i = 0; i < f.jobs.size(); ++i) {
      while (row < t->jobs.size() && t->jobs[row] < i + 1) ++row;
      if (row < t->jobs.size()) end[i] = t->t_ms[row];  // else: after the last sample (an interrupted run)
    }
    for (size_t i = f.jobs.size(); i-- > 0;) {
      if (end[i] < 0) continue;
      if (i + 1 < f.jobs.size() && start[i + 1] >= 0) end[i] = std::min(end[i], start[i + 1]);
      start[i] = std::max(0.0, end[i] - f.jobs[i].wall_ms);
    }
  }
  for (size_t i = 0; i < f.jobs.size(); ++i) {
    const Job& job = f.jobs[i];
    const auto n = static_cast<int64_t>(Recorded(job, &Job::job) ? job.job : i + 1);
    Numbers(ToJson(job), [&](const std::string& k, double v) {
      if (k != "job") out.push_back({"job", n, k, v});
    });
    if (end[i] < 0) continue;
    out.push_back({"job", n, "start_ms", start[i]});
    out.push_back({"job", n, "end_ms", end[i]});
  }
  return out;
}

std::string ObservationsCsv(const std::vector<CellResult>& cells) {
  std::set<std::string> params;
  for (const CellResult& c : cells)
    for (const auto& [k, v] : c.key.parameters) params.insert(k);
  std::string out = "cell,workload,strategy";
  for (const std::string& p : params) out += "," + Field(p);
  out += ",scale,repetition,kind,job,name,value\n";
  for (const CellResult& c : cells) {
    std::string prefix = Field(c.key.id) + "," + Field(c.key.workload) + "," + Field(c.key.strategy);
    for (const std::string& p : params) {
      auto it = c.key.parameters.find(p);
      prefix += "," + (it == c.key.parameters.end() ? std::string() : Field(it->second));
    }
    prefix += "," + Number(c.key.scale) + "," + std::to_string(c.key.repetition) + ",";
    for (const Observation& o : Observe(c.results)) {
      out += prefix + o.kind + "," + (o.job < 0 ? std::string() : std::to_string(o.job)) + "," + Field(o.name) + "," +
             Number(o.value) + "\n";
    }
  }
  return out;
}

}  // namespace strata::harness
