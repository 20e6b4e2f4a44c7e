// The "permissions" workload (see permissions.h): the access rules, as
// Datalog and as a walk, the :perm/create transaction function, and the
// generator.

#include "workloads/permissions.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "strata/connection.h"
#include "strata/query.h"

namespace strata::workloads {

namespace {

using edn::Node;

constexpr int kAdmins = 2, kPhysicians = 4;
constexpr int kMaxDepth = 64;  // resource hierarchies are shallower; a cycle stops here

Node Kw(const std::string& s) { return Node::Keyword(s); }
Node Str(std::string s) { return Node::String(std::move(s)); }
Node Lookup(const char* attr, std::string id) { return Node::Vector({Kw(attr), Str(std::move(id))}); }

// ---- the walk ---------------------------------------------------------------

struct Attrs {
  EntityId parent, account, owner, clinic, admins, physicians, contains, access, members;
};

Result<Attrs> Resolve(const Database& db) {
  Attrs a;
  const std::pair<EntityId*, const char*> want[] = {
      {&a.parent, "resource/parent"},   {&a.account, "resource/account"}, {&a.owner, "account/owner"},
      {&a.clinic, "account/clinic"},    {&a.admins, "clinic/admins"},     {&a.physicians, "clinic/physicians"},
      {&a.contains, "group/contains"},  {&a.access, "group/access"},      {&a.members, "group/members"},
  };
  for (const auto& [slot, ident] : want) {
    const Attribute* at = db.attribute(ident);
    if (at == nullptr) return Status::NotFound(std::string("permissions: no attribute :") + ident);
    *slot = at->id;
  }
  return a;
}

Result<bool> Has(const Database& db, EntityId e, EntityId a, const Value& v) {
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kEavt, {Value::Ref(e), Value::Ref(a), v}));
  if (c.Valid()) return true;
  STRATA_RETURN_IF_ERROR(c.status());
  return false;
}

// The resource, its ancestors, and the accounts any of them names.
Result<std::vector<EntityId>> Within(const Database& db, const Attrs& a, EntityId r) {
  std::vector<EntityId> out;
  EntityId x = r;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    out.push_back(x);
    STRATA_ASSIGN_OR_RETURN(std::vector<Value> accounts, db.Values(x, a.account));
    for (const Value& acct : accounts) out.push_back(acct.ref());
    STRATA_ASSIGN_OR_RETURN(const std::vector<Value> up, db.Values(x, a.parent));
    if (up.empty()) break;
    x = up.front().ref();
  }
  return out;
}

// A group containing x, with access `access`, has u as a member.
Result<bool> Granted(const Database& db, const Attrs& a, EntityId x, EntityId u, const char* access) {
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kVaet, {Value::Ref(x), Value::Ref(a.contains)}));
  for (; c.Valid(); c.Next()) {
    const EntityId g = c.datom().e;
    STRATA_ASSIGN_OR_RETURN(bool access_ok, Has(db, g, a.access, Value::Keyword(access)));
    if (!access_ok) continue;
    STRATA_ASSIGN_OR_RETURN(bool member, Has(db, g, a.members, Value::Ref(u)));
    if (member) return true;
  }
  STRATA_RETURN_IF_ERROR(c.status());
  return false;
}

Result<bool> ClinicRole(const Database& db, const Attrs& a, EntityId account, EntityId role, EntityId u) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Value> clinics, db.Values(account, a.clinic));
  for (const Value& c : clinics) {
    STRATA_ASSIGN_OR_RETURN(bool has, Has(db, c.ref(), role, Value::Ref(u)));
    if (has) return true;
  }
  return false;
}

// ---- the generator ------------------------------------------------------------

