// The "reminders" workload (see reminders.h): the derivation reads and the
// day-by-day clinic history.

#include "workloads/reminders.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "workloads/csv_gen.h"

namespace strata::workloads {

namespace {

using edn::Node;

Node Kw(const std::string& s) { return Node::Keyword(s); }
Node Str(std::string s) { return Node::String(std::move(s)); }
Node Lookup(const char* attr, std::string id) { return Node::Vector({Kw(attr), Str(std::move(id))}); }

// ---- the derivation -----------------------------------------------------------

struct ProtocolInfo {
  std::string id;
  int64_t interval_ms = 0;
  std::string species;  // "" for every species
};

struct Ids {
  EntityId imm_patient, imm_product, imm_given, imm_declined;
  EntityId ord_patient, ord_product, ord_ordered, ord_status;
  EntityId proto_products, proto_id, proto_interval, proto_species;
  EntityId patient_species, patient_client, patient_deceased, client_location;
};

Result<Ids> Resolve(const Database& db) {
  Ids x;
  const std::pair<EntityId*, const char*> want[] = {
      {&x.imm_patient, "immunization/patient"}, {&x.imm_product, "immunization/product"},
      {&x.imm_given, "immunization/given"},     {&x.imm_declined, "immunization/declined?"},
      {&x.ord_patient, "order/patient"},        {&x.ord_product, "order/product"},
      {&x.ord_ordered, "order/ordered"},        {&x.ord_status, "order/status"},
      {&x.proto_products, "protocol/products"}, {&x.proto_id, "protocol/id"},
      {&x.proto_interval, "protocol/interval-days"}, {&x.proto_species, "protocol/species"},
      {&x.patient_species, "patient/species"},  {&x.patient_client, "patient/client"},
      {&x.patient_deceased, "patient/deceased?"}, {&x.client_location, "client/location"},
  };
  for (const auto& [slot, ident] : want) {
    const Attribute* a = db.attribute(ident);
    if (a == nullptr) return Status::NotFound(std::string("reminders: no attribute :") + ident);
    *slot = a->id;
  }
  return x;
}

Result<std::optional<Value>> One(const Database& db, EntityId e, EntityId a) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> v, db.Values(e, a));
  if (v.empty()) return std::optional<Value>();
  return std::optional<Value>(v.front());
}

// The configured protocols, and which protocols each product satisfies.
struct Catalog {
  std::map<EntityId, ProtocolInfo> protocols;
  std::multimap<EntityId, EntityId> by_product;
};

Result<Catalog> LoadCatalog(const Database& db, const Ids& x) {
  Catalog c;
  STRATA_ASSIGN_OR_RETURN(DatomCursor cur, db.Datoms(Index::kAevt, {Value::Ref(x.proto_products)}));
  for (; cur.Valid(); cur.Next()) {
    const EntityId proto = cur.datom().e;
    c.by_product.emplace(cur.datom().v.ref(), proto);
    if (c.protocols.count(proto)) continue;
    ProtocolInfo& p = c.protocols[proto];
    STRATA_ASSIGN_OR_RETURN(std::optional<Value> id, One(db, proto, x.proto_id));
    STRATA_ASSIGN_OR_RETURN(std::optional<Value> days, One(db, proto, x.proto_interval));
    STRATA_ASSIGN_OR_RETURN(std::optional<Value> sp, One(db, proto, x.proto_species));
    if (id) p.id = id->str();
    if (days) p.interval_ms = days->as_long() * kRemindersDayMs;
    if (sp) p.species = sp->str();
  }
  STRATA_RETURN_IF_ERROR(cur.status());
  return c;
}

