// Helpers shared by the subcommands: errors, opening, points in time.

#include <signal.h>

#include <cctype>
#include <charconv>
#include <cstdio>

#include "strata/connection.h"
#include "strata/location.h"
#include "cli/commands.h"

namespace strata::cli {

namespace {
volatile sig_atomic_t g_interrupted = 0;
void OnSigint(int) { g_interrupted = 1; }
}  // namespace

void CatchSigint() {
  struct sigaction sa = {};
  sa.sa_handler = OnSigint;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

bool Interrupted() { return g_interrupted != 0; }

Result<uint64_t> ParseSize(const std::string& text, const std::string& flag) {
  auto bad = [&] {
    return Status::InvalidArgument(flag + " '" + text + "': expected a size such as 65536, 64k, 32m or 1g");
  };
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return bad();
  std::string rest(end, text.data() + text.size());
  for (char& c : rest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (!rest.empty() && (rest[0] == 'k' || rest[0] == 'm' || rest[0] == 'g')) {
    shift = rest[0] == 'k' ? 10 : rest[0] == 'm' ? 20 : 30;
    rest.erase(0, 1);
    if (rest == "ib") rest.clear();
  }
  if (rest == "b") rest.clear();
  if (!rest.empty()) return bad();
  if (shift > 0 && n > (~uint64_t{0} >> shift)) return bad();
  return n << shift;
}

std::string ErrorText(const Status& s) {
  return s.IsCorruption() || s.IsIOError() ? s.ToString() : s.message();
}

int Fail(const std::string& message) {
  std::fflush(stdout);  // what was printed before the error comes first
  // A last line of defence: no error prints a storage password.
  std::fprintf(stderr, "strata: error: %s\n", RedactSecrets(message).c_str());
  return 1;
}

Result<std::unique_ptr<Connection>> OpenExisting(const std::string& dir) {
  Options o;
  o.create_if_missing = false;
  o.read_only = true;
  auto conn = Connection::Open(dir, o);
  if (!conn.ok()) {
    const Status& s = conn.status();
    if (s.IsNotFound() || s.message().starts_with("opening " + dir)) return s;  // "no database at DIR"
    return Status(s).WithContext("opening " + dir);
  }
  return conn;
}

Result<TimePoint> ParseTimePoint(const std::string& text, const std::string& flag) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(flag + " '" + text + "': " + why);
  };
  TimePoint p;
  if (text.empty()) return bad("expected a t, a tx id or an instant");
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return bad("number out of range");
    if (PartitionOf(n) != 0 && PartitionOf(n) != kPartTx) return bad("an entity id, not a t or a tx id");
    p.t = TOf(n);
    return p;
  }
  std::string instant = text;
  if (text[0] == '#' || text[0] == '"') {
    auto node = edn::ReadOne(text);
    if (!node.ok()) return bad(node.status().message());
    if (node->is(edn::Kind::kInst)) {
      p.is_instant = true;
      p.ms = node->i;
      return p;
    }
    if (!node->is(edn::Kind::kString)) return bad("expected a t, a tx id or an instant");
    instant = node->s;
  }
  if (!edn::ParseInstant(instant, &p.ms)) {
    return bad("expected a t, a tx id or an instant (#inst \"2024-05-01T10:00:00Z\" or 2024-05-01)");
  }
  p.is_instant = true;
  return p;
}

Result<Database> ViewOf(const Database& now, const std::string& as_of, const std::string& since, bool history) {
  Database db = now;
  if (!as_of.empty()) {
    STRATA_ASSIGN_OR_RETURN(TimePoint p, ParseTimePoint(as_of, "--as-of"));
    if (p.is_instant) {
      STRATA_ASSIGN_OR_RETURN(db, db.AsOfInstant(p.ms));
    } else {
      db = db.AsOf(p.t);
    }
  }
  if (!since.empty()) {
    STRATA_ASSIGN_OR_RETURN(TimePoint p, ParseTimePoint(since, "--since"));
    T t = p.t;
    if (p.is_instant) {
      STRATA_ASSIGN_OR_RETURN(Database then, now.AsOfInstant(p.ms));
      t = then.as_of_t().value_or(0);
    }
    db = db.Since(t);
  }
  if (history) db = db.History();
  return db;
}

}  // namespace strata::cli
