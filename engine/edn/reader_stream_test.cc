// The EDN reader: positions, streaming, limits, hostile input.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "edn/edn_test_util.h"
#include "strata/edn.h"

namespace strata::edn {
namespace {

TEST(Edn, Positions) {
  auto r = ReadAll("[:a\n  {:b 1}]\n\n  \"s\" x\n#inst \"2014-05-19\"");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<Node>& forms = *r;
  ASSERT_EQ(forms.size(), 4u);
  EXPECT_EQ(forms[0].line, 1);
  EXPECT_EQ(forms[0].col, 1);
  EXPECT_EQ(forms[0].items[0].col, 2);
  EXPECT_EQ(forms[0].items[1].line, 2);
  EXPECT_EQ(forms[0].items[1].col, 3);
  EXPECT_EQ(forms[0].items[1].items[1].col, 7);
  EXPECT_EQ(forms[1].line, 4);
  EXPECT_EQ(forms[1].col, 3);
  EXPECT_EQ(forms[2].line, 4);
  EXPECT_EQ(forms[2].col, 7);
  EXPECT_EQ(forms[3].line, 5);
  EXPECT_EQ(forms[3].col, 1);
  EXPECT_EQ(forms[1].Where(), "line 4, column 3");
  EXPECT_EQ(Node::Long(1).Where(), "");
  // Newlines inside strings and character literals count.
  auto r2 = ReadAll("\"a\nb\" \\\n x");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)[2].line, 3);
  EXPECT_EQ((*r2)[2].col, 2);
}

TEST(Edn, ReaderStreamsForms) {
  std::string text = "[:db/add 1 :a 1]\n[:db/add 2 :a 2] ; c\n{:x 3}  ";
  Reader reader(text);
  Node n;
  Status st;
  ASSERT_TRUE(reader.Next(&n, &st));
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(n.items[1].i, 1);
  ASSERT_TRUE(reader.Next(&n, &st));
  EXPECT_EQ(n.items[1].i, 2);
  EXPECT_EQ(n.line, 2);
  ASSERT_TRUE(reader.Next(&n, &st));
  EXPECT_TRUE(n.is(Kind::kMap));
  EXPECT_EQ(n.line, 3);
  EXPECT_FALSE(reader.Next(&n, &st));
  EXPECT_TRUE(st.ok());
  EXPECT_FALSE(reader.Next(&n, &st));
  EXPECT_TRUE(st.ok());

  // An error stops the stream and repeats: the reader does not skip ahead.
  Reader bad("1 [2 3) 4");
  ASSERT_TRUE(bad.Next(&n, &st));
  EXPECT_FALSE(bad.Next(&n, &st));
  EXPECT_EQ(st.message(), "EDN 1:7: unexpected ')', expected ']' to close the vector at 1:3");
  EXPECT_FALSE(bad.Next(&n, &st));
  EXPECT_EQ(st.message(), "EDN 1:7: unexpected ')', expected ']' to close the vector at 1:3");

  Reader empty("");
  EXPECT_FALSE(empty.Next(&n, nullptr));

  auto all = ReadAll("1 2 3");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_TRUE(ReadAll("").ok());
  EXPECT_TRUE(ReadAll(" ; only a comment").value().empty());
  EXPECT_EQ(ReadAll("1 2 (").status().message(), "EDN 1:5: unterminated list");
}

TEST(Edn, DepthLimit) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_EQ(ReadError(nested(kMaxDepth)), "OK");
  EXPECT_EQ(ReadError(nested(kMaxDepth + 1)),
            "EDN 1:" + std::to_string(kMaxDepth + 1) + ": nesting too deep");
  EXPECT_EQ(ReadError(std::string(100000, '[')), "EDN 1:257: nesting too deep");
  EXPECT_EQ(ReadError(std::string(100000, '{')), "EDN 1:257: nesting too deep");
  std::string mixed;
  for (int i = 0; i < 50000; ++i) mixed += "#{(";
  EXPECT_EQ(ReadError(mixed), "EDN 1:" + std::to_string(128 * 3 + 1) + ": nesting too deep");
  std::string discards;
  for (int i = 0; i < 100000; ++i) discards += "#_";
  EXPECT_EQ(ReadError(discards + "1"), "EDN 1:513: nesting too deep");
  std::string tags;
  for (int i = 0; i < 100000; ++i) tags += "#t ";
  EXPECT_EQ(ReadError(tags + "1"), "EDN 1:769: nesting too deep");
  Node deep = Read(nested(kMaxDepth));
  RoundTrip(deep);
}

TEST(Edn, TokenLimit) {
  std::string s = "\"" + std::string(kMaxToken + 1, 'a') + "\"";
  EXPECT_EQ(ReadError(s), "EDN 1:1: string too long");
  // With an escape the limit applies to the decoded text.
  std::string escaped = "\"\\n" + std::string(kMaxToken, 'a') + "\"";
  EXPECT_EQ(ReadError(escaped), "EDN 1:1: string too long");
  std::string sym = "[ " + std::string(kMaxToken + 1, 'x') + "]";
  EXPECT_EQ(ReadError(sym), "EDN 1:3: token too long");
  std::string ok = "\"" + std::string(kMaxToken, 'a') + "\"";
  EXPECT_EQ(ReadError(ok), "OK");
}

// Hostile input must never crash or read out of bounds (ASan checks the
// latter); whatever reads must also print and read back equal.
void CheckSurvives(std::string_view text) {
  auto all = ReadAll(text);
  if (all.ok()) {
    for (const Node& n : *all) {
      auto back = ReadOne(Print(n));
      ASSERT_TRUE(back.ok()) << Print(n) << ": " << back.status().ToString();
      ASSERT_TRUE(*back == n) << Print(n);
    }
  } else {
    ASSERT_TRUE(all.status().message().starts_with("EDN ")) << all.status().message();
  }
  (void)ReadOne(text);
}

TEST(Edn, HostileRandomBytes) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 4000; ++i) {
    std::string text(rng() % 64, '\0');
    for (char& c : text) c = static_cast<char>(rng());
    CheckSurvives(text);
  }
}

TEST(Edn, HostileEdnAlphabet) {
  // Bytes drawn from EDN's own syntax reach far deeper into the reader than
  // uniform random bytes.
  static const char kAlphabet[] = "[](){}#_:;\"\\ ,\n1-+.eEMN/a?uinstd0x'%$";
  const size_t alphabet = sizeof kAlphabet - 1;
  std::mt19937 rng(99);
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 48, '\0');
    for (char& c : text) c = kAlphabet[rng() % alphabet];
    CheckSurvives(text);
  }
}

TEST(Edn, HostileMutations) {
  const std::string seed =
      "[{:db/id #db/id[:db.part/user -1] :a \"x\\u00e9\\n\" :b 1.5e3 :c #{1 2} :d \\newline}"
      " #inst \"2014-05-19T17:20:48.200+02:00\" #uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\" #_ (x) ##NaN]";
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string text = seed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (at < text.size()) text.erase(at, 1);
          break;
        case 1: text.insert(at, 1, static_cast<char>(rng())); break;
        default:
          if (at < text.size()) text[at] = seed[rng() % seed.size()];
          break;
      }
    }
    // Truncations are the commonest real-world corruption.
    CheckSurvives(text);
    CheckSurvives(std::string_view(text).substr(0, rng() % (text.size() + 1)));
  }
}

}  // namespace
}  // namespace strata::edn
