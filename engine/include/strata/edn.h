// strata/edn.h — the EDN reader and printer.
//
// EDN is how users speak to strata: transaction data, schema, queries, pull
// patterns and CLI arguments. The reader builds a small tree of Nodes; the
// engine turns nodes into typed Values where it knows the attribute.
//
// Supported: nil, true/false, integers, floats, bigints (123N) and bigdecs
// (1.50M, 1M, 1e3M: kept as their canonical text, see Value::ParseBigDec),
// strings with escapes (\n \t \r
// \" \\ \uXXXX), characters (\a, \newline, \space, \tab, \uXXXX — read as
// one-character strings), keywords, symbols, vectors, lists, maps, sets,
// comments (;), discard (#_), #uuid "...", #inst "...", and other tagged
// literals kept as kTagged (e.g. #db/id[:db.part/user -1], #uri "...",
// #bytes "base64": the engine reads those two where it expects a value).
// Commas are whitespace.
//
// Text is UTF-8: a string, keyword, symbol or tag that is not well-formed
// UTF-8 is an error naming its line, column, byte and input offset.
//
// Limits (hostile input): nesting depth <= kMaxDepth, one string or token
// <= kMaxToken bytes. Errors are InvalidArgument naming line and column:
// "EDN 3:14: unterminated string".
//
// Thread safety: free functions on values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"
#include "strata/value.h"

namespace strata::edn {

constexpr int kMaxDepth = 256;
constexpr size_t kMaxToken = kMaxValueBytes;  // a string token can be a datom's value

enum class Kind : uint8_t {
  kNil, kBool, kLong, kDouble, kString, kKeyword, kSymbol, kUuid, kInst,
  kVector, kList, kMap, kSet, kTagged,
  kBigInt, kBigDec,  // s: canonical text without the N / M suffix
};
const char* KindName(Kind k);

struct Node {
  Kind kind = Kind::kNil;
  bool b = false;          // kBool
  int64_t i = 0;           // kLong; kInst: milliseconds since epoch
  double d = 0;            // kDouble
  std::string s;           // kString text; kKeyword/kSymbol name without ':'
                           // ("db/ident", "?x"); kTagged: the tag ("db/id");
                           // kBigInt/kBigDec: canonical text ("-12", "1.50")
  Uuid uuid;               // kUuid
  std::vector<Node> items; // kVector/kList/kSet elements; kMap: k0 v0 k1 v1 ...;
                           // kTagged: exactly one element, the tagged form
  int line = 0, col = 0;   // where the form starts (1-based); 0 if built in code

  // Builders for code that constructs EDN.
  static Node Nil() { return Node{}; }
  static Node Bool(bool v) { Node n; n.kind = Kind::kBool; n.b = v; return n; }
  static Node Long(int64_t v) { Node n; n.kind = Kind::kLong; n.i = v; return n; }
  static Node Double(double v) { Node n; n.kind = Kind::kDouble; n.d = v; return n; }
  static Node String(std::string v) { Node n; n.kind = Kind::kString; n.s = std::move(v); return n; }
  static Node Keyword(std::string v) { Node n; n.kind = Kind::kKeyword; n.s = std::move(v); return n; }
  static Node Symbol(std::string v) { Node n; n.kind = Kind::kSymbol; n.s = std::move(v); return n; }
  static Node Inst(int64_t ms) { Node n; n.kind = Kind::kInst; n.i = ms; return n; }
  static Node FromUuid(Uuid u) { Node n; n.kind = Kind::kUuid; n.uuid = u; return n; }
  static Node Tagged(std::string tag, Node form) { Node n; n.kind = Kind::kTagged; n.s = std::move(tag); n.items.push_back(std::move(form)); return n; }
  static Node Vector(std::vector<Node> xs = {}) { Node n; n.kind = Kind::kVector; n.items = std::move(xs); return n; }
  static Node List(std::vector<Node> xs = {}) { Node n; n.kind = Kind::kList; n.items = std::move(xs); return n; }
  static Node Set(std::vector<Node> xs = {}) { Node n; n.kind = Kind::kSet; n.items = std::move(xs); return n; }
  static Node Map(std::vector<Node> kvs = {}) { Node n; n.kind = Kind::kMap; n.items = std::move(kvs); return n; }

  bool is(Kind k) const { return kind == k; }
  bool is_keyword(std::string_view name) const { return kind == Kind::kKeyword && s == name; }
  bool is_symbol(std::string_view name) const { return kind == Kind::kSymbol && s == name; }
  bool is_seq() const { return kind == Kind::kVector || kind == Kind::kList; }
  // kMap: number of entries; others: number of items.
  size_t size() const { return kind == Kind::kMap ? items.size() / 2 : items.size(); }
  // kMap only: the value under a keyword key, or nullptr.
  const Node* Get(std::string_view keyword) const;
  // "line 3, column 14" (or "" when built in code) for error messages.
  std::string Where() const;

  // Structural equality (maps and sets compare as unordered collections).
  bool operator==(const Node& o) const;
};

// Reads exactly one form; trailing whitespace/comments allowed, anything
// else is an error.
Result<Node> ReadOne(std::string_view text);
// Reads every top-level form.
Result<std::vector<Node>> ReadAll(std::string_view text);

// Incremental reader over a buffer, for streams of transactions.
class Reader {
 public:
  explicit Reader(std::string_view text);
  // Reads the next form into *out. Returns false at end of input (status
  // OK) or on error (status says what and where).
  bool Next(Node* out, Status* status);

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  friend class ReaderImpl;
};

// The offset of the first byte of `s` that does not begin a well-formed
// UTF-8 sequence (Unicode Table 3-7: no overlong forms, surrogates, code
// points past U+10FFFF or truncated sequences), or npos when all of `s` is
// UTF-8. Every input that becomes a value (EDN text, transaction data
// built as Nodes, CSV fields) is checked with it.
size_t FindInvalidUtf8(std::string_view s);
// "byte 0xC3 at offset 4" for the first invalid byte of `s`, for messages.
std::string DescribeInvalidUtf8(std::string_view s, size_t offset);

// Prints a node as EDN text that ReadOne reads back to an equal node.
// Instants print as #inst "2014-05-19T17:20:48.200-00:00" (RFC 3339, UTC,
// milliseconds), uuids as #uuid "...", doubles so they round-trip.
std::string Print(const Node& n);
void PrintTo(const Node& n, std::string* out);

// A datom value as EDN (refs as their entity id): bigint 12N, bigdec 1.50M,
// float as a double (EDN has no float literal; it reads back exactly into a
// float attribute), bytes as #bytes "base64" (RFC 4648, padded), uri as
// #uri "...", symbol as a plain symbol, tuple as a vector.
Node FromValue(const Value& v);
// A value of type `type` from a node written as FromValue writes it, or
// that type's other accepted forms (a long or double for a float, a long
// for a double, a string for a uri). InvalidArgument names the node and the
// type when the node is not one; the caller adds which attribute wanted it.
// Tuples are not handled here (they need the attribute's tuple types).
Result<Value> ToValue(ValueType type, const Node& n);

// Base64 (RFC 4648, standard alphabet, padded), by libsodium.
std::string EncodeBase64(std::string_view bytes);
bool DecodeBase64(std::string_view text, std::string* bytes);

// RFC 3339 helpers shared by the printer, the JSON output and the CLI.
std::string FormatInstant(int64_t ms);                 // "2014-05-19T17:20:48.200Z"
bool ParseInstant(std::string_view s, int64_t* ms);    // accepts dates, offsets

}  // namespace strata::edn
