// The "corrections" workload (see corrections.h).

#include "workloads/corrections.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "strata/connection.h"
#include "strata/query.h"

namespace strata::workloads {

namespace {

using edn::Node;

constexpr int kManagers = 5;
constexpr uint64_t kBadCount = 999;
constexpr const char* kTribble = "Tribble: a low maintenance pet.";
constexpr const char* kWarehouses[] = {"warehouse/east", "warehouse/west", "warehouse/north"};
constexpr const char* kNouns[] = {"widget", "gizmo", "sprocket", "flange", "doohickey", "gasket", "bracket", "valve"};
constexpr const char* kAdjectives[] = {"red", "steel", "tiny", "deluxe", "spare", "heavy", "spring-loaded"};

Node Kw(const char* s) { return Node::Keyword(s); }
Node Str(std::string s) { return Node::String(std::move(s)); }

Node Attr(const char* ident, const char* type, const char* doc, bool unique = false, bool index = false) {
  std::vector<Node> kvs = {Kw("db/ident"),       Kw(ident),
                           Kw("db/valueType"),   Node::Keyword(std::string("db.type/") + type),
                           Kw("db/cardinality"), Kw("db.cardinality/one"),
                           Kw("db/doc"),         Str(doc)};
  if (unique) kvs.insert(kvs.end(), {Kw("db/unique"), Kw("db.unique/identity")});
  if (index) kvs.insert(kvs.end(), {Kw("db/index"), Node::Bool(true)});
  return Node::Map(std::move(kvs));
}

Node ItemRef(const std::string& id) { return Node::Vector({Kw("item/id"), Str(id)}); }
Node ManagerRef(int k) { return Node::Vector({Kw("manager/email"), Str("m" + std::to_string(k) + "@example.com")}); }
std::string ItemId(uint64_t n) { return "I-" + std::to_string(n); }
std::string BadId(uint64_t j) { return "BAD-" + std::to_string(j); }
Node OnTx(const char* attr, Node v) { return Node::Vector({Kw("db/add"), Str("datomic.tx"), Kw(attr), std::move(v)}); }

// ---- reads ------------------------------------------------------------------

Result<EntityId> AttrId(const Database& db, const char* ident) {
  const Attribute* a = db.attribute(ident);
  if (a == nullptr) return Status::NotFound(std::string("no attribute :") + ident);
  return a->id;
}

Status FindByKey(const Database& db, const std::string& key, bool must_exist) {
  STRATA_ASSIGN_OR_RETURN(EntityId id_attr, AttrId(db, "item/id"));
  const Database hist = db.History();
  STRATA_ASSIGN_OR_RETURN(DatomCursor by_key, hist.Datoms(Index::kAvet, {Value::Ref(id_attr), Value::String(key)}));
  if (!by_key.Valid()) {
    STRATA_RETURN_IF_ERROR(by_key.status());
    if (must_exist) return Status::NotFound("find-by-key: no item " + key);
    return Status::OK();  // excised: forgotten on purpose
  }
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, hist.Datoms(Index::kEavt, {Value::Ref(by_key.datom().e)}));
  // The Tribbles question: every fact, and when and why each changed.
  STRATA_ASSIGN_OR_RETURN(EntityId doc, AttrId(db, "db/doc"));
  std::set<T> txs;
  STRATA_RETURN_IF_ERROR(ForEach(c, [&](const Datom& d) { txs.insert(d.t()); }));
  for (T t : txs) {
    STRATA_RETURN_IF_ERROR(db.TxInstant(t).status());
    STRATA_RETURN_IF_ERROR(db.Values(TxId(t), doc).status());
  }
  return Status::OK();
}

// By recency, as the article does it: what did the latest transaction say?
// (Its datoms from the log, with attribute names.) Then, over the last
// `window` transactions, which counts changed and which are absurd.
Status FindRecent(const Database& db, const Connection* log, uint64_t window) {
  if (log != nullptr) {
    static const Node kLatest = edn::ReadOne(
        "[:find ?e ?aname ?v ?added :in $ ?log ?tx"
        " :where [(tx-data ?log ?tx) [[?e ?a ?v _ ?added]]] [?a :db/ident ?aname]]").value();
    STRATA_ASSIGN_OR_RETURN(Node latest,
                            Q(kLatest, {db, LogSource{log}, Node::Long(static_cast<int64_t>(db.basis_t()))}));
    if (latest.items.empty()) return Status::NotFound("find-recent: the latest transaction has no datoms in the log");
  }
  STRATA_ASSIGN_OR_RETURN(EntityId count, AttrId(db, "item/count"));
  const T basis = db.basis_t();
  const Database recent = db.Since(basis > window ? basis - window : 0);
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, recent.Datoms(Index::kAevt, {Value::Ref(count)}));
  uint64_t changed = 0, absurd = 0;
  STRATA_RETURN_IF_ERROR(ForEach(c, [&](const Datom& d) {
    ++changed;
    absurd += d.v.as_long() >= static_cast<int64_t>(kBadCount);
  }));
  (void)changed;
  (void)absurd;
  return Status::OK();
}

