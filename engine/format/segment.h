// segment.h — the on-disk encoding of index segments (internal).
//
// A leaf segment holds a few thousand datoms of one sort order, sorted. A
// directory segment lists leaf segments (SegmentRef) in key order; a level
// of the durable index is a list of directories (fan-out up to ~1000).
// Both are immutable once written and named by a 64-bit id.
//
// Format (docs/formats.md), little-endian:
//   header  "STRATSEG" | u8 format version (2) | u8 kind (1 leaf, 2 directory)
//           | u8 order (Index) | u8 flags (bit0: body is zstd-compressed)
//           | u32 count (datoms or refs) | u32 raw_body_length (before
//           compression; <= kMaxSegmentBodyBytes)
//   body    leaf: per datom, in the segment's order, a flag byte
//             bits 0-1  how many leading components of the order (EAVT: e,
//                       a, v; AEVT: a, e, v; AVET: a, v, e; VAET: v, a, e)
//                       equal the previous datom's (0 for the first datom)
//             bit 2     added
//             bit 3     tx equals the previous datom's (nothing stored)
//             bit 4     v has the previous v's type (ref/long/instant) and is
//                       stored as the zigzag varint delta of the payload
//             bit 5     v has the previous v's type (string/keyword) and is
//                       stored as varint shared-prefix length (>= 1) plus
//                       the length-prefixed suffix
//             bits 6-7  zero
//           then the components not shared, in order: e and a as zigzag
//           varint deltas from the previous datom's (from 0 for the first),
//           v by the value codec (coding.h) unless bit 4 or 5; then, unless
//           bit 3, tx as a zigzag varint delta from the previous tx.
//           Datoms must be sorted (DatomLess{order}); nil values are invalid.
//           directory: per ref varint id, count, bytes, then first and last
//           datom (full encoding: varint e, varint a, value codec, varint
//           tx, u8 added 0/1). Refs with count > 0 are in key order.
//           The stored body is a single zstd frame (with its content size)
//           when that saves at least 1/8 of raw_body_length, else raw.
//   trailer u64 xxh3 checksum of header + stored body.
// Decoding checks magic, version, kind, order, flags, lengths, the checksum
// and every byte of the body; any mismatch is Corruption naming the segment
// and, within the body, the byte offset (of the decompressed body).
// Decoders never read out of bounds and never allocate more than the
// header's bounded counts allow (count <= kMaxSegmentDatoms, body <=
// kMaxSegmentBodyBytes, decoded string bytes <= kMaxSegmentDecodedBytes).
// Encoders refuse (an error) what decoders would refuse.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/indexing.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

constexpr uint32_t kMaxSegmentDatoms = 1u << 20;
// Limits of the (uncompressed) body and of the string bytes a leaf decodes
// to (shared values are copies). Readers refuse segments over them; writers
// cannot produce one: they cut leaves and directories by the costs below,
// whose bounds are checked against these same constants at compile time,
// and EncodeLeaf/EncodeDirectory refuse (an error, never an assert) input
// that would exceed them.
constexpr uint32_t kMaxSegmentBodyBytes = 256u << 20;
constexpr uint64_t kMaxSegmentDecodedBytes = uint64_t{256} << 20;

// ---- what writers cut by ----------------------------------------------------
//
// A datom's cost is its string bytes (string or keyword, else 0) plus
// kDatomOverheadBytes. It bounds both the bytes the datom adds to a leaf
// body (flag, e, a, tx varints of at most 10 bytes each, the value's tag,
// length or prefix varints, or a 16-byte uuid) and the string bytes it
// decodes to, so a leaf whose datoms cost at most kMaxLeafCost always
// decodes. Large values are stored in the leaf (docs/formats.md, "Large
// values"): a value of up to kMaxValueBytes makes a leaf of its own.
constexpr uint64_t kDatomOverheadBytes = 64;
constexpr uint64_t kMaxDatomCost = kMaxValueBytes + kDatomOverheadBytes;
inline uint64_t LeafDatomCost(const Datom& d) { return d.v.str().size() + kDatomOverheadBytes; }
// Leaves end past kLeafTargetBytes of cost (at an (e a v) group boundary)
// or at the datom target; never past kMaxLeafCost (then even inside a group).
constexpr uint64_t kLeafTargetBytes = 1u << 20;
constexpr uint64_t kMaxLeafCost = kMaxSegmentDecodedBytes < kMaxSegmentBodyBytes ? kMaxSegmentDecodedBytes
                                                                                  : kMaxSegmentBodyBytes;
