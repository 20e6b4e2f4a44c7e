// segment.cc — encoding and decoding of leaf and directory segments.
//
// The byte layout is documented in segment.h (the format doc). This file
// keeps encoding and decoding next to each other so they cannot drift; the
// decoder treats its input as hostile: every length is checked before it
// is used, every count is bounded, and all allocation is bounded by the
// header's limits (kMaxSegmentDatoms, kMaxSegmentBodyBytes,
// kMaxSegmentDecodedBytes).

#include "format/segment.h"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "util/coding.h"

namespace strata {

namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'A', 'T', 'S', 'E', 'G'};
// 2: value tags 9-15 and keywords ordered by namespace, then name (1 ordered
// them as whole strings, so its sorted runs are not this version's).
constexpr uint8_t kFormatVersion = 2;
constexpr uint8_t kKindLeaf = 1;
constexpr uint8_t kKindDirectory = 2;
constexpr uint8_t kFlagZstd = 1;
constexpr size_t kHeaderSize = 20;  // magic 8, version, kind, order, flags, count 4, raw length 4
constexpr size_t kTrailerSize = 8;  // xxh3
// Level 3 (zstd's default) compresses leaves noticeably better than level 1.
// Its double-fast match finder with 5-byte matches was ~30% of an indexing
// job's CPU, though: the single-fast finder with 4-byte matches and a larger
// hash table (capped by zstd at the leaf's size) takes ~18% less CPU and
// writes ~1.3% fewer bytes on mbrainz leaves (format-neutral: any zstd
// decoder reads the frames; the parameters only choose which matches the
// encoder finds). kZstdLevel is what the fallback without a context uses.
constexpr int kZstdLevel = 3;
constexpr int kZstdMinMatch = 4;
constexpr int kZstdHashLog = 17;

// Leaf datom flag byte.
constexpr uint8_t kSharedMask = 0x03;  // leading components equal to the previous datom's
constexpr uint8_t kAdded = 0x04;
constexpr uint8_t kTxSame = 0x08;     // tx equals the previous datom's: nothing stored
constexpr uint8_t kValueDelta = 0x10;  // v: same numeric type as previous, zigzag delta of payload
constexpr uint8_t kValuePrefix = 0x20;  // v: same string type as previous, shared prefix + suffix
constexpr uint8_t kReservedBits = 0xc0;

enum Component : uint8_t { kE, kA, kV };
// Component sequence of each order (indexed by Index).
constexpr Component kComponents[kIndexCount][3] = {
    {kE, kA, kV},  // eavt
    {kA, kE, kV},  // aevt
    {kA, kV, kE},  // avet
    {kV, kA, kE},  // vaet
};

int VarintLength(uint64_t v) { return (std::bit_width(v | 1) + 6) / 7; }

// The length of the common prefix of a and b: eight bytes at a time where
// the machine is little-endian (the first differing byte is the lowest set
// byte of the words' difference), then byte by byte.
size_t CommonPrefix(std::string_view a, std::string_view b) {
  const size_t limit = std::min(a.size(), b.size());
  size_t n = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; n + 8 <= limit; n += 8) {
      uint64_t x, y;
      std::memcpy(&x, a.data() + n, 8);
      std::memcpy(&y, b.data() + n, 8);
      if (x != y) return n + static_cast<size_t>(std::countr_zero(x ^ y)) / 8;
    }
  }
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

// Wrapping difference, so any pair of ids round-trips (sorted input keeps
// it small; unsorted input costs bytes, not correctness).
int64_t Delta(uint64_t cur, uint64_t prev) { return static_cast<int64_t>(cur - prev); }

bool IsNumericDeltaType(ValueType t) {
  return t == ValueType::kRef || t == ValueType::kLong || t == ValueType::kInstant;
}

bool IsStringType(ValueType t) { return t == ValueType::kString || t == ValueType::kKeyword; }

uint64_t NumericPayload(const Value& v) {
  return v.type() == ValueType::kRef ? v.ref() : static_cast<uint64_t>(v.as_long());
}

// Bytes PutValue spends on a numeric value's payload (after its tag).
int RawNumericLength(const Value& v) {
  return v.type() == ValueType::kRef ? VarintLength(v.ref()) : VarintLength(coding::ZigzagEncode(v.as_long()));
}

bool SameComponent(Component c, const Datom& x, const Datom& y) {
  switch (c) {
    case kE: return x.e == y.e;
    case kA: return x.a == y.a;
    case kV: return x.v == y.v;
  }
  return false;
}

