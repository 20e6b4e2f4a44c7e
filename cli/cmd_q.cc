// `strata q`: a Datalog query on an existing database; and the helpers the
// query commands share (views, JSON, repeated runs, registration).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/flags.h"
#include "cli/query_commands.h"
#include "cli/sources.h"
#include "strata/connection.h"
#include "strata/query.h"

namespace strata::cli {

Result<Database> WithBase(const Database& now, const ReadViewArgs& args) {
  if (args.with.empty()) return now;
  return WithFile(now, args.with, "--with");
}

Result<Database> ReadView(const Database& now, const ReadViewArgs& args) {
  STRATA_ASSIGN_OR_RETURN(Database base, WithBase(now, args));
  return ViewOf(base, args.as_of, args.since, args.history);
}

Json EdnToJson(const edn::Node& n) {
  switch (n.kind) {
    case edn::Kind::kNil: return nullptr;
    case edn::Kind::kBool: return n.b;
    case edn::Kind::kLong: return n.i;
    case edn::Kind::kDouble: return DoubleToJson(n.d);
    case edn::Kind::kString: return JsonString(n.s);
    case edn::Kind::kKeyword: return JsonKeyword(n.s);
    case edn::Kind::kSymbol: return n.s;
    case edn::Kind::kInst: return edn::FormatInstant(n.i);
    case edn::Kind::kUuid: return n.uuid.ToString();
    case edn::Kind::kMap: {
      Json o = Json::object();
      for (size_t i = 0; i + 1 < n.items.size(); i += 2) {
        const edn::Node& k = n.items[i];
        std::string key = k.is(edn::Kind::kKeyword)  ? JsonKeyword(k.s)
                          : k.is(edn::Kind::kString) ? JsonString(k.s)
                                                     : edn::Print(k);
        o[key] = EdnToJson(n.items[i + 1]);
      }
      return o;
    }
    case edn::Kind::kTagged: return edn::Print(n);
    default: {
      Json a = Json::array();
      for (const auto& x : n.items) a.push_back(EdnToJson(x));
      return a;
    }
  }
}

Result<edn::Node> Repeat(const ReadViewArgs& args, const std::function<Result<edn::Node>()>& read) {
  const uint64_t n = std::max<uint64_t>(args.repeat, 1);
  std::vector<double> us;
  us.reserve(n);
  Result<edn::Node> last = edn::Node::Nil();
  for (uint64_t i = 0; i < n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    last = read();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (!last.ok()) return last;
  }
  if (args.repeat > 0) {
    double sum = 0;
    for (double x : us) sum += x;
    std::vector<double> sorted = us;
    std::sort(sorted.begin(), sorted.end());
    auto pct = [&](double p) { return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))]; };
    Json line = Json::object();
    line["repeat"] = args.repeat;
    line["mean_us"] = sum / static_cast<double>(us.size());
    line["p50_us"] = pct(0.50);
    line["p99_us"] = pct(0.99);
    std::fprintf(stderr, "%s\n", DumpJson(line).c_str());
  }
  return last;
}

void PrintResult(const ReadViewArgs& args, const edn::Node& result) {
  PrintLine(args.format == Format::kJson ? DumpJson(EdnToJson(result)) : edn::Print(result));
}

void PrintExplained(const ReadViewArgs& args, const edn::Node& result, const edn::Node& stats,
                    const std::string& stats_json) {
  if (args.format == Format::kJson) {
    Json j = Json::object();
    j["ret"] = EdnToJson(result);
    const Json stats_j = Json::parse(stats_json);
    for (const auto& [k, v] : stats_j.items()) j[k] = v;
    PrintLine(DumpJson(j));
    return;
  }
  edn::Node m = edn::Node::Map({edn::Node::Keyword("ret"), result});
  m.items.insert(m.items.end(), stats.items.begin(), stats.items.end());
  PrintLine(edn::Print(m));
}