// A directory ref: three varints and two full datoms.
constexpr uint64_t kRefOverheadBytes = 32;
inline uint64_t DirectoryRefCost(const SegmentRef& r) {
  return kRefOverheadBytes + LeafDatomCost(r.first) + LeafDatomCost(r.last);
}
constexpr uint64_t kMaxRefCost = kRefOverheadBytes + 2 * kMaxDatomCost;
// Directories end before a ref that would take them past this cost.
constexpr uint64_t kDirectoryTargetBytes = 1u << 20;

// Every datom a transaction may hold fits a leaf; every ref fits a
// directory; a leaf or directory filled to its target plus one more datom
// (ref) still fits.
static_assert(kMaxDatomCost <= kMaxLeafCost);
static_assert(kLeafTargetBytes + kMaxDatomCost <= kMaxLeafCost);
static_assert(kDirectoryTargetBytes + kMaxRefCost <= kMaxSegmentBodyBytes);

// SegmentRef (where a leaf lives and what it covers) is in strata/indexing.h.

// `datoms` must be sorted by DatomLess{order}, without nil values (the
// decoder catches both). InvalidArgument, naming the limit, when there are
// more than kMaxSegmentDatoms of them, or their cost is over kMaxLeafCost,
// or the body would be over kMaxSegmentBodyBytes: such a leaf could not be
// read back.
Result<std::string> EncodeLeaf(Index order, std::span<const Datom> datoms);
// `name` appears in error messages ("segment 00000a0000000003"). Replaces
// *out (reusing its capacity); on error *out is left empty.
Status DecodeLeaf(std::string_view bytes, const std::string& name, Index* order, std::vector<Datom>* out);
// DecodeLeaf appending to *out instead (an indexing job gathering several
// leaves moves no datom twice); on error *out is as it was.
Status DecodeLeafAppend(std::string_view bytes, const std::string& name, Index* order, std::vector<Datom>* out);

// InvalidArgument when the refs are more than kMaxSegmentDatoms or encode
// to more than kMaxSegmentBodyBytes.
Result<std::string> EncodeDirectory(Index order, const std::vector<SegmentRef>& refs);
Status DecodeDirectory(std::string_view bytes, const std::string& name, Index* order, std::vector<SegmentRef>* out);

// Where to cut `datoms` (sorted, of one tree) into leaves: the returned
// offsets start with 0 and end with datoms.size(). Pieces hold about
// `target_datoms` datoms each (split evenly), and are cut again past
// kLeafTargetBytes of cost; cuts move to the end of an (e a v) group, so an
// assertion and its later retraction stay in one leaf and can meet in a
// later merge, unless the group alone would pass kMaxSegmentDatoms or
// kMaxLeafCost. Every piece then encodes (EncodeLeaf cannot refuse it).
std::vector<size_t> LeafCuts(std::span<const Datom> datoms, uint64_t target_datoms);
// LeafCuts in its two steps, so a writer can cut and encode each piece while
// its datoms are in cache instead of reading a long run twice: the cuts by
// count (they look at the datoms only where they fall, to move past an
// (e a v) group), and the cuts by bytes inside one of those pieces [begin,
// end), appended to *cuts, which then ends with `end`. LeafCuts is
// LeafCountCuts, then LeafByteCuts on each of its pieces after {0}.
std::vector<size_t> LeafCountCuts(std::span<const Datom> datoms, uint64_t target_datoms);
void LeafByteCuts(std::span<const Datom> datoms, size_t begin, size_t end, std::vector<size_t>* cuts);

// "0000000100000002": the storage name of a segment id.
std::string SegmentName(uint64_t id);

}  // namespace strata
