// EDN and JSON rendering for the CLI (see output.h).

#include "cli/output.h"

#include <cmath>
#include <utility>

namespace strata::cli {

namespace {


Json AttrToJson(const Database& db, EntityId a) {
  const std::string* ident = db.ident(a);
  if (ident != nullptr) return JsonKeyword(*ident);
  return a;
}

edn::Node Id(uint64_t id) { return edn::Node::Long(static_cast<int64_t>(id)); }

edn::Node DatomsToEdn(const Database& db, const std::vector<Datom>& datoms) {
  std::vector<edn::Node> items;
  items.reserve(datoms.size());
  for (const Datom& d : datoms) items.push_back(db.DatomToEdn(d));
  return edn::Node::Vector(std::move(items));
}

Json DatomsToJson(const Database& db, const std::vector<Datom>& datoms) {
  Json out = Json::array();
  for (const Datom& d : datoms) out.push_back(DatomToJson(db, d));
  return out;
}

}  // namespace

std::string JsonString(const std::string& s) {
  if (!s.empty() && (s[0] == ':' || s[0] == '\\')) return "\\" + s;
  return s;
}

std::string JsonKeyword(const std::string& name) { return ":" + name; }

edn::Node JsonStringToEdn(const std::string& text) {
  if (!text.empty() && text[0] == '\\') return edn::Node::String(text.substr(1));
  if (!text.empty() && text[0] == ':') return edn::Node::Keyword(text.substr(1));
  return edn::Node::String(text);
}

Json DoubleToJson(double d) {
  if (std::isfinite(d)) return d;
  return Json{{"double", std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity"}};
}

Json ValueToJson(const Value& v) {
  switch (v.type()) {
    case ValueType::kNil: return nullptr;
    case ValueType::kRef: return v.ref();
    case ValueType::kKeyword: return JsonKeyword(v.str());
    case ValueType::kString: return JsonString(v.str());
    case ValueType::kBoolean: return v.as_bool();
    case ValueType::kLong: return v.as_long();
    case ValueType::kDouble: return DoubleToJson(v.as_double());
    case ValueType::kInstant: return edn::FormatInstant(v.instant_ms());
    case ValueType::kUuid: return v.uuid().ToString();
    // Types JSON has no form of its own for: their EDN text (docs/formats.md).
    case ValueType::kFloat: return DoubleToJson(static_cast<double>(v.as_float()));
    case ValueType::kBigInt:
    case ValueType::kBigDec:
    case ValueType::kBytes:
    case ValueType::kUri:
    case ValueType::kSymbol: return edn::Print(edn::FromValue(v));
    case ValueType::kTuple: {
      Json out = Json::array();
      for (const Value& x : v.tuple_items()) out.push_back(ValueToJson(x));
      return out;
    }
  }
  return nullptr;
}

Json DatomToJson(const Database& db, const Datom& d) {
  return Json::array({d.e, AttrToJson(db, d.a), ValueToJson(d.v), d.tx, d.added});
}

std::string DatomToEdnText(const Database& db, const Datom& d) { return edn::Print(db.DatomToEdn(d)); }

std::string TxReportToEdn(const TxReport& r) {
  std::vector<edn::Node> tempids;
  for (const auto& [name, id] : r.tempids) {
    tempids.push_back(edn::Node::String(name));
    tempids.push_back(Id(id));
  }
  return edn::Print(edn::Node::Map({edn::Node::Keyword("t"), Id(r.t), edn::Node::Keyword("tx"), Id(r.tx),
                                    edn::Node::Keyword("tempids"), edn::Node::Map(std::move(tempids)),
                                    edn::Node::Keyword("tx-data"), DatomsToEdn(r.db_after, r.tx_data)}));
}

Json TxReportToJson(const TxReport& r) {
  Json tempids = Json::object();
  for (const auto& [name, id] : r.tempids) tempids[name] = id;
  return Json{{"t", r.t}, {"tx", r.tx}, {"tempids", std::move(tempids)}, {"tx_data", DatomsToJson(r.db_after, r.tx_data)}};
}

std::string LogEntryToEdn(const Database& db, T t, const std::vector<Datom>& datoms) {
  return edn::Print(edn::Node::Map({edn::Node::Keyword("t"), Id(t), edn::Node::Keyword("tx"), Id(TxId(t)),
                                    edn::Node::Keyword("data"), DatomsToEdn(db, datoms)}));
}

Json LogEntryToJson(const Database& db, T t, const std::vector<Datom>& datoms) {
  return Json{{"t", t}, {"tx", TxId(t)}, {"data", DatomsToJson(db, datoms)}};
}

void JsonArrayWriter::Add(const Json& element) {
  std::fputs(started_ ? ",\n" : "[\n", out_);
  started_ = true;
  std::string text = DumpJson(element);
  std::fwrite(text.data(), 1, text.size(), out_);
}

void JsonArrayWriter::Finish() {
  std::fputs(started_ ? "\n]\n" : "[]\n", out_);
  started_ = true;
}

std::string DumpJson(const Json& j) {
  // Strings from EDN may hold bytes that are not UTF-8: replace them
  // rather than throw.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void PrintLine(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace strata::cli
