// Random databases, queries and pull patterns for the DataScript
// differential test. Values are drawn from small ranges so joins and
// constants hit; every query is valid in both systems.
#include "datascript_gen.h"

#include <algorithm>
#include <set>

#include <re2/re2.h>

#include "strata/edn.h"

namespace strata {

namespace {

using nlohmann::json;

class Gen {
 public:
  explicit Gen(std::mt19937_64* rng) : rng_(rng) {}
  int R(int n) { return static_cast<int>((*rng_)() % static_cast<uint64_t>(n)); }
  bool P(double p) { return std::uniform_real_distribution<double>(0, 1)(*rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& xs) { return xs[static_cast<size_t>(R(static_cast<int>(xs.size())))]; }

  // Short strings, some outside ASCII: Cyrillic, accents, ß, and a
  // character outside the Basic Multilingual Plane (two UTF-16 units in
  // both systems), never first, so (subs ?s 0 1) cuts no character.
  std::string Str() {
    static const std::vector<std::string> kStrs = {"a", "b", "c", "d", "e", "é", "Жук", "ß", "x😀", "Ωmega"};
    return "\"" + Pick(kStrs) + "\"";
  }
  std::string Long() { return std::to_string(R(10)); }
  std::string Key(int n) { return "\"k" + std::to_string(R(n)) + "\""; }

 private:
  std::mt19937_64* rng_;
};

std::vector<const GenAttr*> Of(const GenCase& g, GenAttr::Type t, bool one_only = false) {
  std::vector<const GenAttr*> out;
  for (const auto& a : g.attrs)
    if (a.type == t && !a.component && a.name != "g/up" && a.name != "g/key" && !(one_only && a.many)) out.push_back(&a);
  return out;
}

std::string Kw(const GenAttr* a) { return ":" + a->name; }

std::string Replace(std::string s, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars) {
    for (size_t at = s.find(k); at != std::string::npos; at = s.find(k, at + v.size())) s.replace(at, k.size(), v);
  }
  return s;
}

const char* kReach = "[[(reach ?a ?b) [?a {RF} ?b]] [(reach ?a ?b) [?a {RF} ?x] (reach ?x ?b)]]";
const char* kAnc = "[[(anc ?a ?b) [?a :g/up ?b]] [(anc ?a ?b) [?a :g/up ?x] (anc ?x ?b)]]";

void AddQueries(Gen& r, GenCase* g) {
  const auto strs = Of(*g, GenAttr::kString), longs = Of(*g, GenAttr::kLong), refs = Of(*g, GenAttr::kRef);
  const auto longs_one = Of(*g, GenAttr::kLong, true);
  const std::vector<std::string> ops = {"<", ">", "<=", ">=", "=", "!="};
  for (int i = 0; i < 38; ++i) {
    std::map<std::string, std::string> v = {
        {"{S2}", Kw(r.Pick(strs))}, {"{S}", Kw(r.Pick(strs))},   {"{L2}", Kw(r.Pick(longs))}, {"{L}", Kw(r.Pick(longs))},
        {"{RF}", Kw(r.Pick(refs))}, {"{SV}", r.Str()},           {"{LV}", r.Long()},          {"{KEY}", r.Key(g->entities)},
        {"{OP}", r.Pick(ops)},      {"{L1}", Kw(r.Pick(longs_one))}};
    GenQuery q;
    switch (i % 33) {
      case 0: q.text = "[:find ?e ?v :where [?e {S} ?v]]"; break;
      case 1: q.text = "[:find ?k :where [?e :g/key ?k] [?e {S} {SV}]]"; break;
      case 2: q.text = "[:find ?x ?y :where [?e {S} ?x] [?e {L} ?y]]"; break;
      case 3: q.text = "[:find ?k1 ?k2 :where [?a {RF} ?b] [?a :g/key ?k1] [?b :g/key ?k2] [?b {L} ?v] [({OP} ?v {LV})]]"; break;
      case 4: q.text = "[:find ?k :where [?a :g/key {KEY}] [?a {RF} ?b] [?b {RF} ?c] [?c :g/key ?k]]"; break;
      case 5: q.text = "[:find ?k :where [?e :g/key ?k] (not [?e {S} {SV}])]"; break;
      case 6: q.text = "[:find ?k :where [?e :g/key ?k] (not-join [?e] [?e {RF} ?f] [?f {L} {LV}])]"; break;
      case 7: q.text = "[:find ?k :where [?e :g/key ?k] (or [?e {S} {SV}] [?e {L} {LV}])]"; break;
      case 8: q.text = "[:find ?k ?x :where [?e :g/key ?k] (or-join [?e ?x] [?e {L} ?x] (and [?e {RF} ?f] [?f {L2} ?x]))]"; break;
      case 9: q.text = "[:find ?v (count ?e) :where [?e {S} ?v]]"; break;
      case 10: q.text = "[:find (count ?v) (count-distinct ?v) (sum ?v) (min ?v) (max ?v) :with ?e :where [?e {L} ?v]]"; break;
      case 11:
        q.text = "[:find ?s (avg ?v) (distinct ?v) :with ?e :where [?e {S} ?s] [?e {L} ?v]]";
        q.set_columns = {2};
        break;
      case 12: q.text = "[:find (min 2 ?v) (max 2 ?v) :where [_ {L} ?v]]"; break;
      case 13:
        q.text = "[:find ?k1 ?k2 :in $ % :where (reach ?a ?b) [?a :g/key ?k1] [?b :g/key ?k2]]";
        q.inputs = {Replace(kReach, v)};
        q.input_is_rules = {true};
        break;
      case 14:
        q.text = "[:find ?k2 :in $ % ?k1 :where [?a :g/key ?k1] (reach ?a ?b) [?b :g/key ?k2]]";
        q.inputs = {Replace(kReach, v), v["{KEY}"]};
        q.input_is_rules = {true, false};
        break;
      case 15:
        q.text = "[:find ?k1 :in $ % ?k2 :where [?b :g/key ?k2] (reach ?a ?b) [?a :g/key ?k1]]";
        q.inputs = {Replace(kReach, v), v["{KEY}"]};
        q.input_is_rules = {true, false};
        break;
      case 16:
        q.text = "[:find ?k ?n :in $ % :where (anc ?a ?b) [?a :g/key ?k] [?b :g/key ?n]]";
        q.inputs = {kAnc};
        q.input_is_rules = {true};
        break;
      case 17: q.text = "[:find ?k :where [?e :g/key ?k] [(get-else $ ?e {L1} -1) ?x] [(> ?x {LV})]]"; break;
      case 18: q.text = "[:find ?k :where [?e :g/key ?k] [(missing? $ ?e {S})]]"; break;
      case 19: q.text = "[:find ?k ?m :where [?e :g/key ?k] [?e {L} ?v] [(+ ?v {LV}) ?m] [(* ?m 2) ?w] [(< ?w 20)]]"; break;
      case 20: q.text = "[:find ?t :where [?e {S} ?s] [?e {L} ?v] [(str ?s \"-\" ?v) ?t]]"; break;
      case 21:
        q.text = "[:find [?k ...] :where [?e :g/key ?k] [?e {L} {LV}]]";
        q.shape = GenQuery::kColl;
        break;
      case 22:
        q.text = "[:find (count ?e) . :where [?e {S}]]";
        q.shape = GenQuery::kScalar;
        break;
      case 23: q.text = "[:find ?k ?v :keys key val :where [?e :g/key ?k] [?e {L} ?v]]"; break;
      case 24: q.text = "[:find (pull ?e [:g/key {S} {{RF} [:g/key {L}]}]) :where [?e :g/key {KEY}]]"; break;
      case 25:
        q.text = "[:find ?k :in $ [?s ...] :where [?e {S} ?s] [?e :g/key ?k]]";
        q.inputs = {"[" + r.Str() + " " + r.Str() + "]"};
        q.input_is_rules = {false};
        break;
      case 26: q.text = "[:find ?k :where [?e :g/key ?k] [(clojure.string/starts-with? ?k \"k1\")]]"; break;
      case 27: q.text = "[:find ?k :where [?e :g/key {KEY}] [?x {RF} ?e] [?x :g/key ?k]]"; break;
      case 28:
        q.text = "[:find ?k ?x :in $ [[?k ?x]] :where [?e :g/key ?k] [?e {L} ?x]]";
        q.inputs = {"[[" + v["{KEY}"] + " " + r.Long() + "] [" + r.Key(g->entities) + " " + r.Long() + "]]"};
        q.input_is_rules = {false};
        break;
      // String functions by character (UTF-16 units in both), and pulled
      // tuples that collapse in the result set.
      case 29: q.text = "[:find ?s ?c :where [_ {S} ?s] [(count ?s) ?c]]"; break;
      case 30: q.text = "[:find ?t :where [_ {S} ?s] [(subs ?s 0 1) ?t]]"; break;
      case 31:
        q.text = "[:find (pull ?e [{L}]) :where [?e {L}]]";
        q.distinct_after_pull = true;
        break;
      case 32: q.text = "[:find ?k :where [?e :g/key ?k] [?e {S} ?s] [(clojure.string/includes? ?s \"😀\")]]"; break;
    }
    q.text = Replace(q.text, v);
    g->queries.push_back(std::move(q));
  }
  const std::vector<std::string> pulls = {
      "[*]", "[:g/key {S} {L}]", "[:g/key {{RF} [:g/key {L}]}]", "[:g/key {:g/_up [:g/key]}]", "[:g/key {:g/up ...}]",
      "[:g/key {:g/up 2}]", "[({RM} :limit 2) ({L1} :default 0)]", "[:db/id :g/key {:g/_c0 [:g/key]}]", "[:g/c0 :g/key]",
      "[* {{RF} [:g/key]}]", "[{:g/_up ...} :g/key]", "[:g/key :g/_{RFN}]", "[[:g/key :as \"k\"] (:g/up :as :boss)]",
      "[:g/key :g/nope {S}]"};
  for (int i = 0; i < 16; ++i) {
    std::map<std::string, std::string> v = {{"{S}", Kw(r.Pick(strs))},
                                            {"{L1}", Kw(r.Pick(longs_one))},
                                            {"{L}", Kw(r.Pick(longs))},
                                            {"{RFN}", r.Pick(refs)->name.substr(2)},
                                            {"{RF}", Kw(r.Pick(refs))},
                                            {"{RM}", ":g/c0"}};
    for (const GenAttr* a : refs)
      if (a->many) v["{RM}"] = Kw(a);
    std::string p = Replace(pulls[static_cast<size_t>(i) % pulls.size()], v);
    g->pulls.push_back({p, "k" + std::to_string(r.R(g->entities)), 0});
  }
}

// ---- issue 17 (qsrc): explicit sources --------------------------------
// Queries whose not / not-join / or / or-join and rule calls name a second
// source ($t, a collection of tuples), and rules that inherit it (also
// recursively, and one rule set read from both sources). DataScript takes
// ($src not ...), ($src or ...) and ($src rule ...) like Datomic
// (https://docs.datomic.com/query/query-data-reference.html: src-var? in
// not-clause, or-clause and rule-expr).
void AddSourceQueries(Gen& r, GenCase* g) {
  const auto longs = Of(*g, GenAttr::kLong);
  // $t: [key tag n] triples, tag "x" or "y" (a constant in a clause's
  // second position, which must not be read as an attribute of $); or
  // [key key] edges between entities.
  auto triples = [&] {
    std::string t = "[";
    for (int k = 0, n = 2 + r.R(6); k < n; ++k)
      t += "[" + r.Key(g->entities) + (r.P(0.5) ? " \"x\" " : " \"y\" ") + r.Long() + "] ";
    return t + "]";
  };
  auto edges = [&] {
    std::string t = "[";
    for (int k = 0, n = 3 + r.R(8); k < n; ++k) t += "[" + r.Key(g->entities) + " " + r.Key(g->entities) + "] ";
    return t + "]";
  };
  const char* tagged =
      "[[(tagged ?k) [?k \"x\" _]] [(has-key ?k) [_ :g/key ?k]] [(small ?k) [?k _ ?n] [(< ?n 5)]]]";
  const char* link = "[[(link ?a ?b) [?a ?b]] [(link ?a ?b) [?a ?x] (link ?x ?b)]]";
  for (int i = 0; i < 10; ++i) {
    std::map<std::string, std::string> v = {{"{L}", Kw(r.Pick(longs))}, {"{LV}", r.Long()}, {"{KEY}", r.Key(g->entities)}};
    GenQuery q;
    q.inputs = {triples()};
    q.input_is_rules = {false};
    switch (i) {
      case 0: q.text = "[:find ?k :in $ $t :where [?e :g/key ?k] ($t not [?k \"x\" _])]"; break;
      case 1:
        q.text = "[:find ?k :in $ $t :where [?e :g/key ?k] [?e {L} ?v] ($t not-join [?k ?v] [?k \"y\" ?v])]";
        break;
      case 2:
        q.text = "[:find ?k ?n :in $ $t :where [?e :g/key ?k] ($t or (and [?k \"x\" ?n] [(> ?n {LV})]) "
                 "(and [?k _ ?n] [(< ?n 2)]))]";
        break;
      case 3:
        q.text = "[:find ?k ?n :in $ $t :where [?e :g/key ?k] ($t or-join [?k ?n] [?k \"y\" ?n] "
                 "(and [_ \"x\" ?n] [(= ?k {KEY})]))]";
        break;
      case 4: q.text = "[:find ?k :in $ $t % :where [?e :g/key ?k] ($t tagged ?k)]"; break;
      case 5: q.text = "[:find ?k :in $ $t % :where [?e :g/key ?k] ($t not (small ?k))]"; break;
      case 6: q.text = "[:find ?k :in $ $t % :where [?e :g/key ?k] ($t or-join [?k] (small ?k) [(= ?k {KEY})])]"; break;
      case 7: q.text = "[:find ?k :in $ $t % :where ($t tagged ?k) (has-key ?k)]"; break;
      case 8:
        q.text = "[:find ?a ?b :in $ $t % :where ($t link ?a ?b) [?e :g/key ?a]]";
        q.inputs = {edges()};
        break;
      case 9:
        q.text = "[:find ?b :in $ $t % :where [?e :g/key {KEY}] [?e :g/key ?a] ($t link ?a ?b)]";
        q.inputs = {edges()};
        break;
    }
    if (q.text.find(" % ") != std::string::npos) {
      q.inputs.push_back(i >= 8 ? link : tagged);
      q.input_is_rules.push_back(true);
    }
    q.text = Replace(q.text, v);
    g->queries.push_back(std::move(q));
  }
}
// ---- end issue 17 (qsrc) ----------------------------------------------

}  // namespace

GenCase GenerateCase(std::mt19937_64* rng) {
  Gen r(rng);
  GenCase g;
  g.attrs.push_back({"g/key", GenAttr::kString, false, true, false, false});
  g.attrs.push_back({"g/up", GenAttr::kRef, false, false, false, false});
  g.attrs.push_back({"g/c0", GenAttr::kRef, true, false, false, true});
  for (int i = 0, n = 1 + r.R(3); i < n; ++i)
    g.attrs.push_back({"g/s" + std::to_string(i), GenAttr::kString, r.P(0.4), false, r.P(0.5), false});
  for (int i = 0, n = 1 + r.R(3); i < n; ++i)
    g.attrs.push_back({"g/l" + std::to_string(i), GenAttr::kLong, i > 0 && r.P(0.4), false, r.P(0.5), false});
  for (int i = 0, n = 1 + r.R(2); i < n; ++i)
    g.attrs.push_back({"g/r" + std::to_string(i), GenAttr::kRef, r.P(0.6), false, false, false});

  std::string schema = "[";
  for (const auto& a : g.attrs) {
    schema += "{:db/ident :" + a.name + " :db/valueType :db.type/" +
              (a.type == GenAttr::kString ? "string" : a.type == GenAttr::kLong ? "long" : "ref") +
              " :db/cardinality :db.cardinality/" + (a.many ? "many" : "one") +
              (a.unique ? " :db/unique :db.unique/identity" : "") + (a.indexed ? " :db/index true" : "") +
              (a.component ? " :db/isComponent true" : "") + "}\n";
  }
  g.txs.push_back(schema + "]");

  g.entities = 20 + r.R(20);
  auto ref = [&](int i) { return "[:g/key \"k" + std::to_string(i) + "\"]"; };
  std::string tx = "[";
  for (int i = 0; i < g.entities; ++i) {
    tx += "{:db/id \"e" + std::to_string(i) + "\" :g/key \"k" + std::to_string(i) + "\"";
    for (const auto& a : g.attrs) {
      if (a.type == GenAttr::kRef || a.unique || !r.P(0.7)) continue;
      tx += " :" + a.name + " ";
      if (!a.many) {
        tx += a.type == GenAttr::kString ? r.Str() : r.Long();
        continue;
      }
      tx += "[";
      for (int k = 0, n = 1 + r.R(3); k < n; ++k) tx += (a.type == GenAttr::kString ? r.Str() : r.Long()) + " ";
      tx += "]";
    }
    tx += "}\n";
  }
  g.txs.push_back(tx + "]");
  // Refs: g/up and g/c0 point to earlier entities only (acyclic); each
  // entity is a component of at most one owner.
  tx = "[";
  for (int i = 1; i < g.entities; ++i) {
    if (r.P(0.7)) tx += "[:db/add " + ref(i) + " :g/up " + ref(r.R(i)) + "]\n";
    if (r.P(0.25)) tx += "[:db/add " + ref(r.R(i)) + " :g/c0 " + ref(i) + "]\n";
  }
  for (const auto& a : g.attrs) {
    if (a.type != GenAttr::kRef || a.name == "g/up" || a.name == "g/c0") continue;
    std::set<int> has;
    for (int k = 0; k < g.entities; ++k) {
      int from = r.R(g.entities);
      if (!a.many && !has.insert(from).second) continue;
      tx += "[:db/add " + ref(from) + " :" + a.name + " " + ref(r.R(g.entities)) + "]\n";
    }
  }
  g.txs.push_back(tx + "]");
  // Changes: retractions (of values that may or may not be there) and
  // cardinality-one replacements; then one entity retracted whole.
  tx = "[";
  std::set<std::pair<int, std::string>> touched;  // one operation per entity and attribute
  for (int k = 0; k < g.entities / 2; ++k) {
    const GenAttr& a = g.attrs[static_cast<size_t>(3 + r.R(static_cast<int>(g.attrs.size()) - 3))];
    const int ei = r.R(g.entities);
    if (!touched.insert({ei, a.name}).second) continue;
    const std::string e = ref(ei);
    const std::string val = a.type == GenAttr::kString ? r.Str() : a.type == GenAttr::kLong ? r.Long() : ref(r.R(g.entities));
    tx += std::string(r.P(0.5) ? "[:db/retract " : "[:db/add ") + e + " :" + a.name + " " + val + "]\n";
  }
  g.txs.push_back(tx + "]");
  g.txs.push_back("[[:db/retractEntity " + ref(r.R(g.entities)) + "]]");
  AddQueries(r, &g);
  AddSourceQueries(r, &g);  // issue 17 (qsrc)
  return g;
}

namespace {

json EdnJson(const edn::Node& n) {
  switch (n.kind) {
    case edn::Kind::kLong: return n.i;
    case edn::Kind::kString: return n.s;
    case edn::Kind::kVector: {
      json a = json::array();
      for (const auto& x : n.items) a.push_back(EdnJson(x));
      return a;
    }
    default: return nullptr;
  }
}

// DataScript's JavaScript API names attributes with strings.
std::string StringAttrs(const std::string& edn) {
  static const RE2 kw(":g/([A-Za-z0-9_-]+)");
  std::string out = edn;
  RE2::GlobalReplace(&out, kw, "\"g/\\1\"");
  return out;
}

}  // namespace

json ExportToDataScript(const Database& db, GenCase* g) {
  json schema = json::object();
  for (const auto& a : g->attrs) {
    json s = json::object();
    if (a.type == GenAttr::kRef) s[":db/valueType"] = ":db.type/ref";
    if (a.many) s[":db/cardinality"] = ":db.cardinality/many";
    if (a.unique) s[":db/unique"] = ":db.unique/identity";
    if (a.indexed) s[":db/index"] = true;
    if (a.component) s[":db/isComponent"] = true;
    schema[a.name] = s;
  }
  // Every user entity, numbered from 1 in id order.
  std::set<EntityId> ents;
  std::vector<std::pair<const GenAttr*, Datom>> datoms;
  for (const auto& a : g->attrs) {
    const Attribute* at = db.attribute(a.name);
    auto all = db.DatomsVector(Index::kAevt, {Value::Ref(at->id)});
    for (const Datom& d : *all) {
      ents.insert(d.e);
      if (a.type == GenAttr::kRef) ents.insert(d.v.ref());
      datoms.push_back({&a, d});
    }
  }
  int64_t next = 1;
  for (EntityId e : ents) g->ids[static_cast<int64_t>(e)] = next++;
  json tx = json::array();
  for (const auto& [a, d] : datoms) {
    json v = a->type == GenAttr::kRef    ? json(g->ids[static_cast<int64_t>(d.v.ref())])
             : a->type == GenAttr::kLong ? json(d.v.as_long())
                                         : json(d.v.str());
    tx.push_back({":db/add", g->ids[static_cast<int64_t>(d.e)], a->name, v});
  }
  json queries = json::array();
  for (const auto& q : g->queries) {
    json inputs = json::array();
    for (size_t i = 0; i < q.inputs.size(); ++i) {
      if (q.input_is_rules[i]) inputs.push_back(StringAttrs(q.inputs[i]));
      else inputs.push_back(EdnJson(*edn::ReadOne(q.inputs[i])));
    }
    queries.push_back({{"q", StringAttrs(q.text)}, {"inputs", inputs}});
  }
  json pulls = json::array();
  std::vector<GenPull> kept;
  for (auto& p : g->pulls) {
    auto e = db.Entid(*edn::ReadOne("[:g/key \"" + p.key + "\"]"));
    if (!e.ok()) continue;
    p.eid = *e;
    pulls.push_back({{"pattern", StringAttrs(p.pattern)}, {"eid", g->ids[static_cast<int64_t>(*e)]}});
    kept.push_back(p);
  }
  g->pulls = kept;
  return {{"schema", schema}, {"tx", tx}, {"queries", queries}, {"pulls", pulls}};
}

}  // namespace strata
