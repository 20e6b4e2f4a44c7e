// strata/location.h — where a database lives, as a string.
//
// Functions over locations that need no open database.
#pragma once

#include <string>

#include "strata/env.h"
#include "strata/status.h"

namespace strata {

// A database lives at a location: a folder ("/data/db", "file:/data/db"),
// or a PostgreSQL URI naming the server, its database and the strata
// database inside it ("postgres://user@host:5432/pgdb?strata_db=music"; many
// strata databases share one PostgreSQL database).

// `location` with its strata_db parameter set to `name` (PostgreSQL); for a
// folder, the folder `name` beside it.
std::string WithStrataDb(const std::string& location, const std::string& name);
// `location` fit for logs and output: a PostgreSQL URI without its password
// (as the backend itself names it); a folder as is.
std::string RedactLocation(const std::string& location);
// `text` (a message, a log line) with every PostgreSQL URI in it that
// holds a password ("user:password@", "password=") replaced by
// RedactLocation's form: a last line of defence before text leaves the
// process (CLI errors and log lines, messages to peers). A URI ends at
// white space or a quote; trailing punctuation (":", ",", ".", ";", ")")
// stays outside it. Other text is unchanged.
std::string RedactSecrets(const std::string& text);
// Deletes the database at `location` (every blob, root and log record);
// OK when there is none. Nothing may have it open.
Status DestroyDatabase(const std::string& location, Env* env = nullptr);

}  // namespace strata