Node Attr(const char* ident, const char* type, bool many, const char* doc, bool unique = false) {
  std::vector<Node> kvs = {Kw("db/ident"),       Kw(ident),
                           Kw("db/valueType"),   Kw(std::string("db.type/") + type),
                           Kw("db/cardinality"), Kw(many ? "db.cardinality/many" : "db.cardinality/one"),
                           Kw("db/doc"),         Str(doc)};
  if (unique) kvs.insert(kvs.end(), {Kw("db/unique"), Kw("db.unique/identity")});
  return Node::Map(std::move(kvs));
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

class PermissionsWorkload final : public Workload {
 public:
  explicit PermissionsWorkload(const WorkloadOptions& options)
      : options_(options), reads_rng_(options.seed * 0x9E3779B97F4A7C15ULL + 0xACC5) {
    const double scale = std::max(0.0, options.scale);
    txs_ = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(scale * kPermissionsTransactionsPerScale)));
    clinics_ = std::max<uint64_t>(2, static_cast<uint64_t>(std::llround(scale * 10)));
  }

  std::string name() const override { return "permissions"; }

  std::vector<Node> Schema() const override {
    return {Node::Vector({
        Attr("user/id", "string", false, "a user", true),
        Attr("user/name", "string", false, "a user's name"),
        Attr("user/role", "keyword", false, ":role/admin, :role/physician or :role/patient"),
        Attr("clinic/id", "string", false, "a clinic", true),
        Attr("clinic/name", "string", false, "a clinic's name"),
        Attr("clinic/admins", "ref", true, "users who may write every resource of the clinic's accounts"),
        Attr("clinic/physicians", "ref", true, "users who may read every resource of the clinic's accounts"),
        Attr("account/id", "string", false, "a patient's account", true),
        Attr("account/clinic", "ref", false, "the clinic an account belongs to"),
        Attr("account/owner", "ref", false, "the patient (user) who owns the account"),
        Attr("resource/id", "string", false, "a record, folder or item", true),
        Attr("resource/kind", "keyword", false, ":kind/record, :kind/folder, :kind/lab or :kind/note"),
        Attr("resource/title", "string", false, "a resource's title"),
        Attr("resource/account", "ref", false, "on a root resource: the account holding it"),
        Attr("resource/parent", "ref", false, "the resource this one is under"),
        Attr("resource/creator", "ref", false, "the user who created it (set by :perm/create)"),
        Attr("group/id", "string", false, "a lightweight group", true),
        Attr("group/owner", "ref", false, "the user who made the group"),
        Attr("group/members", "ref", true, "users the group grants access to"),
        Attr("group/contains", "ref", true, "resources or accounts (and all under them) the group covers"),
        Attr("group/access", "keyword", false, ":access/read or :access/write"),
        Attr("group/kind", "keyword", false, ":group.kind/own, :group.kind/active-patients or :group.kind/share"),
    })};
  }

  void RegisterTxFunctions(Connection& conn) const override { conn.RegisterTxFunction("perm/create", PermCreate); }

  bool Next(Step* out) override {
    if (pacer_.Due() && i_ > 0) {
      pacer_.Read();
      NextRead(out);
      return true;
    }
    if (i_ >= txs_) return false;
    SetTransact(out, NextTx());
    ++i_;
    pacer_.Transacted(options_.read_ratio);
    return true;
  }

  uint64_t EstimatedSteps() const override {
    return static_cast<uint64_t>(static_cast<double>(txs_) * (1 + std::max(0.0, options_.read_ratio)));
  }

 private:
  uint64_t H(uint64_t i, uint64_t salt) const { return Mix(options_.seed * 0x100000001B3ULL ^ Mix(i * 64 + salt)); }
  static bool IsItemTx(uint64_t i) { return i % 5 != 0 && i % 10 != 4 && i % 10 != 9; }
  // Accounts that exist before transaction i (i >= 1).
  uint64_t Accounts(uint64_t i) const { return 2 * clinics_ + (i - 1) / 5; }
  uint64_t ClinicOf(uint64_t a) const { return a % clinics_; }
  static std::string Admin(uint64_t c, uint64_t k) { return "U-a" + std::to_string(c) + "." + std::to_string(k); }
  static std::string Physician(uint64_t c, uint64_t k) { return "U-d" + std::to_string(c) + "." + std::to_string(k); }
  static std::string Patient(uint64_t a) { return "U-p" + std::to_string(a); }
  static std::string Folder(uint64_t a, bool labs) { return "R-" + std::to_string(a) + (labs ? "/labs" : "/notes"); }

  // The item transaction j created: its account, folder, id and creator.
  struct Item {
    uint64_t account;
    bool labs;
    std::string id, creator;
  };
  Item ItemOf(uint64_t j) const {
    Item it;
    it.account = H(j, 0) % Accounts(j);
    it.labs = H(j, 1) % 2 == 0;
    it.id = Folder(it.account, it.labs) + "/" + std::to_string(j);
    const uint64_t c = ClinicOf(it.account);
    switch (H(j, 2) % 3) {
      case 0: it.creator = Patient(it.account); break;
      case 1: it.creator = Physician(c, H(j, 3) % kPhysicians); break;
      default: it.creator = Admin(c, H(j, 3) % kAdmins); break;
    }
    return it;
  }

  // An account with its owner, record and folders. In the setup
  // transaction the clinic is named by its tempid.
  void AddAccount(uint64_t a, std::vector<Node>* ops, bool setup = false) const {
    const std::string clinic = "K-" + std::to_string(ClinicOf(a));
    const std::string user = Patient(a), account = "A-" + std::to_string(a), root = "R-" + std::to_string(a);
    ops->push_back(Node::Map({Kw("db/id"), Str(user), Kw("user/id"), Str(user), Kw("user/name"),
                              Str("Patient " + std::to_string(a)), Kw("user/role"), Kw("role/patient")}));
    ops->push_back(Node::Map({Kw("db/id"), Str(account), Kw("account/id"), Str(account), Kw("account/clinic"),
                              setup ? Str(clinic) : Lookup("clinic/id", clinic), Kw("account/owner"),
                              Str(user)}));
    // The record and its folders, created by the owner (who may write them as owner).
    ops->push_back(Node::Map({Kw("db/id"), Str(root), Kw("resource/id"), Str(root), Kw("resource/kind"),
                              Kw("kind/record"), Kw("resource/title"), Str("Record of patient " + std::to_string(a)),
                              Kw("resource/account"), Str(account), Kw("resource/creator"), Str(user)}));
    for (bool labs : {true, false})
      ops->push_back(Node::Map({Kw("resource/id"), Str(Folder(a, labs)), Kw("resource/kind"), Kw("kind/folder"),
                                Kw("resource/title"), Str(labs ? "Labs" : "Notes"), Kw("resource/parent"), Str(root),
                                Kw("resource/creator"), Str(user)}));
  }

  Node NextTx() const {
    std::vector<Node> ops;
    const uint64_t i = i_;
    if (i == 0) {
      for (uint64_t c = 0; c < clinics_; ++c) {
        std::vector<Node> admins, physicians;
        for (int k = 0; k < kAdmins + kPhysicians; ++k) {
          const bool admin = k < kAdmins;
          const std::string id = admin ? Admin(c, k) : Physician(c, k - kAdmins);
          ops.push_back(Node::Map({Kw("db/id"), Str(id), Kw("user/id"), Str(id), Kw("user/name"),
                                   Str((admin ? "Administrator " : "Dr. ") + id.substr(3)), Kw("user/role"),
                                   Kw(admin ? "role/admin" : "role/physician")}));
          (admin ? admins : physicians).push_back(Str(id));
        }
        ops.push_back(Node::Map({Kw("db/id"), Str("K-" + std::to_string(c)), Kw("clinic/id"), Str("K-" + std::to_string(c)), Kw("clinic/name"),
                                 Str("Clinic " + std::to_string(c)), Kw("clinic/admins"), Node::Vector(admins),
                                 Kw("clinic/physicians"), Node::Vector(physicians)}));
      }
      for (uint64_t a = 0; a < 2 * clinics_; ++a) AddAccount(a, &ops, /*setup=*/true);
      return Node::Vector(std::move(ops));
    }
    if (i % 5 == 0) {
      AddAccount(Accounts(i), &ops);
    } else if (i % 10 == 4) {
      // A physician takes an account of their clinic among their active patients.
      const uint64_t a = H(i, 0) % Accounts(i);
      const std::string doc = Physician(ClinicOf(a), H(i, 1) % kPhysicians);
      ops.push_back(Node::Map({Kw("group/id"), Str("active:" + doc), Kw("group/owner"), Lookup("user/id", doc),
                               Kw("group/members"), Node::Vector({Lookup("user/id", doc)}), Kw("group/access"),
                               Kw("access/write"), Kw("group/kind"), Kw("group.kind/active-patients"),
                               Kw("group/contains"), Node::Vector({Lookup("account/id", "A-" + std::to_string(a))})}));
    } else if (i % 10 == 9) {
      // A patient shares a recent item, or its whole folder, with someone.
      const Item it = ItemOf(i - 1 - H(i, 0) % 3);
      const std::string target = H(i, 1) % 2 ? it.id : Folder(it.account, it.labs);
      ops.push_back(Node::Map({Kw("group/id"), Str("share:" + std::to_string(i)), Kw("group/owner"),
                               Lookup("user/id", Patient(it.account)), Kw("group/members"),
                               Node::Vector({Lookup("user/id", ShareMember(i, it.account))}), Kw("group/access"),
                               Kw("access/read"), Kw("group/kind"), Kw("group.kind/share"), Kw("group/contains"),
                               Node::Vector({Lookup("resource/id", target)})}));
    } else {
      const Item it = ItemOf(i);
      Node m = Node::Map({Kw("db/id"), Str("item"), Kw("resource/id"), Str(it.id), Kw("resource/kind"),
                          Kw(it.labs ? "kind/lab" : "kind/note"), Kw("resource/title"),
                          Str((it.labs ? "Lab result " : "Note ") + std::to_string(i)), Kw("resource/parent"),
                          Lookup("resource/id", Folder(it.account, it.labs))});
      ops.push_back(Node::Vector({Kw("perm/create"), std::move(m), Lookup("user/id", it.creator)}));
    }
    return Node::Vector(std::move(ops));
  }

  // Another patient, or a physician of another clinic.
  std::string ShareMember(uint64_t i, uint64_t account) const {
    if (H(i, 2) % 2 == 0) {
      const uint64_t n = Accounts(i);
      return Patient((account + 1 + H(i, 3) % (n - 1)) % n);
    }
    const uint64_t c = (ClinicOf(account) + 1 + H(i, 3) % (clinics_ - 1)) % clinics_;
    return Physician(c, H(i, 4) % kPhysicians);
  }

  void NextRead(Step* out) {
    out->kind = Step::Kind::kRead;
    out->tx = Node();
    // Half the pairs are related (an item and its creator, or a share and
    // its member); the others random.
    std::string user, resource;
    const uint64_t j = 1 + reads_rng_() % std::max<uint64_t>(1, i_ - 1);
    if (i_ > 1 && IsItemTx(j) && reads_rng_() % 2 == 0) {
      const Item it = ItemOf(j);
      user = it.creator;
      resource = it.id;
    } else if (i_ > 1 && j % 10 == 9 && j < i_) {
      const Item it = ItemOf(j - 1 - H(j, 0) % 3);
      user = ShareMember(j, it.account);
      resource = it.id;
    } else {
      const uint64_t accounts = i_ > 1 ? Accounts(i_) : 2 * clinics_;
      const uint64_t a = reads_rng_() % accounts, b = reads_rng_() % accounts;
      const uint64_t c = ClinicOf(b);
      switch (reads_rng_() % 3) {
        case 0: user = Patient(b); break;
        case 1: user = Physician(c, reads_rng_() % kPhysicians); break;
        default: user = Admin(c, reads_rng_() % kAdmins); break;
      }
      resource = reads_rng_() % 3 == 0 ? "R-" + std::to_string(a) : Folder(a, reads_rng_() % 2 == 0);
    }
    const bool write = reads_rng_() % 2 == 0;
    out->read_name = write ? "can-write" : "can-read";
    out->read = [user, resource, write](const Database& db) -> Status {
      STRATA_ASSIGN_OR_RETURN(EntityId u, db.Entid(Lookup("user/id", user)));
      STRATA_ASSIGN_OR_RETURN(EntityId r, db.Entid(Lookup("resource/id", resource)));
      auto ok = write ? CanWriteByRules(db, u, r) : CanReadByRules(db, u, r);
      return ok.status();
    };
  }

  WorkloadOptions options_;
  uint64_t txs_, clinics_;
  uint64_t i_ = 0;
  std::mt19937_64 reads_rng_;  // raw outputs only
  ReadPacer pacer_;
};

