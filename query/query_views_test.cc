// Pull and Datalog over as_of, since and history views, checked against
// the reference fold of the log (SPEC §8), since no independent oracle
// exists for views: the differential test's random databases, queries and
// pull patterns (joins, rules, not/or, aggregates, functions, pull
// recursion, reverse and component attributes) run on
//   - as_of(t)  and on a fresh database that replays the log up to t
//     (same transactions, so the same entity ids): results must be equal;
//   - since(t)  and on the current database filtered to datoms with tx > t;
//   - with(tx)  on the database before tx and on one that commits tx;
//   - history   against the recorded tx-data: data patterns with tx and
//     added, joins over them, and pull (every value ever asserted, the
//     latest for cardinality one, reverse references ever made).
//
//   STRATA_VIEWS_SEED=n  another seed (the seed is printed)
#include <cstdlib>
#include <iostream>
#include <set>

#include "strata/connection.h"
#include "datascript_gen.h"
#include "query_test_util.h"

namespace strata {
namespace {

struct Built {
  std::unique_ptr<Env> env;
  std::unique_ptr<Connection> conn;
  std::vector<TxReport> reports;
};

Built Build(const GenCase& g, size_t n_txs) {
  Built b;
  b.env = NewMemEnv();
  Options o;
  o.env = b.env.get();
  auto c = Connection::Open("/db", o);
  EXPECT_TRUE(c.ok());
  b.conn = std::move(*c);
  for (size_t i = 0; i < n_txs && i < g.txs.size(); ++i) {
    auto r = b.conn->Transact(g.txs[i]);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << g.txs[i];
    if (r.ok()) b.reports.push_back(std::move(*r));
  }
  return b;
}

std::string RunQuery(const GenQuery& q, const Database& db) {
  std::vector<QueryInput> in{db};
  for (const auto& text : q.inputs) in.push_back(*edn::ReadOne(text));
  auto r = Q(*edn::ReadOne(q.text), in);
  return r.ok() ? edn::Print(*r) : "error: " + r.status().message();
}

std::string RunPull(const GenPull& p, const Database& db) {
  auto r = Pull(db, *edn::ReadOne(p.pattern), *edn::ReadOne("[:g/key \"" + p.key + "\"]"));
  return r.ok() ? edn::Print(*r) : "error: " + r.status().message();
}

// Every generated query and pull on `view` and on `model`; returns how
// many were compared.
size_t Compare(const GenCase& g, const Database& view, const Database& model, const std::string& what) {
  size_t n = 0, mismatches = 0;
  for (const auto& q : g.queries) {
    const std::string got = RunQuery(q, view), want = RunQuery(q, model);
    ++n;
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << what << ": " << q.text << "\n view:  " << got << "\n model: " << want;
    }
  }
  for (const auto& p : g.pulls) {
    const std::string got = RunPull(p, view), want = RunPull(p, model);
    ++n;
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << what << ": pull " << p.pattern << " of " << p.key << "\n view:  " << got << "\n model: " << want;
    }
  }
  return n;
}

uint64_t Seed() {
  const char* s = std::getenv("STRATA_VIEWS_SEED");
  return s && *s ? std::stoull(s) : 20250301;
}

TEST(ViewsFold, AsOfEqualsReplayingTheLogUpToT) {
  const uint64_t seed = Seed();
  std::cout << "[ views ] seed " << seed << " (STRATA_VIEWS_SEED)\n";
  std::mt19937_64 rng(seed);
  size_t compared = 0;
  for (int c = 0; c < 4; ++c) {
    GenCase g = GenerateCase(&rng);
    Built all = Build(g, g.txs.size());
    for (size_t k = 1; k < all.reports.size(); ++k) {
      Built prefix = Build(g, k + 1);
      const T t = all.reports[k].t;
      ASSERT_EQ(prefix.conn->db().basis_t(), t) << "the replay reached another t";
      compared += Compare(g, all.conn->db().AsOf(t), prefix.conn->db(),
                          "seed " + std::to_string(seed) + " case " + std::to_string(c) + " as_of " + std::to_string(t));
    }
  }
  EXPECT_GT(compared, 500u);
}

