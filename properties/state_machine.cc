// state_machine.cc — the commands of the model-based tests, and the runner.
#include "strata/connection.h"
#include "state_machine.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <unistd.h>

#include <atomic>
#include <exception>
#include <functional>
#include <iostream>
#include <sstream>

#ifndef STRATA_PROPERTY_FAILURE_DIR
#define STRATA_PROPERTY_FAILURE_DIR "property-failures"
#endif

namespace rc::detail {
TestListener& globalTestListener();  // defined in librapidcheck, not declared in its headers
}  // namespace rc::detail

namespace strata::props {
namespace {

struct PropState {
  Model model;
};
using Cmd = rc::state::Command<PropState, Sut>;
using CmdPtr = std::shared_ptr<const Cmd>;

void Fail(const std::string& msg) {
  if (!msg.empty()) RC_FAIL(msg);
}

constexpr FaultOp kFaults[] = {FaultOp::kWrite, FaultOp::kSync, FaultOp::kCreate, FaultOp::kRename};

const char* FaultName(FaultOp op) {
  switch (op) {
    case FaultOp::kWrite: return "write";
    case FaultOp::kSync: return "sync";
    case FaultOp::kRename: return "rename";
    case FaultOp::kRead: return "read";
    case FaultOp::kCreate: return "create";
    case FaultOp::kDelete: return "delete";
  }
  return "?";
}

// The engine's answer to a transaction against the model's.
std::string CompareOutcome(const TxOutcome& want, const Result<TxReport>& got, const std::string& text) {
  if (want.ok != got.ok())
    return "transaction " + text + ":\n  model " + (want.ok ? "accepts it" : "rejects it: " + want.why) + "\n  engine " +
           (got.ok() ? "accepts it" : "rejects it: " + got.status().ToString());
  if (!want.ok) return "";
  if (got->t != want.t || got->tx != TxId(want.t) || got->db_after.basis_t() != want.t)
    return "transaction " + text + ": engine took t=" + std::to_string(got->t) + ", model t=" + std::to_string(want.t);
  std::vector<Datom> ds = got->tx_data;
  std::sort(ds.begin(), ds.end(), [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); });
  if (std::string d = DiffDatoms("tx_data of " + text, want.datoms, ds); !d.empty()) return d;
  if (got->tempids != want.tempids) {
    std::string s = "transaction " + text + ": tempids differ; engine:";
    for (const auto& [k, v] : got->tempids) s += " " + k + "=" + std::to_string(v);
    s += "; model:";
    for (const auto& [k, v] : want.tempids) s += " " + k + "=" + std::to_string(v);
    return s;
  }
  return "";
}

void AfterCommit(Sut& sut, const TxOutcome& want, T before_t) {
  sut.committed_ts.push_back(want.t);
  sut.ExpectReport(ExpectedReport{want.t, before_t, want.datoms, want.tempids});
  if (want.excises) sut.held.clear();  // values taken before an excision may still show it
}

// Runs one transaction on the engine (and the never-indexed twin) and
// compares everything with the model.
void RunTransact(const PropertySpec& spec, const Model& before, Sut& sut, const edn::Node& tx, int64_t now) {
  Model m = before;
  const TxOutcome want = m.Transact(tx, now);
  const std::string text = edn::Print(tx);
  sut.Record(want.ok ? text : "#_" + text + "  ; rejected: " + want.why);
  if (const char* v = std::getenv("STRATA_PROPS_VERBOSE"); v && std::string(v) == "2")
    std::cerr << (want.ok ? "ACCEPT " : "REJECT " + want.why + " ") << text << "\n";
  sut.now = now;
  auto got = sut.conn().Transact(tx);
  Fail(CompareOutcome(want, got, text));
  if (Connection* ref = sut.reference()) Fail(CompareOutcome(want, ref->Transact(tx), text + " (never-indexed twin)"));
  if (want.ok) AfterCommit(sut, want, before.basis_t());
  Fail(RunChecks(spec.checks, m, sut));
}

// What an atomicity check compares before and after a refused transaction.
struct Snapshot {
  T basis_t = 0, next_t = 0;
  std::vector<Datom> history;
  std::vector<std::pair<T, std::vector<Datom>>> log;
  uint64_t rejected = 0;
};
Snapshot Take(Sut& sut) {
  Snapshot s;
  const Database db = sut.conn().db();
  s.basis_t = db.basis_t();
  s.next_t = db.next_t();
  s.history = ReadIndex(db.History(), Index::kEavt);
  Status st = sut.conn().TxRange(0, ~T{0}, [&](T t, const std::vector<Datom>& ds) {
    s.log.push_back({t, ds});
    return Status::OK();
  });
  if (!st.ok()) RC_FAIL("reading the log: " + st.ToString());
  s.rejected = sut.conn().stats().rejected;
  return s;
}

class Transact : public Cmd {
 public:
  Transact(const PropState& s, const PropertySpec* spec)
      : Transact(spec, "Transact", GenTx(s.model, spec->mix), GenNow(s.model)) {}
  void apply(PropState& s) const override { s.model.Transact(tx_, now_); }
  void run(const PropState& s, Sut& sut) const override { RunTransact(*spec_, s.model, sut, tx_, now_); }
  void show(std::ostream& os) const override { os << name_ << " " << edn::Print(tx_) << " (clock " << now_ << ")"; }

