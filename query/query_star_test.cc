// Evaluation paths that replace the one-by-one evaluation of clauses,
// each against a naive evaluation over every datom of the database:
// patterns on one bound entity run together (query/star.cc), and
// comparisons a bounded scan already applied, not run again (plan.cc).
#include <algorithm>
#include <random>
#include <set>

#include "query_test_util.h"

namespace strata {
namespace {

// :s/k picks the entities; :s/a .. :s/d are cardinality one, :s/m and
// :s/n many (refs: :s/r). Attribute ids follow this order, so a read that
// stops after the last attribute a group names is exercised too.
constexpr const char* kSchema = R"([
  {:db/ident :s/k :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :s/a :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :s/m :db/valueType :db.type/long :db/cardinality :db.cardinality/many}
  {:db/ident :s/b :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :s/c :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :s/n :db/valueType :db.type/long :db/cardinality :db.cardinality/many}
  {:db/ident :s/d :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
  {:db/ident :s/r :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}])";

const std::vector<std::string> kAttrs = {"a", "m", "b", "c", "n", "d", "r"};

class StarTest : public testing::QueryTest {};

// One pattern [?e :s/<attr> <value>]: the value a new variable, a constant
// or a blank.
struct Pat {
  std::string attr;
  enum { kVar, kConst, kBlank } kind = kVar;
  int64_t c = 0;  // kConst
};

TEST_F(StarTest, RandomStarsEqualNaiveEvaluation) {
  std::mt19937_64 rng(20);
  size_t star_runs = 0;
  Tx(kSchema);
  // Every datom of the :s/ attributes, by entity: the naive side's input.
  auto by_e_all = [&]() {
    std::map<EntityId, std::vector<std::pair<std::string, int64_t>>> out;
    auto all = db().DatomsVector(Index::kEavt);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    if (!all.ok()) return out;
    for (const Datom& d : *all) {
      const std::string* ident = db().ident(d.a);
      if (ident == nullptr || ident->rfind("s/", 0) != 0) continue;
      out[d.e].push_back({ident->substr(2), d.v.type() == ValueType::kRef ? static_cast<int64_t>(d.v.ref()) : d.v.as_long()});
    }
    return out;
  };
  // Each round adds entities picked by its own :s/k values (3 per round);
  // the naive side reads every datom, earlier rounds' too.
  for (int round = 0; round < 12; ++round) {
    // Entities with a random subset of the attributes; a few with many
    // values of :s/m (more than one read of an entity keeps).
    const int people = 80 + static_cast<int>(rng() % 200);
    std::string tx = "[";
    for (int i = 0; i < people; ++i) {
      const std::string id = "\"r" + std::to_string(round) + "e";
      tx += "{:db/id " + id + std::to_string(i) + "\" :s/k " + std::to_string(3 * round + static_cast<int>(rng() % 3));
      for (const char* a : {"a", "b", "c", "d"})
        if (rng() % 4 != 0) tx += std::string(" :s/") + a + " " + std::to_string(rng() % 4);
      const int many = rng() % 10 == 0 ? 40 : static_cast<int>(rng() % 3);
      if (many > 0) {
        tx += " :s/m [";
        for (int j = 0; j < many; ++j) tx += " " + std::to_string(rng() % 50);
        tx += "]";
      }
      if (rng() % 2) tx += " :s/n [" + std::to_string(rng() % 3) + " " + std::to_string(3 + rng() % 3) + "]";
      if (rng() % 3 == 0) tx += " :s/r " + id + std::to_string(rng() % static_cast<uint64_t>(people)) + "\"";
      tx += "}";
    }
    Tx(tx + "]");
    const auto by_e = by_e_all();

    for (int qn = 0; qn < 10; ++qn) {
      // 2 to 5 patterns on ?e after the one that binds it.
      const int64_t k = 3 * round + static_cast<int64_t>(rng() % 3);
      std::vector<Pat> pats(2 + rng() % 4);
      std::vector<std::string> vars;
      for (size_t p = 0; p < pats.size(); ++p) {
        pats[p].attr = kAttrs[rng() % kAttrs.size()];
        const uint64_t kind = rng() % 6;
        pats[p].kind = kind < 4 ? Pat::kVar : kind == 4 ? Pat::kConst : Pat::kBlank;
        pats[p].c = static_cast<int64_t>(rng() % 4);
        if (pats[p].attr == "r" && pats[p].kind == Pat::kConst) pats[p].kind = Pat::kBlank;
      }
      std::string where = "[?e :s/k " + std::to_string(k) + "]";
      std::vector<std::string> clauses;
      for (size_t p = 0; p < pats.size(); ++p) {
        std::string v = pats[p].kind == Pat::kVar ? "?x" + std::to_string(p)
                        : pats[p].kind == Pat::kConst ? std::to_string(pats[p].c) : "_";
        if (pats[p].kind == Pat::kVar) vars.push_back(v);
        clauses.push_back("[?e :s/" + pats[p].attr + " " + v + "]");
      }
      // Half the queries filter one variable: the planner runs the
      // predicate right after its pattern, between the group's patterns.
      int filter_col = -1;
      const int64_t below = 1 + static_cast<int64_t>(rng() % 3);
      if (!vars.empty() && rng() % 2 == 0) {
        filter_col = 1 + static_cast<int>(rng() % vars.size());
        clauses.push_back("[(< " + vars[static_cast<size_t>(filter_col - 1)] + " " + std::to_string(below) + ")]");
      }
      std::string find = "?e";
      for (const auto& v : vars) find += " " + v;
      std::string q = "[:find " + find + " :where " + where;
      for (const auto& c : clauses) q += " " + c;
      q += "]";
      // The naive result: rows as EDN text.
      std::set<std::string> want;
      for (const auto& [e, datoms] : by_e) {
        bool picked = false;
        for (const auto& [a, v] : datoms) picked = picked || (a == "k" && v == k);
        if (!picked) continue;
        std::vector<std::vector<int64_t>> rows = {{static_cast<int64_t>(e)}};
        for (const Pat& p : pats) {
          std::vector<int64_t> vals;
          bool any = false;
          for (const auto& [a, v] : datoms) {
            if (a != p.attr || (p.kind == Pat::kConst && v != p.c)) continue;
            any = true;
            vals.push_back(v);
          }
          std::vector<std::vector<int64_t>> next;
          if (p.kind != Pat::kVar) {
            if (any) next = rows;
          } else {
            for (const auto& r : rows)
              for (int64_t v : vals) {
                next.push_back(r);
                next.back().push_back(v);
              }
          }
          rows = std::move(next);
        }
        for (const auto& r : rows) {
          if (filter_col >= 0 && !(r[static_cast<size_t>(filter_col)] < below)) continue;
          std::vector<edn::Node> xs;
          for (int64_t v : r) xs.push_back(edn::Node::Long(v));
          want.insert(edn::Print(edn::Node::Vector(xs)));
        }
      }
      QueryOptions explain;
      explain.explain = true;
      QueryStats st;
      auto r = Q(E(q), {db()}, explain, &st);
      ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << q;
      std::set<std::string> got;
      for (const auto& row : r->items) got.insert(edn::Print(row));
      EXPECT_EQ(got, want) << q;
      // A pattern served by another one's read: rows in, no reads.
      for (const auto& ph : st.phases)
        for (const auto& c : ph.clauses) star_runs += c.rows_in > 0 && c.index_lookups == 0 && c.datoms == 0;
      // The clauses in reverse order: the same rows.
      std::string rq = "[:find " + find + " :where";
      for (auto it = clauses.rbegin(); it != clauses.rend(); ++it) rq += " " + *it;
      rq += " " + where + "]";
      auto rr = Q(E(rq), {db()});
      ASSERT_TRUE(rr.ok()) << rr.status().ToString() << "\n" << rq;
      std::set<std::string> rgot;
      for (const auto& row : rr->items) rgot.insert(edn::Print(row));
      EXPECT_EQ(rgot, want) << rq;
    }
  }
  // Two patterns, each a variable value: the first binds ?e (several rows
  // for an entity with many values), the second joins by ?e alone, through
  // an attribute scan whose datoms join straight into the rows
  // (patterns.cc), or lookups.
  for (const std::string& a1 : kAttrs) {
    for (const std::string& a2 : kAttrs) {
      const std::string q = "[:find ?e ?x ?y :where [?e :s/" + a1 + " ?x] [?e :s/" + a2 + " ?y]]";
      std::set<std::string> want;
      for (const auto& [e, datoms] : by_e_all()) {
        for (const auto& [x_attr, x] : datoms) {
          if (x_attr != a1) continue;
          for (const auto& [y_attr, y] : datoms) {
            if (y_attr != a2) continue;
            want.insert(edn::Print(edn::Node::Vector({edn::Node::Long(static_cast<int64_t>(e)), edn::Node::Long(x),
                                                      edn::Node::Long(y)})));
          }
        }
      }
      auto r = Q(E(q), {db()});
      ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << q;
      std::set<std::string> got;
      for (const auto& row : r->items) got.insert(edn::Print(row));
      EXPECT_EQ(got, want) << q;
    }
  }
  // The grouped path ran (else this test compares the one-by-one path with
  // itself).
  EXPECT_GT(star_runs, 20u);
}

// [?e :p/x ?x] [(> ?x n)]: the scan keeps only values inside the bounds,
// and when every value it kept is a long the predicates are not run again.
// Doubles pass the long bounds, so there the predicates still decide.
TEST_F(StarTest, BoundedScanPredicatesEqualNaiveEvaluation) {
  Tx(R"([{:db/ident :p/x :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
         {:db/ident :p/y :db/valueType :db.type/double :db/cardinality :db.cardinality/one}])");
  std::mt19937_64 rng(7);
  std::vector<std::pair<int64_t, double>> rows;
  std::string tx = "[";
  for (int i = 0; i < 500; ++i) {
    const int64_t x = static_cast<int64_t>(rng() % 100);
    const double y = static_cast<double>(rng() % 100) + 0.5;
    rows.push_back({x, y});
    tx += "{:p/x " + std::to_string(x) + " :p/y " + std::to_string(y) + "}";
  }
  Tx(tx + "]");
  struct Case {
    std::string op;
    int64_t n;
  };
  const std::vector<std::string> ops = {">", ">=", "<", "<="};
  auto holds = [](const std::string& op, double v, double n) {
    return op == ">" ? v > n : op == ">=" ? v >= n : op == "<" ? v < n : v <= n;
  };
  for (int k = 0; k < 40; ++k) {
    const std::string op1 = ops[rng() % 4], op2 = ops[rng() % 4];
    const int64_t n1 = static_cast<int64_t>(rng() % 100), n2 = static_cast<int64_t>(rng() % 100);
    for (const char* attr : {"x", "y"}) {
      const bool is_x = attr[0] == 'x';
      // Two comparisons, one of them with its bound from :in.
      const std::string q = std::string("[:find (count ?v) . :with ?e :in $ ?n :where [?e :p/") + attr + " ?v] [(" + op1 +
                            " ?v ?n)] [(" + op2 + " " + std::to_string(n2) + " ?v)]]";
      size_t want = 0;
      for (const auto& [x, y] : rows) {
        const double v = is_x ? static_cast<double>(x) : y;
        // (op2 n2 ?v) reads n2 op2 v.
        want += holds(op1, v, static_cast<double>(n1)) && holds(op2, static_cast<double>(n2), v);
      }
      const std::string got = Run(q, {db(), edn::Node::Long(n1)});
      EXPECT_EQ(got, want == 0 ? "nil" : std::to_string(want)) << q << " with ?n " << n1;
    }
  }
}

}  // namespace
}  // namespace strata
