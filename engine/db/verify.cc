// Verify: the offline consistency check (see strata/verify.h).

#include "strata/verify.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "state/db_access.h"
#include "index/durable_index.h"
#include "util/iterator.h"
#include "format/log.h"
#include "format/segment.h"
#include "strata/database.h"
#include "strata/connection.h"

namespace strata {

namespace {

class Verifier {
 public:
  Verifier(VerifyReport* report, size_t max_problems) : r_(report), max_(max_problems) {}

  void Problem(std::string what) {
    if (r_->problems.size() < max_) r_->problems.push_back(std::move(what));
    else if (r_->problems.size() == max_) r_->problems.push_back("... more problems not shown");
  }

  // Steps 1-3 for the durable index of `db`.
  void CheckDurable(const Database& db);
  // Step 3, through the read path: AVET and VAET against EAVT.
  void CheckReadPath(const Database& db);
  // Step 4: every view of `db` against the same view of `replay`.
  void CompareViews(const Database& db, const Database& replay);

 private:
  // Reads and checks the segments of both trees of `order`; returns their
  // datoms (unsorted across levels).
  std::vector<Datom> ReadOrder(const Database& db, Storage& storage, const IndexRoot& root, Index order);
  void CheckDirectories(Storage& storage, const Level& level, Index order, const std::string& where);
  void CheckLeaf(const Database& db, Storage& storage, const SegmentRef& ref, Index order, const std::string& where,
                 std::vector<Datom>* out);
  // Both sorted by EAVT.
  void CompareSets(const Database& db, const std::string& what, const std::vector<Datom>& expected,
                   const std::vector<Datom>& got);
  void CompareStreams(const Database& db, const std::string& what, DatomIterator& mine, DatomIterator& theirs,
                      const std::function<bool(const Datom&)>& skip);

