// Built-in functions that read a database or the log: get-else, get-some,
// missing?, fulltext, tx-ids, tx-data.
#include <algorithm>
#include <cctype>
#include <limits>
#include <sstream>

#include "strata/connection.h"
#include "functions.h"

namespace strata::query {

namespace {

using Args = std::vector<FnArg>;

Status DbArgs(const char* name, const Args& a, size_t min) {
  if (a.size() < min) {
    return Status::InvalidArgument(std::string("'") + name + "' takes at least " + std::to_string(min) +
                                   " arguments, got " + std::to_string(a.size()));
  }
  if (a[0].db == nullptr) return Status::InvalidArgument(std::string("'") + name + "' takes a database ($) first");
  return Status::OK();
}

Result<const Attribute*> AttrArg(const char* name, const Database& db, const Val& v) {
  const Attribute* a = ResolveAttribute(db, v);
  if (a == nullptr) return Status::InvalidArgument(std::string("'") + name + "': unknown attribute " + Show(v));
  return a;
}

// The current values of e's attribute in this view (history: assertions).
Result<std::vector<Value>> ValuesOf(const Database& db, EntityId e, EntityId a) {
  std::vector<Value> out;
  STRATA_RETURN_IF_ERROR(ForEach(db.Datoms(Index::kEavt, {Value::Ref(e), Value::Ref(a)}), [&](const Datom& d) {
    if (d.added) out.push_back(d.v);
  }));
  return out;
}

Result<T> TimeArg(const Connection& conn, const Val& v, bool end) {
  if (v.is_nil()) return end ? std::numeric_limits<T>::max() : T{0};
  if (v.is_long()) return TOf(static_cast<uint64_t>(v.v.as_long()));
  if (!v.tuple && v.v.type() == ValueType::kInstant) {
    // The first t whose instant is >= the given one.
    const int64_t ms = v.v.instant_ms();
    if (ms == std::numeric_limits<int64_t>::min()) return T{0};
    STRATA_ASSIGN_OR_RETURN(Database before, conn.db().AsOfInstant(ms - 1));
    return before.as_of_t().value_or(0) + 1;
  }
  return Status::InvalidArgument("'tx-ids' takes a t, a tx id, an instant or nil, got " + Show(v));
}

}  // namespace

Result<Val> GetElse(const Args& a) {
  STRATA_RETURN_IF_ERROR(DbArgs("get-else", a, 4));
  if (a.size() != 4) return Status::InvalidArgument("'get-else' takes 4 arguments: $ entity attribute default");
  STRATA_ASSIGN_OR_RETURN(const Attribute* at, AttrArg("get-else", *a[0].db, a[2].val));
  if (at->many) return Status::InvalidArgument("'get-else' needs a cardinality-one attribute, :" + at->ident + " is many");
  if (a[3].val.is_nil()) return Status::InvalidArgument("'get-else' default cannot be nil");
  STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, ResolveEntity(*a[0].db, a[1].val));
  if (!e) return a[3].val;
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> vs, ValuesOf(*a[0].db, *e, at->id));
  return vs.empty() ? a[3].val : Val(vs.back());
}

Result<Val> GetSome(const Args& a) {
  STRATA_RETURN_IF_ERROR(DbArgs("get-some", a, 3));
  STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, ResolveEntity(*a[0].db, a[1].val));
  if (!e) return Val();
  for (size_t i = 2; i < a.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(const Attribute* at, AttrArg("get-some", *a[0].db, a[i].val));
    STRATA_ASSIGN_OR_RETURN(std::vector<Value> vs, ValuesOf(*a[0].db, *e, at->id));
    if (!vs.empty()) return Val::Tuple({Val::Long(static_cast<int64_t>(at->id)), Val(vs.front())});
  }
  return Val();
}

Result<Val> Missing(const Args& a) {
  STRATA_RETURN_IF_ERROR(DbArgs("missing?", a, 3));
  if (a.size() != 3) return Status::InvalidArgument("'missing?' takes 3 arguments: $ entity attribute");
  STRATA_ASSIGN_OR_RETURN(const Attribute* at, AttrArg("missing?", *a[0].db, a[2].val));
  STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, ResolveEntity(*a[0].db, a[1].val));
  if (!e) return Val(Value::Boolean(true));
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> vs, ValuesOf(*a[0].db, *e, at->id));
  return Val(Value::Boolean(vs.empty()));
}

