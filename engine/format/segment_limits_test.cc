// segment_limits_test.cc — segments bounded by bytes: the largest leaf and
// directory a writer may produce round-trip, one byte more is refused on
// write (an error, not an assert), and LeafCuts never makes a piece
// EncodeLeaf refuses — in particular for values up to kMaxValueBytes.
//
// These tests build strings of up to 256 MiB (about 1.3 GB at peak, one
// test at a time); they take a few seconds.

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "format/segment.h"

namespace strata {
namespace {

Datom StringDatom(uint64_t e, std::string s, uint64_t tx = TxId(1000), bool added = true) {
  return Datom{MakeEntityId(kPartUser, e), MakeEntityId(kPartDb, 10), Value::String(std::move(s)), tx, added};
}

uint64_t Cost(const std::vector<Datom>& ds) {
  uint64_t c = 0;
  for (const Datom& d : ds) c += LeafDatomCost(d);
  return c;
}

// Four datoms costing exactly kMaxLeafCost. Values differ in their first
// byte, so none is stored as a prefix of the previous one: the body is
// within a few hundred bytes of the cost (and of kMaxSegmentBodyBytes).
std::vector<Datom> LeafAtTheLimit() {
  const uint64_t each = kMaxLeafCost / 4 - kDatomOverheadBytes;
  std::vector<Datom> ds;
  for (uint64_t i = 0; i < 4; ++i) {
    std::string s(each, 'x');
    s[0] = static_cast<char>('a' + i);
    ds.push_back(StringDatom(i + 1, std::move(s)));
  }
  return ds;
}

TEST(SegmentLimitsTest, ConstantsAgree) {
  // The writer's bounds are the reader's limits (also static_asserts in
  // segment.h); restated so a change to either shows up here.
  EXPECT_LE(kMaxLeafCost, kMaxSegmentBodyBytes);
  EXPECT_LE(kMaxLeafCost, kMaxSegmentDecodedBytes);
  EXPECT_LE(kMaxDatomCost, kMaxLeafCost);
  EXPECT_LE(kDirectoryTargetBytes + kMaxRefCost, kMaxSegmentBodyBytes);
  EXPECT_GE(kMaxValueBytes, uint64_t{60} << 20);  // the 60 MB values fit
}

TEST(SegmentLimitsTest, LeafAtTheLimitRoundTripsAndOneByteMoreIsRefused) {
  std::vector<Datom> ds = LeafAtTheLimit();
  ASSERT_EQ(Cost(ds), kMaxLeafCost);
  auto bytes = EncodeLeaf(Index::kEavt, ds);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  {
    Index order;
    std::vector<Datom> got;
    Status s = DecodeLeaf(*bytes, "max", &order, &got);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(order, Index::kEavt);
    EXPECT_TRUE(got == ds);
  }
  bytes = std::string();  // free the blob

  // One byte more: refused on write, naming the limit.
  ds[3] = StringDatom(4, ds[3].v.str() + "y");
  auto over = EncodeLeaf(Index::kEavt, ds);
  ASSERT_FALSE(over.ok());
  EXPECT_TRUE(over.status().IsInvalidArgument()) << over.status().ToString();
  EXPECT_NE(over.status().message().find("268435456-byte leaf limit"), std::string::npos) << over.status().ToString();
}

TEST(SegmentLimitsTest, ValueAtTheValueLimitFitsALeafOfItsOwn) {
  std::vector<Datom> ds{StringDatom(1, std::string(kMaxValueBytes, 'v'))};
  auto bytes = EncodeLeaf(Index::kAvet, ds);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  Index order;
  std::vector<Datom> got;
  Status s = DecodeLeaf(*bytes, "v", &order, &got);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].v.str().size(), kMaxValueBytes);
}

TEST(SegmentLimitsTest, DirectoryAtTheLimitRoundTripsAndOneByteMoreIsRefused) {
  // Two refs costing exactly kMaxSegmentBodyBytes (full datoms: no prefix
  // sharing in directories, so the body is within bytes of the limit).
  const uint64_t each = (kMaxSegmentBodyBytes - 2 * kRefOverheadBytes) / 4 - kDatomOverheadBytes;
  ASSERT_EQ(2 * kRefOverheadBytes + 4 * (each + kDatomOverheadBytes), kMaxSegmentBodyBytes);
  std::vector<SegmentRef> refs;
  for (uint64_t i = 0; i < 2; ++i) {
    SegmentRef r;
    r.id = i + 1;
    r.count = 2;
    r.bytes = 1000;
    std::string s(each, 'x');
    s[0] = static_cast<char>('a' + 2 * i);
    r.first = StringDatom(1, s);
    s[0] = static_cast<char>('b' + 2 * i);
    r.last = StringDatom(1, std::move(s));
    refs.push_back(std::move(r));
  }
  auto bytes = EncodeDirectory(Index::kAvet, refs);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  {
    Index order;
    std::vector<SegmentRef> got;
    Status s = DecodeDirectory(*bytes, "dir", &order, &got);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_TRUE(got[1].last == refs[1].last);
  }
  bytes = std::string();

  refs[1].last = StringDatom(1, refs[1].last.v.str() + "y");
  auto over = EncodeDirectory(Index::kAvet, refs);
  ASSERT_FALSE(over.ok());
  EXPECT_TRUE(over.status().IsInvalidArgument()) << over.status().ToString();
  EXPECT_NE(over.status().message().find("segment limit"), std::string::npos) << over.status().ToString();
}

