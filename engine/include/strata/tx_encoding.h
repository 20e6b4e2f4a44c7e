// strata/tx_encoding.h — the binary form of one committed transaction, for
// shipping transactions between processes (net/: transactor to peers).
//
// The bytes are exactly a log record's payload (docs/formats.md, "Log"):
// varint t | varint datom_count | datoms, each with tx == TxId(t). Decoding
// checks the format and returns Corruption on any malformed input, so a
// receiver never applies a half-understood transaction.
//
// Thread safety: free functions on values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"
#include "strata/value.h"

namespace strata {

// Encodes transaction t and its datoms (a tx report's tx_data).
std::string EncodeTransaction(T t, const std::vector<Datom>& datoms);
// Decodes bytes made by EncodeTransaction into *t and *datoms (replaced).
Status DecodeTransaction(std::string_view bytes, T* t, std::vector<Datom>* datoms);

}  // namespace strata
