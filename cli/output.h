// cli/output.h — EDN and JSON rendering of datoms, reports and the log.
//
// EDN output is what edn::Print produces, attributes as ident keywords.
// JSON renders values as: ref -> number; keyword -> ":ns/name"; string ->
// itself, except that a string starting with ':' or '\\' gets a '\\' in
// front (":x" -> "\\:x"), so a JSON string starting with ':' is always a
// keyword and the mapping reverses (JsonStringToEdn); instant -> ISO-8601
// string ("2014-05-19T17:20:48.200Z"); uuid -> string; boolean, long and
// finite double as themselves. The same holds for map keys (pull and
// :keys maps: ":ns/name"; :strs maps: the escaped string). JSON has no NaN or
// infinity, so the non-finite doubles (EDN ##NaN, ##Inf, ##-Inf) are the
// objects {"double": "NaN"}, {"double": "Infinity"}, {"double": "-Infinity"}:
// distinct from null and from any string value (docs/query.md). A datom
// is the array [e, ":ns/attr", v, tx, added] (an attribute without an
// ident prints as its entity id).
//
// Thread safety: free functions on values.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/database.h"

namespace strata::cli {

enum class Format { kEdn, kJson };

// JSON objects keep their keys in insertion order ("t", "tx", ...).
using Json = nlohmann::ordered_json;

Json ValueToJson(const Value& v);
// The JSON text of an EDN string and of a keyword (see above).
std::string JsonString(const std::string& s);
std::string JsonKeyword(const std::string& name);  // ":" + name
// The inverse for a JSON string that came from a keyword or a string:
// ":ns/name" -> keyword, "\\..." -> the string without the '\\', else the
// string itself.
edn::Node JsonStringToEdn(const std::string& text);
// A double as JSON: a number when finite, else {"double": "NaN" | "Infinity" | "-Infinity"}.
Json DoubleToJson(double d);
// `db` names the attributes (use a value that knows them, e.g. db_after).
Json DatomToJson(const Database& db, const Datom& d);
std::string DatomToEdnText(const Database& db, const Datom& d);

// {:t .. :tx .. :tempids {..} :tx-data [[e :attr v tx added] ...]}
std::string TxReportToEdn(const TxReport& r);
// {"t":..,"tx":..,"tempids":{..},"tx_data":[[e, ":ns/attr", v, tx, added], ...]}
Json TxReportToJson(const TxReport& r);

// One log entry: EDN {:t .. :tx .. :data [...]}, JSON {"t","tx","data"}.
std::string LogEntryToEdn(const Database& db, T t, const std::vector<Datom>& datoms);
Json LogEntryToJson(const Database& db, T t, const std::vector<Datom>& datoms);

// Writes a JSON array element by element, so large outputs stream:
// "[\n" elem ",\n" elem "\n]\n".
class JsonArrayWriter {
 public:
  explicit JsonArrayWriter(FILE* out) : out_(out) {}
  void Add(const Json& element);
  void Finish();  // writes the closing bracket (and "[" if nothing was added)

 private:
  FILE* out_;
  bool started_ = false;
};

// Compact JSON text; invalid UTF-8 in strings becomes U+FFFD.
std::string DumpJson(const Json& j);

// Writes a line to stdout.
void PrintLine(const std::string& text);

}  // namespace strata::cli