  VerifyReport* r_;
  size_t max_;
};

std::string Text(const Database& db, const Datom& d) { return edn::Print(db.DatomToEdn(d)); }

void Verifier::CheckDirectories(Storage& storage, const Level& level, Index order, const std::string& where) {
  size_t at = 0;
  for (size_t i = 0; i < level.directories.size(); ++i) {
    const uint64_t id = level.directories[i];
    const std::string name = SegmentName(id);
    const size_t n = i < level.directory_refs.size() ? level.directory_refs[i] : 0;
    auto blob = storage.Get(SegmentKey(id));
    if (!blob.ok()) {
      Problem(where + ": directory segment " + name + ": " + blob.status().ToString());
      at += n;
      continue;
    }
    r_->segments_checked++;
    r_->bytes_checked += blob->size();
    Index o;
    std::vector<SegmentRef> refs;
    if (Status s = DecodeDirectory(*blob, name, &o, &refs); !s.ok()) {
      Problem(where + ": directory " + s.ToString());
    } else if (o != order) {
      Problem(where + ": directory segment " + name + " is in order " + IndexName(o));
    } else if (refs.size() != n || at + n > level.segments.size() ||
               !std::equal(refs.begin(), refs.end(), level.segments.begin() + static_cast<long>(at))) {
      Problem(where + ": directory segment " + name + " does not list the leaves the loaded level holds");
    }
    at += n;
  }
  if (at != level.segments.size())
    Problem(where + ": directories list " + std::to_string(at) + " leaves, the level holds " +
            std::to_string(level.segments.size()));
}

void Verifier::CheckLeaf(const Database& db, Storage& storage, const SegmentRef& ref, Index order,
                         const std::string& where, std::vector<Datom>* out) {
  const std::string name = SegmentName(ref.id);
  auto blob = storage.Get(SegmentKey(ref.id));
  if (!blob.ok()) {
    Problem(where + ": segment " + name + ": " + blob.status().ToString());
    return;
  }
  r_->segments_checked++;
  r_->bytes_checked += blob->size();
  Index o;
  std::vector<Datom> ds;
  if (Status s = DecodeLeaf(*blob, name, &o, &ds); !s.ok()) {
    Problem(where + ": " + s.ToString());
    return;
  }
  const std::string seg = where + ": segment " + name;
  if (o != order) Problem(seg + " is in order " + IndexName(o));
  if (ds.size() != ref.count)
    Problem(seg + " holds " + std::to_string(ds.size()) + " datoms, its directory says " + std::to_string(ref.count));
  if (blob->size() != ref.bytes)
    Problem(seg + " is " + std::to_string(blob->size()) + " bytes, its directory says " + std::to_string(ref.bytes));
  if (!ds.empty() && (!(ds.front() == ref.first) || !(ds.back() == ref.last)))
    Problem(seg + ": its first or last datom differs from its directory's");
  for (size_t i = 1; i < ds.size(); ++i) {
    if (CompareDatoms(order, ds[i - 1], ds[i]) >= 0) {
      Problem(seg + ": datoms out of order at " + std::to_string(i) + ": " + Text(db, ds[i - 1]) + " then " +
              Text(db, ds[i]));
      break;
    }
  }
  out->insert(out->end(), std::make_move_iterator(ds.begin()), std::make_move_iterator(ds.end()));
}

std::vector<Datom> Verifier::ReadOrder(const Database& db, Storage& storage, const IndexRoot& root, Index order) {
  std::vector<Datom> all;
  for (TreeKind kind : {TreeKind::kCurrent, TreeKind::kHistory}) {
    const int tree = TreeNumber(kind, order);
    for (size_t li = 0; li < root.trees[tree].size(); ++li) {
      const Level& level = *root.trees[tree][li];
      const std::string where = TreeName(tree) + " level " + std::to_string(li);
      CheckDirectories(storage, level, order, where);
      const auto& segs = level.segments;
      for (size_t i = 0; i < segs.size(); ++i) {
        if (CompareDatoms(order, segs[i].first, segs[i].last) > 0)
          Problem(where + ": segment " + SegmentName(segs[i].id) + " starts after it ends");
        if (i > 0 && CompareDatoms(order, segs[i - 1].last, segs[i].first) >= 0)
          Problem(where + ": segments " + SegmentName(segs[i - 1].id) + " and " + SegmentName(segs[i].id) +
                  " overlap or are out of order");
        CheckLeaf(db, storage, segs[i], order, where, &all);
      }
    }
  }
  // When an assertion and its retraction meet in a merge, a :db/noHistory
  // attribute's pair is dropped; whether they meet depends on each tree's
  // segment boundaries, so the orders may differ on such datoms (their
  // views do not: the pair folds to nothing).
  std::erase_if(all, [&](const Datom& d) {
    const Attribute* a = db.attribute(d.a);
    return a != nullptr && a->no_history;
  });
  std::sort(all.begin(), all.end(), DatomLess{Index::kEavt});
  return all;
}

void Verifier::CompareSets(const Database& db, const std::string& what, const std::vector<Datom>& expected,
                           const std::vector<Datom>& got) {
  if (expected == got) return;
  std::vector<Datom> missing, extra;
  const DatomLess less{Index::kEavt};
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(), std::back_inserter(missing), less);
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(), std::back_inserter(extra), less);
  std::string msg = what + ": " + std::to_string(got.size()) + " datoms, expected " + std::to_string(expected.size());
  if (!missing.empty()) msg += "; " + std::to_string(missing.size()) + " missing, e.g. " + Text(db, missing[0]);
  if (!extra.empty()) msg += "; " + std::to_string(extra.size()) + " unexpected, e.g. " + Text(db, extra[0]);
  Problem(msg);
}