uint64_t TimeoutMs(const ReadViewArgs& args) {
  if (!(args.timeout_s > 0)) return 0;
  return std::max<uint64_t>(1, static_cast<uint64_t>(args.timeout_s * 1000 + 0.5));
}

std::string LimitHint(const Status& s) {
  const std::string& m = s.message();
  if (s.code() == Code::kAborted && m.find("timed out") != std::string::npos) return "; --timeout S raises it (0: no limit)";
  if (s.code() != Code::kBusy) return "";
  if (m.find("max_tuples") != std::string::npos) return "; --max-tuples N raises it";
  if (m.find("max_bytes") != std::string::npos) return "; --max-bytes SIZE raises it";
  return "";
}

namespace {

// The :in forms of a query (vector or map form); [$] when it has none.
std::vector<edn::Node> InForms(const edn::Node& q, bool* has_in) {
  *has_in = false;
  if (q.is(edn::Kind::kMap)) {
    if (const edn::Node* in = q.Get("in"); in && in->is_seq()) {
      *has_in = true;
      return in->items;
    }
  } else if (q.is_seq()) {
    std::vector<edn::Node> out;
    bool in_section = false;
    for (const auto& x : q.items) {
      if (x.is(edn::Kind::kKeyword)) {
        in_section = x.s == "in";
        *has_in = *has_in || in_section;
      } else if (in_section) {
        out.push_back(x);
      }
    }
    if (*has_in) return out;
  }
  return {edn::Node::Symbol("$")};
}

// Adds `:in $ %` to a query that has no :in (for --rules).
edn::Node WithRulesIn(edn::Node q) {
  if (q.is(edn::Kind::kMap)) {
    q.items.push_back(edn::Node::Keyword("in"));
    q.items.push_back(edn::Node::Vector({edn::Node::Symbol("$"), edn::Node::Symbol("%")}));
    return q;
  }
  auto where = std::find_if(q.items.begin(), q.items.end(), [](const edn::Node& x) { return x.is_keyword("where"); });
  q.items.insert(where, {edn::Node::Keyword("in"), edn::Node::Symbol("$"), edn::Node::Symbol("%")});
  return q;
}

}  // namespace

int RunQuery(const QueryArgs& args) {
  std::unique_ptr<Connection> conn;
  return RunQuery(args, [&]() -> Result<ReadSource> {
    STRATA_ASSIGN_OR_RETURN(conn, OpenExisting(args.db));
    return ReadSource{conn->db(), conn.get()};
  });
}

