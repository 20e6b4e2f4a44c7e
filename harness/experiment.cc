// Experiments: the file, its cells, and running them resumably (see
// experiment.h).

#include "harness/experiment.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "process_stats.h"
#include "strata/edn.h"
#include "strata/indexing.h"
#include "strata/location.h"
#include "workloads/workload.h"

namespace strata::harness {

namespace {

// Where in the file: "FILE: :strategies[1] :settings".
class Where {
 public:
  explicit Where(std::string file) : file_(std::move(file)) {}
  Where At(const std::string& step) const {
    Where w(file_);
    w.path_ = path_.empty() ? step : (step[0] == '[' ? path_ + step : path_ + " " + step);
    return w;
  }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument(file_ + ": " + (path_.empty() ? "" : path_ + ": ") + what);
  }

 private:
  std::string file_, path_;
};

std::string Describe(const edn::Node& n) { return std::string(edn::KindName(n.kind)) + " " + edn::Print(n); }

// A value given once or as a vector of values to sweep.
std::vector<const edn::Node*> Values(const edn::Node& n) {
  std::vector<const edn::Node*> out;
  if (n.kind == edn::Kind::kVector || n.kind == edn::Kind::kList) {
    for (const edn::Node& x : n.items) out.push_back(&x);
  } else {
    out.push_back(&n);
  }
  return out;
}

// A name: a keyword, symbol or string.
Result<std::string> Name(const edn::Node& n, const Where& w) {
  if (n.is(edn::Kind::kKeyword) || n.is(edn::Kind::kString) || n.is(edn::Kind::kSymbol)) return n.s;
  return w.Error("expected a name (keyword or string), got " + Describe(n));
}

// A setting's or parameter's value as text (numbers, names, booleans).
Result<std::string> Text(const edn::Node& n, const Where& w) {
  switch (n.kind) {
    case edn::Kind::kLong: return std::to_string(n.i);
    case edn::Kind::kDouble: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", n.d);
      return std::string(buf);
    }
    case edn::Kind::kBool: return std::string(n.b ? "true" : "false");
    case edn::Kind::kKeyword: case edn::Kind::kString: case edn::Kind::kSymbol: return n.s;
    default: return w.Error("expected a number or a name, got " + Describe(n));
  }
}

// "64k", "32m", "1g" or a number of bytes.
Result<uint64_t> Size(const edn::Node& n, const Where& w) {
  if (n.is(edn::Kind::kLong)) {
    if (n.i <= 0) return w.Error("expected a size > 0, got " + edn::Print(n));
    return static_cast<uint64_t>(n.i);
  }
  if (!n.is(edn::Kind::kString)) return w.Error("expected a size (bytes, or \"64k\", \"32m\"), got " + Describe(n));
  const std::string& s = n.s;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  uint64_t unit = 1;
  const std::string suffix = s.substr(digits);
  if (suffix == "k" || suffix == "K") unit = 1u << 10;
  else if (suffix == "m" || suffix == "M") unit = 1u << 20;
  else if (suffix == "g" || suffix == "G") unit = 1u << 30;
  else if (!suffix.empty()) digits = 0;
  if (digits == 0 || digits > 12) return w.Error("expected a size such as \"64k\" or \"32m\", got \"" + s + "\"");
  const uint64_t v = std::stoull(s.substr(0, digits)) * unit;
  if (v == 0) return w.Error("expected a size > 0, got \"" + s + "\"");
  return v;
}

Status CheckKeys(const edn::Node& map, const Where& w, const std::set<std::string>& known) {
  if (!map.is(edn::Kind::kMap)) return w.Error("expected a map, got " + Describe(map));
  for (size_t i = 0; i < map.items.size(); i += 2) {
    const edn::Node& k = map.items[i];
    if (!k.is(edn::Kind::kKeyword) || known.count(k.s) == 0) {
      std::string list;
      for (const std::string& s : known) list += (list.empty() ? ":" : ", :") + s;
      return w.Error("unknown key " + edn::Print(k) + " (known: " + list + ")");
    }
  }
  return Status::OK();
}

// One engine parameter: its column name and its values, each applied to a
// RunConfig.
struct Parameter {
  std::string column;
  std::vector<std::pair<std::string, std::function<void(RunConfig*)>>> values;
};