Status CorrectionsAudit(const Database& db, int manager) {
  STRATA_ASSIGN_OR_RETURN(EntityId by, AttrId(db, "correction/by"));
  STRATA_ASSIGN_OR_RETURN(EntityId doc, AttrId(db, "db/doc"));
  STRATA_ASSIGN_OR_RETURN(EntityId m, db.Entid(ManagerRef(manager)));
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kVaet, {Value::Ref(m), Value::Ref(by)}));
  return ForEach(c, [&](const Datom& d) -> Status {
    STRATA_RETURN_IF_ERROR(db.Values(d.e, doc).status());
    return db.TxInstant(TOf(d.e)).status();
  });
}

// ---- the generator ------------------------------------------------------------

class CorrectionsWorkload final : public Workload {
 public:
  explicit CorrectionsWorkload(const WorkloadOptions& options)
      : options_(options), rng_(options.seed), reads_rng_(options.seed * 0x9E3779B97F4A7C15ULL + 0xC0AA) {
    const double tx = std::llround(std::max(0.0, options.scale) * kCorrectionsTransactionsPerScale);
    slots_ = std::max<uint64_t>(1, static_cast<uint64_t>(tx));
  }

  std::string name() const override { return "corrections"; }

  std::vector<Node> Schema() const override {
    return {Node::Vector({
        Attr("item/id", "string", "an inventory item's key", true),
        Attr("item/description", "string", "what the item is"),
        Attr("item/count", "long", "how many are in stock", false, true),
        Attr("item/warehouse", "keyword", "where they are"),
        Attr("manager/email", "string", "a manager, who may correct mistakes", true),
        Attr("manager/name", "string", "a manager's name"),
        Attr("correction/by", "ref", "on a transaction: the manager who made this correction"),
        Attr("correction/reverts", "ref", "on a transaction: the transaction it reverts"),
        Attr("correction/kind", "keyword", "on a transaction: how the mistake was corrected"),
    })};
  }

  void RegisterTxFunctions(Connection& conn) const override {
    conn.RegisterTxFunction("correction/revert-latest", RevertLatest);
    log_ = &conn;  // "find-recent" reads the log through it
  }

  bool Next(Step* out) override {
    if (pacer_.Due() && items_ > 0) {
      pacer_.Read();
      NextRead(out);
      return true;
    }
    if (slot_ >= slots_ && !pending_) return false;
    SetTransact(out, NextTx());
    ++slot_;
    pacer_.Transacted(options_.read_ratio);
    return true;
  }

  uint64_t EstimatedSteps() const override {
    return static_cast<uint64_t>(static_cast<double>(slots_ + 6) * (1 + std::max(0.0, options_.read_ratio)));
  }

 private:
  struct Pending {
    uint64_t due;     // the slot that corrects it
    uint64_t j;       // bad event number
    std::string key;  // the item's id
  };

  uint64_t Rand() { return rng_(); }

