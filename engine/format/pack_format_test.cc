// pack_format_test.cc — pack records and file names.

#include "format/pack_format.h"

#include <gtest/gtest.h>

#include <memory>

namespace strata::pack {
namespace {

// Scans `bytes` (written to a MemEnv file) into "key=size" or "-key" lines,
// ending with "bad@offset: why" or "end".
std::string ScanAll(const std::string& bytes) {
  auto env = NewMemEnv();
  auto w = env->NewWritableFile("/p");
  EXPECT_TRUE(w.ok() && (*w)->Append(bytes).ok());
  auto f = env->NewRandomAccessFile("/p");
  EXPECT_TRUE(f.ok());
  PackScanner scanner(**f, 0, bytes.size());
  std::string out, key, why;
  Header h;
  for (;;) {
    auto o = scanner.Next(&h, &key, &why);
    EXPECT_TRUE(o.ok());
    if (*o == PackScanner::kEnd) return out + "end";
    if (*o == PackScanner::kBad) return out + "bad@" + std::to_string(scanner.offset()) + ": " + why;
    out += (h.kind == kPut ? key + "=" + std::to_string(h.value_len) : "-" + key) + " ";
  }
}

TEST(PackFormat, RecordsRoundTrip) {
  std::string bytes;
  EncodeRecord(&bytes, kPut, "seg/1", "hello");
  EncodeRecord(&bytes, kDelete, "seg/0", "");
  EncodeRecord(&bytes, kPut, "seg/2", std::string(5000, 'x'));
  EXPECT_EQ(bytes.size(), 3 * kHeaderSize + 15 + 5 + 5000);
  EXPECT_EQ(ScanAll(bytes), "seg/1=5 -seg/0 seg/2=5000 end");
  EXPECT_EQ(CheckPutRecord(std::string_view(bytes).substr(0, kHeaderSize + 10), "seg/1"), nullptr);
  EXPECT_STREQ(CheckPutRecord(std::string_view(bytes).substr(0, kHeaderSize + 10), "seg/9"), "record of another key");
}

TEST(PackFormat, EveryDamagedHeaderByteIsCaught) {
  std::string rec;
  EncodeRecord(&rec, kPut, "seg/1", "hello");
  for (size_t i = 0; i < kHeaderSize + 5; ++i) {
    std::string bad = rec;
    bad[i] ^= 0x04;
    EXPECT_NE(CheckPutRecord(bad, "seg/1"), nullptr) << i;
    EXPECT_TRUE(ScanAll(bad).starts_with("bad@0")) << i << ": " << ScanAll(bad);
  }
  std::string bad = rec;
  bad[kHeaderSize + 5 + 2] ^= 0x04;  // the value: only a read sees it
  EXPECT_STREQ(CheckPutRecord(bad, "seg/1"), "value checksum mismatch");
  EXPECT_EQ(ScanAll(bad), "seg/1=5 end");
}

TEST(PackFormat, TornTailsAreBad) {
  std::string bytes;
  EncodeRecord(&bytes, kPut, "seg/1", "hello");
  const size_t first = bytes.size();
  EncodeRecord(&bytes, kPut, "seg/2", "world");
  for (size_t cut = first + 1; cut < bytes.size(); ++cut) {
    EXPECT_TRUE(ScanAll(bytes.substr(0, cut)).starts_with("seg/1=5 bad@" + std::to_string(first))) << cut;
  }
  EXPECT_EQ(ScanAll(bytes + std::string(40, '\0')), "seg/1=5 seg/2=5 bad@" + std::to_string(bytes.size()) + ": not a record header");
}

TEST(PackFormat, Names) {
  EXPECT_EQ(PackName(42), "0000000042.pack");
  uint64_t seq;
  EXPECT_TRUE(ParsePackName("0000000042.pack", &seq));
  EXPECT_EQ(seq, 42u);
  for (const char* bad : {"42.pack", "0000000042.pac", "00000000x2.pack", "0000000000.pack", "0000000042.pack.tmp"})
    EXPECT_FALSE(ParsePackName(bad, &seq)) << bad;
  std::string key;
  EXPECT_EQ(KeyToFileName("seg/a_b%"), "seg_a%5Fb%25");
  EXPECT_TRUE(FileNameToKey("seg_a%5Fb%25", &key));
  EXPECT_EQ(key, "seg/a_b%");
  EXPECT_FALSE(FileNameToKey("seg%41", &key));
}

}  // namespace
}  // namespace strata::pack
