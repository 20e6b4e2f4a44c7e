// net/keys.h: key pairs and key files.
#include "net/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace strata::net {

namespace {

constexpr size_t kZ85KeyChars = 40;

bool ValidZ85Key(const std::string& z85) {
  if (z85.size() != kZ85KeyChars) return false;
  uint8_t bin[32];
  return zmq_z85_decode(bin, z85.c_str()) != nullptr;
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open key file " + path + ": " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::IOError("reading key file " + path);
  return std::move(buf).str();
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// The keys of a key file: name ("public-key", "secret-key", or "" for a
// bare key) -> value, in order. Errors name the file and line.
struct KeyLine {
  std::string name, value;
  int line = 0;
};
Result<std::vector<KeyLine>> ParseKeyText(const std::string& path, const std::string& text) {
  std::vector<KeyLine> out;
  std::istringstream in(text);
  std::string raw;
  for (int n = 1; std::getline(in, raw); ++n) {
    std::string line = Trim(raw);
    if (line.empty()) continue;
    // Z85 has '#' and '=' among its characters: a line is a comment when
    // it starts with '#' and is not a key, and "name = key" only for the
    // two names.
    const std::string first = line.substr(0, line.find_first_of(" \t"));
    if (line[0] == '#' && !ValidZ85Key(first)) continue;
    KeyLine k;
    k.line = n;
    for (const char* name : {"public-key", "secret-key"}) {
      if (line.rfind(name, 0) != 0) continue;
      const std::string rest = Trim(line.substr(std::strlen(name)));
      if (rest.empty() || rest[0] != '=') continue;
      k.name = name;
      line = Trim(rest.substr(1));
    }
    // The key, then an optional comment after white space.
    k.value = line.substr(0, line.find_first_of(" \t"));
    if (k.value.size() >= 2 && k.value.front() == '"' && k.value.back() == '"')
      k.value = k.value.substr(1, k.value.size() - 2);
    if (!ValidZ85Key(k.value))
      return Status::InvalidArgument(path + ":" + std::to_string(n) + ": not a CURVE key (40 Z85 characters)");
    out.push_back(std::move(k));
  }
  return out;
}

Status WriteNew(const std::string& path, const std::string& text, mode_t mode) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return Status::InvalidArgument(path + " exists: remove it first (keygen never overwrites a key)");
  FILE* f = nullptr;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd >= 0) f = ::fdopen(fd, "w");
  if (f == nullptr) {
    if (fd >= 0) ::close(fd);
    return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                  ::fsync(::fileno(f)) == 0;
  const int err = errno;
  if (std::fclose(f) != 0 || !ok) return Status::IOError("writing " + path + ": " + std::strerror(ok ? errno : err));
  return Status::OK();
}

}  // namespace

bool CurveAvailable() { return zmq_has("curve") != 0; }

Result<CurveKeyPair> GenerateCurveKeyPair() {
  if (!CurveAvailable()) return Status::InvalidArgument("this libzmq was built without CURVE security (libsodium)");
  char pub[kZ85KeyChars + 1], sec[kZ85KeyChars + 1];
  if (zmq_curve_keypair(pub, sec) != 0) return Status::IOError(std::string("zmq_curve_keypair: ") + zmq_strerror(errno));
  return CurveKeyPair{pub, sec};
}

Status WriteKeyFiles(const CurveKeyPair& pair, const std::string& prefix) {
  if (!ValidZ85Key(pair.public_key) || !ValidZ85Key(pair.secret_key))
    return Status::InvalidArgument("not a CURVE key pair");
  const std::string sec = prefix + ".key", pub = prefix + ".pub";
  std::error_code ec;
  for (const std::string& p : {sec, pub})
    if (std::filesystem::exists(p, ec))
      return Status::InvalidArgument(p + " exists: remove it first (keygen never overwrites a key)");
  STRATA_RETURN_IF_ERROR(WriteNew(sec, "# strata CURVE secret key: keep it private (mode 0600)\npublic-key = " +
                                           pair.public_key + "\nsecret-key = " + pair.secret_key + "\n",
                                  0600));
  return WriteNew(pub, "# strata CURVE public key\npublic-key = " + pair.public_key + "\n", 0644);
}

Result<CurveKeyPair> ReadSecretKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::IOError("cannot open key file " + path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::InvalidArgument("secret key file " + path + " is open to other users (mode " + mode +
                                   "): chmod 600 " + path);
  }
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  STRATA_ASSIGN_OR_RETURN(std::vector<KeyLine> lines, ParseKeyText(path, text));
  CurveKeyPair pair;
  for (const KeyLine& k : lines) {
    if (k.name == "secret-key") pair.secret_key = k.value;
    if (k.name == "public-key") pair.public_key = k.value;
  }
  if (pair.secret_key.empty()) return Status::InvalidArgument(path + ": no secret-key line (is it a .pub file?)");
  char derived[kZ85KeyChars + 1];
  if (zmq_curve_public(derived, pair.secret_key.c_str()) != 0)
    return Status::InvalidArgument(path + ": cannot derive the public key: " + zmq_strerror(errno));
  if (!pair.public_key.empty() && pair.public_key != derived)
    return Status::InvalidArgument(path + ": the public-key line does not belong to the secret key");
  pair.public_key = derived;
  return pair;
}

Result<std::string> ReadPublicKeyFile(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  STRATA_ASSIGN_OR_RETURN(std::vector<KeyLine> lines, ParseKeyText(path, text));
  for (const KeyLine& k : lines)
    if (k.name != "secret-key") return k.value;
  return Status::InvalidArgument(path + ": no public key in it");
}

Result<std::vector<std::string>> ReadAuthorizedKeys(const std::string& file_or_folder) {
  std::vector<std::string> files;
  std::error_code ec;
  if (std::filesystem::is_directory(file_or_folder, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(file_or_folder, ec))
      if (e.path().extension() == ".pub") files.push_back(e.path().string());
    if (ec) return Status::IOError("listing " + file_or_folder + ": " + ec.message());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(file_or_folder);
  }
  std::vector<std::string> keys;
  for (const std::string& f : files) {
    STRATA_ASSIGN_OR_RETURN(std::string text, ReadText(f));
    STRATA_ASSIGN_OR_RETURN(std::vector<KeyLine> lines, ParseKeyText(f, text));
    for (const KeyLine& k : lines) {
      if (k.name == "secret-key")
        return Status::InvalidArgument(f + ":" + std::to_string(k.line) +
                                       ": a secret key in an authorised-keys file: give only public keys");
      keys.push_back(k.value);
    }
  }
  if (keys.empty()) return Status::InvalidArgument("no public keys in " + file_or_folder);
  return keys;
}

}  // namespace strata::net
