// The EDN reader: scalars, collections, comments, tagged literals.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "edn/edn_test_util.h"
#include "strata/edn.h"

namespace strata::edn {
namespace {

TEST(Edn, NilAndBooleans) {
  EXPECT_TRUE(Read("nil").is(Kind::kNil));
  Node t = Read("true");
  EXPECT_TRUE(t.is(Kind::kBool));
  EXPECT_TRUE(t.b);
  Node f = Read(" false ");
  EXPECT_TRUE(f.is(Kind::kBool));
  EXPECT_FALSE(f.b);
  // Prefixes of literals are symbols.
  EXPECT_TRUE(Read("nilly").is_symbol("nilly"));
  EXPECT_TRUE(Read("true?").is_symbol("true?"));
}

TEST(Edn, Longs) {
  EXPECT_EQ(Read("0").i, 0);
  EXPECT_EQ(Read("42").i, 42);
  EXPECT_EQ(Read("-17").i, -17);
  EXPECT_EQ(Read("+7").i, 7);
  EXPECT_EQ(Read("-0").i, 0);
  EXPECT_EQ(Read("9223372036854775807").i, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Read("-9223372036854775808").i, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ReadError("9223372036854775808"), "EDN 1:1: integer out of range 9223372036854775808");
  EXPECT_EQ(ReadError("[1 -9223372036854775809]"), "EDN 1:4: integer out of range -9223372036854775809");
  EXPECT_EQ(ReadError("007N"), "EDN 1:1: invalid number 007N (leading zero)");
  EXPECT_EQ(ReadError("007"), "EDN 1:1: invalid number 007 (leading zero)");
  EXPECT_EQ(ReadError("1/2"), "EDN 1:1: invalid number 1/2");
  EXPECT_EQ(ReadError("0x10"), "EDN 1:1: invalid number 0x10");
  EXPECT_EQ(ReadError("12abc"), "EDN 1:1: invalid number 12abc");
  EXPECT_EQ(ReadError("-1N2"), "EDN 1:1: invalid number -1N2");
}

// Clojure reads 42N as a BigInt and 2.5M as a BigDecimal, at any size
// (https://github.com/edn-format/edn#integers, #floating-point-numbers):
// the node keeps the canonical text; a bigdec keeps its scale.
TEST(Edn, BigIntsAndBigDecs) {
  auto big = [](std::string_view text, Kind kind) {
    Node n = Read(text);
    EXPECT_TRUE(n.is(kind)) << text << " is a " << KindName(n.kind);
    return n.s;
  };
  EXPECT_EQ(big("42N", Kind::kBigInt), "42");
  EXPECT_EQ(big("-0N", Kind::kBigInt), "0");
  EXPECT_EQ(big("+99999999999999999999N", Kind::kBigInt), "99999999999999999999");
  EXPECT_EQ(big("2.50M", Kind::kBigDec), "2.50");
  EXPECT_EQ(big("1M", Kind::kBigDec), "1");
  EXPECT_EQ(big("-1.5e2M", Kind::kBigDec), "-150");
  EXPECT_EQ(big("3.M", Kind::kBigDec), "3");
  for (const char* text : {"42N", "-7N", "123456789012345678901234567890N", "2.50M", "0.001M", "-1M"}) {
    EXPECT_EQ(Print(Read(text)), text);
    EXPECT_EQ(Read(Print(Read(text))), Read(text));
  }
  EXPECT_NE(Read("1.0M"), Read("1.00M"));
}

TEST(Edn, Doubles) {
  auto d = [](std::string_view text) {
    Node n = Read(text);
    EXPECT_TRUE(n.is(Kind::kDouble)) << text;
    return n.d;
  };
  EXPECT_EQ(d("1.5"), 1.5);
  EXPECT_EQ(d("-2.0"), -2.0);
  EXPECT_EQ(d("+0.25"), 0.25);
  EXPECT_EQ(d("1e10"), 1e10);
  EXPECT_EQ(d("1E10"), 1e10);
  EXPECT_EQ(d("1.5e-3"), 1.5e-3);
  EXPECT_EQ(d("2.5E+3"), 2500.0);
  EXPECT_EQ(d("3."), 3.0);
  EXPECT_EQ(d("0.1"), 0.1);
  EXPECT_EQ(d("5e-324"), 5e-324);
  EXPECT_TRUE(std::signbit(d("-0.0")));
  EXPECT_EQ(d("##Inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(d("##-Inf"), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(d("##NaN")));
  EXPECT_EQ(ReadError("1e"), "EDN 1:1: invalid number 1e");
  EXPECT_EQ(ReadError("1.5N"), "EDN 1:1: invalid number 1.5N");
  EXPECT_EQ(ReadError("1.2.3"), "EDN 1:1: invalid number 1.2.3");
  EXPECT_EQ(ReadError("1e400"), "EDN 1:1: float out of range 1e400");
  EXPECT_EQ(ReadError("##Infinity"), "EDN 1:1: unknown symbolic value ##Infinity");
}

TEST(Edn, Strings) {
  EXPECT_EQ(Read(R"("")").s, "");
  EXPECT_EQ(Read(R"("hello")").s, "hello");
  Node n = Read(R"("a\nb\tc\rd\"e\\f\bg\fh")");
  EXPECT_TRUE(n.is(Kind::kString));
  EXPECT_EQ(n.s, "a\nb\tc\rd\"e\\f\bg\fh");
  EXPECT_EQ(Read(R"("caf\u00e9")").s, "caf\xc3\xa9");
  EXPECT_EQ(Read(R"("\u0041\u20AC")").s, "A\xe2\x82\xac");
  EXPECT_EQ(Read(R"("\ud83d\ude00")").s, "\xf0\x9f\x98\x80");  // a surrogate pair is one code point
  EXPECT_EQ(Read(R"("\u0000")").s, std::string(1, '\0'));
  EXPECT_EQ(Read("\"multi\nline\"").s, "multi\nline");
  EXPECT_EQ(Read("\"raw \xc3\xa9 utf8\"").s, "raw \xc3\xa9 utf8");
  EXPECT_EQ(ReadError(R"("abc)"), "EDN 1:1: unterminated string");
  EXPECT_EQ(ReadError("[1\n  \"abc\\\""), "EDN 2:3: unterminated string");
  EXPECT_EQ(ReadError(R"("abc\)"), "EDN 1:1: unterminated string");
  EXPECT_EQ(ReadError(R"(  "ab\qc")"), "EDN 1:6: unknown escape \\q");
  EXPECT_EQ(ReadError("\"x\ny\\z\""), "EDN 2:2: unknown escape \\z");
  EXPECT_EQ(ReadError(R"("\u12")"), "EDN 1:2: invalid \\u escape");
  EXPECT_EQ(ReadError(R"("\u12G4")"), "EDN 1:2: invalid \\u escape");
  EXPECT_EQ(ReadError(R"("\ud83d")"), "EDN 1:2: unpaired surrogate in \\u escape");
  EXPECT_EQ(ReadError(R"("\ude00")"), "EDN 1:2: unpaired surrogate in \\u escape");
}

TEST(Edn, Characters) {
  EXPECT_EQ(Read("\\a").s, "a");
  EXPECT_TRUE(Read("\\a").is(Kind::kString));
  EXPECT_EQ(Read("\\newline").s, "\n");
  EXPECT_EQ(Read("\\space").s, " ");
  EXPECT_EQ(Read("\\tab").s, "\t");
  EXPECT_EQ(Read("\\return").s, "\r");
  EXPECT_EQ(Read("\\backspace").s, "\b");
  EXPECT_EQ(Read("\\formfeed").s, "\f");
  EXPECT_EQ(Read("\\u00e9").s, "\xc3\xa9");
  EXPECT_EQ(Read("\\u").s, "u");
  EXPECT_EQ(Read("\\\xc3\xa9").s, "\xc3\xa9");
  // A backslash ends a character token, so "\\b\\c" is two characters.
  Node v = Read("[\\a \\( \\) \\\\ \\\" \\b\\c]");
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v.items[1].s, "(");
  EXPECT_EQ(v.items[2].s, ")");
  EXPECT_EQ(v.items[3].s, "\\");
  EXPECT_EQ(v.items[4].s, "\"");
  EXPECT_EQ(v.items[5].s, "b");
  EXPECT_EQ(v.items[6].s, "c");
  EXPECT_EQ(ReadError("\\"), "EDN 1:1: unterminated character literal");
  EXPECT_EQ(ReadError("[1 \\foo]"), "EDN 1:4: unsupported character \\foo");
  EXPECT_EQ(ReadError("\\ud800"), "EDN 1:1: surrogate character literal");
  EXPECT_EQ(ReadError("\\\xff"), "EDN 1:1: invalid UTF-8 in character literal");
}

TEST(Edn, Keywords) {
  Node k = Read(":a");
  EXPECT_TRUE(k.is(Kind::kKeyword));
  EXPECT_EQ(k.s, "a");
  EXPECT_TRUE(Read(":db/ident").is_keyword("db/ident"));
  EXPECT_TRUE(Read(":a.b/c-d?").is_keyword("a.b/c-d?"));
  EXPECT_TRUE(Read(":db.part/user").is_keyword("db.part/user"));
  EXPECT_TRUE(Read(":person/friend*").is_keyword("person/friend*"));
  EXPECT_TRUE(Read(":_").is_keyword("_"));
  EXPECT_TRUE(Read(":1").is_keyword("1"));
  EXPECT_TRUE(Read(":a:b").is_keyword("a:b"));
  EXPECT_EQ(ReadError(":"), "EDN 1:1: invalid keyword :");
  EXPECT_EQ(ReadError("[:a :b/]"), "EDN 1:5: invalid keyword :b/");
  EXPECT_EQ(ReadError("::a"), "EDN 1:1: auto-resolved keywords (::) are not supported");
  EXPECT_EQ(ReadError(":a@b"), "EDN 1:1: invalid keyword :a@b");
}

TEST(Edn, Symbols) {
  for (const char* s : {"foo", "?x", "$", "%", "...", "_", "+", "-", "ns/name", "-foo", "+bar", "->x", "<=",
                        "a'b", "a#", "*", "!", "&", "=", "/", "?e1", "clojure.core/map", "a:b", ".method"}) {
    Node n = Read(s);
    EXPECT_TRUE(n.is(Kind::kSymbol)) << s;
    EXPECT_EQ(n.s, s);
  }
  EXPECT_TRUE(Read("-").is_symbol("-"));
  EXPECT_EQ(ReadError(".5"), "EDN 1:1: invalid symbol .5");
  EXPECT_EQ(ReadError("a/"), "EDN 1:1: invalid symbol a/");
  EXPECT_EQ(ReadError("/a"), "EDN 1:1: invalid symbol /a");
  EXPECT_EQ(ReadError("a@b"), "EDN 1:1: invalid character '@' in symbol");
  EXPECT_EQ(ReadError("  @x"), "EDN 1:3: unexpected '@'");
  EXPECT_EQ(ReadError("'x"), "EDN 1:1: unexpected '''");
  EXPECT_EQ(ReadError("`x"), "EDN 1:1: unexpected '`'");
}

TEST(Edn, Collections) {
  Node v = Read("[1 2.5 \"three\" :four five]");
  ASSERT_TRUE(v.is(Kind::kVector));
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v.items[0].i, 1);
  EXPECT_EQ(v.items[1].d, 2.5);
  EXPECT_EQ(v.items[2].s, "three");
  EXPECT_TRUE(v.items[3].is_keyword("four"));
  EXPECT_TRUE(v.items[4].is_symbol("five"));
  EXPECT_TRUE(v.is_seq());

  Node l = Read("(a (b) ())");
  ASSERT_TRUE(l.is(Kind::kList));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_TRUE(l.items[1].is(Kind::kList));
  EXPECT_EQ(l.items[2].size(), 0u);

  Node m = Read("{:a 1 :b {:c [2]} \"s\" nil}");
  ASSERT_TRUE(m.is(Kind::kMap));
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.items.size(), 6u);
  ASSERT_NE(m.Get("a"), nullptr);
  EXPECT_EQ(m.Get("a")->i, 1);
  ASSERT_NE(m.Get("b"), nullptr);
  EXPECT_EQ(m.Get("b")->Get("c")->items[0].i, 2);
  EXPECT_EQ(m.Get("missing"), nullptr);
  EXPECT_EQ(m.Get("s"), nullptr);  // a string key is not a keyword key
  EXPECT_EQ(v.Get("a"), nullptr);  // not a map

  Node s = Read("#{1 :a \"x\" [1 2]}");
  ASSERT_TRUE(s.is(Kind::kSet));
  EXPECT_EQ(s.size(), 4u);
  EXPECT_TRUE(Read("#{}").is(Kind::kSet));
  EXPECT_TRUE(Read("{}").is(Kind::kMap));
  EXPECT_TRUE(Read("[]").is(Kind::kVector));
  EXPECT_TRUE(Read("()").is(Kind::kList));

  // Adjacent forms need no whitespace between them.
  Node tight = Read("[[1][2]{:a[3]}#{4}\"s\"(5)]");
  EXPECT_EQ(tight.size(), 6u);
}

TEST(Edn, MapAndSetErrors) {
  EXPECT_EQ(ReadError("{:a 1 :b}"), "EDN 1:1: map with odd number of forms");
  EXPECT_EQ(ReadError("[0\n {:a}]"), "EDN 2:2: map with odd number of forms");
  EXPECT_EQ(ReadError("{:a 1 :b 2 :a 3}"), "EDN 1:12: duplicate map key :a");
  EXPECT_EQ(ReadError("#{1 2 1}"), "EDN 1:7: duplicate set element 1");
  EXPECT_EQ(ReadError("#{[1 2] [1 2]}"), "EDN 1:9: duplicate set element [1 2]");
  EXPECT_EQ(ReadError("{{:a 1 :b 2} 1 {:b 2 :a 1} 2}"), "EDN 1:16: duplicate map key {:b 2, :a 1}");
  // 1 and 1.0 are different values; so are a vector and a list.
  EXPECT_EQ(ReadError("#{1 1.0 [1] (1)}"), "OK");
  // Large collections take the hashed path.
  std::string big = "{";
  for (int i = 0; i < 1000; ++i) big += ":k" + std::to_string(i) + " " + std::to_string(i) + " ";
  EXPECT_EQ(ReadError(big + "}"), "OK");
  EXPECT_EQ(ReadError(big + ":k500 0}"),
            "EDN 1:" + std::to_string(big.size() + 1) + ": duplicate map key :k500");
  std::string big_set = "#{";
  for (int i = 0; i < 1000; ++i) big_set += std::to_string(i) + " ";
  EXPECT_EQ(ReadError(big_set + "}"), "OK");
  EXPECT_EQ(ReadError(big_set + "7}"),
            "EDN 1:" + std::to_string(big_set.size() + 1) + ": duplicate set element 7");
  EXPECT_EQ(ReadError("#{0.0 -0.0}"), "EDN 1:7: duplicate set element -0.0");
}

TEST(Edn, DelimiterErrors) {
  EXPECT_EQ(ReadError(")"), "EDN 1:1: unexpected ')'");
  EXPECT_EQ(ReadError("[1 2]\n  ]"), "EDN 2:3: unexpected ']'");
  EXPECT_EQ(ReadError("[1 2)"), "EDN 1:5: unexpected ')', expected ']' to close the vector at 1:1");
  EXPECT_EQ(ReadError("{:a (1 2]}"), "EDN 1:9: unexpected ']', expected ')' to close the list at 1:5");
  EXPECT_EQ(ReadError("[1 2"), "EDN 1:1: unterminated vector");
  EXPECT_EQ(ReadError("\n\n  (1 [2]"), "EDN 3:3: unterminated list");
  EXPECT_EQ(ReadError("{:a 1"), "EDN 1:1: unterminated map");
  EXPECT_EQ(ReadError("#{1"), "EDN 1:1: unterminated set");
  EXPECT_EQ(ReadError(""), "EDN 1:1: expected a form, found end of input");
  EXPECT_EQ(ReadError("  ; nothing\n  "), "EDN 2:3: expected a form, found end of input");
  EXPECT_EQ(ReadError("1 2"), "EDN 1:3: unexpected second form (expected exactly one)");
  EXPECT_EQ(ReadError("1 )"), "EDN 1:3: unexpected ')'");
  EXPECT_EQ(ReadError("#"), "EDN 1:1: unexpected end of input after '#'");
  EXPECT_EQ(ReadError("#(+ 1 2)"), "EDN 1:1: unsupported dispatch: '#' followed by '('");
  EXPECT_EQ(ReadError("#\"re\""), "EDN 1:1: unsupported dispatch: '#' followed by '\"'");
  EXPECT_EQ(ReadError("[\x01]"), "EDN 1:2: unexpected byte 0x01");
}

TEST(Edn, CommentsCommasAndDiscard) {
  Node v = Read("; leading comment\n[1, 2,,3 ; trailing\n 4]; after\n");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.items[3].i, 4);
  EXPECT_EQ(v.items[3].line, 3);
  EXPECT_EQ(Read("{:a 1, :b 2}").size(), 2u);
  EXPECT_EQ(Read("[1 #_2 3]").size(), 2u);
  EXPECT_EQ(Read("[1 #_ #_ 2 3 4]"), Node::Vector({Node::Long(1), Node::Long(4)}));
  EXPECT_EQ(Read("[#_[nested #_ discard] x]"), Node::Vector({Node::Symbol("x")}));
  EXPECT_EQ(Read("#_ {:ignored 1} :kept"), Node::Keyword("kept"));
  EXPECT_EQ(Read("[1 #_2]"), Node::Vector({Node::Long(1)}));
  EXPECT_EQ(Read("{:a #_:b 1}").size(), 1u);
  EXPECT_EQ(Read(":x #_ :trailing-discard"), Node::Keyword("x"));
  EXPECT_EQ(Read("#!shebang comment\n7").i, 7);
  EXPECT_EQ(ReadError("#_"), "EDN 1:1: #_ without a form to discard");
  EXPECT_EQ(ReadError("[1 #_]"), "EDN 1:6: unexpected ']'");
  // The inner #_ takes the 1, leaving the outer one without a form.
  EXPECT_EQ(ReadError("#_ #_ 1"), "EDN 1:1: #_ without a form to discard");
  EXPECT_EQ(ReadError("[#_ )]"), "EDN 1:5: unexpected ')'");
  // A discarded form must still be well formed.
  EXPECT_EQ(ReadError("[#_ {:a} 1]"), "EDN 1:5: map with odd number of forms");
  EXPECT_EQ(Read("\xEF\xBB\xBF:bom").col, 1);
  // U+FEFF between forms is whitespace, so no symbol starts with it (fuzz
  // finding F1: such a symbol printed to text whose mark ReadOne dropped).
  auto forms = ReadAll("+\n\xEF\xBB\xBF-");
  ASSERT_TRUE(forms.ok()) << forms.status().ToString();
  ASSERT_EQ(forms->size(), 2u);
  EXPECT_EQ(Print((*forms)[1]), "-");
  EXPECT_EQ(ReadAll("\"\"\xC3\xA9\n\xEF\xBB\xBF").value().size(), 2u);  // a mark alone is no symbol
  EXPECT_EQ(Print(Read("a\xEF\xBB\xBF")), "a\xEF\xBB\xBF");  // inside a symbol it stays
}

TEST(Edn, TaggedLiterals) {
  Node t = Read("#db/id[:db.part/user -1]");
  ASSERT_TRUE(t.is(Kind::kTagged));
  EXPECT_EQ(t.s, "db/id");
  ASSERT_EQ(t.items.size(), 1u);
  EXPECT_EQ(t.items[0], Node::Vector({Node::Keyword("db.part/user"), Node::Long(-1)}));
  Node nested = Read("#my/outer #my/inner {:a 1}");
  EXPECT_EQ(nested.s, "my/outer");
  EXPECT_EQ(nested.items[0].s, "my/inner");
  EXPECT_TRUE(nested.items[0].items[0].is(Kind::kMap));
  EXPECT_EQ(Read("#foo #_ 1 2").items[0].i, 2);
  EXPECT_EQ(ReadError("#foo/ 1"), "EDN 1:1: invalid tag #foo/");
  EXPECT_EQ(ReadError("[#foo]"), "EDN 1:6: unexpected ']'");
}

TEST(Edn, NamespacedMaps) {
  Node m = Read("#:person{:name \"Ann\" :_/id 7 :other/x 1}");
  ASSERT_TRUE(m.is(Kind::kMap));
  ASSERT_NE(m.Get("person/name"), nullptr);
  EXPECT_EQ(m.Get("person/name")->s, "Ann");
  ASSERT_NE(m.Get("id"), nullptr);
  ASSERT_NE(m.Get("other/x"), nullptr);
  EXPECT_EQ(ReadError("#:p{:a 1 :p/a 2}"), "EDN 1:10: duplicate map key :p/a");
  EXPECT_EQ(ReadError("#:p[1]"), "EDN 1:1: namespaced map #:p needs a map");
}

}  // namespace
}  // namespace strata::edn