// ---- compression contexts --------------------------------------------------

// One context per thread: creating a zstd context allocates hundreds of KB,
// too much to repeat per segment, and a context must not be shared.
struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// A context with the segment parameters set (sticky across
// ZSTD_compress2 calls); null when zstd refuses one (then Seal falls back
// to a one-shot level-3 compression).
ZSTD_CCtx* NewSegmentCCtx() {
  std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  if (!ctx) return nullptr;
  const std::pair<ZSTD_cParameter, int> params[] = {{ZSTD_c_compressionLevel, kZstdLevel},
                                                    {ZSTD_c_strategy, ZSTD_fast},
                                                    {ZSTD_c_minMatch, kZstdMinMatch},
                                                    {ZSTD_c_hashLog, kZstdHashLog}};
  for (const auto& [param, value] : params)
    if (ZSTD_isError(ZSTD_CCtx_setParameter(ctx.get(), param, value))) return nullptr;
  return ctx.release();
}

ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(NewSegmentCCtx());
  return ctx.get();
}

ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

// ---- framing ---------------------------------------------------------------

// Larger segments would be written but never read back: refused here with
// the limit the reader checks (Open), so the two cannot disagree.
Status CheckLimits(const char* kind, size_t count, size_t raw_size) {
  if (count > kMaxSegmentDatoms) {
    return Status::InvalidArgument(std::string("a ") + kind + " of " + std::to_string(count) + " entries is over the " +
                                   std::to_string(kMaxSegmentDatoms) + "-entry segment limit");
  }
  if (raw_size > kMaxSegmentBodyBytes) {
    return Status::InvalidArgument(std::string("a ") + kind + " body of " + std::to_string(raw_size) +
                                   " bytes is over the " + std::to_string(kMaxSegmentBodyBytes) +
                                   "-byte segment limit");
  }
  return Status::OK();
}

// A thread's scratch buffer of at least n bytes, not initialized: the leaf
// body and the compressed body are built here and copied once into the
// segment, instead of into fresh zero-filled strings per segment. Only
// buffers up to kKeptScratchBytes stay with the thread (ordinary leaves);
// a larger one (a leaf of large values) goes to *once, which the caller
// frees, so one big leaf does not pin its size for the thread's life.
constexpr size_t kKeptScratchBytes = size_t{8} << 20;

char* Scratch(std::unique_ptr<char[]>* buf, size_t* cap, size_t n, std::unique_ptr<char[]>* once) {
  if (n > kKeptScratchBytes) {
    *once = std::make_unique_for_overwrite<char[]>(n);
    return once->get();
  }
  if (*cap < n) {
    *cap = std::min(kKeptScratchBytes, std::max(n, *cap * 2));
    *buf = std::make_unique_for_overwrite<char[]>(*cap);
  }
  return buf->get();
}

char* ZstdScratch(size_t n, std::unique_ptr<char[]>* once) {
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  return Scratch(&buf, &cap, n, once);
}

char* BodyScratch(size_t n, std::unique_ptr<char[]>* once) {
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  return Scratch(&buf, &cap, n, once);
}

