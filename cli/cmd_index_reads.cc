// `strata index-range`, `strata seek-datoms` and `strata entity`
// (index_read_commands.h): Database::IndexRange, SeekDatoms and entity over
// an existing database, read-only.

#include <memory>
#include <optional>
#include <set>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/index_read_commands.h"
#include "cli/query_commands.h"

namespace strata::cli {

namespace {

struct ViewFlags {
  std::string db;
  std::string as_of, since;
  bool history = false;
  Format format = Format::kEdn;
};

struct IndexRangeArgs : ViewFlags {
  std::string attr;
  std::vector<std::string> bounds;  // START [END], EDN
  uint64_t limit = 0;
};

struct SeekDatomsArgs : ViewFlags {
  std::string index;
  std::vector<std::string> components;
  uint64_t limit = 1000;
};

struct EntityArgs : ViewFlags {
  std::string entity;
};

Result<std::vector<edn::Node>> ReadForms(const std::vector<std::string>& texts, const char* what) {
  std::vector<edn::Node> out;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto node = edn::ReadOne(texts[i]);
    if (!node.ok()) {
      return Status::InvalidArgument(std::string(what) + " " + std::to_string(i + 1) + " '" + texts[i] +
                                     "': " + node.status().message());
    }
    out.push_back(std::move(*node));
  }
  return out;
}

// Opens the database and the view the flags name; `conn` keeps it open.
Result<Database> OpenView(const ViewFlags& f, std::unique_ptr<Connection>* conn) {
  STRATA_ASSIGN_OR_RETURN(*conn, OpenExisting(f.db));
  return ViewOf((*conn)->db(), f.as_of, f.since, f.history);
}

int RunIndexRange(const IndexRangeArgs& args) {
  auto forms = ReadForms(args.bounds, "bound");
  if (!forms.ok()) return Fail(forms.status().message());
  if (forms->size() > 2) return Fail("index-range takes ATTR [START [END]], got " + std::to_string(forms->size()) + " bounds");
  auto attr_form = edn::ReadOne(args.attr);
  if (!attr_form.ok()) return Fail("attribute '" + args.attr + "': " + attr_form.status().message());
  std::unique_ptr<Connection> conn;
  auto db = OpenView(args, &conn);
  if (!db.ok()) return Fail(ErrorText(db.status()));
  auto a = db->Entid(*attr_form);
  if (!a.ok()) return Fail("attribute " + args.attr + ": " + ErrorText(a.status()));
  const Attribute* attr = db->attribute(*a);
  if (attr == nullptr) return Fail(args.attr + " is not an attribute");
  // Datomic: "nil for start or end ... the beginning or end of the index".
  std::optional<Value> bound[2];
  for (size_t i = 0; i < forms->size(); ++i) {
    if ((*forms)[i].is(edn::Kind::kNil)) continue;
    auto v = db->ToValue(*attr, (*forms)[i]);
    if (!v.ok()) return Fail(std::string(i == 0 ? "START" : "END") + " " + args.bounds[i] + ": " + ErrorText(v.status()));
    bound[i] = std::move(*v);
  }
  auto cursor = db->IndexRange(*a, bound[0], bound[1]);
  if (!cursor.ok()) return Fail("index-range: " + ErrorText(cursor.status()));
  return PrintDatoms(*db, &*cursor, args.format, args.limit, "index-range");
}

int RunSeekDatoms(const SeekDatomsArgs& args) {
  Index index;
  if (!ParseIndexName(args.index, &index)) {
    return Fail("unknown index '" + args.index + "': expected eavt, aevt, avet or vaet");
  }
  auto forms = ReadForms(args.components, "component");
  if (!forms.ok()) return Fail(forms.status().message());
  std::unique_ptr<Connection> conn;
  auto db = OpenView(args, &conn);
  if (!db.ok()) return Fail(ErrorText(db.status()));
  auto values = db->ResolveComponents(index, *forms);
  if (!values.ok()) return Fail(std::string(IndexName(index)) + " components: " + ErrorText(values.status()));
  auto cursor = db->SeekDatoms(index, std::move(*values));
  if (!cursor.ok()) return Fail(std::string(IndexName(index)) + ": " + ErrorText(cursor.status()));
  return PrintDatoms(*db, &*cursor, args.format, args.limit, IndexName(index));
}

// Datomic's touched entity as EDN (see index_read_commands.h). `path`
// holds the component entities being touched, so a cycle of components
// ends as {:db/id N} instead of recursing forever.
Result<edn::Node> Touch(const Database& db, EntityId e, std::set<EntityId>* path) {
  using edn::Node;
  path->insert(e);
  std::vector<Node> items = {Node::Keyword("db/id"), Node::Long(static_cast<int64_t>(e))};
  STRATA_ASSIGN_OR_RETURN(std::vector<Datom> datoms, db.DatomsVector(Index::kEavt, {Value::Ref(e)}));
  for (size_t i = 0; i < datoms.size();) {
    const EntityId a = datoms[i].a;
    const Attribute* attr = db.attribute(a);
    const std::string* name = db.ident(a);
    std::vector<Node> values;
    for (; i < datoms.size() && datoms[i].a == a; ++i) {
      const Value& v = datoms[i].v;
      if (attr == nullptr || !attr->is_ref()) {
        values.push_back(db.ValueToEdn(v));
      } else if (attr->component && !path->count(v.ref())) {
        STRATA_ASSIGN_OR_RETURN(Node sub, Touch(db, v.ref(), path));
        values.push_back(std::move(sub));
      } else if (const std::string* ident = db.ident(v.ref())) {
        values.push_back(Node::Keyword(*ident));
      } else {
        values.push_back(Node::Map({Node::Keyword("db/id"), Node::Long(static_cast<int64_t>(v.ref()))}));
      }
    }
    items.push_back(name ? Node::Keyword(*name) : Node::Long(static_cast<int64_t>(a)));
    items.push_back(attr && attr->many ? Node::Set(std::move(values)) : std::move(values.front()));
  }
  path->erase(e);
  return Node::Map(std::move(items));
}

int RunEntity(const EntityArgs& args) {
  auto eid = edn::ReadOne(args.entity);
  if (!eid.ok()) return Fail("entity '" + args.entity + "': " + eid.status().message());
  std::unique_ptr<Connection> conn;
  auto db = OpenView(args, &conn);
  if (!db.ok()) return Fail(ErrorText(db.status()));
  auto e = db->Entid(*eid);
  if (!e.ok() && !e.status().IsNotFound()) return Fail("entity " + edn::Print(*eid) + ": " + ErrorText(e.status()));
  edn::Node out = edn::Node::Nil();  // Datomic's entity is nil for an identifier that names nothing
  if (e.ok()) {
    std::set<EntityId> path;
    auto touched = Touch(*db, *e, &path);
    if (!touched.ok()) return Fail("entity " + edn::Print(*eid) + ": " + ErrorText(touched.status()));
    out = std::move(*touched);
  }
  PrintLine(args.format == Format::kJson ? DumpJson(EdnToJson(out)) : edn::Print(out));
  return 0;
}

void AddViewFlags(CLI::App* cmd, ViewFlags* f, bool history) {
  cmd->add_option("--db", f->db, "database folder (must exist)")->required()->option_text("DIR");
  cmd->add_option("--as-of", f->as_of, "read the database as of T: a t, a tx id, or an instant")->option_text("T");
  cmd->add_option("--since", f->since, "only datoms added after T (T excluded)")->option_text("T");
  if (history) cmd->add_flag("--history", f->history, "every assertion and retraction ever recorded");
  AddFormatFlag(cmd, &f->format);
}

}  // namespace

