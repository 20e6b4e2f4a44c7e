#include "index/unique_value_filter.h"

#include <xxhash.h>

#include <algorithm>

namespace strata {

uint64_t ValueKeyHash(EntityId a, const Value& v) {
  // Every field operator== compares; the text only when there is one.
  const uint64_t fields[4] = {a, static_cast<uint64_t>(v.type()), static_cast<uint64_t>(v.as_long()), v.uuid().lo};
  const uint64_t h = XXH3_64bits(fields, sizeof(fields));
  const std::string& text = v.str();
  return text.empty() ? h : XXH3_64bits_withSeed(text.data(), text.size(), h);
}

namespace {
// The block from the high half of the hash, the bits within it from the
// low half, each probe a multiplicative step (RocksDB's FastLocalBloom).
inline uint32_t BlockOf(uint64_t hash, uint32_t blocks) {
  return static_cast<uint32_t>(((hash >> 32) * blocks) >> 32);
}
constexpr uint32_t kProbeStep = 0x9e3779b9;
}  // namespace

std::shared_ptr<const UniqueValueFilter> UniqueValueFilter::Build(std::span<const Datom> avet,
                                                      const std::function<bool(EntityId)>& covered) {
  // Runs of one attribute (AVET order; tolerant of any order: a repeated
  // attribute is asked again and listed once).
  std::vector<std::pair<size_t, size_t>> runs;
  std::vector<EntityId> attrs;
  for (size_t i = 0; i < avet.size();) {
    size_t j = i + 1;
    while (j < avet.size() && avet[j].a == avet[i].a) ++j;
    if (covered(avet[i].a)) {
      runs.emplace_back(i, j);
      attrs.push_back(avet[i].a);
    }
    i = j;
  }
  if (runs.empty()) return nullptr;
  uint64_t keys = 0;
  for (auto [i, j] : runs) keys += j - i;
  std::shared_ptr<UniqueValueFilter> f(new UniqueValueFilter());
  std::sort(attrs.begin(), attrs.end());
  attrs.erase(std::unique(attrs.begin(), attrs.end()), attrs.end());
  f->attrs_ = std::move(attrs);
  f->keys_ = keys;
  const uint64_t bits = keys * kBitsPerKey;
  f->blocks_ = static_cast<uint32_t>(std::max<uint64_t>(1, (bits + 511) / 512));
  f->words_.assign(size_t{f->blocks_} * kBlockWords, 0);
  for (auto [i, j] : runs) {
    for (size_t k = i; k < j; ++k) {
      const uint64_t h = ValueKeyHash(avet[k].a, avet[k].v);
      uint64_t* block = f->words_.data() + size_t{BlockOf(h, f->blocks_)} * kBlockWords;
      uint32_t h32 = static_cast<uint32_t>(h);
      for (int p = 0; p < kProbes; ++p) {
        const uint32_t bit = h32 >> 23;  // 0..511
        block[bit >> 6] |= uint64_t{1} << (bit & 63);
        h32 *= kProbeStep;
      }
    }
  }
  return f;
}

bool UniqueValueFilter::Covers(EntityId a) const {
  // Usually one attribute: a leaf of the current AVET tree is cut where the
  // attribute changes.
  if (attrs_.size() == 1) return attrs_[0] == a;
  return std::binary_search(attrs_.begin(), attrs_.end(), a);
}

bool UniqueValueFilter::MayContainHash(uint64_t hash) const {
  const uint64_t* block = words_.data() + size_t{BlockOf(hash, blocks_)} * kBlockWords;
  uint32_t h32 = static_cast<uint32_t>(hash);
  for (int p = 0; p < kProbes; ++p) {
    const uint32_t bit = h32 >> 23;
    if ((block[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
    h32 *= kProbeStep;
  }
  return true;
}

size_t UniqueValueFilter::MemoryBytes() const {
  return sizeof(*this) + words_.capacity() * sizeof(uint64_t) + attrs_.capacity() * sizeof(EntityId);
}

}  // namespace strata