  // An item created before this transaction, other than the one under
  // correction; 2 <= below (the items that exist).
  uint64_t PickItem(uint64_t below) {
    for (;;) {
      const uint64_t n = Rand() % below;
      if (!pending_ || pending_->key != ItemId(n)) return n;
    }
  }

  Node NewItem(const std::string& id, const std::string& description, int64_t count) {
    return Node::Map({Kw("item/id"), Str(id), Kw("item/description"), Str(description), Kw("item/count"),
                      Node::Long(count), Kw("item/warehouse"), Kw(kWarehouses[Rand() % 3])});
  }

  Node NewOrdinaryItem() {
    const uint64_t n = items_++;
    return NewItem(ItemId(n),
                   std::string(kAdjectives[Rand() % 7]) + " " + kNouns[Rand() % 8] + " #" + std::to_string(n),
                   static_cast<int64_t>(Rand() % 200));
  }

  Node NextTx() {
    std::vector<Node> ops;
    if (slot_ == 0) {
      for (int k = 0; k < kManagers; ++k)
        ops.push_back(Node::Map({Kw("manager/email"), ManagerRef(k).items[1], Kw("manager/name"),
                                 Str("Manager " + std::to_string(k))}));
      return Node::Vector(std::move(ops));
    }
    if (pending_ && (pending_->due <= slot_ || slot_ >= slots_)) return Correction();
    if (slot_ % 10 == 5) return Mistake(slot_ / 10);
    // Ordinary: three new items, two counts updated.
    const uint64_t before = items_;
    for (int i = 0; i < 3; ++i) ops.push_back(NewOrdinaryItem());
    if (before >= 3) {
      const uint64_t a = PickItem(before);
      uint64_t b = PickItem(before);
      while (b == a) b = PickItem(before);
      for (uint64_t n : {a, b})
        ops.push_back(Node::Vector({Kw("db/add"), ItemRef(ItemId(n)), Kw("item/count"),
                                    Node::Long(static_cast<int64_t>(Rand() % 200))}));
    }
    return Node::Vector(std::move(ops));
  }

  Node Mistake(uint64_t j) {
    std::vector<Node> ops;
    const uint64_t before = items_;
    ops.push_back(NewOrdinaryItem());  // mistakes come with good data
    std::string key;
    if (j % 4 <= 1) {
      key = BadId(j);
      ops.push_back(NewItem(key, kTribble, kBadCount));
    } else {
      key = ItemId(PickItem(before));
      ops.push_back(Node::Vector({Kw("db/add"), ItemRef(key), Kw("item/count"), Node::Long(kBadCount)}));
    }
    pending_ = Pending{slot_ + 1 + j % 5, j, key};
    return Node::Vector(std::move(ops));
  }

  Node Correction() {
    const Pending p = *pending_;
    pending_.reset();
    const int manager = static_cast<int>(p.j % kManagers);
    std::vector<Node> ops;
    auto provenance = [&](const char* kind, const std::string& doc) {
      ops.push_back(OnTx("correction/by", ManagerRef(manager)));
      ops.push_back(OnTx("correction/kind", Node::Keyword(std::string("correction.kind/") + kind)));
      ops.push_back(OnTx("db/doc", Str(doc)));
    };
    switch (p.j % 4) {
      case 0:
        if (p.j % 10 == 4) {
          ops.push_back(Node::Vector({Kw("db/excise"), ItemRef(p.key)}));
          provenance("excise", "Excised " + p.key + ": entered by mistake, must not be kept.");
        } else {
          ops.push_back(Node::Vector({Kw("db/retractEntity"), ItemRef(p.key)}));
          provenance("retract-entity", "We do not sell Tribbles: " + p.key + " never existed.");
        }
        break;
      case 1:
        ops.push_back(Node::Vector({Kw("db/add"), ItemRef(p.key), Kw("item/count"), Node::Long(0)}));
        ops.push_back(OnTx("db/doc", Str("Error correction entry. We do not sell Tribbles.")));
        break;
      default:
        ops.push_back(Node::Vector({Kw("correction/revert-latest"), ItemRef(p.key), Kw("item/count"),
                                    Node::Long(kBadCount), Str("Count of " + p.key + " was a typo."),
                                    ManagerRef(manager)}));
        break;
    }
    return Node::Vector(std::move(ops));
  }