 protected:
  Transact(const PropertySpec* spec, const char* name, edn::Node tx, int64_t now)
      : spec_(spec), name_(name), tx_(std::move(tx)), now_(now) {}
  const PropertySpec* spec_;
  const char* name_;
  edn::Node tx_;
  int64_t now_;
};

class AlterSchema : public Transact {
 public:
  AlterSchema(const PropState& s, const PropertySpec* spec)
      : Transact(spec, "AlterSchema", GenAlterSchema(s.model), GenNow(s.model)) {}
};

class Excise : public Transact {
 public:
  Excise(const PropState& s, const PropertySpec* spec) : Transact(spec, "Excise", GenExciseTx(s.model), GenNow(s.model)) {}
};

// The history before and after a step that must change nothing. A
// background job may run in between and drop past :db/noHistory values
// (SPEC §7), so those may be missing afterwards; nothing else may differ.
std::string SameHistory(const std::string& label, const Model& m, const Snapshot& before, const Snapshot& after) {
  ViewQuery history;
  history.history = true;
  return CompareReads(label, m, history, before.history, after.history);
}

class TransactInvalid : public Cmd {
 public:
  // One in five names an invented entity id (GenInventedIdTx): that one
  // must be refused whatever else it holds, so the model's verdict is
  // checked rather than assumed.
  TransactInvalid(const PropState& s, const PropertySpec* spec)
      : spec_(spec), invented_(Uniform(0, 5) == 0),
        tx_(invented_ ? GenInventedIdTx(s.model) : GenInvalidTx(s.model)), now_(GenNow(s.model)) {
    if (!invented_) RC_PRE(!s.model.Predict(tx_, now_).ok);
  }
  void checkPreconditions(const PropState& s) const override {
    if (!invented_) RC_PRE(!s.model.Predict(tx_, now_).ok);
  }
  void run(const PropState& s, Sut& sut) const override {
    const std::string text = edn::Print(tx_);
    const TxOutcome want = s.model.Predict(tx_, now_);
    if (invented_ && want.ok) RC_FAIL("the model accepted an invented entity id: " + text);
    sut.Record("#_" + text + "  ; invalid: " + want.why);
    const bool atomicity = spec_->checks & kCheckAtomicity;
    Snapshot before;
    if (atomicity) before = Take(sut);
    sut.now = now_;
    Fail(CompareOutcome(want, sut.conn().Transact(tx_), text));
    if (Connection* ref = sut.reference()) Fail(CompareOutcome(want, ref->Transact(tx_), text + " (twin)"));
    if (atomicity) {
      // SPEC §3: a rejected transaction changes nothing, not the log, not t.
      Snapshot after = Take(sut);
      if (after.basis_t != before.basis_t || after.next_t != before.next_t)
        RC_FAIL("atomicity: " + text + " was rejected but moved basis_t/next_t");
      Fail(SameHistory("atomicity: history after the rejected " + text, s.model, before, after));
      if (after.log.size() != before.log.size()) RC_FAIL("atomicity: the rejected " + text + " reached the log");
      for (size_t i = 0; i < after.log.size(); ++i)
        if (after.log[i] != before.log[i]) RC_FAIL("atomicity: the log changed under the rejected " + text);
      if (after.rejected != before.rejected + 1) RC_FAIL("atomicity: stats().rejected did not count " + text);
    }
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "TransactInvalid " << edn::Print(tx_); }

