// net/protocol.h: message encoding.
#include "net/protocol.h"

#include <charconv>

namespace strata::net {

namespace {

constexpr size_t kFrames = 5;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

const char* MsgTypeName(MsgType type) {
  switch (type) {
    case MsgType::kHello: return "hello";
    case MsgType::kWelcome: return "welcome";
    case MsgType::kSubscribe: return "subscribe";
    case MsgType::kReport: return "report";
    case MsgType::kHeartbeat: return "heartbeat";
    case MsgType::kPing: return "ping";
    case MsgType::kTransact: return "transact";
    case MsgType::kTxOk: return "tx-ok";
    case MsgType::kTxError: return "tx-error";
    case MsgType::kError: return "error";
    case MsgType::kResubscribe: return "resubscribe";
  }
  return "unknown";
}

Status MakeStatus(Code code, std::string message) {
  switch (code) {
    case Code::kOk: return Status::OK();
    case Code::kInvalidArgument: return Status::InvalidArgument(std::move(message));
    case Code::kNotFound: return Status::NotFound(std::move(message));
    case Code::kConflict: return Status::Conflict(std::move(message));
    case Code::kCorruption: return Status::Corruption(std::move(message));
    case Code::kIOError: return Status::IOError(std::move(message));
    case Code::kBusy: return Status::Busy(std::move(message));
    case Code::kAborted: return Status::Aborted(std::move(message));
  }
  return Status::Corruption("unknown status code " + std::to_string(static_cast<int>(code)) + ": " + message);
}

Status Message::status() const { return MakeStatus(code, text); }

Frames Encode(const Message& m) {
  Frames f(kFrames);
  f[0].push_back(static_cast<char>(m.type));
  for (uint64_t v : {m.id, m.t, m.prev_t, m.generation, m.number, static_cast<uint64_t>(m.code)}) PutVarint(&f[1], v);
  f[2] = m.text;
  f[3] = m.payload;
  for (const auto& [name, id] : m.tempids) {
    PutVarint(&f[4], name.size());
    f[4].append(name);
    PutVarint(&f[4], id);
  }
  return f;
}

Result<Message> Decode(const Frames& frames) {
  if (frames.size() != kFrames) {
    return Status::InvalidArgument("malformed message: " + std::to_string(frames.size()) + " frames, expected " +
                                   std::to_string(kFrames));
  }
  if (frames[0].size() != 1) return Status::InvalidArgument("malformed message: type frame of " +
                                                            std::to_string(frames[0].size()) + " bytes");
  Message m;
  const auto type = static_cast<uint8_t>(frames[0][0]);
  if (type < static_cast<uint8_t>(MsgType::kHello) || type > static_cast<uint8_t>(MsgType::kResubscribe)) {
    return Status::InvalidArgument("malformed message: unknown type " + std::to_string(type));
  }
  m.type = static_cast<MsgType>(type);
  const std::string where = std::string("malformed ") + MsgTypeName(m.type) + " message: ";
  std::string_view h = frames[1];
  uint64_t code = 0;
  for (uint64_t* v : {&m.id, &m.t, &m.prev_t, &m.generation, &m.number, &code}) {
    if (!GetVarint(&h, v)) return Status::InvalidArgument(where + "truncated header");
  }
  if (!h.empty()) return Status::InvalidArgument(where + std::to_string(h.size()) + " bytes after the header");
  if (code > static_cast<uint64_t>(Code::kAborted)) {
    return Status::InvalidArgument(where + "unknown status code " + std::to_string(code));
  }
  m.code = static_cast<Code>(code);
  m.text = frames[2];
  m.payload = frames[3];
  std::string_view tv = frames[4];
  while (!tv.empty()) {
    uint64_t len = 0, id = 0;
    if (!GetVarint(&tv, &len) || len > tv.size()) return Status::InvalidArgument(where + "truncated tempid name");
    std::string name(tv.substr(0, len));
    tv.remove_prefix(len);
    if (!GetVarint(&tv, &id)) return Status::InvalidArgument(where + "truncated tempid " + name);
    m.tempids[std::move(name)] = id;
  }
  return m;
}

Result<std::string> TcpEndpoint(const std::string& host_port) {
  std::string s = host_port;
  if (s.rfind("tcp://", 0) == 0) s = s.substr(6);
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    return Status::InvalidArgument("'" + host_port + "': expected HOST:PORT, e.g. 127.0.0.1:4334");
  }
  const std::string port = s.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return Status::InvalidArgument("'" + host_port + "': port '" + port + "' is not a number from 0 to 65535");
  }
  return "tcp://" + s;
}

}  // namespace strata::net