std::string Seal(uint8_t kind, Index order, size_t count, std::string_view raw) {
  std::string_view body = raw;
  std::unique_ptr<char[]> z_once;  // holds a large compressed body until it is copied
  uint8_t flags = 0;
  if (!raw.empty()) {
    const size_t bound = ZSTD_compressBound(raw.size());
    char* z = ZstdScratch(bound, &z_once);
    ZSTD_CCtx* cctx = ThreadCCtx();
    size_t n = cctx ? ZSTD_compress2(cctx, z, bound, raw.data(), raw.size())
                    : ZSTD_compress(z, bound, raw.data(), raw.size(), kZstdLevel);
    // Compress only when it saves at least 1/8: below that, decompression
    // time on every cache miss costs more than the bytes saved.
    if (!ZSTD_isError(n) && n <= raw.size() - raw.size() / 8) {
      body = std::string_view(z, n);
      flags |= kFlagZstd;
    }
  }

  std::string out;
  out.reserve(kHeaderSize + body.size() + kTrailerSize);
  out.append(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(static_cast<char>(kind));
  out.push_back(static_cast<char>(order));
  out.push_back(static_cast<char>(flags));
  coding::PutFixed32(&out, static_cast<uint32_t>(count));
  coding::PutFixed32(&out, static_cast<uint32_t>(raw.size()));
  out.append(body);
  coding::PutFixed64(&out, coding::Checksum(out));
  return out;
}

Status Bad(const std::string& name, const std::string& what) {
  return Status::Corruption("segment " + name + ": " + what);
}

Status BadAt(const std::string& name, const std::string& what, size_t offset) {
  return Status::Corruption("segment " + name + ": " + what + " at body offset " + std::to_string(offset));
}

const char* KindName(uint8_t kind) { return kind == kKindLeaf ? "leaf" : "directory"; }

// The thread's buffer a compressed body is decompressed into (not zero
// filled first, nor allocated per segment): valid until the thread's next
// Open, and each caller decodes the body before it opens another segment.
char* DecompressScratch(size_t n, std::unique_ptr<char[]>* once) {
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  return Scratch(&buf, &cap, n, once);
}

struct Opened {
  Index order = Index::kEavt;
  uint32_t count = 0;
  std::unique_ptr<char[]> once;  // a large decompressed body (else the thread's scratch)
  std::string_view body;         // the raw body
};

// Checks the frame (header, checksum, compression) and yields the raw body.
Status Open(std::string_view bytes, const std::string& name, uint8_t want_kind, Opened* out) {
  if (bytes.size() < kHeaderSize + kTrailerSize) {
    return Bad(name, "truncated: " + std::to_string(bytes.size()) + " bytes, header and trailer need " +
                         std::to_string(kHeaderSize + kTrailerSize));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return Bad(name, "bad magic");
  const auto version = static_cast<uint8_t>(bytes[8]);
  // Version before checksum: another version might checksum differently.
  if (version != kFormatVersion) {
    return Bad(name, "unsupported format version " + std::to_string(version) + " (this strata reads version " +
                         std::to_string(kFormatVersion) + ")");
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kTrailerSize);
  const uint64_t want = coding::DecodeFixed64(bytes.data() + covered.size());
  const uint64_t got = coding::Checksum(covered);
  if (want != got) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "checksum mismatch (stored %016llx, computed %016llx)",
                  static_cast<unsigned long long>(want), static_cast<unsigned long long>(got));
    return Bad(name, buf);
  }
  const auto kind = static_cast<uint8_t>(bytes[9]);
  const auto order = static_cast<uint8_t>(bytes[10]);
  const auto flags = static_cast<uint8_t>(bytes[11]);
  const uint32_t count = coding::DecodeFixed32(bytes.data() + 12);
  const uint32_t raw_length = coding::DecodeFixed32(bytes.data() + 16);
  if (kind != kKindLeaf && kind != kKindDirectory) return Bad(name, "unknown kind " + std::to_string(kind));
  if (kind != want_kind) {
    return Bad(name, std::string("is a ") + KindName(kind) + ", expected a " + KindName(want_kind));
  }
  if (order >= kIndexCount) return Bad(name, "unknown order " + std::to_string(order));
  if (flags & ~kFlagZstd) return Bad(name, "unknown flags " + std::to_string(flags));
  if (count > kMaxSegmentDatoms) return Bad(name, "count " + std::to_string(count) + " over the limit");
  if (raw_length > kMaxSegmentBodyBytes) {
    return Bad(name, "body length " + std::to_string(raw_length) + " over the limit");
  }
  const std::string_view stored = covered.substr(kHeaderSize);
  if (flags & kFlagZstd) {
    // The encoder never compresses an empty body; a zstd skippable frame
    // would otherwise pass as one.
    if (raw_length == 0) return Bad(name, "compressed empty body");
    const unsigned long long content = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN) {
      return Bad(name, "malformed zstd frame header");
    }
    if (content != raw_length) {
      return Bad(name, "zstd content size " + std::to_string(content) + " does not match body length " +
                           std::to_string(raw_length));
    }
    // Exactly one frame, nothing after it.
    const size_t frame = ZSTD_findFrameCompressedSize(stored.data(), stored.size());
    if (ZSTD_isError(frame) || frame != stored.size()) return Bad(name, "malformed zstd frame");
    char* const raw = DecompressScratch(raw_length, &out->once);
    ZSTD_DCtx* dctx = ThreadDCtx();
    const size_t n = dctx ? ZSTD_decompressDCtx(dctx, raw, raw_length, stored.data(), stored.size())
                          : ZSTD_decompress(raw, raw_length, stored.data(), stored.size());
    if (ZSTD_isError(n)) return Bad(name, std::string("zstd: ") + ZSTD_getErrorName(n));
    if (n != raw_length) return Bad(name, "zstd body decompressed to " + std::to_string(n) + " bytes");
    out->body = std::string_view(raw, raw_length);
  } else {
    if (stored.size() != raw_length) {
      return Bad(name, "body is " + std::to_string(stored.size()) + " bytes, header says " +
                           std::to_string(raw_length));
    }
    out->body = stored;
  }
  out->order = static_cast<Index>(order);
  out->count = count;
  return Status::OK();
}

