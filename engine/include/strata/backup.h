// strata/backup.h — backups of a database into a folder, and restores from
// one into any location (a folder or PostgreSQL), so a database moves
// between storages.
//
// A backup folder holds what a database needs to be rebuilt exactly: its
// index root, every segment that root reaches (leaves and directories), and
// its log up to a transaction at or after the root's basis; a `manifest`
// lists each file with its size and checksum (docs/backup.md has the
// layout). Files are named by their content's checksum and never
// rewritten, so:
//   - a second backup to the same folder is incremental: it copies only
//     the segments and the log records the folder does not hold yet;
//   - a backup writes its new files first and then replaces the manifest
//     atomically: one interrupted (Ctrl-C, a crash) leaves the previous
//     backup whole; the files it wrote are removed by the next backup.
// Backup opens the database read-only (Options::read_only): it changes no
// byte of it and runs beside a writer, copying the newest published root
// and the log as far as the open saw it. When a writer's garbage collection
// removes a segment of that root while it is copied, backup starts over
// from the writer's newer root (at most BackupOptions::attempts times).
//
// Restore checks every file of the backup against the manifest before it
// writes anything (a missing, truncated or altered file is Corruption
// naming it), refuses a location that holds a database unless told to
// replace it, writes the log, the segments and then the root, and runs
// Verify on the result.
//
// Thread safety: any number of Backup and Restore calls may run at once; a
// backup holds DEST/LOCK while it writes, so a second one to the same
// folder is Busy (in this process or another).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "strata/env.h"
#include "strata/status.h"
#include "strata/value.h"
#include "strata/verify.h"

namespace strata {

// Where a long backup or restore stands, for a progress line.
struct BackupProgress {
  const char* phase = "";   // "log", "segments", "checking", "restoring log", "restoring segments", "verifying"
  uint64_t done = 0;        // items (records or segments) of the phase done
  uint64_t total = 0;       // items of the phase; 0 when unknown
  uint64_t bytes = 0;       // bytes read or written so far, all phases
};

struct BackupOptions {
  Env* env = nullptr;  // folders (the source when a folder, and the backup); null: Env::Default()
  std::function<void(const BackupProgress&)> progress;  // called after each item; may be empty
  const std::atomic<bool>* cancel = nullptr;  // when it turns true: stop, Aborted; the previous backup stands
  int attempts = 3;                           // fresh starts when a writer collected a segment being copied
  uint64_t log_chunk_bytes = 64u << 20;       // a new log file is cut past this many bytes
};

struct BackupReport {
  std::string dest;
  T basis_t = 0;                    // the root's (0: never indexed)
  T last_t = 0;                     // the last transaction in the backup
  uint64_t transactions = 0;        // log records in the backup
  uint64_t segments = 0;            // segments the root reaches (all in the backup)
  uint64_t segments_copied = 0;     // written by this backup
  uint64_t segments_skipped = 0;    // already in the folder, unchanged
  uint64_t log_files_copied = 0, log_files_skipped = 0;
  uint64_t bytes_copied = 0;        // written by this backup (segments, log, root)
  uint64_t bytes_total = 0;         // of every file the manifest lists
  uint64_t files_removed = 0;       // left by earlier backups and no longer listed
  int attempts = 1;                 // starts needed (see BackupOptions::attempts)

  // One line: "backup of ... to DEST: ..., N segments copied, M skipped ...".
  std::string ToString() const;
};

// Backs up the database at `location` (a folder or a PostgreSQL URI) into
// the folder `dest` (created if missing; if it holds files, they must be a
// backup: InvalidArgument otherwise). NotFound when there is no database at
// `location`; Busy while another backup writes to `dest`; Aborted when
// cancelled.
Result<BackupReport> Backup(const std::string& location, const std::string& dest, const BackupOptions& options = {});

struct RestoreOptions {
  Env* env = nullptr;  // folders; null: Env::Default()
  bool force = false;  // replace a database already at the location (destroyed first)
  bool verify = true;  // run Verify on the restored database
  std::function<void(const BackupProgress&)> progress;
  const std::atomic<bool>* cancel = nullptr;  // when true: stop; what was written is destroyed
};

struct RestoreReport {
  std::string location;  // redacted
  T basis_t = 0, last_t = 0;
  uint64_t transactions = 0, segments = 0;
  uint64_t bytes = 0;         // read from the backup (each file once)
  bool verified = false;      // Verify ran
  VerifyReport verify;        // its report, when verified

  // "restored ... into LOCATION: ..." then, when verified, Verify's lines.
  std::string ToString() const;
};

// Restores the backup folder `src` into `location`. Corruption naming the
// file when the backup is torn or altered; Conflict when `location` holds a
// database and !force; nothing is written in either case. A restore that
// fails after it started writing destroys what it wrote. The report's
// verify says whether the restored database passed Verify.
Result<RestoreReport> Restore(const std::string& src, const std::string& location, const RestoreOptions& options = {});

}  // namespace strata
