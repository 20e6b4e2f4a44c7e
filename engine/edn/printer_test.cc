// The EDN printer: text, round trips of documents and random trees.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "edn/edn_test_util.h"
#include "edn/utf8.h"
#include "strata/edn.h"

namespace strata::edn {
namespace {

TEST(Edn, Print) {
  EXPECT_EQ(Print(Node::Nil()), "nil");
  EXPECT_EQ(Print(Node::Bool(true)), "true");
  EXPECT_EQ(Print(Node::Bool(false)), "false");
  EXPECT_EQ(Print(Node::Long(-42)), "-42");
  EXPECT_EQ(Print(Node::Long(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(Print(Node::Double(1.5)), "1.5");
  EXPECT_EQ(Print(Node::Double(100)), "100.0");
  EXPECT_EQ(Print(Node::Double(-0.0)), "-0.0");
  EXPECT_EQ(Print(Node::Double(0.1)), "0.1");
  EXPECT_EQ(Print(Node::Double(1e21)), "1e+21");
  EXPECT_EQ(Print(Node::Double(std::numeric_limits<double>::infinity())), "##Inf");
  EXPECT_EQ(Print(Node::Double(-std::numeric_limits<double>::infinity())), "##-Inf");
  EXPECT_EQ(Print(Node::Double(std::nan(""))), "##NaN");
  EXPECT_EQ(Print(Node::String("a\"b\\c\nd\te\rf\bg\fh\x01i\x7f")),
            R"("a\"b\\c\nd\te\rf\bg\fh\u0001i\u007f")");
  EXPECT_EQ(Print(Node::String("caf\xc3\xa9")), "\"caf\xc3\xa9\"");
  EXPECT_EQ(Print(Node::Keyword("db/ident")), ":db/ident");
  EXPECT_EQ(Print(Node::Symbol("?x")), "?x");
  EXPECT_EQ(Print(Node::Inst(1400520048200)), "#inst \"2014-05-19T17:20:48.200-00:00\"");
  Uuid u;
  ASSERT_TRUE(Uuid::Parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", &u));
  EXPECT_EQ(Print(Node::FromUuid(u)), "#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\"");
  EXPECT_EQ(Print(Node::Vector({Node::Long(1), Node::Long(2), Node::Long(3)})), "[1 2 3]");
  EXPECT_EQ(Print(Node::List({Node::Symbol("a"), Node::Symbol("b")})), "(a b)");
  EXPECT_EQ(Print(Node::Set({Node::Long(1), Node::Long(2)})), "#{1 2}");
  EXPECT_EQ(Print(Node::Map({Node::Keyword("a"), Node::Long(1), Node::Keyword("b"), Node::Long(2)})),
            "{:a 1, :b 2}");
  EXPECT_EQ(Print(Node::Vector()), "[]");
  EXPECT_EQ(Print(Node::Map()), "{}");
  EXPECT_EQ(Print(Read("#db/id [:db.part/user -1]")), "#db/id [:db.part/user -1]");
  std::string out = "x=";
  PrintTo(Node::Long(5), &out);
  EXPECT_EQ(out, "x=5");
}

TEST(Edn, RoundTripsDocuments) {
  const char* docs[] = {
      ("[{:db/id #db/id[:db.part/user -1] :person/name \"Ann \\\"A\\\" \\u00e9\" :person/age 42}"
       " [:db/add -1 :person/tags #{:a :b}] [:db.fn/retractEntity [:person/email \"a@b.c\"]]]"),
      "[:find ?e ?n :in $ % :where [?e :person/name ?n] (rule ?e) [(> ?age 21)] [(str ?n \"!\") ?s]]",
      "{:nil nil :t true :f false :d -1.25e-7 :inf ##Inf :ninf ##-Inf :nan ##NaN :big 9223372036854775807}",
      "(#uuid \"00000000-0000-0000-0000-000000000000\" #inst \"1969-07-20T20:17:40Z\" \\c \\newline)",
      "#{[1 2] (1 2) {:a #{}} \"\" ##NaN}",
  };
  for (const char* doc : docs) {
    Node n = Read(doc);
    std::string printed = RoundTrip(n);
    // Printing is a fixed point after one round.
    EXPECT_EQ(Print(Read(printed)), printed);
  }
}

// Random trees over every kind, printed and read back.
Node RandomNode(std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  static const char* kNames[] = {"a", "db/id", "x.y/z-w?", "?e", "+", "-", "...", "_", "$", "a'"};
  int k = pick(depth > 4 ? 9 : 14);
  switch (k) {
    case 0: return Node::Nil();
    case 1: return Node::Bool(pick(2) == 1);
    case 2: return Node::Long(static_cast<int64_t>((uint64_t{rng()} << 32) | rng()) >> pick(64));
    case 3: {
      double d = std::bit_cast<double>((uint64_t{rng()} << 32) | rng());
      return Node::Double(pick(3) == 0 ? d : std::ldexp(static_cast<double>(rng()), pick(80) - 40));
    }
    case 4: {
      // Any code point but the surrogates: strings are UTF-8 (reader_test's
      // InvalidUtf8 shows other bytes refused).
      std::string s;
      int len = pick(12);
      for (int i = 0; i < len; ++i) {
        uint32_t cp = pick(2) ? static_cast<uint32_t>(pick(256)) : static_cast<uint32_t>(rng() % 0x110000);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
        AppendUtf8(cp, &s);
      }
      return Node::String(s);
    }
    case 5: return Node::Keyword(kNames[pick(10)]);
    case 6: return Node::Symbol(kNames[pick(10)]);
    case 7: return Node::Inst(static_cast<int64_t>((uint64_t{rng()} << 32) | rng()) >> pick(64));
    case 8: {
      Uuid u{(uint64_t{rng()} << 32) | rng(), (uint64_t{rng()} << 32) | rng()};
      return Node::FromUuid(u);
    }
    default: break;
  }
  std::vector<Node> items;
  int n = pick(6);
  for (int i = 0; i < n; ++i) items.push_back(RandomNode(rng, depth + 1));
  switch (k) {
    case 9: return Node::Vector(std::move(items));
    case 10: return Node::List(std::move(items));
    case 11: {
      // Distinct keys: index-tagged keywords.
      std::vector<Node> kvs;
      for (size_t i = 0; i < items.size(); ++i) {
        kvs.push_back(Node::Keyword("k" + std::to_string(i)));
        kvs.push_back(std::move(items[i]));
      }
      return Node::Map(std::move(kvs));
    }
    case 12: {
      std::vector<Node> distinct;
      for (int i = 0; i < n; ++i) distinct.push_back(Node::Long(i * 7 - 3));
      return Node::Set(std::move(distinct));
    }
    default: {
      Node t;
      t.kind = Kind::kTagged;
      t.s = "my/tag";
      t.items.push_back(RandomNode(rng, depth + 1));
      return t;
    }
  }
}

TEST(Edn, RandomRoundTrips) {
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    Node n = RandomNode(rng, 0);
    RoundTrip(n);
    if (HasFailure()) {
      ADD_FAILURE() << "iteration " << i;
      return;
    }
  }
}

TEST(Edn, DoublesRoundTripBitExactly) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    double d = std::bit_cast<double>(static_cast<uint64_t>(rng()));
    if (std::isnan(d)) continue;
    auto r = ReadOne(Print(Node::Double(d)));
    ASSERT_TRUE(r.ok()) << Print(Node::Double(d));
    ASSERT_EQ(std::bit_cast<uint64_t>(r->d), std::bit_cast<uint64_t>(d)) << Print(Node::Double(d));
  }
}

}  // namespace
}  // namespace strata::edn