Result<bool> Ask(const Database& db, const char* rule, EntityId user, EntityId resource) {
  static const Node kRules = edn::ReadOne(PermissionRulesEdn()).value();
  auto query = [](const char* r) {
    return edn::ReadOne(std::string("[:find ?u :in $ % ?u ?r :where (") + r + " ?u ?r)]").value();
  };
  static const Node kCanRead = query("can-read");
  static const Node kCanWrite = query("can-write");
  STRATA_ASSIGN_OR_RETURN(Node res, Q(std::string_view(rule) == "can-read" ? kCanRead : kCanWrite,
                                      {db, kRules, Node::Long(static_cast<int64_t>(user)),
                                       Node::Long(static_cast<int64_t>(resource))}));
  return !res.items.empty();
}

}  // namespace

const std::string& PermissionRulesEdn() {
  static const std::string kRules = R"([
 ;; ?x is ?r, one of its ancestors, or the account any of them names
 [(within ?r ?x) [(identity ?r) ?x]]
 [(within ?r ?x) [?r :resource/parent ?p] (within ?p ?x)]
 [(within ?r ?x) [?r :resource/account ?x]]
 [(can-write ?u ?r) (within ?r ?a) [?a :account/owner ?u]]
 [(can-write ?u ?r) (within ?r ?a) [?a :account/clinic ?c] [?c :clinic/admins ?u]]
 [(can-write ?u ?r) (within ?r ?x) [?g :group/contains ?x] [?g :group/access :access/write] [?g :group/members ?u]]
 [(can-read ?u ?r) (can-write ?u ?r)]
 [(can-read ?u ?r) (within ?r ?a) [?a :account/clinic ?c] [?c :clinic/physicians ?u]]
 [(can-read ?u ?r) (within ?r ?x) [?g :group/contains ?x] [?g :group/access :access/read] [?g :group/members ?u]]])";
  return kRules;
}