void AddIndexReadCommands(CLI::App& app, int* exit_code) {
  auto ir = std::make_shared<IndexRangeArgs>();
  CLI::App* irc = app.add_subcommand(
      "index-range", "AVET datoms of an indexed or unique attribute with START <= value < END, in value order\n"
                     "(Datomic's index-range; nil or no bound: open). Example:\n"
                     "  strata index-range --db DIR :item/id '\"0042\"' '\"0050\"'");
  AddViewFlags(irc, ir.get(), true);
  irc->add_option("attr", ir->attr, "the attribute (:db/index true or :db/unique)")->required()->option_text("ATTR");
  irc->add_option("bounds", ir->bounds, "START and END values as EDN; nil for an open end")->option_text("[START [END]]");
  irc->add_option("--limit", ir->limit, "print at most N datoms (0: all)")->option_text("N");
  irc->callback([ir, exit_code] { *exit_code = RunIndexRange(*ir); });

  auto sd = std::make_shared<SeekDatomsArgs>();
  CLI::App* sdc = app.add_subcommand(
      "seek-datoms", "Datoms of an index from the position the components name to the end of the index\n"
                     "(Datomic's seek-datoms: not only the datoms matching them). Example:\n"
                     "  strata seek-datoms --db DIR avet :item/count 10 --limit 20");
  AddViewFlags(sdc, sd.get(), true);
  sdc->add_option("index", sd->index, "eavt, aevt, avet or vaet")->required()->option_text("INDEX");
  sdc->add_option("components", sd->components, "the position: leading components as EDN, as for `strata datoms`")
      ->option_text("COMPONENT...");
  sdc->add_option("--limit", sd->limit, "print at most N datoms (0: to the end of the index)")
      ->option_text("N (default 1000)");
  sdc->callback([sd, exit_code] { *exit_code = RunSeekDatoms(*sd); });

  auto en = std::make_shared<EntityArgs>();
  CLI::App* enc = app.add_subcommand(
      "entity", "An entity's attributes as one map (Datomic's touched entity): many values as sets,\n"
                "refs to idents as keywords, components nested, other refs as {:db/id N}. Example:\n"
                "  strata entity --db DIR '[:item/id \"0042-TRBL\"]'");
  AddViewFlags(enc, en.get(), false);
  enc->add_option("entity", en->entity, "an entity id, ident or lookup ref, EDN")->required()->option_text("ENTITY");
  enc->callback([en, exit_code] { *exit_code = RunEntity(*en); });
}

}  // namespace strata::cli