Result<std::vector<Reminder>> Derive(const Database& db, const Ids& x, const Catalog& cat, EntityId patient) {
  STRATA_ASSIGN_OR_RETURN(const std::optional<Value> species, One(db, patient, x.patient_species));
  std::map<EntityId, Reminder> best;  // by protocol
  auto offer = [&](EntityId product, int64_t when, EntityId source) {
    auto [lo, hi] = cat.by_product.equal_range(product);
    for (auto it = lo; it != hi; ++it) {
      const ProtocolInfo& p = cat.protocols.at(it->second);
      if (!p.species.empty() && (!species || species->str() != p.species)) continue;
      Reminder& r = best[it->second];
      if (r.protocol != 0 && r.last_ms >= when) continue;
      r = Reminder{it->second, p.id, when, when + p.interval_ms, source};
    }
  };
  STRATA_ASSIGN_OR_RETURN(DatomCursor imms, db.Datoms(Index::kVaet, {Value::Ref(patient), Value::Ref(x.imm_patient)}));
  for (; imms.Valid(); imms.Next()) {
    const EntityId imm = imms.datom().e;
    STRATA_ASSIGN_OR_RETURN(auto declined, One(db, imm, x.imm_declined));
    if (declined && declined->as_bool()) continue;
    STRATA_ASSIGN_OR_RETURN(auto product, One(db, imm, x.imm_product));
    STRATA_ASSIGN_OR_RETURN(auto given, One(db, imm, x.imm_given));
    if (product && given) offer(product->ref(), given->instant_ms(), imm);
  }
  STRATA_RETURN_IF_ERROR(imms.status());
  STRATA_ASSIGN_OR_RETURN(DatomCursor orders, db.Datoms(Index::kVaet, {Value::Ref(patient), Value::Ref(x.ord_patient)}));
  for (; orders.Valid(); orders.Next()) {
    const EntityId order = orders.datom().e;
    STRATA_ASSIGN_OR_RETURN(auto status, One(db, order, x.ord_status));
    if (!status || status->str() != "order.status/completed") continue;
    STRATA_ASSIGN_OR_RETURN(auto product, One(db, order, x.ord_product));
    STRATA_ASSIGN_OR_RETURN(auto ordered, One(db, order, x.ord_ordered));
    if (product && ordered) offer(product->ref(), ordered->instant_ms(), order);
  }
  STRATA_RETURN_IF_ERROR(orders.status());
  std::vector<Reminder> out;
  for (auto& [proto, r] : best) out.push_back(std::move(r));
  return out;
}

// ---- the history ----------------------------------------------------------------

struct ProductDef {
  const char* name;
  const char* kind;
};
constexpr ProductDef kProducts[] = {
    {"Rabies 1-Year", "vaccine"}, {"Rabies 3-Year", "vaccine"}, {"DHPP", "vaccine"},
    {"Bordetella", "vaccine"},    {"Leptospirosis", "vaccine"}, {"Lyme", "vaccine"},
    {"FVRCP", "vaccine"},         {"FeLV", "vaccine"},          {"Feline Rabies PureVax", "vaccine"},
    {"Heartgard Plus", "medication"}, {"NexGard", "medication"}, {"Wellness Exam", "service"},
};
struct ProtocolDef {
  const char* name;
  std::vector<int> products;
  int days;
  const char* species;
};
const ProtocolDef kProtocols[] = {
    {"Rabies", {0, 8}, 365, ""},          {"Rabies 3-Year", {1}, 1095, "canine"}, {"DHPP", {2}, 365, "canine"},
    {"Bordetella", {3}, 180, "canine"},   {"Leptospirosis", {4}, 365, "canine"},  {"Lyme", {5}, 365, "canine"},
    {"FVRCP", {6}, 365, "feline"},        {"FeLV", {7}, 365, "feline"},
    {"Heartworm Prevention", {9}, 180, "canine"}, {"Flea and Tick", {10}, 90, ""}, {"Wellness Exam", {11}, 365, ""},
};
constexpr int kCanineVaccines[] = {0, 2, 3, 4, 5};
constexpr int kFelineVaccines[] = {6, 7, 8};
constexpr int kDays = kRemindersYears * 365;
constexpr int64_t kVisitHourMs = 18 * 3600000LL;

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string ProductId(int k) { return "PR-" + std::to_string(k); }

class RemindersWorkload final : public Workload {
 public:
  explicit RemindersWorkload(const WorkloadOptions& options)
      : options_(options), reads_rng_(options.seed * 0x9E3779B97F4A7C15ULL + 0x4E41) {
    const double scale = std::max(0.0, options.scale);
    patients_ = std::max<uint64_t>(8, static_cast<uint64_t>(std::llround(scale * kRemindersPatientsPerScale)));
    locations_ = std::max<uint64_t>(2, patients_ / 1000);
    cohort_ = patients_ / 4;
  }

  std::string name() const override { return "reminders"; }