// Consumes a body; knows its offset for error messages.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : body_(body), in_(body) {}
  size_t offset() const { return body_.size() - in_.size(); }
  size_t remaining() const { return in_.size(); }
  std::string_view* in() { return &in_; }
  bool GetByte(uint8_t* b) {
    if (in_.empty()) return false;
    *b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }

 private:
  std::string_view body_;
  std::string_view in_;
};

// ---- directories: full datom encoding ---------------------------------------

void PutFullDatom(std::string* dst, const Datom& d) {
  coding::PutVarint64(dst, d.e);
  coding::PutVarint64(dst, d.a);
  coding::PutValue(dst, d.v);
  coding::PutVarint64(dst, d.tx);
  dst->push_back(d.added ? 1 : 0);
}

bool GetFullDatom(BodyReader* r, Datom* d) {
  uint8_t added;
  if (!coding::GetVarint64(r->in(), &d->e) || !coding::GetVarint64(r->in(), &d->a) ||
      !coding::GetValue(r->in(), &d->v) || !coding::GetVarint64(r->in(), &d->tx) || !r->GetByte(&added) ||
      added > 1) {
    return false;
  }
  d->added = added != 0;
  return true;
}

}  // namespace

// ---- leaves ------------------------------------------------------------------

namespace {

// Raw writers for the leaf body: the caller has room (a datom's
// LeafDatomCost bounds the bytes it adds), so no per-byte size checks.
inline char* RawZigzag(char* p, int64_t v) { return coding::EncodeVarint64(p, coding::ZigzagEncode(v)); }

// The leaf body of `datoms` in order O, written from p on; returns the end.
// Per order, so the component sequence and the value's position are
// constants: the per-component switch was the encoder's costliest branch.
template <Index O>
char* EncodeLeafBody(std::span<const Datom> datoms, char* p) {
  constexpr const Component* comps = kComponents[static_cast<int>(O)];
  constexpr int vpos = [] {
    for (int k = 0; k < 3; ++k)
      if (kComponents[static_cast<int>(O)][k] == kV) return k;
    return 2;
  }();
  const Datom empty;
  for (size_t i = 0; i < datoms.size(); ++i) {
    const Datom& d = datoms[i];
    const bool has_prev = i > 0;
    const Datom& prev = has_prev ? datoms[i - 1] : empty;
    int shared = 0;
    if (has_prev && SameComponent(comps[0], d, prev)) {
      shared = 1;
      if (SameComponent(comps[1], d, prev)) {
        shared = 2;
        if (SameComponent(comps[2], d, prev)) shared = 3;
      }
    }
    uint8_t flag = static_cast<uint8_t>(shared) | (d.added ? kAdded : 0);
    if (has_prev && d.tx == prev.tx) flag |= kTxSame;

    // How v is written, when it is written at all.
    size_t prefix = 0;
    if (has_prev && vpos >= shared && d.v.type() == prev.v.type()) {
      if (IsNumericDeltaType(d.v.type())) {
        const int delta_len = VarintLength(coding::ZigzagEncode(Delta(NumericPayload(d.v), NumericPayload(prev.v))));
        // The delta form drops the tag byte, so it wins unless much longer.
        if (delta_len <= 1 + RawNumericLength(d.v)) flag |= kValueDelta;
      } else if (IsStringType(d.v.type())) {
        prefix = CommonPrefix(d.v.str(), prev.v.str());
        if (prefix > 0) flag |= kValuePrefix;
      }
    }
    *p++ = static_cast<char>(flag);
    auto put = [&](Component c) {
      switch (c) {
        case kE: p = RawZigzag(p, Delta(d.e, prev.e)); break;
        case kA: p = RawZigzag(p, Delta(d.a, prev.a)); break;
        case kV:
          if (flag & kValueDelta) {
            p = RawZigzag(p, Delta(NumericPayload(d.v), NumericPayload(prev.v)));
          } else if (flag & kValuePrefix) {
            p = coding::EncodeVarint64(p, prefix);
            p = coding::EncodeLengthPrefixed(p, std::string_view(d.v.str()).substr(prefix));
          } else {
            p = coding::EncodeValue(p, d.v);
          }
          break;
      }
    };
    if (shared < 1) put(comps[0]);
    if (shared < 2) put(comps[1]);
    if (shared < 3) put(comps[2]);
    if (!(flag & kTxSame)) p = RawZigzag(p, Delta(d.tx, prev.tx));
  }
  return p;
}

}  // namespace