Result<bool> CanReadByRules(const Database& db, EntityId user, EntityId resource) {
  return Ask(db, "can-read", user, resource);
}

Result<bool> CanWriteByRules(const Database& db, EntityId user, EntityId resource) {
  return Ask(db, "can-write", user, resource);
}

Result<bool> CanWriteByWalk(const Database& db, EntityId u, EntityId r) {
  STRATA_ASSIGN_OR_RETURN(Attrs a, Resolve(db));
  STRATA_ASSIGN_OR_RETURN(std::vector<EntityId> within, Within(db, a, r));
  for (EntityId x : within) {
    STRATA_ASSIGN_OR_RETURN(bool owner, Has(db, x, a.owner, Value::Ref(u)));
    if (owner) return true;
    STRATA_ASSIGN_OR_RETURN(bool admin, ClinicRole(db, a, x, a.admins, u));
    if (admin) return true;
    STRATA_ASSIGN_OR_RETURN(bool granted, Granted(db, a, x, u, "access/write"));
    if (granted) return true;
  }
  return false;
}

Result<bool> CanReadByWalk(const Database& db, EntityId u, EntityId r) {
  STRATA_ASSIGN_OR_RETURN(bool write, CanWriteByWalk(db, u, r));
  if (write) return true;
  STRATA_ASSIGN_OR_RETURN(Attrs a, Resolve(db));
  STRATA_ASSIGN_OR_RETURN(std::vector<EntityId> within, Within(db, a, r));
  for (EntityId x : within) {
    STRATA_ASSIGN_OR_RETURN(bool physician, ClinicRole(db, a, x, a.physicians, u));
    if (physician) return true;
    STRATA_ASSIGN_OR_RETURN(bool granted, Granted(db, a, x, u, "access/read"));
    if (granted) return true;
  }
  return false;
}

