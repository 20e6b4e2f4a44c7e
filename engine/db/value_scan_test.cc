// Database::DatomsWithValue: a scan with its value pushed down into the
// sources yields, in every view (current, as-of, since, history and their
// combinations), exactly what a model of the transacted datoms says, and
// what the same read without the value yields filtered by it. The data
// mixes durable levels (two index jobs, 64-datom leaves) and memory runs
// (current and history), cardinality-one values replaced (implicit
// retractions) and many-valued attributes retracted, texts that share a
// prefix (short, and longer than a memory record holds inline) and values
// that differ only in type (the long 1, the double 1.0, the ref to an
// entity whose id is also a long value).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "strata/connection.h"
#include "strata/edn.h"
#include "strata/env.h"
#include "testing/test_util.h"

namespace strata {
namespace {

constexpr const char* kSchema = R"([
  {:db/ident :s/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :s/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
  {:db/ident :n/long :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :n/double :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
  {:db/ident :n/refs :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])";

// Texts sharing prefixes: inline in a memory record (<= 15 bytes, also
// the empty text and one padded with a space) and long ones.
const std::vector<std::string> kTexts = {"Ivan", "Ivana", "Iva", "", "Ivan ", "Ivanovich-Petrovich-1",
                                         "Ivanovich-Petrovich-2", "Petr"};

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

struct Fixture {
  std::unique_ptr<Env> env = NewMemEnv();
  std::unique_ptr<Connection> conn;
  std::vector<Datom> all;  // every datom of the test's transactions (the model)
  std::vector<T> ts;       // their t, in order
  std::vector<EntityId> ids;

  // A database of stacked durable levels (64-datom leaves) with kSchema.
  void Open() {
    auto c = Connection::Open("/db", testing::StackedLevelsOptions(env.get()));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn = std::move(*c);
    Tx(kSchema);
  }

  TxReport Tx(const std::string& text) {
    auto r = conn->Transact(text);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n in " << text;
    if (!r.ok()) return {};
    all.insert(all.end(), r->tx_data.begin(), r->tx_data.end());
    ts.push_back(r->t);
    return std::move(*r);
  }
};

// The datoms of attribute a with value v in a view, by the view's rule
// (Datomic's views: https://docs.datomic.com/reference/filters.html): as
// of T shows each (e a v) group's last datom with t <= T if it is an
// assertion; since T keeps those with t > T; history keeps every datom
// within both. In AEVT order (a and v are fixed: by e, then tx).
std::vector<Datom> ModelView(const std::vector<Datom>& all, EntityId a, const Value& v, std::optional<T> as_of,
                             std::optional<T> since, bool history) {
  std::map<EntityId, std::vector<Datom>> groups;
  for (const Datom& d : all)
    if (d.a == a && d.v == v) groups[d.e].push_back(d);
  auto in_time = [&](const Datom& d) { return !as_of || d.t() <= *as_of; };
  auto after_since = [&](const Datom& d) { return !since || d.t() > *since; };
  std::vector<Datom> out;
  for (auto& [e, g] : groups) {
    std::sort(g.begin(), g.end(), [](const Datom& x, const Datom& y) { return x.tx < y.tx; });
    if (history) {
      for (const Datom& d : g)
        if (in_time(d) && after_since(d)) out.push_back(d);
      continue;
    }
    const Datom* last = nullptr;
    for (const Datom& d : g)
      if (in_time(d)) last = &d;
    if (last != nullptr && last->added && after_since(*last)) out.push_back(*last);
  }
  return out;
}

std::vector<Datom> Drain(Result<DatomCursor> c) {
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  std::vector<Datom> out;
  if (!c.ok()) return out;
  for (; c->Valid(); c->Next()) out.push_back(c->datom());
  const Status s = c->status();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// The read without the value, filtered by it.
std::vector<Datom> Unpushed(const Database& db, Index index, const std::vector<Value>& prefix, const Value& v) {
  std::vector<Datom> out;
  for (const Datom& d : Drain(db.Datoms(index, prefix)))
    if (d.v == v) out.push_back(d);
  return out;
}

std::string ShowValue(const Value& v) { return edn::Print(edn::FromValue(v)); }

std::string Show(const std::vector<Datom>& ds) {
  std::string s;
  for (const Datom& d : ds)
    s += "[" + std::to_string(d.e) + " " + std::to_string(d.a) + " " + ShowValue(d.v) + " " + std::to_string(d.t()) +
         (d.added ? " true] " : " false] ");
  return s;
}

class ValueScanTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ValueScanTest, EveryViewMatchesTheModelAndTheUnpushedRead) {
  const uint32_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  Fixture fx;
  ASSERT_NO_FATAL_FAILURE(fx.Open());
  constexpr int kEntities = 40;
  std::string tx = "[";
  for (int i = 0; i < kEntities; ++i) tx += "{:db/id \"e" + std::to_string(i) + "\" :s/name \"Petr\"}";
  TxReport first = fx.Tx(tx + "]");
  for (int i = 0; i < kEntities; ++i) fx.ids.push_back(first.tempids.at("e" + std::to_string(i)));
  const Database db0 = fx.conn->db();
  const EntityId a_name = db0.attribute("s/name")->id, a_tags = db0.attribute("s/tags")->id,
                 a_long = db0.attribute("n/long")->id, a_double = db0.attribute("n/double")->id,
                 a_refs = db0.attribute("n/refs")->id;
  // The long values include the id of the entity the refs name first, so
  // a long and a ref with the same number are both stored.
  const EntityId x = fx.ids[0];
  const std::vector<std::string> longs = {"0", "1", "2", "-1", std::to_string(x)};
  const std::vector<std::string> doubles = {"1.0", "0.0", "-0.0", "2.5"};
  const std::vector<std::string> refs = {std::to_string(fx.ids[0]), std::to_string(fx.ids[1]),
                                         std::to_string(fx.ids[2])};
  const std::vector<std::pair<std::string, const std::vector<std::string>*>> attrs = {
      {":s/name", nullptr}, {":s/tags", nullptr}, {":n/long", &longs}, {":n/double", &doubles}, {":n/refs", &refs}};

  constexpr int kTxs = 30;
  for (int round = 0; round < kTxs; ++round) {
    std::set<std::pair<int, size_t>> touched;  // one op per (e a) a transaction
    tx = "[";
    for (int op = 0; op < 12; ++op) {
      const int e = static_cast<int>(rng() % kEntities);
      const size_t ai = rng() % attrs.size();
      if (!touched.insert({e, ai}).second) continue;
      const auto& [ident, values] = attrs[ai];
      const std::string v = values == nullptr ? Quote(kTexts[rng() % kTexts.size()]) : (*values)[rng() % values->size()];
      // Retract a value the entity may or may not hold (a retraction of
      // nothing adds no datom), or assert one.
      const bool retract = rng() % 3 == 0;
      tx += std::string(retract ? "[:db/retract " : "[:db/add ") + std::to_string(fx.ids[static_cast<size_t>(e)]) + " " +
            ident + " " + v + "]";
    }
    fx.Tx(tx + "]");
    if (round == 9 || round == 19) {
      auto j = fx.conn->IndexNow();
      ASSERT_TRUE(j.ok()) << j.status().ToString();
    }
  }
  ASSERT_GT(fx.conn->db().memory_index_datoms(), 0u);
  ASSERT_GT(fx.conn->db().durable_index_shape().trees[0].size(), 0u);

  // The values scanned per attribute: every stored one, one never stored,
  // and the same numbers in other types.
  std::vector<std::pair<EntityId, Value>> scans;
  for (const std::string& s : kTexts) {
    scans.push_back({a_name, Value::String(s)});
    scans.push_back({a_tags, Value::String(s)});
  }
  scans.push_back({a_name, Value::String("Iv")});
  scans.push_back({a_name, Value::Keyword("Ivan")});
  for (EntityId a : {a_long, a_double, a_refs}) {
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{-1}, static_cast<int64_t>(x)}) {
      scans.push_back({a, Value::Long(n)});
      scans.push_back({a, Value::Double(static_cast<double>(n))});
      scans.push_back({a, Value::Ref(static_cast<EntityId>(n))});
    }
    scans.push_back({a, Value::Double(-0.0)});
    scans.push_back({a, Value::Double(2.5)});
    scans.push_back({a, Value::Ref(fx.ids[1])});
    scans.push_back({a, Value::Ref(fx.ids[2])});
  }

