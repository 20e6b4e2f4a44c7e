// The console's read endpoints: info, schema, entity, log, datoms, index.
#include <algorithm>
#include <deque>
#include <limits>

#include "cli/commands.h"
#include "console/api.h"
#include "harness/results.h"
#include "harness/run.h"
#include "strata/verify.h"

namespace strata::console {

std::string Param(const Params& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() ? "" : it->second;
}

std::vector<std::string> ParamAll(const Params& p, const std::string& name) {
  std::vector<std::string> out;
  for (auto [it, end] = p.equal_range(name); it != end; ++it) out.push_back(it->second);
  return out;
}

// Shared by the endpoints (api_query.cc too).
Result<Database> ViewParams(const Source& src, const Params& p) {
  const std::string h = Param(p, "history");
  bool history = false;
  if (h == "true" || h == "1") {
    history = true;
  } else if (!h.empty() && h != "false" && h != "0") {
    return Status::InvalidArgument("parameter history: expected true or false, got '" + h + "'");
  }
  return cli::ViewOf(src.db(), Param(p, "as-of"), Param(p, "since"), history);
}

Result<uint64_t> UintParam(const Params& p, const std::string& name, uint64_t dflt, uint64_t max) {
  const std::string s = Param(p, name);
  if (s.empty()) return dflt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > (std::numeric_limits<uint64_t>::max() - 9) / 10)
      return Status::InvalidArgument("parameter " + name + ": expected a non-negative integer, got '" + s + "'");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return Status::InvalidArgument("parameter " + name + ": at most " + std::to_string(max));
  return v;
}

Result<edn::Node> EdnParam(const Params& p, const std::string& name) {
  const std::string s = Param(p, name);
  if (s.empty()) return Status::InvalidArgument("parameter " + name + " is required");
  auto n = edn::ReadOne(s);
  if (!n.ok()) return Status::InvalidArgument("parameter " + name + ": " + n.status().message());
  return n;
}

Json TxJson(const Database& db, T t, EntityId tx, const std::vector<Datom>& datoms) {
  Json out = Json::object();
  out["t"] = t;
  out["tx"] = tx;
  Json list = Json::array(), annotations = Json::array();
  const Attribute* inst = db.attribute("db/txInstant");
  for (const Datom& d : datoms) {
    if (d.e == tx && inst != nullptr && d.a == inst->id) out["instant"] = cli::ValueToJson(d.v);
    // Datoms about the transaction entity are its annotations (Datomic's
    // reified transactions): :db/txInstant and whatever the transaction
    // asserted about "datomic.tx".
    (d.e == tx ? annotations : list).push_back(cli::DatomToJson(db, d));
  }
  out["annotations"] = std::move(annotations);
  out["datoms"] = std::move(list);
  return out;
}

namespace {

Json ViewJson(const Database& db) {
  Json v = Json::object();
  v["basis_t"] = db.basis_t();
  if (db.as_of_t()) v["as_of"] = *db.as_of_t();
  if (db.since_t()) v["since"] = *db.since_t();
  v["history"] = db.is_history();
  return v;
}

const char* UniqueName(Unique u) {
  switch (u) {
    case Unique::kValue: return "value";
    case Unique::kIdentity: return "identity";
    default: return nullptr;
  }
}

}  // namespace

Result<Json> ApiInfo(const Source& src, const Limits& limits) {
  const Database db = src.db();
  Json j = Json::object();
  j["kind"] = src.kind();
  j["location"] = src.location();
  j["writable"] = src.writable();
  j["log"] = src.log_connection() != nullptr;
  j["basis_t"] = db.basis_t();
  j["limits"] = Json{{"timeout_ms", limits.timeout_ms},
                     {"max_tuples", limits.max_tuples},
                     {"max_bytes", limits.max_bytes},
                     {"max_page", limits.max_page}};
  return j;
}

