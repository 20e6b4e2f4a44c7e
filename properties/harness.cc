// harness.cc — the engine under test, reads, and comparisons.
#include "strata/connection.h"
#include "harness.h"

#include <rapidcheck.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

namespace strata::props {

// ---- Sut ------------------------------------------------------------------

Sut::Sut(SutConfig cfg) : cfg_(std::move(cfg)) {
  mem_ = NewMemEnv();
  fenv_ = std::make_unique<FaultInjectionEnv>(mem_.get());
  if (cfg_.reference) {
    ref_env_ = NewMemEnv();
    auto r = Connection::Open("/ref", MakeOptions(ref_env_.get(), true));
    if (!r.ok()) RC_FAIL("opening the reference database: " + r.status().ToString());
    ref_ = std::move(*r);
  }
  Open();
}

Sut::~Sut() {
  queues.clear();
  held.clear();
  conn_.reset();
  ref_.reset();
}

Options Sut::MakeOptions(Env* env, bool reference) const {
  Options o;
  o.env = env;
  o.sync = SyncPolicy::kAlways;
  o.strategy = cfg_.strategy;
  o.background_indexing = reference ? false : cfg_.background;
  o.memory_index_threshold = reference ? (uint64_t{1} << 40) : cfg_.memory_index_threshold;
  o.segment_datoms = cfg_.segment_datoms;
  o.strategy_settings["adaptive"] = "level_ratio=4";  // more levels in small databases
  o.segment_cache_bytes = cfg_.segment_cache_bytes;
  o.clock = [this] { return now.load(); };
  return o;
}

void Sut::Open() {
  queues.clear();
  expected_reports.clear();
  held.clear();
  auto r = cfg_.location.empty() ? Connection::Open("/db", MakeOptions(fenv_.get(), false))
                                 : Connection::Open(cfg_.location, MakeOptions(nullptr, false));
  if (!r.ok()) RC_FAIL("opening the database: " + r.status().ToString());
  conn_ = std::move(*r);
  Subscribe();
}

void Sut::Subscribe() {
  queues.push_back(conn_->Subscribe());
  expected_reports.emplace_back();
}

void Sut::Reopen() {
  queues.clear();
  held.clear();
  Status s = conn_->Close();
  if (!s.ok()) RC_FAIL("closing the database: " + s.ToString());
  conn_.reset();
  Open();
}

Status Sut::TryReopen() {
  queues.clear();
  held.clear();
  Status s = conn_->Close();
  if (!s.ok()) RC_FAIL("closing the database: " + s.ToString());
  conn_.reset();
  expected_reports.clear();
  auto r = cfg_.location.empty() ? Connection::Open("/db", MakeOptions(fenv_.get(), false))
                                 : Connection::Open(cfg_.location, MakeOptions(nullptr, false));
  if (!r.ok()) return r.status();
  conn_ = std::move(*r);
  Subscribe();
  return Status::OK();
}

void Sut::Crash() {
  queues.clear();
  held.clear();
  if (!cfg_.location.empty()) {
    conn_.reset();
    Open();
    return;
  }
  for (FaultOp op : {FaultOp::kWrite, FaultOp::kSync, FaultOp::kRename, FaultOp::kCreate, FaultOp::kDelete})
    fenv_->FailOp(op);
  conn_.reset();  // the process is gone: nothing it does now reaches the disk
  Status s = fenv_->DropUnsyncedData();
  fenv_->ClearFaults();
  if (!s.ok()) RC_FAIL("simulating the crash: " + s.ToString());
  Open();
}

void Sut::ExpectReport(const ExpectedReport& r) {
  for (auto& q : expected_reports) q.push_back(r);
}

std::string Sut::CheckQueues() {
  for (size_t i = 0; i < queues.size(); ++i) {
    TxReport r;
    while (queues[i]->Pop(&r, 0)) {
      if (expected_reports[i].empty())
        return "queue " + std::to_string(i) + " delivered an unexpected report for t=" + std::to_string(r.t);
      const ExpectedReport& want = expected_reports[i].front();
      std::vector<Datom> got = r.tx_data;
      std::sort(got.begin(), got.end(), [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); });
      if (r.t != want.t)
        return "queue " + std::to_string(i) + " delivered t=" + std::to_string(r.t) + ", expected t=" + std::to_string(want.t);
      if (std::string d = DiffDatoms("queue report t=" + std::to_string(r.t), want.datoms, got); !d.empty()) return d;
      if (r.db_after.basis_t() != r.t || r.db_before.basis_t() != want.before_t || r.tx != TxId(r.t))
        return "queue report t=" + std::to_string(r.t) + " has db_before.basis_t=" + std::to_string(r.db_before.basis_t()) +
               " db_after.basis_t=" + std::to_string(r.db_after.basis_t());
      if (r.tempids != want.tempids) return "queue report t=" + std::to_string(r.t) + " has different tempids";
      expected_reports[i].pop_front();
    }
    if (!queues[i]->status().ok()) return "queue " + std::to_string(i) + " closed: " + queues[i]->status().ToString();
    if (!expected_reports[i].empty())
      return "queue " + std::to_string(i) + " did not deliver t=" + std::to_string(expected_reports[i].front().t);
  }
  return "";
}