  const Database now = fx.conn->db();
  struct View {
    std::string name;
    Database db;
    std::optional<T> as_of, since;
    bool history;
  };
  std::vector<View> views = {{"current", now, {}, {}, false}, {"history", now.History(), {}, {}, true}};
  for (size_t i = 0; i < fx.ts.size(); i += 3) {
    const T t = fx.ts[i];
    const std::string at = std::to_string(t);
    views.push_back({"as-of " + at, now.AsOf(t), t, {}, false});
    views.push_back({"since " + at, now.Since(t), {}, t, false});
    views.push_back({"history as-of " + at, now.History().AsOf(t), t, {}, true});
    views.push_back({"history since " + at, now.History().Since(t), {}, t, true});
    const T later = fx.ts[std::min(fx.ts.size() - 1, i + 7)];
    views.push_back({"since " + at + " as-of " + std::to_string(later), now.Since(t).AsOf(later), later, t, false});
  }

  size_t found = 0, retractions = 0, typed_away = 0;
  for (const View& view : views) {
    SCOPED_TRACE(view.name);
    for (const auto& [a, v] : scans) {
      SCOPED_TRACE(std::to_string(a) + " " + ShowValue(v));
      const std::vector<Datom> want = ModelView(fx.all, a, v, view.as_of, view.since, view.history);
      const std::vector<Datom> got = Drain(view.db.DatomsWithValue(Index::kAevt, {Value::Ref(a)}, v));
      ASSERT_EQ(got, want) << "got " << Show(got) << "\nwant " << Show(want);
      EXPECT_EQ(got, Unpushed(view.db, Index::kAevt, {Value::Ref(a)}, v));
      found += got.size();
      for (const Datom& d : got) retractions += !d.added;
      // The same number in the attribute's type, when it is another.
      const Attribute* at = view.db.attribute(a);
      if (got.empty() && v.type() != at->type && !Unpushed(view.db, Index::kAevt, {Value::Ref(a)}, v).empty()) ++typed_away;
    }
    // Without a prefix (every attribute, schema and transactions too), in
    // EAVT by one entity, and in VAET by value: the same as unpushed.
    for (const Value& v : {Value::Long(1), Value::Double(1.0), Value::Ref(x), Value::Long(static_cast<int64_t>(x)),
                           Value::String("Ivan"), Value::String("Ivanovich-Petrovich-1")}) {
      SCOPED_TRACE("unbounded " + ShowValue(v));
      EXPECT_EQ(Drain(view.db.DatomsWithValue(Index::kAevt, {}, v)), Unpushed(view.db, Index::kAevt, {}, v));
      EXPECT_EQ(Drain(view.db.DatomsWithValue(Index::kEavt, {Value::Ref(fx.ids[3])}, v)),
                Unpushed(view.db, Index::kEavt, {Value::Ref(fx.ids[3])}, v));
      // An attribute and an entity: the runs compare records, not the
      // AVET span an attribute alone reads.
      for (EntityId a : {a_name, a_tags, a_long, a_refs})
        EXPECT_EQ(Drain(view.db.DatomsWithValue(Index::kAevt, {Value::Ref(a), Value::Ref(fx.ids[3])}, v)),
                  Unpushed(view.db, Index::kAevt, {Value::Ref(a), Value::Ref(fx.ids[3])}, v));
    }
    EXPECT_EQ(Drain(view.db.DatomsWithValue(Index::kVaet, {Value::Ref(x)}, Value::Ref(x))),
              Unpushed(view.db, Index::kVaet, {Value::Ref(x)}, Value::Ref(x)));
  }
  // The scans found datoms, history views showed retractions, and no type
  // mismatch ever matched (the model and the unpushed read agree on it).
  EXPECT_GT(found, 1000u);
  EXPECT_GT(retractions, 10u);
  EXPECT_EQ(typed_away, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ValueScanTest, ::testing::Values(1u, 2u, 3u));

// A retracted value is gone from the current view and there as of the time
// it was current; a value replaced on a cardinality-one attribute likewise.
TEST(ValueScan, RetractedValueIsInTheAsOfViewOnly) {
  Fixture fx;
  ASSERT_NO_FATAL_FAILURE(fx.Open());
  TxReport add = fx.Tx(R"([{:db/id "a" :s/name "Ivan" :s/tags ["Ivan" "Ivana"]} {:db/id "b" :s/name "Ivana"}])");
  const EntityId a = add.tempids.at("a"), b = add.tempids.at("b");
  TxReport change = fx.Tx("[[:db/add " + std::to_string(a) + " :s/name \"Ivana\"] [:db/retract " + std::to_string(a) +
                          " :s/tags \"Ivan\"]]");
  const Database db = fx.conn->db();
  const EntityId name = db.attribute("s/name")->id, tags = db.attribute("s/tags")->id;
  auto entities = [](const std::vector<Datom>& ds) {
    std::vector<EntityId> out;
    for (const Datom& d : ds) out.push_back(d.e);
    return out;
  };
  for (EntityId attr : {name, tags}) {
    EXPECT_TRUE(Drain(db.DatomsWithValue(Index::kAevt, {Value::Ref(attr)}, Value::String("Ivan"))).empty());
    EXPECT_EQ(entities(Drain(db.AsOf(add.t).DatomsWithValue(Index::kAevt, {Value::Ref(attr)}, Value::String("Ivan")))),
              std::vector<EntityId>{a});
    // History: the assertion and its retraction.
    const std::vector<Datom> h =
        Drain(db.History().DatomsWithValue(Index::kAevt, {Value::Ref(attr)}, Value::String("Ivan")));
    ASSERT_EQ(h.size(), 2u);
    EXPECT_TRUE(h[0].added);
    EXPECT_FALSE(h[1].added);
    EXPECT_EQ(h[1].t(), change.t);
  }
  std::vector<EntityId> both = {a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(entities(Drain(db.DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("Ivana")))), both);
  EXPECT_EQ(entities(Drain(db.Since(add.t).DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("Ivana")))),
            std::vector<EntityId>{a});
  // Indexed, the same answers from the durable levels.
  auto j = fx.conn->IndexNow();
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  const Database idx = fx.conn->db();
  EXPECT_EQ(idx.memory_index_datoms(), 0u);
  EXPECT_TRUE(Drain(idx.DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("Ivan"))).empty());
  EXPECT_EQ(entities(Drain(idx.AsOf(add.t).DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("Ivan")))),
            std::vector<EntityId>{a});
  EXPECT_EQ(entities(Drain(idx.DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("Ivana")))), both);
}

