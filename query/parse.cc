// The clause parser: data patterns, expressions, rule calls, not/or,
// binding forms, and rule sets. parse_query.cc parses the query around them.
#include "parse.h"

namespace strata::query {

namespace {

Status Bad(const std::string& what, const edn::Node& form) {
  return Status::InvalidArgument(what + ": " + edn::Print(form));
}

bool IsSym(const edn::Node& n, std::string_view s) { return n.is(edn::Kind::kSymbol) && n.s == s; }
bool IsSrc(const edn::Node& n) { return n.is(edn::Kind::kSymbol) && !n.s.empty() && n.s[0] == '$'; }
bool IsBlank(const edn::Node& n) { return IsSym(n, "_"); }

// A constant, variable or `_` in a data pattern or rule call.
Result<Term> PatternTerm(const edn::Node& n, const edn::Node& clause) {
  Term t;
  t.node = n;
  if (IsVar(n)) {
    t.kind = Term::kVar;
    t.name = n.s;
  } else if (IsBlank(n)) {
    t.kind = Term::kBlank;
  } else if (n.is(edn::Kind::kSymbol)) {
    return Bad("unexpected symbol " + n.s + " in clause", clause);
  } else {
    STRATA_ASSIGN_OR_RETURN(t.val, FromEdn(n));
    t.kind = Term::kConst;
  }
  return t;
}

}  // namespace

Result<Binding> ParseBinding(const edn::Node& n, const edn::Node& form) {
  Binding b;
  auto var = [&](const edn::Node& x) -> Result<std::string> {
    if (IsVar(x)) return x.s;
    if (IsBlank(x)) return std::string("_");
    return Bad("expected a variable or _ in binding " + edn::Print(n), form);
  };
  if (IsVar(n) || IsBlank(n)) {
    b.kind = Binding::kScalar;
    b.vars.push_back(IsBlank(n) ? "_" : n.s);
    return b;
  }
  if (!n.is(edn::Kind::kVector) || n.items.empty()) return Bad("malformed binding " + edn::Print(n), form);
  if (n.items.size() == 2 && IsSym(n.items[1], "...")) {
    b.kind = Binding::kColl;
    STRATA_ASSIGN_OR_RETURN(std::string v, var(n.items[0]));
    b.vars.push_back(v);
    return b;
  }
  if (n.items.size() == 1 && n.items[0].is(edn::Kind::kVector)) {
    b.kind = Binding::kRel;
    for (const auto& x : n.items[0].items) {
      STRATA_ASSIGN_OR_RETURN(std::string v, var(x));
      b.vars.push_back(v);
    }
    if (b.vars.empty()) return Bad("empty relation binding", form);
    return b;
  }
  b.kind = Binding::kTuple;
  for (const auto& x : n.items) {
    STRATA_ASSIGN_OR_RETURN(std::string v, var(x));
    b.vars.push_back(v);
  }
  return b;
}

namespace {

Result<Clauses> ParseClauses(const std::vector<edn::Node>& items, size_t from, const edn::Node& form) {
  Clauses out;
  for (size_t i = from; i < items.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(Clause c, ParseClause(items[i]));
    out.push_back(std::move(c));
  }
  if (out.empty()) return Bad("expected at least one clause in", form);
  return out;
}

Result<std::vector<std::string>> VarList(const edn::Node& n, const edn::Node& form, std::vector<std::string>* required) {
  if (!n.is(edn::Kind::kVector)) return Bad("expected a vector of variables", form);
  std::vector<std::string> out;
  for (const auto& x : n.items) {
    if (x.is(edn::Kind::kVector) && required != nullptr) {
      for (const auto& r : x.items) {
        if (!IsVar(r)) return Bad("expected a variable in " + edn::Print(x), form);
        required->push_back(r.s);
        out.push_back(r.s);
      }
    } else if (IsVar(x)) {
      out.push_back(x.s);
    } else {
      return Bad("expected a variable, got " + edn::Print(x), form);
    }
  }
  return out;
}

Status ParseSpecial(const std::string& op, const edn::Node& n, size_t at, Clause* c) {
  const auto& it = n.items;
  if (op == "not" || op == "not-join") {
    c->kind = Clause::kNot;
    if (op == "not-join") {
      if (at + 1 >= it.size()) return Bad("expected (not-join [vars] clause...)", n);
      STRATA_ASSIGN_OR_RETURN(c->join_vars, VarList(it[at + 1], n, nullptr));
      c->join_explicit = true;
      ++at;
    }
    STRATA_ASSIGN_OR_RETURN(Clauses body, ParseClauses(it, at + 1, n));
    c->branches.push_back(std::move(body));
    return Status::OK();
  }
  if (op == "or" || op == "or-join") {
    c->kind = Clause::kOr;
    if (op == "or-join") {
      if (at + 1 >= it.size()) return Bad("expected (or-join [vars] clause...)", n);
      STRATA_ASSIGN_OR_RETURN(c->join_vars, VarList(it[at + 1], n, &c->required));
      c->join_explicit = true;
      ++at;
    }
    for (size_t i = at + 1; i < it.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(Clause b, ParseClause(it[i]));
      if (b.kind == Clause::kAnd) c->branches.push_back(std::move(b.branches[0]));
      else c->branches.push_back(Clauses{std::move(b)});
    }
    if (c->branches.empty()) return Bad("expected at least one branch in", n);
    if (!c->join_explicit) {
      std::set<std::string> first;
      for (size_t b = 0; b < c->branches.size(); ++b) {
        std::set<std::string> vars;
        for (const auto& x : c->branches[b]) ClauseVars(x, &vars);
        if (b == 0) first = vars;
        else if (vars != first) return Bad("all branches of 'or' must use the same variables (use or-join)", n);
      }
      c->join_vars.assign(first.begin(), first.end());
    }
    return Status::OK();
  }
  if (op == "and") {
    c->kind = Clause::kAnd;
    STRATA_ASSIGN_OR_RETURN(Clauses body, ParseClauses(it, at + 1, n));
    c->branches.push_back(std::move(body));
    return Status::OK();
  }
  return Status::NotFound(op);
}

}  // namespace

Result<Clause> ParseClause(const edn::Node& n) {
  Clause c;
  c.form = n;
  if (n.is(edn::Kind::kVector) && !n.items.empty() && n.items[0].is(edn::Kind::kList)) {
    // [(f args...) binding?]
    const edn::Node& call = n.items[0];
    if (n.items.size() > 2) return Bad("expected [(function args...) binding?]", n);
    if (call.items.empty() || !call.items[0].is(edn::Kind::kSymbol)) return Bad("expected a function name in", n);
    c.name = call.items[0].s;
    for (size_t i = 1; i < call.items.size(); ++i) {
      const edn::Node& a = call.items[i];
      Term t;
      t.node = a;
      if (IsSrc(a)) {
        t.kind = Term::kSrc;
        t.name = a.s;
      } else if (IsVar(a)) {
        t.kind = Term::kVar;
        t.name = a.s;
      } else if (a.is(edn::Kind::kSymbol)) {
        return Bad("unexpected symbol " + a.s + " in", n);
      } else {
        STRATA_ASSIGN_OR_RETURN(t.val, FromEdn(a));
        t.kind = Term::kConst;
      }
      c.terms.push_back(std::move(t));
    }
    if (n.items.size() == 2) {
      c.kind = Clause::kFn;
      STRATA_ASSIGN_OR_RETURN(c.binding, ParseBinding(n.items[1], n));
    } else {
      c.kind = Clause::kPred;
    }
    return c;
  }
  if (n.is(edn::Kind::kVector)) {
    c.kind = Clause::kPattern;
    size_t at = 0;
    if (!n.items.empty() && IsSrc(n.items[0])) c.src = n.items[at++].s;
    if (n.items.size() - at < 1 || n.items.size() - at > 5) return Bad("a data pattern has 1 to 5 positions", n);
    for (size_t i = at; i < n.items.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(Term t, PatternTerm(n.items[i], n));
      c.terms.push_back(std::move(t));
    }
    return c;
  }
  if (n.is(edn::Kind::kList) && !n.items.empty()) {
    size_t at = 0;
    if (IsSrc(n.items[0])) c.src = n.items[at++].s;
    if (at >= n.items.size() || !n.items[at].is(edn::Kind::kSymbol)) return Bad("expected a rule name in", n);
    const std::string op = n.items[at].s;
    Status s = ParseSpecial(op, n, at, &c);
    if (s.ok()) return c;
    if (!s.IsNotFound()) return s;
    c.kind = Clause::kRule;
    c.name = op;
    for (size_t i = at + 1; i < n.items.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(Term t, PatternTerm(n.items[i], n));
      c.terms.push_back(std::move(t));
    }
    return c;
  }
  return Bad("expected a clause (data pattern, [(fn ...)], (rule ...), not, or)", n);
}

bool IsVar(const edn::Node& n) { return n.is(edn::Kind::kSymbol) && n.s.size() > 1 && n.s[0] == '?'; }

void ClauseVars(const Clause& c, std::set<std::string>* out) {
  switch (c.kind) {
    case Clause::kNot:
    case Clause::kOr:
      if (c.join_explicit) {
        out->insert(c.join_vars.begin(), c.join_vars.end());
        return;
      }
      for (const auto& b : c.branches)
        for (const auto& x : b) ClauseVars(x, out);
      return;
    case Clause::kAnd:
      for (const auto& x : c.branches[0]) ClauseVars(x, out);
      return;
    default:
      for (const auto& t : c.terms)
        if (t.kind == Term::kVar) out->insert(t.name);
      for (const auto& v : c.binding.vars)
        if (v != "_") out->insert(v);
  }
}

void AllVars(const Clause& c, std::set<std::string>* out) {
  ClauseVars(c, out);
  for (const auto& b : c.branches)
    for (const auto& x : b) AllVars(x, out);
}

Result<RuleSet> ParseRules(const edn::Node& rules) {
  if (!rules.is_seq()) return Bad("rules are a vector of rules", rules);
  RuleSet out;
  for (const auto& r : rules.items) {
    if (!r.is(edn::Kind::kVector) || r.items.size() < 2 || !r.items[0].is(edn::Kind::kList) ||
        r.items[0].items.empty() || !r.items[0].items[0].is(edn::Kind::kSymbol)) {
      return Bad("a rule is [(name ?var...) clause...]", r);
    }
    Rule rule;
    rule.form = r;
    rule.name = r.items[0].items[0].s;
    edn::Node head = edn::Node::Vector(std::vector<edn::Node>(r.items[0].items.begin() + 1, r.items[0].items.end()));
    STRATA_ASSIGN_OR_RETURN(rule.head, VarList(head, r, &rule.required));
    if (rule.head.empty()) return Bad("a rule needs at least one variable", r);
    STRATA_ASSIGN_OR_RETURN(rule.body, ParseClauses(r.items, 1, r));
    auto& defs = out[rule.name];
    if (!defs.empty() && defs[0].head.size() != rule.head.size()) {
      return Bad("rule " + rule.name + " is defined with " + std::to_string(defs[0].head.size()) + " and " +
                     std::to_string(rule.head.size()) + " variables",
                 r);
    }
    defs.push_back(std::move(rule));
  }
  return out;
}

}  // namespace strata::query