int RunQuery(const QueryArgs& args, const std::function<Result<ReadSource>()>& open) {
  auto query = edn::ReadOne(args.query);
  if (!query.ok()) return Fail("query: " + query.status().message());
  edn::Node q = *query;
  edn::Node rules;
  if (!args.rules.empty()) {
    auto text = ReadTextFile(args.rules);
    if (!text.ok()) return Fail("--rules: " + text.status().message());
    auto r = edn::ReadOne(*text);
    if (!r.ok()) return Fail("--rules " + args.rules + ": " + r.status().message());
    rules = *r;
  }
  std::map<std::string, SourceSpec> named;
  for (const std::string& text : args.sources) {
    auto spec = ParseSourceSpec(text);
    if (!spec.ok()) return Fail(spec.status().message());
    if (!named.emplace(spec->name, *spec).second) return Fail("--source " + spec->name + " is given twice");
  }
  bool has_in = false;
  std::vector<edn::Node> in = InForms(q, &has_in);
  if (!has_in && !args.rules.empty()) {
    q = WithRulesIn(q);
    in = InForms(q, &has_in);
  }
  auto is_source = [](const edn::Node& f) { return f.is(edn::Kind::kSymbol) && !f.s.empty() && f.s[0] == '$'; };
  for (const auto& [name, spec] : named) {
    if (std::none_of(in.begin(), in.end(), [&](const edn::Node& f) { return is_source(f) && f.s == name; })) {
      return Fail("--source " + name + ": the query's :in has no " + name + (has_in ? "" : " (the query has no :in)"));
    }
  }
  // Which :in source --db binds: $; when the :in has no $, the first
  // source no --source names, unless the INPUTs fill every remaining
  // binding (then `:in $data` takes its collection from the command line).
  std::vector<const edn::Node*> rest;
  for (const auto& f : in) {
    if (f.is(edn::Kind::kSymbol) && f.s == "%") continue;
    if (is_source(f) && named.count(f.s)) continue;
    rest.push_back(&f);
  }
  std::string db_target;
  if (std::any_of(in.begin(), in.end(), [&](const edn::Node& f) { return is_source(f) && f.s == "$"; })) {
    db_target = "$";  // (--source '$=...' rebinds it; --db then only lends its value to other specs)
  } else if (args.inputs.size() != rest.size()) {
    for (const edn::Node* f : rest) {
      if (is_source(*f)) {
        db_target = f->s;
        break;
      }
    }
  }

  auto source = open();
  if (!source.ok()) return Fail(source.status().message());
  auto base = WithBase(source->db, args);
  if (!base.ok()) return Fail(ErrorText(base.status()));
  auto view = ViewOf(*base, args.as_of, args.since, args.history);
  if (!view.ok()) return Fail(view.status().message());
  SourceResolver resolver(*base, true);

  std::vector<QueryInput> inputs;
  size_t next = 0;
  for (const auto& form : in) {
    if (form.is(edn::Kind::kSymbol) && form.s == "%") {
      if (args.rules.empty()) return Fail("the query takes rules (%): pass --rules FILE");
      inputs.push_back(rules);
      continue;
    }
    if (is_source(form)) {
      if (auto it = named.find(form.s); it != named.end()) {
        auto resolved = resolver.Resolve(it->second);
        if (!resolved.ok()) return Fail(ErrorText(resolved.status()));
        if (auto* db = std::get_if<Database>(&*resolved)) {
          inputs.push_back(*db);
        } else {
          inputs.push_back(std::get<edn::Node>(*resolved));
        }
        continue;
      }
      if (form.s == db_target) {
        inputs.push_back(*view);
        continue;
      }
    }
    if (next >= args.inputs.size()) {
      std::string hint;
      if (is_source(form)) hint = ": pass --source '" + form.s + "=DIR[:as-of:T|:since:T|:history...]' or '" + form.s + "=@FILE.edn', or an EDN INPUT";
      return Fail("the query's :in needs an input for " + edn::Print(form) + " (" + std::to_string(args.inputs.size()) +
                  " given)" + hint);
    }
    const std::string& text = args.inputs[next++];
    if (text == "log") {
      if (source->log == nullptr) return Fail("input `log`: the log is not readable here (a peer reads no log)");
      inputs.push_back(LogSource{source->log});
      continue;
    }
    auto node = edn::ReadOne(text);
    if (!node.ok()) return Fail("input " + std::to_string(next) + " '" + text + "': " + node.status().message());
    inputs.push_back(*node);
  }
  if (next < args.inputs.size()) {
    std::string takes;
    for (const auto& f : in) takes += (takes.empty() ? "" : " ") + edn::Print(f);
    return Fail(std::to_string(args.inputs.size() - next) + " more INPUTs than the query's :in takes (:in " + takes +
                "; --db binds " + (db_target.empty() ? "none of them" : db_target) + ")");
  }
  QueryOptions options;
  options.timeout_ms = TimeoutMs(args);
  options.max_tuples = args.max_tuples;
  options.max_bytes = args.max_bytes;
  options.explain = args.explain;
  QueryStats stats;  // the last run's
  auto result = Repeat(args, [&] { return Q(q, inputs, options, &stats); });
  if (!result.ok()) return Fail("query: " + ErrorText(result.status()) + LimitHint(result.status()));
  if (args.explain) PrintExplained(args, *result, ExplainEdn(q, stats), ExplainJson(q, stats));
  else PrintResult(args, *result);
  return 0;
}

