#include "index/index_job.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <optional>
#include <span>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "strata/mutex.h"
#include "util/coding.h"
#include "util/planted_faults.h"
#include "format/segment.h"
#include "index/unique_value_filter.h"

namespace strata {
namespace {

bool SameEav(const Datom& x, const Datom& y) { return x.e == y.e && x.a == y.a && x.v == y.v; }

// The datoms a list of segments holds, by their refs (for reserving; a
// bogus count only costs the reservation, capped at the leaf limit each).
uint64_t SliceDatoms(const std::vector<SegmentRef>& segs) {
  uint64_t n = 0;
  for (const SegmentRef& s : segs) n += std::min<uint64_t>(s.count, kMaxSegmentDatoms);
  return n;
}

// Merges the sorted `src` into the sorted (*dst)[floor, end) in place,
// from the back: the result is std::merge's (of equal datoms, *dst's
// first; src's first with kSrcFirst), but only the datoms of *dst after
// src's first place move, once, and no third vector is built (nor freed).
// (*dst)[0, floor) is not read (it may hold moved-from datoms). Each
// datom of src finds the datoms of *dst after it by a few steps back,
// then galloping and a binary search (a segment takes a few datoms of
// novelty: ~log n comparisons each, not one per datom of the segment);
// they move up as one block. src is left with moved-from datoms. Within
// dst's capacity nothing is allocated.
template <Index O, bool kSrcFirst = false>
void MergeBackInto(std::vector<Datom>* dst, std::span<Datom> src, size_t floor = 0) {
  if (src.empty()) return;
  size_t i = dst->size(), j = src.size();
  dst->resize(i + j);
  Datom* const a = dst->data();
  const DatomLessIn<O> less;
  // Does y (of dst) go after x (of src)?
  auto after = [&less](const Datom& x, const Datom& y) { return kSrcFirst ? !less(y, x) : less(x, y); };
  constexpr size_t kLinearSteps = 4;
  while (j > 0) {
    Datom& x = src[j - 1];
    // a[pos, i): the datoms of *dst that go after x (after(x, a[k]) is
    // false, then true, along a[floor, i)).
    size_t pos = i, steps = 0;
    while (pos > floor && steps < kLinearSteps && after(x, a[pos - 1])) --pos, ++steps;
    if (steps == kLinearSteps && pos > floor) {
      size_t hi = pos, lo = floor;  // after x: a[hi, i); not after x: a[floor, lo)
      for (size_t step = 1; step <= hi - floor; step *= 2) {
        if (!after(x, a[hi - step])) {
          lo = hi - step + 1;
          break;
        }
        hi -= step;
      }
      while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (after(x, a[mid])) hi = mid;
        else lo = mid + 1;
      }
      pos = lo;
    }
    // The write end is i + j: the block moves up by j, x lands before it.
    std::move_backward(a + pos, a + i, a + i + j);
    a[pos + j - 1] = std::move(x);
    i = pos;
    --j;
  }
}

int VarintBytes(uint64_t v) { return v == 0 ? 1 : (std::bit_width(v) + 6) / 7; }

// coding::PutVarint64(e), PutVarint64(a), PutValue(v) and a byte: what the
// log spends on d. Counted, not written, for the common value types (this
// ran for every novelty datom); the others are encoded into *scratch.
uint64_t LogDatomBytes(const Datom& d, std::string* scratch) {
  uint64_t n = 1 + VarintBytes(d.e) + VarintBytes(d.a) + 1;  // + the value's tag byte
  switch (d.v.type()) {
    case ValueType::kRef: return n + VarintBytes(d.v.ref());
    case ValueType::kLong:
    case ValueType::kInstant:
    case ValueType::kBoolean: return n + VarintBytes(coding::ZigzagEncode(d.v.as_long()));
    case ValueType::kString:
    case ValueType::kKeyword: return n + VarintBytes(d.v.str().size()) + d.v.str().size();
    default:
      scratch->clear();
      coding::PutValue(scratch, d.v);
      return n - 1 + scratch->size();
  }
}

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// One index order's part of a job: its current tree, then its history
// tree (the pairs that cancel in the current tree move to the history
// tree). The orders share nothing but immutable inputs and the storage
// (thread-safe), so the four tasks of a job may run on several threads.
//
// Segment ids: a job numbers its new segments in one serial order (EAVT's
// current leaves, their directories, EAVT's history leaves, directories,
// then AEVT, ...). A direct task knows its first id and writes as it goes
// (the first order always; every order when the job runs serially). A
// buffered task runs while an earlier order is still writing, so it cannot
// know its ids yet: it numbers its leaves locally (kLocalId set), keeps
// their blobs, reads them back from memory when a later step of its plan
// merges them, and Finish() then puts them under their serial ids and
// writes the directories — the same blobs under the same names as a serial
// job writes, in the same order.
using Levels = std::vector<std::shared_ptr<const Level>>;

class TreeTask {
 public:
  // direct: ids from *first_id on (advanced); else local ids.
  TreeTask(DurableContext& ctx, const JobInput& in, const MergePlan& plan, Index order, bool direct, uint64_t first_id,
           const std::atomic<bool>* cancel)
      : ctx_(ctx), in_(in), plan_(plan), order_(order), direct_(direct), cancel_(cancel) {
    next_id_ = direct ? first_id : kLocalId;
  }

  // Runs both trees of the order (and, when direct, writes their
  // directories). On error the task's state is not used.
  Status Run();
  // A buffered task after the earlier orders: puts its leaves under ids
  // from *next_id on, renumbers its levels, writes its directories.
  Status Finish(uint64_t* next_id);

  uint64_t next_id() const { return next_id_; }
  const JobMetrics& metrics() const { return m_; }
  Levels& tree(TreeKind k) { return trees_[k == TreeKind::kHistory]; }
  bool cancelled = false;  // Run stopped because another order failed
  double cpu_ms = 0;       // CPU of Run on the thread that ran it
  bool on_job_thread = true;