Result<Json> ApiSchema(const Source& src, const Params& p) {
  STRATA_ASSIGN_OR_RETURN(Database db, ViewParams(src, p));
  const std::string c = Param(p, "counts");
  const bool counts = c.empty() || c == "true" || c == "1";
  // Every attribute is an entity with a :db/valueType; read them from the
  // current schema (an attribute retired in a past view still names its datoms).
  const Database now = src.db();
  const Attribute* vt = now.attribute("db/valueType");
  const Attribute* doc = now.attribute("db/doc");
  if (vt == nullptr) return Status::Corruption("the schema has no :db/valueType");
  std::vector<EntityId> ids;
  STRATA_RETURN_IF_ERROR(ForEach(now.Datoms(Index::kAevt, {Value::Ref(vt->id)}), [&](const Datom& d) {
    if (ids.empty() || ids.back() != d.e) ids.push_back(d.e);
  }));
  Json attrs = Json::array();
  for (EntityId id : ids) {
    const Attribute* a = now.attribute(id);
    if (a == nullptr || a->ident.empty()) continue;
    Json j = Json::object();
    j["id"] = a->id;
    j["ident"] = ":" + a->ident;
    j["type"] = ValueTypeName(a->type);
    j["cardinality"] = a->many ? "many" : "one";
    if (const char* u = UniqueName(a->unique)) j["unique"] = u; else j["unique"] = nullptr;
    j["index"] = a->indexed;
    j["component"] = a->component;
    j["noHistory"] = a->no_history;
    j["system"] = a->ident.rfind("db", 0) == 0 && (a->ident.size() == 2 || a->ident[2] == '/' || a->ident[2] == '.');
    j["doc"] = nullptr;
    if (doc != nullptr) {
      STRATA_ASSIGN_OR_RETURN(std::vector<Value> docs, now.Values(id, doc->id));
      if (!docs.empty()) j["doc"] = docs.front().str();
    }
    if (counts) {
      uint64_t n = 0;
      STRATA_RETURN_IF_ERROR(ForEach(db.Datoms(Index::kAevt, {Value::Ref(id)}), [&](const Datom&) { ++n; }));
      j["datoms"] = n;
    }
    attrs.push_back(std::move(j));
  }
  return Json{{"view", ViewJson(db)}, {"attributes", std::move(attrs)}};
}

Result<Json> ApiEntity(const Source& src, const Params& p, const Limits& limits) {
  STRATA_ASSIGN_OR_RETURN(Database db, ViewParams(src, p));
  STRATA_ASSIGN_OR_RETURN(edn::Node eid, EdnParam(p, "e"));
  STRATA_ASSIGN_OR_RETURN(uint64_t limit, UintParam(p, "limit", 1000, limits.max_page));
  auto id = db.Entid(eid);
  if (!id.ok()) return id.status().WithContext("entity " + edn::Print(eid));
  Json out = Json::object();
  out["view"] = ViewJson(db);
  out["id"] = *id;
  if (const std::string* ident = db.ident(*id)) out["ident"] = ":" + *ident; else out["ident"] = nullptr;
  Json datoms = Json::array();
  uint64_t n = 0;
  bool more = false;
  STRATA_RETURN_IF_ERROR(ForEach(db.Datoms(Index::kEavt, {Value::Ref(*id)}), [&](const Datom& d) {
    if (n++ == limit) return !(more = true);
    datoms.push_back(cli::DatomToJson(db, d));
    return true;
  }));
  // References in: VAET, the datoms whose ref value is this entity.
  Json refs_in = Json::array();
  n = 0;
  bool more_in = false;
  STRATA_RETURN_IF_ERROR(ForEach(db.Datoms(Index::kVaet, {Value::Ref(*id)}), [&](const Datom& d) {
    if (n++ == limit) return !(more_in = true);
    refs_in.push_back(cli::DatomToJson(db, d));
    return true;
  }));
  out["datoms"] = std::move(datoms);
  out["datoms_truncated"] = more;
  out["refs_in"] = std::move(refs_in);
  out["refs_in_truncated"] = more_in;
  return out;
}