namespace {

void AddViewFlags(CLI::App* cmd, ReadViewArgs* a) {
  cmd->add_option("--db", a->db, "database folder (must exist)")->required()->option_text("DIR");
  cmd->add_option("--as-of", a->as_of, "read the database as of T: a t, a tx id, or an instant")->option_text("T");
  cmd->add_option("--since", a->since, "only datoms added after T (T excluded)")->option_text("T");
  cmd->add_flag("--history", a->history, "every assertion and retraction ever recorded");
  cmd->add_option("--with", a->with,
                  "apply the transactions of an EDN file (one or more tx vectors) to the --db value first,\n"
                  "speculatively (Datomic's with): the read sees them, nothing is committed")
      ->option_text("FILE");
  AddFormatFlag(cmd, &a->format);
  cmd->add_option("--repeat", a->repeat, "run the read N times; timing as one JSON line on stderr")
      ->option_text("N");
  cmd->add_flag("--explain", a->explain,
                "print {:ret result :query-stats .. :io-stats ..}: rows in and out per clause (q), index leaves "
                "read, cache hits, storage reads, sources merged");
  cmd->add_option("--timeout", a->timeout_s, "stop a read running longer than S seconds, with exit 1 (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->option_text("S (default 60)");
}

}  // namespace

void AddQueryCommands(CLI::App& app, int* exit_code) {
  auto q = std::make_shared<QueryArgs>();
  CLI::App* qc = app.add_subcommand(
      "q", "Run a Datalog query. Example:\n"
           "  strata q --db DIR '[:find ?n :in $ ?min :where [?e :item/count ?c] [(>= ?c ?min)] [?e :item/id ?n]]' 10");
  AddViewFlags(qc, q.get());
  qc->add_option("query", q->query, "the query, EDN")->required()->option_text("QUERY");
  qc->add_option("inputs", q->inputs, "the query's other :in inputs, EDN (`log` for the log)")->option_text("INPUT...");
  qc->add_option("--source", q->sources,
                 "bind a source of the query's :in: NAME=@FILE (an EDN collection of tuples) or\n"
                 "NAME=[DIR][:as-of:T][:since:T][:history][:with:FILE][:filter:F]: a database (empty DIR: --db's)\n"
                 "with views applied left to right; F is not-tx:T[,T..], not-tx-with:ATTR or attrs:ATTR[,ATTR..].\n"
                 "Repeatable. Example: --source '$since=:since:1004'")
      ->option_text("NAME=SPEC");
  qc->add_option("--rules", q->rules, "EDN file of rules, bound to % (added to :in when the query has none)")
      ->option_text("FILE");
  qc->add_option("--max-tuples", q->max_tuples, "fail when an intermediate relation holds more tuples")
      ->option_text("N (default 20000000)");
  qc->add_option("--max-bytes", q->max_bytes, "fail when an intermediate relation holds more bytes (suffixes: kb mb gb)")
      ->transform(CLI::AsSizeValue(false))
      ->option_text("SIZE (default 1gb)");
  qc->callback([q, exit_code] { *exit_code = RunQuery(*q); });

  auto p = std::make_shared<PullArgs>();
  CLI::App* pc = app.add_subcommand(
      "pull", "Pull a pattern from an entity. Example:\n"
              "  strata pull --db DIR '[:artist/name {:artist/country [:country/name]}]' '[:artist/gid #uuid \"678d88b2-87b0-403b-b63d-5da7465aecc3\"]'");
  AddViewFlags(pc, p.get());
  pc->add_option("pattern", p->pattern, "the pull pattern, EDN")->required()->option_text("PATTERN");
  pc->add_option("entity", p->entity, "an entity id, ident or lookup ref, EDN")->required()->option_text("ENTITY");
  pc->callback([p, exit_code] { *exit_code = RunPull(*p); });
}

}  // namespace strata::cli