 private:
  static constexpr uint64_t kLocalId = uint64_t{1} << 62;
  static bool IsLocal(uint64_t id) { return (id & kLocalId) != 0; }

  // take_novelty() gives the tree's novelty; it is called once, when the
  // plan first merges the novelty (after the compactions before it, so a
  // compaction's input and the novelty are not held at the same time).
  Status RunTree(int tree, const std::vector<MergeStep>& steps, const std::function<std::vector<Datom>()>& take_novelty,
                 Levels* levels, std::vector<Datom>* cancelled);
  // Tree k's novelty (history: with the pairs the current tree cancelled,
  // moved out of *cancelled); counted into the metrics for EAVT.
  std::vector<Datom> TakeNovelty(TreeKind k, std::vector<Datom>* cancelled);
  Status MergeInto(Index order, bool current, Levels* levels, int to, std::vector<Datom> input, bool rewrite_all,
                   bool gaps, std::vector<Datom>* cancelled);
  Status ExciseTree(Index order, Levels* levels);
  // Reads and decodes segments[i] of a list the job reads in order. When it
  // has not been fetched yet, fetches it and the next ones of the list (not
  // fetched yet) in one storage call, up to kPrefetchSegments segments or
  // kPrefetchBytes: on a networked store a job's reads then cost a round
  // trip per window, not per segment. A segment of this buffered task is
  // decoded from its kept blob.
  // Into *out, whose capacity is reused.
  Status ReadSegment(const std::vector<SegmentRef>& segments, size_t i, std::vector<Datom>* out);
  // ReadSegment appending to *out (left as it was on error).
  Status AppendSegment(const std::vector<SegmentRef>& segments, size_t i, std::vector<Datom>* out);
  Status ReadSegmentInto(const std::vector<SegmentRef>& segments, size_t i, bool append, std::vector<Datom>* out);
  Status Prefetch(const std::vector<SegmentRef>& upcoming, size_t from);
  static constexpr size_t kPrefetchSegments = 64;
  static constexpr uint64_t kPrefetchBytes = 8u << 20;
  Status WriteSegments(Index order, std::span<const Datom> datoms, std::vector<SegmentRef>* out);
  // WriteSegments' leaves datoms[cuts[p], cuts[p + 1]), each p.
  Status WritePieces(Index order, std::span<const Datom> datoms, const std::vector<size_t>& cuts,
                     std::vector<SegmentRef>* out);
  // WriteSegments, cutting also where the attribute changes (AEVT, AVET):
  // with gaps, an attribute's appends then find a segment boundary after
  // its last datom instead of a segment shared with the next attribute.
  Status WriteSegmentsByAttribute(Index order, std::span<const Datom> datoms, std::vector<SegmentRef>* out);
  // The directories of a tree's changed levels, ids from *next_id on.
  Status WriteTreeDirectories(int t, Levels* levels, uint64_t* next_id);
  Status CheckCancel() const {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
      return Status::Aborted("indexing job: " + std::string(IndexName(order_)) + " stopped: another index order failed");
    }
    return Status::OK();
  }
  // Room left at the end of a merge's input of n datoms for a segment,
  // merged into the input's last part in place (MergeInto). None for a
  // small input: its copy is cheap, and the room would add most of its
  // size again to a small job's memory.
  size_t MergeRoom(uint64_t n) const {
    const auto seg = static_cast<size_t>(in_.options.segment_datoms);
    return n >= 4 * static_cast<uint64_t>(seg) ? 2 * seg : 0;
  }
  void NoteMemory(uint64_t datoms) { m_.peak_memory_bytes = std::max(m_.peak_memory_bytes, datoms * sizeof(Datom)); }

  DurableContext& ctx_;
  const JobInput& in_;
  const MergePlan& plan_;
  const Index order_;
  const bool direct_;
  const std::atomic<bool>* cancel_;
  JobMetrics m_;
  uint64_t next_id_;
  Levels trees_[2];          // current, history (after Run)
  uint64_t local_begin_[2] = {kLocalId, kLocalId};  // local ids of each tree's leaves: [begin, end)
  uint64_t local_end_[2] = {kLocalId, kLocalId};
  std::vector<std::string> kept_;  // a buffered task's leaves, by local id - kLocalId
  bool filter_leaves_ = false;     // the tree being written keeps UniqueValueFilters (current AVET)
  std::unordered_map<uint64_t, std::string> prefetched_;  // segment id -> blob, until read
};

Status TreeTask::Prefetch(const std::vector<SegmentRef>& upcoming, size_t from) {
  std::vector<std::string> keys;
  std::vector<uint64_t> ids;
  uint64_t bytes = 0;
  for (size_t i = from; i < upcoming.size() && keys.size() < kPrefetchSegments; ++i) {
    if (prefetched_.count(upcoming[i].id) || IsLocal(upcoming[i].id)) continue;
    if (!keys.empty() && bytes + upcoming[i].bytes > kPrefetchBytes) break;
    keys.push_back(SegmentKey(upcoming[i].id));
    ids.push_back(upcoming[i].id);
    bytes += upcoming[i].bytes;
  }
  if (keys.empty()) return Status::OK();
  auto blobs = ctx_.storage->GetMany(keys);
  if (!blobs.ok()) return blobs.status().WithContext("indexing job reading " + std::to_string(keys.size()) + " segments");
  for (size_t i = 0; i < ids.size(); ++i) prefetched_[ids[i]] = std::move((*blobs)[i]);
  return Status::OK();
}

Status TreeTask::ReadSegment(const std::vector<SegmentRef>& segments, size_t i, std::vector<Datom>* out) {
  return ReadSegmentInto(segments, i, false, out);
}

Status TreeTask::AppendSegment(const std::vector<SegmentRef>& segments, size_t i, std::vector<Datom>* out) {
  return ReadSegmentInto(segments, i, true, out);
}

