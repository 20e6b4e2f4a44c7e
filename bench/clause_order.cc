// The clause-order cases and their databases (clause_order.h).
#include "clause_order.h"

#include <algorithm>
#include <numeric>

#include "people_data.h"
#include "workloads/workload.h"

namespace strata::bench {

std::vector<OrderCase> OrderCases() {
  std::vector<OrderCase> out;
  for (const PeopleQuery& q : PeopleQueries()) out.push_back({q.name, "people", q.text, q.inputs});
  // The implicit join of Datomic's query reference ("Implicit Joins"): two
  // artists' releases joined on the year, six clauses.
  out.push_back({"mbrainz years of The Beatles and Janis Joplin", "mbrainz",
                 R"([:find ?year :where [?artist :artist/name "The Beatles"] [?release :release/artists ?artist]
                    [?release :release/year ?year] [?artist2 :artist/name "Janis Joplin"]
                    [?release2 :release/artists ?artist2] [?release2 :release/year ?year]])",
                 {}});
  // A range predicate on a value beside a ref constant.
  out.push_back({"mbrainz British artists started before 1950", "mbrainz",
                 R"([:find ?name ?y :where [?a :artist/country :country/GB] [?a :artist/startYear ?y]
                    [(< ?y 1950)] [?a :artist/name ?name]])",
                 {}});
  // An input scalar ("Multiple inputs"): John Lennon's release names.
  out.push_back({"mbrainz release names of an artist (input)", "mbrainz",
                 R"([:find ?release-name :in $ ?artist-name :where [?artist :artist/name ?artist-name]
                    [?release :release/artists ?artist] [?release :release/name ?release-name]])",
                 {edn::Node::String("John Lennon")}});
  return out;
}

namespace {
// The positions of the :where clauses in the query vector: [begin, end).
std::pair<size_t, size_t> WhereRange(const edn::Node& q) {
  size_t begin = q.items.size();
  for (size_t i = 0; i < q.items.size(); ++i) {
    if (q.items[i].is(edn::Kind::kKeyword) && q.items[i].s == "where") {
      begin = i + 1;
      break;
    }
  }
  size_t end = begin;
  while (end < q.items.size() && !q.items[end].is(edn::Kind::kKeyword)) ++end;
  return {begin, end};
}
}  // namespace

size_t WhereCount(const edn::Node& q) {
  auto [b, e] = WhereRange(q);
  return e - b;
}

edn::Node WithWhereOrder(const edn::Node& q, const std::vector<size_t>& perm) {
  auto [b, e] = WhereRange(q);
  edn::Node out = q;
  for (size_t i = 0; i < perm.size() && b + i < e; ++i) out.items[b + i] = q.items[b + perm[i]];
  return out;
}

std::vector<std::vector<size_t>> Permutations(size_t n, size_t cap) {
  std::vector<std::vector<size_t>> out;
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  do {
    out.push_back(p);
  } while (out.size() < cap && std::next_permutation(p.begin(), p.end()));
  return out;
}

Result<std::unique_ptr<LoadedDb>> LoadPeople() {
  auto out = std::make_unique<LoadedDb>();
  out->env = NewMemEnv();
  Options o;
  o.env = out->env.get();
  STRATA_ASSIGN_OR_RETURN(out->conn, Connection::Open("/people", o));
  STRATA_RETURN_IF_ERROR(out->conn->Transact(kPeopleSchema).status());
  STRATA_RETURN_IF_ERROR(out->conn->Transact(PeopleTx(MakePeople(20000, 1))).status());
  out->db = out->conn->db();
  return out;
}

Result<std::unique_ptr<LoadedDb>> LoadMbrainz() {
  auto out = std::make_unique<LoadedDb>();
  out->env = NewMemEnv();
  Options o;
  o.env = out->env.get();
  o.sync = SyncPolicy::kNever;
  STRATA_ASSIGN_OR_RETURN(out->conn, Connection::Open("/mbrainz", o));
  workloads::WorkloadOptions wo;
  wo.name = "mbrainz";
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<workloads::Workload> w, workloads::MakeWorkload(wo));
  w->RegisterTxFunctions(*out->conn);
  for (const edn::Node& tx : w->Schema()) STRATA_RETURN_IF_ERROR(out->conn->Transact(tx).status());
  workloads::Step step;
  while (w->Next(&step)) {
    if (step.kind == workloads::Step::Kind::kTransact) STRATA_RETURN_IF_ERROR(out->conn->Transact(step.tx).status());
  }
  out->db = out->conn->db();
  return out;
}

}  // namespace strata::bench
