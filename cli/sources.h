// cli/sources.h — the data sources of `strata q`: --db, --with and
// --source NAME=SPEC, bound to the query's :in source variables ($, $2,
// $since, ...).
//
// A SPEC is either
//   @FILE                 an EDN file holding a collection of tuples (a
//                         relation), queried like a database: [$data ?a ?b]
// or a database with views applied left to right:
//   LOCATION[:VIEW...]    LOCATION is a folder or postgres:// URI; empty
//                         means the --db database (the same opened value, so
//                         `$` and `$since` share one basis)
//   :as-of:T  :since:T    T as in --as-of: a t, a tx id or an instant
//   :history
//   :with:FILE            a speculative transaction (EDN file, one or more
//                         tx vectors); must come before any other view,
//                         since a transaction applies to the current value
//   :filter:not-tx:T[,T...]    hides the datoms of these transactions
//   :filter:not-tx-with:ATTR   hides the datoms of every transaction whose
//                              tx entity has ATTR (not false), e.g. :tx/error
//   :filter:attrs:ATTR[,ATTR...]  shows only these attributes' datoms
// e.g. --source '$since=:since:1000', --source '$h=inv:history',
// --source '$ok=:filter:not-tx-with::tx/error'.
//
// Thread safety: used by one thread (the command's).
#pragma once

#include <map>
#include <variant>
#include <memory>
#include <string>
#include <vector>

#include "strata/connection.h"
#include "strata/database.h"
#include "strata/edn.h"
#include "strata/status.h"

namespace strata::cli {

struct SourceSpec {
  struct View {
    std::string kind;  // as-of | since | history | with | filter
    std::string arg;   // T, FILE or the filter; empty for history
  };
  std::string name;      // "$", "$2", "$since"
  std::string file;      // @FILE: an EDN collection (then no location, no views)
  std::string location;  // a database; empty: the --db one
  std::vector<View> views;
};

// Parses "NAME=SPEC"; InvalidArgument names the flag text and what is wrong.
Result<SourceSpec> ParseSourceSpec(const std::string& text);

// Applies one view to `db` (`now` is the unviewed value, for instants).
Result<Database> ApplySourceView(const Database& now, const Database& db, const SourceSpec::View& view);

// Applies the speculative transactions of an EDN file (one or more tx
// vectors, in order) to `db`, which must be a current value (no view).
Result<Database> WithFile(const Database& db, const std::string& path, const std::string& flag);

// Reads a whole file; NotFound names it when it cannot be read.
Result<std::string> ReadTextFile(const std::string& path);

// Opens each database location once (read-only) and resolves source specs.
class SourceResolver {
 public:
  // `default_db` is the --db value ($'s, before --as-of/--since/--history)
  // and `has_default` whether there is one.
  SourceResolver(Database default_db, bool has_default)
      : default_db_(std::move(default_db)), has_default_(has_default) {}
  // The database or EDN collection the spec names.
  Result<std::variant<Database, edn::Node>> Resolve(const SourceSpec& spec);

 private:
  Database default_db_;
  bool has_default_;
  std::map<std::string, std::unique_ptr<Connection>> opened_;
};

}  // namespace strata::cli