  std::vector<Node> Schema() const override {
    Node tx = edn::ReadOne(VetspireSchemaEdn()).value();
    tx.items.push_back(Node::Vector({Kw("db/add"), Str("datomic.tx"), Kw("db/txInstant"),
                                     Node::Inst(kRemindersStartMs - kRemindersDayMs)}));
    return {std::move(tx)};
  }

  bool Next(Step* out) override {
    if (pacer_.Due() && next_reg_ > 0) {
      pacer_.Read();
      NextRead(out);
      return true;
    }
    Node tx;
    for (;;) {
      if (day_ >= kDays) return false;
      tx = day_ < 0 ? CatalogTx() : Day(day_);
      ++day_;
      if (!tx.items.empty()) break;
    }
    SetTransact(out, std::move(tx));
    pacer_.Transacted(options_.read_ratio);
    return true;
  }

  uint64_t EstimatedSteps() const override {
    return static_cast<uint64_t>((kDays + 1) * (1 + std::max(0.0, options_.read_ratio)));
  }

 private:
  uint64_t H(uint64_t p, uint64_t salt) const { return Mix(options_.seed * 0x100000001B3ULL ^ Mix(p * 1024 + salt)); }
  bool Chance(uint64_t p, uint64_t salt, double odds) const {
    return static_cast<double>(H(p, salt) >> 11) * 0x1.0p-53 < odds;
  }

  // The day patient p registers: a quarter on day 0, the others spread
  // over the first 70% of the history. Non-decreasing in p.
  int64_t RegDay(uint64_t p) const {
    if (p < cohort_) return 0;
    return static_cast<int64_t>((p - cohort_) * static_cast<uint64_t>(kDays * 7 / 10) / (patients_ - cohort_));
  }
  bool Canine(uint64_t p) const { return p == 0 || H(p, 1) % 100 < 65; }
  // The annual cycle in which p dies (a large number: never).
  uint64_t DeathCycle(uint64_t p) const {
    for (uint64_t k = static_cast<uint64_t>(RegDay(p)) / 365 + 1; k <= kRemindersYears; ++k)
      if (Chance(p, 100 + k, 0.02)) return k;
    return ~uint64_t{0};
  }
  // The smallest p whose annual visits fall on `day`'s day of the year.
  static uint64_t FirstOnDay(int64_t day) { return static_cast<uint64_t>(day % 365) * 143 % 365; }
  static int64_t Instant(int64_t day) { return kRemindersStartMs + day * kRemindersDayMs + kVisitHourMs; }
  static std::string PatientId(uint64_t p) { return "P-" + std::to_string(p); }
  std::string ClientId(uint64_t p) const { return "C-" + std::to_string(p * 2 / 3); }
  std::string LocationId(uint64_t p) const { return "L-" + std::to_string(H(p * 2 / 3, 2) % locations_); }

  Node CatalogTx() const {
    std::vector<Node> ops;
    ops.push_back(Node::Vector({Kw("db/add"), Str("datomic.tx"), Kw("db/txInstant"), Node::Inst(kRemindersStartMs)}));
    for (uint64_t l = 0; l < locations_; ++l)
      ops.push_back(Node::Map({Kw("location/id"), Str("L-" + std::to_string(l)), Kw("location/name"),
                               Str("Location " + std::to_string(l))}));
    for (int k = 0; k < static_cast<int>(std::size(kProducts)); ++k)
      ops.push_back(Node::Map({Kw("db/id"), Str(ProductId(k)), Kw("product/id"), Str(ProductId(k)), Kw("product/name"),
                               Str(kProducts[k].name), Kw("product/kind"),
                               Kw(std::string("product.kind/") + kProducts[k].kind)}));
    for (size_t k = 0; k < std::size(kProtocols); ++k) {
      const ProtocolDef& p = kProtocols[k];
      std::vector<Node> products;
      for (int x : p.products) products.push_back(Str(ProductId(x)));
      std::vector<Node> kvs = {Kw("protocol/id"),       Str("PRO-" + std::to_string(k)), Kw("protocol/name"),
                               Str(p.name),             Kw("protocol/products"),         Node::Vector(products),
                               Kw("protocol/interval-days"), Node::Long(p.days)};
      if (*p.species) kvs.insert(kvs.end(), {Kw("protocol/species"), Kw(std::string("species/") + p.species)});
      ops.push_back(Node::Map(std::move(kvs)));
    }
    return Node::Vector(std::move(ops));
  }