Result<Json> ApiLog(const Source& src, const Params& p, const Limits& limits) {
  STRATA_ASSIGN_OR_RETURN(Database db, ViewParams(src, p));
  STRATA_ASSIGN_OR_RETURN(uint64_t limit, UintParam(p, "limit", 20, limits.max_page));
  if (limit == 0) return Status::InvalidArgument("parameter limit: at least 1");
  // The view bounds the range: as-of ends it, since starts after it.
  T lo = db.since_t() ? TOf(*db.since_t()) + 1 : 0;
  T hi = db.as_of_t() ? TOf(*db.as_of_t()) + 1 : std::numeric_limits<T>::max();
  const std::string from = Param(p, "from"), before = Param(p, "before");
  if (!from.empty() && !before.empty()) return Status::InvalidArgument("give from or before, not both");
  std::deque<Json> page;
  bool more = false;
  auto add = [&](T t, const std::vector<Datom>& datoms) {
    page.push_back(TxJson(db, t, TxId(t), datoms));
    return Status::OK();
  };
  if (before.empty()) {
    // Oldest first, from `from` on (default: the start).
    if (!from.empty()) {
      STRATA_ASSIGN_OR_RETURN(cli::TimePoint tp, cli::ParseTimePoint(from, "from"));
      if (tp.is_instant) return Status::InvalidArgument("parameter from: a t or tx id");
      lo = std::max(lo, TOf(tp.t));
    }
    Status s = src.TxRange(lo, hi, [&](T t, const std::vector<Datom>& datoms) {
      if (page.size() == limit) {
        more = true;
        return Status::Aborted("page full");
      }
      return add(t, datoms);
    });
    if (!s.ok() && !more) return s;
  } else {
    // The `limit` transactions before `before` (newest last): read windows
    // backwards, widening until the page is full or the start is reached.
    STRATA_ASSIGN_OR_RETURN(cli::TimePoint tp, cli::ParseTimePoint(before, "before"));
    if (tp.is_instant) return Status::InvalidArgument("parameter before: a t or tx id");
    hi = std::min(hi, TOf(tp.t));
    T width = limit * 8;
    T end = hi;
    while (page.size() < limit && end > lo) {
      const T start = end > lo + width ? end - width : lo;
      std::deque<Json> window;
      STRATA_RETURN_IF_ERROR(src.TxRange(start, end, [&](T t, const std::vector<Datom>& datoms) {
        window.push_back(TxJson(db, t, TxId(t), datoms));
        return Status::OK();
      }));
      while (!window.empty() && page.size() < limit) {
        page.push_front(std::move(window.back()));
        window.pop_back();
      }
      if (!window.empty()) more = true;
      end = start;
      width *= 2;
    }
    if (!more && end > lo) more = true;  // not read: there may be more
  }
  Json txs = Json::array();
  for (auto& j : page) txs.push_back(std::move(j));
  Json out = Json::object();
  out["view"] = ViewJson(db);
  out["transactions"] = std::move(txs);
  out["more"] = more;
  return out;
}

namespace {

// A datom's components in an index's order, as EDN (for the paging token).
edn::Node KeyOf(const Database& db, Index index, const Datom& d) {
  edn::Node e = edn::Node::Long(static_cast<int64_t>(d.e));
  edn::Node a = edn::Node::Long(static_cast<int64_t>(d.a));
  if (const std::string* ident = db.ident(d.a)) a = edn::Node::Keyword(*ident);
  edn::Node v = d.v.type() == ValueType::kRef ? edn::Node::Long(static_cast<int64_t>(d.v.ref())) : db.ValueToEdn(d.v);
  edn::Node tx = edn::Node::Long(static_cast<int64_t>(d.tx));
  switch (index) {
    case Index::kEavt: return edn::Node::Vector({e, a, v, tx});
    case Index::kAevt: return edn::Node::Vector({a, e, v, tx});
    case Index::kAvet: return edn::Node::Vector({a, v, e, tx});
    case Index::kVaet: return edn::Node::Vector({v, a, e, tx});
  }
  return edn::Node::Vector();
}

// Whether `d`'s leading components equal `prefix` (values in index order).
bool HasPrefix(Index index, const Datom& d, const std::vector<Value>& prefix) {
  std::vector<Value> key;
  switch (index) {
    case Index::kEavt: key = {Value::Ref(d.e), Value::Ref(d.a), d.v, Value::Ref(d.tx)}; break;
    case Index::kAevt: key = {Value::Ref(d.a), Value::Ref(d.e), d.v, Value::Ref(d.tx)}; break;
    case Index::kAvet: key = {Value::Ref(d.a), d.v, Value::Ref(d.e), Value::Ref(d.tx)}; break;
    case Index::kVaet: key = {d.v, Value::Ref(d.a), Value::Ref(d.e), Value::Ref(d.tx)}; break;
  }
  for (size_t i = 0; i < prefix.size() && i < key.size(); ++i) {
    const Value& x = prefix[i];
    const Value& y = key[i];
    // Entity positions compare as ids whatever type the component resolved to.
    if (x.type() == ValueType::kRef || y.type() == ValueType::kRef) {
      const bool xr = x.type() == ValueType::kRef || x.type() == ValueType::kLong;
      const bool yr = y.type() == ValueType::kRef || y.type() == ValueType::kLong;
      if (!xr || !yr || x.as_long() != y.as_long()) return false;
    } else if (!(x == y)) {
      return false;
    }
  }
  return true;
}

Result<std::vector<edn::Node>> ComponentParams(const Params& p) {
  std::vector<edn::Node> out;
  for (const std::string& text : ParamAll(p, "c")) {
    if (text.empty()) continue;
    auto n = edn::ReadOne(text);
    if (!n.ok())
      return Status::InvalidArgument("component " + std::to_string(out.size() + 1) + " '" + text +
                                     "': " + n.status().message());
    out.push_back(std::move(*n));
  }
  return out;
}

}  // namespace