Result<Node> PermCreate(const Database& db, const std::vector<Node>& args) {
  if (args.size() != 2 || args[0].kind != edn::Kind::kMap)
    return Status::InvalidArgument(":perm/create takes [{:db/id \"tempid\" :resource/parent ...} creator]");
  const Node& m = args[0];
  const Node* id = m.Get("db/id");
  if (id == nullptr || id->kind != edn::Kind::kString)
    return Status::InvalidArgument(":perm/create: the resource needs a string tempid in :db/id");
  const Node* under = m.Get("resource/parent");
  if (under == nullptr) under = m.Get("resource/account");
  if (under == nullptr) return Status::InvalidArgument(":perm/create: the resource needs a :resource/parent or :resource/account");
  STRATA_ASSIGN_OR_RETURN(EntityId creator, db.Entid(args[1]));
  STRATA_ASSIGN_OR_RETURN(EntityId container, db.Entid(*under));
  // The new resource inherits its container's access.
  STRATA_ASSIGN_OR_RETURN(bool can_write, CanWriteByWalk(db, creator, container));
  Node resource = m;
  resource.items.push_back(Kw("resource/creator"));
  resource.items.push_back(args[1]);
  std::vector<Node> ops{std::move(resource)};
  if (!can_write) {
    const Attribute* user_id = db.attribute("user/id");
    std::vector<Value> name;
    if (user_id) {
      STRATA_ASSIGN_OR_RETURN(name, db.Values(creator, user_id->id));
    }
    const std::string who = name.empty() ? std::to_string(creator) : name.front().str();
    ops.push_back(Node::Map({Kw("group/id"), Str("own:" + who), Kw("group/owner"), args[1], Kw("group/members"),
                             Node::Vector({args[1]}), Kw("group/access"), Kw("access/write"), Kw("group/kind"),
                             Kw("group.kind/own"), Kw("group/contains"), *id}));
  }
  return Node::Vector(std::move(ops));
}

std::unique_ptr<Workload> NewPermissionsWorkload(const WorkloadOptions& options) {
  return std::make_unique<PermissionsWorkload>(options);
}

}  // namespace strata::workloads
