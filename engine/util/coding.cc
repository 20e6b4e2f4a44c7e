// coding.cc — fixed ints, varints, the value codec, and the checksum.
//
// Every decoder checks lengths before it reads, so a truncated or hostile
// buffer yields `false`, never a read past the end or a huge allocation.

#include "util/coding.h"

// For XXH3_state_t on the stack (a checksum over two pieces without a copy).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <bit>
#include <vector>

namespace strata::coding {

namespace {

// A 64-bit varint is at most 10 bytes; the 10th may only carry bit 63.
constexpr int kMaxVarint64Bytes = 10;

int64_t ZigzagDecode(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }

}  // namespace

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dst->append(buf, sizeof buf);
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dst->append(buf, sizeof buf);
}

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  dst->append(buf, static_cast<size_t>(EncodeVarint64(buf, v) - buf));
}

void PutZigzag64(std::string* dst, int64_t v) { PutVarint64(dst, ZigzagEncode(v)); }

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

void PutValue(std::string* dst, const Value& v) {
  const size_t at = dst->size();
  dst->resize(at + MaxValueBytes(v));
  dst->resize(static_cast<size_t>(EncodeValue(dst->data() + at, v) - dst->data()));
}

namespace {

// A tuple's payload: at most kMaxTupleElements values, none a tuple.
bool GetTuple(std::string_view payload, Value* v) {
  std::vector<Value> items;
  while (!payload.empty()) {
    Value x;
    if (items.size() == kMaxTupleElements || !GetValue(&payload, &x) || x.type() == ValueType::kTuple) return false;
    items.push_back(std::move(x));
  }
  *v = Value::Tuple(items);
  return true;
}

}  // namespace

uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | u[i];
  return v;
}

uint64_t DecodeFixed64(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | u[i];
  return v;
}

bool GetFixed32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

bool GetVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  const size_t limit = in->size() < kMaxVarint64Bytes ? in->size() : kMaxVarint64Bytes;
  for (size_t i = 0; i < limit; ++i) {
    const auto byte = static_cast<uint64_t>(static_cast<unsigned char>((*in)[i]));
    // The 10th byte holds bit 63 only; anything more would overflow.
    if (i == kMaxVarint64Bytes - 1 && byte > 1) return false;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;  // truncated, or more than 10 bytes
}

bool GetZigzag64(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetVarint64(in, &u)) return false;
  *v = ZigzagDecode(u);
  return true;
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* s) {
  std::string_view copy = *in;
  uint64_t len;
  if (!GetVarint64(&copy, &len) || len > copy.size()) return false;
  *s = copy.substr(0, len);
  copy.remove_prefix(len);
  *in = copy;
  return true;
}

