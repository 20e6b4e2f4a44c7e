// segment_fuzz — the segment decoders on arbitrary bytes.
//
// Each input is tried as a leaf and as a directory twice: as given, and
// with its trailer replaced by the right checksum (otherwise almost every
// mutation dies at the checksum and the body decoder is never reached).
// Decoding must answer OK or Corruption, never crash or over-allocate; an
// OK result must re-encode to a segment that decodes to the same order and
// the same datoms (or refs).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "util/coding.h"
#include "format/segment.h"

namespace {

using namespace strata;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "segment_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckStatus(const Status& s, const char* what) {
  if (!s.ok() && !s.IsCorruption()) Fail(what, "not Corruption: " + s.ToString());
}

void TryLeaf(std::string_view bytes) {
  Index order;
  std::vector<Datom> datoms;
  Status s = DecodeLeaf(bytes, "fuzz", &order, &datoms);
  CheckStatus(s, "DecodeLeaf");
  if (!s.ok()) return;
  // A leaf can decode yet cost more than a writer may put in one (the
  // writer's bound is the stricter); that is the only refusal allowed.
  auto encoded = EncodeLeaf(order, datoms);
  if (!encoded.ok()) {
    if (!encoded.status().IsInvalidArgument()) Fail("EncodeLeaf failed", encoded.status().ToString());
    return;
  }
  const std::string again = std::move(encoded).value();
  Index order2;
  std::vector<Datom> datoms2;
  Status s2 = DecodeLeaf(again, "fuzz-again", &order2, &datoms2);
  if (!s2.ok()) Fail("re-encoded leaf does not decode", s2.ToString());
  if (order2 != order) Fail("re-encoded leaf changed order", IndexName(order2));
  if (datoms2 != datoms) Fail("re-encoded leaf decodes different datoms", std::to_string(datoms.size()));
}

void TryDirectory(std::string_view bytes) {
  Index order;
  std::vector<SegmentRef> refs;
  Status s = DecodeDirectory(bytes, "fuzz", &order, &refs);
  CheckStatus(s, "DecodeDirectory");
  if (!s.ok()) return;
  auto encoded = EncodeDirectory(order, refs);
  if (!encoded.ok()) {
    if (!encoded.status().IsInvalidArgument()) Fail("EncodeDirectory failed", encoded.status().ToString());
    return;
  }
  const std::string again = std::move(encoded).value();
  Index order2;
  std::vector<SegmentRef> refs2;
  Status s2 = DecodeDirectory(again, "fuzz-again", &order2, &refs2);
  if (!s2.ok()) Fail("re-encoded directory does not decode", s2.ToString());
  if (order2 != order) Fail("re-encoded directory changed order", IndexName(order2));
  if (refs2 != refs) Fail("re-encoded directory decodes different refs", std::to_string(refs.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  TryLeaf(bytes);
  TryDirectory(bytes);
  if (size < 8) return 0;
  std::string fixed(bytes.substr(0, size - 8));
  coding::PutFixed64(&fixed, coding::Checksum(fixed));
  if (fixed != bytes) {
    TryLeaf(fixed);
    TryDirectory(fixed);
  }
  return 0;
}