Result<Parameter> ParseParameter(const std::string& key, const edn::Node& v, const Where& w) {
  Parameter p;
  const std::vector<const edn::Node*> vals = Values(v);
  if (vals.empty()) return w.Error("give at least one value");
  for (size_t i = 0; i < vals.size(); ++i) {
    const edn::Node& n = *vals[i];
    const Where at = vals.size() > 1 || v.is_seq() ? w.At("[" + std::to_string(i) + "]") : w;
    if (key == "memory-index-threshold" || key == "memory-index-max") {
      STRATA_ASSIGN_OR_RETURN(const uint64_t bytes, Size(n, at));
      p.column = key == "memory-index-threshold" ? "memory_index_threshold" : "memory_index_max";
      const bool threshold = key == "memory-index-threshold";
      p.values.push_back({std::to_string(bytes), [bytes, threshold](RunConfig* c) {
                            (threshold ? c->options.memory_index_threshold : c->options.memory_index_max) = bytes;
                          }});
    } else if (key == "segment-datoms") {
      if (!n.is(edn::Kind::kLong) || n.i <= 0 || n.i > (1 << 24))
        return at.Error("expected a number of datoms from 1 to 16777216, got " + edn::Print(n));
      p.column = "segment_datoms";
      const auto d = static_cast<uint32_t>(n.i);
      p.values.push_back({std::to_string(d), [d](RunConfig* c) { c->options.segment_datoms = d; }});
    } else if (key == "sync") {
      STRATA_ASSIGN_OR_RETURN(const std::string s, Name(n, at));
      SyncPolicy policy;
      if (!ParseSyncPolicy(s, &policy)) return at.Error("expected always, batch or never, got " + edn::Print(n));
      p.column = "sync";
      p.values.push_back({s, [policy](RunConfig* c) { c->options.sync = policy; }});
    } else {  // storage
      if (!n.is(edn::Kind::kString) && !n.is(edn::Kind::kKeyword))
        return at.Error("expected \"folder\" or a \"postgres://...\" location, got " + Describe(n));
      const std::string s = n.s;
      const bool pg = s.rfind("postgres://", 0) == 0 || s.rfind("postgresql://", 0) == 0;
      if (s != "folder" && !pg)
        return at.Error("expected \"folder\" or a \"postgres://...\" location, got \"" + RedactLocation(s) + "\"");
      p.column = "storage";
      p.values.push_back({pg ? RedactLocation(s) : s, [s, pg](RunConfig* c) { c->storage = pg ? s : ""; }});
    }
  }
  return p;
}

// One strategy with one value of each of its settings.
struct StrategyConfig {
  std::string name;
  std::vector<std::pair<std::string, std::string>> settings;  // key, value
  std::string Text() const {
    std::string t;
    for (const auto& [k, v] : settings) t += (t.empty() ? "" : ",") + k + "=" + v;
    return t;
  }
};

