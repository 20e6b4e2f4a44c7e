// backup_manifest.h — a backup folder's manifest and its files (internal;
// strata/backup.h has the contract, docs/backup.md the layout).
//
// The manifest is a text file, one entry a line, ending with the checksum
// of every byte before that line:
//   strata-backup 1
//   source <location, redacted>
//   basis-t <t> | last-t <t> | transactions <n>
//   root <file> <bytes> <checksum>                      (absent: never indexed)
//   log <file> <bytes> <checksum> <first-t> <last-t> <records>   (in t order)
//   segment <id> <file> <bytes> <checksum> <fingerprint>
//   checksum <checksum>
// Checksums are coding::Checksum (xxh3), 16 hex digits; ids hex, the rest
// decimal. File names are relative to the folder: root-<checksum>,
// log/<first-t>-<last-t>-<checksum>, segments/<id>-<checksum>.
//
// A log file is the records' payloads (format/log.h EncodeLogPayload), each
// preceded by its u32 length.
//
// Thread safety: pure functions, plus reads of files through an Env.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format/log.h"
#include "strata/env.h"
#include "strata/status.h"

namespace strata::backup {

constexpr const char* kManifestName = "manifest";

struct FileEntry {
  std::string name;  // relative to the backup folder
  uint64_t bytes = 0;
  uint64_t checksum = 0;
};

struct LogEntry : FileEntry {
  T first_t = 0, last_t = 0;
  uint64_t records = 0;
};

struct SegmentEntry : FileEntry {
  uint64_t id = 0;
  // What the root says of the segment: a leaf's ref (id, datoms, bytes,
  // first and last datom) hashed; a directory's content checksum. A later
  // backup skips the segment when the id and fingerprint are unchanged.
  uint64_t fingerprint = 0;
};

struct Manifest {
  std::string source;
  T basis_t = 0, last_t = 0;
  uint64_t transactions = 0;
  std::optional<FileEntry> root;
  std::vector<LogEntry> logs;
  std::vector<SegmentEntry> segments;

  uint64_t TotalBytes() const;
};

std::string Hex(uint64_t v);  // 16 digits
std::string EncodeManifest(const Manifest& m);
// Corruption naming `path` and the line when the text is torn, altered or
// malformed (the trailing checksum covers every byte before it).
Result<Manifest> DecodeManifest(std::string_view text, const std::string& path);

// The file `dir`/entry.name, checked against the entry: Corruption naming
// the file when it is missing, of another size, or fails its checksum.
Result<std::string> ReadChecked(Env* env, const std::string& dir, const FileEntry& entry);

// True when one of the folders is, or is inside, the other (lexically,
// after making them absolute): a backup must not land in its database.
bool Overlaps(const std::string& a, const std::string& b);
// The folder of a folder location ("file:/a" -> "/a").
std::string FolderOf(const std::string& location);

// Appends one record to a log file's bytes.
void AppendLogRecord(std::string* file, const LogRecord& rec);
// The records of a log file, in order; Corruption naming `name` and the
// offset when one does not decode.
Status ForEachLogRecord(std::string_view file, const std::string& name,
                        const std::function<Status(LogRecord&&)>& fn);

}  // namespace strata::backup
