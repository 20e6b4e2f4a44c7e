// The data sources of `strata q` (see sources.h).

#include "cli/sources.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "cli/commands.h"

namespace strata::cli {

namespace {

bool IsViewName(const std::string& s) {
  return s == "as-of" || s == "since" || s == "history" || s == "with" || s == "filter";
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// An attribute named in a filter: ":ns/name" or "ns/name".
Result<const Attribute*> FilterAttr(const Database& db, const std::string& text, const std::string& where) {
  const std::string name = !text.empty() && text[0] == ':' ? text.substr(1) : text;
  const Attribute* a = db.attribute(name);
  if (a == nullptr) return Status::InvalidArgument(where + ": unknown attribute :" + name);
  return a;
}

Result<Database> ApplyFilter(const Database& db, const std::string& arg) {
  const std::string where = "filter '" + arg + "'";
  const size_t colon = arg.find(':');
  const std::string kind = arg.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : arg.substr(colon + 1);
  if (rest.empty() && (kind == "not-tx" || kind == "not-tx-with" || kind == "attrs")) {
    return Status::InvalidArgument(where + ": " + kind + " needs an argument (" + kind + ":...)");
  }
  if (kind == "not-tx") {
    auto txs = std::make_shared<std::unordered_set<EntityId>>();
    for (const std::string& part : Split(rest, ',')) {
      STRATA_ASSIGN_OR_RETURN(TimePoint p, ParseTimePoint(part, where));
      if (p.is_instant) return Status::InvalidArgument(where + ": '" + part + "' is an instant; expected a t or a tx id");
      txs->insert(TxId(p.t));
    }
    return db.Filter([txs](const Database&, const Datom& d) { return txs->count(d.tx) == 0; });
  }
  if (kind == "not-tx-with") {
    // The transactions to hide are found once, in the view being filtered
    // (Datomic's filters page marks erroneous transactions this way).
    STRATA_ASSIGN_OR_RETURN(const Attribute* a, FilterAttr(db, rest, where));
    auto txs = std::make_shared<std::unordered_set<EntityId>>();
    Status s = ForEach(db.Datoms(Index::kAevt, {Value::Ref(a->id)}), [&](const Datom& d) {
      if (PartitionOf(d.e) == kPartTx && !(d.v.type() == ValueType::kBoolean && !d.v.as_bool())) txs->insert(d.e);
    });
    if (!s.ok()) return s.WithContext(where);
    return db.Filter([txs](const Database&, const Datom& d) { return txs->count(d.tx) == 0; });
  }
  if (kind == "attrs") {
    auto keep = std::make_shared<std::unordered_set<EntityId>>();
    for (const std::string& part : Split(rest, ',')) {
      STRATA_ASSIGN_OR_RETURN(const Attribute* a, FilterAttr(db, part, where));
      keep->insert(a->id);
    }
    return db.Filter([keep](const Database&, const Datom& d) { return keep->count(d.a) != 0; });
  }
  return Status::InvalidArgument(where + ": expected not-tx:T[,T...], not-tx-with:ATTR or attrs:ATTR[,ATTR...]");
}

}  // namespace

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read " + path);
  return ss.str();
}

Result<SourceSpec> ParseSourceSpec(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--source '" + text + "': " + why +
                                   " (expected NAME=@FILE or NAME=[LOCATION][:as-of:T][:since:T][:history]"
                                   "[:with:FILE][:filter:...], NAME a source variable such as $2)");
  };
  const size_t eq = text.find('=');
  if (eq == std::string::npos) return bad("no '='");
  SourceSpec spec;
  spec.name = text.substr(0, eq);
  if (spec.name.empty() || spec.name[0] != '$') return bad("'" + spec.name + "' is not a source variable");
  for (char c : spec.name) {
    if (std::isspace(static_cast<unsigned char>(c))) return bad("'" + spec.name + "' is not a source variable");
  }
  const std::string rhs = text.substr(eq + 1);
  if (rhs.empty()) return bad("nothing after '='");
  if (rhs[0] == '@') {
    spec.file = rhs.substr(1);
    if (spec.file.empty()) return bad("no file after '@'");
    return spec;
  }
  // The location may hold ':' (postgres://u@h:5432/db) and so may a T
  // (an instant's 10:00:00) or a filter's attribute: a part that is a
  // view's name starts a view, every other part continues the last one.
  const std::vector<std::string> parts = Split(rhs, ':');
  std::string* into = &spec.location;
  bool fresh = true;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0 && IsViewName(parts[i])) {
      spec.views.push_back({parts[i], ""});
      into = &spec.views.back().arg;
      fresh = true;
      continue;
    }
    if (!fresh) *into += ':';  // rejoin what Split cut
    *into += parts[i];
    fresh = false;
  }
  for (size_t i = 0; i < spec.views.size(); ++i) {
    const SourceSpec::View& v = spec.views[i];
    if (v.kind == "history" && !v.arg.empty()) return bad(":history takes no argument");
    if (v.kind != "history" && v.arg.empty()) return bad(":" + v.kind + " needs an argument (:" + v.kind + ":...)");
    if (v.kind == "with" && i != 0) return bad(":with must come first: a transaction applies to the current value");
  }
  return spec;
}