Result<Json> ApiDatoms(const Source& src, const Params& p, const Limits& limits) {
  STRATA_ASSIGN_OR_RETURN(Database db, ViewParams(src, p));
  Index index;
  const std::string name = Param(p, "index");
  if (!ParseIndexName(name, &index))
    return Status::InvalidArgument("parameter index: expected eavt, aevt, avet or vaet, got '" + name + "'");
  STRATA_ASSIGN_OR_RETURN(uint64_t limit, UintParam(p, "limit", 50, limits.max_page));
  if (limit == 0) return Status::InvalidArgument("parameter limit: at least 1");
  // mode=prefix (default): the datoms whose leading components equal c...;
  // mode=seek: every datom from the first >= c... on (seek-datoms).
  const std::string mode = Param(p, "mode");
  if (!mode.empty() && mode != "prefix" && mode != "seek")
    return Status::InvalidArgument("parameter mode: expected prefix or seek, got '" + mode + "'");
  const bool seek = mode == "seek";
  STRATA_ASSIGN_OR_RETURN(std::vector<edn::Node> comps, ComponentParams(p));
  auto prefix = db.ResolveComponents(index, comps);
  // An unknown ident or lookup ref in a component is bad input here (400),
  // not a missing resource.
  if (!prefix.ok())
    return Status::InvalidArgument(std::string(IndexName(index)) + " components: " + prefix.status().message());
  // Paging: `after` is the previous page's `next`, the last datom's key.
  const std::string after_text = Param(p, "after");
  std::optional<Datom> after;
  Result<DatomCursor> cursor = Status::OK();
  if (after_text.empty()) {
    cursor = seek ? db.SeekDatoms(index, *prefix) : db.Datoms(index, *prefix);
  } else {
    auto key = edn::ReadOne(after_text);
    if (!key.ok() || !key->is_seq()) return Status::InvalidArgument("parameter after: not a page token");
    auto values = db.ResolveComponents(index, key->items);
    if (!values.ok()) return values.status().WithContext("parameter after");
    cursor = db.SeekDatoms(index, *values);
    after.emplace();  // skip the datoms equal to the key (the last one shown)
    std::vector<Value>& k = *values;
    if (k.size() != 4) return Status::InvalidArgument("parameter after: not a page token");
    switch (index) {
      case Index::kEavt: *after = Datom{k[0].ref(), k[1].ref(), k[2], k[3].ref()}; break;
      case Index::kAevt: *after = Datom{k[1].ref(), k[0].ref(), k[2], k[3].ref()}; break;
      case Index::kAvet: *after = Datom{k[2].ref(), k[0].ref(), k[1], k[3].ref()}; break;
      case Index::kVaet: *after = Datom{k[2].ref(), k[1].ref(), k[0], k[3].ref()}; break;
    }
  }
  if (!cursor.ok()) return cursor.status().WithContext(IndexName(index));
  Json datoms = Json::array();
  std::optional<Datom> last;
  bool more = false;
  STRATA_RETURN_IF_ERROR(ForEach(*cursor, [&](const Datom& d) {
    if (after && d.e == after->e && d.a == after->a && d.tx == after->tx &&
        (d.v == after->v || (d.v.type() == ValueType::kRef && after->v.as_long() == d.v.as_long())))
      return true;
    if (!seek && !HasPrefix(index, d, *prefix)) return false;
    if (datoms.size() == limit) return !(more = true);
    datoms.push_back(cli::DatomToJson(db, d));
    last = d;
    return true;
  }));
  Json out = Json::object();
  out["view"] = ViewJson(db);
  out["index"] = IndexName(index);
  out["datoms"] = std::move(datoms);
  out["next"] = more && last ? Json(edn::Print(KeyOf(db, index, *last))) : Json(nullptr);
  return out;
}

