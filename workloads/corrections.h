// workloads/corrections.h — the "corrections" workload: the Tribbles story
// of retraction with provenance (datomic-blog-2014, "Retraction"), at scale.
//
// An inventory (:item/id, :item/description, :item/count, :item/warehouse)
// grows and changes: each ordinary transaction creates 3 items "I-<n>" and
// updates the count of 2 earlier ones. Every tenth transaction (index
// i % 10 == 5) is a mistake, bad event j = i / 10:
//
//   j % 4 == 0 or 1  a bogus item "BAD-<j>" enters with count 999 (the
//                    Tribbles: "Tribble: a low maintenance pet.");
//   j % 4 == 2 or 3  an existing item's count is set to 999 (a typo).
//
// 1 + j % 5 transactions later (other items keep changing meanwhile, so
// the mistake is no longer the last transaction) it is corrected:
//
//   j % 4 == 0  [:db/retractEntity [:item/id "BAD-j"]] with provenance on
//               the transaction entity: :correction/by [:manager/email ..],
//               :db/doc, :correction/kind :correction.kind/retract-entity;
//               except when j % 10 == 4: [:db/excise [:item/id "BAD-j"]]
//               (:correction.kind/excise), the rare case where the data
//               must be forgotten, not just corrected;
//   j % 4 == 1  the simple correction: [:db/add [:item/id "BAD-j"]
//               :item/count 0] and a :db/doc "Error correction entry...";
//   j % 4 >= 2  [:correction/revert-latest [:item/id "I-n"] :item/count 999
//               doc by], a transaction function: found by key, it takes the
//               latest transaction touching the item, checks that it is
//               still the erroneous one (asserted count 999) and reverts
//               what that transaction said about the item (the old count
//               comes back), adding :correction/reverts <bad tx>,
//               :correction/by, :db/doc and :correction.kind/revert.
//
// Items under correction are never touched by ordinary transactions in
// between. Managers are "m<k>@example.com", k < 5.
//
// Reads (read_ratio > 0):
//   "find-by-key"         the whole history of one item (a live one, or a
//                         bogus one found through the history's AVET),
//                         with each transaction's :db/txInstant and :db/doc;
//   "find-recent"         by recency: what the latest transaction said,
//                         from the log (Datalog tx-data on the basis t, when
//                         RegisterTxFunctions gave the workload its
//                         connection), and the items whose count changed in
//                         the last 20 transactions (Since view over AEVT),
//                         with those at an absurd count (>= 999);
//   "corrections-audit"   the corrections one manager made (VAET of
//                         :correction/by), each with its doc and instant.
//
// Scale 1 = kCorrectionsTransactionsPerScale transactions.
//
// Thread safety: used by one thread; memory is constant in the scale.
#pragma once

#include <memory>

#include "workloads/workload.h"

namespace strata::workloads {

constexpr uint64_t kCorrectionsTransactionsPerScale = 2000;

std::unique_ptr<Workload> NewCorrectionsWorkload(const WorkloadOptions& options);

// The transaction function behind :correction/revert-latest (registered by
// the workload's RegisterTxFunctions), for tests and tools.
Result<edn::Node> RevertLatest(const Database& db, const std::vector<edn::Node>& args);

}  // namespace strata::workloads
