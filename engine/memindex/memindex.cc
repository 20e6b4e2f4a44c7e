#include "memindex/memindex.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <compare>
#include <cstring>
#include <new>
#include <numeric>
#include <string_view>

#include "strata/indexing.h"

namespace strata {
namespace {

// The immutable copy of a text longer than Record::kInlineMax, followed by
// its bytes; freed by the last run that holds a record of it.
struct LongText {
  std::atomic<uint32_t> refs;
  uint32_t size;
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
};
static_assert(sizeof(LongText) == Record::kLongTextHeader);

std::atomic<uint64_t> long_text_bytes_alive{0};

const LongText* LongTextOf(const Record& r) {
  return reinterpret_cast<const LongText*>(reinterpret_cast<const char*>(r.p[0]) - sizeof(LongText));
}

// Types whose payload is str() (their as_long() and uuid().lo are 0):
// keyword, string, bigint, bigdec, bytes, uri, symbol, tuple.
constexpr uint32_t kTextTypes = 1u << static_cast<int>(ValueType::kKeyword) | 1u << static_cast<int>(ValueType::kString) |
                                1u << static_cast<int>(ValueType::kBigInt) | 1u << static_cast<int>(ValueType::kBigDec) |
                                1u << static_cast<int>(ValueType::kBytes) | 1u << static_cast<int>(ValueType::kUri) |
                                1u << static_cast<int>(ValueType::kSymbol) | 1u << static_cast<int>(ValueType::kTuple);
inline bool IsText(ValueType t) { return (kTextTypes >> (static_cast<unsigned>(t) & 31)) & 1; }

inline std::string_view TextOf(const Record& r) {
  if (r.len == Record::kLongText) return {reinterpret_cast<const char*>(r.p[0]), static_cast<size_t>(r.p[1])};
  return {reinterpret_cast<const char*>(r.p), r.len};
}

// The record of d's value with the text of a long value pointing at `text`
// (a LongText's bytes, or for a probe the value's own string).
void SetValue(const Value& v, Record* r) {
  r->type = v.type();
  if (!IsText(v.type())) {
    r->p[0] = static_cast<uint64_t>(v.as_long());
    r->p[1] = v.uuid().lo;
    r->len = 0;
    return;
  }
  const std::string& s = v.str();
  r->p[0] = r->p[1] = 0;
  if (s.size() <= Record::kInlineMax) {
    std::memcpy(r->p, s.data(), s.size());
    r->len = static_cast<uint8_t>(s.size());
  } else {
    r->p[0] = reinterpret_cast<uint64_t>(s.data());
    r->p[1] = s.size();
    r->len = Record::kLongText;
  }
}

// A record to compare with (Seek, lookups): refers to d's own string.
Record ProbeOf(const Datom& d) {
  Record r;
  r.e = d.e;
  r.a = d.a;
  r.tx = d.tx;
  r.added = d.added;
  SetValue(d.v, &r);
  return r;
}

// The record of d for a run: a long text gets its own LongText (refs 1);
// adds the bytes it holds to *bytes.
Record Encode(const Datom& d, uint64_t* bytes) {
  Record r = ProbeOf(d);
  if (r.len == Record::kLongText) {
    const std::string& s = d.v.str();
    void* mem = ::operator new(sizeof(LongText) + s.size());
    auto* lt = new (mem) LongText{{1}, static_cast<uint32_t>(s.size())};
    std::memcpy(const_cast<char*>(lt->bytes()), s.data(), s.size());
    r.p[0] = reinterpret_cast<uint64_t>(lt->bytes());
    *bytes += sizeof(LongText) + s.size();
    long_text_bytes_alive.fetch_add(sizeof(LongText) + s.size(), std::memory_order_relaxed);
  }
  return r;
}

// Another run holds r (a merge copied it): shares its LongText.
void Retain(const Record& r, uint64_t* bytes) {
  if (r.len != Record::kLongText) return;
  const_cast<LongText*>(LongTextOf(r))->refs.fetch_add(1, std::memory_order_relaxed);
  *bytes += sizeof(LongText) + r.p[1];
}

void Release(const Record& r) {
  auto* lt = const_cast<LongText*>(LongTextOf(r));
  if (lt->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    long_text_bytes_alive.fetch_sub(sizeof(LongText) + lt->size, std::memory_order_relaxed);
    lt->~LongText();
    ::operator delete(lt);
  }
}

// Byte order of two inline texts (what string_view::compare says), as two
// pairs of numbers: the texts are zero padded, so a text that is a prefix
// of the other, or equal to it up to padding, is decided by the length.
// Text runs of merges and sorts compared through memcmp calls.
[[gnu::always_inline]] inline int CompareInline(const Record& x, const Record& y) {
  auto big_endian = [](uint64_t w) -> uint64_t {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(w);
    return w;
  };
  for (int i = 0; i < 2; ++i) {
    const uint64_t a = big_endian(x.p[i]), b = big_endian(y.p[i]);
    if (a != b) return a < b ? -1 : 1;
  }
  return (x.len > y.len) - (x.len < y.len);
}

// Value::Compare on the records' values.
[[gnu::always_inline]] inline int CompareValues(const Record& x, const Record& y) {
  if (x.type != y.type) return x.type < y.type ? -1 : 1;
  switch (x.type) {
    case ValueType::kRef:
    case ValueType::kUuid:
      if (x.p[0] != y.p[0]) return x.p[0] < y.p[0] ? -1 : 1;
      return (x.p[1] > y.p[1]) - (x.p[1] < y.p[1]);
    case ValueType::kNil:
    case ValueType::kLong:
    case ValueType::kBoolean:
    case ValueType::kInstant: {
      const auto a = static_cast<int64_t>(x.p[0]), b = static_cast<int64_t>(y.p[0]);
      return (a > b) - (a < b);
    }
    case ValueType::kDouble: {
      const auto c = std::strong_order(std::bit_cast<double>(x.p[0]), std::bit_cast<double>(y.p[0]));
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    case ValueType::kFloat: {
      const auto c = std::strong_order(std::bit_cast<float>(static_cast<uint32_t>(x.p[0])),
                                       std::bit_cast<float>(static_cast<uint32_t>(y.p[0])));
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    case ValueType::kString:
    case ValueType::kBytes:
    case ValueType::kUri: {
      if (x.len != Record::kLongText && y.len != Record::kLongText) return CompareInline(x, y);
      const int c = TextOf(x).compare(TextOf(y));
      return (c > 0) - (c < 0);
    }
    default: return Value::CompareText(x.type, TextOf(x), TextOf(y));
  }
}

// Value::operator== on the records' values (inline texts are zero padded).
inline bool EqualValues(const Record& x, const Record& y) {
  if (x.type != y.type || x.len != y.len) return false;
  if (x.len != Record::kLongText) return x.p[0] == y.p[0] && x.p[1] == y.p[1];
  return x.p[1] == y.p[1] && std::memcmp(reinterpret_cast<const char*>(x.p[0]),
                                         reinterpret_cast<const char*>(y.p[0]), x.p[1]) == 0;
}

// CompareDatomsIn on records.
template <Index O>
[[gnu::always_inline]] inline int CompareRecs(const Record& x, const Record& y) {
  auto cmp = [](uint64_t a, uint64_t b) { return (a > b) - (a < b); };
  int c;
  if constexpr (O == Index::kEavt) {
    if ((c = cmp(x.e, y.e)) || (c = cmp(x.a, y.a)) || (c = CompareValues(x, y))) return c;
  } else if constexpr (O == Index::kAevt) {
    if ((c = cmp(x.a, y.a)) || (c = cmp(x.e, y.e)) || (c = CompareValues(x, y))) return c;
  } else if constexpr (O == Index::kAvet) {
    if ((c = cmp(x.a, y.a)) || (c = CompareValues(x, y)) || (c = cmp(x.e, y.e))) return c;
  } else {
    if ((c = CompareValues(x, y)) || (c = cmp(x.a, y.a)) || (c = cmp(x.e, y.e))) return c;
  }
  if ((c = cmp(x.tx, y.tx))) return c;
  return static_cast<int>(x.added) - static_cast<int>(y.added);
}

[[gnu::always_inline]] inline void Decode(const Record& r, Datom* d) {
  d->e = r.e;
  d->a = r.a;
  d->tx = r.tx;
  d->added = r.added;
  if (IsText(r.type)) d->v.AssignFields(r.type, 0, 0, TextOf(r));
  else d->v.AssignFields(r.type, static_cast<int64_t>(r.p[0]), r.p[1], {});
}

// The fields of a record's datom, its text in place.
[[gnu::always_inline]] inline DatomRef RefOf(const Record& r) {
  DatomRef d{r.e, r.a, r.tx, r.added, r.type, 0, 0, {}};
  if (IsText(r.type)) d.text = TextOf(r);
  else {
    d.num = static_cast<int64_t>(r.p[0]);
    d.aux = r.p[1];
  }
  return d;
}

// Value::operator== of the record's value and v (text types have no
// number fields, the others no text).
[[gnu::always_inline]] inline bool SameValue(const Record& r, const Value& v) {
  if (r.type != v.type()) return false;
  if (IsText(r.type)) return TextOf(r) == std::string_view(v.str());
  return r.p[0] == static_cast<uint64_t>(v.as_long()) && r.p[1] == v.uuid().lo;
}

bool SameEav(const Record& x, const Record& y) { return x.e == y.e && x.a == y.a && EqualValues(x, y); }

// Component slots of the first three in each order's sequence: 0=e 1=a 2=v.
constexpr int kPrefixSlots[kIndexCount][3] = {{0, 1, 2}, {1, 0, 2}, {1, 2, 0}, {2, 1, 0}};

// Appends the record's datom to *out, decoded in place (no temporary Datom to
// move: a braced temporary cost bench/transact-1000 2.2% more instructions).
[[gnu::always_inline]] inline void AppendDecoded(const Record& r, std::vector<Datom>* out) {
  Decode(r, &out->emplace_back());
}

// A run's iterator. EAVT reads the records in place; the other orders walk
// a permutation, so each step lands on a record far from the last one (a
// cache miss per datom of an AEVT or AVET scan): Next prefetches the record
// kPrefetchAhead positions on, so its line arrives while the datoms between
// are read. Seek searches from the current position when the target is near
// ahead of it (a cursor moved from binding to binding in order), and over
// the whole run otherwise.
//
// With a ValueFilter (F), every move ends by passing the records of the
// bound whose value is not the filter's (SkipOthers: the value compared as
// the records compare, two words and a length for a short text), so a
// scan of an attribute for one value reads each record once, in one loop,
// and builds none it rejects; an AEVT read of one attribute walks the
// run's AVET span of (a v) instead (SeekInSpan). Without a filter the class
// is as it was: the check costs unfiltered reads nothing.
template <Index O, bool F = false>
class RunIterator final : public DatomIterator {
 public:
  explicit RunIterator(const Run* run, const ValueFilter* filter = nullptr)
      : run_(run), recs_(run->recs.data()), filter_(filter) {
    perm_ = O == Index::kEavt ? nullptr : run->Perm(O).data();
    n_ = O == Index::kEavt ? run->recs.size() : run->Perm(O).size();
    pos_ = n_;
    if constexpr (F) SetValue(filter->v, &want_);
  }
  bool Valid() const override { return pos_ < n_; }
  void SeekToFirst() override {
    if constexpr (F && O == Index::kAevt) {  // every datom: back to AEVT's positions (see SeekInSpan)
      perm_ = run_->Perm(O).data();
      n_ = run_->Perm(O).size();
    }
    pos_ = 0;
    if constexpr (F) {
      TakeBound();
      SkipOthers();
    }
    PrefetchFrom(pos_);
  }
  void Seek(const Datom& target) override {
    if constexpr (F && O == Index::kAevt) {
      TakeBound();
      if (bound_n_ == 1) return SeekInSpan(target);
      perm_ = run_->Perm(O).data();  // AEVT's positions (a span's before)
      n_ = run_->Perm(O).size();
    }
    const Record probe = ProbeOf(target);
    size_t lo = 0, hi = n_;
    if (pos_ < n_ && Less(pos_, probe)) {
      // Gallop ahead of the position, 4x a step: the answer is in
      // (pos_, n_]. A near target costs a probe or two on lines the read
      // just touched; a far one kGallopSteps probes more than a plain
      // binary search of the run.
      lo = pos_ + 1;
      // The probes are independent loads: start them together rather than
      // one cache miss after another.
      for (size_t step = 4; step <= kGallopMax && pos_ + step < n_; step *= 4) Touch(pos_ + step);
      for (size_t i = 0, step = 1; i < kGallopSteps; ++i, step *= 4) {
        const size_t at = pos_ + step;
        if (at >= n_) break;
        if (!Less(at, probe)) {
          hi = at;
          break;
        }
        lo = at + 1;
      }
    }
    if (hi - lo > kGallopMax) {
      // A far target: halve the whole run as a search from the top does,
      // answering the probes outside [lo, hi) without reading them, so the
      // records it reads are the ones every search of the run reads first
      // (in the cache) rather than midpoints of a range no search shared.
      size_t l = 0, h = n_;
      while (l < h && h - l > kGallopMax) {
        const size_t mid = (l + h) / 2;
        if (mid < lo || (mid < hi && Less(mid, probe))) l = mid + 1;
        else h = mid;
      }
      lo = std::max(lo, l);
      hi = std::min(hi, h);
    }
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (Less(mid, probe)) lo = mid + 1;
      else hi = mid;
    }
    pos_ = lo;
    if constexpr (F) {
      TakeBound();
      SkipOthers();
    }
    PrefetchFrom(pos_);
  }
  void Next() override {
    ++pos_;
    if constexpr (O != Index::kEavt)
      if (pos_ + kPrefetchAhead < n_) Prefetch(pos_ + kPrefetchAhead);
    if constexpr (F) SkipOthers();
  }
  const Datom& datom() const override {
    if (decoded_ != pos_) {
      Decode(At(pos_), &cur_);
      decoded_ = pos_;
    }
    return cur_;
  }
  void CopyDatom(Datom* out) const override {
    if (decoded_ == pos_) *out = cur_;
    else Decode(At(pos_), out);
  }
  bool SameEav(const Datom& d) const override {
    const Record& r = At(pos_);
    return r.e == d.e && r.a == d.a && SameValue(r, d.v);
  }
  bool SharesPrefix(Index, const Datom& target, size_t n) const override { return InBound(At(pos_), target, n); }
  bool SeeksNear() const override { return true; }
  // The fold on records: a current run holds one datom of most groups, so
  // a step reads the next record, gives its fields (no Datom is built) and
  // compares the one after it with it.
  // With a filter, the position always stands on a record of its value (or
  // past the bound), and the step passes the others after each group.
  CurrentStep StepCurrent(DatomRef* out, const Datom* bound, size_t n) override {
    while (pos_ < n_) {
      const Record* r = &At(pos_);
      if (n > 0 && !InBound(*r, *bound, n)) return CurrentStep::kEnd;
      size_t next = pos_ + 1;
      while (next < n_ && strata::SameEav(At(next), *r)) r = &At(next++);  // r: the group's last datom
      pos_ = next;
      if constexpr (O != Index::kEavt)
        if (pos_ + kPrefetchAhead < n_) Prefetch(pos_ + kPrefetchAhead);
      if constexpr (F) SkipOthers();
      if (r->added) {
        *out = RefOf(*r);
        const bool last = pos_ == n_ || (n > 0 && !InBound(At(pos_), *bound, n));
        return last ? CurrentStep::kFoundLast : CurrentStep::kFound;
      }
    }
    return CurrentStep::kEnd;
  }

 private:
  static constexpr size_t kPrefetchAhead = 8;
  static constexpr size_t kSkipAhead = 32;
  static constexpr size_t kGallopSteps = 4;  // up to kGallopMax ahead, then a binary search of the rest
  static constexpr size_t kGallopMax = 64;
  const Record& At(size_t i) const {
    if constexpr (O == Index::kEavt) return recs_[i];
    else return recs_[perm_[i]];
  }
  // Whether r has target's first n components (in O's sequence; n <= 3),
  // unrolled: the slots are constants of the order.
  [[gnu::always_inline]] static bool InBound(const Record& r, const Datom& target, size_t n) {
    auto same = [&](int slot) {
      switch (slot) {
        case 0: return r.e == target.e;
        case 1: return r.a == target.a;
        default: return SameValue(r, target.v);
      }
    };
    constexpr const int* slots = kPrefixSlots[static_cast<int>(O)];
    if (n == 0) return true;
    if (!same(slots[0])) return false;
    if (n == 1) return true;
    if (!same(slots[1])) return false;
    return n == 2 || same(slots[2]);
  }
  [[gnu::always_inline]] bool Less(size_t i, const Record& probe) const { return CompareRecs<O>(At(i), probe) < 0; }
  // The filter's bound for the reads until the next seek.
  void TakeBound() {
    const std::vector<Value>* prefix = filter_->prefix;
    bound_n_ = prefix == nullptr ? 0 : std::min<size_t>(prefix->size(), 3);
    if (bound_n_ > 0) bound_ = PrefixTarget(O, *prefix);
  }
  // An AEVT read of one attribute for one value: its datoms are the run's
  // AVET span of (a v), in the same order (with a and v fixed both orders
  // sort by e, then tx), so the iterator walks that span, found by two
  // binary searches, instead of comparing every datom of the attribute:
  // perm_ becomes AVET's and n_ the span's end (the read ends there: a
  // bounded read wants nothing past its prefix). The target is searched
  // within the span, where AEVT's comparison is ordered too.
  void SeekInSpan(const Datom& target) {
    const std::vector<uint32_t>& avet = run_->Perm(Index::kAvet);
    const EntityId a = bound_.a;
    auto first = std::partition_point(avet.begin(), avet.end(), [&](uint32_t i) {
      const Record& r = recs_[i];
      return r.a < a || (r.a == a && CompareValues(r, want_) < 0);
    });
    auto end = std::partition_point(first, avet.end(), [&](uint32_t i) {
      const Record& r = recs_[i];
      return r.a == a && EqualValues(r, want_);
    });
    perm_ = avet.data();
    n_ = static_cast<size_t>(end - avet.begin());
    const Record probe = ProbeOf(target);
    pos_ = static_cast<size_t>(
        std::partition_point(first, end, [&](uint32_t i) { return CompareRecs<O>(recs_[i], probe) < 0; }) -
        avet.begin());
    PrefetchFrom(pos_);
  }
  // Passes the records within the bound whose value is not the filter's:
  // stops at the end, on a record of the value, or on one past the bound.
  // A rejected record costs a few compares, so the loop runs far ahead of
  // Next's prefetch distance: it fetches kSkipAhead records on.
  void SkipOthers() {
    for (; pos_ < n_; ++pos_) {
      const Record& r = At(pos_);
      if (EqualValues(r, want_) || !InBound(r, bound_, bound_n_)) return;
      if constexpr (O != Index::kEavt)
        if (pos_ + kSkipAhead < n_) Prefetch(pos_ + kSkipAhead);
    }
  }
  // A record may straddle two cache lines (48 bytes): fetch both.
  void Prefetch(size_t i) const {
    const char* r = reinterpret_cast<const char*>(&At(i));
    __builtin_prefetch(r);
    __builtin_prefetch(r + sizeof(Record) - 1);
  }
  // A probe reads a record's first line (a comparison rarely goes past e
  // and a; in AVET order the value, in the same line or the next).
  void Touch(size_t i) const { __builtin_prefetch(&At(i)); }
  // After a seek, the records the next steps read before Next's reach them.
  void PrefetchFrom(size_t i) const {
    if constexpr (O != Index::kEavt)
      for (size_t k = i + 1; k < n_ && k <= i + kPrefetchAhead; ++k) Prefetch(k);
  }
  const Run* run_;
  const Record* recs_;  // run_->recs
  const ValueFilter* filter_;  // F: the scan's value and prefix
  Record want_;                // F: the filter's value as a record (a long text points at filter_->v)
  Datom bound_;                // F: the prefix at the last seek, its first bound_n_ components
  size_t bound_n_ = 0;
  const uint32_t* perm_;
  size_t n_, pos_;
  mutable Datom cur_;                    // the record at decoded_
  mutable size_t decoded_ = ~size_t{0};
};

// Value types whose Compare is 0 exactly when their fields are equal, so
// equal keys hash alike (tuples, big numbers, floats and symbols compare by
// decoded content: looked up by binary search instead).
bool AvHashable(ValueType t) {
  switch (t) {
    case ValueType::kRef:
    case ValueType::kKeyword:
    case ValueType::kString:
    case ValueType::kBoolean:
    case ValueType::kLong:
    case ValueType::kDouble:
    case ValueType::kInstant:
    case ValueType::kUuid:
    case ValueType::kBytes:
    case ValueType::kUri: return true;
    default: return false;
  }
}

// Value::Hash of a long or ref is nearly linear in the number: finish with
// a full mix (murmur3's fmix64) so sequential ids spread over the slots.
size_t AvHash(EntityId a, size_t value_hash) {
  uint64_t h = value_hash ^ (a * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

// A slot of av_slots holds 1 + an AVET position in its low AvPosBits(n)
// bits (n: the run's AVET size, under 2^31) and the top bits of the
// group's hash above them: a probe passes over the groups of other values
// without reading their records (each such read was a cache miss, the
// most of a lookup's time).
inline int AvPosBits(size_t n) { return std::bit_width(n); }
inline uint32_t AvTag(size_t hash, int pos_bits) {
  return static_cast<uint32_t>(static_cast<uint64_t>(hash) >> (32 + pos_bits));
}

// Value::Hash of a record's value.
size_t HashValue(const Record& r) {
  if (IsText(r.type)) return Value::HashFields(r.type, 0, 0, TextOf(r));
  return Value::HashFields(r.type, static_cast<int64_t>(r.p[0]), r.p[1], {});
}

bool SameAv(const Record& r, const Record& probe) { return r.a == probe.a && EqualValues(r, probe); }

// sizeof(Record) plus one slot per other order.
constexpr uint64_t kRecordBytes = sizeof(Record) + 3 * sizeof(uint32_t);
static_assert(kRecordBytes == kMemIndexBytesPerDatom, "strategies size their levels by it (strata/indexing.h)");

// The distinct attributes of records (in order of first appearance), each
// with its count and where its datoms start in an attribute-major order
// (AEVT, AVET): counted in one pass over the records, in address order.
// *by_a gets their indexes in attribute order; *of, when given, each
// record's attribute index.
struct AttrCount {
  EntityId a;
  uint32_t count, start;
};
std::vector<AttrCount> CountAttrs(const std::vector<Record>& rs, std::vector<uint32_t>* of,
                                  std::vector<uint32_t>* by_a) {
  std::vector<AttrCount> attrs;
  if (of) of->resize(rs.size());
  std::vector<uint32_t> table(64, UINT32_MAX);  // open addressing: indexes into attrs
  auto slot_of = [&](EntityId a) {
    const size_t mask = table.size() - 1;
    size_t i = (a * 0x9e3779b97f4a7c15ULL) >> 20 & mask;
    while (table[i] != UINT32_MAX && attrs[table[i]].a != a) i = (i + 1) & mask;
    return i;
  };
  uint32_t last = UINT32_MAX;
  for (size_t i = 0; i < rs.size(); ++i) {
    const EntityId a = rs[i].a;
    if (last == UINT32_MAX || attrs[last].a != a) {
      size_t s = slot_of(a);
      if (table[s] == UINT32_MAX) {
        if (2 * (attrs.size() + 1) > table.size()) {  // grow and re-place
          table.assign(table.size() * 2, UINT32_MAX);
          for (uint32_t k = 0; k < attrs.size(); ++k) table[slot_of(attrs[k].a)] = k;
          s = slot_of(a);
        }
        table[s] = static_cast<uint32_t>(attrs.size());
        attrs.push_back(AttrCount{a, 0, 0});
      }
      last = table[s];
    }
    if (of) (*of)[i] = last;
    ++attrs[last].count;
  }
  by_a->resize(attrs.size());
  for (uint32_t k = 0; k < by_a->size(); ++k) (*by_a)[k] = k;
  std::sort(by_a->begin(), by_a->end(), [&](uint32_t x, uint32_t y) { return attrs[x].a < attrs[y].a; });
  uint32_t start = 0;
  for (uint32_t k : *by_a) {
    attrs[k].start = start;
    start += attrs[k].count;
  }
  return attrs;
}

// Fetches the record at position i + 8 of a permutation (records are
// scattered in every order but EAVT): for loops that walk one.
inline void FetchAhead(const std::vector<Record>& recs, const std::vector<uint32_t>& perm, size_t i, size_t end) {
  if (i + 8 >= end) return;
  const char* rec = reinterpret_cast<const char*>(&recs[perm[i + 8]]);
  __builtin_prefetch(rec);
  __builtin_prefetch(rec + sizeof(Record) - 1);
}

}  // namespace

void DecodeRecord(const Record& r, Datom* d) { Decode(r, d); }

uint64_t LongTextBytesAlive() { return long_text_bytes_alive.load(std::memory_order_relaxed); }

Run::~Run() {
  if (long_texts == 0) return;
  for (const Record& r : recs)
    if (r.len == Record::kLongText) Release(r);
}

void Run::BuildAvIndex(const std::function<bool(EntityId)>& is_unique) {
  if (avet.size() < kAvIndexMinDatoms || avet.size() >= 0x7fffffffu) return;
  // Each attribute's span found by galloping over AVET from its first
  // datom: a few reads per attribute (a pass over every record, as the
  // spans were counted before, cost every merge a hash probe per datom).
  const size_t n = avet.size();
  size_t groups = 0;  // of hashed attributes
  for (size_t first = 0; first < n;) {
    const EntityId a = recs[avet[first]].a;
    size_t lo = first + 1, hi = n;  // the span's end is in [lo, hi]
    for (size_t step = 1; first + step < n; step *= 2) {
      if (recs[avet[first + step]].a != a) {
        hi = first + step;
        break;
      }
      lo = first + step + 1;
    }
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (recs[avet[mid]].a == a) lo = mid + 1;
      else hi = mid;
    }
    AttrSpan span{a, static_cast<uint32_t>(first), static_cast<uint32_t>(lo), is_unique && is_unique(a)};
    first = lo;
    if (span.hashed) {
      for (size_t i = span.first; i < span.end; ++i) {
        FetchAhead(recs, avet, i, span.end);
        if (i == span.first || !EqualValues(recs[avet[i]], recs[avet[i - 1]])) ++groups;
      }
    }
    av_attrs.push_back(span);
  }
  if (groups > 0) {
    size_t cap = 16;
    while (cap < 2 * groups) cap *= 2;
    av_slots.assign(cap, 0);
    const size_t mask = cap - 1;
    const int pos_bits = AvPosBits(avet.size());
    for (const AttrSpan& span : av_attrs) {
      if (!span.hashed) continue;
      for (size_t i = span.first; i < span.end; ++i) {
        FetchAhead(recs, avet, i, span.end);
        const Record& r = recs[avet[i]];
        if (i > span.first && EqualValues(recs[avet[i - 1]], r)) continue;
        if (!AvHashable(r.type)) continue;
        const size_t h = AvHash(r.a, HashValue(r));
        size_t slot = h & mask;
        while (av_slots[slot] != 0) slot = (slot + 1) & mask;
        av_slots[slot] = AvTag(h, pos_bits) << pos_bits | static_cast<uint32_t>(i + 1);
      }
    }
  }
  bytes += av_slots.size() * sizeof(uint32_t) + av_attrs.size() * sizeof(AttrSpan);
}

void Run::AppendWithAv(EntityId a, const Value& v, std::vector<Datom>* out) const {
  AppendWithAv(a, v, AvHashable(v.type()) ? AvHash(a, v.Hash()) : 0, out);
}

void Run::AppendWithAv(EntityId a, const Value& v, size_t hash, std::vector<Datom>* out) const {
  Record probe;
  probe.a = a;
  probe.added = false;
  SetValue(v, &probe);
  size_t lo = 0, hi = avet.size();
  bool hashed = false;
  if (!av_attrs.empty()) {
    // The attribute's span; outside its first and last value nothing to do
    // (ids that only grow are found past every run without a probe).
    auto it = std::lower_bound(av_attrs.begin(), av_attrs.end(), a,
                               [](const AttrSpan& s, EntityId x) { return s.a < x; });
    if (it == av_attrs.end() || it->a != a) return;
    if (CompareValues(probe, recs[avet[it->first]]) < 0 || CompareValues(probe, recs[avet[it->end - 1]]) > 0) return;
    lo = it->first;
    hi = it->end;
    hashed = it->hashed && AvHashable(v.type());
  }
  size_t pos;
  if (hashed) {
    const size_t mask = av_slots.size() - 1;
    const int pos_bits = AvPosBits(avet.size());
    const uint32_t tag = AvTag(hash, pos_bits);
    const uint32_t pos_mask = (uint32_t{1} << pos_bits) - 1;
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const uint32_t entry = av_slots[slot];
      if (entry == 0) return;  // no group (a v) here
      if (entry >> pos_bits != tag) continue;
      pos = (entry & pos_mask) - 1;
      if (SameAv(recs[avet[pos]], probe)) break;
    }
  } else {
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (CompareRecs<Index::kAvet>(recs[avet[mid]], probe) < 0) lo = mid + 1;
      else hi = mid;
    }
    pos = lo;
  }
  for (; pos < avet.size() && SameAv(recs[avet[pos]], probe); ++pos) AppendDecoded(recs[avet[pos]], out);
}

namespace {

// A 16-byte key (k[0], then k[1]) of a record's value that orders as
// CompareValues does among values of the same type wherever two keys
// differ (equal keys decide nothing): numbers as unsigned numbers, texts
// compared as bytes by their first sixteen, zero padded (all of an inline
// text's; its length decides a tie). False for types that compare
// otherwise.
bool OrderKey(const Record& r, uint64_t k[2]) {
  constexpr uint64_t kSign = uint64_t{1} << 63;
  k[1] = 0;
  switch (r.type) {
    case ValueType::kRef:
    case ValueType::kUuid:
      k[0] = r.p[0];
      k[1] = r.p[1];
      return true;
    case ValueType::kNil:
    case ValueType::kLong:
    case ValueType::kBoolean:
    case ValueType::kInstant: k[0] = r.p[0] ^ kSign; return true;
    case ValueType::kDouble: {  // IEEE totalOrder, as std::strong_order
      const uint64_t b = r.p[0];
      k[0] = b & kSign ? ~b : b | kSign;
      return true;
    }
    case ValueType::kFloat: {
      const auto b = static_cast<uint32_t>(r.p[0]);
      k[0] = static_cast<uint64_t>(b & 0x80000000u ? ~b : b | 0x80000000u) << 32;
      return true;
    }
    case ValueType::kString:
    case ValueType::kBytes:
    case ValueType::kUri: {
      uint64_t w[2] = {r.p[0], r.p[1]};
      if (r.len == Record::kLongText) std::memcpy(w, reinterpret_cast<const char*>(r.p[0]), 16);  // > 15 bytes
      for (int i = 0; i < 2; ++i) {
        if constexpr (std::endian::native == std::endian::little) w[i] = __builtin_bswap64(w[i]);
        k[i] = w[i];
      }
      return true;
    }
    default: return false;
  }
}

// Stably sorts the positions [first, end) by their records' values; what
// comes in value order already (ids handed out in order) is not sorted.
// Values of one type sort as (key, position) pairs, reading a record only
// where two keys tie (a comparison through the positions read two records
// scattered in memory: this sort was most of building a transaction's run).
void SortByValue(const std::vector<Record>& rs, uint32_t* first, uint32_t* end) {
  if (end - first < 2) return;  // also an empty vector's null data(): p + 1 would be UB
  auto value_less = [&](uint32_t x, uint32_t y) { return CompareValues(rs[x], rs[y]) < 0; };
  uint32_t* p = first;
  while (p + 1 < end && !value_less(p[1], p[0])) ++p;
  if (p + 1 >= end) return;
  struct Keyed {
    uint64_t k[2];
    uint32_t rank;  // place in the input: ties keep it
    uint32_t pos;
  };
  std::vector<Keyed> ks(static_cast<size_t>(end - first));
  const ValueType type = rs[*first].type;
  for (uint32_t* q = first; q < end; ++q) {
    Keyed& x = ks[static_cast<size_t>(q - first)];
    if (rs[*q].type != type || !OrderKey(rs[*q], x.k)) {
      std::stable_sort(p, end, value_less);  // [first, p] is in order already
      std::inplace_merge(first, p, end, value_less);
      return;
    }
    x.rank = static_cast<uint32_t>(q - first);
    x.pos = *q;
  }
  std::sort(ks.begin(), ks.end(), [&](const Keyed& x, const Keyed& y) {
    if (x.k[0] != y.k[0]) return x.k[0] < y.k[0];
    if (x.k[1] != y.k[1]) return x.k[1] < y.k[1];
    const int c = CompareValues(rs[x.pos], rs[y.pos]);
    return c != 0 ? c < 0 : x.rank < y.rank;
  });
  for (size_t i = 0; i < ks.size(); ++i) first[i] = ks[i].pos;
}

// The AEVT permutation of records in EAVT order, without a comparison sort
// of whole records: restricted to one attribute, EAVT order is AEVT order
// (e, v, tx, added), so AEVT is EAVT bucketed by attribute, keeping the
// order within a bucket. *attrs and *by_a get CountAttrs's answer.
std::vector<uint32_t> BucketByAttr(const std::vector<Record>& rs, std::vector<AttrCount>* attrs,
                                   std::vector<uint32_t>* by_a) {
  const auto n = static_cast<uint32_t>(rs.size());
  std::vector<uint32_t> of;
  *attrs = CountAttrs(rs, &of, by_a);
  std::vector<uint32_t> aevt(n);
  std::vector<uint32_t> next(attrs->size());
  for (uint32_t k = 0; k < attrs->size(); ++k) next[k] = (*attrs)[k].start;
  for (uint32_t i = 0; i < n; ++i) aevt[next[of[i]]++] = i;
  return aevt;
}

// The AVET and VAET permutations of records in EAVT order, without a
// comparison sort of whole records: AVET is each attribute's bucket of
// AEVT stably sorted by value (equal values keep e, tx, added); VAET is
// AVET's datoms of ref attributes stably sorted by value (equal values keep
// a, e, tx, added). A transaction's buckets often come in value order
// already (ids handed out in order): then nothing is sorted.
void BuildAvetVaet(const std::vector<Record>& rs, const std::function<bool(EntityId)>& is_ref,
                   std::vector<uint32_t>* avet, std::vector<uint32_t>* vaet) {
  std::vector<AttrCount> attrs;
  std::vector<uint32_t> by_a;
  *avet = BucketByAttr(rs, &attrs, &by_a);
  size_t refs = 0;
  for (uint32_t k : by_a) {
    const AttrCount& at = attrs[k];
    SortByValue(rs, avet->data() + at.start, avet->data() + at.start + at.count);
    if (is_ref(at.a))
      for (uint32_t i = at.start; i < at.start + at.count; ++i) refs += rs[(*avet)[i]].type == ValueType::kRef;
  }
  vaet->reserve(refs);
  for (uint32_t k : by_a) {
    const AttrCount& at = attrs[k];
    if (!is_ref(at.a)) continue;
    for (uint32_t i = at.start; i < at.start + at.count; ++i)
      if (rs[(*avet)[i]].type == ValueType::kRef) vaet->push_back((*avet)[i]);
  }
  SortByValue(rs, vaet->data(), vaet->data() + vaet->size());
}

}  // namespace

const std::vector<uint32_t>& Run::Perm(Index o) const {
  if (o == Index::kAvet) return avet;
  if (o == Index::kVaet) return vaet;
  std::call_once(aevt_once_, [this] {
    std::vector<AttrCount> attrs;
    std::vector<uint32_t> by_a;
    aevt_ = BucketByAttr(recs, &attrs, &by_a);
  });
  return aevt_;
}

// Runs of up to this many datoms are sorted per order by comparison.
constexpr size_t kSmallRun = 8;

std::shared_ptr<const Run> Run::Build(const std::vector<Datom>& datoms, const std::function<bool(EntityId)>& is_ref,
                                      const std::function<bool(EntityId)>& is_unique) {
  auto run = std::make_shared<Run>();
  auto& rs = run->recs;
  rs.reserve(datoms.size());
  uint64_t bytes = sizeof(Run) + datoms.size() * kRecordBytes;
  T min_t = ~T{0}, max_t = 0;
  for (const Datom& d : datoms) {
    rs.push_back(Encode(d, &bytes));
    run->long_texts += rs.back().len == Record::kLongText;
    min_t = std::min(min_t, d.t());
    max_t = std::max(max_t, d.t());
  }
  // The transactor hands its datoms over in EAVT order already.
  auto eavt_less = [](const Record& x, const Record& y) { return CompareRecs<Index::kEavt>(x, y) < 0; };
  if (!std::is_sorted(rs.begin(), rs.end(), eavt_less)) std::sort(rs.begin(), rs.end(), eavt_less);
  if (rs.size() > kSmallRun) {
    BuildAvetVaet(rs, is_ref, &run->avet, &run->vaet);
  } else {
    // A few datoms (a one-datom transaction): a comparison sort per order
    // costs less than BuildAvetVaet's tables.
    for (const Index o : {Index::kAvet, Index::kVaet}) {
      auto& p = o == Index::kAvet ? run->avet : run->vaet;
      p.reserve(rs.size());
      for (uint32_t i = 0; i < rs.size(); ++i)
        if (o == Index::kAvet || (rs[i].type == ValueType::kRef && is_ref(rs[i].a))) p.push_back(i);
      WithOrder(o, [&](auto order) {
        std::sort(p.begin(), p.end(),
                  [&](uint32_t x, uint32_t y) { return CompareRecs<decltype(order)::value>(rs[x], rs[y]) < 0; });
      });
    }
  }
  run->bytes = bytes;
  run->min_t = rs.empty() ? 0 : min_t;
  run->max_t = max_t;
  run->BuildAvIndex(is_unique);
  return run;
}

std::unique_ptr<DatomIterator> Run::NewIterator(Index order, const ValueFilter* filter) const {
  return WithOrder(order, [&](auto o) -> std::unique_ptr<DatomIterator> {
    if (filter != nullptr) return std::make_unique<RunIterator<decltype(o)::value, true>>(this, filter);
    return std::make_unique<RunIterator<decltype(o)::value>>(this);
  });
}

namespace {

// Where a merge sends each datom of its input runs.
enum Dest : uint8_t { kToFirst = 0, kToSecond = 1, kDropped = 2 };

// The most runs one merge takes: the tiered policy merges four runs of
// about the same size, so a datom is copied ~log4(novelty / transaction)
// times rather than log2 as with pairwise merges.
constexpr size_t kFanIn = 4;

// One datom of a merge's inputs: which run (0 = oldest) and where in it.
struct Origin {
  uint32_t run;
  uint32_t idx;
};

// A k-way merge of k <= kFanIn sorted sequences. `cmp(r, i, s, j)` compares
// element i of sequence r with element j of sequence s (<0, 0, >0); `emit(r, i)` receives
// the elements in order, ties (none in practice: runs hold disjoint
// transactions) to the older sequence first. The heads are kept sorted, so
// when one long sequence supplies most elements each step costs one
// comparison; and once one sequence has supplied kGallopAfter elements in
// a row, how many more it supplies before the next head is found by an
// exponential search (timsort's galloping): runs of consecutive
// transactions hold mostly disjoint entities, so a merge is long stretches
// of one run, and each comparison reads records scattered in memory.
constexpr size_t kGallopAfter = 4;

template <class Cmp, class Emit>
void KWayMerge(size_t k, const size_t* sizes, const Cmp& cmp, const Emit& emit) {
  uint32_t live[kFanIn];
  size_t pos[kFanIn] = {};
  size_t n = 0;
  auto before = [&](uint32_t x, uint32_t y) {  // is x's head before y's?
    const int c = cmp(x, pos[x], y, pos[y]);
    return c < 0 || (c == 0 && x < y);
  };
  for (uint32_t r = 0; r < k; ++r) {
    if (sizes[r] == 0) continue;
    size_t p = n++;
    live[p] = r;
    for (; p > 0 && before(live[p], live[p - 1]); --p) std::swap(live[p], live[p - 1]);
  }
  uint32_t last = UINT32_MAX;  // the sequence that supplied the last `streak` elements
  size_t streak = 0;
  while (n > 0) {
    const uint32_t r = live[0];
    streak = r == last ? streak + 1 : 1;
    last = r;
    size_t end = pos[r] + 1;  // r supplies [pos[r], end) now
    if (n == 1) {
      end = sizes[r];
    } else if (streak >= kGallopAfter) {
      const uint32_t s = live[1];  // the next head
      auto goes_first = [&](size_t i) {
        const int c = cmp(r, i, s, pos[s]);
        return c < 0 || (c == 0 && r < s);
      };
      // [pos[r], end) go first; probe end, end + 1, end + 3, end + 7, ...
      for (size_t step = 1; end < sizes[r]; step *= 2) {
        const size_t probe = std::min(end + step - 1, sizes[r] - 1);
        if (!goes_first(probe)) {
          size_t hi = probe;
          while (end < hi) {
            const size_t mid = end + (hi - end) / 2;
            if (goes_first(mid)) end = mid + 1;
            else hi = mid;
          }
          break;
        }
        end = probe + 1;
      }
    }
    for (size_t i = pos[r]; i < end; ++i) emit(r, i);
    pos[r] = end;
    if (end == sizes[r]) {
      for (size_t p = 1; p < n; ++p) live[p - 1] = live[p];
      --n;
      continue;
    }
    for (size_t p = 0; p + 1 < n && before(live[p + 1], live[p]); ++p) std::swap(live[p], live[p + 1]);
  }
}

// The datoms of `in` (oldest first) in EAVT order, each with its origin.
std::vector<Origin> MergeOrigins(const std::vector<const Run*>& in) {
  size_t sizes[kFanIn], total = 0;
  for (size_t r = 0; r < in.size(); ++r) total += sizes[r] = in[r]->recs.size();
  std::vector<Origin> out;
  out.reserve(total);
  KWayMerge(
      in.size(), sizes,
      [&](uint32_t r, size_t i, uint32_t s, size_t j) {
        return CompareRecs<Index::kEavt>(in[r]->recs[i], in[s]->recs[j]);
      },
      [&](uint32_t r, size_t i) { out.push_back(Origin{r, static_cast<uint32_t>(i)}); });
  return out;
}

// Builds up to two runs from the datoms of `in`, routed by dest[run][idx]
// (dest empty: all to out[0]).
// Each input run is sorted in every order already, so every order of the
// outputs is a linear merge of the inputs' orders (no re-sort).
void BuildMerged(const std::vector<const Run*>& in, const std::vector<Origin>& origins,
                 const std::vector<std::vector<Dest>>& dest, std::shared_ptr<Run> out[2]) {
  // dest empty: every datom goes to out[0] (no pair met), the usual case:
  // then the records are copied a stretch of one run at a time.
  const bool routed = !dest.empty();
  std::vector<std::vector<uint32_t>> pos(in.size());
  for (size_t r = 0; r < in.size(); ++r) pos[r].resize(in[r]->recs.size());
  size_t counts[2] = {origins.size(), 0};
  if (routed) {
    counts[0] = 0;
    for (const Origin& o : origins)
      if (dest[o.run][o.idx] != kDropped) ++counts[dest[o.run][o.idx]];
  }
  for (int k = 0; k < 2; ++k) {
    out[k] = std::make_shared<Run>();
    out[k]->bytes = sizeof(Run) + counts[k] * kRecordBytes;
    out[k]->min_t = ~T{0};
    out[k]->recs.reserve(counts[k]);
  }
  if (routed) {
    for (const Origin& o : origins) {
      const Dest d = dest[o.run][o.idx];
      if (d == kDropped) continue;
      Run& r = *out[d];
      pos[o.run][o.idx] = static_cast<uint32_t>(r.recs.size());
      const Record& src = in[o.run]->recs[o.idx];
      if (src.len == Record::kLongText) {
        Retain(src, &r.bytes);
        ++r.long_texts;
      }
      const T t = TOf(src.tx);
      r.min_t = std::min(r.min_t, t);
      r.max_t = std::max(r.max_t, t);
      r.recs.push_back(src);
    }
  } else {
    Run& r = *out[0];
    for (size_t i = 0; i < origins.size();) {
      const Origin o = origins[i];
      size_t j = i + 1;  // origins [i, j) are o.run's records o.idx, o.idx + 1, ...
      while (j < origins.size() && origins[j].run == o.run && origins[j].idx == o.idx + (j - i)) ++j;
      const Record* src = in[o.run]->recs.data() + o.idx;
      std::iota(pos[o.run].begin() + o.idx, pos[o.run].begin() + o.idx + static_cast<long>(j - i),
                static_cast<uint32_t>(r.recs.size()));
      r.recs.insert(r.recs.end(), src, src + (j - i));
      i = j;
    }
    for (const Run* x : in) {
      if (x->recs.empty()) continue;
      r.min_t = std::min(r.min_t, x->min_t);
      r.max_t = std::max(r.max_t, x->max_t);
      if (x->long_texts == 0) continue;
      for (const Record& rec : x->recs) {
        if (rec.len != Record::kLongText) continue;
        Retain(rec, &r.bytes);
        ++r.long_texts;
      }
    }
  }
  for (int k = 0; k < 2; ++k)
    if (out[k]->recs.empty()) out[k]->min_t = 0;
  // AVET and VAET; the outputs build AEVT when first asked (Run::Perm).
  for (const Index order : {Index::kAvet, Index::kVaet}) {
    // Each input's permutation, picked once (not per comparison).
    const uint32_t* perms[kFanIn];
    size_t sizes[kFanIn];
    for (size_t r = 0; r < in.size(); ++r) {
      perms[r] = in[r]->Perm(order).data();
      sizes[r] = in[r]->Perm(order).size();
    }
    std::vector<uint32_t>* outs[2];
    for (int k = 0; k < 2; ++k) {
      outs[k] = order == Index::kAvet ? &out[k]->avet : &out[k]->vaet;
      outs[k]->reserve(counts[k]);
    }
    WithOrder(order, [&](auto ord) {
      KWayMerge(
          in.size(), sizes,
          [&](uint32_t r, size_t i, uint32_t s, size_t j) {
            return CompareRecs<decltype(ord)::value>(in[r]->recs[perms[r][i]], in[s]->recs[perms[s][j]]);
          },
          [&](uint32_t r, size_t i) {
            const uint32_t* perm = perms[r];
            // Through a permutation the records are scattered and waiting
            // for each was most of a merge: fetch what the comparisons and
            // this step will read a few steps from now.
            if (constexpr size_t kAhead = 8; i + kAhead < sizes[r]) {
              const uint32_t next = perm[i + kAhead];
              const char* rec = reinterpret_cast<const char*>(&in[r]->recs[next]);
              __builtin_prefetch(rec);
              __builtin_prefetch(rec + sizeof(Record) - 1);
              __builtin_prefetch(&pos[r][next]);
              if (routed) __builtin_prefetch(&dest[r][next]);
            }
            const uint32_t idx = perm[i];
            const Dest d = routed ? dest[r][idx] : kToFirst;
            if (d != kDropped) outs[d]->push_back(pos[r][idx]);
          });
    });
  }
}

// Merges time-adjacent current runs (oldest first) into out[0].
// Assertion/retraction pairs that meet are cancelled: moved to out[1] (the
// history) or dropped when the attribute keeps no history.
void MergeCurrent(const std::vector<const Run*>& in, const std::function<bool(EntityId)>& no_history,
                  std::shared_ptr<Run> out[2]) {
  const std::vector<Origin> origins = MergeOrigins(in);
  std::vector<std::vector<Dest>> dest;  // empty until a pair is cancelled: all to out[0]
  auto at = [&](size_t i) -> const Record& { return in[origins[i].run]->recs[origins[i].idx]; };
  auto route = [&](size_t i, Dest d) {
    if (dest.empty()) {
      dest.resize(in.size());
      for (size_t r = 0; r < in.size(); ++r) dest[r].assign(in[r]->recs.size(), kToFirst);
    }
    dest[origins[i].run][origins[i].idx] = d;
  };
  for (size_t i = 0; i < origins.size();) {
    size_t j = i + 1;
    while (j < origins.size() && SameEav(at(j), at(i))) ++j;
    // The group alternates assertion/retraction in tx order. A leading
    // retraction cancels an assertion in an older source: it stays current.
    size_t k = i;
    if (!at(k).added) ++k;
    for (; k + 1 < j; k += 2) {
      if (!at(k).added || at(k + 1).added) continue;  // not an (A R) pair: keep as is
      const Dest d = no_history(at(k).a) ? kDropped : kToSecond;
      route(k, d);
      route(k + 1, d);
    }
    i = j;
  }
  BuildMerged(in, origins, dest, out);
}

std::shared_ptr<const Run> MergeAll(const std::vector<const Run*>& in) {
  std::shared_ptr<Run> out[2];
  BuildMerged(in, MergeOrigins(in), {}, out);  // every datom to out[0]
  return out[0];
}

// How many of the newest runs to merge now (0: none). Tiered: the newest
// kFanIn runs merge once the oldest of them is at most twice the size of
// the newest, i.e. they are about one size; a merged run then waits for
// three more of its size. Reads merge at most ~3 runs per size tier.
size_t MergeWidth(const std::vector<std::shared_ptr<const Run>>& runs) {
  const size_t n = runs.size();
  if (n < kFanIn) return 0;
  return runs[n - kFanIn]->size() <= 2 * runs[n - 1]->size() ? kFanIn : 0;
}

// Takes the newest `width` runs off `runs`, oldest first.
std::vector<std::shared_ptr<const Run>> TakeNewest(std::vector<std::shared_ptr<const Run>>* runs, size_t width) {
  std::vector<std::shared_ptr<const Run>> out(std::make_move_iterator(runs->end() - static_cast<ptrdiff_t>(width)),
                                              std::make_move_iterator(runs->end()));
  runs->resize(runs->size() - width);
  return out;
}

std::vector<const Run*> Raw(const std::vector<std::shared_ptr<const Run>>& runs) {
  std::vector<const Run*> out;
  for (const auto& r : runs) out.push_back(r.get());
  return out;
}

}  // namespace

std::shared_ptr<const MemIndex> MemIndex::Add(const std::vector<Datom>& datoms, const std::function<bool(EntityId)>& is_ref,
                                              const std::function<bool(EntityId)>& no_history,
                                              const std::function<bool(EntityId)>& is_unique) const {
  auto next = std::make_shared<MemIndex>(*this);
  MemIndexStats& st = next->stats_;
  const size_t n = datoms.size();
  auto run = Run::Build(datoms, is_ref, is_unique);
  st.datoms += n;
  st.bytes += run->bytes;
  next->current_.push_back(std::move(run));
  for (size_t width; (width = MergeWidth(next->current_)) != 0;) {
    const auto in = TakeNewest(&next->current_, width);
    std::shared_ptr<Run> merged[2];
    MergeCurrent(Raw(in), no_history, merged);
    st.merges++;
    for (const auto& r : in) {
      st.datoms_merged += r->size();
      st.bytes -= r->bytes;
      st.datoms -= r->size();
    }
    merged[0]->BuildAvIndex(is_unique);
    std::shared_ptr<const Run> m = std::move(merged[0]);
    st.bytes += m->bytes;
    st.datoms += m->size();
    next->current_.push_back(std::move(m));
    if (!merged[1]->recs.empty()) {
      std::shared_ptr<const Run> h = std::move(merged[1]);
      st.bytes += h->bytes;
      st.datoms += h->size();
      next->history_.push_back(std::move(h));
      for (size_t hw; (hw = MergeWidth(next->history_)) != 0;) {
        const auto hin = TakeNewest(&next->history_, hw);
        st.merges++;
        for (const auto& r : hin) {
          st.datoms_merged += r->size();
          st.bytes -= r->bytes;
        }
        auto hm = MergeAll(Raw(hin));
        st.bytes += hm->bytes;
        next->history_.push_back(std::move(hm));
      }
    }
  }
  st.current_runs = next->current_.size();
  st.history_runs = next->history_.size();
  return next;
}

std::shared_ptr<const MemIndex> MemIndex::Without(const std::function<bool(const Datom&)>& drop,
                                                  const std::function<bool(EntityId)>& is_ref) const {
  auto next = std::make_shared<MemIndex>();
  next->stats_.merges = stats_.merges;
  next->stats_.datoms_merged = stats_.datoms_merged;
  auto filter = [&](const std::vector<std::shared_ptr<const Run>>& in, std::vector<std::shared_ptr<const Run>>* out) {
    for (const auto& r : in) {
      std::vector<Datom> keep;
      bool changed = false;
      Datom d;
      for (const Record& rec : r->recs) {
        Decode(rec, &d);
        if (drop(d)) changed = true;
        else keep.push_back(d);
      }
      auto nr = changed ? Run::Build(keep, is_ref) : r;
      if (nr->recs.empty()) continue;
      next->stats_.datoms += nr->size();
      next->stats_.bytes += nr->bytes;
      out->push_back(std::move(nr));
    }
  };
  filter(current_, &next->current_);
  filter(history_, &next->history_);
  next->stats_.current_runs = next->current_.size();
  next->stats_.history_runs = next->history_.size();
  return next;
}

void MemIndex::AppendCurrentWithAv(EntityId a, const Value& v, std::vector<Datom>* out) const {
  const size_t hash = AvHashable(v.type()) ? AvHash(a, v.Hash()) : 0;  // once, not per run
  for (const auto& r : current_) r->AppendWithAv(a, v, hash, out);
}

uint64_t MemIndex::Count(Index order, bool history) const {
  uint64_t n = 0;
  for (const auto& r : history ? history_ : current_) n += order == Index::kVaet ? r->Perm(order).size() : r->size();
  return n;
}

namespace {

// How far ahead Collect prefetches a run's records through its permutation.
constexpr size_t kCollectPrefetch = 8;

// One run's sequence in an order, for Collect.
struct CollectHead {
  const Record* recs;
  const uint32_t* perm;  // null: EAVT, the records' own order
  size_t pos, n;
  uint32_t run;  // ties (none in practice) to the older run
  const Record& at(size_t i) const { return perm ? recs[perm[i]] : recs[i]; }
};

// Appends head's records [from, to) to *out, prefetching ahead through the
// permutation (the records are scattered there). Out of line: one copy
// serves every order and call site (see CollectBefore).
[[gnu::noinline]] void AppendSpan(const CollectHead& h, size_t from, size_t to, std::vector<Datom>* out) {
  if (!h.perm) {
    for (size_t i = from; i < to; ++i) AppendDecoded(h.recs[i], out);
    return;
  }
  for (size_t i = from; i < to; ++i) {
    if (i + kCollectPrefetch < h.n) {
      const char* next = reinterpret_cast<const char*>(&h.recs[h.perm[i + kCollectPrefetch]]);
      __builtin_prefetch(next);
      __builtin_prefetch(next + sizeof(Record) - 1);
    }
    AppendDecoded(h.recs[h.perm[i]], out);
  }
}

// Does x's record i come before y's head (ties to the older run)? Out of
// line, one copy per order: inlined at Collect's three call sites it grew
// this file past gcc's inlining budget, and the transaction path's
// Run::Build lost its inlined comparisons (bench/transact-1000 +3.3%
// instructions).
template <Index O>
[[gnu::noinline]] bool CollectBefore(const CollectHead& x, size_t i, const CollectHead& y) {
  const int c = CompareRecs<O>(x.at(i), y.at(y.pos));
  return c < 0 || (c == 0 && x.run < y.run);
}

}  // namespace

std::vector<Datom> MemIndex::Collect(Index order, bool history, size_t spare) const {
  // A heap of the runs' heads, no virtual calls: an indexing job collects
  // all its novelty through here, and the tiered policy keeps ~3 runs per
  // size tier. The top run emits, in one batch, every datom before the
  // runner-up's head, found by galloping: where runs cover disjoint ranges
  // (new entities per transaction in EAVT and AEVT) a batch is long and
  // costs a few comparisons; interleaved (AVET) it costs about what one
  // sift of the heap did per datom.
  std::vector<Datom> out;
  const auto& runs = history ? history_ : current_;
  std::vector<CollectHead> heap;
  size_t total = 0;
  for (uint32_t i = 0; i < runs.size(); ++i) {
    const Run& r = *runs[i];
    const uint32_t* perm = order == Index::kEavt ? nullptr : r.Perm(order).data();
    const size_t n = order == Index::kEavt ? r.recs.size() : r.Perm(order).size();
    total += n;
    if (n > 0) heap.push_back(CollectHead{r.recs.data(), perm, 0, n, i});
  }
  out.reserve(total + spare);
  WithOrder(order, [&](auto ord) {
    constexpr Index O = decltype(ord)::value;
    // Does x's record i come before y's head?
    auto before = [](const CollectHead& x, size_t i, const CollectHead& y) { return CollectBefore<O>(x, i, y); };
    auto after = [&](const CollectHead& x, const CollectHead& y) { return before(y, y.pos, x); };  // x after y
    std::make_heap(heap.begin(), heap.end(), after);
    auto sift_down = [&](size_t i) {
      const size_t n = heap.size();
      for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && after(heap[c], heap[c + 1])) ++c;
        if (!after(heap[i], heap[c])) break;
        std::swap(heap[i], heap[c]);
        i = c;
      }
    };
    while (!heap.empty()) {
      CollectHead& top = heap.front();
      if (heap.size() == 1) {
        AppendSpan(top, top.pos, top.n, &out);
        break;
      }
      const CollectHead& second = heap.size() > 2 && after(heap[1], heap[2]) ? heap[2] : heap[1];
      // top.pos is before `second` (the heap's order). Gallop for the end of
      // the run's part before it: [ok, bad) brackets it.
      size_t ok = top.pos + 1, bad = top.n;
      for (size_t step = 1; ok < top.n; step *= 2) {
        const size_t probe = std::min(top.n - 1, ok + step - 1);
        if (!before(top, probe, second)) {
          bad = probe;
          break;
        }
        ok = probe + 1;
      }
      while (ok < bad) {  // the first of [ok, bad) not before `second`, if any
        const size_t mid = ok + (bad - ok) / 2;
        if (before(top, mid, second)) ok = mid + 1;
        else bad = mid;
      }
      AppendSpan(top, top.pos, ok, &out);
      top.pos = ok;
      if (top.pos == top.n) {
        std::pop_heap(heap.begin(), heap.end(), after);
        heap.pop_back();
        continue;
      }
      sift_down(0);
    }
  });
  return out;
}

void MemIndex::AddSources(Index order, bool with_history, std::vector<std::unique_ptr<DatomIterator>>* out,
                          const ValueFilter* filter) const {
  // Iterators borrow the runs: the caller keeps this MemIndex alive (a
  // Database value holds it) for as long as they exist.
  for (const auto& r : current_) out->push_back(r->NewIterator(order, filter));
  if (with_history)
    for (const auto& r : history_) out->push_back(r->NewIterator(order, filter));
}

}  // namespace strata
