// schema_guard.cc — see schema_guard.h.

#include "tx/schema_guard.h"

#include <algorithm>

namespace strata::tx_internal {
namespace {

// The operation behind a datom, for the message: the assertion or
// retraction that named it, or for an implicit retraction the assertion
// that replaced the value.
const Op* SourceOf(const Changes& ch, const Datom& d) {
  const EavKey k{d.e, d.a, d.v};
  const ChangeSet& same = d.added ? ch.asserts : ch.retracts;
  if (const Change* c = same.Find(k)) return c->p.op;
  for (const auto& [key, p] : ch.asserts)
    if (key.e == d.e && key.a == d.a) return p.op;
  return nullptr;
}

std::string NameOf(const DbState& s, EntityId e) {
  const std::string* ident = s.schema->IdentOf(e);
  return ident ? ":" + *ident : "entity " + std::to_string(e);
}

bool InstallsOnDbPart(const Datom& d) {
  const bool install = d.a == sys::kInstallAttribute || d.a == sys::kInstallPartition ||
                       d.a == sys::kInstallValueType || d.a == sys::kAlterAttribute;
  return install && d.e == sys::kDbPart && d.v.type() == ValueType::kRef && !IsSystemEntity(d.v.ref());
}

Status CheckDatom(const DbState& s, const Changes& ch, const Datom& d) {
  std::string why;
  if (IsSystemEntity(d.e) && IsSystemEntity(d.a) && d.a != sys::kDoc && !InstallsOnDbPart(d)) {
    why = "cannot " + std::string(d.added ? "assert" : "retract") + " a system attribute of system entity " +
          NameOf(s, d.e) + " (the system schema cannot be retracted, renamed or altered)";
  } else if (d.a == sys::kIdent && d.added && !IsSystemEntity(d.e) && IsReservedIdent(d.v.str())) {
    why = "ident :" + d.v.str() + " is in a namespace reserved for the system (:db and :db.*)";
  } else {
    return Status::OK();
  }
  const Attribute* at = s.schema->Attr(d.a);
  why += ": " + (at ? ShowDatom(s, d.e, *at, d.v) : "[" + std::to_string(d.e) + " " + std::to_string(d.a) + " ...]");
  why += d.added ? " asserted" : " retracted";
  if (const Op* op = SourceOf(ch, d); op && op->src) why += " by " + Show(*op->src);
  return Status::InvalidArgument(why);
}

}  // namespace

Status CheckSystemSchema(const DbState& s, const Changes& ch, const std::vector<Datom>& datoms) {
  // Only datoms of a system entity, or idents, can break a rule: most
  // transactions have none, and one pass says so.
  if (std::none_of(datoms.begin(), datoms.end(),
                   [](const Datom& d) { return d.a == sys::kIdent || IsSystemEntity(d.e); }))
    return Status::OK();
  // Assertions first: for a rename, the new name explains more than the
  // implicit retraction of the old one.
  for (const bool added : {true, false}) {
    for (const Datom& d : datoms) {
      if (d.added != added) continue;
      STRATA_RETURN_IF_ERROR(CheckDatom(s, ch, d));
    }
  }
  return Status::OK();
}

}  // namespace strata::tx_internal
