// cli/backup_command.h — `strata backup --db LOCATION DEST` and
// `strata restore SRC --db LOCATION` (strata/backup.h; docs/backup.md).
//
// Backup copies a database (a folder or a PostgreSQL URI; read-only, so
// while a writer runs) into a backup folder, incrementally; restore checks
// every file of a backup and writes it into a new location, then verifies
// it. Both print a summary on stdout (EDN or JSON) with what they copied
// and skipped, and a progress line on stderr when it is a terminal.
// Ctrl-C stops them (exit 130): an interrupted backup leaves the previous
// one whole, an interrupted restore removes what it wrote.
//
// Thread safety: called from main.
#pragma once

namespace CLI {
class App;
}

namespace strata::cli {

// Declares `backup` and `restore` on `app`; each runs from its callback
// during parsing and leaves its exit code in *exit_code.
void AddBackupCommands(CLI::App& app, int* exit_code);

}  // namespace strata::cli
