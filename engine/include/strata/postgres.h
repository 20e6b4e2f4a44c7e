// strata/postgres.h — PostgreSQL storage, from the strata_postgres library.
//
// The engine opens folder locations by itself. A program that should also
// open "postgres://user@host:port/pgdb?strata_db=NAME" locations (the log,
// blobs and roots in tables, docs/formats.md) links strata_postgres (and so
// libpq) and calls UsePostgresStorage() once before opening one; without
// it, opening such a location is InvalidArgument saying so.
//
// Credentials come from the URI or, as for every libpq client, from
// PGPASSWORD or ~/.pgpass; messages print locations without a password.
//
// Thread safety: UsePostgresStorage may be called from any thread, any
// number of times.
#pragma once

namespace strata {

void UsePostgresStorage();

}  // namespace strata
