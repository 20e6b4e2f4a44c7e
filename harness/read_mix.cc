// The fixed read mix (see read_mix.h).

#include "read_mix.h"

#include <algorithm>
#include <set>
#include <vector>

#include "strata/connection.h"
#include "strata/cursor.h"
#include "strata/database.h"
#include "strata/indexing.h"
#include "strata/location.h"

namespace strata::harness {

namespace {

struct Probe {
  EntityId e = 0, a = 0;
};

uint64_t Leaves(const ReadCounters& c) { return c.storage_reads + c.cache_hits; }

// The entities and attributes to read: see the header.
Result<std::vector<Probe>> Probes(const Database& db) {
  const IndexShape shape = db.durable_index_shape();
  std::vector<const SegmentRef*> leaves;
  for (const LevelShape& level : shape.trees[TreeNumber(TreeKind::kCurrent, Index::kEavt)])
    for (const SegmentRef& s : level.segments) leaves.push_back(&s);
  std::sort(leaves.begin(), leaves.end(), [](const SegmentRef* x, const SegmentRef* y) {
    return x->first.e != y->first.e ? x->first.e < y->first.e : x->id < y->id;
  });
  std::vector<Probe> out;
  std::set<EntityId> seen;
  const size_t n = std::min(leaves.size(), kReadMixAnchors);
  for (size_t i = 0; i < n; ++i) {
    const SegmentRef& leaf = *leaves[i * leaves.size() / n];
    const EntityId mid = leaf.first.e + (leaf.last.e - leaf.first.e) / 2;
    STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.SeekDatoms(Index::kEavt, {Value::Ref(mid)}));
    if (!c.Valid()) {
      STRATA_RETURN_IF_ERROR(c.status());
      continue;
    }
    const Datom& d = c.datom();
    if (seen.insert(d.e).second) out.push_back({d.e, d.a});
  }
  return out;
}

}  // namespace

Result<ReadMixFigures> MeasureReadMix(const std::string& location, Options options) {
  options.read_only = true;
  options.create_if_missing = false;
  options.background_indexing = false;
  options.segment_cache_bytes = 0;
  auto opened = Connection::Open(location, options);
  if (!opened.ok()) return opened.status().WithContext("read mix: opening " + RedactLocation(location));
  const Database db = (*opened)->db();
  ReadMixFigures f;
  STRATA_ASSIGN_OR_RETURN(const std::vector<Probe> probes, Probes(db));
  for (const Probe& p : probes) {
    const ReadCounters before = ThreadReadCounters();
    STRATA_RETURN_IF_ERROR(ForEach(db.Datoms(Index::kEavt, {Value::Ref(p.e)}), [](const Datom&) { return Status::OK(); }));
    const ReadCounters read = ThreadReadCounters() - before;
    f.point_reads++;
    f.point_segments += Leaves(read);
    f.point_bytes += read.storage_bytes;
  }
  for (const Probe& p : probes) {
    const ReadCounters before = ThreadReadCounters();
    STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.SeekDatoms(Index::kAevt, {Value::Ref(p.a), Value::Ref(p.e)}));
    for (size_t n = 0; n < kReadMixScanDatoms && c.Valid() && c.datom().a == p.a; ++n) c.Next();
    STRATA_RETURN_IF_ERROR(c.status());
    const ReadCounters read = ThreadReadCounters() - before;
    f.range_scans++;
    f.scan_segments += Leaves(read);
    f.scan_bytes += read.storage_bytes;
  }
  STRATA_RETURN_IF_ERROR((*opened)->Close());
  return f;
}

}  // namespace strata::harness