Status TreeTask::ReadSegmentInto(const std::vector<SegmentRef>& segments, size_t i, bool append,
                                 std::vector<Datom>* out) {
  STRATA_RETURN_IF_ERROR(CheckCancel());
  auto decode = [&](std::string_view blob, const std::string& name, Index* order) {
    return append ? DecodeLeafAppend(blob, name, order, out) : DecodeLeaf(blob, name, order, out);
  };
  const SegmentRef& ref = segments[i];
  if (IsLocal(ref.id)) {
    const uint64_t k = ref.id - kLocalId;
    if (k >= kept_.size()) return Status::Corruption("indexing job: unknown new segment " + std::to_string(k));
    Index order;
    STRATA_RETURN_IF_ERROR(decode(kept_[k], "new segment " + std::to_string(k), &order));
    m_.segments_read++;
    m_.bytes_read += kept_[k].size();
    return Status::OK();
  }
  auto it = prefetched_.find(ref.id);
  if (it == prefetched_.end()) {
    STRATA_RETURN_IF_ERROR(Prefetch(segments, i));
    it = prefetched_.find(ref.id);
  }
  const std::string blob = std::move(it->second);
  prefetched_.erase(it);
  Index order;
  STRATA_RETURN_IF_ERROR(decode(blob, SegmentName(ref.id), &order));
  m_.segments_read++;
  m_.bytes_read += blob.size();
  return Status::OK();
}

Status TreeTask::WriteSegmentsByAttribute(Index order, std::span<const Datom> datoms, std::vector<SegmentRef>* out) {
  if (order != Index::kAevt && order != Index::kAvet) return WriteSegments(order, datoms, out);
  for (size_t i = 0; i < datoms.size();) {
    size_t j = i;
    while (j < datoms.size() && datoms[j].a == datoms[i].a) ++j;
    STRATA_RETURN_IF_ERROR(WriteSegments(order, datoms.subspan(i, j - i), out));
    i = j;
  }
  return Status::OK();
}

Status TreeTask::WriteSegments(Index order, std::span<const Datom> datoms, std::vector<SegmentRef>* out) {
  if (datoms.empty()) return Status::OK();
  STRATA_RETURN_IF_ERROR(CheckCancel());
  // By datoms and by bytes (format/segment.h): every piece fits a leaf. The
  // cuts by bytes are found per piece by count, just before that piece is
  // encoded (a long part of the novelty is not read one more time ahead).
  const std::vector<size_t> by_count = LeafCountCuts(datoms, in_.options.segment_datoms);
  std::vector<size_t> cuts;
  for (size_t c = 0; c + 1 < by_count.size(); ++c) {
    cuts.assign(1, by_count[c]);
    LeafByteCuts(datoms, by_count[c], by_count[c + 1], &cuts);
    STRATA_RETURN_IF_ERROR(WritePieces(order, datoms, cuts, out));
  }
  return Status::OK();
}

Status TreeTask::WritePieces(Index order, std::span<const Datom> datoms, const std::vector<size_t>& cuts,
                             std::vector<SegmentRef>* out) {
  for (size_t p = 0; p + 1 < cuts.size(); ++p) {
    std::span<const Datom> piece = datoms.subspan(cuts[p], cuts[p + 1] - cuts[p]);
    // Planted: every segment the job writes loses its last datom.
    if (PlantedFault("job-loses-last-datom") && piece.size() > 1) piece = piece.first(piece.size() - 1);
    SegmentRef ref;
    ref.id = next_id_++;
    ref.count = piece.size();
    ref.first = piece.front();
    ref.last = piece.back();
    if (filter_leaves_) ref.filter = UniqueValueFilter::Build(piece, in_.unique);
    STRATA_ASSIGN_OR_RETURN(std::string blob, EncodeLeaf(order, piece));
    ref.bytes = blob.size();
    if (direct_) {
      STRATA_RETURN_IF_ERROR(ctx_.storage->Put(SegmentKey(ref.id), blob));
    } else {
      kept_.push_back(std::move(blob));
    }
    m_.segments_written++;
    m_.bytes_written += ref.bytes;
    m_.datoms_written += piece.size();
    out->push_back(std::move(ref));
  }
  return Status::OK();
}