Result<Json> ApiIndex(const Source& src, const Params& p, const Limits& limits) {
  const Database db = src.db();
  const IndexShape shape = db.durable_index_shape();
  // tree=N&level=L lists that level's segments, a page at a time.
  const std::string tree_text = Param(p, "tree");
  if (!tree_text.empty()) {
    STRATA_ASSIGN_OR_RETURN(uint64_t tree, UintParam(p, "tree", 0, kTreeCount - 1));
    STRATA_ASSIGN_OR_RETURN(uint64_t level, UintParam(p, "level", 0, 1000));
    STRATA_ASSIGN_OR_RETURN(uint64_t offset, UintParam(p, "offset", 0, std::numeric_limits<uint32_t>::max()));
    STRATA_ASSIGN_OR_RETURN(uint64_t limit, UintParam(p, "limit", 100, limits.max_page));
    const auto& levels = shape.trees[tree];
    if (level >= levels.size())
      return Status::InvalidArgument("tree " + TreeName(static_cast<int>(tree)) + " has " +
                                     std::to_string(levels.size()) + " levels; no level " + std::to_string(level));
    const LevelShape& l = levels[level];
    Json segs = Json::array();
    for (size_t i = offset; i < l.segments.size() && segs.size() < limit; ++i) {
      const SegmentRef& s = l.segments[i];
      segs.push_back(Json{{"id", s.id}, {"datoms", s.count}, {"bytes", s.bytes},
                          {"first", cli::DatomToJson(db, s.first)}, {"last", cli::DatomToJson(db, s.last)}});
    }
    return Json{{"tree", TreeName(static_cast<int>(tree))}, {"level", level}, {"segments_total", l.segments.size()},
                {"offset", offset}, {"segments", std::move(segs)}};
  }
  Json trees = Json::array();
  for (int t = 0; t < kTreeCount; ++t) {
    Json levels = Json::array();
    for (size_t i = 0; i < shape.trees[t].size(); ++i) {
      const LevelShape& l = shape.trees[t][i];
      levels.push_back(Json{{"level", i}, {"segments", l.segments.size()}, {"datoms", l.datoms}, {"bytes", l.bytes}});
    }
    trees.push_back(Json{{"tree", t}, {"name", TreeName(t)}, {"levels", std::move(levels)}});
  }
  Json jobs = Json::array();
  const std::vector<JobMetrics> all = src.Jobs();
  STRATA_ASSIGN_OR_RETURN(uint64_t last, UintParam(p, "jobs", 20, limits.max_page));
  for (size_t i = all.size() > last ? all.size() - last : 0; i < all.size(); ++i)
    jobs.push_back(harness::ToJson(harness::JobOf(all[i])));
  Json out = Json::object();
  out["basis_t"] = db.basis_t();
  out["index_basis_t"] = shape.basis_t;
  out["memory_index"] = Json{{"datoms", db.memory_index_datoms()},
                             {"bytes", db.memory_index_bytes()},
                             {"runs", db.memory_index_runs()}};
  out["trees"] = std::move(trees);
  out["jobs_total"] = all.size();
  out["jobs"] = std::move(jobs);
  return out;
}

Result<Json> ApiVerify(const Source& src) {
  const std::string dir = src.verifiable_dir();
  if (dir.empty()) return Status::InvalidArgument("verify reads the database's storage: open it with --db");
  VerifyOptions o;
  o.replay_log = false;  // a console request; `strata verify` also replays the log
  STRATA_ASSIGN_OR_RETURN(VerifyReport r, Verify(dir, o));
  Json problems = Json::array();
  for (const std::string& s : r.problems) problems.push_back(s);
  return Json{{"ok", r.ok},
              {"strategy", r.strategy},
              {"basis_t", r.basis_t},
              {"segments_checked", r.segments_checked},
              {"bytes_checked", r.bytes_checked},
              {"datoms", r.datoms},
              {"problems", std::move(problems)}};
}

}  // namespace strata::console
