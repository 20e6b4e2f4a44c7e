// functions.h — the built-in predicates and functions of :where (internal).
//
// A function receives its arguments as values (sources and logs passed
// separately) and returns a value, or nil for "no result" (the row is
// dropped, as in Datomic). Predicates are functions whose result is read
// as a truth value. docs/query.md lists them all.
//
// Thread safety: the table is immutable; calls share no state.
#pragma once

#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/query.h"
#include "val.h"

namespace strata::query {

// The most bytes one string or collection a function builds may hold:
// strata's longest string (one EDN token, the value limit of a string).
constexpr uint64_t kMaxFnResult = edn::kMaxToken;

// One argument: a value, or a database / log for functions that read one.
struct FnArg {
  Val val;
  const Database* db = nullptr;
  const LogSource* log = nullptr;
};

using BuiltinFn = Result<Val> (*)(const std::vector<FnArg>& args);

// The function named `name` (also written clojure.core/name), or nullptr.
BuiltinFn FindFunction(const std::string& name);

// Why strata refuses `name`, one of Datomic's built-ins it does not
// implement, or nullptr when it is not one.
const char* RefusalReason(const std::string& name);

// The message for a name FindFunction does not know: "not supported by
// strata: 'rand' (...)" for a refused built-in, else "unknown function".
std::string UnknownFunction(const std::string& name);

// Every name FindFunction knows (without the clojure.core/ spellings), and
// every refused one; docs/query.md's table is checked against both.
std::vector<std::string> FunctionNames();
std::vector<std::string> RefusedFunctionNames();

// Compares like the query predicates: numbers numerically, otherwise two
// values of one type or two tuples; mixed types are an error.
Result<int> QueryCompare(const Val& a, const Val& b);

}  // namespace strata::query