 private:
  const PropertySpec* spec_;
  bool invented_;
  edn::Node tx_;
  int64_t now_;
};

class IndexNow : public Cmd {
 public:
  explicit IndexNow(const PropertySpec* spec) : spec_(spec) {}
  IndexNow(const PropState&, const PropertySpec* spec) : spec_(spec) {}
  void run(const PropState& s, Sut& sut) const override {
    sut.Record("; index now");
    std::vector<std::pair<ViewQuery, Index>> qs;
    if (spec_->checks & kCheckTransparency)
      for (const ViewQuery& q : SampleViews(s.model, 2))
        for (Index o : {Index::kEavt, Index::kAvet}) qs.push_back({q, o});
    std::string err;
    const Database before = sut.conn().db();
    const auto reads = ReadHeld(before, qs, &err);
    Fail(err);
    auto r = sut.conn().IndexNow();
    if (!r.ok()) RC_FAIL("IndexNow: " + r.status().ToString());
    // SPEC §8.7: every read returns the same before and after a job, from
    // the new value and from the one taken before it.
    const auto after = ReadHeld(sut.conn().db(), qs, &err);
    const auto again = ReadHeld(before, qs, &err);
    Fail(err);
    for (size_t i = 0; i < qs.size(); ++i) {
      const std::string label = qs[i].first.ToString() + " " + IndexName(qs[i].second);
      Fail(CompareReads("indexing transparency: " + label + " after the job", s.model, qs[i].first, reads[i], after[i]));
      Fail(DiffDatoms("indexing transparency: " + label + " of the value taken before the job", reads[i], again[i]));
    }
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "IndexNow"; }

 private:
  const PropertySpec* spec_;
};

class Reopen : public Cmd {
 public:
  Reopen(const PropState&, const PropertySpec* spec) : spec_(spec) {}
  void run(const PropState& s, Sut& sut) const override {
    sut.Record("; reopen");
    sut.Reopen();
    if (spec_->checks & kCheckDurability) Fail(CheckDurable(s.model, sut));
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "Reopen"; }

 private:
  const PropertySpec* spec_;
};

class Crash : public Cmd {
 public:
  Crash(const PropState&, const PropertySpec* spec) : spec_(spec) {}
  void run(const PropState& s, Sut& sut) const override {
    sut.Record("; crash (unsynced data dropped) and recover");
    sut.Crash();
    if (spec_->checks & kCheckDurability) Fail(CheckDurable(s.model, sut));
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "Crash"; }

 private:
  const PropertySpec* spec_;
};

// The disk fails part-way through a job (after `after` operations of one
// kind), then the process crashes.
class CrashDuringJob : public Cmd {
 public:
  CrashDuringJob(const PropState&, const PropertySpec* spec)
      : spec_(spec),
        kind_(kFaults[Uniform(0, 4)]),
        after_(Uniform(0, 40)) {}
  void run(const PropState& s, Sut& sut) const override {
    sut.Record(std::string("; index now, the disk failing every ") + FaultName(kind_) + " after " +
               std::to_string(after_) + "; crash and recover");
    sut.fenv().FailOp(kind_, false, after_);
    (void)sut.conn().IndexNow();  // may fail: that is the point
    sut.Crash();
    if (spec_->checks & kCheckDurability) Fail(CheckDurable(s.model, sut));
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "CrashDuringJob " << FaultName(kind_) << " after " << after_; }