  void Register(uint64_t p, int64_t day, std::vector<Node>* ops) const {
    ops->push_back(Node::Map({Kw("db/id"), Str(ClientId(p)), Kw("client/id"), Str(ClientId(p)), Kw("client/last-name"),
                              Str("Client " + ClientId(p).substr(2)), Kw("client/location"),
                              Lookup("location/id", LocationId(p))}));
    ops->push_back(Node::Map({Kw("db/id"), Str(PatientId(p)), Kw("patient/id"), Str(PatientId(p)), Kw("patient/client"), Str(ClientId(p)),
                              Kw("patient/name"), Str("Pet " + std::to_string(p)), Kw("patient/species"),
                              Kw(Canine(p) ? "species/canine" : "species/feline"), Kw("patient/birth-date"),
                              Node::Inst(Instant(day) - static_cast<int64_t>(H(p, 3) % 3000) * kRemindersDayMs)}));
  }

  // What patient p gets at a visit on `day` (full: the annual set). A
  // patient registered by this transaction is named by its tempid.
  void Visit(uint64_t p, int64_t day, bool full, std::vector<Node>* ops, bool new_today = false) const {
    const Node patient = new_today ? Str(PatientId(p)) : Lookup("patient/id", PatientId(p));
    const Node location = Lookup("location/id", LocationId(p));
    const std::string tag = PatientId(p) + "-" + std::to_string(day) + "-";
    auto immunize = [&](int product, uint64_t salt) {
      if (p != 0 && !Chance(p, day * 64 + salt, 0.85)) return;
      ops->push_back(Node::Map({Kw("immunization/id"), Str("I-" + tag + std::to_string(product)),
                                Kw("immunization/patient"), patient, Kw("immunization/product"),
                                Lookup("product/id", ProductId(product)), Kw("immunization/location"), location,
                                Kw("immunization/given"), Node::Inst(Instant(day)), Kw("immunization/declined?"),
                                Node::Bool(p != 0 && Chance(p, day * 64 + salt + 32, 0.05))}));
    };
    auto order = [&](int product, int64_t qty, uint64_t salt) {
      ops->push_back(Node::Map({Kw("order/id"), Str("O-" + tag + std::to_string(product)), Kw("order/patient"),
                                patient, Kw("order/product"), Lookup("product/id", ProductId(product)),
                                Kw("order/location"), location, Kw("order/ordered"), Node::Inst(Instant(day)),
                                Kw("order/quantity"), Node::Long(qty), Kw("order/status"),
                                Kw(Chance(p, day * 64 + salt, 0.9) ? "order.status/completed" : "order.status/cancelled")}));
    };
    if (!full) {  // a mid-year visit
      if (Canine(p)) immunize(3, 1);
      order(10, 3, 2);
      return;
    }
    order(11, 1, 3);
    if (Canine(p)) {
      for (int v : kCanineVaccines) immunize(v, 4 + v);
      if (Chance(p, day * 64 + 20, 0.7)) order(9, 6, 21);
    } else {
      for (int v : kFelineVaccines) immunize(v, 4 + v);
    }
    if (Chance(p, day * 64 + 22, 0.5)) order(10, 3, 23);
  }

  Node Day(int64_t day) {
    std::vector<Node> ops;
    const uint64_t cycle = static_cast<uint64_t>(day) / 365;
    // New patients, each with a first visit.
    while (next_reg_ < patients_ && RegDay(next_reg_) == day) {
      Register(next_reg_, day, &ops);
      Visit(next_reg_, day, true, &ops, /*new_today=*/true);
      ++next_reg_;
    }
    // Annual visits on the days of the year p * 97 % 365 (spread over the
    // year however few patients; 143 is 97's inverse mod 365); mid-year
    // ones half a year later.
    for (uint64_t p = FirstOnDay(day); p < next_reg_; p += 365) {
      if (p == 0 || RegDay(p) >= day || cycle > DeathCycle(p)) continue;
      if (cycle == DeathCycle(p)) {
        ops.push_back(Node::Vector({Kw("db/add"), Lookup("patient/id", PatientId(p)), Kw("patient/deceased?"),
                                    Node::Bool(true)}));
        continue;
      }
      if (Chance(p, 200 + cycle, 0.2)) continue;  // skipped this year
      Visit(p, day, true, &ops);
    }
    for (uint64_t p = FirstOnDay(day + 183); p < next_reg_; p += 365) {
      if (p == 0 || RegDay(p) >= day || cycle >= DeathCycle(p) || !Chance(p, 300 + cycle, 0.4)) continue;
      Visit(p, day, false, &ops);
    }
    if (ops.empty()) return Node::Vector();
    ops.push_back(Node::Vector({Kw("db/add"), Str("datomic.tx"), Kw("db/txInstant"), Node::Inst(Instant(day))}));
    return Node::Vector(std::move(ops));
  }

