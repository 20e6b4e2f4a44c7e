// net/keys.h — CURVE key pairs and the files that hold them
// (docs/network.md, "Security").
//
// A transactor started with a secret key speaks ZeroMQ's CURVE security
// (authenticated, encrypted) and admits only peers whose public keys it
// was given. Keys are Z85 text (40 characters for 32 bytes), as ZeroMQ
// prints them. `strata keygen` writes a pair of files:
//
//   NAME.key (mode 0600)             NAME.pub
//     # strata CURVE secret key        # strata CURVE public key
//     public-key = <Z85>               public-key = <Z85>
//     secret-key = <Z85>
//
// An authorised-keys file holds public keys, one per line: either
// "public-key = <Z85>" (a .pub file's line) or a bare <Z85>, each
// optionally followed by white space and a comment. A line starting with
// "#" is a comment unless it is a key (Z85 has '#' among its characters).
// A folder of authorised keys is read as every *.pub file in it.
//
// Thread safety: free functions.
#pragma once

#include <string>
#include <vector>

#include "strata/status.h"

namespace strata::net {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; empty when only the public key is known
};

// True when this libzmq was built with CURVE (libsodium).
bool CurveAvailable();
// A fresh key pair (zmq_curve_keypair).
Result<CurveKeyPair> GenerateCurveKeyPair();
// Writes PREFIX.key (the pair, mode 0600) and PREFIX.pub (the public key).
// Refuses (InvalidArgument) to overwrite either file.
Status WriteKeyFiles(const CurveKeyPair& pair, const std::string& prefix);
// Reads a secret key file (both keys; the public one is derived when
// missing). Refuses a file that group or others can read, as ssh does.
Result<CurveKeyPair> ReadSecretKeyFile(const std::string& path);
// Reads a public key file (or the public key of a secret key file).
Result<std::string> ReadPublicKeyFile(const std::string& path);
// Reads an authorised-keys file or folder; InvalidArgument naming the file
// and line of a malformed key, or when there is no key at all.
Result<std::vector<std::string>> ReadAuthorizedKeys(const std::string& file_or_folder);

}  // namespace strata::net
