// `strata pull`: a pull pattern from one entity of an existing database.
#include "cli/query_commands.h"
#include "strata/connection.h"
#include "strata/pull.h"
#include "strata/query.h"

namespace strata::cli {

int RunPull(const PullArgs& args) {
  std::unique_ptr<Connection> conn;
  return RunPull(args, [&]() -> Result<ReadSource> {
    STRATA_ASSIGN_OR_RETURN(conn, OpenExisting(args.db));
    return ReadSource{conn->db(), conn.get()};
  });
}

int RunPull(const PullArgs& args, const std::function<Result<ReadSource>()>& open) {
  auto pattern = edn::ReadOne(args.pattern);
  if (!pattern.ok()) return Fail("pattern: " + pattern.status().message());
  auto entity = edn::ReadOne(args.entity);
  if (!entity.ok()) return Fail("entity: " + entity.status().message());
  auto source = open();
  if (!source.ok()) return Fail(source.status().message());
  auto view = ReadView(source->db, args);
  if (!view.ok()) return Fail(ErrorText(view.status()));
  PullOptions options;
  options.timeout_ms = TimeoutMs(args);
  IoStats io;  // the last run's
  auto result = Repeat(args, [&] {
    IoMeter meter("pull");
    auto r = Pull(*view, *pattern, *entity, options);
    io = meter.Stop();
    return r;
  });
  if (!result.ok()) {
    // The pull library's messages name the pattern ("pull pattern: ..."):
    // no second "pull: " in front.
    const std::string text = ErrorText(result.status());
    return Fail((text.starts_with("pull") ? "" : "pull: ") + text + LimitHint(result.status()));
  }
  if (args.explain) {
    PrintExplained(args, *result, edn::Node::Map({edn::Node::Keyword("io-stats"), IoStatsEdn(io)}),
                   "{\"io-stats\":" + IoStatsJson(io) + "}");
  } else {
    PrintResult(args, *result);
  }
  return 0;
}

}  // namespace strata::cli
