// edn_test_util.h — helpers of the EDN tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "strata/edn.h"

namespace strata::edn {

// Reads exactly one form, failing the test if it does not read.
inline Node Read(std::string_view text) {
  auto r = ReadOne(text);
  EXPECT_TRUE(r.ok()) << text << " -> " << r.status().ToString();
  return r.ok() ? std::move(r).value() : Node();
}

// The message of the error reading `text`, or "OK" when it reads.
inline std::string ReadError(std::string_view text) {
  auto r = ReadOne(text);
  if (r.ok()) return "OK";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return r.status().message();
}

// Checks Print(n) reads back to an equal node and returns the text.
inline std::string RoundTrip(const Node& n) {
  std::string text = Print(n);
  auto back = ReadOne(text);
  EXPECT_TRUE(back.ok()) << text << " -> " << back.status().ToString();
  if (back.ok()) {
    EXPECT_TRUE(*back == n) << text << " read back as " << Print(*back);
  }
  return text;
}

}  // namespace strata::edn
