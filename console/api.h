// console/api.h — the console's JSON API as plain functions (internal).
//
// Each function answers one endpoint of docs/console.md from the request's
// parameters (name -> values, as the HTTP layer parsed the query string or
// form body) and returns the JSON body, or an error whose code the server
// turns into an HTTP status: InvalidArgument and NotFound are the
// client's (400, 404), Busy and Aborted a limit the request ran into
// (400), Corruption and IOError the database's (500). Every function reads
// one database value, so a response is consistent with itself.
//
// Common parameters: as-of, since (a t, tx id or instant) and history
// (true/false) pick the view, as `strata q --as-of/--since/--history` do.
//
// Thread safety: functions of their arguments; the Source is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "cli/output.h"
#include "console/source.h"
#include "strata/query.h"

namespace strata::console {

using cli::Json;
using Params = std::multimap<std::string, std::string>;

// Limits of reads from the page: `strata q`'s flags and defaults.
struct Limits {
  uint64_t timeout_ms = 60000;                        // --timeout 60
  uint64_t max_tuples = QueryOptions{}.max_tuples;    // --max-tuples
  uint64_t max_bytes = QueryOptions{}.max_bytes;      // --max-bytes
  uint64_t max_page = 10000;                          // most datoms or transactions per page
};

Result<Json> ApiInfo(const Source& src, const Limits& limits);
Result<Json> ApiSchema(const Source& src, const Params& p);
Result<Json> ApiQuery(const Source& src, const Params& p, const Limits& limits);
Result<Json> ApiPull(const Source& src, const Params& p, const Limits& limits);
Result<Json> ApiEntity(const Source& src, const Params& p, const Limits& limits);
Result<Json> ApiLog(const Source& src, const Params& p, const Limits& limits);
Result<Json> ApiDatoms(const Source& src, const Params& p, const Limits& limits);
Result<Json> ApiIndex(const Source& src, const Params& p, const Limits& limits);
Result<Json> ApiVerify(const Source& src);
Result<Json> ApiTransact(Source& src, const Params& p);

// One committed transaction as the live stream and the log show it:
// {"t", "tx", "instant", "datoms": [[e, ":a", v, tx, added]...]}.
Json TxJson(const Database& db, T t, EntityId tx, const std::vector<Datom>& datoms);

// The value of parameter `name` ("" when absent), all its values, and
// whether it is given.
std::string Param(const Params& p, const std::string& name);
std::vector<std::string> ParamAll(const Params& p, const std::string& name);

}  // namespace strata::console