 private:
  const PropertySpec* spec_;
  FaultOp kind_;
  int after_;
};

// A commit whose log append or sync fails is not acknowledged and must
// not survive the crash that follows; one that only meets failing renames
// or file creations (an excision's log rewrite) is, and must.
class CrashDuringCommit : public Cmd {
 public:
  CrashDuringCommit(const PropState& s, const PropertySpec* spec)
      : spec_(spec),
        tx_(GenTx(s.model, spec->mix)),
        now_(GenNow(s.model)),
        kind_(kFaults[Uniform(0, 4)]) {
    RC_PRE(s.model.Predict(tx_, now_).ok);
  }
  bool acked() const { return kind_ == FaultOp::kCreate || kind_ == FaultOp::kRename; }
  void checkPreconditions(const PropState& s) const override { RC_PRE(s.model.Predict(tx_, now_).ok); }
  void apply(PropState& s) const override {
    if (acked()) s.model.Transact(tx_, now_);
  }
  void run(const PropState& s, Sut& sut) const override {
    props::Model m = s.model;
    const TxOutcome want = acked() ? m.Transact(tx_, now_) : m.Predict(tx_, now_);
    const std::string text = edn::Print(tx_);
    auto drained = sut.conn().IndexNow();
    if (!drained.ok()) RC_FAIL("IndexNow before the failing commit: " + drained.status().ToString());
    sut.Record((acked() ? text : "#_" + text) + "  ; committed while every " + FaultName(kind_) +
               " fails, then crash and recover" + (acked() ? "" : " (not acknowledged: lost)"));
    sut.fenv().FailOp(kind_);
    sut.now = now_;
    auto got = sut.conn().Transact(tx_);
    if (acked()) {
      Fail(CompareOutcome(want, got, text));
      if (Connection* ref = sut.reference()) Fail(CompareOutcome(want, ref->Transact(tx_), text + " (twin)"));
      sut.committed_ts.push_back(want.t);
    } else if (got.ok()) {
      RC_FAIL("durability: " + text + " was acknowledged although the log " + FaultName(kind_) + " failed");
    }
    sut.Crash();
    if (spec_->checks & kCheckDurability) Fail(CheckDurable(m, sut));
    Fail(RunChecks(spec_->checks, m, sut));
  }
  void show(std::ostream& os) const override {
    os << "CrashDuringCommit (" << FaultName(kind_) << " fails) " << edn::Print(tx_);
  }

 private:
  const PropertySpec* spec_;
  edn::Node tx_;
  int64_t now_;
  FaultOp kind_;
};

class HoldDbValue : public Cmd {
 public:
  HoldDbValue(const PropState&, const PropertySpec* spec) : spec_(spec) {}
  void run(const PropState& s, Sut& sut) const override {
    HeldDb h;
    h.db = sut.conn().db();
    const auto& ts = s.model.ts();
    ViewQuery cur, hist, as_of, since;
    hist.history = true;
    as_of.as_of = ts[ts.size() / 2];
    since.since = ts[ts.size() / 2];
    h.queries = {{cur, Index::kEavt}, {hist, Index::kAevt}, {as_of, Index::kEavt}, {since, Index::kVaet}};
    std::string err;
    h.reads = ReadHeld(h.db, h.queries, &err);
    Fail(err);
    for (const auto& [q, order] : h.queries) Fail(CompareView(s.model, h.db, q, order));
    sut.Record("; hold the database value at basis_t " + std::to_string(h.db.basis_t()));
    sut.held.push_back(std::move(h));
    if (sut.held.size() > 3) sut.held.pop_front();
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "HoldDbValue"; }

