// segment_test.cc — the segment format: round trips, compactness, and
// rejection of every corruption the decoder can be handed.

#include "format/segment.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "util/coding.h"

namespace strata {
namespace {

constexpr Index kOrders[] = {Index::kEavt, Index::kAevt, Index::kAvet, Index::kVaet};
constexpr ValueType kTypes[] = {ValueType::kRef,  ValueType::kKeyword, ValueType::kString,
                                ValueType::kBoolean, ValueType::kLong, ValueType::kDouble,
                                ValueType::kInstant, ValueType::kUuid,   ValueType::kBigInt, ValueType::kBigDec,
                                ValueType::kFloat,   ValueType::kBytes,  ValueType::kUri,    ValueType::kSymbol,
                                ValueType::kTuple};
constexpr size_t kHeader = 20, kTrailer = 8;

std::string RandomString(std::mt19937_64& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());  // any byte, NUL included
  return s;
}

Value RandomValue(std::mt19937_64& rng, ValueType t) {
  switch (t) {
    case ValueType::kRef:
      return Value::Ref(rng() % 4 ? MakeEntityId(kPartUser, rng() % 50) : rng());
    case ValueType::kKeyword:
      return Value::Keyword("ns" + std::to_string(rng() % 5) + "/k" + std::to_string(rng() % 20));
    case ValueType::kString:
      return Value::String(rng() % 3 ? "name-" + std::to_string(rng() % 100) : RandomString(rng, 40));
    case ValueType::kBoolean:
      return Value::Boolean(rng() % 2);
    case ValueType::kLong:
      return Value::Long(rng() % 3 ? static_cast<int64_t>(rng() % 200) - 100 : static_cast<int64_t>(rng()));
    case ValueType::kDouble: {
      switch (rng() % 4) {
        case 0: return Value::Double(std::numeric_limits<double>::quiet_NaN());
        case 1: return Value::Double(-0.0);
        default: return Value::Double(std::bit_cast<double>(rng()));
      }
    }
    case ValueType::kInstant: return Value::Instant(1700000000000 + static_cast<int64_t>(rng() % 100000));
    case ValueType::kUuid: return Value::FromUuid(Uuid{rng(), rng()});
    case ValueType::kBigInt:
    case ValueType::kBigDec: {
      // Sign, up to 30 digits, for a bigdec a point somewhere.
      std::string text = rng() % 2 ? "-" : "";
      const size_t n = 1 + rng() % 30;
      for (size_t i = 0; i < n; ++i) text.push_back(static_cast<char>('0' + rng() % 10));
      Value v;
      if (t == ValueType::kBigInt) {
        if (!Value::ParseBigInt(text, &v)) return Value::Long(0);
      } else {
        text.insert(text.size() - rng() % n, ".");
        if (text.back() == '.') text.push_back('0');
        if (!Value::ParseBigDec(text, &v)) return Value::Long(0);
      }
      return v;
    }
    case ValueType::kFloat: return Value::Float(std::bit_cast<float>(static_cast<uint32_t>(rng())));
    case ValueType::kBytes: return Value::Bytes(RandomString(rng, 40));
    case ValueType::kUri: return Value::Uri("https://example.com/" + std::to_string(rng() % 100));
    case ValueType::kSymbol: return Value::Symbol("ns" + std::to_string(rng() % 5) + "/s" + std::to_string(rng() % 20));
    case ValueType::kTuple: {
      std::vector<Value> items(2 + rng() % 3);
      for (Value& x : items)
        if (rng() % 4) x = RandomValue(rng, kTypes[rng() % 9]);  // scalar types only, or nil
      return Value::Tuple(items);
    }
    case ValueType::kNil: break;
  }
  return Value::Long(0);
}

Datom RandomDatom(std::mt19937_64& rng, ValueType t) {
  Datom d;
  // Few distinct e and a, so runs of shared components occur in every order.
  d.e = rng() % 8 == 0 ? rng() : MakeEntityId(kPartUser, rng() % 40);
  d.a = rng() % 16 == 0 ? rng() : MakeEntityId(kPartDb, 10 + rng() % 6);
  d.v = RandomValue(rng, t);
  d.tx = rng() % 16 == 0 ? rng() : TxId(1000 + rng() % 30);
  d.added = rng() % 4 != 0;
  return d;
}

std::vector<Datom> Sorted(Index order, std::vector<Datom> ds) {
  std::sort(ds.begin(), ds.end(), DatomLess{order});
  return ds;
}

void ExpectRoundTrip(Index order, const std::vector<Datom>& ds) {
  const std::string bytes = EncodeLeaf(order, ds).value();
  Index got_order;
  std::vector<Datom> got;
  Status s = DecodeLeaf(bytes, "t", &got_order, &got);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(got_order, order);
  ASSERT_EQ(got.size(), ds.size());
  for (size_t i = 0; i < ds.size(); ++i) ASSERT_EQ(got[i], ds[i]) << IndexName(order) << " datom " << i;
}

// What a datom costs written plainly: fixed e, a, tx, the value codec, added.
size_t NaiveSize(const std::vector<Datom>& ds) {
  size_t n = 0;
  for (const Datom& d : ds) {
    std::string v;
    coding::PutValue(&v, d.v);
    n += 8 + 8 + 8 + 1 + v.size();
  }
  return n;
}

// Builds a segment by the format doc in segment.h, independently of the
// encoder (raw body, valid checksum).
std::string HandBuilt(uint8_t kind, Index order, uint32_t count, std::string_view body, uint8_t flags = 0,
                      uint32_t raw_length = UINT32_MAX) {
  std::string out = "STRATSEG";
  out.push_back(2);  // format version 2
  out.push_back(static_cast<char>(kind));
  out.push_back(static_cast<char>(order));
  out.push_back(static_cast<char>(flags));
  coding::PutFixed32(&out, count);
  coding::PutFixed32(&out, raw_length == UINT32_MAX ? static_cast<uint32_t>(body.size()) : raw_length);
  out.append(body);
  coding::PutFixed64(&out, coding::Checksum(out));
  return out;
}

// Recomputes the trailer so a mutation reaches the body parser.
void Reseal(std::string* seg) {
  if (seg->size() < kHeader + kTrailer) return;
  const std::string_view covered(seg->data(), seg->size() - kTrailer);
  std::string sum;
  coding::PutFixed64(&sum, coding::Checksum(covered));
  seg->replace(seg->size() - kTrailer, kTrailer, sum);
}

// The raw body of an encoded segment (decompressed if needed).
std::string RawBody(const std::string& seg) {
  const std::string_view stored(seg.data() + kHeader, seg.size() - kHeader - kTrailer);
  if ((seg[11] & 1) == 0) return std::string(stored);
  std::string raw(coding::DecodeFixed32(seg.data() + 16), '\0');
  const size_t n = ZSTD_decompress(raw.data(), raw.size(), stored.data(), stored.size());
  EXPECT_FALSE(ZSTD_isError(n));
  return raw;
}

// Sequential entities, five attributes each, short strings and longs: the
// shape of a typical EAVT leaf.
std::vector<Datom> RealisticEavt(size_t n) {
  std::mt19937_64 rng(7);
  static const char* kCities[] = {"Berlin", "Lisbon", "Osaka", "Quito", "Tunis", "Oslo"};
  std::vector<Datom> ds;
  const EntityId a_name = MakeEntityId(kPartDb, 40), a_email = MakeEntityId(kPartDb, 41),
                 a_age = MakeEntityId(kPartDb, 42), a_city = MakeEntityId(kPartDb, 43),
                 a_score = MakeEntityId(kPartDb, 44);
  for (uint64_t i = 0; ds.size() < n; ++i) {
    const EntityId e = MakeEntityId(kPartUser, 5000 + i);
    const EntityId tx = TxId(5000 + i / 10 * 10 + 9);  // ten entities per transaction
    const std::string user = "user" + std::to_string(100000 + i);
    ds.push_back({e, a_name, Value::String(user), tx, true});
    ds.push_back({e, a_email, Value::String(user + "@example.com"), tx, true});
    ds.push_back({e, a_age, Value::Long(18 + static_cast<int64_t>(rng() % 60)), tx, true});
    ds.push_back({e, a_city, Value::String(kCities[rng() % 6]), tx, true});
    ds.push_back({e, a_score, Value::Long(static_cast<int64_t>(rng() % 100000)), tx, true});
  }
  ds.resize(n);
  return Sorted(Index::kEavt, ds);
}

TEST(SegmentTest, SegmentName) {
  EXPECT_EQ(SegmentName(0), "0000000000000000");
  EXPECT_EQ(SegmentName(0x0000000100000002ULL), "0000000100000002");
  EXPECT_EQ(SegmentName(0xabcdef0123456789ULL), "abcdef0123456789");
  EXPECT_EQ(SegmentName(UINT64_MAX), "ffffffffffffffff");
}

TEST(SegmentTest, EmptyLeafRoundTrips) {
  for (Index o : kOrders) ExpectRoundTrip(o, {});
}

TEST(SegmentTest, EveryValueTypeInEveryOrderRoundTrips) {
  std::mt19937_64 rng(1);
  for (Index o : kOrders) {
    for (ValueType t : kTypes) {
      std::vector<Datom> ds;
      for (int i = 0; i < 300; ++i) ds.push_back(RandomDatom(rng, t));
      ExpectRoundTrip(o, Sorted(o, ds));
    }
  }
}

TEST(SegmentTest, MixedTypesRoundTrip) {
  std::mt19937_64 rng(2);
  for (Index o : kOrders) {
    for (int round = 0; round < 5; ++round) {
      std::vector<Datom> ds;
      const int n = 1 + static_cast<int>(rng() % 800);
      for (int i = 0; i < n; ++i) ds.push_back(RandomDatom(rng, kTypes[rng() % std::size(kTypes)]));
      ExpectRoundTrip(o, Sorted(o, ds));
    }
  }
}

TEST(SegmentTest, ExtremeValuesRoundTrip) {
  const int64_t lmin = std::numeric_limits<int64_t>::min(), lmax = std::numeric_limits<int64_t>::max();
  std::vector<Datom> ds = {
      {0, 0, Value::Long(lmin), 0, false},
      {0, 0, Value::Long(lmax), 0, true},
      {0, 1, Value::Ref(0), UINT64_MAX, true},
      {0, 1, Value::Ref(UINT64_MAX), 0, true},
      {1, UINT64_MAX, Value::Instant(lmin), UINT64_MAX, true},
      {1, UINT64_MAX, Value::Instant(lmax), 1, true},
      {UINT64_MAX, 0, Value::String(""), 0, true},
      {UINT64_MAX, 0, Value::String(std::string(70000, 'x')), 0, true},
      {UINT64_MAX, 0, Value::String(std::string(70000, 'x') + "y"), 0, true},
      {UINT64_MAX, 1, Value::Keyword(""), 5, true},
      {UINT64_MAX, 1, Value::Keyword("a/b"), 5, true},
      {UINT64_MAX, 2, Value::Double(std::numeric_limits<double>::infinity()), 5, true},
      {UINT64_MAX, 2, Value::Double(std::numeric_limits<double>::quiet_NaN()), 5, true},
      {UINT64_MAX, 3, Value::FromUuid(Uuid{UINT64_MAX, 0}), 5, true},
  };
  for (Index o : kOrders) ExpectRoundTrip(o, Sorted(o, ds));
}

TEST(SegmentTest, HistoryRunsRoundTrip) {
  // The same (e a v) asserted and retracted over many transactions: the
  // fully shared case, including equal tx with both added values.
  std::vector<Datom> ds;
  for (uint64_t t = 1; t <= 50; ++t) {
    ds.push_back({MakeEntityId(kPartUser, 1), 70, Value::String("same value"), TxId(t), t % 2 == 1});
  }
  ds.push_back({MakeEntityId(kPartUser, 1), 70, Value::String("same value"), TxId(60), false});
  ds.push_back({MakeEntityId(kPartUser, 1), 70, Value::String("same value"), TxId(60), true});
  for (Index o : kOrders) ExpectRoundTrip(o, Sorted(o, ds));
}

TEST(SegmentTest, RealisticLeafIsCompact) {
  const std::vector<Datom> ds = RealisticEavt(4096);
  const std::string bytes = EncodeLeaf(Index::kEavt, ds).value();
  ExpectRoundTrip(Index::kEavt, ds);
  EXPECT_EQ(bytes[11] & 1, 1) << "expected a compressed body";
  const double per_datom = static_cast<double>(bytes.size()) / static_cast<double>(ds.size());
  const double ratio = static_cast<double>(NaiveSize(ds)) / static_cast<double>(bytes.size());
  std::printf("realistic EAVT leaf: %zu datoms, %zu bytes (%zu raw body), %.2f bytes/datom, "
              "%.1fx below naive\n",
              ds.size(), bytes.size(), RawBody(bytes).size(), per_datom, ratio);
  EXPECT_LT(per_datom, 8.0);
  EXPECT_GT(ratio, 5.0);
}

TEST(SegmentTest, LargeRandomLeavesCompressInEveryOrder) {
  std::mt19937_64 rng(3);
  for (Index o : kOrders) {
    std::vector<Datom> ds;
    for (int i = 0; i < 4096; ++i) {
      const ValueType t = i % 2 ? ValueType::kLong : (i % 3 ? ValueType::kKeyword : ValueType::kRef);
      Datom d;
      d.e = MakeEntityId(kPartUser, rng() % 1000);
      d.a = MakeEntityId(kPartDb, 10 + rng() % 8);
      d.v = RandomValue(rng, t);
      d.tx = TxId(1000 + rng() % 100);
      ds.push_back(d);
    }
    ds = Sorted(o, ds);
    const std::string bytes = EncodeLeaf(o, ds).value();
    ExpectRoundTrip(o, ds);
    EXPECT_LT(bytes.size() * 3, NaiveSize(ds)) << IndexName(o);
  }
}

TEST(SegmentTest, IncompressibleBodyIsStoredRaw) {
  std::mt19937_64 rng(4);
  std::vector<Datom> ds;
  for (int i = 0; i < 200; ++i) {
    std::string s(64, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    ds.push_back({static_cast<EntityId>(i), 1, Value::String(s), 1, true});
  }
  const std::string bytes = EncodeLeaf(Index::kEavt, ds).value();
  EXPECT_EQ(bytes[11] & 1, 0);
  ExpectRoundTrip(Index::kEavt, ds);
}

TEST(SegmentTest, DirectoryRoundTrips) {
  std::mt19937_64 rng(5);
  for (Index o : kOrders) {
    std::vector<Datom> ds;
    for (int i = 0; i < 600; ++i) ds.push_back(RandomDatom(rng, kTypes[rng() % std::size(kTypes)]));
    ds = Sorted(o, ds);
    std::vector<SegmentRef> refs;
    for (size_t i = 0; i + 1 < ds.size(); i += 2) {
      refs.push_back(SegmentRef{rng(), rng() % 5000 + 1, rng() % 100000, ds[i], ds[i + 1]});
    }
    refs.push_back(SegmentRef{});  // an empty leaf: default datoms, nil values
    const std::string bytes = EncodeDirectory(o, refs).value();
    Index got_order;
    std::vector<SegmentRef> got;
    Status s = DecodeDirectory(bytes, "d", &got_order, &got);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(got_order, o);
    EXPECT_EQ(got, refs);
  }
  Index got_order;
  std::vector<SegmentRef> got{SegmentRef{}};
  ASSERT_TRUE(DecodeDirectory(EncodeDirectory(Index::kAvet, {}).value(), "d", &got_order, &got).ok());
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(got_order, Index::kAvet);
}

TEST(SegmentTest, KindIsChecked) {
  const std::string dir = EncodeDirectory(Index::kEavt, {SegmentRef{}}).value();
  const std::string leaf = EncodeLeaf(Index::kEavt, RealisticEavt(10)).value();
  Index o;
  std::vector<Datom> ds;
  std::vector<SegmentRef> refs;
  Status s = DecodeLeaf(dir, "0000000000000009", &o, &ds);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("segment 0000000000000009"), std::string::npos) << s.ToString();
  EXPECT_TRUE(DecodeDirectory(leaf, "x", &o, &refs).IsCorruption());
}

TEST(SegmentTest, HandBuiltLeafFollowsTheFormatDoc) {
  // Two EAVT datoms: [e=5 a=7 "ab" tx=100 added], [e=5 a=9 "abc" tx=100 retracted].
  std::string body;
  body.push_back(0x04);             // shared 0, added
  coding::PutZigzag64(&body, 5);    // e delta from 0
  coding::PutZigzag64(&body, 7);    // a delta from 0
  coding::PutValue(&body, Value::String("ab"));
  coding::PutZigzag64(&body, 100);  // tx delta from 0
  body.push_back(0x01 | 0x08 | 0x20);  // shared e, same tx, string prefix
  coding::PutZigzag64(&body, 2);    // a delta
  coding::PutVarint64(&body, 2);    // shared prefix "ab"
  coding::PutLengthPrefixed(&body, "c");
  const std::string seg = HandBuilt(1, Index::kEavt, 2, body);
  Index o;
  std::vector<Datom> ds;
  ASSERT_TRUE(DecodeLeaf(seg, "h", &o, &ds).ok());
  const std::vector<Datom> want = {{5, 7, Value::String("ab"), 100, true},
                                   {5, 9, Value::String("abc"), 100, false}};
  EXPECT_EQ(ds, want);
  EXPECT_EQ(EncodeLeaf(Index::kEavt, want).value(), seg);  // the encoder writes exactly this
}

// The encoder writes values in place (not through coding::PutValue); its
// bytes must still be the shared value codec's, which segment.h specifies.
// Every datom here has a new e and a value of another type than the one
// before, so each is written whole: flag, e, a, v by the codec, tx.
TEST(SegmentTest, LeafValuesAreTheValueCodecsBytes) {
  std::mt19937_64 rng(7);
  std::vector<Datom> ds;
  for (int i = 0; i < 300; ++i) {
    const ValueType t = kTypes[i % std::size(kTypes)];
    Value v = RandomValue(rng, t);
    if (i == 1) v = Value::String(std::string(300, 'x'));  // a two-byte length
    if (i == 2) v = Value::Long(std::numeric_limits<int64_t>::min());
    ds.push_back({static_cast<EntityId>(10 + 3 * i), 7, std::move(v), 100 + static_cast<EntityId>(i % 2), i % 3 != 0});
  }
  std::string want;
  for (size_t i = 0; i < ds.size(); ++i) {
    const bool same_tx = i > 0 && ds[i].tx == ds[i - 1].tx;
    want.push_back(static_cast<char>((ds[i].added ? 0x04 : 0) | (same_tx ? 0x08 : 0)));
    coding::PutZigzag64(&want, i == 0 ? 10 : 3);
    coding::PutZigzag64(&want, i == 0 ? 7 : 0);
    coding::PutValue(&want, ds[i].v);
    if (!same_tx) coding::PutZigzag64(&want, i == 0 ? 100 : static_cast<int64_t>(ds[i].tx - ds[i - 1].tx));
  }
  const std::string seg = EncodeLeaf(Index::kEavt, ds).value();
  ASSERT_GT(seg.size(), kHeader + kTrailer);
  const std::string_view stored(seg.data() + kHeader, seg.size() - kHeader - kTrailer);
  std::string body(want.size(), '\0');
  if (seg[11] & 1) {  // zstd
    ASSERT_EQ(ZSTD_decompress(body.data(), body.size(), stored.data(), stored.size()), want.size());
  } else {
    body = std::string(stored);
  }
  EXPECT_EQ(body, want);
}

// Decoding replaces what the vector held (callers reuse one vector for
// leaf after leaf) and leaves it empty on error.
TEST(SegmentTest, DecodeLeafReplacesTheVector) {
  const std::vector<Datom> a = {{1, 7, Value::Long(1), 100, true}, {2, 7, Value::Long(2), 100, true}};
  const std::vector<Datom> b = {{3, 8, Value::String("x"), 101, false}};
  std::vector<Datom> out;
  Index o;
  ASSERT_TRUE(DecodeLeaf(EncodeLeaf(Index::kEavt, a).value(), "a", &o, &out).ok());
  EXPECT_EQ(out, a);
  ASSERT_TRUE(DecodeLeaf(EncodeLeaf(Index::kEavt, b).value(), "b", &o, &out).ok());
  EXPECT_EQ(out, b);
  std::string bad = EncodeLeaf(Index::kEavt, a).value();
  bad[kHeader] ^= 0x40;  // a body byte: the checksum no longer matches
  EXPECT_TRUE(DecodeLeaf(bad, "bad", &o, &out).IsCorruption());
  EXPECT_TRUE(out.empty());
}

// An indexing job gathers a level's leaves with DecodeLeafAppend: leaf
// after leaf, in every order, it yields their concatenation, and a leaf
// that fails (a bad checksum, or a body that breaks after some datoms were
// decoded) leaves what was gathered as it was.
// A hand-built EAVT leaf body of one datom [5 7 3 100 added] (flag 0x04:
// added, nothing shared with a previous datom).
std::string OneDatomBody() {
  std::string one;
  one.push_back(0x04);
  coding::PutZigzag64(&one, 5);
  coding::PutZigzag64(&one, 7);
  coding::PutValue(&one, Value::Long(3));
  coding::PutZigzag64(&one, 100);
  return one;
}

TEST(SegmentTest, DecodeLeafAppendGathersLeavesOrLeavesTheVector) {
  std::mt19937_64 rng(11);
  for (Index order : kOrders) {
    std::vector<Datom> want, out;
    for (int leaf = 0; leaf < 5; ++leaf) {
      std::vector<Datom> ds;
      for (int i = 0; i < 300; ++i) ds.push_back(RandomDatom(rng, kTypes[rng() % std::size(kTypes)]));
      ds = Sorted(order, ds);
      Index got;
      ASSERT_TRUE(DecodeLeafAppend(EncodeLeaf(order, ds).value(), "l", &got, &out).ok());
      EXPECT_EQ(got, order);
      want.insert(want.end(), ds.begin(), ds.end());
      ASSERT_EQ(out, want) << IndexName(order) << " after leaf " << leaf;
    }
  }
  const std::vector<Datom> a = {{1, 7, Value::Long(1), 100, true}, {2, 7, Value::Long(2), 100, true}};
  std::vector<Datom> out = a;
  Index o;
  std::string bad = EncodeLeaf(Index::kEavt, a).value();
  bad[kHeader] ^= 0x40;
  EXPECT_TRUE(DecodeLeafAppend(bad, "bad", &o, &out).IsCorruption());
  EXPECT_EQ(out, a);
  // Datom 0 decodes, datom 1 is truncated: the decoded one is taken back.
  const std::string one = OneDatomBody();
  const Status st = DecodeLeafAppend(HandBuilt(1, Index::kEavt, 2, one), "half", &o, &out);
  EXPECT_TRUE(st.IsCorruption());
  EXPECT_NE(st.ToString().find("truncated datom 1"), std::string::npos) << st.ToString();
  EXPECT_EQ(out, a);
  // Trailing bytes after every datom decoded: also taken back.
  EXPECT_TRUE(DecodeLeafAppend(HandBuilt(1, Index::kEavt, 1, one + "x"), "tail", &o, &out).IsCorruption());
  EXPECT_EQ(out, a);
}

TEST(SegmentTest, MalformedBodiesNameTheOffset) {
  Index o;
  std::vector<Datom> ds;
  auto decode = [&](const std::string& seg) { return DecodeLeaf(seg, "0000000000000abc", &o, &ds); };
  const std::string one = OneDatomBody();

  struct Case {
    std::string seg, want;
  };
  std::string nil_body = one.substr(0, 3) + std::string(1, '\0') + one.substr(5);
  std::string unordered = one;
  unordered.push_back(0x00);
  coding::PutZigzag64(&unordered, -1);  // e goes back
  coding::PutZigzag64(&unordered, 0);
  coding::PutValue(&unordered, Value::Long(3));
  coding::PutZigzag64(&unordered, 0);
  const Case cases[] = {
      {HandBuilt(1, Index::kEavt, 2, one), "truncated datom 1 at body offset 7"},
      {HandBuilt(1, Index::kEavt, 1, one + "x"), "1 trailing bytes after 1 datoms at body offset 7"},
      {HandBuilt(1, Index::kEavt, 1, one.substr(0, 4)), "datom 0: malformed v at body offset 3"},
      {HandBuilt(1, Index::kEavt, 1, nil_body), "datom 0: nil value"},
      {HandBuilt(1, Index::kEavt, 1, "\x01" + one.substr(1)), "first datom refers to a previous one"},
      {HandBuilt(1, Index::kEavt, 1, "\x44" + one.substr(1)), "reserved flag bits"},
      {HandBuilt(1, Index::kEavt, 2, unordered), "datom 1 out of order at body offset 7"},
      {HandBuilt(1, Index::kEavt, 1, one, 0, static_cast<uint32_t>(one.size() + 1)), "header says"},
      {HandBuilt(1, Index::kEavt, kMaxSegmentDatoms + 1, one), "over the limit"},
      {HandBuilt(1, Index::kEavt, 1, one, 1, kMaxSegmentBodyBytes + 1), "body length 268435457 over the limit"},
      {HandBuilt(1, Index::kEavt, 0, "", 1), "compressed empty body"},
      {HandBuilt(1, Index::kEavt, 1, one, 1), "zstd"},
      {HandBuilt(1, static_cast<Index>(4), 1, one), "unknown order 4"},
      {HandBuilt(3, Index::kEavt, 1, one), "unknown kind 3"},
      {HandBuilt(1, Index::kEavt, 1, one, 2), "unknown flags"},
      // Version 1 sorted keywords as whole strings (docs/formats.md, Versions).
      {[&] {
         std::string v1 = HandBuilt(1, Index::kEavt, 1, one);
         v1[8] = 1;
         return v1;
       }(),
       "unsupported format version 1 (this strata reads version 2)"},
  };
  for (const Case& c : cases) {
    Status s = decode(c.seg);
    EXPECT_TRUE(s.IsCorruption()) << c.want << ": " << s.ToString();
    EXPECT_NE(s.message().find("segment 0000000000000abc: "), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(c.want), std::string::npos) << s.ToString();
  }
  EXPECT_TRUE(decode(HandBuilt(1, Index::kEavt, 1, one)).ok());

  // A zstd frame whose content size disagrees with the header.
  std::string z(ZSTD_compressBound(one.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), one.data(), one.size(), 1));
  EXPECT_TRUE(decode(HandBuilt(1, Index::kEavt, 1, z, 1, static_cast<uint32_t>(one.size()))).ok());
  Status s = decode(HandBuilt(1, Index::kEavt, 1, z, 1, static_cast<uint32_t>(one.size() + 1)));
  EXPECT_NE(s.message().find("content size"), std::string::npos) << s.ToString();
  s = decode(HandBuilt(1, Index::kEavt, 1, z + "junk", 1, static_cast<uint32_t>(one.size())));
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

std::vector<std::string> SmallSegments() {
  std::mt19937_64 rng(6);
  std::vector<Datom> mixed;
  for (int i = 0; i < 12; ++i) mixed.push_back(RandomDatom(rng, kTypes[i % std::size(kTypes)]));
  const std::vector<Datom> eavt = RealisticEavt(60);  // compresses
  std::vector<std::string> segs = {EncodeLeaf(Index::kAvet, Sorted(Index::kAvet, mixed)).value(),
                                   EncodeLeaf(Index::kEavt, eavt).value()};
  std::sort(mixed.begin(), mixed.end(), DatomLess{Index::kVaet});
  const std::vector<SegmentRef> refs = {{1, 10, 100, mixed[0], mixed[1]}, {2, 20, 200, mixed[2], mixed[3]}};
  segs.push_back(EncodeDirectory(Index::kVaet, refs).value());
  EXPECT_EQ(segs[0][11] & 1, 0);
  EXPECT_EQ(segs[1][11] & 1, 1);
  return segs;
}

Status DecodeAny(std::string_view bytes, std::vector<Datom>* ds, std::vector<SegmentRef>* refs) {
  Index o;
  if (bytes.size() > 9 && bytes[9] == 2) return DecodeDirectory(bytes, "f", &o, refs);
  return DecodeLeaf(bytes, "f", &o, ds);
}

TEST(SegmentTest, EveryBitFlipIsCorruption) {
  for (const std::string& seg : SmallSegments()) {
    std::vector<Datom> ds;
    std::vector<SegmentRef> refs;
    ASSERT_TRUE(DecodeAny(seg, &ds, &refs).ok());
    for (size_t i = 0; i < seg.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = seg;
        bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
        Index o;
        std::vector<Datom> d2;
        std::vector<SegmentRef> r2;
        // Try both decoders: a flipped kind byte must not turn one into the other.
        Status a = DecodeLeaf(bad, "f", &o, &d2);
        Status b = DecodeDirectory(bad, "f", &o, &r2);
        ASSERT_TRUE(a.IsCorruption()) << "byte " << i << " bit " << bit << ": " << a.ToString();
        ASSERT_TRUE(b.IsCorruption()) << "byte " << i << " bit " << bit << ": " << b.ToString();
        if (i >= 9) {  // past magic and version: the checksum catches it
          EXPECT_NE(a.message().find("checksum mismatch"), std::string::npos) << a.ToString();
        }
      }
    }
  }
}

