// workloads/permissions.h — the "permissions" workload: VitalReactor's
// authorization model (vitalreactor-case-study) as data, with no ACL table.
//
// Clinics have administrators and physicians (users). Each patient (a
// user) owns an account at a clinic; an account holds a record resource
// with two folders ("labs", "notes") under it, and items go into folders:
// resources form hierarchies through :resource/parent (a root names its
// :resource/account). Groups are lightweight entities: members (users), an
// access (:access/read or :access/write) and what they contain (resources
// or accounts); containing a resource covers everything under it.
//
// Who may do what (transitively, down the hierarchy):
//   write  the account's owner; the clinic's administrators; members of a
//          write group containing the resource, an ancestor or the account;
//   read   whoever may write; the clinic's physicians; members of a read
//          group containing the resource, an ancestor or the account.
// A physician gets write access to their active patients through their
// "active:<user>" write group; a patient shares a folder or one item with
// another user through a "share:..." read group.
//
// Every resource is created through the transaction function
// [:perm/create resource-map creator]: it sets :resource/creator and, when
// the creator could not write the new resource through the rules above in
// the database before the transaction, adds it to the creator's own write
// group ("own:<user>"), so a creator can always write what it creates, from
// the moment it exists.
//
// Transactions, by index i >= 1 (index 0 sets up the clinics, their staff
// and two accounts per clinic): i % 5 == 0 a new patient and account (with
// its record and folders); i % 10 == 4 a physician adds an account of their
// clinic to their active group; i % 10 == 9 a patient shares the folder of
// a recent item (or just the item) with another patient or a physician of
// another clinic; otherwise a new item, created by the account's owner, a
// physician or an administrator of its clinic. Scale 1 = 2000 transactions,
// 10 clinics (at least 2), each with 2 administrators and 4 physicians.
//
// Reads (read_ratio > 0), each a Datalog query with the rules below
// (query/) on a (user, resource) pair, half the time a pair related by
// creation or sharing:
//   "can-read"   may the user read the resource?
//   "can-write"  may the user write it?
//
// Thread safety: used by one thread; memory is constant in the scale.
#pragma once

#include <memory>
#include <string>

#include "strata/edn.h"
#include "workloads/workload.h"

namespace strata::workloads {

constexpr uint64_t kPermissionsTransactionsPerScale = 2000;

std::unique_ptr<Workload> NewPermissionsWorkload(const WorkloadOptions& options);

// The rule set (within, can-write, can-read) in EDN, for Q's % input.
const std::string& PermissionRulesEdn();

// Access decided by the Datalog rules (query/)...
Result<bool> CanReadByRules(const Database& db, EntityId user, EntityId resource);
Result<bool> CanWriteByRules(const Database& db, EntityId user, EntityId resource);
// ...and by an explicit walk over EAVT and VAET (what :perm/create uses);
// both always agree (a test checks).
Result<bool> CanReadByWalk(const Database& db, EntityId user, EntityId resource);
Result<bool> CanWriteByWalk(const Database& db, EntityId user, EntityId resource);

// The transaction function behind :perm/create.
Result<edn::Node> PermCreate(const Database& db, const std::vector<edn::Node>& args);

}  // namespace strata::workloads