Status TreeTask::MergeInto(Index order, bool current, Levels* levels, int to, std::vector<Datom> input,
                           bool rewrite_all, bool gaps, std::vector<Datom>* cancelled) {
  while (static_cast<int>(levels->size()) <= to) levels->push_back(std::make_shared<Level>());
  const Level& old = *(*levels)[to];
  auto next = std::make_shared<Level>();
  const auto& segs = old.segments;
  NoteMemory(input.size());
  // Writes a sorted run (cancelling its pairs in place first: it may be
  // a part of `input`, which is then left with moved-from datoms).
  auto finish = [&](std::span<Datom> merged) -> Status {
    // Planted: the merge puts the newer of two equal (e a v) keys first.
    if (PlantedFault("strategy-reorders-equal-keys"))
      for (size_t i = 0; i + 1 < merged.size(); ++i)
        if (SameEav(merged[i], merged[i + 1]) && merged[i].tx < merged[i + 1].tx) {
          std::swap(merged[i], merged[i + 1]);
          ++i;
        }
    if (current) merged = merged.first(CancelPairsInPlace(merged, in_.no_history, cancelled));
    if (gaps) return WriteSegmentsByAttribute(order, merged, &next->segments);
    return WriteSegments(order, merged, &next->segments);
  };
  if (rewrite_all || segs.empty()) {
    // A level's segments are in key order and disjoint, so appending them
    // is merging them (merging each into the growing whole moved it once
    // per segment). Should a level not be in order, a stable sort gives
    // what those merges gave: equal datoms in segment order.
    std::vector<Datom> all;
    all.reserve(SliceDatoms(segs) + input.size());  // room to merge the input in place
    for (size_t i = 0; i < segs.size(); ++i) STRATA_RETURN_IF_ERROR(AppendSegment(segs, i, &all));
    WithOrder(order, [&](auto o) {
      if (!std::is_sorted(all.begin(), all.end(), DatomLessIn<decltype(o)::value>{}))
        std::stable_sort(all.begin(), all.end(), DatomLessIn<decltype(o)::value>{});
    });
    NoteMemory(all.size() + input.size());
    if (all.empty()) {
      STRATA_RETURN_IF_ERROR(finish(input));  // nothing to merge with: written where it lies
    } else {
      WithOrder(order, [&](auto o) { MergeBackInto<decltype(o)::value>(&all, input); });
      STRATA_RETURN_IF_ERROR(finish(all));
    }
  } else {
    // Each input datom joins the last segment whose first datom is not
    // after it (the first segment takes what sorts before everything), so
    // segment ranges stay disjoint. Segment i's part of the input is
    // [begin, end); with gaps, its head (before segment 0 only) and its tail
    // (after segment i) become segments of their own when they are long
    // enough and share no (e a v) with a neighbour (a pair must meet in one
    // merge to cancel); the rest, [head_end, tail_begin), is merged into
    // segment i, which is kept as is when that is empty.
    struct Part {
      size_t begin, head_end, tail_begin, end;
    };
    std::vector<Part> parts(segs.size());
    std::vector<SegmentRef> touched;  // the segments to rewrite, in order (prefetched)
    const uint64_t min_run = std::max<uint64_t>(1, in_.options.segment_datoms / 4);
    auto before_group = [&](const Datom& x, const Datom& y) { return CompareDatoms(order, x, y) < 0 && !SameEav(x, y); };
    for (size_t i = 0, pos = 0; i < segs.size(); ++i) {
      size_t end = input.size();
      if (i + 1 < segs.size()) {
        end = pos;
        while (end < input.size() && CompareDatoms(order, input[end], segs[i + 1].first) < 0) ++end;
      }
      Part& pt = parts[i];
      pt = Part{pos, pos, end, end};
      if (gaps && end > pos) {
        if (i == 0) {
          size_t h = pos;
          while (h < end && before_group(input[h], segs[0].first)) ++h;
          if (h - pos >= min_run) pt.head_end = h;
        }
        size_t t = end;
        while (t > pt.head_end && before_group(segs[i].last, input[t - 1])) --t;
        const bool clear_of_next = i + 1 == segs.size() || before_group(input[end - 1], segs[i + 1].first);
        if (end - t >= min_run && clear_of_next) pt.tail_begin = t;
      }
      if (pt.tail_begin > pt.head_end) touched.push_back(segs[i]);
      pos = end;
    }
    // Parts of the input are written (and cancelled) where they lie; the
    // decoded segment, which its part of the input is merged into, is a
    // buffer reused from one touched segment to the next.
    auto part = [&](size_t a, size_t b) { return std::span<Datom>(input).subspan(a, b - a); };
    std::vector<Datom> d;
    size_t next_touched = 0;
    for (size_t i = 0; i < segs.size(); ++i) {
      const Part& pt = parts[i];
      if (pt.head_end > pt.begin) STRATA_RETURN_IF_ERROR(finish(part(pt.begin, pt.head_end)));
      if (pt.tail_begin == pt.head_end) {
        next->segments.push_back(segs[i]);  // untouched: kept as is
      } else {
        const uint64_t seg_n = std::min<uint64_t>(touched[next_touched].count, kMaxSegmentDatoms);
        const size_t part_n = pt.tail_begin - pt.head_end;
        d.clear();
        if (pt.tail_begin == input.size() && part_n > seg_n && input.capacity() - input.size() >= seg_n) {
          // The input's last part, longer than the segment (novelty
          // appended after a level's last segment: EAVT's new entities):
          // the segment is merged into the input where the part lies, in
          // the room the input was given, instead of the part being
          // copied into a buffer of its size (fresh pages each job).
          // Equal datoms keep the segment's first, as below.
          STRATA_RETURN_IF_ERROR(ReadSegment(touched, next_touched++, &d));  // segs[i]
          if (input.capacity() - input.size() >= d.size()) {
            NoteMemory(d.size() + input.size());
            WithOrder(order, [&](auto o) { MergeBackInto<decltype(o)::value, true>(&input, d, pt.head_end); });
            STRATA_RETURN_IF_ERROR(finish(part(pt.head_end, input.size())));
            continue;  // the segment took the rest of the input: no tail after it
          }
          // The directory's count was short of the leaf's: merge as below.
          d.reserve(d.size() + part_n);
        } else {
          // Room for the segment and its part of the input, so the merge
          // below does not reallocate.
          d.reserve(seg_n + part_n);
          STRATA_RETURN_IF_ERROR(ReadSegment(touched, next_touched++, &d));  // segs[i]
        }
        NoteMemory(d.size() + part_n + input.size());
        WithOrder(order, [&](auto o) { MergeBackInto<decltype(o)::value>(&d, part(pt.head_end, pt.tail_begin)); });
        STRATA_RETURN_IF_ERROR(finish(d));
      }
      if (pt.end > pt.tail_begin) STRATA_RETURN_IF_ERROR(finish(part(pt.tail_begin, pt.end)));
    }
  }
  (*levels)[to] = std::move(next);
  return Status::OK();
}

