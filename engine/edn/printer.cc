// The EDN printer (see strata/edn.h): text that the reader reads back to
// an equal node.

#include <charconv>
#include <cmath>
#include <cstdio>

#include "strata/edn.h"

namespace strata::edn {

namespace {

void PrintString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\t': esc = "\\t"; break;
      case '\r': esc = "\\r"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default:
        if (c >= 0x20 && c != 0x7f) continue;
    }
    out->append(s.data() + run, i - run);
    run = i + 1;
    if (esc != nullptr) {
      out->append(esc);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out->append(buf);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void PrintDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("##NaN");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "##Inf" : "##-Inf");
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view text(buf, r.ptr - buf);
  out->append(text);
  // The shortest form of 100.0 is "100", which would read back as a long.
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

}  // namespace

void PrintTo(const Node& n, std::string* out) {
  switch (n.kind) {
    case Kind::kNil: out->append("nil"); return;
    case Kind::kBool: out->append(n.b ? "true" : "false"); return;
    case Kind::kLong: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, n.i);
      out->append(buf, r.ptr - buf);
      return;
    }
    case Kind::kDouble: PrintDouble(n.d, out); return;
    case Kind::kString: PrintString(n.s, out); return;
    case Kind::kKeyword:
      out->push_back(':');
      out->append(n.s);
      return;
    case Kind::kSymbol: out->append(n.s); return;
    case Kind::kBigInt: out->append(n.s).push_back('N'); return;
    case Kind::kBigDec: out->append(n.s).push_back('M'); return;
    case Kind::kUuid: out->append("#uuid \"").append(n.uuid.ToString()).push_back('"'); return;
    case Kind::kInst: {
      std::string text = FormatInstant(n.i);
      text.pop_back();  // 'Z': Datomic prints the offset as -00:00
      out->append("#inst \"").append(text).append("-00:00\"");
      return;
    }
    case Kind::kTagged:
      out->push_back('#');
      out->append(n.s);
      out->push_back(' ');
      // A tagged node built in code without its form prints as "#tag nil".
      if (n.items.empty()) {
        out->append("nil");
      } else {
        PrintTo(n.items[0], out);
      }
      return;
    case Kind::kVector:
    case Kind::kList:
    case Kind::kSet: {
      out->append(n.kind == Kind::kVector ? "[" : n.kind == Kind::kList ? "(" : "#{");
      for (size_t i = 0; i < n.items.size(); ++i) {
        if (i > 0) out->push_back(' ');
        PrintTo(n.items[i], out);
      }
      out->push_back(n.kind == Kind::kVector ? ']' : n.kind == Kind::kList ? ')' : '}');
      return;
    }
    case Kind::kMap:
      out->push_back('{');
      for (size_t i = 0; i < n.items.size(); ++i) {
        if (i > 0) out->append(i % 2 == 0 ? ", " : " ");
        PrintTo(n.items[i], out);
      }
      out->push_back('}');
      return;
  }
}

std::string Print(const Node& n) {
  std::string out;
  PrintTo(n, &out);
  return out;
}

}  // namespace strata::edn
