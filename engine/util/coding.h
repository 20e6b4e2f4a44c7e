// coding.h — byte encodings shared by the log and segments (internal).
//
// Little-endian fixed ints, LEB128 varints, and the datom/value codec.
// Value encoding: u8 ValueType tag, then
//   ref/long/instant/boolean: zigzag varint (ref: plain varint)
//   double: 8 bytes fixed (IEEE bits)
//   string/keyword/symbol/bytes/uri: varint length + bytes
//   bigint/bigdec: varint length + canonical text (anything else is refused)
//   tuple: varint length + the elements, each a value (at most 8, no tuple)
//   uuid: 16 bytes (hi then lo, fixed64 each)
//   float: 4 bytes fixed (IEEE single bits)
// Datom encoding (log): varint e, varint a, value, u8 added.
// Decoders never read past the end: they return false on truncated or
// malformed input, and callers turn that into Corruption with an offset.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "strata/value.h"

namespace strata::coding {

// Writes v as a varint at dst (room for 10 bytes) and returns the end.
inline char* EncodeVarint64(char* dst, uint64_t v) {
  while (v >= 0x80) {
    *dst++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *dst++ = static_cast<char>(v);
  return dst;
}

inline uint64_t ZigzagEncode(int64_t v) {
  // Unsigned shift avoids the UB of shifting a negative value left.
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

// Writes a length-prefixed s at dst (room for 10 + s.size() bytes).
inline char* EncodeLengthPrefixed(char* dst, std::string_view s) {
  dst = EncodeVarint64(dst, s.size());
  if (!s.empty()) std::memcpy(dst, s.data(), s.size());
  return dst + s.size();
}

inline char* EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return dst + 8;
}

// Whether the codec writes a value of type t as a varint length and bytes.
inline bool IsLengthPrefixed(ValueType t) {
  switch (t) {
    case ValueType::kString:
    case ValueType::kKeyword:
    case ValueType::kBigInt:
    case ValueType::kBigDec:
    case ValueType::kBytes:
    case ValueType::kUri:
    case ValueType::kSymbol:
    case ValueType::kTuple:
      return true;
    default:
      return false;
  }
}

// The most bytes EncodeValue (and PutValue) spends on v: the tag, then a
// length and the bytes, or at most a uuid's two fixed64s.
inline size_t MaxValueBytes(const Value& v) { return IsLengthPrefixed(v.type()) ? 1 + 10 + v.str().size() : 1 + 16; }

// The value codec's bytes for v, written at dst (room for MaxValueBytes(v));
// returns the end. PutValue and the leaf encoder (format/segment.cc) both
// write through it, so the log's and the leaves' value bytes are one codec.
inline char* EncodeValue(char* dst, const Value& v) {
  *dst++ = static_cast<char>(v.type());
  if (IsLengthPrefixed(v.type())) return EncodeLengthPrefixed(dst, v.str());
  switch (v.type()) {
    case ValueType::kRef:
      return EncodeVarint64(dst, v.ref());
    case ValueType::kLong:
    case ValueType::kInstant:
    case ValueType::kBoolean:
      // as_long() is the raw payload for all three (0/1 for booleans).
      return EncodeVarint64(dst, ZigzagEncode(v.as_long()));
    case ValueType::kDouble:
      return EncodeFixed64(dst, std::bit_cast<uint64_t>(v.as_double()));
    case ValueType::kUuid:
      dst = EncodeFixed64(dst, v.uuid().hi);
      return EncodeFixed64(dst, v.uuid().lo);
    case ValueType::kFloat: {
      const uint32_t bits = std::bit_cast<uint32_t>(v.as_float());
      for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
      return dst + 4;
    }
    default:  // nil, and the length-prefixed types above
      return dst;
  }
}

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint64(std::string* dst, uint64_t v);
void PutZigzag64(std::string* dst, int64_t v);
void PutLengthPrefixed(std::string* dst, std::string_view s);
void PutValue(std::string* dst, const Value& v);

// Each Get* consumes from the front of *in; false on malformed input.
bool GetFixed32(std::string_view* in, uint32_t* v);
bool GetFixed64(std::string_view* in, uint64_t* v);
bool GetVarint64(std::string_view* in, uint64_t* v);
bool GetZigzag64(std::string_view* in, int64_t* v);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);
bool GetValue(std::string_view* in, Value* v);
// Checks and skips one encoded value without building it (false as
// GetValue would fail).
bool SkipValue(std::string_view* in);

uint32_t DecodeFixed32(const char* p);
uint64_t DecodeFixed64(const char* p);

// 64-bit checksum (xxh3) used by every on-disk object.
uint64_t Checksum(std::string_view data);
// The checksum of a followed by b, without concatenating them.
uint64_t Checksum(std::string_view a, std::string_view b);

}  // namespace strata::coding
