// A backup folder's manifest and files (see backup_manifest.h).

#include "db/backup_manifest.h"

#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <sstream>

#include "util/coding.h"

namespace strata::backup {

namespace {

constexpr const char* kMagic = "strata-backup 1";

// A manifest's file names stay inside the folder: one optional subfolder,
// no "..", nothing but [A-Za-z0-9-.].
bool SafeName(const std::string& name) {
  if (name.empty() || name.find("..") != std::string::npos || name.front() == '/') return false;
  int slashes = 0;
  for (char c : name) {
    if (c == '/') ++slashes;
    else if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return slashes <= 1;
}

bool ParseU64(const std::string& s, int base, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtoull(s.c_str(), &end, base);
  return errno == 0 && end == s.c_str() + s.size() && s.front() != '-' && s.front() != '+';
}

}  // namespace

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

uint64_t Manifest::TotalBytes() const {
  uint64_t n = root ? root->bytes : 0;
  for (const LogEntry& l : logs) n += l.bytes;
  for (const SegmentEntry& s : segments) n += s.bytes;
  return n;
}

std::string EncodeManifest(const Manifest& m) {
  std::ostringstream o;
  o << kMagic << "\n";
  o << "source " << m.source << "\n";
  o << "basis-t " << m.basis_t << "\n";
  o << "last-t " << m.last_t << "\n";
  o << "transactions " << m.transactions << "\n";
  if (m.root) o << "root " << m.root->name << " " << m.root->bytes << " " << Hex(m.root->checksum) << "\n";
  for (const LogEntry& l : m.logs)
    o << "log " << l.name << " " << l.bytes << " " << Hex(l.checksum) << " " << l.first_t << " " << l.last_t << " "
      << l.records << "\n";
  for (const SegmentEntry& s : m.segments)
    o << "segment " << Hex(s.id) << " " << s.name << " " << s.bytes << " " << Hex(s.checksum) << " "
      << Hex(s.fingerprint) << "\n";
  std::string text = o.str();
  return text + "checksum " + Hex(coding::Checksum(text)) + "\n";
}

Result<Manifest> DecodeManifest(std::string_view text, const std::string& path) {
  auto bad = [&](size_t line, const std::string& why) {
    return Status::Corruption("backup manifest " + path + (line ? " line " + std::to_string(line) : "") + ": " + why +
                              " (the backup is torn or was altered)");
  };
  // The checksum line first: nothing else is trusted before it holds.
  if (text.empty() || text.back() != '\n') return bad(0, "it does not end with a whole line");
  const size_t last = text.rfind('\n', text.size() - 2);
  const size_t body_end = last == std::string_view::npos ? 0 : last + 1;
  const std::string tail(text.substr(body_end, text.size() - body_end - 1));
  uint64_t want = 0;
  if (tail.rfind("checksum ", 0) != 0 || !ParseU64(tail.substr(9), 16, &want))
    return bad(0, "its last line is not its checksum");
  if (coding::Checksum(text.substr(0, body_end)) != want) return bad(0, "checksum mismatch");

  Manifest m;
  std::istringstream in{std::string(text.substr(0, body_end))};
  std::string line;
  size_t n = 0;
  bool have_magic = false;
  while (std::getline(in, line)) {
    ++n;
    std::istringstream ws(line);
    std::vector<std::string> w;
    for (std::string x; ws >> x;) w.push_back(x);
    if (n == 1) {
      if (line != kMagic) return bad(n, "not a strata backup manifest (expected '" + std::string(kMagic) + "')");
      have_magic = true;
      continue;
    }
    if (w.empty()) return bad(n, "empty line");
    const std::string& kind = w[0];
    auto num = [&](size_t i, int base, uint64_t* out) { return i < w.size() && ParseU64(w[i], base, out); };
    auto file = [&](size_t i, FileEntry* f) {
      if (i + 2 >= w.size() || !SafeName(w[i])) return false;
      f->name = w[i];
      return num(i + 1, 10, &f->bytes) && num(i + 2, 16, &f->checksum);
    };
    if (kind == "source") {
      m.source = line.size() > 7 ? line.substr(7) : "";
    } else if (kind == "basis-t" || kind == "last-t" || kind == "transactions") {
      uint64_t v = 0;
      if (w.size() != 2 || !num(1, 10, &v)) return bad(n, "bad " + kind);
      (kind == "basis-t" ? m.basis_t : kind == "last-t" ? m.last_t : m.transactions) = v;
    } else if (kind == "root") {
      FileEntry f;
      if (w.size() != 4 || !file(1, &f) || m.root) return bad(n, "bad root entry");
      m.root = f;
    } else if (kind == "log") {
      LogEntry l;
      if (w.size() != 7 || !file(1, &l) || !num(4, 10, &l.first_t) || !num(5, 10, &l.last_t) ||
          !num(6, 10, &l.records) || l.first_t > l.last_t)
        return bad(n, "bad log entry");
      if (!m.logs.empty() && l.first_t <= m.logs.back().last_t) return bad(n, "log files out of t order");
      m.logs.push_back(l);
    } else if (kind == "segment") {
      SegmentEntry s;
      if (w.size() != 6 || !num(1, 16, &s.id) || !file(2, &s) || !num(5, 16, &s.fingerprint))
        return bad(n, "bad segment entry");
      m.segments.push_back(s);
    } else {
      return bad(n, "unknown entry '" + kind + "'");
    }
  }
  if (!have_magic) return bad(0, "empty");
  return m;
}

Result<std::string> ReadChecked(Env* env, const std::string& dir, const FileEntry& entry) {
  const std::string path = dir + "/" + entry.name;
  auto bad = [&](const std::string& why) {
    return Status::Corruption("backup file " + path + ": " + why + " (the backup is torn or was altered)");
  };
  if (!env->FileExists(path)) return bad("missing");
  STRATA_ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(path));
  if (bytes.size() != entry.bytes)
    return bad(std::to_string(bytes.size()) + " bytes, the manifest says " + std::to_string(entry.bytes));
  if (coding::Checksum(bytes) != entry.checksum) return bad("checksum mismatch");
  return bytes;
}

bool Overlaps(const std::string& a, const std::string& b) {
  std::error_code ec;
  auto norm = [&](const std::string& p) {
    std::string n = std::filesystem::absolute(p, ec).lexically_normal().string();
    while (n.size() > 1 && n.back() == '/') n.pop_back();
    return n + "/";
  };
  const std::string x = norm(a), y = norm(b);
  return x.rfind(y, 0) == 0 || y.rfind(x, 0) == 0;
}

std::string FolderOf(const std::string& location) {
  return location.rfind("file:", 0) == 0 ? location.substr(5) : location;
}

void AppendLogRecord(std::string* file, const LogRecord& rec) {
  const std::string payload = EncodeLogPayload(rec);
  coding::PutFixed32(file, static_cast<uint32_t>(payload.size()));
  file->append(payload);
}

Status ForEachLogRecord(std::string_view file, const std::string& name,
                        const std::function<Status(LogRecord&&)>& fn) {
  std::string_view in = file;
  while (!in.empty()) {
    const uint64_t offset = file.size() - in.size();
    uint32_t len = 0;
    if (!coding::GetFixed32(&in, &len) || len > in.size())
      return Status::Corruption("backup log " + name + ": truncated record at offset " + std::to_string(offset));
    LogRecord rec;
    if (Status s = DecodeLogPayload(in.substr(0, len), &rec); !s.ok())
      return Status::Corruption("backup log " + name + ": record at offset " + std::to_string(offset) + ": " +
                                s.message());
    in.remove_prefix(len);
    STRATA_RETURN_IF_ERROR(fn(std::move(rec)));
  }
  return Status::OK();
}

}  // namespace strata::backup