void Sut::StartLiveReplay(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  live_path_ = path;
  live_ = std::make_unique<std::ofstream>(path, std::ios::trunc);
  for (const auto& l : replay_) *live_ << l << "\n";
  live_->flush();
}

void Sut::StopLiveReplay() {
  if (!live_) return;
  live_.reset();
  std::error_code ec;
  std::filesystem::remove(live_path_, ec);
}

void Sut::Record(const std::string& line) {
  replay_.push_back(line);
  if (live_) {
    *live_ << line << "\n";
    live_->flush();
  }
}

std::string Sut::WriteReplay(const std::string& path) const {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : replay_) out << l << "\n";
  return path;
}

// ---- reads ------------------------------------------------------------------

Database ApplyView(const Database& db, const ViewQuery& q) {
  Database v = db;
  if (q.as_of) v = v.AsOf(*q.as_of);
  if (q.since) v = v.Since(*q.since);
  if (q.history) v = v.History();
  return v;
}

std::vector<Datom> ReadIndex(const Database& db, Index order, const std::vector<Value>& prefix, std::string* err) {
  auto r = db.DatomsVector(order, prefix);
  if (!r.ok()) {
    if (err) *err = std::string("reading ") + IndexName(order) + ": " + r.status().ToString();
    return {};
  }
  return std::move(*r);
}

// ---- comparisons --------------------------------------------------------------

std::string ShowDatom(const Datom& d) {
  const std::string v = d.v.type() == ValueType::kRef ? std::to_string(d.v.ref()) : edn::Print(edn::FromValue(d.v));
  return "[" + std::to_string(d.e) + " " + std::to_string(d.a) + " " + v + " t=" + std::to_string(d.t()) + " " +
         (d.added ? "true" : "false") + "]";
}

std::string DiffDatoms(const std::string& label, const std::vector<Datom>& want, const std::vector<Datom>& got) {
  if (want == got) return "";
  auto less = [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); };
  std::vector<Datom> w = want, g = got, missing, extra;
  std::sort(w.begin(), w.end(), less);
  std::sort(g.begin(), g.end(), less);
  std::set_difference(w.begin(), w.end(), g.begin(), g.end(), std::back_inserter(missing), less);
  std::set_difference(g.begin(), g.end(), w.begin(), w.end(), std::back_inserter(extra), less);
  std::string out = label + ": engine differs from the model (want " + std::to_string(want.size()) + " datoms, got " +
                    std::to_string(got.size()) + ")";
  auto list = [&](const char* what, const std::vector<Datom>& ds) {
    if (ds.empty()) return;
    out += "\n  " + std::string(what) + ":";
    for (size_t i = 0; i < ds.size() && i < 8; ++i) out += " " + ShowDatom(ds[i]);
    if (ds.size() > 8) out += " ... (" + std::to_string(ds.size()) + ")";
  };
  list("missing", missing);
  list("unexpected", extra);
  if (missing.empty() && extra.empty()) {
    for (size_t i = 0; i < want.size() && i < got.size(); ++i)
      if (!(want[i] == got[i])) {
        out += "\n  same datoms, different order (or duplicates) at position " + std::to_string(i) + ": want " +
               ShowDatom(want[i]) + " got " + ShowDatom(got[i]);
        break;
      }
  }
  return out;
}

std::string CheckSorted(const std::string& label, const std::vector<Datom>& ds, Index order) {
  for (size_t i = 1; i < ds.size(); ++i)
    if (!ModelLess(order, ds[i - 1], ds[i]))
      return label + ": not strictly sorted at " + std::to_string(i) + ": " + ShowDatom(ds[i - 1]) + " then " +
             ShowDatom(ds[i]);
  return "";
}