Result<Val> Fulltext(const Args& a) {
  STRATA_RETURN_IF_ERROR(DbArgs("fulltext", a, 3));
  if (a.size() != 3) return Status::InvalidArgument("'fulltext' takes 3 arguments: $ attribute query");
  STRATA_ASSIGN_OR_RETURN(const Attribute* at, AttrArg("fulltext", *a[0].db, a[1].val));
  if (!a[2].val.is_string()) return Status::InvalidArgument("'fulltext' query must be a string");
  // Datomic searches only attributes declared :db/fulltext true (they
  // have a fulltext index); any other is an error there too.
  STRATA_ASSIGN_OR_RETURN(EntityId fulltext_attr, a[0].db->Entid(edn::Node::Keyword("db/fulltext")));
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> declared, ValuesOf(*a[0].db, at->id, fulltext_attr));
  if (declared.empty() || !declared.front().as_bool()) {
    return Status::InvalidArgument("not supported by strata: 'fulltext' on :" + at->ident +
                                   ", which has no fulltext index (declare it with :db/fulltext true, as Datomic requires)");
  }
  auto words = [](const std::string& s) {
    std::vector<std::string> out;
    std::string w;
    for (char c : s + " ") {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      } else if (!w.empty()) {
        out.push_back(w);
        w.clear();
      }
    }
    return out;
  };
  const auto terms = words(a[2].val.v.str());
  std::vector<Val> rows;
  if (terms.empty()) return Val::Tuple(std::move(rows));
  STRATA_RETURN_IF_ERROR(ForEach(a[0].db->Datoms(Index::kAevt, {Value::Ref(at->id)}), [&](const Datom& d) {
    if (!d.added || d.v.type() != ValueType::kString) return;
    auto ws = words(d.v.str());
    bool all = std::all_of(terms.begin(), terms.end(),
                           [&](const std::string& t) { return std::find(ws.begin(), ws.end(), t) != ws.end(); });
    if (all) {
      rows.push_back(Val::Tuple({Val::Long(static_cast<int64_t>(d.e)), Val(d.v), Val::Long(static_cast<int64_t>(d.tx)),
                                 Val(Value::Double(1.0))}));
    }
  }));
  return Val::Tuple(std::move(rows));
}

Result<Val> TxIds(const Args& a) {
  if (a.size() != 3 || a[0].log == nullptr) {
    return Status::InvalidArgument("'tx-ids' takes 3 arguments: a log, a start and an end");
  }
  const Connection& conn = *a[0].log->conn;
  STRATA_ASSIGN_OR_RETURN(T start, TimeArg(conn, a[1].val, false));
  STRATA_ASSIGN_OR_RETURN(T end, TimeArg(conn, a[2].val, true));
  std::vector<Val> ids;
  STRATA_RETURN_IF_ERROR(conn.TxRange(start, end, [&](T t, const std::vector<Datom>&) {
    ids.push_back(Val::Long(static_cast<int64_t>(TxId(t))));
    return Status::OK();
  }));
  return Val::Tuple(std::move(ids));
}

Result<Val> TxData(const Args& a) {
  if (a.size() != 2 || a[0].log == nullptr) {
    return Status::InvalidArgument("'tx-data' takes 2 arguments: a log and a transaction");
  }
  if (!a[1].val.is_long()) return Status::InvalidArgument("'tx-data' takes a t or a tx id, got " + Show(a[1].val));
  const T t = TOf(static_cast<uint64_t>(a[1].val.v.as_long()));
  std::vector<Val> rows;
  STRATA_RETURN_IF_ERROR(a[0].log->conn->TxRange(t, t + 1, [&](T, const std::vector<Datom>& datoms) {
    for (const Datom& d : datoms) {
      rows.push_back(Val::Tuple({Val::Long(static_cast<int64_t>(d.e)), Val::Long(static_cast<int64_t>(d.a)), Val(d.v),
                                 Val::Long(static_cast<int64_t>(d.tx)), Val(Value::Boolean(d.added))}));
    }
    return Status::OK();
  }));
  return Val::Tuple(std::move(rows));
}

}  // namespace strata::query