TEST(SegmentLimitsTest, TooManyDatomsIsAnErrorNotAnAssert) {
  std::vector<Datom> ds;
  ds.reserve(kMaxSegmentDatoms + 1);
  for (uint64_t i = 0; i <= kMaxSegmentDatoms; ++i)
    ds.push_back(Datom{MakeEntityId(kPartUser, i), 10, Value::Long(1), TxId(1000), true});
  auto r = EncodeLeaf(Index::kEavt, ds);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_NE(r.status().message().find("entry segment limit"), std::string::npos) << r.status().ToString();
}

// Every piece LeafCuts makes encodes, and the pieces cover the input.
void ExpectPiecesEncode(const std::vector<Datom>& ds, const std::vector<size_t>& cuts) {
  ASSERT_GE(cuts.size(), 2u);
  EXPECT_EQ(cuts.front(), 0u);
  EXPECT_EQ(cuts.back(), ds.size());
  for (size_t p = 0; p + 1 < cuts.size(); ++p) {
    ASSERT_LT(cuts[p], cuts[p + 1]);
    std::vector<Datom> piece(ds.begin() + static_cast<long>(cuts[p]), ds.begin() + static_cast<long>(cuts[p + 1]));
    auto r = EncodeLeaf(Index::kEavt, piece);
    EXPECT_TRUE(r.ok()) << "piece " << p << ": " << r.status().ToString();
  }
}

TEST(SegmentLimitsTest, LeavesAreCutByBytes) {
  // Ten 300 KB values: three fit kLeafTargetBytes, a fourth would not.
  std::vector<Datom> ds;
  for (uint64_t i = 0; i < 10; ++i) ds.push_back(StringDatom(i + 1, std::string(300'000, 'a' + i)));
  const auto cuts = LeafCuts(ds, 4096);
  EXPECT_EQ(cuts, (std::vector<size_t>{0, 3, 6, 9, 10}));
  ExpectPiecesEncode(ds, cuts);
  // Small datoms are still cut by count only.
  std::vector<Datom> small;
  for (uint64_t i = 0; i < 1000; ++i) small.push_back(StringDatom(i + 1, "s"));
  EXPECT_EQ(LeafCuts(small, 100).size(), 11u);  // ten pieces
  EXPECT_EQ(LeafCuts(small, 4096), (std::vector<size_t>{0, 1000}));
}

TEST(SegmentLimitsTest, AnEavGroupStaysTogetherUntilTheHardLimit) {
  // One (e a v) asserted and retracted, 300 KB: a group of ten passes the
  // byte target but stays in one leaf (its pairs can meet in a merge).
  std::vector<Datom> group;
  const std::string v(300'000, 'g');
  for (uint64_t k = 0; k < 10; ++k) group.push_back(StringDatom(1, v, TxId(1000 + k), k % 2 == 0));
  group.push_back(StringDatom(2, "next"));
  EXPECT_EQ(LeafCuts(group, 4096), (std::vector<size_t>{0, 10, 11}));

  // Five versions of one 60 MB value (history): together past what a leaf
  // may decode to, so the group is cut — every piece still encodes.
  std::vector<Datom> big;
  const std::string w(60u << 20, 'w');
  for (uint64_t k = 0; k < 5; ++k) big.push_back(StringDatom(1, w, TxId(1000 + k), k % 2 == 0));
  const auto cuts = LeafCuts(big, 4096);
  EXPECT_EQ(cuts, (std::vector<size_t>{0, 4, 5}));
  ExpectPiecesEncode(big, cuts);
}

TEST(SegmentLimitsTest, LeafCutsEdgeCases) {
  EXPECT_EQ(LeafCuts({}, 4096), (std::vector<size_t>{0}));
  std::vector<Datom> one{StringDatom(1, std::string(kMaxValueBytes, 'z'))};
  EXPECT_EQ(LeafCuts(one, 4096), (std::vector<size_t>{0, 1}));
  ExpectPiecesEncode(one, LeafCuts(one, 4096));
}

}  // namespace
}  // namespace strata