void Verifier::CheckDurable(const Database& db) {
  const auto& state = DbAccess::State(db);
  if (!state->durable || !state->root) return;
  Storage& storage = *state->durable->storage;
  const IndexRoot& root = *state->root;
  r_->strategy = root.strategy;
  r_->basis_t = root.generation > 0 ? root.basis_t : 0;
  r_->datoms = root.datoms();

  // EAVT is the reference; each other order is read, compared and freed.
  const std::vector<Datom> eavt = ReadOrder(db, storage, root, Index::kEavt);
  for (size_t i = 1; i < eavt.size(); ++i) {
    if (eavt[i - 1] == eavt[i]) {
      Problem("eavt trees hold " + Text(db, eavt[i]) + " more than once");
      break;
    }
  }
  for (Index order : {Index::kAevt, Index::kAvet}) {
    CompareSets(db, std::string(IndexName(order)) + " trees (vs eavt)", eavt, ReadOrder(db, storage, root, order));
  }
  std::vector<Datom> refs;
  for (const Datom& d : eavt) {
    const Attribute* a = db.attribute(d.a);
    if (a != nullptr && a->is_ref() && d.v.type() == ValueType::kRef) refs.push_back(d);
  }
  CompareSets(db, "vaet trees (vs the ref datoms of eavt)", refs, ReadOrder(db, storage, root, Index::kVaet));
}

void Verifier::CheckReadPath(const Database& db) {
  auto eavt = db.DatomsVector(Index::kEavt);
  if (!eavt.ok()) {
    Problem("reading eavt: " + eavt.status().ToString());
    return;
  }
  for (Index order : {Index::kAvet, Index::kVaet}) {
    std::vector<Datom> expected;
    for (const Datom& d : *eavt) {
      const Attribute* a = db.attribute(d.a);
      if (a == nullptr) continue;
      if (order == Index::kAvet ? a->in_avet() : a->is_ref()) expected.push_back(d);
    }
    auto got = db.DatomsVector(order);
    if (!got.ok()) {
      Problem(std::string("reading ") + IndexName(order) + ": " + got.status().ToString());
      continue;
    }
    std::sort(got->begin(), got->end(), DatomLess{Index::kEavt});
    CompareSets(db, std::string(IndexName(order)) + " current view (vs eavt)", expected, *got);
  }
}

void Verifier::CompareStreams(const Database& db, const std::string& what, DatomIterator& mine,
                              DatomIterator& theirs, const std::function<bool(const Datom&)>& skip) {
  uint64_t n = 0;
  auto settle = [&](DatomIterator& it) {
    while (it.Valid() && skip(it.datom())) it.Next();
  };
  mine.SeekToFirst();
  theirs.SeekToFirst();
  for (;; ++n) {
    settle(mine);
    settle(theirs);
    if (!mine.Valid() || !theirs.Valid()) break;
    if (!(mine.datom() == theirs.datom())) {
      Problem(what + ": datom " + std::to_string(n) + " differs: the database has " + Text(db, mine.datom()) +
              ", the log replay " + Text(db, theirs.datom()));
      return;
    }
    mine.Next();
    theirs.Next();
  }
  const Status mine_status = mine.status(), theirs_status = theirs.status();
  if (!mine_status.ok()) {
    Problem(what + ": reading the database: " + mine_status.ToString());
  } else if (!theirs_status.ok()) {
    Problem(what + ": reading the log replay: " + theirs_status.ToString());
  } else if (mine.Valid()) {
    Problem(what + ": the database has more datoms than the log replay (" + std::to_string(n) + "), the first extra " +
            Text(db, mine.datom()));
  } else if (theirs.Valid()) {
    Problem(what + ": the database ends after " + std::to_string(n) + " datoms; the log replay goes on with " +
            Text(db, theirs.datom()));
  }
}

// A view of one index as the read path builds it (without AVET's filter).
std::unique_ptr<DatomIterator> ViewOf(const std::shared_ptr<const DbState>& state, Index order, bool history) {
  std::vector<std::unique_ptr<DatomIterator>> kids;
  state->AddSources(order, history, &kids);
  ViewSpec spec;
  spec.history = history;
  return NewViewIterator(order, NewMergingIterator(order, std::move(kids)), spec);
}