Status TreeTask::RunTree(int tree, const std::vector<MergeStep>& steps,
                         const std::function<std::vector<Datom>()>& take_novelty, Levels* levels,
                         std::vector<Datom>* cancelled) {
  const Index order = TreeOrder(tree);
  const bool current = TreeKindOf(tree) == TreeKind::kCurrent;
  bool taken = false;
  auto novelty = [&]() -> std::vector<Datom> {
    if (taken) return {};
    taken = true;
    return take_novelty();
  };
  for (const MergeStep& st : steps) {
    switch (st.kind) {
      case MergeStep::Kind::kNovelty:
        STRATA_RETURN_IF_ERROR(MergeInto(order, current, levels, st.to_level, novelty(), st.rewrite_all, st.gaps, cancelled));
        break;
      case MergeStep::Kind::kCompact: {
        if (st.from_level < 0 || st.from_level >= static_cast<int>(levels->size()))
          return Status::InvalidArgument("plan for " + TreeName(tree) + " compacts a missing level");
        const Level& from = *(*levels)[st.from_level];
        const bool to_end = st.count == MergeStep::kAllSegments;
        const size_t count = to_end && st.first <= from.segments.size() ? from.segments.size() - st.first : st.count;
        if (to_end && count == 0) break;  // the rest of the level is empty: nothing to move
        if (st.first + count > from.segments.size() || count == 0)
          return Status::InvalidArgument("plan for " + TreeName(tree) + " compacts a missing slice");
        std::vector<SegmentRef> slice(from.segments.begin() + st.first, from.segments.begin() + st.first + count);
        auto rest = std::make_shared<Level>();
        rest->segments = from.segments;
        rest->segments.erase(rest->segments.begin() + st.first, rest->segments.begin() + st.first + count);
        (*levels)[st.from_level] = rest;
        while (static_cast<int>(levels->size()) <= st.to_level) levels->push_back(std::make_shared<Level>());
        const Level& to = *(*levels)[st.to_level];
        // A slice that overlaps nothing below moves without being rewritten.
        auto lo = std::lower_bound(to.segments.begin(), to.segments.end(), slice.front().first,
                                   [&](const SegmentRef& s, const Datom& d) { return CompareDatoms(order, s.last, d) < 0; });
        const bool overlaps = lo != to.segments.end() && CompareDatoms(order, lo->first, slice.back().last) <= 0;
        if (!overlaps && !st.rewrite_all) {
          auto moved = std::make_shared<Level>();
          moved->segments.assign(to.segments.begin(), lo);
          moved->segments.insert(moved->segments.end(), slice.begin(), slice.end());
          moved->segments.insert(moved->segments.end(), lo, to.segments.end());
          (*levels)[st.to_level] = moved;
          m_.segments_moved += slice.size();
          break;
        }
        // Reserved exactly: growing by doubling held up to twice the slice,
        // three times while reallocating.
        std::vector<Datom> input;
        input.reserve(SliceDatoms(slice) + MergeRoom(SliceDatoms(slice)));
        for (size_t i = 0; i < slice.size(); ++i) STRATA_RETURN_IF_ERROR(AppendSegment(slice, i, &input));
        STRATA_RETURN_IF_ERROR(MergeInto(order, current, levels, st.to_level, std::move(input), st.rewrite_all, st.gaps, cancelled));
        break;
      }
      case MergeStep::Kind::kRebuild: {
        std::vector<Datom> all = novelty();
        uint64_t level_datoms = 0;
        for (const auto& l : *levels) level_datoms += SliceDatoms(l->segments);
        all.reserve(all.size() + level_datoms);
        for (const auto& l : *levels)
          for (size_t i = 0; i < l->segments.size(); ++i) STRATA_RETURN_IF_ERROR(AppendSegment(l->segments, i, &all));
        SortDatoms(order, &all);
        NoteMemory(all.size());
        levels->clear();
        STRATA_RETURN_IF_ERROR(MergeInto(order, current, levels, 0, std::move(all), true, false, cancelled));
        break;
      }
    }
  }
  if (std::vector<Datom> rest = novelty(); !rest.empty())  // a plan that ignored novelty: never lose it
    STRATA_RETURN_IF_ERROR(MergeInto(order, current, levels, 0, std::move(rest), false, false, cancelled));
  while (!levels->empty() && levels->back()->segments.empty()) levels->pop_back();
  return Status::OK();
}

Status TreeTask::ExciseTree(Index order, Levels* levels) {
  for (auto& l : *levels) {
    auto next = std::make_shared<Level>();
    bool changed = false;
    for (size_t i = 0; i < l->segments.size(); ++i) {
      const SegmentRef& s = l->segments[i];
      std::vector<Datom> d;
      STRATA_RETURN_IF_ERROR(ReadSegment(l->segments, i, &d));
      const size_t before = d.size();
      std::erase_if(d, [&](const Datom& x) { return Excised(in_.excisions, x); });
      if (d.size() == before) {
        next->segments.push_back(s);
        continue;
      }
      changed = true;
      STRATA_RETURN_IF_ERROR(WriteSegments(order, d, &next->segments));
    }
    if (changed) l = std::move(next);
  }
  return Status::OK();
}

Status TreeTask::WriteTreeDirectories(int t, Levels* levels, uint64_t* next_id) {
  const IndexRoot& old = *in_.root;
  // Rewrite only those whose leaves changed.
  for (size_t i = 0; i < levels->size(); ++i) {
    const Level* prev = i < old.trees[t].size() ? old.trees[t][i].get() : nullptr;
    if (prev == (*levels)[i].get()) continue;
    auto l = std::make_shared<Level>(*(*levels)[i]);
    const uint64_t before = m_.bytes_written;
    STRATA_RETURN_IF_ERROR(WriteDirectories(*ctx_.storage, order_, DirectoryBits(in_.options.segment_datoms), prev,
                                            l.get(), next_id, &m_.segments_written, &m_.bytes_written));
    m_.directory_bytes_written += m_.bytes_written - before;
    (*levels)[i] = std::move(l);
  }
  return Status::OK();
}