Result<std::string> EncodeLeaf(Index order, std::span<const Datom> datoms) {
  STRATA_RETURN_IF_ERROR(CheckLimits("leaf", datoms.size(), 0));
  // The decoder's cap on decoded string bytes, checked before any work.
  uint64_t cost = 0;
  for (const Datom& d : datoms) cost += LeafDatomCost(d);
  if (cost > kMaxLeafCost) {
    return Status::InvalidArgument("a leaf of " + std::to_string(datoms.size()) + " datoms costing " +
                                   std::to_string(cost) + " bytes is over the " + std::to_string(kMaxLeafCost) +
                                   "-byte leaf limit");
  }
  // Each datom adds at most its LeafDatomCost to the body (segment.h).
  std::unique_ptr<char[]> body_once;  // a large body, freed on return
  char* const body = BodyScratch(cost + kDatomOverheadBytes, &body_once);
  char* const p = WithOrder(order, [&](auto o) { return EncodeLeafBody<decltype(o)::value>(datoms, body); });
  const std::string_view raw(body, static_cast<size_t>(p - body));
  STRATA_RETURN_IF_ERROR(CheckLimits("leaf", datoms.size(), raw.size()));
  return Seal(kKindLeaf, order, datoms.size(), raw);
}

namespace {

// A zigzag varint of one or two bytes (most deltas in a sorted leaf) read
// inline, as coding::GetZigzag64 reads it; longer ones by that function.
[[gnu::always_inline]] inline bool GetZigzag(std::string_view* in, int64_t* v) {
  const size_t n = in->size();
  uint64_t u;
  if (n > 0 && static_cast<uint8_t>((*in)[0]) < 0x80) {
    u = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
  } else if (n > 1 && static_cast<uint8_t>((*in)[1]) < 0x80) {
    u = (static_cast<uint64_t>(static_cast<uint8_t>((*in)[0])) & 0x7f) |
        (static_cast<uint64_t>(static_cast<uint8_t>((*in)[1])) << 7);
    in->remove_prefix(2);
  } else {
    return coding::GetZigzag64(in, v);
  }
  *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}

// coding::GetValue into a leaf's new datom: refs, longs, instants, strings
// and keywords (most values) are read into *v in place (AssignFields: no
// temporary Value built, moved in and destroyed); the other types, and
// anything malformed, by coding::GetValue. The same values either way.
[[gnu::always_inline]] inline bool GetLeafValue(std::string_view* in, Value* v) {
  std::string_view p = *in;
  if (p.size() < 2) return coding::GetValue(in, v);
  const auto t = static_cast<ValueType>(p[0]);
  p.remove_prefix(1);
  switch (t) {
    case ValueType::kRef: {
      uint64_t e;
      if (!coding::GetVarint64(&p, &e)) return coding::GetValue(in, v);
      v->AssignFields(t, static_cast<int64_t>(e), 0, {});  // Value::Ref(e)
      break;
    }
    case ValueType::kLong:
    case ValueType::kInstant: {
      int64_t n;
      if (!GetZigzag(&p, &n)) return coding::GetValue(in, v);
      v->AssignFields(t, n, 0, {});
      break;
    }
    case ValueType::kString:
    case ValueType::kKeyword: {
      std::string_view text;
      if (!coding::GetLengthPrefixed(&p, &text)) return coding::GetValue(in, v);
      v->AssignFields(t, 0, 0, text);
      break;
    }
    default:
      return coding::GetValue(in, v);
  }
  *in = p;
  return true;
}

// CompareDatomsIn<O>(d, prev) when the first `shared` components of the
// order's sequence are equal by construction (copied from prev): only the
// components from there on, then tx and added, are compared (a shared value
// is not compared again).
template <Index O>
inline int CompareFrom(const Datom& d, const Datom& prev, int shared) {
  constexpr const Component* comps = kComponents[static_cast<int>(O)];
  auto cmp = [](uint64_t a, uint64_t b) { return (a > b) - (a < b); };
  for (int k = shared; k < 3; ++k) {
    int c = 0;
    switch (comps[k]) {
      case kE: c = cmp(d.e, prev.e); break;
      case kA: c = cmp(d.a, prev.a); break;
      case kV: c = d.v.Compare(prev.v); break;
    }
    if (c != 0) return c;
  }
  if (const int c = cmp(d.tx, prev.tx)) return c;
  return static_cast<int>(d.added) - static_cast<int>(prev.added);
}

// DecodeLeaf's datoms, per order: the component sequence and the value's
// position are constants, the order check an inline comparison. Each datom
// is decoded in place, in the vector's next slot (no temporary moved in and
// destroyed); on error the caller drops what was appended.
template <Index O>
Status DecodeLeafDatoms(BodyReader& r, uint32_t count, const std::string& name, std::vector<Datom>& datoms) {
  constexpr const Component* comps = kComponents[static_cast<int>(O)];
  constexpr int vpos = [] {
    for (int k = 0; k < 3; ++k)
      if (kComponents[static_cast<int>(O)][k] == kV) return k;
    return 2;
  }();
  uint64_t decoded_bytes = 0;
  const Datom empty;
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = r.offset();
    // Named only on the error paths: building it per datom cost more
    // than decoding the datom.
    auto where = [i] { return "datom " + std::to_string(i); };
    const bool has_prev = i > 0;
    Datom& d = datoms.emplace_back();
    const Datom& prev = has_prev ? datoms[datoms.size() - 2] : empty;
    uint8_t flag;
    if (!r.GetByte(&flag)) return BadAt(name, "truncated " + where(), at);
    const int shared = flag & kSharedMask;
    if (flag & kReservedBits) return BadAt(name, where() + ": reserved flag bits set", at);
    if (!has_prev && (shared != 0 || (flag & (kTxSame | kValueDelta | kValuePrefix)))) {
      return BadAt(name, where() + ": first datom refers to a previous one", at);
    }
    if ((flag & kValueDelta) && (flag & kValuePrefix)) return BadAt(name, where() + ": bad value flags", at);
    if ((flag & (kValueDelta | kValuePrefix)) && vpos < shared) {
      return BadAt(name, where() + ": value flags on a shared value", at);
    }
    d.added = (flag & kAdded) != 0;
#pragma GCC unroll 3
    for (int k = 0; k < 3; ++k) {
      const Component c = comps[k];
      if (k < shared) {
        switch (c) {
          case kE: d.e = prev.e; break;
          case kA: d.a = prev.a; break;
          case kV: d.v = prev.v; break;
        }
        continue;
      }
      const size_t cat = r.offset();
      int64_t delta;
      switch (c) {
        case kE:
          if (!GetZigzag(r.in(), &delta)) return BadAt(name, where() + ": malformed e", cat);
          d.e = prev.e + static_cast<uint64_t>(delta);
          break;
        case kA:
          if (!GetZigzag(r.in(), &delta)) return BadAt(name, where() + ": malformed a", cat);
          d.a = prev.a + static_cast<uint64_t>(delta);
          break;
        case kV:
          if (flag & kValueDelta) {
            if (!IsNumericDeltaType(prev.v.type())) {
              return BadAt(name, where() + ": value delta on a non-numeric previous value", cat);
            }
            if (!GetZigzag(r.in(), &delta)) return BadAt(name, where() + ": malformed v delta", cat);
            // Value::Ref, Long or Instant of the payload, in place.
            d.v.AssignFields(prev.v.type(), static_cast<int64_t>(NumericPayload(prev.v) + static_cast<uint64_t>(delta)),
                             0, {});
          } else if (flag & kValuePrefix) {
            uint64_t prefix;
            std::string_view suffix;
            if (!IsStringType(prev.v.type())) {
              return BadAt(name, where() + ": value prefix on a non-string previous value", cat);
            }
            if (!coding::GetVarint64(r.in(), &prefix) || prefix == 0 || prefix > prev.v.str().size() ||
                !coding::GetLengthPrefixed(r.in(), &suffix)) {
              return BadAt(name, where() + ": malformed v prefix", cat);
            }
            std::string s;
            s.reserve(prefix + suffix.size());
            s.append(prev.v.str(), 0, prefix);
            s.append(suffix);
            d.v = prev.v.type() == ValueType::kString ? Value::String(std::move(s))
                                                      : Value::Keyword(std::move(s));
          } else {
            if (!GetLeafValue(r.in(), &d.v)) return BadAt(name, where() + ": malformed v", cat);
            if (d.v.is_nil()) return BadAt(name, where() + ": nil value", cat);
          }
          break;
      }
    }
    if (flag & kTxSame) {
      d.tx = prev.tx;
    } else {
      const size_t tat = r.offset();
      int64_t delta;
      if (!GetZigzag(r.in(), &delta)) return BadAt(name, where() + ": malformed tx", tat);
      d.tx = prev.tx + static_cast<uint64_t>(delta);
    }
    // Shared and prefixed strings are copies, so a few body bytes can stand
    // for a long string: cap what hostile input can make us allocate.
    decoded_bytes += d.v.str().size();
    if (decoded_bytes > kMaxSegmentDecodedBytes) {
      return BadAt(name, where() + ": decoded size over the limit", at);
    }
    if (has_prev && CompareFrom<O>(d, prev, shared) < 0) return BadAt(name, where() + " out of order", at);
  }
  return Status::OK();
}

}  // namespace

