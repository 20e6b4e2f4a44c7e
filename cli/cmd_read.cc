// `strata datoms` and `strata log`: reads of an existing database.

#include <cstdio>
#include <limits>

#include "cli/commands.h"

namespace strata::cli {

namespace {

// The first t at or after a point in time (for the log's range ends).
Result<T> FirstTAtOrAfter(const Database& now, const std::string& text, const std::string& flag) {
  STRATA_ASSIGN_OR_RETURN(TimePoint p, ParseTimePoint(text, flag));
  if (!p.is_instant) return p.t;
  if (p.ms == std::numeric_limits<int64_t>::min()) return T{0};
  // Every transaction with an instant < ms is at or before this t.
  STRATA_ASSIGN_OR_RETURN(Database before, now.AsOfInstant(p.ms - 1));
  return before.as_of_t().value_or(0) + 1;
}

}  // namespace

int PrintDatoms(const Database& db, DatomCursor* cursor, Format format, uint64_t limit, const std::string& what) {
  JsonArrayWriter json(stdout);
  uint64_t printed = 0;
  for (; cursor->Valid() && (limit == 0 || printed < limit); cursor->Next(), ++printed) {
    if (format == Format::kJson) {
      json.Add(DatomToJson(db, cursor->datom()));
    } else {
      PrintLine(DatomToEdnText(db, cursor->datom()));
    }
  }
  // The datoms stream out as they are read; a read that failed ends the
  // output short, with the error and exit 1 (never a short list and 0).
  if (Status s = cursor->status(); !s.ok()) return Fail(what + ": " + s.ToString());
  if (format == Format::kJson) json.Finish();
  if (limit != 0 && printed == limit && cursor->Valid()) {
    std::fflush(stdout);
    std::fprintf(stderr, "strata: note: stopped at --limit %llu; more datoms follow\n",
                 static_cast<unsigned long long>(limit));
  }
  return 0;
}

int RunDatoms(const DatomsArgs& args) {
  Index index;
  if (!ParseIndexName(args.index, &index)) {
    return Fail("unknown index '" + args.index + "': expected eavt, aevt, avet or vaet");
  }
  std::vector<edn::Node> components;
  for (size_t i = 0; i < args.components.size(); ++i) {
    auto node = edn::ReadOne(args.components[i]);
    if (!node.ok()) {
      return Fail("component " + std::to_string(i + 1) + " '" + args.components[i] + "': " + node.status().message());
    }
    components.push_back(std::move(*node));
  }
  auto conn = OpenExisting(args.db);
  if (!conn.ok()) return Fail(conn.status().message());

  auto view = ViewOf((*conn)->db(), args.as_of, args.since, args.history);
  if (!view.ok()) return Fail(view.status().ToString());
  const Database& db = *view;
  auto values = db.ResolveComponents(index, components);
  if (!values.ok()) return Fail(std::string(IndexName(index)) + " components: " + values.status().message());
  auto cursor = db.Datoms(index, std::move(*values));
  if (!cursor.ok()) return Fail(std::string(IndexName(index)) + ": " + cursor.status().message());

  return PrintDatoms(db, &*cursor, args.format, args.limit, IndexName(index));
}

int RunLog(const LogArgs& args) {
  auto conn = OpenExisting(args.db);
  if (!conn.ok()) return Fail(conn.status().message());
  const Database now = (*conn)->db();
  T from = 0, to = std::numeric_limits<T>::max();
  if (!args.from.empty()) {
    auto t = FirstTAtOrAfter(now, args.from, "--from");
    if (!t.ok()) return Fail(t.status().ToString());
    from = *t;
  }
  if (!args.to.empty()) {
    auto t = FirstTAtOrAfter(now, args.to, "--to");
    if (!t.ok()) return Fail(t.status().ToString());
    to = *t;
  }
  JsonArrayWriter json(stdout);
  Status s = (*conn)->TxRange(from, to, [&](T t, const std::vector<Datom>& datoms) {
    if (args.format == Format::kJson) {
      json.Add(LogEntryToJson(now, t, datoms));
    } else {
      PrintLine(LogEntryToEdn(now, t, datoms));
    }
    return Status::OK();
  });
  if (!s.ok()) return Fail("reading the log of " + args.db + ": " + s.ToString());
  if (args.format == Format::kJson) json.Finish();
  return 0;
}

}  // namespace strata::cli