std::vector<Datom> TreeTask::TakeNovelty(TreeKind k, std::vector<Datom>* cancelled_in) {
  const Index order = order_;
  std::vector<Datom>& cancelled = *cancelled_in;
  std::vector<Datom> novelty;
  if (in_.novelty) {
    // History novelty that cancelled pairs join is merged into a new
    // vector below, which gets the room instead.
    const bool history = k == TreeKind::kHistory;
    const size_t room = history && !cancelled.empty() ? 0 : MergeRoom(in_.novelty->Count(order, history));
    novelty = in_.novelty->Collect(order, history, room);
  }
  if (order == Index::kEavt) {
    m_.novelty_datoms += novelty.size();
    // The novelty's size as the log encodes it: write amplification is
    // bytes written by indexing over bytes of new facts.
    std::string enc;
    for (const Datom& d : novelty) m_.novelty_bytes += LogDatomBytes(d, &enc);
  }
  if (k == TreeKind::kHistory && !cancelled.empty()) {
    SortDatoms(order, &cancelled);
    std::vector<Datom> both;
    both.reserve(novelty.size() + cancelled.size() + MergeRoom(novelty.size() + cancelled.size()));
    WithOrder(order, [&](auto o) {
      std::merge(std::make_move_iterator(novelty.begin()), std::make_move_iterator(novelty.end()),
                 std::make_move_iterator(cancelled.begin()), std::make_move_iterator(cancelled.end()),
                 std::back_inserter(both), DatomLessIn<decltype(o)::value>{});
    });
    novelty = std::move(both);
    cancelled.clear();  // moved into the history novelty
  }
  return novelty;
}

Status TreeTask::Run() {
  const IndexRoot& old = *in_.root;
  const Index order = order_;
  std::vector<Datom> cancelled;
  for (TreeKind k : {TreeKind::kCurrent, TreeKind::kHistory}) {
    const int t = TreeNumber(k, order);
    Levels& levels = tree(k);
    levels = old.trees[t];
    const int kk = k == TreeKind::kHistory;
    local_begin_[kk] = next_id_;
    // Unique-value lookups read only the current tree (EntityWith).
    filter_leaves_ = k == TreeKind::kCurrent && order == Index::kAvet && in_.unique != nullptr;
    STRATA_RETURN_IF_ERROR(RunTree(t, plan_.trees[t], [&] { return TakeNovelty(k, &cancelled); }, &levels, &cancelled));
    if (!in_.excisions.empty()) STRATA_RETURN_IF_ERROR(ExciseTree(order, &levels));
    local_end_[kk] = next_id_;
    if (direct_) STRATA_RETURN_IF_ERROR(WriteTreeDirectories(t, &levels, &next_id_));
  }
  // A buffered task holds its leaves' blobs until Finish.
  for (const std::string& blob : kept_) m_.peak_memory_bytes += blob.size();
  return Status::OK();
}

Status TreeTask::Finish(uint64_t* next_id) {
  for (TreeKind k : {TreeKind::kCurrent, TreeKind::kHistory}) {
    const int kk = k == TreeKind::kHistory;
    const uint64_t base = *next_id, begin = local_begin_[kk], end = local_end_[kk];
    for (uint64_t id = begin; id < end; ++id) {
      std::string& blob = kept_[id - kLocalId];
      STRATA_RETURN_IF_ERROR(ctx_.storage->Put(SegmentKey(base + (id - begin)), blob));
      std::string().swap(blob);
    }
    *next_id += end - begin;
    Levels& levels = tree(k);
    for (auto& l : levels) {
      if (std::none_of(l->segments.begin(), l->segments.end(), [](const SegmentRef& s) { return IsLocal(s.id); }))
        continue;
      auto renumbered = std::make_shared<Level>(*l);
      for (SegmentRef& s : renumbered->segments) {
        if (!IsLocal(s.id)) continue;
        if (s.id < begin || s.id >= end)
          return Status::Corruption("indexing job: " + TreeName(TreeNumber(k, order_)) + " names a new segment of another tree");
        s.id = base + (s.id - begin);
      }
      l = std::move(renumbered);
    }
    STRATA_RETURN_IF_ERROR(WriteTreeDirectories(TreeNumber(k, order_), &levels, next_id));
  }
  return Status::OK();
}

// Runs a strategy's plan: one TreeTask per index order, on `threads`
// threads (see TreeTask on how the segments stay those of a serial job).
class Executor {
 public:
  Executor(DurableContext& ctx, const JobInput& in, JobMetrics* m) : ctx_(ctx), in_(in), m_(m) {}
  Result<std::shared_ptr<const IndexRoot>> Run();
  // CPU the job spent on threads other than the caller's.
  double other_threads_cpu_ms() const { return other_cpu_ms_; }

 private:
  DurableContext& ctx_;
  const JobInput& in_;
  JobMetrics* m_;
  double other_cpu_ms_ = 0;
};

uint32_t JobThreads(uint32_t asked) {
  if (asked == 0) asked = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  return std::min<uint32_t>(asked, kIndexCount);
}