TEST(SegmentTest, EveryTruncationAndExtensionIsCorruption) {
  for (const std::string& seg : SmallSegments()) {
    std::vector<Datom> ds;
    std::vector<SegmentRef> refs;
    for (size_t n = 0; n < seg.size(); ++n) {
      Status s = DecodeAny(std::string_view(seg).substr(0, n), &ds, &refs);
      ASSERT_TRUE(s.IsCorruption()) << "length " << n << ": " << s.ToString();
    }
    EXPECT_TRUE(DecodeAny(seg + '\0', &ds, &refs).IsCorruption());
  }
}

// Hostile input: random bytes, random mutations of real segments, and
// mutations resealed with a valid checksum so they reach the body parser
// and zstd. Nothing may crash; whatever decodes must be a sorted leaf.
TEST(SegmentTest, FuzzNeverCrashes) {
  std::mt19937_64 rng(20240601);
  std::vector<std::string> seeds = SmallSegments();
  // Raw bodies re-framed uncompressed, so mutations hit the datom parser
  // directly rather than zstd's frame checks.
  for (size_t i = 0, n = seeds.size(); i < n; ++i) {
    const std::string& s = seeds[i];
    seeds.push_back(HandBuilt(static_cast<uint8_t>(s[9]), static_cast<Index>(s[10]),
                              coding::DecodeFixed32(s.data() + 12), RawBody(s)));
  }
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bytes;
    const int mode = static_cast<int>(rng() % 4);
    if (mode == 0) {
      bytes = RandomString(rng, 200);
      if (rng() % 2) bytes = "STRATSEG" + bytes;
    } else {
      bytes = seeds[rng() % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = rng() % bytes.size();
        switch (rng() % 4) {
          case 0: bytes[pos] = static_cast<char>(rng()); break;
          case 1: bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8))); break;
          case 2: bytes.erase(pos, 1 + rng() % 4); break;
          case 3: bytes.insert(pos, 1 + rng() % 4, static_cast<char>(rng())); break;
        }
        if (bytes.size() < kHeader + kTrailer) break;
      }
      if (mode >= 2 && bytes.size() >= kHeader + kTrailer) {
        // Keep the framing plausible so the body is what gets tested.
        std::memcpy(bytes.data(), "STRATSEG\x01", 9);
        const uint32_t stored = static_cast<uint32_t>(bytes.size() - kHeader - kTrailer);
        if ((bytes[11] & 1) == 0) {
          std::string len;
          coding::PutFixed32(&len, stored);
          bytes.replace(16, 4, len);
        }
        Reseal(&bytes);
      }
    }
    std::vector<Datom> ds;
    std::vector<SegmentRef> refs;
    Index o;
    Status a = DecodeLeaf(bytes, "f", &o, &ds);
    Status b = DecodeDirectory(bytes, "f", &o, &refs);
    ASSERT_TRUE(a.ok() || a.IsCorruption()) << a.ToString();
    ASSERT_TRUE(b.ok() || b.IsCorruption()) << b.ToString();
    if (a.ok()) {
      ++ok;
      ASSERT_TRUE(std::is_sorted(ds.begin(), ds.end(), DatomLess{o}));
      // Whatever decoded re-encodes to something that decodes the same.
      std::vector<Datom> again;
      Index o2;
      ASSERT_TRUE(DecodeLeaf(EncodeLeaf(o, ds).value(), "g", &o2, &again).ok());
      ASSERT_EQ(again, ds);
    }
  }
  std::printf("fuzz: %d of 20000 mutated inputs decoded as valid leaves\n", ok);
}

}  // namespace
}  // namespace strata
