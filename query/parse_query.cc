// The query parser's top level: :find (elements, find specs, :keys),
// :with, :in and :where, in the vector and the map form.
#include <map>

#include "parse.h"

namespace strata::query {

namespace {

Status Bad(const std::string& what, const edn::Node& form) {
  return Status::InvalidArgument(what + ": " + edn::Print(form));
}

bool IsSym(const edn::Node& n, std::string_view s) { return n.is(edn::Kind::kSymbol) && n.s == s; }
bool IsSrc(const edn::Node& n) { return n.is(edn::Kind::kSymbol) && !n.s.empty() && n.s[0] == '$'; }
// Datomic's plain-symbol: not $..., ?..., %... (a pattern-name in :in and pull).
bool IsPlain(const edn::Node& n) {
  return n.is(edn::Kind::kSymbol) && !n.s.empty() && n.s[0] != '$' && n.s[0] != '?' && n.s[0] != '%' && n.s != "_" &&
         n.s != "...";
}

Result<FindElem> ParseFindElem(const edn::Node& n) {
  FindElem f;
  f.form = n;
  if (IsVar(n)) {
    f.var = n.s;
    return f;
  }
  if (!n.is(edn::Kind::kList) || n.items.empty() || !n.items[0].is(edn::Kind::kSymbol)) {
    return Bad("expected a variable, (aggregate ?x) or (pull ?e pattern) in :find", n);
  }
  const auto& it = n.items;
  if (it[0].s == "pull") {
    f.kind = FindElem::kPull;
    size_t at = 1;
    if (at < it.size() && IsSrc(it[at])) f.src = it[at++].s;
    if (it.size() != at + 2 || !IsVar(it[at])) return Bad("expected (pull ?e pattern)", n);
    f.var = it[at].s;
    if (IsVar(it[at + 1]) || IsPlain(it[at + 1])) f.pattern_var = it[at + 1].s;
    else f.pattern = it[at + 1];
    return f;
  }
  f.kind = FindElem::kAgg;
  f.fn = it[0].s;
  if (it.size() < 2 || !IsVar(it.back())) return Bad("expected (" + f.fn + " ... ?var) in :find", n);
  f.var = it.back().s;
  for (size_t i = 1; i + 1 < it.size(); ++i) {
    if (IsVar(it[i])) {  // bound by :in, resolved when the result is built
      f.args.emplace_back();
      f.arg_vars.push_back(it[i].s);
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(Val v, FromEdn(it[i]));
    f.args.push_back(std::move(v));
    f.arg_vars.emplace_back();
  }
  return f;
}

Status ParseFind(const std::vector<edn::Node>& items, const edn::Node& q, Query* out) {
  if (items.empty()) return Bad("empty :find in query", q);
  if (items.size() == 2 && IsSym(items[1], ".")) {
    out->find_kind = Query::kScalar;
    STRATA_ASSIGN_OR_RETURN(FindElem f, ParseFindElem(items[0]));
    out->find.push_back(std::move(f));
    return Status::OK();
  }
  if (items.size() == 1 && items[0].is(edn::Kind::kVector)) {
    const auto& v = items[0].items;
    if (v.size() == 2 && IsSym(v[1], "...")) {
      out->find_kind = Query::kColl;
      STRATA_ASSIGN_OR_RETURN(FindElem f, ParseFindElem(v[0]));
      out->find.push_back(std::move(f));
      return Status::OK();
    }
    out->find_kind = Query::kTuple;
    for (const auto& x : v) {
      STRATA_ASSIGN_OR_RETURN(FindElem f, ParseFindElem(x));
      out->find.push_back(std::move(f));
    }
    if (out->find.empty()) return Bad("empty tuple in :find", q);
    return Status::OK();
  }
  for (const auto& x : items) {
    STRATA_ASSIGN_OR_RETURN(FindElem f, ParseFindElem(x));
    out->find.push_back(std::move(f));
  }
  return Status::OK();
}

Status ParseIn(const std::vector<edn::Node>& items, Query* out) {
  for (const auto& x : items) {
    InSpec in;
    in.form = x;
    if (IsSrc(x)) {
      in.kind = InSpec::kSrc;
      in.name = x.s;
    } else if (IsSym(x, "%")) {
      in.kind = InSpec::kRules;
    } else if (IsPlain(x)) {
      in.kind = InSpec::kPattern;
      in.name = x.s;
    } else {
      STRATA_ASSIGN_OR_RETURN(in.binding, ParseBinding(x, x));
    }
    out->in.push_back(std::move(in));
  }
  return Status::OK();
}

}  // namespace

Result<Query> ParseQuery(const edn::Node& q) {
  // The map form {:find [...] :in [...] :where [...]} and the vector form.
  std::map<std::string, std::vector<edn::Node>> parts;
  std::vector<std::string> order;
  if (q.is(edn::Kind::kMap)) {
    for (size_t i = 0; i + 1 < q.items.size(); i += 2) {
      const edn::Node& k = q.items[i];
      const edn::Node& v = q.items[i + 1];
      if (!k.is(edn::Kind::kKeyword)) return Bad("query map keys are keywords", q);
      if (!v.is_seq()) return Bad(":" + k.s + " takes a vector", q);
      parts[k.s] = v.items;
    }
  } else if (q.is(edn::Kind::kVector) || q.is(edn::Kind::kList)) {
    std::string cur;
    for (const auto& x : q.items) {
      if (x.is(edn::Kind::kKeyword)) {
        cur = x.s;
        if (parts.count(cur)) return Bad("repeated :" + cur + " in query", q);
        parts[cur];
      } else if (cur.empty()) {
        return Bad("a query starts with :find", q);
      } else {
        parts[cur].push_back(x);
      }
    }
  } else {
    return Bad("a query is a vector or a map", q);
  }
  for (const auto& [k, _] : parts) {
    if (k != "find" && k != "in" && k != "where" && k != "with" && k != "keys" && k != "syms" && k != "strs") {
      return Bad("unknown query section :" + k, q);
    }
  }
  if (!parts.count("find")) return Bad("a query needs :find", q);
  Query out;
  STRATA_RETURN_IF_ERROR(ParseFind(parts["find"], q, &out));
  for (const char* k : {"keys", "syms", "strs"}) {
    if (!parts.count(k)) continue;
    if (out.keys_kind != Query::kNoKeys) return Bad("only one of :keys, :syms, :strs", q);
    out.keys_kind = k[1] == 'e' ? Query::kKeys : k[1] == 'y' ? Query::kSyms : Query::kStrs;
    for (const auto& x : parts[k]) {
      if (!x.is(edn::Kind::kSymbol) && !x.is(edn::Kind::kKeyword) && !x.is(edn::Kind::kString)) {
        return Bad(std::string(":") + k + " takes names", q);
      }
      out.keys.push_back(x.s);
    }
    if (out.keys.size() != out.find.size()) {
      return Bad(std::string(":") + k + " has " + std::to_string(out.keys.size()) + " names for " +
                     std::to_string(out.find.size()) + " :find elements",
                 q);
    }
  }
  for (const auto& x : parts["with"]) {
    if (!IsVar(x)) return Bad(":with takes variables", q);
    out.with.push_back(x.s);
  }
  if (parts.count("in")) {
    STRATA_RETURN_IF_ERROR(ParseIn(parts["in"], &out));
  } else {
    InSpec db;
    db.kind = InSpec::kSrc;
    db.name = "$";
    out.in.push_back(db);
  }
  for (const auto& x : parts["where"]) {
    STRATA_ASSIGN_OR_RETURN(Clause c, ParseClause(x));
    if (c.kind == Clause::kAnd) return Bad("'and' belongs inside 'or'", x);
    out.where.push_back(std::move(c));
  }
  return out;
}

}  // namespace strata::query