Result<std::shared_ptr<const IndexRoot>> Executor::Run() {
  const IndexRoot& old = *in_.root;
  NoveltyShape ns;
  if (in_.novelty) {
    for (int t = 0; t < kTreeCount; ++t) {
      const Index o = TreeOrder(t);
      ns.datoms[t] = in_.novelty->Count(o, TreeKindOf(t) == TreeKind::kHistory);
    }
    ns.bytes = in_.novelty->stats().bytes;
  }
  const IndexShape shape = old.Shape();
  const MergePlan plan = in_.strategy->Plan(shape, ns, in_.options);
  m_->plan = plan.ToString();
  auto root = std::make_shared<IndexRoot>();
  root->strategy = in_.strategy->name();
  root->basis_t = std::max(old.basis_t, in_.basis_t);
  root->generation = old.generation + 1;
  root->next_t = std::max(old.next_t, in_.next_t);
  root->last_instant = std::max(old.last_instant, in_.last_instant);

  uint64_t novelty_datoms = 0;
  for (uint64_t n : ns.datoms) novelty_datoms += n;
  const uint32_t threads = novelty_datoms < in_.parallel_min_datoms ? 1 : JobThreads(in_.threads);
  std::vector<std::unique_ptr<TreeTask>> tasks;
  uint64_t next_id = old.next_segment;
  if (threads <= 1) {
    for (int o = 0; o < kIndexCount; ++o) {
      tasks.push_back(std::make_unique<TreeTask>(ctx_, in_, plan, static_cast<Index>(o), true, next_id, nullptr));
      STRATA_RETURN_IF_ERROR(tasks.back()->Run());
      next_id = tasks.back()->next_id();
    }
  } else {
    // The first order writes as it goes; the others keep their leaves
    // until the orders before them are written: whichever thread completes
    // an order finishes (writes) every completed order after the written
    // ones, so a buffered order's blobs are held only until the orders
    // before it are done, not until the job's last order is.
    std::atomic<bool> cancel{false};
    for (int o = 0; o < kIndexCount; ++o)
      tasks.push_back(std::make_unique<TreeTask>(ctx_, in_, plan, static_cast<Index>(o), o == 0, next_id, &cancel));
    std::vector<Status> status(tasks.size());
    std::atomic<size_t> next_task{0};
    Mutex written_mu;
    std::vector<bool> completed(tasks.size(), false);  // guarded by written_mu
    size_t written = 0;       // orders whose leaves are all in storage (guarded by written_mu)
    bool finishing = false;   // a thread is writing orders (guarded by written_mu); it alone uses next_id
    Status finish_status;     // the first Finish error (guarded by written_mu)
    auto completed_order = [&](size_t i) {
      MutexLock l(&written_mu);
      completed[i] = true;
      if (finishing) return;  // the thread writing picks this order up
      finishing = true;
      while (written < tasks.size() && completed[written] && !cancel.load()) {
        const size_t k = written;
        Status s;
        if (k == 0) {
          next_id = tasks[0]->next_id();
        } else {
          written_mu.Unlock();
          s = tasks[k]->Finish(&next_id);
          written_mu.Lock();
        }
        if (!s.ok()) {
          finish_status = s;
          cancel.store(true);
          break;
        }
        ++written;
      }
      finishing = false;
    };
    auto work = [&](bool on_job_thread) {
      for (size_t i; (i = next_task.fetch_add(1)) < tasks.size();) {
        TreeTask& task = *tasks[i];
        const double cpu0 = ThreadCpuMs();
        status[i] = task.Run();
        task.cpu_ms = ThreadCpuMs() - cpu0;
        task.on_job_thread = on_job_thread;
        if (!status[i].ok()) {
          task.cancelled = cancel.load();  // failed because told to stop, or on its own
          cancel.store(true);
        } else {
          completed_order(i);
        }
      }
    };
    // Threads kept across jobs (the connection's pool), else the job's own.
    std::optional<IndexJobPool> own;
    IndexJobPool* pool = in_.pool;
    if (pool == nullptr) pool = &own.emplace();
    pool->Run(threads - 1, [&](bool on_caller) { work(on_caller); });
    for (const auto& task : tasks)
      if (!task->on_job_thread) other_cpu_ms_ += task->cpu_ms;
    // The job fails with a failing order's own error (the lowest such
    // order); orders that only stopped because of it do not count.
    for (size_t i = 0; i < tasks.size(); ++i)
      if (!status[i].ok() && !tasks[i]->cancelled) return status[i];
    for (size_t i = 0; i < tasks.size(); ++i) STRATA_RETURN_IF_ERROR(status[i]);
    MutexLock l(&written_mu);
    STRATA_RETURN_IF_ERROR(finish_status);
    // Every order completed, so the last to complete wrote the rest.
    if (written != tasks.size())
      return Status::Corruption("indexing job: " + std::to_string(tasks.size() - written) + " index orders left unwritten");
  }
  // Counters add up over the orders; the working sets of the orders that
  // ran at the same time may add up too (the largest `threads` of them).
  std::vector<uint64_t> peaks;
  for (const auto& task : tasks) {
    const JobMetrics& t = task->metrics();
    m_->novelty_datoms += t.novelty_datoms;
    m_->novelty_bytes += t.novelty_bytes;
    m_->segments_read += t.segments_read;
    m_->segments_written += t.segments_written;
    m_->bytes_read += t.bytes_read;
    m_->bytes_written += t.bytes_written;
    m_->directory_bytes_written += t.directory_bytes_written;
    m_->datoms_written += t.datoms_written;
    m_->segments_moved += t.segments_moved;
    peaks.push_back(t.peak_memory_bytes);
  }
  std::sort(peaks.rbegin(), peaks.rend());
  for (size_t i = 0; i < peaks.size() && i < threads; ++i) m_->peak_memory_bytes += peaks[i];
  // The sealed novelty stays in memory until the job's root is installed.
  m_->peak_memory_bytes += ns.bytes;
  for (int o = 0; o < kIndexCount; ++o)
    for (TreeKind k : {TreeKind::kCurrent, TreeKind::kHistory})
      root->trees[TreeNumber(k, static_cast<Index>(o))] = std::move(tasks[o]->tree(k));
  root->next_segment = next_id;
  // With sync policy never (throw-away loads) the OS decides, as for the log.
  if (ctx_.sync) STRATA_RETURN_IF_ERROR(ctx_.storage->Sync());
  const std::string root_bytes = EncodeRoot(*root);
  STRATA_RETURN_IF_ERROR(ctx_.storage->PublishRoot(root_bytes, ctx_.sync));
  m_->bytes_written += root_bytes.size();
  m_->directory_bytes_written += root_bytes.size();
  m_->db_datoms = root->datoms();
  m_->datoms_rewritten = m_->datoms_written > m_->novelty_datoms * kTreeCount
                             ? m_->datoms_written - m_->novelty_datoms * kTreeCount
                             : 0;
  m_->levels_max = root->MaxLevels();
  for (int o = 0; o < kIndexCount; ++o) {
    uint64_t n = 0;
    for (TreeKind k : {TreeKind::kCurrent, TreeKind::kHistory})
      for (const auto& l : root->trees[TreeNumber(k, static_cast<Index>(o))]) n += !l->segments.empty();
    m_->max_read_sources = std::max(m_->max_read_sources, n);
  }
  for (const auto& l : root->trees[TreeNumber(TreeKind::kCurrent, Index::kAvet)])
    for (const SegmentRef& s : l->segments)
      if (s.filter) {
        m_->value_filter_keys += s.filter->keys();
        m_->value_filter_bytes += s.filter->MemoryBytes();
      }
  return std::shared_ptr<const IndexRoot>(std::move(root));
}

}  // namespace

