#include "index/durable_index.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <unordered_map>

#include "util/coding.h"
#include "format/segment.h"
#include "index/unique_value_filter.h"

namespace strata {

std::string TreeName(int tree) {
  return std::string(IndexName(TreeOrder(tree))) + (TreeKindOf(tree) == TreeKind::kCurrent ? "/current" : "/history");
}

std::string SegmentKey(uint64_t id) { return "seg/" + SegmentName(id); }

bool ParseSegmentKey(const std::string& key, uint64_t* id) {
  if (key.size() != 20 || key.compare(0, 4, "seg/") != 0) return false;
  uint64_t v = 0;
  for (size_t i = 4; i < key.size(); ++i) {
    char c = key[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *id = v;
  return true;
}

IndexShape IndexRoot::Shape() const {
  IndexShape s;
  s.basis_t = basis_t;
  for (int t = 0; t < kTreeCount; ++t) {
    for (const auto& l : trees[t]) {
      LevelShape ls;
      ls.segments = l->segments;
      ls.datoms = l->datoms;
      ls.bytes = l->bytes;
      s.trees[t].push_back(std::move(ls));
    }
  }
  return s;
}

uint64_t IndexRoot::datoms() const {
  // Every datom is in each of EAVT's two trees exactly once.
  uint64_t n = 0;
  for (TreeKind k : {TreeKind::kCurrent, TreeKind::kHistory})
    for (const auto& l : trees[TreeNumber(k, Index::kEavt)]) n += l->datoms;
  return n;
}

size_t IndexRoot::MaxLevels() const {
  size_t m = 0;
  for (const auto& t : trees) m = std::max(m, t.size());
  return m;
}

void IndexRoot::CollectIds(std::vector<uint64_t>* out) const {
  for (const auto& t : trees)
    for (const auto& l : t) {
      for (const auto& s : l->segments) out->push_back(s.id);
      out->insert(out->end(), l->directories.begin(), l->directories.end());
    }
}

std::string EncodeRoot(const IndexRoot& root) {
  std::string out = "STRATROOT";
  coding::PutFixed32(&out, kRootVersion);
  coding::PutLengthPrefixed(&out, root.strategy);
  coding::PutVarint64(&out, root.basis_t);
  coding::PutVarint64(&out, root.generation);
  coding::PutVarint64(&out, root.next_segment);
  coding::PutVarint64(&out, root.next_t);
  coding::PutZigzag64(&out, root.last_instant);
  for (const auto& tree : root.trees) {
    coding::PutVarint64(&out, tree.size());
    for (const auto& l : tree) {
      coding::PutVarint64(&out, l->directories.size());
      for (uint64_t d : l->directories) coding::PutVarint64(&out, d);
    }
  }
  coding::PutFixed64(&out, coding::Checksum(out));
  return out;
}

namespace {
Status RootCorrupt(const std::string& what) { return Status::Corruption("index root: " + what); }

// Checks the root's checksum and decodes its header into *root; *rest is
// the tree part after it.
Status DecodeRootHeader(std::string_view bytes, IndexRoot* root, std::string_view* rest) {
  auto corrupt = RootCorrupt;
  if (bytes.size() < 9 + 4 + 8 || bytes.substr(0, 9) != "STRATROOT") return corrupt("bad magic or too short");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  if (coding::DecodeFixed64(bytes.data() + body.size()) != coding::Checksum(body)) return corrupt("checksum mismatch");
  std::string_view in = body.substr(9);
  uint32_t version;
  if (!coding::GetFixed32(&in, &version)) return corrupt("truncated");
  if (version == 1) {
    return corrupt("version 1 is older than this strata's version " + std::to_string(kRootVersion) +
                   ": its segments order keywords as whole strings, this version by namespace, then name; "
                   "`strata repair` moves the old index aside and rebuilds it from the log");
  }
  if (version != kRootVersion) {
    return corrupt("unsupported version " + std::to_string(version) + " (this strata reads version " +
                   std::to_string(kRootVersion) + ")");
  }
  std::string_view strategy;
  if (!coding::GetLengthPrefixed(&in, &strategy) || !coding::GetVarint64(&in, &root->basis_t) ||
      !coding::GetVarint64(&in, &root->generation) || !coding::GetVarint64(&in, &root->next_segment) ||
      !coding::GetVarint64(&in, &root->next_t) || !coding::GetZigzag64(&in, &root->last_instant))
    return corrupt("truncated header");
  root->strategy = std::string(strategy);
  *rest = in;
  return Status::OK();
}
}  // namespace

Result<IndexRoot> ReadRootHeader(std::string_view bytes) {
  IndexRoot root;
  std::string_view rest;
  STRATA_RETURN_IF_ERROR(DecodeRootHeader(bytes, &root, &rest));
  return root;
}

Result<std::shared_ptr<const IndexRoot>> LoadRoot(DurableContext& ctx, std::string_view bytes) {
  auto corrupt = RootCorrupt;
  auto root = std::make_shared<IndexRoot>();
  std::string_view in;
  STRATA_RETURN_IF_ERROR(DecodeRootHeader(bytes, root.get(), &in));
  // The directory ids of every level first, then their blobs in one
  // storage call (one round trip on a networked store).
  std::vector<std::vector<std::vector<uint64_t>>> dir_ids(kTreeCount);
  std::vector<std::string> keys;
  for (int t = 0; t < kTreeCount; ++t) {
    uint64_t levels;
    if (!coding::GetVarint64(&in, &levels) || levels > 64) return corrupt("bad level count");
    dir_ids[t].resize(levels);
    for (uint64_t i = 0; i < levels; ++i) {
      uint64_t dirs;
      if (!coding::GetVarint64(&in, &dirs) || dirs > (1u << 24)) return corrupt("bad directory count");
      for (uint64_t d = 0; d < dirs; ++d) {
        uint64_t id;
        if (!coding::GetVarint64(&in, &id)) return corrupt("truncated directory list");
        dir_ids[t][i].push_back(id);
        keys.push_back(SegmentKey(id));
      }
    }
  }
  if (!in.empty()) return corrupt("trailing bytes");
  auto blobs = ctx.storage->GetMany(keys);
  if (!blobs.ok()) return blobs.status().WithContext("index root: reading its " + std::to_string(keys.size()) + " directories");
  size_t next_blob = 0;
  for (int t = 0; t < kTreeCount; ++t) {
    for (const auto& ids : dir_ids[t]) {
      auto level = std::make_shared<Level>();
      for (uint64_t id : ids) {
        const std::string& blob = (*blobs)[next_blob++];
        Index order;
        std::vector<SegmentRef> refs;
        STRATA_RETURN_IF_ERROR(DecodeDirectory(blob, SegmentName(id), &order, &refs));
        if (order != TreeOrder(t)) return Status::Corruption("directory " + SegmentName(id) + " has the wrong order");
        level->directories.push_back(id);
        level->directory_refs.push_back(static_cast<uint32_t>(refs.size()));
        for (auto& r : refs) {
          level->datoms += r.count;
          level->bytes += r.bytes;
          level->segments.push_back(std::move(r));
        }
      }
      root->trees[t].push_back(std::move(level));
    }
  }
  return std::shared_ptr<const IndexRoot>(std::move(root));
}

LatencyHistogram DurableContext::LeafFetches() const {
  LatencyHistogram h;
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    h.buckets[i] = leaf_fetch_buckets[i].load(std::memory_order_relaxed);
    h.count += h.buckets[i];
  }
  h.sum_ms = static_cast<double>(leaf_fetch_ns.load(std::memory_order_relaxed)) / 1e6;
  return h;
}

ReadCounters& ThisThreadReads() {
  thread_local ReadCounters counters;
  return counters;
}

Result<std::shared_ptr<const DecodedLeaf>> ReadLeaf(DurableContext& ctx, const SegmentRef& ref) {
  // One capture, so the loader fits std::function's inline buffer (no
  // allocation per read); it notes whether the leaf came from storage.
  struct Load {
    DurableContext& ctx;
    const SegmentRef& ref;
    bool loaded = false;
    uint64_t bytes = 0;
  } l{ctx, ref};
  auto leaf = ctx.cache->GetOrLoad(ref.id, [&l]() -> Result<std::shared_ptr<const DecodedLeaf>> {
    l.loaded = true;
    const auto t0 = std::chrono::steady_clock::now();
    auto blob = l.ctx.storage->Get(SegmentKey(l.ref.id));
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    l.ctx.leaf_fetch_buckets[LatencyHistogram::BucketOf(static_cast<double>(ns) / 1e6)].fetch_add(
        1, std::memory_order_relaxed);
    l.ctx.leaf_fetch_ns.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
    if (!blob.ok()) return blob.status().WithContext("reading segment " + SegmentName(l.ref.id));
    auto decoded = std::make_shared<DecodedLeaf>();
    decoded->id = l.ref.id;
    STRATA_RETURN_IF_ERROR(DecodeLeaf(*blob, SegmentName(l.ref.id), &decoded->order, &decoded->datoms));
    if (decoded->datoms.size() != l.ref.count)
      return Status::Corruption("segment " + SegmentName(l.ref.id) + " holds " + std::to_string(decoded->datoms.size()) +
                                " datoms, its directory says " + std::to_string(l.ref.count));
    decoded->memory_bytes = LeafMemoryBytes(decoded->datoms);
    l.ctx.leaves_read++;
    l.ctx.leaf_bytes_read += blob->size();
    l.bytes = blob->size();
    return std::shared_ptr<const DecodedLeaf>(std::move(decoded));
  });
  if (!leaf.ok()) return leaf;
  ReadCounters& counters = ThisThreadReads();
  ++counters.segments[static_cast<int>((*leaf)->order)];
  if (l.loaded) {
    ++counters.storage_reads;
    counters.storage_bytes += l.bytes;
  } else {
    ++counters.cache_hits;
  }
  return leaf;
}

namespace {

// Walks one level. After a Seek that lands on the start of a segment, the
// iterator stands on that segment's first datom as its directory entry
// gives it, without reading the leaf: a point read seeks every level, and
// the levels that do not hold the key then cost no leaf read at all. The
// leaf is read on the first Next.
//
// With a ValueFilter (F), every move ends by passing the datoms of the
// bound whose value is not the filter's (SkipOthers, over the decoded
// leaf); a seek then reads the leaf it lands in, and a skip that reaches a
// segment starting past the bound stands on its first datom unread.
template <Index O, bool F = false>
class LevelIterator final : public DatomIterator {
 public:
  // Borrows ctx and level: the caller keeps them alive (a database value's
  // state holds both) for as long as the iterator exists.
  LevelIterator(DurableContext* ctx, const Level* level, const ValueFilter* filter = nullptr)
      : ctx_(ctx), level_(level), filter_(filter) {}
  // Holds them alive itself.
  LevelIterator(std::shared_ptr<DurableContext> ctx, std::shared_ptr<const Level> level)
      : LevelIterator(ctx.get(), level.get()) {
    ctx_owner_ = std::move(ctx);
    level_owner_ = std::move(level);
  }

  bool Valid() const override { return at_first_ || (leaf_ != nullptr && pos_ < leaf_->datoms.size()); }
  void SeekToFirst() override {
    at_first_ = false;
    Load(0);
    pos_ = 0;
    SkipEmpty();
    if constexpr (F) {
      TakeBound();
      SkipOthers();
    }
  }
  void Seek(const Datom& target) override {
    if constexpr (F) TakeBound();
    if (SeekInLeaf(target)) {
      if constexpr (F) SkipOthers();
      return;
    }
    at_first_ = false;
    const auto& segs = level_->segments;
    // The first segment whose last datom is >= target.
    auto it = std::lower_bound(segs.begin(), segs.end(), target,
                               [&](const SegmentRef& s, const Datom& t) { return CompareDatomsIn<O>(s.last, t) < 0; });
    if (!F && it != segs.end() && it->count > 0 && !failed() && CompareDatomsIn<O>(target, it->first) <= 0) {
      seg_ = static_cast<size_t>(it - segs.begin());
      leaf_.reset();
      at_first_ = true;
      return;
    }
    Load(static_cast<size_t>(it - segs.begin()));
    if (!leaf_) return;
    pos_ = static_cast<size_t>(std::lower_bound(leaf_->datoms.begin(), leaf_->datoms.end(), target, DatomLessIn<O>{}) -
                               leaf_->datoms.begin());
    SkipEmpty();
    if constexpr (F) SkipOthers();
  }
  void Next() override {
    if (at_first_) {
      at_first_ = false;
      Load(seg_);
      pos_ = 0;
    }
    ++pos_;
    SkipEmpty();
    if constexpr (F) SkipOthers();
  }
  const Datom& datom() const override { return at_first_ ? level_->segments[seg_].first : leaf_->datoms[pos_]; }
  bool SeeksNear() const override { return true; }
  void Park() override {
    leaf_.reset();  // a parked level pins no leaf outside the cache's bound
    at_first_ = false;
  }

 private:
  void Load(size_t i) {
    seg_ = i;
    leaf_.reset();
    if (i >= level_->segments.size() || failed()) return;
    auto r = ReadLeaf(*ctx_, level_->segments[i]);
    if (!r.ok()) {
      Fail(r.status());
      return;
    }
    leaf_ = std::move(*r);
  }
  // A target ahead of the position but within the leaf read: searched
  // from the position (galloping, 4x a step), neither the directory nor the
  // segment cache consulted. False when the target is elsewhere.
  bool SeekInLeaf(const Datom& target) {
    if (at_first_ || leaf_ == nullptr || pos_ >= leaf_->datoms.size()) return false;
    const std::vector<Datom>& ds = leaf_->datoms;
    if (CompareDatomsIn<O>(ds[pos_], target) >= 0 || CompareDatomsIn<O>(ds.back(), target) < 0) return false;
    // The answer is in (pos_, size - 1]: ds.back() is not before target.
    size_t lo = pos_ + 1, hi = ds.size() - 1;
    for (size_t step = 1; step <= 64 && pos_ + step < hi; step *= 4) {
      if (CompareDatomsIn<O>(ds[pos_ + step], target) >= 0) {
        hi = pos_ + step;
        break;
      }
      lo = pos_ + step + 1;
    }
    pos_ = static_cast<size_t>(
        std::lower_bound(ds.begin() + static_cast<ptrdiff_t>(lo), ds.begin() + static_cast<ptrdiff_t>(hi), target,
                         DatomLessIn<O>{}) -
        ds.begin());
    return true;
  }
  void SkipEmpty() {
    while (leaf_ && pos_ >= leaf_->datoms.size()) {
      Load(seg_ + 1);
      pos_ = 0;
    }
  }
  // The filter's bound for the reads until the next seek.
  void TakeBound() {
    const std::vector<Value>* prefix = filter_->prefix;
    bound_n_ = prefix == nullptr ? 0 : std::min<size_t>(prefix->size(), 3);
    if (bound_n_ > 0) bound_ = PrefixTarget(O, *prefix);
  }
  // Whether d has the bound's first bound_n_ components.
  bool InBound(const Datom& d) const { return SameFirst<O>(d, bound_, bound_n_); }
  // Passes the datoms within the bound whose value is not the filter's:
  // stops at the end, on a datom of the value, or on one past the bound (a
  // next segment that starts past it is not read: the position stands on
  // its first datom, as a seek's does).
  void SkipOthers() {
    const Value& want = filter_->v;
    while (leaf_) {
      const std::vector<Datom>& ds = leaf_->datoms;
      for (; pos_ < ds.size(); ++pos_)
        if (ds[pos_].v == want || !InBound(ds[pos_])) return;
      const auto& segs = level_->segments;
      if (seg_ + 1 < segs.size() && segs[seg_ + 1].count > 0 && !InBound(segs[seg_ + 1].first)) {
        ++seg_;
        leaf_.reset();
        at_first_ = true;
        return;
      }
      if (filter_->deadline != std::chrono::steady_clock::time_point::max() &&
          std::chrono::steady_clock::now() > filter_->deadline) {
        leaf_.reset();
        Fail(Status::Aborted("a scan of " + SegmentName(level_->segments[seg_].id) +
                             "'s level for one value passed its deadline"));
        return;
      }
      Load(seg_ + 1);
      pos_ = 0;
    }
  }

  DurableContext* ctx_;
  const Level* level_;
  std::shared_ptr<DurableContext> ctx_owner_;  // empty when borrowed
  std::shared_ptr<const Level> level_owner_;
  const ValueFilter* filter_;  // F: the scan's value and prefix
  Datom bound_;                // F: the prefix at the last seek, its first bound_n_ components
  size_t bound_n_ = 0;
  size_t seg_ = 0, pos_ = 0;
  bool at_first_ = false;  // on segments[seg_].first, leaf not read yet
  std::shared_ptr<const DecodedLeaf> leaf_;
};

}  // namespace

std::unique_ptr<DatomIterator> NewLevelIterator(std::shared_ptr<DurableContext> ctx,
                                                std::shared_ptr<const Level> level, Index order) {
  return WithOrder(order, [&](auto o) -> std::unique_ptr<DatomIterator> {
    return std::make_unique<LevelIterator<decltype(o)::value>>(std::move(ctx), std::move(level));
  });
}

Status AppendLevelAv(DurableContext& ctx, const Level& level, EntityId a, const Value& v, uint64_t hash,
                     std::vector<Datom>* out) {
  constexpr Index O = Index::kAvet;
  Datom target;  // the first AVET key of (a v): e, tx 0, a retraction
  target.a = a;
  target.v = v;
  target.added = false;
  const auto& segs = level.segments;
  // The first leaf whose last datom is >= target; a run of (a v) may go on
  // into the leaves after it.
  auto it = std::lower_bound(segs.begin(), segs.end(), target,
                             [](const SegmentRef& s, const Datom& t) { return CompareDatomsIn<O>(s.last, t) < 0; });
  for (; it != segs.end(); ++it) {
    if (it->count == 0) continue;
    // A leaf that starts past (a v) holds none (nor do the ones after it).
    if ((it->first.a != a || !(it->first.v == v)) && CompareDatomsIn<O>(target, it->first) < 0) return Status::OK();
    // A leaf that holds no (a v) ends the run: its last datom is past it.
    if (it->filter && !it->filter->MayContain(a, hash)) {
      ++ThisThreadReads().filter_skips;
      return Status::OK();
    }
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const DecodedLeaf> leaf, ReadLeaf(ctx, *it));
    const std::vector<Datom>& ds = leaf->datoms;
    auto d = std::lower_bound(ds.begin(), ds.end(), target, DatomLessIn<O>{});
    for (; d != ds.end(); ++d) {
      if (d->a != a || !(d->v == v)) return Status::OK();
      out->push_back(*d);
    }
  }
  return Status::OK();
}

void AddDurableSources(const std::shared_ptr<DurableContext>& ctx, const IndexRoot& root, Index order,
                       bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                       const ValueFilter* filter) {
  for (TreeKind k : {TreeKind::kCurrent, TreeKind::kHistory}) {
    if (k == TreeKind::kHistory && !with_history) break;
    for (const auto& l : root.trees[TreeNumber(k, order)]) {
      if (l->segments.empty()) continue;
      out->push_back(WithOrder(order, [&](auto o) -> std::unique_ptr<DatomIterator> {
        if (filter != nullptr)
          return std::make_unique<LevelIterator<decltype(o)::value, true>>(ctx.get(), l.get(), filter);
        return std::make_unique<LevelIterator<decltype(o)::value>>(ctx.get(), l.get());
      }));
    }
  }
}

namespace {
// Content-defined directory boundaries: stable under local edits, about one
// leaf in 2^bits ends a directory.
bool IsBoundary(uint64_t id, int bits) { return (id * 0x9E3779B97F4A7C15ULL) >> (64 - bits) == 0; }
}  // namespace

int DirectoryBits(uint64_t segment_datoms) {
  int log2 = 0;
  while ((uint64_t{1} << (log2 + 1)) <= segment_datoms) ++log2;
  return std::clamp(log2 - 3, 4, 9);  // 4096-datom leaves: ~512 refs
}

Status WriteDirectories(Storage& storage, Index order, int bits, const Level* previous, Level* level,
                        uint64_t* next_id, uint64_t* segments_written, uint64_t* bytes_written) {
  // Index the previous directories by their first leaf id and size.
  std::unordered_map<uint64_t, std::pair<uint64_t, size_t>> prev;  // first leaf id -> (dir id, index)
  std::vector<std::pair<size_t, size_t>> prev_ranges;
  if (previous) {
    size_t at = 0;
    for (size_t d = 0; d < previous->directories.size(); ++d) {
      size_t n = previous->directory_refs[d];
      if (n > 0 && at + n <= previous->segments.size()) prev[previous->segments[at].id] = {previous->directories[d], d};
      prev_ranges.push_back({at, n});
      at += n;
    }
  }
  level->directories.clear();
  level->directory_refs.clear();
  level->datoms = level->bytes = 0;
  for (const auto& s : level->segments) {
    level->datoms += s.count;
    level->bytes += s.bytes;
  }
  const auto& segs = level->segments;
  size_t start = 0;
  uint64_t cost = 0;  // of refs start..i (format/segment.h): a directory always fits a segment
  for (size_t i = 0; i < segs.size(); ++i) {
    cost += DirectoryRefCost(segs[i]);
    bool end = i + 1 == segs.size() || IsBoundary(segs[i].id, bits) || i + 1 - start >= kMaxDirectoryRefs ||
               cost + DirectoryRefCost(segs[i + 1]) > kDirectoryTargetBytes;
    if (!end) continue;
    cost = 0;
    const size_t n = i + 1 - start;
    // Reuse an unchanged directory.
    uint64_t reuse = 0;
    if (auto p = prev.find(segs[start].id); p != prev.end()) {
      auto [at, pn] = prev_ranges[p->second.second];
      if (pn == n && std::equal(segs.begin() + start, segs.begin() + i + 1, previous->segments.begin() + at))
        reuse = p->second.first;
    }
    if (reuse == 0) {
      reuse = (*next_id)++;
      std::vector<SegmentRef> refs(segs.begin() + start, segs.begin() + i + 1);
      STRATA_ASSIGN_OR_RETURN(std::string blob, EncodeDirectory(order, refs));
      STRATA_RETURN_IF_ERROR(storage.Put(SegmentKey(reuse), blob));
      ++*segments_written;
      *bytes_written += blob.size();
    }
    level->directories.push_back(reuse);
    level->directory_refs.push_back(static_cast<uint32_t>(n));
    start = i + 1;
  }
  return Status::OK();
}

}  // namespace strata