TEST(ViewsFold, SinceEqualsTheCurrentDatomsAfterT) {
  const uint64_t seed = Seed();
  std::cout << "[ views ] seed " << seed << " (STRATA_VIEWS_SEED)\n";
  std::mt19937_64 rng(seed + 1);
  size_t compared = 0;
  for (int c = 0; c < 4; ++c) {
    GenCase g = GenerateCase(&rng);
    Built all = Build(g, g.txs.size());
    const Database now = all.conn->db();
    for (size_t k = 0; k + 1 < all.reports.size(); ++k) {
      const T t = all.reports[k].t;
      const Database fold = now.Filter([t](const Database&, const Datom& d) { return d.t() > t; });
      compared += Compare(g, now.Since(t), fold,
                          "seed " + std::to_string(seed) + " case " + std::to_string(c) + " since " + std::to_string(t));
    }
  }
  EXPECT_GT(compared, 500u);
}

// with(tx) on the database after k transactions is the database that
// commits transaction k+1 for real (the same t, so the same entity ids).
TEST(ViewsFold, WithEqualsCommittingTheTransaction) {
  const uint64_t seed = Seed();
  std::cout << "[ views ] seed " << seed << " (STRATA_VIEWS_SEED)\n";
  std::mt19937_64 rng(seed + 2);
  size_t compared = 0;
  for (int c = 0; c < 4; ++c) {
    GenCase g = GenerateCase(&rng);
    for (size_t k = 1; k + 1 < g.txs.size(); k += 2) {
      Built before = Build(g, k);
      Built after = Build(g, k + 1);
      if (after.reports.size() != k + 1) continue;  // the generator's transaction was refused
      auto with = before.conn->db().With(*edn::ReadOne(g.txs[k]));
      ASSERT_TRUE(with.ok()) << with.status().ToString() << "\n" << g.txs[k];
      ASSERT_EQ(with->t, after.reports.back().t);
      EXPECT_EQ(with->tempids, after.reports.back().tempids);
      compared += Compare(g, with->db_after, after.conn->db(),
                          "seed " + std::to_string(seed) + " case " + std::to_string(c) + " with tx " + std::to_string(k));
    }
  }
  EXPECT_GT(compared, 300u);
}

// The history side: the model is the recorded tx-data itself.
class HistoryFold : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(Seed() + 2);
    g_ = GenerateCase(&rng);
    b_ = Build(g_, g_.txs.size());
  }
  // The datoms of the first n transactions (the whole log by default).
  std::vector<Datom> Log(size_t n = SIZE_MAX) const {
    std::vector<Datom> out;
    for (size_t i = 0; i < b_.reports.size() && i < n; ++i)
      out.insert(out.end(), b_.reports[i].tx_data.begin(), b_.reports[i].tx_data.end());
    return out;
  }
  std::set<std::string> Rows(const std::string& q, const Database& db, std::vector<QueryInput> more = {}) const {
    std::vector<QueryInput> in{db};
    for (auto& x : more) in.push_back(std::move(x));
    auto r = Q(*edn::ReadOne(q), in);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << q;
    std::set<std::string> out;
    if (r.ok())
      for (const auto& row : r->items) out.insert(edn::Print(row));
    return out;
  }
  GenCase g_;
  Built b_;
};

TEST_F(HistoryFold, DataPatternsWithTxAndAdded) {
  const Database now = b_.conn->db();
  for (size_t n = 2; n <= b_.reports.size(); ++n) {
    const Database hist = n == b_.reports.size() ? now.History() : now.AsOf(b_.reports[n - 1].t).History();
    const std::vector<Datom> log = Log(n);
    for (const GenAttr& a : g_.attrs) {
      const EntityId aid = now.attribute(a.name)->id;
      std::set<std::string> want;
      for (const Datom& d : log) {
        if (d.a != aid) continue;
        edn::Node row = edn::Node::Vector({edn::Node::Long(static_cast<int64_t>(d.e)), now.ValueToEdn(d.v),
                                           edn::Node::Long(static_cast<int64_t>(d.tx)), edn::Node::Bool(d.added)});
        want.insert(edn::Print(row));
      }
      EXPECT_EQ(Rows("[:find ?e ?v ?tx ?added :in $ ?a :where [?e ?a ?v ?tx ?added]]", hist,
                     {edn::Node::Keyword(a.name)}),
                want)
          << a.name << " over the first " << n << " transactions";
      // Only the retractions, by a constant in the added position.
      std::set<std::string> retracted;
      for (const std::string& row : want)
        if (row.find(" false]") != std::string::npos) retracted.insert(row.substr(0, row.rfind(' ')) + "]");
      EXPECT_EQ(Rows("[:find ?e ?v ?tx :in $ ?a :where [?e ?a ?v ?tx false]]", hist, {edn::Node::Keyword(a.name)}),
                retracted)
          << a.name;
    }
  }
}