void IndexJobPool::Run(uint32_t helpers, const std::function<void(bool)>& work) {
  {
    MutexLock l(&mu_);
    if (busy_ || stopped_) {
      helpers = 0;
    } else {
      while (threads_.size() < helpers) {
        try {
          threads_.emplace_back([this] { Loop(); });
        } catch (const std::system_error&) {
          break;  // fewer threads: the caller's does the rest
        }
      }
      helpers = std::min<uint32_t>(helpers, static_cast<uint32_t>(threads_.size()));
    }
    if (helpers > 0) {
      busy_ = true;
      work_ = &work;
      to_start_ = helpers;
      start_cv_.SignalAll();
    }
  }
  work(true);
  if (helpers == 0) return;
  MutexLock l(&mu_);
  to_start_ = 0;  // work is done: those not begun need not
  while (running_ > 0) done_cv_.Wait();
  work_ = nullptr;
  busy_ = false;
}

void IndexJobPool::Stop() {
  std::vector<std::thread> threads;
  {
    MutexLock l(&mu_);
    stopped_ = true;
    threads.swap(threads_);
    start_cv_.SignalAll();
  }
  for (std::thread& t : threads) t.join();
}

void IndexJobPool::Loop() {
  MutexLock l(&mu_);
  for (;;) {
    while (!stopped_ && to_start_ == 0) start_cv_.Wait();
    if (stopped_) return;
    --to_start_;
    ++running_;
    const std::function<void(bool)>* work = work_;
    mu_.Unlock();
    (*work)(false);
    mu_.Lock();
    if (--running_ == 0) done_cv_.SignalAll();
  }
}

size_t CancelPairsInPlace(std::span<Datom> all, const std::function<bool(EntityId)>& no_history,
                          std::vector<Datom>* cancelled) {
  // Only an assertion followed by its retraction cancels, and only a
  // retraction stays in a group's odd place: a group of assertions alone
  // stays whole. So only the groups holding a retraction are looked at,
  // found from their retraction (the `added` flags alone: no datoms are
  // compared between them); without a retraction nothing moves (most
  // leaves and novelty parts).
  const size_t n = all.size();
  auto next_retraction = [&](size_t from) {
    while (from < n && all[from].added) ++from;
    return from;
  };
  size_t r = next_retraction(0);
  if (r == n) return n;
  // What stays moves down over what left (w <= k always), so no second
  // copy of the run is built; nothing moves before the first cancelled pair.
  size_t w = 0;
  auto keep_range = [&](size_t from, size_t to) {
    if (w != from) std::move(all.begin() + static_cast<ptrdiff_t>(from), all.begin() + static_cast<ptrdiff_t>(to),
                             all.begin() + static_cast<ptrdiff_t>(w));
    w += to - from;
  };
  auto keep = [&](size_t k) { keep_range(k, k + 1); };
  size_t i = 0;  // a group boundary: everything before it is handled
  while (r < n) {
    // The group of retraction r starts at or after i (a group boundary).
    size_t g = r;
    while (g > i && SameEav(all[g - 1], all[r])) --g;
    keep_range(i, g);  // groups of assertions alone
    size_t j = r + 1;
    while (j < n && SameEav(all[j], all[g])) ++j;
    size_t k = g;
    if (!all[k].added) keep(k++);  // cancels something deeper: stays
    for (; k + 1 < j; k += 2) {
      if (!all[k].added || all[k + 1].added) {
        keep(k);
        keep(k + 1);
        continue;
      }
      if (!no_history || !no_history(all[k].a)) {
        cancelled->push_back(std::move(all[k]));
        cancelled->push_back(std::move(all[k + 1]));
      }
    }
    if (k < j) keep(k);
    i = j;
    r = next_retraction(j);
  }
  keep_range(i, n);
  return w;
}

std::vector<Datom> CancelPairs(std::vector<Datom> all, const std::function<bool(EntityId)>& no_history,
                               std::vector<Datom>* cancelled) {
  all.resize(CancelPairsInPlace(all, no_history, cancelled));
  return all;
}

Result<std::shared_ptr<const IndexRoot>> RunIndexJob(DurableContext& ctx, const JobInput& in, JobMetrics* metrics) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuMs();
  *metrics = JobMetrics{};
  metrics->strategy = in.strategy->name();
  metrics->basis_t = std::max(in.root->basis_t, in.basis_t);
  metrics->job = in.root->generation + 1;
  const StorageStats before = ctx.storage->stats();
  Executor ex(ctx, in, metrics);
  auto r = ex.Run();
  const StorageStats after = ctx.storage->stats();
  metrics->storage_round_trips = after.round_trips - before.round_trips;
  metrics->storage_wait_ms = after.wait_ms - before.wait_ms;
  metrics->wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  // The job's CPU on every thread it ran on (its own and its pool's).
  metrics->cpu_ms = ThreadCpuMs() - cpu0 + ex.other_threads_cpu_ms();
  return r;
}

Result<uint64_t> CollectGarbage(Storage& storage, const std::vector<std::shared_ptr<const IndexRoot>>& live) {
  std::unordered_set<uint64_t> keep;
  for (const auto& r : live) {
    std::vector<uint64_t> ids;
    r->CollectIds(&ids);
    keep.insert(ids.begin(), ids.end());
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> keys, storage.List("seg/"));
  std::vector<std::string> garbage;
  for (const auto& k : keys) {
    uint64_t id;
    if (ParseSegmentKey(k, &id) && !keep.count(id)) garbage.push_back(k);
  }
  // In slices, so a huge backlog is not one enormous statement.
  constexpr size_t kSlice = 4096;
  for (size_t i = 0; i < garbage.size(); i += kSlice) {
    const size_t end = std::min(garbage.size(), i + kSlice);
    STRATA_RETURN_IF_ERROR(storage.DeleteMany(std::vector<std::string>(garbage.begin() + i, garbage.begin() + end)));
  }
  return garbage.size();
}

}  // namespace strata