 private:
  const PropertySpec* spec_;
};

class SwitchStrategy : public Cmd {
 public:
  SwitchStrategy(const PropState&, const PropertySpec* spec) : spec_(spec), name_(StrategyNames()[static_cast<size_t>(Uniform(0, static_cast<int>(StrategyNames().size())))]) {}
  void run(const PropState& s, Sut& sut) const override {
    sut.Record("; later jobs use strategy " + name_);
    Status st = sut.conn().SetStrategy(name_);
    if (!st.ok()) RC_FAIL("SetStrategy(" + name_ + "): " + st.ToString());
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "SwitchStrategy " << name_; }

 private:
  const PropertySpec* spec_;
  std::string name_;
};

// A speculative transaction: the report the model predicts, nothing kept.
class With : public Cmd {
 public:
  With(const PropState& s, const PropertySpec* spec) : spec_(spec), tx_(GenTx(s.model, spec->mix)) {}
  void run(const PropState& s, Sut& sut) const override {
    const std::string text = edn::Print(tx_);
    sut.Record("; with (speculative, not committed): " + text);
    // with() reads the system clock, which is before the generated instants:
    // the instant it records is the last one (the model's now = 0 says so).
    const TxOutcome want = s.model.Predict(tx_, 0);
    Snapshot before = Take(sut);
    Fail(CompareOutcome(want, sut.conn().db().With(tx_), "with " + text));
    Snapshot after = Take(sut);
    if (after.basis_t != before.basis_t || after.next_t != before.next_t || after.log.size() != before.log.size())
      RC_FAIL("atomicity: with " + text + " changed the database");
    Fail(SameHistory("atomicity: history after with " + text, s.model, before, after));
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "With " << edn::Print(tx_); }

 private:
  const PropertySpec* spec_;
  edn::Node tx_;
};

class Subscribe : public Cmd {
 public:
  Subscribe(const PropState&, const PropertySpec* spec) : spec_(spec) {}
  void run(const PropState& s, Sut& sut) const override {
    sut.Record("; subscribe");
    sut.Subscribe();
    Fail(RunChecks(spec_->checks, s.model, sut));
  }
  void show(std::ostream& os) const override { os << "Subscribe"; }

