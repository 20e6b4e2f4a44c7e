// `strata pull`: a pull pattern from one entity of an existing database.
#include "cli/query_commands.h"
#include "strata/pull.h"

namespace strata::cli {

int RunPull(const PullArgs& args) {
  auto pattern = edn::ReadOne(args.pattern);
  if (!pattern.ok()) return Fail("pattern: " + pattern.status().message());
  auto entity = edn::ReadOne(args.entity);
  if (!entity.ok()) return Fail("entity: " + entity.status().message());
  auto conn = OpenExisting(args.db);
  if (!conn.ok()) return Fail(conn.status().message());
  auto view = ReadView((*conn)->db(), args);
  if (!view.ok()) return Fail(view.status().message());
  auto result = Repeat(args, [&] { return Pull(*view, *pattern, *entity); });
  if (!result.ok()) return Fail("pull: " + result.status().message());
  PrintResult(args, *result);
  return 0;
}

}  // namespace strata::cli
