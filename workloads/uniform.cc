// The `uniform` workload (see uniform.h).

#include "workloads/uniform.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>
#include <vector>

namespace strata::workloads {

namespace {

using edn::Node;

constexpr int kTagCount = 16;
constexpr const char* kKinds[] = {"kind/a", "kind/b", "kind/c", "kind/d", "kind/e"};
// Attributes an update may replace (cardinality one).
constexpr const char* kUpdatable[] = {"u/name",    "u/count", "u/score", "u/active",
                                      "u/created", "u/key",   "u/kind",  "u/parent"};

Node Kw(const char* name) { return Node::Keyword(name); }

Node Attr(const char* ident, const char* type, bool many, const char* extra_key = nullptr,
          Node extra_value = Node()) {
  std::vector<Node> kvs = {Kw("db/ident"),       Kw(ident),
                           Kw("db/valueType"),   Node::Keyword(std::string("db.type/") + type),
                           Kw("db/cardinality"), Kw(many ? "db.cardinality/many" : "db.cardinality/one")};
  if (extra_key != nullptr) {
    kvs.push_back(Kw(extra_key));
    kvs.push_back(std::move(extra_value));
  }
  return Node::Map(std::move(kvs));
}

Node LookupRef(uint64_t n) { return Node::Vector({Kw("u/id"), Node::String(UniformWorkload::IdOf(n))}); }

Node Tag(uint64_t k) { return Node::String("t" + std::to_string(k)); }

}  // namespace

std::string UniformOptions::ToString() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "workload=uniform transactions=%llu seed=%llu entities_per_tx=%d update_ratio=%g tag_ratio=%g",
                static_cast<unsigned long long>(transactions), static_cast<unsigned long long>(seed),
                entities_per_tx, update_ratio, tag_ratio);
  return buf;
}

UniformWorkload::UniformWorkload(UniformOptions options) : options_(options), rng_(options.seed) {}

std::string UniformWorkload::IdOf(uint64_t n) { return "u-" + std::to_string(n); }

Node UniformWorkload::Schema() const {
  return Node::Vector({
      Attr("u/id", "string", false, "db/unique", Kw("db.unique/identity")),
      Attr("u/name", "string", false, "db/doc", Node::String("a display name")),
      Attr("u/count", "long", false, "db/index", Node::Bool(true)),
      Attr("u/score", "double", false),
      Attr("u/active", "boolean", false),
      Attr("u/created", "instant", false),
      Attr("u/key", "uuid", false),
      Attr("u/kind", "keyword", false),
      Attr("u/parent", "ref", false),
      Attr("u/links", "ref", true),
      Attr("u/tags", "string", true),
  });
}

uint64_t UniformWorkload::PickEarlier() {
  uint64_t m = Rand() % created_;
  // Doomed numbers are >= 13, so m - 1 exists and is not doomed.
  return Doomed(m) ? m - 1 : m;
}

Node UniformWorkload::RandomValue(const std::string& attr, uint64_t n) {
  if (attr == "u/name") return Node::String("name-" + std::to_string(Rand() % 100000));
  if (attr == "u/count") return Node::Long(static_cast<int64_t>(Rand() % 1000));
  if (attr == "u/score") return Node::Double(static_cast<double>(Rand() % 1000000) / 100.0);
  if (attr == "u/active") return Node::Bool((Rand() & 1) != 0);
  if (attr == "u/created") return Node::Inst(options_.base_ms + static_cast<int64_t>(n * 1000 + Rand() % 1000));
  if (attr == "u/key") {
    Uuid u{Rand(), Rand()};
    u.hi = (u.hi & ~uint64_t{0xF000}) | 0x4000;                         // version 4
    u.lo = (u.lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // RFC 4122 variant
    return Node::FromUuid(u);
  }
  if (attr == "u/kind") return Kw(kKinds[Rand() % std::size(kKinds)]);
  if (attr == "u/parent") return LookupRef(PickEarlier());
  return Node();
}

Node UniformWorkload::NewEntity(uint64_t n, uint64_t first_in_tx) {
  std::vector<Node> kvs = {Kw("db/id"), Node::String(IdOf(n)), Kw("u/id"), Node::String(IdOf(n))};
  for (const char* a : {"u/name", "u/count", "u/score", "u/active", "u/created", "u/key", "u/kind"}) {
    kvs.push_back(Kw(a));
    kvs.push_back(RandomValue(a, n));
  }
  if (created_ > 0) {
    kvs.push_back(Kw("u/parent"));
    kvs.push_back(LookupRef(PickEarlier()));
  } else if (n > first_in_tx && !Doomed(n - 1)) {
    kvs.push_back(Kw("u/parent"));
    kvs.push_back(Node::String(IdOf(n - 1)));  // a tempid of this transaction
  }
  if (created_ > 0) {
    std::vector<Node> links;
    const uint64_t count = Rand() % 3;
    uint64_t first = 0;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t m = PickEarlier();
      if (i > 0 && m == first) continue;
      first = m;
      links.push_back(LookupRef(m));
    }
    if (!links.empty()) {
      kvs.push_back(Kw("u/links"));
      kvs.push_back(Node::Vector(std::move(links)));
    }
  }
  const uint64_t tags = Rand() % 3;
  if (tags > 0) {
    std::vector<Node> set;
    uint64_t a = Rand() % kTagCount;
    set.push_back(Tag(a));
    if (tags == 2) set.push_back(Tag((a + 1 + Rand() % (kTagCount - 1)) % kTagCount));
    kvs.push_back(Kw("u/tags"));
    kvs.push_back(Node::Set(std::move(set)));
  }
  return Node::Map(std::move(kvs));
}

Node UniformWorkload::Touch(uint64_t m) {
  if (Chance(options_.tag_ratio)) {
    const bool add = (Rand() & 1) != 0;
    return Node::Vector({Kw(add ? "db/add" : "db/retract"), LookupRef(m), Kw("u/tags"), Tag(Rand() % kTagCount)});
  }
  const char* attr = kUpdatable[Rand() % std::size(kUpdatable)];
  return Node::Vector({Kw("db/add"), LookupRef(m), Kw(attr), RandomValue(attr, m)});
}

bool UniformWorkload::Next(Node* tx) {
  if (produced_ >= options_.transactions) return false;
  std::vector<Node> ops;
  // Retract the doomed entities of the previous transaction.
  for (uint64_t n = prev_first_; n < prev_end_; ++n) {
    if (Doomed(n)) ops.push_back(Node::Vector({Kw("db/retractEntity"), LookupRef(n)}));
  }
  const uint64_t first = created_;
  const uint64_t count = options_.entities_per_tx > 0 ? static_cast<uint64_t>(options_.entities_per_tx) : 0;
  uint64_t touches = 0;
  for (uint64_t i = 0; i < count; ++i) {
    ops.push_back(NewEntity(first + i, first));
    if (Chance(options_.update_ratio)) ++touches;
  }
  // Touch distinct earlier entities, walking forward from a random one. At
  // most half of them, which never exceeds the entities that are not doomed.
  touches = std::min(touches, (created_ + 1) / 2);
  if (touches > 0) {
    uint64_t m = Rand() % created_;
    for (uint64_t i = 0; i < touches; ++i) {
      while (Doomed(m)) m = (m + 1) % created_;
      ops.push_back(Touch(m));
      m = (m + 1) % created_;
    }
  }
  created_ += count;
  prev_first_ = first;
  prev_end_ = created_;
  ++produced_;
  *tx = Node::Vector(std::move(ops));
  return true;
}

}  // namespace strata::workloads