 private:
  const PropertySpec* spec_;
};

// How many log records the database holds (the log is never behind the
// read faults, which hit segment reads only).
size_t LogRecords(Sut& sut) {
  size_t n = 0;
  Status st = sut.conn().TxRange(0, ~T{0}, [&](T, const std::vector<Datom>&) {
    ++n;
    return Status::OK();
  });
  if (!st.ok()) RC_FAIL("reading the log: " + st.ToString());
  return n;
}

bool IsReadError(const Status& s) { return s.IsIOError() || s.IsCorruption(); }

// Every sampled view in every order reads exactly the model's datoms or
// fails with a read error (never a short or wrong answer). *failed counts
// the reads that failed.
std::string RightOrError(const Model& m, const Database& db, uint64_t* failed) {
  for (const ViewQuery& q : SampleViews(m, 2)) {
    for (int o = 0; o < kIndexCount; ++o) {
      const Index order = static_cast<Index>(o);
      const std::string label = "read faults: " + q.ToString() + " " + IndexName(order);
      auto got = ApplyView(db, q).DatomsVector(order);
      if (!got.ok()) {
        if (!IsReadError(got.status())) return label + ": failed with a wrong kind of error: " + got.status().ToString();
        ++*failed;
        continue;
      }
      if (std::string s = CheckSorted(label, *got, order); !s.empty()) return s;
      if (std::string s = CompareReads(label, m, q, m.Datoms(q, order), *got); !s.empty()) return s;
    }
  }
  return "";
}

// Reads and writes while a share of the segment reads fail (EIO) or return
// a flipped bit (which the segment checksums must catch). Every read gives
// the model's answer or a read error; the transaction commits exactly what
// the model predicts or fails and commits nothing; an index job (step 1)
// may fail but never publishes a wrong root; a reopen (step 2, read errors
// only: a flipped bit in the newest pack's tail is what a torn write looks
// like to recovery) opens right or fails. Then the faults stop, a failed
// transaction is retried and must commit as predicted, and every view and
// check must hold.
class FaultyReads : public Cmd {
 public:
  FaultyReads(const PropState& s, const PropertySpec* spec)
      : spec_(spec),
        tx_(GenTx(s.model, spec->mix)),
        now_(GenNow(s.model)),
        seed_(static_cast<uint64_t>(Uniform(1, 1 << 30))),
        fail_pct_(Uniform(0, 31)),
        corrupt_pct_(Uniform(0, 31)),
        step_(Uniform(0, 3)) {}
  void apply(PropState& s) const override { s.model.Transact(tx_, now_); }
  void run(const PropState& s, Sut& sut) const override {
    props::Model m = s.model;
    const TxOutcome want = m.Transact(tx_, now_);
    const std::string text = edn::Print(tx_);
    ReadFaultSpec rf;
    rf.fail_fraction = fail_pct_ / 100.0;
    rf.corrupt_fraction = corrupt_pct_ / 100.0;
    rf.seed = seed_;
    rf.path_part = "/packs/";
    sut.Record("; segment reads failing: " + Describe());
    uint64_t failed = 0;
    sut.fenv().SetReadFaults(rf);
    Fail(RightOrError(s.model, sut.conn().db(), &failed));

    const T basis_before = sut.conn().db().basis_t();
    const size_t log_before = LogRecords(sut);
    sut.now = now_;
    auto got = sut.conn().Transact(tx_);
    const bool committed = got.ok();
    if (committed) {
      // A transaction that commits under read faults read everything right.
      Fail(CompareOutcome(want, got, text + " (segment reads failing)"));
      AfterCommit(sut, want, s.model.basis_t());
    } else {
      if (want.ok && !IsReadError(got.status()))
        RC_FAIL("read faults: " + text + " failed with a wrong kind of error: " + got.status().ToString());
      if (sut.conn().db().basis_t() != basis_before || LogRecords(sut) != log_before)
        RC_FAIL("read faults: " + text + " failed (" + got.status().ToString() + ") but committed");
    }
    sut.Record(committed ? text + "  ; committed while reads failed"
                         : "#_" + text + "  ; failed while reads failed: " + got.status().ToString());
    const props::Model& now_model = committed ? m : s.model;
    if (step_ == 1) {
      sut.Record("; index now, reads failing");
      (void)sut.conn().IndexNow();  // may fail: a later job retries
      Fail(RightOrError(now_model, sut.conn().db(), &failed));
    } else if (step_ == 2) {
      ReadFaultSpec eio = rf;
      eio.corrupt_fraction = 0;
      sut.fenv().SetReadFaults(eio);
      Status st = sut.TryReopen();
      sut.Record("; reopen, reads failing: " + (st.ok() ? std::string("opened") : st.ToString()));
      if (!st.ok() && !IsReadError(st)) RC_FAIL("read faults: reopening failed with a wrong kind of error: " + st.ToString());
      if (st.ok()) Fail(RightOrError(now_model, sut.conn().db(), &failed));
      sut.fenv().ClearFaults();
      if (!st.ok()) sut.Open();
    }
    if (std::getenv("STRATA_PROPS_VERBOSE"))
      std::cerr << "FaultyReads " << Describe() << ": " << sut.fenv().ReadsFailed() << " reads failed, "
                << sut.fenv().ReadsCorrupted() << " corrupted, " << failed << " view reads failed, transaction "
                << (committed ? "committed" : "failed: " + got.status().ToString()) << "\n";
    sut.fenv().ClearFaults();
    if (!committed) {
      sut.Record(want.ok ? text + "  ; retried with whole reads" : "#_" + text + "  ; retried: " + want.why);
      sut.now = now_;
      Fail(CompareOutcome(want, sut.conn().Transact(tx_), text + " (retried with whole reads)"));
      if (want.ok) AfterCommit(sut, want, s.model.basis_t());
    }
    // Nothing the faults did may show once they stop.
    for (const ViewQuery& q : SampleViews(m, 2))
      for (int o = 0; o < kIndexCount; ++o) Fail(CompareView(m, sut.conn().db(), q, static_cast<Index>(o)));
    Fail(RunChecks(spec_->checks, m, sut));
  }
  void show(std::ostream& os) const override { os << "FaultyReads (" << Describe() << ") " << edn::Print(tx_); }

