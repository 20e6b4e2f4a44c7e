// replica.cc — a read-only database that follows the transactor.
//
// The state is StateFromRoot(newest root) plus the transactions applied
// since, replayed exactly as Connection::Open replays its log. The applied
// transactions past the root are kept (`tail`) so that when a newer root
// arrives the state can be rebuilt from it: the new root's state plus the
// part of the tail it does not cover. A root that covers transactions the
// replica has not applied yet is not taken until the stream catches up, so
// the replica's basis-t never jumps past a report a subscriber should see.
#include "state/db_access.h"
#include "strata/replica.h"

#include <deque>
#include <mutex>

#include "storage/backend.h"
#include "db/replay.h"
#include "strata/mutex.h"

namespace strata {

struct Replica::Rep {
  std::string location;
  std::shared_ptr<DurableContext> durable;
  mutable Mutex mu;
  std::shared_ptr<const DbState> state GUARDED_BY(mu);  // the rest is the applier's
  std::deque<std::pair<T, std::vector<Datom>>> tail;  // applied, t > root basis

  std::shared_ptr<const DbState> Current() const EXCLUDES(mu) {
    MutexLock l(&mu);
    return state;
  }
  void Set(std::shared_ptr<const DbState> s) EXCLUDES(mu) {
    MutexLock l(&mu);
    state = std::move(s);
  }
};

Replica::Replica() : rep_(std::make_unique<Rep>()) {}
Replica::~Replica() = default;

Result<std::unique_ptr<Replica>> Replica::Open(const std::string& location, const ReplicaOptions& options) {
  std::unique_ptr<Replica> rp(new Replica());
  Rep& r = *rp->rep_;
  r.location = location;
  BackendOptions bo;
  bo.env = options.env;
  bo.create_if_missing = false;
  bo.writer = false;
  bo.sync = false;
  STRATA_ASSIGN_OR_RETURN(Backend b, OpenBackend(location, bo));
  r.durable = std::make_shared<DurableContext>();
  r.durable->storage = std::move(b.storage);
  r.durable->cache = std::make_shared<SegmentCache>(options.segment_cache_bytes);
  r.durable->sync = false;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> bytes, r.durable->storage->ReadRoot());
  if (!bytes) return Status::NotFound("no database at " + location + " (no index root)");
  auto root = LoadRoot(*r.durable, *bytes);
  if (!root.ok()) return root.status().WithContext("opening a replica of " + location);
  auto state = StateFromRoot(r.durable, *root);
  if (!state.ok()) return state.status().WithContext("opening a replica of " + location);
  r.Set(std::move(*state));
  return rp;
}

Database Replica::db() const { return DbAccess::Make(rep_->Current()); }
T Replica::basis_t() const { return rep_->Current()->basis_t; }
T Replica::root_basis_t() const {
  auto s = rep_->Current();
  return s->root->generation == 0 ? 0 : s->root->basis_t;
}
size_t Replica::novelty_transactions() const { return rep_->tail.size(); }
const std::string& Replica::location() const { return rep_->location; }

Result<TxReport> Replica::Apply(T t, const std::vector<Datom>& datoms) {
  Rep& r = *rep_;
  auto before = r.Current();
  TxReport rep;
  if (t <= before->basis_t) return rep;  // a duplicate: t == 0
  for (const Datom& d : datoms) {
    if (d.tx != TxId(t))
      return Status::InvalidArgument("replica: transaction t=" + std::to_string(t) + " holds a datom of tx " +
                                     std::to_string(d.tx));
  }
  auto after = before;
  STRATA_RETURN_IF_ERROR(
      ReplayTransaction(&after, t, datoms, nullptr).WithContext("replica: applying t=" + std::to_string(t)));
  r.tail.emplace_back(t, datoms);
  r.Set(after);
  rep.db_before = DbAccess::Make(before);
  rep.db_after = DbAccess::Make(after);
  rep.tx_data = datoms;
  rep.t = t;
  rep.tx = TxId(t);
  return rep;
}

Result<bool> Replica::RefreshRoot() {
  Rep& r = *rep_;
  auto cur = r.Current();
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> bytes, r.durable->storage->ReadRoot());
  if (!bytes) return Status::NotFound("the index root of " + r.location + " is gone");
  auto root = LoadRoot(*r.durable, *bytes);
  if (!root.ok()) return root.status().WithContext("refreshing the replica of " + r.location);
  const IndexRoot& nr = **root;
  if (nr.generation <= cur->root->generation) return false;
  // Not caught up to the root yet: keep the old one until the stream is.
  if (nr.basis_t > cur->basis_t) return false;
  auto state = StateFromRoot(r.durable, *root);
  if (!state.ok()) return state.status().WithContext("refreshing the replica of " + r.location);
  std::shared_ptr<const DbState> next = std::move(*state);
  while (!r.tail.empty() && r.tail.front().first <= nr.basis_t) r.tail.pop_front();
  for (const auto& [t, datoms] : r.tail)
    STRATA_RETURN_IF_ERROR(
        ReplayTransaction(&next, t, datoms, nullptr).WithContext("refreshing the replica of " + r.location));
  r.Set(std::move(next));
  return true;
}

}  // namespace strata
