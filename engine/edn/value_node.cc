// Datom values as EDN nodes and back (see strata/edn.h: FromValue,
// ToValue), and base64 for bytes values.

#include <sodium.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "strata/edn.h"

namespace strata::edn {

std::string EncodeBase64(std::string_view bytes) {
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    kVariant);
  out.resize(out.size() - 1);  // the encoder's terminating NUL
  return out;
}

bool DecodeBase64(std::string_view text, std::string* bytes) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return false;
  }
  out.resize(len);
  *bytes = std::move(out);
  return true;
}

namespace {

// The shortest text that reads back as `f`, as a double that a float
// attribute rounds back to `f` (1.1f prints as 1.1, not 1.100000023841858).
double FloatAsDouble(float f) {
  if (!std::isfinite(f)) return static_cast<double>(f);
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  if (std::from_chars(buf, r.ptr, d).ec != std::errc() || static_cast<float>(d) != f) return static_cast<double>(f);
  return d;
}

Status Wrong(ValueType type, const Node& n, const std::string& why = "") {
  return Status::InvalidArgument(std::string("not a ") + ValueTypeName(type) + ": " + KindName(n.kind) + " " +
                                 Print(n) + (why.empty() ? "" : " (" + why + ")"));
}

// The string inside #tag "...", or nullptr.
const Node* TaggedString(const Node& n, std::string_view tag) {
  if (n.kind != Kind::kTagged || n.s != tag || n.items.size() != 1 || n.items[0].kind != Kind::kString) return nullptr;
  return &n.items[0];
}

}  // namespace

Node FromValue(const Value& v) {
  switch (v.type()) {
    case ValueType::kNil: return Node::Nil();
    case ValueType::kRef: return Node::Long(static_cast<int64_t>(v.ref()));
    case ValueType::kKeyword: return Node::Keyword(v.str());
    case ValueType::kString: return Node::String(v.str());
    case ValueType::kBoolean: return Node::Bool(v.as_bool());
    case ValueType::kLong: return Node::Long(v.as_long());
    case ValueType::kDouble: return Node::Double(v.as_double());
    case ValueType::kInstant: return Node::Inst(v.instant_ms());
    case ValueType::kUuid: return Node::FromUuid(v.uuid());
    case ValueType::kFloat: return Node::Double(FloatAsDouble(v.as_float()));
    case ValueType::kBigInt:
    case ValueType::kBigDec: {
      Node n;
      n.kind = v.type() == ValueType::kBigInt ? Kind::kBigInt : Kind::kBigDec;
      n.s = v.str();
      return n;
    }
    case ValueType::kBytes: return Node::Tagged("bytes", Node::String(EncodeBase64(v.str())));
    case ValueType::kUri: return Node::Tagged("uri", Node::String(v.str()));
    case ValueType::kSymbol: return Node::Symbol(v.str());
    case ValueType::kTuple: {
      std::vector<Node> items;
      for (const Value& x : v.tuple_items()) items.push_back(FromValue(x));
      return Node::Vector(std::move(items));
    }
  }
  return Node::Nil();
}

Result<Value> ToValue(ValueType type, const Node& n) {
  switch (type) {
    case ValueType::kKeyword:
      if (n.kind != Kind::kKeyword) return Wrong(type, n);
      return Value::Keyword(n.s);
    case ValueType::kString:
      if (n.kind != Kind::kString) return Wrong(type, n);
      return Value::String(n.s);
    case ValueType::kBoolean:
      if (n.kind != Kind::kBool) return Wrong(type, n);
      return Value::Boolean(n.b);
    case ValueType::kLong:
      if (n.kind != Kind::kLong) return Wrong(type, n);
      return Value::Long(n.i);
    case ValueType::kDouble:
      if (n.kind == Kind::kDouble) return Value::Double(n.d);
      if (n.kind == Kind::kLong) return Value::Double(static_cast<double>(n.i));
      return Wrong(type, n);
    case ValueType::kInstant:
      if (n.kind != Kind::kInst) return Wrong(type, n);
      return Value::Instant(n.i);
    case ValueType::kUuid:
      if (n.kind != Kind::kUuid) return Wrong(type, n);
      return Value::FromUuid(n.uuid);
    case ValueType::kFloat: {
      double d;
      if (n.kind == Kind::kDouble) d = n.d;
      else if (n.kind == Kind::kLong) d = static_cast<double>(n.i);
      else return Wrong(type, n);
      const auto f = static_cast<float>(d);
      if (std::isfinite(d) && !std::isfinite(f)) return Wrong(type, n, "out of the float range");
      return Value::Float(f);
    }
    case ValueType::kBigInt: {
      Value v;
      if (n.kind != Kind::kBigInt || !Value::ParseBigInt(n.s, &v)) return Wrong(type, n, "write a bigint as 123N");
      return v;
    }
    case ValueType::kBigDec: {
      Value v;
      if (n.kind != Kind::kBigDec || !Value::ParseBigDec(n.s, &v)) return Wrong(type, n, "write a bigdec as 1.50M");
      return v;
    }
    case ValueType::kBytes: {
      const Node* text = TaggedString(n, "bytes");
      if (text == nullptr) return Wrong(type, n, "write bytes as #bytes \"base64\"");
      std::string bytes;
      if (!DecodeBase64(text->s, &bytes)) return Wrong(type, n, "not padded standard base64");
      return Value::Bytes(std::move(bytes));
    }
    case ValueType::kUri: {
      const Node* text = TaggedString(n, "uri");
      if (text == nullptr) return Wrong(type, n, "write a uri as #uri \"...\"");
      // java.net.URI refuses spaces and control characters anywhere.
      for (char c : text->s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return Wrong(type, n, "a URI has no spaces or control characters");
      }
      if (text->s.empty()) return Wrong(type, n, "empty");
      return Value::Uri(text->s);
    }
    case ValueType::kSymbol:
      if (n.kind != Kind::kSymbol) return Wrong(type, n, "write a symbol as a plain symbol: foo/bar");
      return Value::Symbol(n.s);
    case ValueType::kRef:
    case ValueType::kTuple:
    case ValueType::kNil: break;
  }
  return Wrong(type, n, "needs the attribute");
}

}  // namespace strata::edn