 private:
  std::string Describe() const {
    static const char* const kSteps[] = {"reads and a transaction", "then an index job", "then a reopen"};
    return std::to_string(fail_pct_) + "% fail, " + std::to_string(corrupt_pct_) + "% flip a bit, seed " +
           std::to_string(seed_) + ", " + kSteps[step_];
  }
  const PropertySpec* spec_;
  edn::Node tx_;
  int64_t now_;
  uint64_t seed_;
  int fail_pct_, corrupt_pct_, step_;
};

rc::Gen<CmdPtr> GenCommand(const PropState& s, const PropertySpec* spec) {
  auto sp = std::make_shared<const PropState>(s);
  return rc::gen::exec([sp, spec]() -> CmdPtr {
    const CommandWeights& w = spec->weights;
    const PropState& st = *sp;
    switch (Weighted({w.transact, w.invalid, w.alter, w.excise, w.index_now, w.reopen, w.crash, w.crash_job,
                      w.crash_commit, w.hold, w.switch_strategy, w.with, w.subscribe, w.faulty_reads})) {
      case 0: return std::make_shared<Transact>(st, spec);
      case 1: return std::make_shared<TransactInvalid>(st, spec);
      case 2: return std::make_shared<AlterSchema>(st, spec);
      case 3: return std::make_shared<Excise>(st, spec);
      case 4: return std::make_shared<IndexNow>(st, spec);
      case 5: return std::make_shared<Reopen>(st, spec);
      case 6: return std::make_shared<Crash>(st, spec);
      case 7: return std::make_shared<CrashDuringJob>(st, spec);
      case 8: return std::make_shared<CrashDuringCommit>(st, spec);
      case 9: return std::make_shared<HoldDbValue>(st, spec);
      case 10: return std::make_shared<SwitchStrategy>(st, spec);
      case 11: return std::make_shared<With>(st, spec);
      case 12: return std::make_shared<Subscribe>(st, spec);
      default: return std::make_shared<FaultyReads>(st, spec);
    }
  });
}

bool RcParamsSet(const char* key) {
  const char* p = std::getenv("RC_PARAMS");
  return p && std::string(p).find(key) != std::string::npos;
}

void RunSteps(const PropertySpec& spec, const std::string& strategy, Sut& sut);

}  // namespace

std::string ReplayPath(const PropertySpec& spec, const std::string& strategy) {
  return std::string(STRATA_PROPERTY_FAILURE_DIR) + "/" + spec.name + "-" + strategy + ".edn";
}