TEST(ValueScan, ACursorWithAValueCannotBeMoved) {
  Fixture fx;
  ASSERT_NO_FATAL_FAILURE(fx.Open());
  const Database db = fx.conn->db();
  const EntityId name = db.attribute("s/name")->id;
  auto cur = db.DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("Ivan"));
  ASSERT_TRUE(cur.ok()) << cur.status().ToString();
  EXPECT_TRUE(cur->Seek({Value::Ref(name)}).IsInvalidArgument());
  // Datoms refuses the same components with or without a value.
  EXPECT_FALSE(db.DatomsWithValue(Index::kAvet, {Value::Ref(name)}, Value::String("Ivan")).ok());
}

// A scan of a durable level for a value that is not there passes leaf after
// leaf; once its deadline is past it stops and fails (Status::Aborted)
// rather than reading on: the query's timeout reaches into the scan.
TEST(ValueScan, AScanPastItsDeadlineFailsInsteadOfReadingOn) {
  Fixture fx;
  ASSERT_NO_FATAL_FAILURE(fx.Open());
  std::string tx = "[";
  for (int i = 0; i < 400; ++i) tx += "{:s/name \"n" + std::to_string(i) + "\"}";
  fx.Tx(tx + "{:s/name \"last\"}]");
  auto j = fx.conn->IndexNow();
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  const Database db = fx.conn->db();
  ASSERT_EQ(db.memory_index_datoms(), 0u);
  const EntityId name = db.attribute("s/name")->id;
  // 401 names in 64-datom leaves: "last" sorts after the others' entities.
  auto late = db.DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("last"));
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  ASSERT_TRUE(late->Valid()) << late->status().ToString();
  EXPECT_EQ(Drain(db.DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String("absent"))).size(), 0u);
  const auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  for (const char* v : {"absent", "last"}) {
    auto cur = db.DatomsWithValue(Index::kAevt, {Value::Ref(name)}, Value::String(v), past);
    ASSERT_TRUE(cur.ok()) << cur.status().ToString();
    EXPECT_FALSE(cur->Valid()) << v;
    EXPECT_EQ(cur->status().code(), Code::kAborted) << v << ": " << cur->status().ToString();
  }
}

}  // namespace
}  // namespace strata
