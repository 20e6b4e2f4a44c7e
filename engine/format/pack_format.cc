// pack_format.cc — pack records, file names, and the header scanner.

#include "format/pack_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "util/coding.h"

namespace strata::pack {

namespace {

constexpr char kMagic[4] = {'S', 'P', 'K', '1'};
constexpr size_t kSummedHeader = 20;  // header bytes the header checksum covers: all before it

}  // namespace

void EncodeRecord(std::string* out, uint8_t kind, std::string_view key, std::string_view value) {
  const size_t start = out->size();
  out->append(kMagic, sizeof kMagic);
  out->push_back(static_cast<char>(kind));
  out->push_back(0);
  out->push_back(static_cast<char>(key.size() & 0xff));
  out->push_back(static_cast<char>(key.size() >> 8));
  coding::PutFixed32(out, static_cast<uint32_t>(value.size()));
  coding::PutFixed64(out, coding::Checksum(value));
  coding::PutFixed64(out, coding::Checksum(std::string_view(*out).substr(start, kSummedHeader), key));
  out->append(key);
  out->append(value);
}

bool DecodeHeader(std::string_view in, Header* h) {
  if (in.size() < kHeaderSize || std::memcmp(in.data(), kMagic, sizeof kMagic) != 0) return false;
  h->kind = static_cast<uint8_t>(in[4]);
  h->key_len = static_cast<uint8_t>(in[6]) | static_cast<uint32_t>(static_cast<uint8_t>(in[7])) << 8;
  h->value_len = coding::DecodeFixed32(in.data() + 8);
  h->value_sum = coding::DecodeFixed64(in.data() + 12);
  h->header_sum = coding::DecodeFixed64(in.data() + 20);
  if (h->kind != kPut && h->kind != kDelete) return false;
  if (in[5] != 0 || h->key_len == 0 || (h->kind == kDelete && h->value_len != 0)) return false;
  return true;
}

bool HeaderMatches(std::string_view header_bytes, const Header& h, std::string_view key) {
  return coding::Checksum(header_bytes.substr(0, kSummedHeader), key) == h.header_sum;
}

const char* CheckPutRecord(std::string_view rec, std::string_view key) {
  Header h;
  if (!DecodeHeader(rec, &h) || h.kind != kPut) return "not a put record";
  if (rec.size() != h.RecordSize()) return "record length differs from the index";
  const std::string_view k = rec.substr(kHeaderSize, h.key_len);
  if (!HeaderMatches(rec, h, k)) return "header checksum mismatch";
  if (k != key) return "record of another key";
  if (coding::Checksum(std::string_view(rec.data() + kHeaderSize + h.key_len, h.value_len)) != h.value_sum) return "value checksum mismatch";
  return nullptr;
}

std::string PackName(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%010llu.pack", static_cast<unsigned long long>(seq));
  return buf;
}

bool ParsePackName(const std::string& name, uint64_t* seq) {
  if (name.size() != 15 || !name.ends_with(".pack")) return false;
  *seq = 0;
  for (size_t i = 0; i < 10; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    *seq = *seq * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return *seq > 0;
}

std::string KeyToFileName(const std::string& key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    switch (c) {
      case '/': out.push_back('_'); break;
      case '_': out.append("%5F"); break;
      case '%': out.append("%25"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

bool FileNameToKey(const std::string& name, std::string* key) {
  key->clear();
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_') {
      key->push_back('/');
    } else if (c == '%') {
      const std::string_view esc = std::string_view(name).substr(i, 3);
      if (esc == "%5F") {
        key->push_back('_');
      } else if (esc == "%25") {
        key->push_back('%');
      } else {
        return false;
      }
      i += 2;
    } else {
      key->push_back(c);
    }
  }
  return !key->empty() && KeyToFileName(*key) == name;
}

Result<PackScanner::Outcome> PackScanner::Next(Header* h, std::string* key, std::string* why) {
  auto bad = [why](const char* what) {
    *why = what;
    return kBad;
  };
  record_ = pos_;
  if (pos_ == end_) return kEnd;
  std::string_view bytes;
  STRATA_RETURN_IF_ERROR(Window(kHeaderSize, &bytes));
  if (bytes.size() < kHeaderSize) return bad("incomplete record header");
  if (!DecodeHeader(bytes, h)) return bad("not a record header");
  if (h->RecordSize() > end_ - pos_) return bad("record runs past the end of the file");
  STRATA_RETURN_IF_ERROR(Window(kHeaderSize + h->key_len, &bytes));
  if (bytes.size() < kHeaderSize + h->key_len) return bad("incomplete record key");
  const std::string_view k = bytes.substr(kHeaderSize, h->key_len);
  if (!HeaderMatches(bytes, *h, k)) return bad("header checksum mismatch");
  key->assign(k);
  pos_ += h->RecordSize();
  return kRecord;
}

// Points *out at up to n bytes from pos_ (fewer at the end of the file).
Status PackScanner::Window(size_t n, std::string_view* out) {
  if (pos_ < buf_off_ || pos_ + n > buf_off_ + buf_.size()) {
    const uint64_t want = std::min<uint64_t>(std::max(n, kWindow), end_ - pos_);
    STRATA_RETURN_IF_ERROR(file_.Read(pos_, static_cast<size_t>(want), &buf_));
    buf_off_ = pos_;
  }
  *out = std::string_view(buf_).substr(pos_ - buf_off_, n);
  return Status::OK();
}

}  // namespace strata::pack
