// Instants: #inst literals, FormatInstant, ParseInstant, the calendar.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "edn/edn_test_util.h"
#include "strata/edn.h"
#include "strata/instant.h"

namespace strata::edn {
namespace {

TEST(Edn, UuidsAndInstants) {
  Node u = Read("#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\"");
  ASSERT_TRUE(u.is(Kind::kUuid));
  EXPECT_EQ(u.uuid.ToString(), "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(u.uuid.hi, 0xf81d4fae7dec11d0ULL);
  EXPECT_EQ(ReadError("#uuid \"f81d4fae-7dec-11d0-a765\""),
            "EDN 1:1: invalid uuid \"f81d4fae-7dec-11d0-a765\"");
  EXPECT_EQ(ReadError("[x #uuid 12]"), "EDN 1:4: #uuid needs a string");

  Node i = Read("#inst \"2014-05-19T17:20:48.200Z\"");
  ASSERT_TRUE(i.is(Kind::kInst));
  EXPECT_EQ(i.i, 1400520048200);
  EXPECT_EQ(Read("#inst \"2014-05-19T17:20:48.200-00:00\"").i, 1400520048200);
  EXPECT_EQ(Read("#inst \"2014-05-19T19:20:48.2+02:00\"").i, 1400520048200);
  EXPECT_EQ(Read("#inst \"2014-05-19T12:50:48.200123456-04:30\"").i, 1400520048200);
  EXPECT_EQ(Read("#inst\"2014-05-19\"").i, 1400457600000);
  EXPECT_EQ(Read("#inst \"2014-05-19T17:20\"").i, 1400520000000);
  EXPECT_EQ(Read("#inst \"1900-01-01T00:00:00Z\"").i, -2208988800000);
  EXPECT_EQ(ReadError("#inst \"2014-02-30\""), "EDN 1:1: invalid instant \"2014-02-30\"");
  EXPECT_EQ(ReadError("#inst 5"), "EDN 1:1: #inst needs a string");
  EXPECT_EQ(ReadError("#inst"), "EDN 1:1: tag #inst without a form");
}

TEST(Edn, FormatInstant) {
  EXPECT_EQ(FormatInstant(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(1400520048200), "2014-05-19T17:20:48.200Z");
  EXPECT_EQ(FormatInstant(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatInstant(-86400000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(-2208988800000), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(-62135596800000), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(951825600000), "2000-02-29T12:00:00.000Z");
  EXPECT_EQ(FormatInstant(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatInstant(253402300800000), "+10000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(-62135596800001), "0000-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatInstant(-62167219200001), "-0001-12-31T23:59:59.999Z");
  // Every int64 formats and parses back.
  for (int64_t ms : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    int64_t back = 0;
    ASSERT_TRUE(ParseInstant(FormatInstant(ms), &back)) << FormatInstant(ms);
    EXPECT_EQ(back, ms);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    int64_t ms = static_cast<int64_t>(rng());
    if (i % 2 == 0) ms >>= 20;  // also plenty of ordinary dates
    int64_t back = 0;
    std::string text = FormatInstant(ms);
    ASSERT_TRUE(ParseInstant(text, &back)) << text;
    ASSERT_EQ(back, ms) << text;
  }
}

TEST(Edn, ParseInstant) {
  auto parse = [](std::string_view s) {
    int64_t ms = 0x7777;
    EXPECT_TRUE(ParseInstant(s, &ms)) << s;
    return ms;
  };
  auto bad = [](std::string_view s) {
    int64_t ms = 0;
    return !ParseInstant(s, &ms);
  };
  EXPECT_EQ(parse("2014-05-19T17:20:48.200Z"), 1400520048200);
  EXPECT_EQ(parse("2014-05-19T17:20:48.200-00:00"), 1400520048200);
  EXPECT_EQ(parse("2014-05-19T17:20:48.2Z"), 1400520048200);
  EXPECT_EQ(parse("2014-05-19T17:20:48.20Z"), 1400520048200);
  EXPECT_EQ(parse("2014-05-19T17:20:48.200999999Z"), 1400520048200);  // truncated, not rounded
  EXPECT_EQ(parse("2014-05-19T17:20:48Z"), 1400520048000);
  EXPECT_EQ(parse("2014-05-19T17:20:48"), 1400520048000);
  EXPECT_EQ(parse("2014-05-19t17:20:48z"), 1400520048000);
  EXPECT_EQ(parse("2014-05-19 17:20:48Z"), 1400520048000);
  EXPECT_EQ(parse("2014-05-19T19:20:48+02:00"), 1400520048000);
  EXPECT_EQ(parse("2014-05-19T19:20:48+0200"), 1400520048000);
  EXPECT_EQ(parse("2014-05-19T12:20:48-05:00"), 1400520048000);
  EXPECT_EQ(parse("2014-05-19T17:20"), 1400520000000);
  EXPECT_EQ(parse("2014-05-19T17"), 1400518800000);
  EXPECT_EQ(parse("2014-05-19"), 1400457600000);
  EXPECT_EQ(parse("2014-05"), parse("2014-05-01"));
  EXPECT_EQ(parse("2014"), parse("2014-01-01"));
  EXPECT_EQ(parse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse("1969-12-31T23:59:59.999-01:00"), 3599999);
  EXPECT_EQ(parse("1900-01-01"), -2208988800000);
  EXPECT_EQ(parse("1600-02-29T00:00:00Z"), -11670998400000);
  EXPECT_EQ(parse("2016-12-31T23:59:60Z"), parse("2017-01-01T00:00:00Z"));
  EXPECT_EQ(parse("-0001-12-31T23:59:59.999Z"), -62167219200001);
  EXPECT_EQ(parse("+10000-01-01T00:00:00.000Z"), 253402300800000);
  EXPECT_TRUE(bad(""));
  EXPECT_TRUE(bad("14-05-19"));
  EXPECT_TRUE(bad("2014-13-01"));
  EXPECT_TRUE(bad("2014-00-01"));
  EXPECT_TRUE(bad("2014-02-29"));
  EXPECT_TRUE(bad("2014-04-31"));
  EXPECT_TRUE(bad("2014-05-19T24:00"));
  EXPECT_TRUE(bad("2014-05-19T17:60"));
  EXPECT_TRUE(bad("2014-05-19T17:20:60Z"));
  EXPECT_TRUE(bad("2014-05-19T17:20:48."));
  EXPECT_TRUE(bad("2014-05-19T17:20:48Zjunk"));
  EXPECT_TRUE(bad("2014-05-19T17:20:48+2:00"));
  EXPECT_TRUE(bad("2014-05-19T17:20:48+24:00"));
  EXPECT_TRUE(bad("2014-5-19"));
  EXPECT_TRUE(bad("2014-05-19T"));
  EXPECT_TRUE(bad("+999999999-01-01"));  // beyond int64 milliseconds
  EXPECT_TRUE(bad("-999999999-01-01"));
  EXPECT_TRUE(bad("+123-01-01"));
  EXPECT_TRUE(bad("2014-05-19+02:00"));  // an offset needs a time
}


TEST(Calendar, DaysFromCivilAndBack) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
  EXPECT_EQ(DaysInMonth(2024, 4), 30);
  for (int64_t days = -800000; days <= 800000; days += 997) {
    int64_t y, m, d;
    CivilFromDays(days, &y, &m, &d);
    ASSERT_GE(m, 1);
    ASSERT_LE(m, 12);
    ASSERT_GE(d, 1);
    ASSERT_LE(d, DaysInMonth(y, m));
    ASSERT_EQ(DaysFromCivil(y, m, d), days);
  }
}
}  // namespace
}  // namespace strata::edn
