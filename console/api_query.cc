// The console's query endpoints: q, pull, and transact (--writable).
#include <algorithm>
#include <chrono>

#include "cli/query_commands.h"
#include "console/api.h"
#include "strata/pull.h"

namespace strata::console {

Result<Database> ViewParams(const Source& src, const Params& p);
Result<edn::Node> EdnParam(const Params& p, const std::string& name);

namespace {

// The :in forms of a query (vector or map form); [$] when it has none.
std::vector<edn::Node> InForms(const edn::Node& q) {
  if (q.is(edn::Kind::kMap)) {
    if (const edn::Node* in = q.Get("in"); in && in->is_seq()) return in->items;
  } else if (q.is_seq()) {
    std::vector<edn::Node> out;
    bool in_section = false, has_in = false;
    for (const auto& x : q.items) {
      if (x.is(edn::Kind::kKeyword)) {
        in_section = x.s == "in";
        has_in = has_in || in_section;
      } else if (in_section) {
        out.push_back(x);
      }
    }
    if (has_in) return out;
  }
  return {edn::Node::Symbol("$")};
}

// The :find elements as column names ("?name", "(count ?e)").
Json Columns(const edn::Node& q) {
  Json cols = Json::array();
  const std::vector<edn::Node>* find = nullptr;
  std::vector<edn::Node> items;
  if (q.is(edn::Kind::kMap)) {
    if (const edn::Node* f = q.Get("find"); f && f->is_seq()) find = &f->items;
  } else if (q.is_seq()) {
    bool in_find = false;
    for (const auto& x : q.items) {
      if (x.is(edn::Kind::kKeyword)) {
        in_find = x.s == "find";
      } else if (in_find) {
        items.push_back(x);
      }
    }
    find = &items;
  }
  if (find == nullptr) return cols;
  for (const auto& x : *find) {
    // [?a ?b] (a tuple) and [?a ...] (a collection) name their variables.
    if (x.is(edn::Kind::kVector)) {
      for (const auto& y : x.items)
        if (!(y.is(edn::Kind::kSymbol) && y.s == "...")) cols.push_back(edn::Print(y));
    } else if (!(x.is(edn::Kind::kSymbol) && x.s == ".")) {
      cols.push_back(edn::Print(x));
    }
  }
  return cols;
}

Json StatsJson(const QueryStats& s, double ms) {
  return Json{{"tuples", s.tuples}, {"datoms", s.datoms}, {"index_lookups", s.index_lookups},
              {"rule_rounds", s.rule_rounds}, {"ms", ms}};
}

// A limit's error says which console flag raises it (as `strata q` does).
Status WithHint(const Status& s) {
  const std::string hint = cli::LimitHint(s);
  if (hint.empty()) return s;
  // "; --timeout S raises it": the same flag of `strata console`.
  const std::string msg = s.message() + hint + " (a flag of strata console)";
  return s.code() == Code::kBusy ? Status::Busy(msg) : Status::Aborted(msg);
}

}  // namespace

Result<Json> ApiQuery(const Source& src, const Params& p, const Limits& limits) {
  STRATA_ASSIGN_OR_RETURN(edn::Node q, EdnParam(p, "query"));
  STRATA_ASSIGN_OR_RETURN(Database view, ViewParams(src, p));
  std::optional<edn::Node> rules;
  if (!Param(p, "rules").empty()) {
    STRATA_ASSIGN_OR_RETURN(rules, EdnParam(p, "rules"));
    if (Status s = ParseRuleSet(*rules); !s.ok()) return s.WithContext("parameter rules");
  }
  const std::vector<std::string> texts = ParamAll(p, "input");
  std::vector<QueryInput> inputs;
  size_t next = 0;
  bool db_bound = false;
  for (const auto& form : InForms(q)) {
    if (form.is(edn::Kind::kSymbol) && form.s == "%") {
      if (!rules) return Status::InvalidArgument("the query takes rules (%): give the rules parameter");
      inputs.push_back(*rules);
      continue;
    }
    if (form.is(edn::Kind::kSymbol) && !form.s.empty() && form.s[0] == '$' && !db_bound) {
      inputs.push_back(view);
      db_bound = true;
      continue;
    }
    if (next >= texts.size())
      return Status::InvalidArgument("the query's :in needs an input for " + edn::Print(form) + " (" +
                                     std::to_string(texts.size()) + " given)");
    const std::string& text = texts[next++];
    if (text == "log") {
      if (src.log_connection() == nullptr)
        return Status::InvalidArgument("input `log`: a console running as a peer reads no log");
      inputs.push_back(LogSource{src.log_connection()});
      continue;
    }
    auto node = edn::ReadOne(text);
    if (!node.ok())
      return Status::InvalidArgument("input " + std::to_string(next) + " '" + text + "': " + node.status().message());
    inputs.push_back(*node);
  }
  if (next < texts.size())
    return Status::InvalidArgument(std::to_string(texts.size() - next) + " more inputs than the query's :in takes");
  QueryOptions options;
  options.timeout_ms = limits.timeout_ms;
  options.max_tuples = limits.max_tuples;
  options.max_bytes = limits.max_bytes;
  QueryStats stats;
  const auto start = std::chrono::steady_clock::now();
  auto result = Q(q, inputs, options, &stats);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) return WithHint(result.status());
  Json out = Json::object();
  out["columns"] = Columns(q);
  out["result"] = cli::EdnToJson(*result);
  out["edn"] = edn::Print(*result);
  out["stats"] = StatsJson(stats, ms);
  return out;
}

Result<Json> ApiPull(const Source& src, const Params& p, const Limits& limits) {
  STRATA_ASSIGN_OR_RETURN(edn::Node pattern, EdnParam(p, "pattern"));
  STRATA_ASSIGN_OR_RETURN(edn::Node eid, EdnParam(p, "e"));
  STRATA_ASSIGN_OR_RETURN(Database view, ViewParams(src, p));
  PullOptions options;
  options.timeout_ms = limits.timeout_ms;
  auto result = Pull(view, pattern, eid, options);
  if (!result.ok()) return WithHint(result.status());
  return Json{{"result", cli::EdnToJson(*result)}, {"edn", edn::Print(*result)}};
}

Result<Json> ApiTransact(Source& src, const Params& p) {
  if (!src.writable()) return Status::InvalidArgument("the console is read-only: start it with --writable to transact");
  const std::string text = Param(p, "tx");
  if (text.empty()) return Status::InvalidArgument("parameter tx is required: tx data, EDN");
  auto tx = edn::ReadOne(text);
  if (!tx.ok()) return Status::InvalidArgument("parameter tx: " + tx.status().message());
  STRATA_ASSIGN_OR_RETURN(TxReport r, src.Transact(text));
  return cli::TxReportToJson(r);
}

}  // namespace strata::console