Status DecodeLeaf(std::string_view bytes, const std::string& name, Index* order, std::vector<Datom>* out) {
  // Decoded into *out's own buffer (its capacity is reused by callers that
  // decode leaf after leaf); *out is empty until it succeeds.
  std::vector<Datom> datoms = std::move(*out);
  datoms.clear();
  out->clear();
  Opened seg;
  STRATA_RETURN_IF_ERROR(Open(bytes, name, kKindLeaf, &seg));
  BodyReader r(seg.body);
  // Every datom takes at least its flag byte, so the body bounds the count
  // actually worth reserving for.
  datoms.reserve(std::min<size_t>(seg.count, seg.body.size()));
  STRATA_RETURN_IF_ERROR(WithOrder(seg.order, [&](auto o) {
    return DecodeLeafDatoms<decltype(o)::value>(r, seg.count, name, datoms);
  }));
  if (r.remaining() != 0) {
    return BadAt(name, std::to_string(r.remaining()) + " trailing bytes after " + std::to_string(seg.count) +
                           " datoms", r.offset());
  }
  *order = seg.order;
  *out = std::move(datoms);
  return Status::OK();
}

Status DecodeLeafAppend(std::string_view bytes, const std::string& name, Index* order, std::vector<Datom>* out) {
  const size_t base = out->size();
  Opened seg;
  STRATA_RETURN_IF_ERROR(Open(bytes, name, kKindLeaf, &seg));
  BodyReader r(seg.body);
  // As DecodeLeaf reserves, growing geometrically: callers append leaf
  // after leaf.
  const size_t want = base + std::min<size_t>(seg.count, seg.body.size());
  if (out->capacity() < want) out->reserve(std::max(want, 2 * out->capacity()));
  Status st = WithOrder(seg.order, [&](auto o) {
    return DecodeLeafDatoms<decltype(o)::value>(r, seg.count, name, *out);
  });
  if (st.ok() && r.remaining() != 0) {
    st = BadAt(name, std::to_string(r.remaining()) + " trailing bytes after " + std::to_string(seg.count) + " datoms",
               r.offset());
  }
  if (!st.ok()) {
    out->erase(out->begin() + static_cast<ptrdiff_t>(base), out->end());
    return st;
  }
  *order = seg.order;
  return Status::OK();
}