std::string CompareView(const Model& m, const Database& db, const ViewQuery& q, Index order) {
  const std::string label = q.ToString() + " " + IndexName(order);
  std::string err;
  std::vector<Datom> got = ReadIndex(ApplyView(db, q), order, {}, &err);
  if (!err.empty()) return label + ": " + err;
  if (std::string s = CheckSorted(label, got, order); !s.empty()) return s;
  return CompareReads(label, m, q, m.Datoms(q, order), got);
}

std::string CompareReads(const std::string& label, const Model& m, const ViewQuery& q, const std::vector<Datom>& want,
                         const std::vector<Datom>& got) {
  const bool exempt = q.history || (q.as_of && *q.as_of < m.basis_t());
  if (!exempt || m.ever_no_history().empty()) return DiffDatoms(label, want, got);
  // SPEC §7: past values of :db/noHistory attributes need not be kept.
  const auto& nh = m.ever_no_history();
  std::vector<Datom> want_main, got_main, want_nh;
  for (const Datom& d : want) (nh.count(d.a) ? want_nh : want_main).push_back(d);
  for (const Datom& d : got) {
    if (!nh.count(d.a)) {
      got_main.push_back(d);
    } else if (std::find(want_nh.begin(), want_nh.end(), d) == want_nh.end()) {
      return label + ": a :db/noHistory datom that should not be there: " + ShowDatom(d);
    }
  }
  return DiffDatoms(label, want_main, got_main);
}

std::string CompareLog(const Model& m, const Connection& conn) {
  std::map<T, std::vector<Datom>> got;
  Status s = conn.TxRange(1, ~T{0}, [&](T t, const std::vector<Datom>& ds) {
    auto& v = got[t];
    v = ds;
    std::sort(v.begin(), v.end(), [](const Datom& x, const Datom& y) { return ModelLess(Index::kEavt, x, y); });
    return Status::OK();
  });
  if (!s.ok()) return "reading the log: " + s.ToString();
  std::map<T, std::vector<Datom>> want = m.Log();
  want.erase(0);  // the bootstrap transaction is not logged
  for (const auto& [t, ds] : want) {
    auto it = got.find(t);
    if (it == got.end()) return "the log lacks transaction t=" + std::to_string(t);
    if (std::string d = DiffDatoms("log t=" + std::to_string(t), ds, it->second); !d.empty()) return d;
  }
  for (const auto& [t, ds] : got)
    if (!want.count(t)) return "the log holds transaction t=" + std::to_string(t) + " the model does not";
  return "";
}

std::string CompareCounters(const Model& m, const Database& db) {
  if (db.basis_t() != m.basis_t() || db.next_t() != m.next_t())
    return "basis_t/next_t: engine " + std::to_string(db.basis_t()) + "/" + std::to_string(db.next_t()) + ", model " +
           std::to_string(m.basis_t()) + "/" + std::to_string(m.next_t());
  return "";
}

std::vector<ViewQuery> SampleViews(const Model& m, size_t points) {
  std::vector<ViewQuery> out;
  out.push_back({});
  ViewQuery h;
  h.history = true;
  out.push_back(h);
  const auto& ts = m.ts();
  std::vector<T> picked;
  for (size_t i = 0; i < points && !ts.empty(); ++i) {
    const T t = ts[(ts.size() - 1) * (i + 1) / (points + 1)];
    if (std::find(picked.begin(), picked.end(), t) == picked.end()) picked.push_back(t);
  }
  for (T t : picked) {
    ViewQuery a;
    a.as_of = t;
    out.push_back(a);
    ViewQuery s;
    s.since = t;
    out.push_back(s);
  }
  if (picked.size() >= 2) {
    ViewQuery c;
    c.as_of = picked.back();
    c.since = picked.front();
    out.push_back(c);
    ViewQuery ah;
    ah.as_of = picked.back();
    ah.history = true;
    out.push_back(ah);
  }
  return out;
}

const std::vector<Datom>& BootstrapDatoms() {
  static const std::vector<Datom> kBoot = [] {
    auto env = NewMemEnv();
    Options o;
    o.env = env.get();
    auto c = Connection::Open("/boot", o);
    std::vector<Datom> out;
    if (c.ok()) out = ReadIndex((*c)->db().History(), Index::kEavt);
    return out;
  }();
  return kBoot;
}

}  // namespace strata::props