bool GetValue(std::string_view* in, Value* v) {
  // Work on a copy so a failed decode leaves *in untouched.
  std::string_view p = *in;
  if (p.empty()) return false;
  const auto tag = static_cast<uint8_t>(p[0]);
  p.remove_prefix(1);
  switch (static_cast<ValueType>(tag)) {
    case ValueType::kNil:
      *v = Value();
      break;
    case ValueType::kRef: {
      uint64_t e;
      if (!GetVarint64(&p, &e)) return false;
      *v = Value::Ref(e);
      break;
    }
    case ValueType::kLong:
    case ValueType::kInstant: {
      int64_t n;
      if (!GetZigzag64(&p, &n)) return false;
      *v = tag == static_cast<uint8_t>(ValueType::kLong) ? Value::Long(n) : Value::Instant(n);
      break;
    }
    case ValueType::kBoolean: {
      int64_t n;
      // Only 0 and 1 are ever written; anything else would make two
      // "true" values compare unequal.
      if (!GetZigzag64(&p, &n) || (n != 0 && n != 1)) return false;
      *v = Value::Boolean(n != 0);
      break;
    }
    case ValueType::kDouble: {
      uint64_t bits;
      if (!GetFixed64(&p, &bits)) return false;
      *v = Value::Double(std::bit_cast<double>(bits));
      break;
    }
    case ValueType::kString:
    case ValueType::kKeyword: {
      std::string_view s;
      if (!GetLengthPrefixed(&p, &s)) return false;
      *v = tag == static_cast<uint8_t>(ValueType::kString) ? Value::String(std::string(s))
                                                           : Value::Keyword(std::string(s));
      break;
    }
    case ValueType::kUuid: {
      Uuid u;
      if (!GetFixed64(&p, &u.hi) || !GetFixed64(&p, &u.lo)) return false;
      *v = Value::FromUuid(u);
      break;
    }
    case ValueType::kFloat: {
      uint32_t bits;
      if (!GetFixed32(&p, &bits)) return false;
      *v = Value::Float(std::bit_cast<float>(bits));
      break;
    }
    case ValueType::kBigInt:
    case ValueType::kBigDec: {
      // Only the canonical text is ever written: another spelling of the
      // same number would compare equal yet differ in bytes.
      std::string_view s;
      Value x;
      if (!GetLengthPrefixed(&p, &s)) return false;
      const bool ok = tag == static_cast<uint8_t>(ValueType::kBigInt) ? Value::ParseBigInt(s, &x) : Value::ParseBigDec(s, &x);
      if (!ok || x.str() != s) return false;
      *v = std::move(x);
      break;
    }
    case ValueType::kBytes:
    case ValueType::kUri:
    case ValueType::kSymbol: {
      std::string_view s;
      if (!GetLengthPrefixed(&p, &s)) return false;
      std::string text(s);
      *v = tag == static_cast<uint8_t>(ValueType::kBytes) ? Value::Bytes(std::move(text))
           : tag == static_cast<uint8_t>(ValueType::kUri) ? Value::Uri(std::move(text))
                                                          : Value::Symbol(std::move(text));
      break;
    }
    case ValueType::kTuple: {
      std::string_view s;
      if (!GetLengthPrefixed(&p, &s) || !GetTuple(s, v)) return false;
      break;
    }
    default:
      return false;  // unknown tag
  }
  *in = p;
  return true;
}

bool SkipValue(std::string_view* in) {
  std::string_view p = *in;
  if (p.empty()) return false;
  const auto tag = static_cast<uint8_t>(p[0]);
  p.remove_prefix(1);
  uint64_t u;
  int64_t n;
  std::string_view s;
  switch (static_cast<ValueType>(tag)) {
    case ValueType::kNil: break;
    case ValueType::kRef:
      if (!GetVarint64(&p, &u)) return false;
      break;
    case ValueType::kLong:
    case ValueType::kInstant:
      if (!GetZigzag64(&p, &n)) return false;
      break;
    case ValueType::kBoolean:
      if (!GetZigzag64(&p, &n) || (n != 0 && n != 1)) return false;
      break;
    case ValueType::kDouble:
      if (!GetFixed64(&p, &u)) return false;
      break;
    case ValueType::kString:
    case ValueType::kKeyword:
      if (!GetLengthPrefixed(&p, &s)) return false;
      break;
    case ValueType::kUuid:
      if (!GetFixed64(&p, &u) || !GetFixed64(&p, &u)) return false;
      break;
    case ValueType::kFloat: {
      uint32_t bits;
      if (!GetFixed32(&p, &bits)) return false;
      break;
    }
    case ValueType::kBytes:
    case ValueType::kUri:
    case ValueType::kSymbol:
      if (!GetLengthPrefixed(&p, &s)) return false;
      break;
    case ValueType::kBigInt:
    case ValueType::kBigDec:
    case ValueType::kTuple: {
      // Their payload has rules of its own: checked as GetValue does.
      Value v;
      std::string_view q = *in;
      if (!GetValue(&q, &v)) return false;
      p = q;
      break;
    }
    default:
      return false;
  }
  *in = p;
  return true;
}

uint64_t Checksum(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

uint64_t Checksum(std::string_view a, std::string_view b) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, a.data(), a.size());
  XXH3_64bits_update(&st, b.data(), b.size());
  return XXH3_64bits_digest(&st);
}

}  // namespace strata::coding