// ---- directories -------------------------------------------------------------

Result<std::string> EncodeDirectory(Index order, const std::vector<SegmentRef>& refs) {
  STRATA_RETURN_IF_ERROR(CheckLimits("directory", refs.size(), 0));
  uint64_t cost = 0;
  for (const SegmentRef& ref : refs) cost += DirectoryRefCost(ref);
  if (cost > kMaxSegmentBodyBytes) {  // bounds the body: refused before it is built
    return Status::InvalidArgument("a directory of " + std::to_string(refs.size()) + " refs costing " +
                                   std::to_string(cost) + " bytes is over the " +
                                   std::to_string(kMaxSegmentBodyBytes) + "-byte segment limit");
  }
  std::string body;
  for (const SegmentRef& ref : refs) {
    coding::PutVarint64(&body, ref.id);
    coding::PutVarint64(&body, ref.count);
    coding::PutVarint64(&body, ref.bytes);
    PutFullDatom(&body, ref.first);
    PutFullDatom(&body, ref.last);
  }
  STRATA_RETURN_IF_ERROR(CheckLimits("directory", refs.size(), body.size()));
  return Seal(kKindDirectory, order, refs.size(), body);
}

Status DecodeDirectory(std::string_view bytes, const std::string& name, Index* order,
                       std::vector<SegmentRef>* out) {
  Opened seg;
  STRATA_RETURN_IF_ERROR(Open(bytes, name, kKindDirectory, &seg));
  // Smallest ref: three 1-byte varints and two 5-byte datoms.
  constexpr size_t kMinRefBytes = 3 + 2 * 5;
  const DatomLess less{seg.order};
  BodyReader r(seg.body);
  std::vector<SegmentRef> refs;
  refs.reserve(std::min<size_t>(seg.count, seg.body.size() / kMinRefBytes));
  size_t last_nonempty = SIZE_MAX;  // index of the previous ref with datoms
  for (uint32_t i = 0; i < seg.count; ++i) {
    const size_t at = r.offset();
    const std::string where = "ref " + std::to_string(i);
    SegmentRef ref;
    if (!coding::GetVarint64(r.in(), &ref.id) || !coding::GetVarint64(r.in(), &ref.count) ||
        !coding::GetVarint64(r.in(), &ref.bytes)) {
      return BadAt(name, "malformed " + where, at);
    }
    const size_t fat = r.offset();
    if (!GetFullDatom(&r, &ref.first)) return BadAt(name, where + ": malformed first datom", fat);
    const size_t lat = r.offset();
    if (!GetFullDatom(&r, &ref.last)) return BadAt(name, where + ": malformed last datom", lat);
    // Refs with datoms must be in key order; empty ones carry no key range.
    if (ref.count > 0) {
      if (less(ref.last, ref.first)) return BadAt(name, where + ": last datom before first", at);
      if (last_nonempty != SIZE_MAX && less(ref.first, refs[last_nonempty].last)) {
        return BadAt(name, where + " out of order", at);
      }
    }
    if (ref.count > 0) last_nonempty = refs.size();
    refs.push_back(std::move(ref));
  }
  if (r.remaining() != 0) {
    return BadAt(name, std::to_string(r.remaining()) + " trailing bytes after " + std::to_string(seg.count) +
                           " refs", r.offset());
  }
  *order = seg.order;
  *out = std::move(refs);
  return Status::OK();
}

