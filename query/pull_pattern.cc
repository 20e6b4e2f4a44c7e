// Pull patterns: parsing EDN into a compiled pattern (pull.h's grammar).
#include "pull_pattern.h"

#include <algorithm>

namespace strata::query {

namespace {

// "pull pattern: <what> in <spec>" ("expected ..., got <spec>"); the spec
// is left out when `what` already shows it.
Status Bad(const std::string& what, const edn::Node& n) {
  const std::string shown = edn::Print(n);
  if (what.size() >= shown.size() && what.compare(what.size() - shown.size(), shown.size(), shown) == 0) {
    return Status::InvalidArgument("pull pattern: " + what);
  }
  return Status::InvalidArgument("pull pattern: " + what + (what.rfind("expected", 0) == 0 ? ", got " : " in ") + shown);
}

bool IsWildcard(const edn::Node& n) {
  return (n.is(edn::Kind::kSymbol) || n.is(edn::Kind::kString)) && n.s == "*";
}

// The attribute (or :db/id, or a reverse attribute) a keyword names. A
// keyword the schema does not have is kMissing: Datomic's pull omits it
// (docs.datomic.com/query/query-pull.html), where a data pattern refuses it.
Status ResolveName(const Database& db, const edn::Node& kw, PullAttr* out) {
  if (!kw.is(edn::Kind::kKeyword)) return Bad("expected an attribute keyword", kw);
  out->key = kw;
  if (kw.s == "db/id") {
    out->kind = PullAttr::kDbId;
    return Status::OK();
  }
  if (const Attribute* a = db.attribute(kw.s)) {
    out->kind = PullAttr::kAttr;
    out->attr = a;
    return Status::OK();
  }
  const size_t slash = kw.s.find('/');
  const size_t name = slash == std::string::npos ? 0 : slash + 1;
  if (name < kw.s.size() && kw.s[name] == '_') {
    std::string forward = kw.s.substr(0, name) + kw.s.substr(name + 1);
    const Attribute* a = db.attribute(forward);
    if (a == nullptr) {
      out->kind = PullAttr::kMissing;
      return Status::OK();
    }
    if (!a->is_ref()) return Bad("reverse lookup needs a ref attribute, :" + forward + " is not one", kw);
    out->kind = PullAttr::kReverse;
    out->attr = a;
    return Status::OK();
  }
  out->kind = PullAttr::kMissing;
  return Status::OK();
}

Status ApplyOption(const edn::Node& opt, const edn::Node& value, const edn::Node& spec, PullAttr* out) {
  if (opt.is_keyword("as")) {
    out->key = value;
  } else if (opt.is_keyword("limit")) {
    out->limit_given = true;
    if (value.is(edn::Kind::kNil)) out->limit.reset();
    else if (value.is(edn::Kind::kLong) && value.i >= 0) out->limit = static_cast<uint64_t>(value.i);
    else return Bad(":limit takes a non-negative number or nil", spec);
  } else if (opt.is_keyword("default")) {
    out->def = value;
  } else if (opt.is_keyword("xform")) {
    return Status::InvalidArgument("not supported by strata: pull option :xform (it names a Clojure function, and "
                                   "strata calls none) in " + edn::Print(spec));
  } else {
    return Bad("unknown attribute option " + edn::Print(opt), spec);
  }
  return Status::OK();
}

// An attribute spec: a keyword, (attr :opt v ...), [attr :opt v ...],
// (limit attr n) or (default attr v).
Status ParseAttrSpec(const Database& db, const edn::Node& n, PullAttr* out) {
  if (n.is(edn::Kind::kKeyword)) return ResolveName(db, n, out);
  if (!n.is_seq() || n.items.empty()) return Bad("expected an attribute spec", n);
  const auto& it = n.items;
  if (it[0].is_symbol("limit") || it[0].is_symbol("default")) {
    if (it.size() != 3) return Bad("expected (" + it[0].s + " attr value)", n);
    STRATA_RETURN_IF_ERROR(ResolveName(db, it[1], out));
    return ApplyOption(edn::Node::Keyword(it[0].s), it[2], n, out);
  }
  if (it.size() % 2 != 1) return Bad("attribute options come in pairs", n);
  STRATA_RETURN_IF_ERROR(ResolveName(db, it[0], out));
  for (size_t i = 1; i + 1 < it.size(); i += 2) STRATA_RETURN_IF_ERROR(ApplyOption(it[i], it[i + 1], n, out));
  return Status::OK();
}

Status ParsePattern(const Database& db, const edn::Node& n, PullPattern* out, int depth) {
  if (depth > 64) return Bad("nested too deeply", n);
  if (!n.is_seq()) return Bad("a pattern is a vector", n);
  for (const auto& spec : n.items) {
    if (IsWildcard(spec)) {
      out->wildcard = true;
      continue;
    }
    if (!spec.is(edn::Kind::kMap)) {
      PullAttr a;
      STRATA_RETURN_IF_ERROR(ParseAttrSpec(db, spec, &a));
      out->attrs.push_back(std::move(a));
      continue;
    }
    for (size_t i = 0; i + 1 < spec.items.size(); i += 2) {
      PullAttr a;
      STRATA_RETURN_IF_ERROR(ParseAttrSpec(db, spec.items[i], &a));
      const edn::Node& sub = spec.items[i + 1];
      if (a.kind == PullAttr::kDbId) return Bad(":db/id takes no sub-pattern", spec);
      if (a.kind != PullAttr::kMissing && !a.attr->is_ref()) return Bad(":" + a.attr->ident + " is not a ref attribute; it takes no sub-pattern", spec);
      if (sub.is_symbol("...")) {
        a.recursive = true;
      } else if (sub.is(edn::Kind::kLong)) {
        if (sub.i < 0) return Bad("recursion depth must be non-negative", spec);
        a.recursive = true;
        a.max_depth = static_cast<int>(std::min<int64_t>(sub.i, 1 << 20));
      } else {
        a.sub = std::make_unique<PullPattern>();
        STRATA_RETURN_IF_ERROR(ParsePattern(db, sub, a.sub.get(), depth + 1));
      }
      out->attrs.push_back(std::move(a));
    }
  }
  for (auto& a : out->attrs) a.parent = out;
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<const PullPattern>> CompilePull(const Database& db, const edn::Node& pattern) {
  auto p = std::make_shared<PullPattern>();
  STRATA_RETURN_IF_ERROR(ParsePattern(db, pattern, p.get(), 0));
  return std::shared_ptr<const PullPattern>(std::move(p));
}

}  // namespace strata::query
