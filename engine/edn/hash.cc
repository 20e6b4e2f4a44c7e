// Hashing and equality of EDN nodes (see hash.h).

#include "edn/hash.h"

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

namespace strata::edn {

namespace {

inline size_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<size_t>(x);
}

inline bool DoubleEq(double a, double b) {
  return a == b || std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

}  // namespace

size_t HashNode(const Node& n) {
  uint64_t h = static_cast<uint64_t>(n.kind) * 0x9e3779b97f4a7c15ULL;
  switch (n.kind) {
    case Kind::kNil: break;
    case Kind::kBool: h += n.b; break;
    case Kind::kLong:
    case Kind::kInst: h += static_cast<uint64_t>(n.i); break;
    case Kind::kDouble: h += n.d == 0 ? 0 : std::bit_cast<uint64_t>(n.d); break;
    case Kind::kString:
    case Kind::kKeyword:
    case Kind::kSymbol:
    case Kind::kBigInt:
    case Kind::kBigDec: h += std::hash<std::string_view>()(n.s); break;
    case Kind::kUuid: h += Mix(n.uuid.hi) ^ n.uuid.lo; break;
    case Kind::kTagged: h += std::hash<std::string_view>()(n.s); [[fallthrough]];
    case Kind::kVector:
    case Kind::kList:
      for (const Node& x : n.items) h = h * 31 + HashNode(x);
      break;
    case Kind::kSet:
      for (const Node& x : n.items) h += Mix(HashNode(x));
      break;
    case Kind::kMap:
      for (size_t i = 0; i + 1 < n.items.size(); i += 2) {
        h += Mix(HashNode(n.items[i]) ^ Mix(HashNode(n.items[i + 1])));
      }
      break;
  }
  return Mix(h);
}

namespace {

// Collections below this size are compared and de-duplicated pairwise: it is
// faster than hashing for the small maps that make up most transactions.
constexpr size_t kSmallCollection = 16;

// Unordered multiset equality of two maps (stride 2, entries matched by key
// hash) or two sets (stride 1).
bool UnorderedEqual(const std::vector<Node>& a, const std::vector<Node>& b, size_t stride) {
  if (a.size() != b.size()) return false;
  const size_t n = a.size() / stride;
  auto entry_eq = [&](size_t i, size_t j) {
    for (size_t k = 0; k < stride; ++k) {
      if (!(a[i * stride + k] == b[j * stride + k])) return false;
    }
    return true;
  };
  if (n <= kSmallCollection) {
    std::array<bool, kSmallCollection> used{};
    for (size_t i = 0; i < n; ++i) {
      size_t j = 0;
      while (j < n && (used[j] || !entry_eq(i, j))) ++j;
      if (j == n) return false;
      used[j] = true;
    }
    return true;
  }
  std::vector<std::pair<size_t, size_t>> hb(n);  // (hash, index) of b's entries
  for (size_t j = 0; j < n; ++j) hb[j] = {HashNode(b[j * stride]), j};
  std::sort(hb.begin(), hb.end());
  std::vector<bool> used(n);
  for (size_t i = 0; i < n; ++i) {
    size_t h = HashNode(a[i * stride]);
    auto it = std::lower_bound(hb.begin(), hb.end(), std::make_pair(h, size_t{0}));
    for (; it != hb.end() && it->first == h; ++it) {
      if (!used[it->second] && entry_eq(i, it->second)) break;
    }
    if (it == hb.end() || it->first != h) return false;
    used[it->second] = true;
  }
  return true;
}

}  // namespace

size_t FindDuplicate(const std::vector<Node>& items, size_t stride) {
  const size_t n = items.size() / stride;
  if (n <= kSmallCollection) {
    for (size_t j = 1; j < n; ++j) {
      for (size_t i = 0; i < j; ++i) {
        if (items[i * stride] == items[j * stride]) return j;
      }
    }
    return SIZE_MAX;
  }
  std::vector<std::pair<size_t, size_t>> h(n);
  for (size_t i = 0; i < n; ++i) h[i] = {HashNode(items[i * stride]), i};
  std::sort(h.begin(), h.end());
  size_t found = SIZE_MAX;
  for (size_t g = 0; g < n;) {
    size_t e = g + 1;
    while (e < n && h[e].first == h[g].first) ++e;
    for (size_t x = g + 1; x < e; ++x) {
      for (size_t y = g; y < x; ++y) {
        if (items[h[x].second * stride] == items[h[y].second * stride]) {
          found = std::min(found, std::max(h[x].second, h[y].second));
        }
      }
    }
    g = e;
  }
  return found;
}

bool Node::operator==(const Node& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kNil: return true;
    case Kind::kBool: return b == o.b;
    case Kind::kLong:
    case Kind::kInst: return i == o.i;
    case Kind::kDouble: return DoubleEq(d, o.d);
    case Kind::kString:
    case Kind::kKeyword:
    case Kind::kSymbol:
    case Kind::kBigInt:
    case Kind::kBigDec: return s == o.s;
    case Kind::kUuid: return uuid == o.uuid;
    case Kind::kTagged:
      if (s != o.s) return false;
      [[fallthrough]];
    case Kind::kVector:
    case Kind::kList: return items == o.items;
    case Kind::kSet: return UnorderedEqual(items, o.items, 1);
    case Kind::kMap: return items.size() % 2 == 0 && UnorderedEqual(items, o.items, 2);
  }
  return false;
}

}  // namespace strata::edn