TEST_F(HistoryFold, JoinsOverHistory) {
  const Database now = b_.conn->db();
  const std::vector<Datom> log = Log();
  const EntityId key = now.attribute("g/key")->id;
  std::map<EntityId, std::set<std::string>> keys;  // every key an entity ever had
  for (const Datom& d : log)
    if (d.a == key) keys[d.e].insert(d.v.str());
  for (const GenAttr& a : g_.attrs) {
    if (a.type != GenAttr::kLong) continue;
    const EntityId aid = now.attribute(a.name)->id;
    std::set<std::string> want;
    for (const Datom& d : log) {
      if (d.a != aid) continue;
      for (const auto& k : keys[d.e])
        want.insert(edn::Print(edn::Node::Vector({edn::Node::String(k), now.ValueToEdn(d.v), edn::Node::Bool(d.added)})));
    }
    EXPECT_EQ(Rows("[:find ?k ?v ?added :where [?e :g/key ?k] [?e :" + a.name + " ?v _ ?added]]", now.History()), want)
        << a.name;
  }
}

// Pull on history: cardinality many lists the distinct values ever
// asserted, cardinality one the most recently asserted; reverse
// attributes every entity that ever referred.
TEST_F(HistoryFold, PullShowsEveryValueEverAsserted) {
  const Database now = b_.conn->db();
  const std::vector<Datom> log = Log();
  std::string pattern = "[:db/id";
  for (const GenAttr& a : g_.attrs)
    if (!a.component) pattern += " :" + a.name;
  pattern += " :g/_up]";
  const EntityId up = now.attribute("g/up")->id;
  std::set<EntityId> ents;
  for (const Datom& d : log)
    if (now.attribute(d.a) && now.attribute(d.a)->ident.rfind("g/", 0) == 0) ents.insert(d.e);
  ASSERT_GT(ents.size(), 10u);
  for (EntityId e : ents) {
    std::map<std::string, std::string> want;
    want[":db/id"] = std::to_string(e);
    for (const GenAttr& a : g_.attrs) {
      if (a.component) continue;
      const EntityId aid = now.attribute(a.name)->id;
      std::vector<Datom> asserted;
      for (const Datom& d : log)
        if (d.e == e && d.a == aid && d.added) asserted.push_back(d);
      if (asserted.empty()) continue;
      auto render = [&](const Value& v) {
        return a.type == GenAttr::kRef ? edn::Node::Map({edn::Node::Keyword("db/id"),
                                                         edn::Node::Long(static_cast<int64_t>(v.ref()))})
                                       : now.ValueToEdn(v);
      };
      if (!a.many) {
        want[":" + a.name] = edn::Print(render(asserted.back().v));
        continue;
      }
      std::sort(asserted.begin(), asserted.end(), DatomLess{Index::kEavt});
      std::vector<edn::Node> vals;
      for (size_t i = 0; i < asserted.size(); ++i)
        if (i == 0 || !(asserted[i].v == asserted[i - 1].v)) vals.push_back(render(asserted[i].v));
      want[":" + a.name] = edn::Print(edn::Node::Vector(std::move(vals)));
    }
    std::set<EntityId> referrers;
    for (const Datom& d : log)
      if (d.a == up && d.added && d.v.ref() == e) referrers.insert(d.e);
    if (!referrers.empty()) {
      std::vector<edn::Node> vals;
      for (EntityId r : referrers)
        vals.push_back(edn::Node::Map({edn::Node::Keyword("db/id"), edn::Node::Long(static_cast<int64_t>(r))}));
      want[":g/_up"] = edn::Print(edn::Node::Vector(std::move(vals)));
    }
    auto got = Pull(now.History(), *edn::ReadOne(pattern), edn::Node::Long(static_cast<int64_t>(e)));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    std::map<std::string, std::string> have;
    for (size_t i = 0; got->is(edn::Kind::kMap) && i + 1 < got->items.size(); i += 2)
      have[edn::Print(got->items[i])] = edn::Print(got->items[i + 1]);
    EXPECT_EQ(have, want) << "entity " << e << " pattern " << pattern;
  }
}

}  // namespace
}  // namespace strata
