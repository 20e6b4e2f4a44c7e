// segment.h — the on-disk encoding of index segments (internal).
//
// A leaf segment holds a few thousand datoms of one sort order, sorted. A
// directory segment lists leaf segments (SegmentRef) in key order; a level
// of the durable index is a list of directories (fan-out up to ~1000).
// Both are immutable once written and named by a 64-bit id.
//
// Format (docs/formats.md), little-endian:
//   header  "STRATSEG" | u8 format version (1) | u8 kind (1 leaf, 2 directory)
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
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/indexing.h"
#include "strata/status.h"
#include "strata/value.h"

namespace strata {

constexpr uint32_t kMaxSegmentDatoms = 1u << 20;
// Limits of the (uncompressed) body and of the string bytes a leaf decodes
// to (shared values are copies); writers keep segments far below both.
constexpr uint32_t kMaxSegmentBodyBytes = 256u << 20;
constexpr uint64_t kMaxSegmentDecodedBytes = uint64_t{256} << 20;

// SegmentRef (where a leaf lives and what it covers) is in strata/indexing.h.

// `datoms` must be sorted by DatomLess{order}, without nil values, at most
// kMaxSegmentDatoms of them encoding to at most kMaxSegmentBodyBytes (the
// limits are asserted; order and nils are caught by the decoder).
std::string EncodeLeaf(Index order, const std::vector<Datom>& datoms);
// `name` appears in error messages ("segment 00000a0000000003").
Status DecodeLeaf(std::string_view bytes, const std::string& name, Index* order, std::vector<Datom>* out);

std::string EncodeDirectory(Index order, const std::vector<SegmentRef>& refs);
Status DecodeDirectory(std::string_view bytes, const std::string& name, Index* order, std::vector<SegmentRef>* out);

// "0000000100000002": the storage name of a segment id.
std::string SegmentName(uint64_t id);

}  // namespace strata