// The strategy entries, each expanded over its swept settings. Settings
// keys become parameter columns; `swept` collects the keys with several
// values (named in cell ids).
Result<std::vector<StrategyConfig>> ParseStrategies(const edn::Node& n, const Where& w, std::set<std::string>* swept) {
  const std::vector<std::string> known = StrategyNames();
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  std::vector<StrategyConfig> all, given;
  std::set<std::string> named;
  const std::vector<const edn::Node*> items = Values(n);
  if (items.empty()) return w.Error("name at least one strategy (or :all)");
  for (size_t i = 0; i < items.size(); ++i) {
    const edn::Node& item = *items[i];
    const Where at = w.At("[" + std::to_string(i) + "]");
    std::string name;
    std::vector<std::pair<std::string, std::vector<std::string>>> settings;
    if (item.is(edn::Kind::kMap)) {
      STRATA_RETURN_IF_ERROR(CheckKeys(item, at, {"name", "settings"}));
      const edn::Node* nn = item.Get("name");
      if (nn == nullptr) return at.Error("missing :name");
      STRATA_ASSIGN_OR_RETURN(name, Name(*nn, at.At(":name")));
      if (const edn::Node* s = item.Get("settings"); s != nullptr) {
        const Where sw = at.At(":settings");
        if (!s->is(edn::Kind::kMap)) return sw.Error("expected a map of the strategy's settings, got " + Describe(*s));
        for (size_t k = 0; k < s->items.size(); k += 2) {
          STRATA_ASSIGN_OR_RETURN(const std::string key, Name(s->items[k], sw));
          std::vector<std::string> texts;
          for (const edn::Node* v : Values(s->items[k + 1])) {
            STRATA_ASSIGN_OR_RETURN(std::string t, Text(*v, sw.At(edn::Print(s->items[k]))));
            texts.push_back(std::move(t));
          }
          if (texts.empty()) return sw.At(edn::Print(s->items[k])).Error("give at least one value");
          if (texts.size() > 1) swept->insert(key);
          settings.push_back({key, std::move(texts)});
        }
      }
    } else {
      STRATA_ASSIGN_OR_RETURN(name, Name(item, at));
      if (name == "all") {
        for (const std::string& k : known) all.push_back({k, {}});
        continue;
      }
    }
    if (std::find(known.begin(), known.end(), name) == known.end())
      return at.Error("unknown strategy '" + name + "' (known: " + list + ")");
    named.insert(name);
    // The cartesian product of the settings' values, each checked by the strategy.
    std::vector<StrategyConfig> configs{{name, {}}};
    for (const auto& [key, values] : settings) {
      std::vector<StrategyConfig> next;
      for (const StrategyConfig& c : configs)
        for (const std::string& v : values) {
          StrategyConfig d = c;
          d.settings.push_back({key, v});
          next.push_back(std::move(d));
        }
      configs = std::move(next);
    }
    for (const StrategyConfig& c : configs) {
      if (auto made = MakeStrategy(c.name, c.Text()); !made.ok()) return at.At(":settings").Error(made.status().message());
      given.push_back(c);
    }
  }
  std::vector<StrategyConfig> out;
  std::set<std::string> seen;
  for (const StrategyConfig& c : all)  // :all's, unless an entry names the strategy
    if (named.count(c.name) == 0 && seen.insert(c.name).second) out.push_back(c);
  std::set<std::string> texts;
  for (const StrategyConfig& c : given)
    if (texts.insert(c.name + " " + c.Text()).second) out.push_back(c);
  return out;
}

struct WorkloadSpec {
  workloads::WorkloadOptions options;
  std::vector<double> scales;  // its own :scales; empty: the experiment's
};

// :scales, a number or a vector of numbers > 0.
Result<std::vector<double>> ParseScales(const edn::Node& n, const Where& w) {
  std::vector<double> scales;
  const std::vector<const edn::Node*> vals = Values(n);
  for (size_t i = 0; i < vals.size(); ++i) {
    const edn::Node& v = *vals[i];
    const double s = v.is(edn::Kind::kLong) ? static_cast<double>(v.i) : v.is(edn::Kind::kDouble) ? v.d : -1;
    if (!(s > 0)) return w.At("[" + std::to_string(i) + "]").Error("expected a number > 0, got " + edn::Print(v));
    scales.push_back(s);
  }
  if (scales.empty()) return w.Error("give at least one scale");
  return scales;
}

