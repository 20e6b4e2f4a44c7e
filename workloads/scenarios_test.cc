// The scenario workloads (bulk-import, corrections, permissions, reminders),
// each run at a small scale into a memory database, with their reads, and
// facts derived from what they generate checked against the database.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "strata/connection.h"
#include "strata/query.h"
#include "workloads/bulk_import.h"
#include "workloads/corrections.h"
#include "workloads/csv_gen.h"
#include "workloads/csv_import.h"
#include "workloads/permissions.h"
#include "workloads/reminders.h"

namespace strata::workloads {
namespace {

using edn::Node;

struct Ran {
  std::unique_ptr<Env> env;
  std::unique_ptr<Connection> conn;
  std::map<std::string, int> reads;
  uint64_t txs = 0;
};

// Runs every step of `w` into a fresh memory database; reads must succeed.
Ran RunAll(Workload& w, uint64_t index_threshold = 256 << 10) {
  Ran r;
  r.env = NewMemEnv();
  Options o;
  o.env = r.env.get();
  o.sync = SyncPolicy::kNever;
  o.memory_index_threshold = index_threshold;  // durable segments too
  auto c = Connection::Open("/db", o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  r.conn = std::move(*c);
  w.RegisterTxFunctions(*r.conn);
  for (const Node& tx : w.Schema()) {
    auto rep = r.conn->Transact(tx);
    EXPECT_TRUE(rep.ok()) << rep.status().ToString();
  }
  Step s;
  while (w.Next(&s)) {
    if (s.kind == Step::Kind::kTransact) {
      auto rep = r.conn->Transact(s.tx);
      EXPECT_TRUE(rep.ok()) << w.name() << " tx " << r.txs << ": " << rep.status().ToString() << "\n"
                            << edn::Print(s.tx).substr(0, 2000);
      if (!rep.ok()) break;
      ++r.txs;
    } else {
      Status st = s.read(r.conn->db());
      EXPECT_TRUE(st.ok()) << w.name() << " read " << s.read_name << ": " << st.ToString();
      r.reads[s.read_name]++;
    }
  }
  return r;
}

WorkloadOptions Opts(const std::string& name, double scale, double read_ratio, uint64_t seed = 1) {
  WorkloadOptions o;
  o.name = name;
  o.scale = scale;
  o.read_ratio = read_ratio;
  o.seed = seed;
  return o;
}

std::string PrintAll(std::unique_ptr<Workload> w) {
  std::string out;
  for (const Node& tx : w->Schema()) out += edn::Print(tx) + "\n";
  Step s;
  while (w->Next(&s)) out += s.kind == Step::Kind::kRead ? s.read_name + "\n" : edn::Print(s.tx) + "\n";
  return out;
}

Node Lookup(const char* attr, const std::string& id) { return Node::Vector({Node::Keyword(attr), Node::String(id)}); }

EntityId Id(const Database& db, const char* attr, const std::string& id) {
  auto e = db.Entid(Lookup(attr, id));
  EXPECT_TRUE(e.ok()) << attr << " " << id << ": " << e.status().ToString();
  return e.ok() ? *e : 0;
}

EntityId A(const Database& db, const char* ident) { return db.attribute(ident)->id; }

// A whole index range as a vector (by value: safe in a range-for).
std::vector<Datom> Dv(const Database& db, Index index, std::vector<Value> components) {
  auto r = db.DatomsVector(index, std::move(components));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : std::vector<Datom>{};
}

std::map<std::string, uint64_t> DatomsPerAttribute(const Database& db) {
  std::map<std::string, uint64_t> out;
  auto c = db.Datoms(Index::kAevt);
  for (; c->Valid(); c->Next()) {
    const std::string* ident = db.ident(c->datom().a);
    if (ident && ident->find('/') != std::string::npos && ident->rfind("db", 0) != 0) out[*ident]++;
  }
  return out;
}

TEST(Scenarios, EveryWorkloadIsDeterministic) {
  for (auto make : {NewBulkImportWorkload, NewCorrectionsWorkload, NewPermissionsWorkload, NewRemindersWorkload}) {
    const std::string a = PrintAll(make(Opts("", 0.02, 1, 3)));
    EXPECT_EQ(a, PrintAll(make(Opts("", 0.02, 1, 3))));
    EXPECT_NE(a, PrintAll(make(Opts("", 0.02, 1, 4))));
  }
}

// ---- bulk-import ------------------------------------------------------------

TEST(BulkImportWorkload, SameResultAsImportingTheFiles) {
  auto w = NewBulkImportWorkload(Opts("bulk-import", 0.05, 4));
  EXPECT_EQ(w->name(), "bulk-import");
  Ran run = RunAll(*w);
  EXPECT_EQ(run.reads.size(), 2u);
  EXPECT_GT(run.reads["client-by-id"], 0);
  EXPECT_GT(run.reads["patient-immunizations"], 0);

  // The same rows, written as files and imported with the same mapping.
  auto env = NewMemEnv();
  CsvGenPlan plan = PlanForClients(100, 1, kBulkImportBadRows);
  plan.unresolvable_refs = false;
  CsvGenReport gen;
  ASSERT_TRUE(GenerateCsv(env.get(), "/csv", plan, &gen).ok());
  Options o;
  o.env = env.get();
  o.sync = SyncPolicy::kNever;
  auto conn = Connection::Open("/db", o);
  ASSERT_TRUE(conn.ok());
  auto m = LoadMapping(env.get(), "/csv/mapping.edn");
  ASSERT_TRUE(m.ok());
  std::vector<std::string> files;
  for (int t = 0; t < kVetTables; ++t) files.push_back(std::string("/csv/") + VetTableFile(static_cast<VetTable>(t)));
  ImportOptions io;
  io.env = env.get();
  io.on_error = OnError::kSkip;
  ImportReport rep;
  ASSERT_TRUE(ImportCsv(**conn, *m, files, io, &rep).ok());
  EXPECT_EQ(rep.rows_imported, gen.good_rows());

  const auto from_workload = DatomsPerAttribute(run.conn->db());
  EXPECT_EQ(from_workload, DatomsPerAttribute((*conn)->db()));
  EXPECT_EQ(from_workload.at("client/id"), 100u);
  EXPECT_EQ(from_workload.at("patient/id"), 150u);
  EXPECT_EQ(from_workload.at("immunization/id"), 400u);
  EXPECT_EQ(from_workload.at("order/id"), 300u);
}

// ---- corrections --------------------------------------------------------------

struct TxFacts {
  std::optional<EntityId> by;
  std::string kind, doc;
};

TxFacts FactsOf(const Database& db, T t) {
  TxFacts f;
  for (const Value& v : std::vector<Value>(db.Values(TxId(t), A(db, "correction/by")).value())) f.by = v.ref();
  for (const Value& v : std::vector<Value>(db.Values(TxId(t), A(db, "correction/kind")).value())) f.kind = v.str();
  for (const Value& v : std::vector<Value>(db.Values(TxId(t), A(db, "db/doc")).value())) f.doc = v.str();
  return f;
}

std::vector<Datom> HistoryOfKey(const Database& db, const std::string& key) {
  const Database h = db.History();
  auto by_key = h.DatomsVector(Index::kAvet, {Value::Ref(A(db, "item/id")), Value::String(key)});
  if (!by_key.ok() || by_key->empty()) return {};
  return h.DatomsVector(Index::kEavt, {Value::Ref(by_key->front().e)}).value();
}

TEST(CorrectionsWorkload, MistakesAreCorrectedWithProvenance) {
  auto w = NewCorrectionsWorkload(Opts("corrections", 0.05, 1));
  Ran run = RunAll(*w);
  EXPECT_EQ(run.reads.size(), 3u);
  ASSERT_TRUE(run.conn->IndexNow().ok());  // excision is complete after a job
  const Database db = run.conn->db();
  const EntityId count = A(db, "item/count");

  // BAD-0, the Tribbles: retracted as an entity, remembered in history,
  // the retraction signed by manager 0.
  EXPECT_FALSE(db.Entid(Lookup("item/id", "BAD-0")).ok());
  std::vector<Datom> h0 = HistoryOfKey(db, "BAD-0");
  ASSERT_EQ(h0.size(), 8u);  // id, description, count, warehouse: asserted, then retracted
  T retracted_at = 0;
  for (const Datom& d : h0) {
    if (d.a == count && d.added) {
      EXPECT_EQ(d.v, Value::Long(999));
    }
    if (!d.added) retracted_at = d.t();
  }
  const TxFacts f0 = FactsOf(db, retracted_at);
  EXPECT_EQ(f0.kind, "correction.kind/retract-entity");
  EXPECT_EQ(f0.by, Id(db, "manager/email", "m0@example.com"));
  EXPECT_NE(f0.doc.find("Tribbles"), std::string::npos);

  // BAD-1: acknowledged, count corrected to 0, the correction documented.
  EXPECT_EQ(db.Values(Id(db, "item/id", "BAD-1"), count).value(), std::vector<Value>{Value::Long(0)});
  T corrected_at = 0;
  for (const Datom& d : HistoryOfKey(db, "BAD-1"))
    if (d.a == count && d.added && d.v == Value::Long(0)) corrected_at = d.t();
  EXPECT_EQ(FactsOf(db, corrected_at).doc, "Error correction entry. We do not sell Tribbles.");

  // BAD-4: excised, gone from every view; the request and its reason stay.
  EXPECT_TRUE(HistoryOfKey(db, "BAD-4").empty());
  const auto requests = Dv(db, Index::kAevt, {Value::Ref(A(db, "db/excise"))});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(FactsOf(db, requests.front().t()).kind, "correction.kind/excise");

  // Typos (j % 4 >= 2) reverted by the function: the count before the
  // mistake is back, and the correcting tx names the mistaken one.
  int reverts = 0;
  const auto kinds = Dv(db, Index::kAevt, {Value::Ref(A(db, "correction/kind"))});
  for (const Datom& k : kinds) {
    if (k.v.str() != "correction.kind/revert") continue;
    ++reverts;
    const T fix = TOf(k.e);
    const auto reverted = db.Values(k.e, A(db, "correction/reverts")).value();
    ASSERT_EQ(reverted.size(), 1u);
    const T bad = TOf(reverted[0].ref());
    EXPECT_LT(bad, fix);
    // The item: asserted 999 at `bad`, which `fix` retracted, restoring the old value.
    const auto all = Dv(db.History(), Index::kAevt, {Value::Ref(count)});
    std::optional<Value> before;
    EntityId item = 0;
    for (const Datom& d : all) {
      if (d.t() == bad && d.added && d.v == Value::Long(999)) item = d.e;
    }
    ASSERT_NE(item, 0u);
    for (const Datom& d : all) {
      if (d.e == item && d.t() == bad && !d.added) before = d.v;
    }
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(db.AsOf(fix).Values(item, count).value(), std::vector<Value>{*before});
  }
  EXPECT_EQ(reverts, 4);  // bad events j = 0..9: typos at j = 2, 3, 6, 7
  // Nothing is left at the absurd count.
  auto absurd = db.IndexRange(count, Value::Long(999), Value::Long(1000));
  EXPECT_FALSE(absurd->Valid());
}

TEST(CorrectionsWorkload, RevertRefusesWhenTheMistakeIsNoLongerTheLatest) {
  auto w = NewCorrectionsWorkload(Opts("corrections", 0.01, 0));
  Ran run = RunAll(*w);
  const Database db = run.conn->db();
  auto r = RevertLatest(db, {Lookup("item/id", "I-0"), Node::Keyword("item/count"), Node::Long(999),
                             Node::String("typo"), Lookup("manager/email", "m1@example.com")});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
}

// ---- permissions --------------------------------------------------------------

std::vector<EntityId> All(const Database& db, const char* attr) {
  std::vector<EntityId> out;
  for (const Datom& d : Dv(db, Index::kAevt, {Value::Ref(A(db, attr))})) out.push_back(d.e);
  return out;
}

TEST(PermissionsWorkload, CreatorsWriteWhatTheyCreateAndRulesMatchTheWalk) {
  auto w = NewPermissionsWorkload(Opts("permissions", 0.05, 1));
  Ran run = RunAll(*w);
  EXPECT_EQ(run.reads.size(), 2u);
  const Database db = run.conn->db();

  // Every resource's creator may write it.
  const EntityId creator = A(db, "resource/creator");
  int checked = 0;
  for (const Datom& d : Dv(db, Index::kAevt, {Value::Ref(creator)})) {
    EXPECT_TRUE(CanWriteByRules(db, d.v.ref(), d.e).value()) << d.e;
    EXPECT_TRUE(CanWriteByWalk(db, d.v.ref(), d.e).value()) << d.e;
    ++checked;
  }
  EXPECT_GT(checked, 100);
  // Some creators needed the function's grant: physicians writing notes.
  int own = 0;
  for (const Datom& d : Dv(db, Index::kAevt, {Value::Ref(A(db, "group/kind"))}))
    own += d.v.str() == "group.kind/own";
  EXPECT_GT(own, 0);

  // The rules and the walk agree on every pair of a sample.
  const std::vector<EntityId> users = All(db, "user/id");
  const std::vector<EntityId> resources = All(db, "resource/id");
  int reads = 0, writes = 0;
  for (size_t i = 0; i < resources.size(); i += 7) {
    for (EntityId u : users) {
      const bool r = CanReadByRules(db, u, resources[i]).value();
      const bool wr = CanWriteByRules(db, u, resources[i]).value();
      ASSERT_EQ(r, CanReadByWalk(db, u, resources[i]).value()) << u << " " << resources[i];
      ASSERT_EQ(wr, CanWriteByWalk(db, u, resources[i]).value()) << u << " " << resources[i];
      EXPECT_TRUE(!wr || r);  // write implies read
      reads += r;
      writes += wr;
    }
  }
  EXPECT_GT(reads, writes);
  EXPECT_GT(writes, 0);

  // Clinic 0's account A-0: its owner and administrators write the record,
  // its physicians read it, other patients do not even read it.
  const EntityId record = Id(db, "resource/id", "R-0");
  EXPECT_TRUE(CanWriteByRules(db, Id(db, "user/id", "U-p0"), record).value());
  EXPECT_TRUE(CanWriteByRules(db, Id(db, "user/id", "U-a0.1"), record).value());
  EXPECT_FALSE(CanReadByRules(db, Id(db, "user/id", "U-p1"), record).value());
  EXPECT_FALSE(CanReadByRules(db, Id(db, "user/id", "U-a1.0"), record).value());  // another clinic's admin
  int physicians_without_write = 0;
  for (int k = 0; k < 4; ++k) {
    const EntityId d = Id(db, "user/id", "U-d0." + std::to_string(k));
    EXPECT_TRUE(CanReadByRules(db, d, record).value());
    physicians_without_write += !CanWriteByRules(db, d, record).value();
  }
  EXPECT_GT(physicians_without_write, 0);

  // A share group's members read what it contains (and what is under it).
  int shares = 0;
  const EntityId contains = A(db, "group/contains"), members = A(db, "group/members");
  for (const Datom& k : Dv(db, Index::kAevt, {Value::Ref(A(db, "group/kind"))})) {
    if (k.v.str() != "group.kind/share") continue;
    for (const Value& x : std::vector<Value>(db.Values(k.e, contains).value()))
      for (const Value& m : std::vector<Value>(db.Values(k.e, members).value())) {
        EXPECT_TRUE(CanReadByRules(db, m.ref(), x.ref()).value());
        ++shares;
      }
  }
  EXPECT_GT(shares, 0);
}

// ---- reminders ------------------------------------------------------------------

// The reminders of a patient, computed the slow way: every immunization and
// order of the database scanned, protocols matched by hand.
std::map<std::string, int64_t> SlowLastGiven(const Database& db, EntityId patient) {
  std::map<std::string, int64_t> last;
  const auto species = db.Values(patient, A(db, "patient/species")).value();
  std::vector<std::pair<EntityId, int64_t>> given;  // product, when
  for (const Datom& d : Dv(db, Index::kAevt, {Value::Ref(A(db, "immunization/patient"))})) {
    if (d.v.ref() != patient) continue;
    auto declined = db.Values(d.e, A(db, "immunization/declined?")).value();
    if (!declined.empty() && declined[0].as_bool()) continue;
    given.emplace_back(db.Values(d.e, A(db, "immunization/product")).value()[0].ref(),
                       db.Values(d.e, A(db, "immunization/given")).value()[0].instant_ms());
  }
  for (const Datom& d : Dv(db, Index::kAevt, {Value::Ref(A(db, "order/patient"))})) {
    if (d.v.ref() != patient) continue;
    if (db.Values(d.e, A(db, "order/status")).value()[0].str() != "order.status/completed") continue;
    given.emplace_back(db.Values(d.e, A(db, "order/product")).value()[0].ref(),
                       db.Values(d.e, A(db, "order/ordered")).value()[0].instant_ms());
  }
  for (const Datom& d : Dv(db, Index::kAevt, {Value::Ref(A(db, "protocol/products"))})) {
    const auto ps = db.Values(d.e, A(db, "protocol/species")).value();
    if (!ps.empty() && (species.empty() || ps[0] != species[0])) continue;
    const std::string id = db.Values(d.e, A(db, "protocol/id")).value()[0].str();
    for (const auto& [product, when] : given)
      if (product == d.v.ref() && (!last.count(id) || last[id] < when)) last[id] = when;
  }
  return last;
}

TEST(RemindersWorkload, DerivesRemindersDueDatesAndTheAudit) {
  auto w = NewRemindersWorkload(Opts("reminders", 0.02, 0.2));
  Ran run = RunAll(*w, 1 << 20);
  EXPECT_EQ(run.reads.size(), 3u);
  const Database db = run.conn->db();
  const int64_t now = db.TxInstant(db.basis_t()).value().value();
  EXPECT_GE(now, kRemindersStartMs + (kRemindersYears * 365 - 60) * kRemindersDayMs);

  // P-0: every canine vaccine on day 0, never again: Rabies fell due a
  // year later and is overdue now.
  const EntityId p0 = Id(db, "patient/id", "P-0");
  auto r0 = PatientReminders(db, p0);
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  const int64_t day0 = kRemindersStartMs + 18 * 3600000LL;
  std::set<std::string> protocols;
  for (const Reminder& r : *r0) {
    protocols.insert(r.protocol_id);
    EXPECT_EQ(r.last_ms, day0) << r.protocol_id;
    EXPECT_LT(r.due_ms, now) << r.protocol_id;
  }
  EXPECT_TRUE(protocols.count("PRO-0"));  // Rabies
  EXPECT_TRUE(protocols.count("PRO-2"));  // DHPP
  EXPECT_FALSE(protocols.count("PRO-6"));  // FVRCP is for cats
  const EntityId loc0 = db.Values(Id(db, "client/id", "C-0"), A(db, "client/location")).value()[0].ref();
  auto due = LocationDue(db, loc0, now + 30 * kRemindersDayMs);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  bool p0_rabies_due = false;
  for (const DueReminder& d : *due) p0_rabies_due |= d.patient == p0 && d.reminder.protocol_id == "PRO-0";
  EXPECT_TRUE(p0_rabies_due);

  // Every patient: the derivation matches a slow scan; location-due holds
  // exactly the living patients' reminders due within 30 days.
  const EntityId deceased = A(db, "patient/deceased?");
  int patients = 0, due_count = 0, not_due = 0, dead = 0;
  std::map<EntityId, std::vector<DueReminder>> due_by_location;
  for (EntityId p : All(db, "patient/id")) {
    ++patients;
    auto rs = PatientReminders(db, p);
    ASSERT_TRUE(rs.ok());
    std::map<std::string, int64_t> fast;
    for (const Reminder& r : *rs) fast[r.protocol_id] = r.last_ms;
    EXPECT_EQ(fast, SlowLastGiven(db, p)) << p;
    const EntityId client = db.Values(p, A(db, "patient/client")).value()[0].ref();
    const EntityId loc = db.Values(client, A(db, "client/location")).value()[0].ref();
    if (!due_by_location.count(loc)) due_by_location[loc] = LocationDue(db, loc, now + 30 * kRemindersDayMs).value();
    const bool is_dead = !db.Values(p, deceased).value().empty();
    dead += is_dead;
    for (const Reminder& r : *rs) {
      bool listed = false;
      for (const DueReminder& d : due_by_location[loc]) listed |= d.patient == p && d.reminder.protocol == r.protocol;
      const bool should = !is_dead && r.due_ms <= now + 30 * kRemindersDayMs;
      EXPECT_EQ(listed, should) << p << " " << r.protocol_id;
      due_count += should;
      not_due += !should;
    }
  }
  EXPECT_EQ(patients, 40);
  EXPECT_GT(due_count, 0);
  EXPECT_GT(not_due, 0);

  // What we knew: as of day 10, P-0's reminders were the same facts; a
  // patient registered later did not exist yet.
  const Database then = db.AsOfInstant(day0 + 10 * kRemindersDayMs).value();
  auto r0_then = PatientReminders(then, p0);
  ASSERT_TRUE(r0_then.ok());
  EXPECT_EQ(r0_then->size(), r0->size());
  EXPECT_FALSE(then.Entid(Lookup("patient/id", "P-39")).ok());
  // Historical instants: every transaction carries the day it describes.
  EXPECT_LT(now, 1700000000000);
}

}  // namespace
}  // namespace strata::workloads