  void NextRead(Step* out) {
    out->kind = Step::Kind::kRead;
    out->tx = Node();
    const uint64_t bad_events = slot_ > 5 ? (slot_ - 6) / 10 + 1 : 0;
    switch (reads_rng_() % 3) {
      case 0: {
        out->read_name = "find-by-key";
        const bool bogus = bad_events > 0 && reads_rng_() % 2 == 0;
        const std::string key = bogus ? BadId((reads_rng_() % bad_events) & ~uint64_t{2}) : ItemId(reads_rng_() % items_);
        out->read = [key, bogus](const Database& db) { return FindByKey(db, key, !bogus); };
        break;
      }
      case 1:
        out->read_name = "find-recent";
        out->read = [log = log_](const Database& db) { return FindRecent(db, log, 20); };
        break;
      default: {
        out->read_name = "corrections-audit";
        const int m = static_cast<int>(reads_rng_() % kManagers);
        out->read = [m](const Database& db) { return CorrectionsAudit(db, m); };
        break;
      }
    }
  }

  WorkloadOptions options_;
  std::mt19937_64 rng_, reads_rng_;  // raw outputs only
  uint64_t slots_;
  uint64_t slot_ = 0;
  uint64_t items_ = 0;
  std::optional<Pending> pending_;
  ReadPacer pacer_;
  mutable const Connection* log_ = nullptr;  // set by RegisterTxFunctions; outlives the steps
};

}  // namespace

Result<Node> RevertLatest(const Database& db, const std::vector<Node>& args) {
  if (args.size() != 5 || args[1].kind != edn::Kind::kKeyword || args[3].kind != edn::Kind::kString)
    return Status::InvalidArgument(":correction/revert-latest takes [entity :attr bad-value \"doc\" manager]");
  STRATA_ASSIGN_OR_RETURN(EntityId e, db.Entid(args[0]));
  const Attribute* attr = db.attribute(args[1].s);
  if (attr == nullptr) return Status::InvalidArgument("unknown attribute :" + args[1].s);
  STRATA_ASSIGN_OR_RETURN(Value bad, db.ToValue(*attr, args[2]));
  // Everything ever said about e; the latest transaction among it.
  STRATA_ASSIGN_OR_RETURN(std::vector<Datom> hist, db.History().DatomsVector(Index::kEavt, {Value::Ref(e)}));
  T latest = 0;
  for (const Datom& d : hist) latest = std::max(latest, d.t());
  bool found = false;
  for (const Datom& d : hist) found = found || (d.t() == latest && d.a == attr->id && d.v == bad && d.added);
  if (!found)
    return Status::Conflict("the latest transaction on " + edn::Print(args[0]) + " (t " + std::to_string(latest) +
                            ") did not assert :" + attr->ident + " " + edn::Print(args[2]) +
                            ": it changed since, review it first");
  std::vector<Node> ops;
  for (const Datom& d : hist) {
    if (d.t() != latest) continue;
    ops.push_back(Node::Vector({Kw(d.added ? "db/retract" : "db/add"), Node::Long(static_cast<int64_t>(e)),
                                Node::Long(static_cast<int64_t>(d.a)), db.ValueToEdn(d.v)}));
  }
  ops.push_back(OnTx("correction/reverts", Node::Long(static_cast<int64_t>(TxId(latest)))));
  ops.push_back(OnTx("correction/by", args[4]));
  ops.push_back(OnTx("correction/kind", Kw("correction.kind/revert")));
  ops.push_back(OnTx("db/doc", args[3]));
  return Node::Vector(std::move(ops));
}

std::unique_ptr<Workload> NewCorrectionsWorkload(const WorkloadOptions& options) {
  return std::make_unique<CorrectionsWorkload>(options);
}

}  // namespace strata::workloads