Result<std::vector<WorkloadSpec>> ParseWorkloads(const edn::Node& n, const Where& w) {
  std::vector<WorkloadSpec> out;
  const std::vector<const edn::Node*> items = Values(n);
  if (items.empty()) return w.Error("name at least one workload");
  for (size_t i = 0; i < items.size(); ++i) {
    const edn::Node& item = *items[i];
    const Where at = w.At("[" + std::to_string(i) + "]");
    WorkloadSpec s;
    if (item.is(edn::Kind::kMap)) {
      STRATA_RETURN_IF_ERROR(CheckKeys(item, at, {"name", "seed", "read-ratio", "data-dir", "scales"}));
      if (const edn::Node* x = item.Get("scales"); x != nullptr) {
        STRATA_ASSIGN_OR_RETURN(s.scales, ParseScales(*x, at.At(":scales")));
      }
      const edn::Node* nn = item.Get("name");
      if (nn == nullptr) return at.Error("missing :name");
      STRATA_ASSIGN_OR_RETURN(s.options.name, Name(*nn, at.At(":name")));
      if (const edn::Node* x = item.Get("seed"); x != nullptr) {
        if (!x->is(edn::Kind::kLong) || x->i < 0) return at.At(":seed").Error("expected a number >= 0, got " + edn::Print(*x));
        s.options.seed = static_cast<uint64_t>(x->i);
      }
      if (const edn::Node* x = item.Get("read-ratio"); x != nullptr) {
        if (!x->is(edn::Kind::kLong) && !x->is(edn::Kind::kDouble))
          return at.At(":read-ratio").Error("expected a number, got " + Describe(*x));
        s.options.read_ratio = x->is(edn::Kind::kLong) ? static_cast<double>(x->i) : x->d;
      }
      if (const edn::Node* x = item.Get("data-dir"); x != nullptr) {
        if (!x->is(edn::Kind::kString)) return at.At(":data-dir").Error("expected a string, got " + Describe(*x));
        s.options.data_dir = x->s;
      }
    } else {
      STRATA_ASSIGN_OR_RETURN(s.options.name, Name(item, at));
    }
    if (auto probe = workloads::MakeWorkload(s.options); !probe.ok()) return at.Error(probe.status().message());
    out.push_back(std::move(s));
  }
  return out;
}

// FNV-1a, 64 bits: a stable hash of a cell's full description.
uint64_t Fnv(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == '_' || c == '=';
    out += ok ? c : '_';
  }
  return out;
}

std::string ScaleText(double scale) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", scale);
  return buf;
}

}  // namespace

namespace {

const std::set<std::string> kTopKeys = {"name", "workloads", "scales", "repetitions", "strategies", "parameters"};
const std::set<std::string> kParameterKeys = {"memory-index-threshold", "memory-index-max", "segment-datoms", "sync",
                                              "storage"};

// Puts `value` under :key in `map`, replacing what was there.
void Put(edn::Node* map, const std::string& key, edn::Node value) {
  for (size_t i = 0; i + 1 < map->items.size(); i += 2)
    if (map->items[i].is_keyword(key)) {
      map->items[i + 1] = std::move(value);
      return;
    }
  map->items.push_back(edn::Node::Keyword(key));
  map->items.push_back(std::move(value));
}

// Applies "KEY=EDN" overrides to the file's top-level map.
Status ApplyOverrides(edn::Node* top, const std::vector<std::string>& overrides) {
  for (const std::string& o : overrides) {
    const size_t eq = o.find('=');
    std::string key = o.substr(0, eq);
    if (!key.empty() && key[0] == ':') key.erase(0, 1);
    const std::string shown = "--set " + RedactLocation(o);
    if (eq == std::string::npos || key.empty()) return Status::InvalidArgument(shown + ": expected KEY=VALUE");
    auto value = edn::ReadOne(std::string_view(o).substr(eq + 1));
    if (!value.ok()) return Status::InvalidArgument(shown + ": the value is not EDN: " + value.status().message());
    if (kParameterKeys.count(key)) {
      edn::Node params = top->Get("parameters") != nullptr ? *top->Get("parameters") : edn::Node::Map();
      if (!params.is(edn::Kind::kMap)) return Status::InvalidArgument(shown + ": the file's :parameters is not a map");
      Put(&params, key, std::move(*value));
      Put(top, "parameters", std::move(params));
    } else if (kTopKeys.count(key) && key != "parameters") {
      Put(top, key, std::move(*value));
    } else {
      std::string list;
      for (const std::string& k : kTopKeys)
        if (k != "parameters") list += (list.empty() ? "" : ", ") + k;
      for (const std::string& k : kParameterKeys) list += ", " + k;
      return Status::InvalidArgument(shown + ": unknown key '" + key + "' (known: " + list + ")");
    }
  }
  return Status::OK();
}

}  // namespace

