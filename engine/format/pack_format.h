// pack_format.h — the records of pack files, and file names of the folder
// backend (internal; used by storage/folder/, described in docs/formats.md).
//
// A record is a 28-byte header, the key, the value:
//   "SPK1" | u8 kind (1 put, 2 delete) | u8 0 | u16 key_length
//   | u32 value_length | u64 xxh3(value) | u64 xxh3(header bytes 0..19 + key)
// A delete (tombstone) has no value. Integers are little-endian.
//
// Thread safety: the functions are pure; a PackScanner belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/env.h"
#include "strata/status.h"

namespace strata::pack {

constexpr size_t kHeaderSize = 28;
constexpr uint8_t kPut = 1, kDelete = 2;
constexpr size_t kMaxKey = 0xffff;
constexpr uint64_t kMaxValue = 0xffffffffu;

struct Header {
  uint8_t kind = 0;
  uint32_t key_len = 0, value_len = 0;
  uint64_t value_sum = 0, header_sum = 0;
  uint64_t RecordSize() const { return kHeaderSize + key_len + value_len; }
};

// Appends one record to *out. Requires key.size() <= kMaxKey, value.size()
// <= kMaxValue, and an empty value for kDelete.
void EncodeRecord(std::string* out, uint8_t kind, std::string_view key, std::string_view value);

// False if `in` does not start with a plausible header (magic, kind,
// lengths); the header checksum is not checked (it covers the key).
bool DecodeHeader(std::string_view in, Header* h);

// True if the header checksum of a decoded header matches its key.
bool HeaderMatches(std::string_view header_bytes, const Header& h, std::string_view key);

// Checks a whole put record read back for `key`: nullptr if it is intact,
// else what is wrong ("value checksum mismatch", ...).
const char* CheckPutRecord(std::string_view record, std::string_view key);

// "0000000042.pack" for 42; ParsePackName is false for other names.
std::string PackName(uint64_t seq);
bool ParsePackName(const std::string& name, uint64_t* seq);

// The old layout's file names: '/' as '_', '_' as "%5F", '%' as "%25".
// FileNameToKey is false for names no key maps to.
std::string KeyToFileName(const std::string& key);
bool FileNameToKey(const std::string& name, std::string* key);

// Reads the headers and keys of a pack's records from `offset` up to `end`,
// skipping values: one small read per record, unless several (tombstones)
// fit in one window. (A large window would read most of every value.)
// `file` must outlive the scanner.
class PackScanner {
 public:
  PackScanner(const RandomAccessFile& file, uint64_t offset, uint64_t end) : file_(file), pos_(offset), end_(end) {}

  enum Outcome { kRecord, kEnd, kBad };
  // kRecord: *h and *key hold the record at offset(); kEnd: no more bytes;
  // kBad: the bytes at offset() are not a whole, valid record header and
  // key (*why says how). Errors are the file's read errors.
  Result<Outcome> Next(Header* h, std::string* key, std::string* why);
  uint64_t offset() const { return record_; }

 private:
  static constexpr size_t kWindow = 1024;  // a header and a key of up to ~1000 bytes
  Status Window(size_t n, std::string_view* out);

  const RandomAccessFile& file_;
  uint64_t pos_, end_, record_ = 0;
  std::string buf_;
  uint64_t buf_off_ = 0;
};

}  // namespace strata::pack
