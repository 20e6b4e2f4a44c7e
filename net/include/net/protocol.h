// net/protocol.h — the messages between a transactor and its peers
// (docs/network.md describes them, their order guarantees and failure
// handling).
//
// Every message is one ZeroMQ multipart message of five frames:
//   type (1 byte) | header (varints) | text | payload | tempids
// The header always holds the same six varints — id, t, prev_t,
// generation, number, code — whichever the type uses; unused ones are 0.
// Frames a type does not use are empty. Decode checks the shape and returns
// InvalidArgument naming what is wrong, so a malformed message is refused,
// never half-read.
//
// Thread safety: free functions and plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/status.h"
#include "strata/value.h"

namespace strata::net {

// Bumped on any change to the frames or their meaning; HELLO carries it and
// the transactor refuses another.
// Version 2: CURVE security, ping carries the peer's basis-t (the
// transactor's byte accounting), resubscribe.
inline constexpr uint32_t kProtocolVersion = 2;

// The largest frame either side accepts (ZMQ_MAXMSGSIZE): a larger one
// makes libzmq drop the connection as soon as it reads the frame's length,
// before buffering any of it. Room for two values at the value limit
// (edn::kMaxToken, 64 MiB) and the rest of a transaction; a transaction
// sent through a transactor is at most this long as EDN, and so is the
// encoded report of one.
inline constexpr int64_t kMaxFrameBytes = int64_t{128} << 20;

enum class MsgType : uint8_t {
  kHello = 1,      // peer: number = protocol version
  kWelcome = 2,    // transactor: number = version, text = location, t = basis-t,
                   //   generation = index-root generation, id = heartbeat ms
  kSubscribe = 3,  // peer: id = epoch, t = the peer's basis-t (send every t after it)
  kReport = 4,     // transactor: id = epoch, t, prev_t, payload = EncodeReplicatedTx
  kHeartbeat = 5,  // transactor: t = basis-t, generation = index-root generation
  kPing = 6,       // peer: liveness; t = the peer's basis-t (every report up to it was read)
  kTransact = 7,   // peer: id = request id, text = the transaction as EDN
  kTxOk = 8,       // transactor: id = request id, t, payload = tx data, tempids
  kTxError = 9,    // transactor: id = request id, code, text = message
  kError = 10,     // transactor: code, text; about the peer's session, not a transaction
  kResubscribe = 11,  // transactor: id = epoch, t = last t sent; the subscription was dropped
                      //   (the peer fell too far behind: too many bytes unread); subscribe again
};
const char* MsgTypeName(MsgType type);

struct Message {
  MsgType type = MsgType::kPing;
  uint64_t id = 0;          // request id or subscription epoch (per type)
  T t = 0;
  T prev_t = 0;             // report: the committed t before t (0: none)
  uint64_t generation = 0;  // index-root generation
  uint64_t number = 0;      // hello/welcome: protocol version
  Code code = Code::kOk;    // tx-error, error
  std::string text;         // location, EDN, or an error message
  std::string payload;      // EncodeReplicatedTx bytes
  std::map<std::string, EntityId> tempids;  // tx-ok

  // The error a tx-error or error message carries.
  Status status() const;
};

using Frames = std::vector<std::string>;

Frames Encode(const Message& m);
// Requires frames.size() == 5; InvalidArgument naming the defect otherwise.
Result<Message> Decode(const Frames& frames);

// Builds a Status with the given code (kOk gives OK).
Status MakeStatus(Code code, std::string message);

// "127.0.0.1:5000" or "tcp://127.0.0.1:5000" -> "tcp://127.0.0.1:5000".
// InvalidArgument when there is no host or the port is not 0..65535.
Result<std::string> TcpEndpoint(const std::string& host_port);

}  // namespace strata::net
