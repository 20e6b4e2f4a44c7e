// Message encoding: every field survives a round trip; malformed frames
// are refused with a message naming the defect.
#include "net/protocol.h"

#include <gtest/gtest.h>

namespace strata::net {
namespace {

TEST(ProtocolTest, RoundTripKeepsEveryField) {
  Message m;
  m.type = MsgType::kTxOk;
  m.id = 1ull << 40;
  m.t = 12345;
  m.prev_t = 12000;
  m.generation = 7;
  m.number = kProtocolVersion;
  m.code = Code::kConflict;
  m.text = "some text";
  m.payload = std::string("\0\x01\xff", 3);
  m.tempids = {{"-1", 17592186045418ull}, {"datomic.tx", 13194139533312ull}, {"", 0}};
  auto d = Decode(Encode(m));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->type, m.type);
  EXPECT_EQ(d->id, m.id);
  EXPECT_EQ(d->t, m.t);
  EXPECT_EQ(d->prev_t, m.prev_t);
  EXPECT_EQ(d->generation, m.generation);
  EXPECT_EQ(d->number, m.number);
  EXPECT_EQ(d->code, m.code);
  EXPECT_EQ(d->text, m.text);
  EXPECT_EQ(d->payload, m.payload);
  EXPECT_EQ(d->tempids, m.tempids);
}

TEST(ProtocolTest, ErrorsKeepTheirCode) {
  for (Code c : {Code::kInvalidArgument, Code::kNotFound, Code::kConflict, Code::kCorruption, Code::kIOError,
                 Code::kBusy, Code::kAborted}) {
    Message m;
    m.type = MsgType::kTxError;
    m.code = c;
    m.text = "why";
    auto d = Decode(Encode(m));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->status().code(), c);
    EXPECT_EQ(d->status().message(), "why");
  }
}

TEST(ProtocolTest, RefusesMalformedMessages) {
  Message m;
  m.type = MsgType::kReport;
  m.t = 300;
  Frames good = Encode(m);

  Frames f = good;
  f.pop_back();
  EXPECT_NE(Decode(f).status().message().find("4 frames"), std::string::npos);
  f = good;
  f[0] = std::string(1, static_cast<char>(MsgType::kResubscribe) + 1);
  EXPECT_NE(Decode(f).status().message().find("unknown type 12"), std::string::npos);
  Message r;
  r.type = MsgType::kResubscribe;
  r.id = 4;
  r.t = 77;
  auto back = Decode(Encode(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->type, MsgType::kResubscribe);
  EXPECT_EQ(back->t, 77u);
  EXPECT_STREQ(MsgTypeName(MsgType::kResubscribe), "resubscribe");
  f = good;
  f[0] = std::string(1, 99);
  EXPECT_NE(Decode(f).status().message().find("unknown type 99"), std::string::npos);
  f = good;
  f[1].pop_back();
  EXPECT_NE(Decode(f).status().message().find("malformed report message: truncated header"), std::string::npos);
  f = good;
  f[1] += "x";
  EXPECT_NE(Decode(f).status().message().find("after the header"), std::string::npos);
  f = good;
  f[4] = std::string("\x05" "ab", 3);
  EXPECT_NE(Decode(f).status().message().find("truncated tempid"), std::string::npos);
  m.code = static_cast<Code>(42);
  EXPECT_NE(Decode(Encode(m)).status().message().find("unknown status code 42"), std::string::npos);
}

TEST(ProtocolTest, TcpEndpoint) {
  EXPECT_EQ(*TcpEndpoint("127.0.0.1:4334"), "tcp://127.0.0.1:4334");
  EXPECT_EQ(*TcpEndpoint("tcp://localhost:0"), "tcp://localhost:0");
  EXPECT_TRUE(TcpEndpoint("127.0.0.1").status().IsInvalidArgument());
  EXPECT_TRUE(TcpEndpoint(":80").status().IsInvalidArgument());
  EXPECT_NE(TcpEndpoint("h:70000").status().message().find("port '70000'"), std::string::npos);
  EXPECT_TRUE(TcpEndpoint("h:12x").status().IsInvalidArgument());
}

}  // namespace
}  // namespace strata::net
