// parse.h — the query and rule syntax tree, and its parser (internal).
//
// Parsing checks shape only (clause forms, binding forms, find specs,
// rule heads); names of functions and rules are checked when a clause is
// planned, so a rule set may mention functions its query never calls.
//
// Thread safety: immutable after parsing.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "strata/edn.h"
#include "strata/status.h"
#include "val.h"

namespace strata::query {

// One position of a clause: a variable, a constant, `_`, or a source ($x).
struct Term {
  enum Kind { kVar, kConst, kBlank, kSrc } kind = kBlank;
  std::string name;  // kVar: "?x"; kSrc: "$x"
  Val val;           // kConst
  edn::Node node;    // as written
};

// How a function's result binds: ?x, [?a ?b], [?x ...], [[?a ?b]].
struct Binding {
  enum Kind { kNone, kScalar, kTuple, kColl, kRel } kind = kNone;
  std::vector<std::string> vars;  // "_" for an ignored position
};

struct Clause;
using Clauses = std::vector<Clause>;

struct Clause {
  enum Kind { kPattern, kPred, kFn, kRule, kNot, kOr, kAnd } kind = kPattern;
  edn::Node form;          // as written, for error messages
  std::string src = "$";   // the source the clause reads
  std::vector<Term> terms;  // kPattern: e a v tx added; kPred/kFn/kRule: arguments
  std::string name;        // kPred/kFn: function; kRule: rule name
  Binding binding;         // kFn
  bool join_explicit = false;           // not-join / or-join
  std::vector<std::string> join_vars;   // not-join/or-join vars; or: the branches' vars
  std::vector<std::string> required;    // or-join [[?req] ...]: must be bound on entry
  std::vector<Clauses> branches;        // kNot: one body; kOr: one per branch; kAnd: one
};

struct FindElem {
  enum Kind { kVar, kAgg, kPull } kind = kVar;
  std::string var;        // the variable read (aggregate argument, pulled entity)
  std::string fn;         // kAgg: aggregate name
  std::vector<Val> args;  // kAgg: arguments before the variable ((max 3 ?x))...
  std::vector<std::string> arg_vars;  // ...each a constant ("") or an :in scalar ((max ?n ?x))
  std::string src = "$";  // kPull
  edn::Node pattern;      // kPull: a literal pattern...
  std::string pattern_var;  // ...or a pattern name or variable bound by :in
  edn::Node form;
};

struct InSpec {
  enum Kind { kSrc, kRules, kBinding, kPattern } kind = kBinding;
  std::string name;  // kSrc: "$x"; kPattern: a plain symbol naming a pull pattern
  Binding binding;   // kBinding
  edn::Node form;
};

struct Query {
  enum FindKind { kRelation, kScalar, kColl, kTuple } find_kind = kRelation;
  std::vector<FindElem> find;
  enum KeysKind { kNoKeys, kKeys, kSyms, kStrs } keys_kind = kNoKeys;
  std::vector<std::string> keys;
  std::vector<std::string> with;
  std::vector<InSpec> in;
  Clauses where;
};

struct Rule {
  std::string name;
  std::vector<std::string> head;      // every head variable, in order
  std::vector<std::string> required;  // head variables written [?x]: bound by the caller
  Clauses body;
  edn::Node form;
};
// Rules by name; a name may have several definitions (a disjunction).
using RuleSet = std::map<std::string, std::vector<Rule>>;

Result<Query> ParseQuery(const edn::Node& q);
// One :where clause; one binding form (?x, [?a ?b], [?x ...], [[?a ?b]]).
Result<Clause> ParseClause(const edn::Node& n);
Result<Binding> ParseBinding(const edn::Node& n, const edn::Node& form);
Result<RuleSet> ParseRules(const edn::Node& rules);

bool IsVar(const edn::Node& n);  // a symbol starting with '?'

// Variables a clause mentions (for or/not: those visible to the outside:
// join vars when explicit, every variable of the body otherwise).
void ClauseVars(const Clause& c, std::set<std::string>* out);
// Every variable mentioned anywhere inside (including or/not bodies).
void AllVars(const Clause& c, std::set<std::string>* out);

}  // namespace strata::query
