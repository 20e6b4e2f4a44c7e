// EDN nodes: equality (and the hashing behind it), kind names.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "edn/edn_test_util.h"
#include "strata/edn.h"

namespace strata::edn {
namespace {

TEST(Edn, Equality) {
  EXPECT_EQ(Read("{:a 1 :b 2}"), Read("{:b 2 :a 1}"));
  EXPECT_FALSE(Read("{:a 1 :b 2}") == Read("{:a 2 :b 1}"));
  EXPECT_FALSE(Read("{:a 1}") == Read("{:a 1 :b 2}"));
  EXPECT_EQ(Read("#{1 2 3}"), Read("#{3 1 2}"));
  EXPECT_FALSE(Read("#{1 2 3}") == Read("#{3 1 4}"));
  EXPECT_FALSE(Read("[1 2]") == Read("(1 2)"));
  EXPECT_FALSE(Read("[1 2]") == Read("[2 1]"));
  EXPECT_FALSE(Read("1") == Read("1.0"));
  EXPECT_FALSE(Read("\"a\"") == Read(":a"));
  EXPECT_FALSE(Read(":a") == Read("a"));
  EXPECT_EQ(Read("\n\n   [1]"), Node::Vector({Node::Long(1)}));  // positions are ignored
  EXPECT_EQ(Node::Double(0.0), Node::Double(-0.0));
  EXPECT_EQ(Node::Double(std::nan("")), Node::Double(std::nan("")));
  EXPECT_FALSE(Read("#a 1") == Read("#b 1"));
  EXPECT_EQ(Read("#a 1"), Read("#a 1"));
  // Sets built in code may hold duplicates: equality counts them.
  EXPECT_FALSE(Node::Set({Node::Long(1), Node::Long(1), Node::Long(2)}) ==
               Node::Set({Node::Long(1), Node::Long(2), Node::Long(2)}));
  // Large unordered collections (hashed comparison).
  std::vector<Node> a, b;
  for (int i = 0; i < 500; ++i) {
    a.push_back(Node::Keyword("k" + std::to_string(i)));
    a.push_back(Node::Long(i));
  }
  for (int i = 499; i >= 0; --i) {
    b.push_back(Node::Keyword("k" + std::to_string(i)));
    b.push_back(Node::Long(i));
  }
  EXPECT_EQ(Node::Map(a), Node::Map(b));
  b[1] = Node::Long(-1);
  EXPECT_FALSE(Node::Map(a) == Node::Map(b));
}

TEST(Edn, KindNames) {
  EXPECT_STREQ(KindName(Kind::kNil), "nil");
  EXPECT_STREQ(KindName(Kind::kKeyword), "keyword");
  EXPECT_STREQ(KindName(Kind::kMap), "map");
  EXPECT_STREQ(KindName(Kind::kTagged), "tagged");
  EXPECT_STREQ(KindName(Read("#inst \"2014-05-19\"").kind), "inst");
}

}  // namespace
}  // namespace strata::edn