void RunCase(const PropertySpec& spec, const std::string& strategy) {
  SutConfig cfg;
  cfg.strategy = strategy;
  cfg.background = spec.background == Background::kAlways ||
                   (spec.background == Background::kSometimes && Uniform(0, 4) == 3);
  cfg.memory_index_threshold = uint64_t{2048} << Uniform(0, 3);
  cfg.segment_datoms = 16u << Uniform(0, 3);
  cfg.reference = spec.checks & kCheckTransparency;
  if (!spec.storage.empty()) {
    static std::atomic<uint64_t> cases{0};
    cfg.location = WithStrataDb(spec.storage, "prop-" + std::to_string(::getpid()) + "-" + spec.name + "-" +
                                                  strategy + "-" + std::to_string(cases++));
  }
  Sut sut(cfg);
  // Every failing run writes the replay; the last one RapidCheck makes is
  // the shrunk case, so that is what the file holds in the end. While a
  // case runs, its stream so far is in <replay>.running: if the engine
  // crashes the test process, that file is what is left.
  const std::string path = ReplayPath(spec, strategy);
  sut.StartLiveReplay(path + ".running");
  try {
    RunSteps(spec, strategy, sut);
  } catch (const rc::detail::CaseResult& r) {
    sut.StopLiveReplay();
    if (r.type == rc::detail::CaseResult::Type::Failure) sut.WriteReplay(path);
    throw;
  } catch (const rc::GenerationFailure&) {
    sut.StopLiveReplay();
    throw;
  } catch (...) {
    sut.StopLiveReplay();
    sut.WriteReplay(path);
    throw;
  }
  sut.StopLiveReplay();
}

namespace {

void RunSteps(const PropertySpec& spec, const std::string& strategy, Sut& sut) {
  sut.Record("; strata property " + spec.name + " under strategy " + strategy + " (RapidCheck base seed " +
             std::to_string(rc::detail::configuration().testParams.seed) + ")");
  sut.Record("; " + sut.conn().options().ToString());
  sut.Record("; replay: strata transact --db <new folder> <this file>");
  sut.Record("; rejected transactions are #_ (discarded) forms; other commands are comments");

  PropState s0{Model::FromBootstrap(BootstrapDatoms())};
  const edn::Node schema = GenSchemaTx();
  const TxOutcome installed = s0.model.Transact(schema, kClockBase);
  RC_ASSERT(installed.ok);
  const std::string text = edn::Print(schema);
  sut.Record(text);
  sut.now = kClockBase;
  Fail(CompareOutcome(installed, sut.conn().Transact(schema), text));
  if (Connection* ref = sut.reference()) Fail(CompareOutcome(installed, ref->Transact(schema), text));
  AfterCommit(sut, installed, 0);
  Fail(RunChecks(spec.checks, s0.model, sut));

  const PropertySpec* sp = &spec;
  const auto cmds = *rc::state::gen::commands(s0, [sp](const PropState& s) { return GenCommand(s, sp); });
  rc::state::runAll(cmds, s0, sut);
  if (std::getenv("STRATA_PROPS_VERBOSE")) {
    PropState end = s0;
    rc::state::applyAll(cmds, end);
    std::cerr << spec.name << "/" << strategy << ": " << cmds.size() << " commands, " << end.model.ts().size() - 2
              << " transactions committed, " << end.model.datoms().size() << " datoms, " << sut.conn().Jobs().size()
              << " jobs since the last open, background=" << sut.config().background << "\n";
  }
}

}  // namespace

std::string CheckProperty(const PropertySpec& spec, const std::string& strategy) {
  rc::detail::TestMetadata md;
  md.id = spec.name + "/" + strategy;
  md.description = md.id;
  const auto& config = rc::detail::configuration();
  rc::detail::TestParams params = config.testParams;
  // Each property and strategy draws its own cases from the one base seed.
  const uint64_t base_seed = params.seed;
  params.seed = base_seed ^ std::hash<std::string>()(md.id);
  if (!RcParamsSet("max_success")) params.maxSuccess = spec.cases;
  if (!RcParamsSet("max_size")) params.maxSize = spec.max_size;
  const auto result = rc::detail::checkProperty(rc::detail::toProperty([&] { RunCase(spec, strategy); }), md, params,
                                                rc::detail::globalTestListener(), config.reproduce);
  if (result.template is<rc::detail::SuccessResult>()) return "";
  std::ostringstream os;
  rc::detail::printResultMessage(result, os);
  os << "\nbase seed: " << base_seed << " (RC_PARAMS=\"seed=" << base_seed << "\" reruns these cases)"
     << "\nreplay of the shrunk case: " << ReplayPath(spec, strategy) << "\n";
  return os.str();
}

}  // namespace strata::props
