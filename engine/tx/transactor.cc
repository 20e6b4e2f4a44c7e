// transactor.cc — PrepareTx, and entity and value resolution shared with
// the read API (see transactor.h). The Builder is in builder.h.

#include "tx/transactor.h"

#include <chrono>

#include "state/db_access.h"
#include "tx/builder.h"

namespace strata {

int64_t NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace tx_internal {

std::string Show(const edn::Node& n) {
  std::string s = edn::Print(n);
  if (s.size() > 160) s = s.substr(0, 157) + "...";
  std::string w = n.Where();
  return w.empty() ? s : s + " at " + w;
}

std::string Kw(const Attribute& a) { return ":" + a.ident; }

bool IsLookupRefShape(const DbState& s, const edn::Node& n) {
  if (n.kind != edn::Kind::kVector || n.items.size() != 2) return false;
  const edn::Node& a = n.items[0];
  if (a.kind == edn::Kind::kKeyword) {
    const Attribute* at = s.schema->AttrByIdent(a.s);
    return at && at->unique != Unique::kNone;
  }
  return a.kind == edn::Kind::kLong && s.schema->Attr(static_cast<EntityId>(a.i)) != nullptr;
}

Result<const Attribute*> ResolveAttr(const DbState& s, const edn::Node& n) {
  const Attribute* at = nullptr;
  if (n.kind == edn::Kind::kKeyword) at = s.schema->AttrByIdent(n.s);
  else if (n.kind == edn::Kind::kLong) at = s.schema->Attr(static_cast<EntityId>(n.i));
  if (!at) return Status::InvalidArgument("unknown attribute " + Show(n));
  return at;
}

}  // namespace tx_internal

using tx_internal::Kw;
using tx_internal::ResolveAttr;
using tx_internal::Show;

Result<EntityId> ResolveEntityId(const DbState& s, const edn::Node& eid, CurrentReader* reader) {
  switch (eid.kind) {
    case edn::Kind::kLong:
      if (eid.i < 0) return Status::InvalidArgument("not an entity id: " + Show(eid));
      return static_cast<EntityId>(eid.i);
    case edn::Kind::kKeyword: {
      EntityId e;
      if (!s.schema->Entid(eid.s, &e)) return Status::NotFound("unknown ident " + Show(eid));
      return e;
    }
    case edn::Kind::kVector: {
      if (eid.items.size() != 2) return Status::InvalidArgument("a lookup ref is [attribute value]: " + Show(eid));
      STRATA_ASSIGN_OR_RETURN(const Attribute* at, ResolveAttr(s, eid.items[0]));
      if (at->unique == Unique::kNone)
        return Status::InvalidArgument("lookup ref attribute " + Kw(*at) + " is not unique in " + Show(eid));
      STRATA_ASSIGN_OR_RETURN(Value v, CoerceValue(s, *at, eid.items[1], reader));
      std::optional<EntityId> e;
      if (reader) {
        STRATA_ASSIGN_OR_RETURN(e, reader->EntityWithRemembered(at->id, v));
      } else {
        STRATA_ASSIGN_OR_RETURN(e, s.EntityWith(at->id, v));
      }
      if (!e) return Status::NotFound("lookup ref " + Show(eid) + " matches no entity");
      return *e;
    }
    default:
      return Status::InvalidArgument("not an entity identifier: " + Show(eid));
  }
}

// Text values are UTF-8: the EDN reader checks what it reads, and this
// catches Nodes built by code (the C++ API) with other bytes.
static Status CheckUtf8(const Attribute& attr, const edn::Node& v) {
  const size_t bad = edn::FindInvalidUtf8(v.s);
  if (bad == std::string_view::npos) return Status::OK();
  std::string where = v.Where();
  return Status::InvalidArgument("value for " + Kw(attr) + " is not valid UTF-8: " + edn::DescribeInvalidUtf8(v.s, bad) +
                                 " of the " + edn::KindName(v.kind) + (where.empty() ? "" : " at " + where));
}

Result<Value> CoerceValue(const DbState& s, const Attribute& attr, const edn::Node& v, CurrentReader* reader) {
  auto wrong = [&]() {
    return Status::InvalidArgument("value of the wrong type for " + Kw(attr) + " (expects " + ValueTypeName(attr.type) +
                                   "): got " + edn::KindName(v.kind) + " " + Show(v));
  };
  // Every stored value must fit a segment (format/segment.h): refused here,
  // before anything of the transaction is committed.
  auto too_long = [&]() {
    return Status::InvalidArgument("value for " + Kw(attr) + " is " + std::to_string(v.s.size()) +
                                   " bytes, over the " + std::to_string(kMaxValueBytes) + "-byte (64 MiB) value limit");
  };
  switch (attr.type) {
    case ValueType::kRef: {
      if (v.kind == edn::Kind::kMap || v.kind == edn::Kind::kString) return wrong();
      STRATA_ASSIGN_OR_RETURN(EntityId e, ResolveEntityId(s, v, reader));
      return Value::Ref(e);
    }
    case ValueType::kKeyword:
      if (v.kind != edn::Kind::kKeyword) return wrong();
      if (v.s.size() > kMaxValueBytes) return too_long();
      STRATA_RETURN_IF_ERROR(CheckUtf8(attr, v));
      return Value::Keyword(v.s);
    case ValueType::kString:
      // Predicate names are qualified symbols, kept as their text until
      // strata has :db.type/symbol.
      if (v.kind == edn::Kind::kSymbol && (attr.id == sys::kAttrPreds || attr.id == sys::kEntityPreds)) {
        if (v.s.find('/') == std::string::npos || v.s.front() == '/' || v.s.back() == '/')
          return Status::InvalidArgument(Kw(attr) + " takes qualified symbols naming predicates: got " + Show(v));
        return Value::String(v.s);
      }
      if (v.kind != edn::Kind::kString) return wrong();
      if (v.s.size() > kMaxValueBytes) return too_long();
      STRATA_RETURN_IF_ERROR(CheckUtf8(attr, v));
      return Value::String(v.s);
    case ValueType::kBoolean:
      if (v.kind != edn::Kind::kBool) return wrong();
      return Value::Boolean(v.b);
    case ValueType::kLong:
      if (v.kind != edn::Kind::kLong) return wrong();
      return Value::Long(v.i);
    case ValueType::kDouble:
      if (v.kind == edn::Kind::kDouble) return Value::Double(v.d);
      if (v.kind == edn::Kind::kLong) return Value::Double(static_cast<double>(v.i));
      return wrong();
    case ValueType::kInstant:
      if (v.kind != edn::Kind::kInst) return wrong();
      return Value::Instant(v.i);
    case ValueType::kUuid:
      if (v.kind != edn::Kind::kUuid) return wrong();
      return Value::FromUuid(v.uuid);
    case ValueType::kBigInt:
    case ValueType::kBigDec:
    case ValueType::kFloat:
    case ValueType::kBytes:
    case ValueType::kUri:
    case ValueType::kSymbol: {
      Result<Value> r = edn::ToValue(attr.type, v);
      if (!r.ok()) {
        return Status::InvalidArgument("value of the wrong type for " + Kw(attr) + " (expects " +
                                       ValueTypeName(attr.type) + "): " + r.status().message());
      }
      if (r->str().size() > kMaxValueBytes) return too_long();
      if (attr.type == ValueType::kUri || attr.type == ValueType::kSymbol) {
        STRATA_RETURN_IF_ERROR(CheckUtf8(attr, v.kind == edn::Kind::kTagged ? v.items[0] : v));
      }
      return std::move(*r);
    }
    case ValueType::kTuple: return CoerceTuple(s, attr, v);
    case ValueType::kNil: break;
  }
  return wrong();
}

Result<PreparedTx> PrepareTx(const Database& db_before, const edn::Node& tx_data, const TxFunctionRegistry& fns,
                             int64_t now_ms) {
  const DbState& s = *DbAccess::State(db_before);
  tx_internal::Builder b(db_before, s, fns);
  STRATA_RETURN_IF_ERROR(b.AddTxData(tx_data, 0));
  return b.Finish(now_ms);
}

}  // namespace strata
