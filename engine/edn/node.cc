// EDN nodes: kind names, map lookup, positions (see strata/edn.h). Equality
// is in hash.cc.

#include "strata/edn.h"

#include <string>

namespace strata::edn {

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNil: return "nil";
    case Kind::kBool: return "boolean";
    case Kind::kLong: return "long";
    case Kind::kDouble: return "double";
    case Kind::kString: return "string";
    case Kind::kKeyword: return "keyword";
    case Kind::kSymbol: return "symbol";
    case Kind::kUuid: return "uuid";
    case Kind::kInst: return "inst";
    case Kind::kVector: return "vector";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
    case Kind::kSet: return "set";
    case Kind::kTagged: return "tagged";
    case Kind::kBigInt: return "bigint";
    case Kind::kBigDec: return "bigdec";
  }
  return "unknown";
}

const Node* Node::Get(std::string_view keyword) const {
  if (kind != Kind::kMap) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].is_keyword(keyword)) return &items[i + 1];
  }
  return nullptr;
}

std::string Node::Where() const {
  if (line == 0) return "";
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

}  // namespace strata::edn