namespace strata::edn {
namespace {

// Text that becomes a value is well-formed UTF-8 (Unicode Table 3-7); the
// error names the line, the column and the byte's offset in the input.
TEST(Edn, InvalidUtf8) {
  EXPECT_EQ(ReadError("\"ok\xFF\""), "EDN 1:4: invalid UTF-8 in string: byte 0xFF at offset 3 of the input");
  EXPECT_EQ(ReadError("[\"a\"\n \"b\\n\xC3\"]"),
            "EDN 2:6: invalid UTF-8 in string: byte 0xC3 at offset 10 of the input");  // truncated, after an escape
  EXPECT_EQ(ReadError("\"x\ny\xC0\x80\""), "EDN 2:2: invalid UTF-8 in string: byte 0xC0 at offset 4 of the input");  // overlong NUL
  EXPECT_NE(ReadError("\"\xED\xA0\x80\"").find("byte 0xED"), std::string::npos);      // a surrogate
  EXPECT_NE(ReadError("\"\xF4\x90\x80\x80\"").find("byte 0xF4"), std::string::npos);  // past U+10FFFF
  EXPECT_EQ(ReadError("[:a/b\x80]"), "EDN 1:6: invalid UTF-8 in keyword: byte 0x80 at offset 5 of the input");
  EXPECT_EQ(ReadError("(f\xFE)"), "EDN 1:3: invalid UTF-8 in symbol: byte 0xFE at offset 2 of the input");
  EXPECT_EQ(ReadError("#t\xFF 1"), "EDN 1:3: invalid UTF-8 in tag: byte 0xFF at offset 2 of the input");
  EXPECT_EQ(ReadError("#:n\xFF{:a 1}"), "EDN 1:4: invalid UTF-8 in namespace: byte 0xFF at offset 3 of the input");
  EXPECT_EQ(ReadError("\\\xC0\x80"), "EDN 1:1: invalid UTF-8 in character literal");
  // Well-formed text of every length reads back byte for byte.
  const std::string good = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD";
  EXPECT_EQ(Read("\"" + good + "\"").s, good);
  EXPECT_EQ(Read(":" + good + "/x").s, good + "/x");
  EXPECT_EQ(FindInvalidUtf8(good), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("0123456789abcdef\xFF"), 16u);  // past the 8-byte ASCII stride
}

}  // namespace
}  // namespace strata::edn