Result<Database> WithFile(const Database& db, const std::string& path, const std::string& flag) {
  if (db.as_of_t() || db.since_t() || db.is_history()) {
    return Status::InvalidArgument(flag + " " + path + ": a speculative transaction applies to the current value, " +
                                   "not to an as-of, since or history view");
  }
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  auto forms = edn::ReadAll(text);
  if (!forms.ok()) return Status::InvalidArgument(flag + " " + path + ": " + forms.status().message());
  if (forms->empty()) return Status::InvalidArgument(flag + " " + path + ": no transaction in the file");
  Database out = db;
  for (size_t i = 0; i < forms->size(); ++i) {
    auto report = out.With((*forms)[i]);
    if (!report.ok()) {
      return Status(report.status())
          .WithContext(flag + " " + path + (forms->size() > 1 ? ", transaction " + std::to_string(i + 1) : ""));
    }
    out = report->db_after;
  }
  return out;
}

Result<Database> ApplySourceView(const Database& now, const Database& db, const SourceSpec::View& view) {
  if (view.kind == "history") return db.History();
  if (view.kind == "with") return WithFile(db, view.arg, ":with");
  if (view.kind == "filter") return ApplyFilter(db, view.arg);
  STRATA_ASSIGN_OR_RETURN(TimePoint p, ParseTimePoint(view.arg, ":" + view.kind));
  if (view.kind == "as-of") {
    if (p.is_instant) return db.AsOfInstant(p.ms);
    return db.AsOf(p.t);
  }
  // since: an instant is since the last transaction at or before it.
  T t = p.t;
  if (p.is_instant) {
    STRATA_ASSIGN_OR_RETURN(Database then, now.AsOfInstant(p.ms));
    t = then.as_of_t().value_or(0);
  }
  return db.Since(t);
}

Result<std::variant<Database, edn::Node>> SourceResolver::Resolve(const SourceSpec& spec) {
  const std::string where = "--source " + spec.name;
  if (!spec.file.empty()) {
    auto text = ReadTextFile(spec.file);
    if (!text.ok()) return Status(text.status()).WithContext(where);
    auto node = edn::ReadOne(*text);
    if (!node.ok()) return Status::InvalidArgument(where + " @" + spec.file + ": " + node.status().message());
    if (!node->is_seq() && !node->is(edn::Kind::kSet)) {
      return Status::InvalidArgument(where + " @" + spec.file + ": expected a collection of tuples, got " +
                                     edn::Print(*node).substr(0, 40));
    }
    return std::variant<Database, edn::Node>(std::move(*node));
  }
  Database now;
  if (spec.location.empty()) {
    if (!has_default_) return Status::InvalidArgument(where + ": no location and no --db to take it from");
    now = default_db_;
  } else {
    auto it = opened_.find(spec.location);
    if (it == opened_.end()) {
      auto conn = OpenExisting(spec.location);
      if (!conn.ok()) return Status(conn.status()).WithContext(where);
      it = opened_.emplace(spec.location, std::move(*conn)).first;
    }
    now = it->second->db();
  }
  Database db = now;
  for (const SourceSpec::View& v : spec.views) {
    auto next = ApplySourceView(now, db, v);
    if (!next.ok()) return Status(next.status()).WithContext(where);
    db = *next;
  }
  return std::variant<Database, edn::Node>(std::move(db));
}

}  // namespace strata::cli
