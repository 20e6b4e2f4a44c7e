#include "strata/value.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>

namespace strata {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNil: return "nil";
    case ValueType::kRef: return "ref";
    case ValueType::kKeyword: return "keyword";
    case ValueType::kString: return "string";
    case ValueType::kBoolean: return "boolean";
    case ValueType::kLong: return "long";
    case ValueType::kDouble: return "double";
    case ValueType::kInstant: return "instant";
    case ValueType::kUuid: return "uuid";
  }
  return "unknown";
}

std::string Uuid::ToString() const {
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool Uuid::Parse(std::string_view s, Uuid* out) {
  if (s.size() != 36) return false;
  uint64_t parts[2] = {0, 0};
  int nibbles = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    uint64_t& p = parts[nibbles / 16];
    p = (p << 4) | static_cast<uint64_t>(d);
    ++nibbles;
  }
  out->hi = parts[0];
  out->lo = parts[1];
  return nibbles == 32;
}

Value Value::Double(double d) {
  Value v(ValueType::kDouble, std::bit_cast<int64_t>(d));
  return v;
}

Value Value::FromUuid(Uuid u) {
  Value v(ValueType::kUuid, static_cast<int64_t>(u.hi));
  v.aux_ = u.lo;
  return v;
}

double Value::as_double() const { return std::bit_cast<double>(num_); }

int Value::CompareDoubles(const Value& o) const {
  const auto c = std::strong_order(as_double(), o.as_double());
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

size_t Value::Hash() const {
  size_t h = std::hash<int64_t>()(num_) * 31 + static_cast<size_t>(type_);
  h ^= std::hash<uint64_t>()(aux_) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  if (!str_.empty()) h ^= std::hash<std::string>()(str_) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

const char* IndexName(Index i) {
  switch (i) {
    case Index::kEavt: return "eavt";
    case Index::kAevt: return "aevt";
    case Index::kAvet: return "avet";
    case Index::kVaet: return "vaet";
  }
  return "?";
}

bool ParseIndexName(std::string_view s, Index* out) {
  if (!s.empty() && s[0] == ':') s.remove_prefix(1);
  for (int i = 0; i < kIndexCount; ++i) {
    if (s == IndexName(static_cast<Index>(i))) {
      *out = static_cast<Index>(i);
      return true;
    }
  }
  return false;
}

void SortDatoms(Index order, std::vector<Datom>* datoms) {
  std::vector<Datom>& v = *datoms;
  WithOrder(order, [&](auto o) {
    constexpr Index kOrder = decltype(o)::value;
    if (std::is_sorted(v.begin(), v.end(), DatomLessIn<kOrder>{})) return;
    if (v.size() < 64 || v.size() > UINT32_MAX) {
      std::sort(v.begin(), v.end(), DatomLessIn<kOrder>{});
      return;
    }
    // A datom is 88 bytes with a string inside: sorting 4-byte positions and
    // moving each datom once beats swapping datoms.
    std::vector<uint32_t> pos(v.size());
    for (uint32_t i = 0; i < pos.size(); ++i) pos[i] = i;
    std::sort(pos.begin(), pos.end(), [&](uint32_t x, uint32_t y) { return CompareDatomsIn<kOrder>(v[x], v[y]) < 0; });
    std::vector<Datom> out;
    out.reserve(v.size());
    for (uint32_t i : pos) out.push_back(std::move(v[i]));
    v = std::move(out);
  });
}

}  // namespace strata