// ---- where writers cut leaves -------------------------------------------------

namespace {
bool SameEavAt(std::span<const Datom> datoms, size_t i) {
  return datoms[i - 1].e == datoms[i].e && datoms[i - 1].a == datoms[i].a && datoms[i - 1].v == datoms[i].v;
}
}  // namespace

std::vector<size_t> LeafCountCuts(std::span<const Datom> datoms, uint64_t target_datoms) {
  const uint64_t n = datoms.size();
  const uint64_t target = std::clamp<uint64_t>(target_datoms, 16, kMaxSegmentDatoms);
  // About n / target even pieces (one up to 1.5 targets).
  const uint64_t pieces = n <= target + target / 2 ? 1 : (n + target - 1) / target;
  std::vector<size_t> by_count{0};
  for (uint64_t p = 1; p < pieces; ++p) {
    size_t c = std::max(by_count.back() + 1, static_cast<size_t>(n * p / pieces));
    while (c < n && c > 0 && SameEavAt(datoms, c)) ++c;
    if (c < n) by_count.push_back(c);
  }
  by_count.push_back(n);
  return by_count;
}

void LeafByteCuts(std::span<const Datom> datoms, size_t begin, size_t end, std::vector<size_t>* cuts) {
  // By bytes, and by the hard limits inside a piece a long group made.
  uint64_t cost = 0, count = 0;
  for (size_t i = begin; i < end; ++i) {
    const uint64_t c = LeafDatomCost(datoms[i]);
    if (count > 0) {
      const bool hard = cost + c > kMaxLeafCost || count + 1 > kMaxSegmentDatoms;
      const bool soft = cost + c > kLeafTargetBytes && !SameEavAt(datoms, i);
      if (hard || soft) {
        cuts->push_back(i);
        cost = count = 0;
      }
    }
    cost += c;
    ++count;
  }
  if (cuts->empty() || end != cuts->back()) cuts->push_back(end);
}

std::vector<size_t> LeafCuts(std::span<const Datom> datoms, uint64_t target_datoms) {
  const std::vector<size_t> by_count = LeafCountCuts(datoms, target_datoms);
  std::vector<size_t> cuts{0};
  for (size_t p = 0; p + 1 < by_count.size(); ++p) LeafByteCuts(datoms, by_count[p], by_count[p + 1], &cuts);
  return cuts;
}

std::string SegmentName(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace strata