void Verifier::CompareViews(const Database& db, const Database& replay) {
  const auto& mine = DbAccess::State(db);
  const auto& theirs = DbAccess::State(replay);
  if (db.basis_t() != replay.basis_t())
    Problem("the database's basis-t is " + std::to_string(db.basis_t()) + ", the log replay's " +
            std::to_string(replay.basis_t()));
  // Cancelled pairs of :db/noHistory attributes are dropped whenever they
  // meet, which depends on how merges went: history views skip them.
  auto no_history = [&](const Datom& d) {
    const Attribute* a = db.attribute(d.a);
    return a != nullptr && a->no_history;
  };
  auto none = [](const Datom&) { return false; };
  for (int o = 0; o < kIndexCount; ++o) {
    const Index order = static_cast<Index>(o);
    for (bool history : {false, true}) {
      auto a = ViewOf(mine, order, history);
      auto b = ViewOf(theirs, order, history);
      const std::string what = std::string(IndexName(order)) + (history ? " history view" : " current view");
      if (history) CompareStreams(db, what, *a, *b, no_history);
      else CompareStreams(db, what, *a, *b, none);
    }
  }
}

// A fresh in-memory database replaying a copy of `conn`'s log (any backend).
Result<std::unique_ptr<Connection>> OpenReplay(const Connection& conn, std::unique_ptr<Env>* mem) {
  *mem = NewMemEnv();
  STRATA_RETURN_IF_ERROR((*mem)->CreateDirs("/replay"));
  {
    STRATA_ASSIGN_OR_RETURN(auto out, LogWriter::Open(mem->get(), "/replay/log", 0));
    STRATA_RETURN_IF_ERROR(conn.TxRange(0, std::numeric_limits<T>::max(), [&](T t, const std::vector<Datom>& datoms) {
      return out->Append(LogRecord{t, datoms});
    }));
    STRATA_RETURN_IF_ERROR(out->Sync());
  }
  Options o;
  o.env = mem->get();
  o.create_if_missing = false;
  o.background_indexing = false;
  o.sync = SyncPolicy::kNever;
  o.memory_index_threshold = o.memory_index_max = std::numeric_limits<uint64_t>::max();
  return Connection::Open("/replay", o);
}

std::string Mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  return buf;
}

}  // namespace

std::string VerifyReport::ToString() const {
  std::string s = std::string(ok ? "ok" : "NOT OK") + ": strategy " + (strategy.empty() ? "?" : strategy) +
                  ", basis-t " + std::to_string(basis_t) + ", " + std::to_string(datoms) + " durable datoms, " +
                  std::to_string(segments_checked) + " segments checked (" + Mib(bytes_checked) + ")";
  for (const std::string& p : problems) s += "\n  problem: " + p;
  return s;
}

Result<VerifyReport> Verify(const std::string& dir, const VerifyOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  VerifyReport report;
  Verifier v(&report, options.max_problems);
  Options o;
  o.env = env;
  o.create_if_missing = false;
  o.read_only = true;  // verify never repairs: see strata repair
  o.background_indexing = false;
  o.memory_index_threshold = o.memory_index_max = std::numeric_limits<uint64_t>::max();
  auto conn = Connection::Open(dir, o);
  if (!conn.ok()) {
    // No database there; a missing blob is a problem to report.
    if (conn.status().IsNotFound() && conn.status().message().find("no such blob") == std::string::npos)
      return conn.status();
    v.Problem("opening: " + conn.status().ToString());
    return report;
  }
  const Database db = (*conn)->db();
  v.CheckDurable(db);
  v.CheckReadPath(db);
  if (options.replay_log) {
    std::unique_ptr<Env> mem;
    auto replay = OpenReplay(**conn, &mem);
    if (!replay.ok()) v.Problem("replaying the log: " + replay.status().ToString());
    else v.CompareViews(db, (*replay)->db());
  }
  if (Status s = (*conn)->Close(); !s.ok()) v.Problem("closing: " + s.ToString());
  report.ok = report.problems.empty();
  return report;
}

}  // namespace strata