Result<Experiment> ParseExperiment(std::string_view text, const std::string& file, const std::string& out_dir,
                                   const std::vector<std::string>& overrides) {
  const Where w(file);
  auto read = edn::ReadOne(text);
  if (!read.ok()) return w.Error(read.status().message());
  edn::Node& top = *read;
  if (!top.is(edn::Kind::kMap)) return w.Error("expected a map, got " + Describe(top));
  STRATA_RETURN_IF_ERROR(ApplyOverrides(&top, overrides));
  STRATA_RETURN_IF_ERROR(CheckKeys(top, w, kTopKeys));
  Experiment e;
  if (const edn::Node* n = top.Get("name"); n != nullptr) {
    STRATA_ASSIGN_OR_RETURN(e.name, Name(*n, w.At(":name")));
  }
  const edn::Node* wn = top.Get("workloads");
  if (wn == nullptr) return w.Error("missing :workloads (e.g. :workloads [:uniform])");
  STRATA_ASSIGN_OR_RETURN(const std::vector<WorkloadSpec> workloads, ParseWorkloads(*wn, w.At(":workloads")));

  std::vector<double> scales{1};
  if (const edn::Node* n = top.Get("scales"); n != nullptr) {
    STRATA_ASSIGN_OR_RETURN(scales, ParseScales(*n, w.At(":scales")));
  }
  int repetitions = 1;
  if (const edn::Node* n = top.Get("repetitions"); n != nullptr) {
    if (!n->is(edn::Kind::kLong) || n->i < 1 || n->i > 1000)
      return w.At(":repetitions").Error("expected a number from 1 to 1000, got " + edn::Print(*n));
    repetitions = static_cast<int>(n->i);
  }
  std::set<std::string> swept;
  std::vector<StrategyConfig> strategies;
  if (const edn::Node* n = top.Get("strategies"); n != nullptr) {
    STRATA_ASSIGN_OR_RETURN(strategies, ParseStrategies(*n, w.At(":strategies"), &swept));
  } else {
    STRATA_ASSIGN_OR_RETURN(strategies, ParseStrategies(edn::Node::Keyword("all"), w.At(":strategies"), &swept));
  }
  std::vector<Parameter> params;
  if (const edn::Node* n = top.Get("parameters"); n != nullptr) {
    const Where pw = w.At(":parameters");
    STRATA_RETURN_IF_ERROR(
        CheckKeys(*n, pw, kParameterKeys));
    for (size_t i = 0; i < n->items.size(); i += 2) {
      STRATA_ASSIGN_OR_RETURN(Parameter p, ParseParameter(n->items[i].s, n->items[i + 1], pw.At(edn::Print(n->items[i]))));
      if (p.values.size() > 1) swept.insert(p.column);
      params.push_back(std::move(p));
    }
  }

  // Every assignment of the parameters (the cartesian product).
  using Assignment = std::vector<size_t>;  // value index per parameter
  std::vector<Assignment> assignments{Assignment(params.size(), 0)};
  for (size_t p = 0; p < params.size(); ++p) {
    std::vector<Assignment> next;
    for (const Assignment& a : assignments)
      for (size_t v = 0; v < params[p].values.size(); ++v) {
        Assignment b = a;
        b[p] = v;
        next.push_back(std::move(b));
      }
    assignments = std::move(next);
  }

  std::map<std::string, uint64_t> weights;  // workload text -> estimated steps
  std::set<std::string> ids;
  for (int rep = 1; rep <= repetitions; ++rep)
    for (const WorkloadSpec& ws : workloads)
      for (double scale : ws.scales.empty() ? scales : ws.scales)
        for (const Assignment& a : assignments)
          for (const StrategyConfig& sc : strategies) {
            ExperimentCell cell;
            RunConfig& c = cell.config;
            c.strategies = {sc.name};
            c.options.sync = SyncPolicy::kNever;  // strata run's default
            c.options.create_if_missing = true;
            c.workload = ws.options;
            c.workload.scale = scale;
            c.repetitions = 1;
            CellKey& k = cell.key;
            k.workload = ws.options.name;
            k.scale = scale;
            k.strategy = sc.name;
            k.repetition = rep;
            std::string readable = Slug(ws.options.name) + "-s" + ScaleText(scale) + "-" + sc.name;
            for (size_t p = 0; p < params.size(); ++p) {
              const auto& [text, apply] = params[p].values[a[p]];
              apply(&c);
              k.parameters[params[p].column] = text;
              if (swept.count(params[p].column)) readable += "-" + params[p].column + "=" + text;
            }
            if (c.options.memory_index_max < c.options.memory_index_threshold)
              return w.At(":parameters").Error("memory-index-max (" + std::to_string(c.options.memory_index_max) +
                                               ") is below memory-index-threshold (" +
                                               std::to_string(c.options.memory_index_threshold) + ")");
            if (!sc.settings.empty()) c.options.strategy_settings[sc.name] = sc.Text();
            for (const auto& [key, value] : sc.settings) {
              k.parameters[key] = value;
              if (swept.count(key)) readable += "-" + key + "=" + value;
            }
            const std::string full = c.workload.ToString() + "|" + sc.name + "|" + c.options.ToString() + "|" +
                                     (c.storage.empty() ? "folder" : RedactLocation(c.storage)) + "|" +
                                     std::to_string(rep);
            char hash[20];
            std::snprintf(hash, sizeof hash, "%08llx", static_cast<unsigned long long>(Fnv(full) & 0xffffffffu));
            k.id = Slug(readable) + "-r" + std::to_string(rep) + "-" + hash;
            if (!ids.insert(k.id).second) continue;  // the same cell twice (e.g. a value given twice)
            c.out_dir = out_dir + "/cells/" + k.id;
            const std::string wt = c.workload.ToString();
            if (weights.count(wt) == 0) {
              STRATA_ASSIGN_OR_RETURN(auto probe, workloads::MakeWorkload(c.workload));
              weights[wt] = std::max<uint64_t>(1, probe->EstimatedSteps());
            }
            cell.weight = weights[wt];
            e.cells.push_back(std::move(cell));
          }
  return e;
}

