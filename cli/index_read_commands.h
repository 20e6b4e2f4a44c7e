// cli/index_read_commands.h — Datomic's index and entity APIs as commands:
//
//   strata index-range --db DIR ATTR [START [END]]   AVET datoms of an indexed
//       or unique attribute with START <= v < END (nil or absent: open), as
//       Datomic's index-range
//   strata seek-datoms --db DIR INDEX [COMPONENT...]  datoms from the position
//       the components name to the end of the index (not only those matching
//       them), as Datomic's seek-datoms; --limit bounds it (default 1000)
//   strata entity --db DIR ENTITY      the entity's attributes as one map, as
//       Datomic's touched entity: :db/id, cardinality-many values as sets,
//       refs to entities with an ident as that keyword, component entities
//       touched recursively, other refs as {:db/id N}
//
// Each takes --as-of, --since, --history (not entity) and --format edn|json;
// datoms print like `strata datoms` (one EDN vector a line, or a JSON array).
#pragma once

#include <CLI/CLI.hpp>

namespace strata::cli {

// Registers index-range, seek-datoms and entity on `app`; a parsed one runs
// from its callback and stores its exit code in *exit_code.
void AddIndexReadCommands(CLI::App& app, int* exit_code);

}  // namespace strata::cli