  void NextRead(Step* out) {
    out->kind = Step::Kind::kRead;
    out->tx = Node();
    const uint64_t p = reads_rng_() % next_reg_;
    const int64_t today = std::max<int64_t>(0, day_ - 1);
    switch (reads_rng_() % 3) {
      case 0:
        out->read_name = "patient-reminders";
        out->read = [id = PatientId(p)](const Database& db) -> Status {
          STRATA_ASSIGN_OR_RETURN(EntityId e, db.Entid(Lookup("patient/id", id)));
          return PatientReminders(db, e).status();
        };
        break;
      case 1:
        out->read_name = "location-due";
        out->read = [id = LocationId(p)](const Database& db) -> Status {
          STRATA_ASSIGN_OR_RETURN(EntityId l, db.Entid(Lookup("location/id", id)));
          STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> instant, db.TxInstant(db.basis_t()));
          const int64_t now = instant.value_or(0);
          return LocationDue(db, l, now + 30 * kRemindersDayMs).status();
        };
        break;
      default: {
        out->read_name = "what-we-knew";
        const int64_t from = RegDay(p);
        const int64_t day = from + static_cast<int64_t>(reads_rng_() % static_cast<uint64_t>(today - from + 1));
        out->read = [id = PatientId(p), at = Instant(day)](const Database& db) -> Status {
          STRATA_ASSIGN_OR_RETURN(const Database then, db.AsOfInstant(at));
          STRATA_ASSIGN_OR_RETURN(EntityId e, then.Entid(Lookup("patient/id", id)));
          return PatientReminders(then, e).status();
        };
        break;
      }
    }
  }

  WorkloadOptions options_;
  uint64_t patients_, locations_, cohort_;
  int64_t day_ = -1;        // -1: the catalog comes first
  uint64_t next_reg_ = 0;   // patients registered so far
  std::mt19937_64 reads_rng_;  // raw outputs only
  ReadPacer pacer_;
};

}  // namespace

Result<std::vector<Reminder>> PatientReminders(const Database& db, EntityId patient) {
  STRATA_ASSIGN_OR_RETURN(Ids x, Resolve(db));
  STRATA_ASSIGN_OR_RETURN(Catalog cat, LoadCatalog(db, x));
  return Derive(db, x, cat, patient);
}

Result<std::vector<DueReminder>> LocationDue(const Database& db, EntityId location, int64_t until_ms) {
  STRATA_ASSIGN_OR_RETURN(Ids x, Resolve(db));
  STRATA_ASSIGN_OR_RETURN(Catalog cat, LoadCatalog(db, x));
  std::vector<DueReminder> out;
  STRATA_ASSIGN_OR_RETURN(DatomCursor clients, db.Datoms(Index::kVaet, {Value::Ref(location), Value::Ref(x.client_location)}));
  for (; clients.Valid(); clients.Next()) {
    const EntityId client = clients.datom().e;
    STRATA_ASSIGN_OR_RETURN(DatomCursor pets, db.Datoms(Index::kVaet, {Value::Ref(client), Value::Ref(x.patient_client)}));
    for (; pets.Valid(); pets.Next()) {
      const EntityId patient = pets.datom().e;
      STRATA_ASSIGN_OR_RETURN(auto deceased, One(db, patient, x.patient_deceased));
      if (deceased && deceased->as_bool()) continue;
      STRATA_ASSIGN_OR_RETURN(std::vector<Reminder> rs, Derive(db, x, cat, patient));
      for (Reminder& r : rs)
        if (r.due_ms <= until_ms) out.push_back(DueReminder{client, patient, std::move(r)});
    }
    STRATA_RETURN_IF_ERROR(pets.status());
  }
  STRATA_RETURN_IF_ERROR(clients.status());
  return out;
}

std::unique_ptr<Workload> NewRemindersWorkload(const WorkloadOptions& options) {
  return std::make_unique<RemindersWorkload>(options);
}

}  // namespace strata::workloads