std::string CellResultsPath(const ExperimentCell& cell) {
  return cell.config.out_dir + "/results-" + cell.key.strategy + ".json";
}

std::optional<ResultsFile> FinishedCell(const ExperimentCell& cell) {
  std::error_code ec;
  const std::string path = CellResultsPath(cell);
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  auto f = ReadResultsFile(path);
  if (!f.ok() || f->summary.interrupted || f->repetitions.empty() || f->strategy != cell.key.strategy)
    return std::nullopt;
  return std::move(*f);
}

namespace {

// The experiment's context with this cell's start: the date and the load
// average now (a long experiment's cells run hours apart).
Context CellContext(const Context& experiment) {
  Context c = experiment;
  c.date = UtcNow();
  const LoadAverage load = ReadLoadAverage();
  c.load_avg = {load.m1, load.m5, load.m15};
  return c;
}

}  // namespace

Result<ExperimentOutcome> RunExperiment(const Experiment& e, const Context& context, ExperimentObserver* observer,
                                        const CellRunner& run) {
  ExperimentObserver quiet;
  if (observer == nullptr) observer = &quiet;
  const CellRunner runner = run ? run : CellRunner(Run);
  uint64_t total_weight = 0, done_weight = 0;
  for (const ExperimentCell& c : e.cells) total_weight += c.weight;
  ExperimentOutcome out;
  for (size_t i = 0; i < e.cells.size() && !observer->Stopped(); ++i) {
    const ExperimentCell& cell = e.cells[i];
    if (std::optional<ResultsFile> f = FinishedCell(cell)) {
      out.skipped++;
      observer->CellSkipped(cell);
      out.finished.push_back({cell.key, std::move(*f)});
      done_weight += cell.weight;
      continue;
    }
    // An interrupted or broken cell starts over in an empty folder.
    std::error_code ec;
    std::filesystem::remove_all(cell.config.out_dir, ec);
    if (ec) return Status::IOError("emptying " + cell.config.out_dir + ": " + ec.message());
    std::filesystem::create_directories(cell.config.out_dir, ec);
    if (ec) return Status::IOError("creating " + cell.config.out_dir + ": " + ec.message());
    observer->CellStarted(i, e.cells.size(), cell, done_weight, total_weight);
    auto ran = runner(cell.config, CellContext(context), observer);
    if (!ran.ok()) {
      out.error = ran.status().WithContext("cell " + cell.key.id);
      break;
    }
    out.ran++;
    if (std::optional<ResultsFile> f = FinishedCell(cell)) out.finished.push_back({cell.key, std::move(*f)});
    done_weight += cell.weight;
  }
  out.stopped = observer->Stopped();
  return out;
}

}  // namespace strata::harness
