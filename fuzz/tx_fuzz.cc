// tx_fuzz — arbitrary EDN transactions into an in-memory database.
//
// Each input opens a fresh database in a memory Env (no background
// thread, a fixed clock, a strategy chosen by the input), installs a fixed
// schema and transacts every top-level form of the input. Checks:
//   - Transact answers OK or an error, never crashes; with a memory Env
//     the error is never Corruption or IOError;
//   - a rejected transaction changes nothing (basis-t, next-t);
//   - indexing the novelty (IndexNow) and then reopening the database
//     (log replay, durable index) change no index, current or history.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "strata/database.h"
#include "strata/connection.h"
#include "strata/edn.h"
#include "strata/env.h"
#include "strata/indexing.h"

namespace {

using namespace strata;

// Every value type, cardinality, uniqueness and the component / noHistory /
// index flags, so fuzzed transactions can reach every rule.
constexpr const char* kSchema = R"([
  {:db/ident :item/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :item/description :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :item/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}
  {:db/ident :item/tags :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}
  {:db/ident :item/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
  {:db/ident :item/parts :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
  {:db/ident :item/owner :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
  {:db/ident :item/price :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
  {:db/ident :item/at :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
  {:db/ident :item/uuid :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one}
  {:db/ident :item/active :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
  {:db/ident :part/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
  {:db/ident :part/sub :db/valueType :db.type/ref :db/cardinality :db.cardinality/one :db/isComponent true}
  {:db/ident :counter/hits :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/noHistory true}
  {:db/ident :item/big :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
  {:db/ident :item/dec :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/many}
  {:db/ident :item/ratio :db/valueType :db.type/float :db/cardinality :db.cardinality/one}
  {:db/ident :item/blob :db/valueType :db.type/bytes :db/cardinality :db.cardinality/one}
  {:db/ident :item/link :db/valueType :db.type/uri :db/cardinality :db.cardinality/one}
  {:db/ident :item/sym :db/valueType :db.type/symbol :db/cardinality :db.cardinality/many}
  {:db/ident :item/pair :db/valueType :db.type/tuple :db/tupleTypes [:db.type/long :db.type/string]
   :db/cardinality :db.cardinality/one}
  {:db/ident :item/longs :db/valueType :db.type/tuple :db/tupleType :db.type/long :db/cardinality :db.cardinality/many}
  {:db/ident :item/count+owner :db/valueType :db.type/tuple :db/tupleAttrs [:item/count :item/owner]
   :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
])";
constexpr size_t kMaxForms = 32;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "tx_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Every index, current and history (an index that cannot be read holds
// the error's text as a string value). The history leaves out attributes
// that ever were :db/noHistory: SPEC §7 lets an indexing job drop their past
// values, and when it does depends on the strategy (tiered designs meet a
// retraction pair in different jobs in different orders); the current view
// keeps them exactly, and is compared whole.
using Snap = std::vector<std::vector<Datom>>;
Snap Snapshot(const Database& db) {
  Snap out;
  std::set<EntityId> ever_no_history;
  if (const Attribute* nh = db.attribute("db/noHistory"); nh != nullptr) {
    auto marks = db.History().DatomsVector(Index::kAevt);
    if (marks.ok())
      for (const Datom& d : *marks)
        if (d.a == nh->id) ever_no_history.insert(d.e);
  }
  for (const Database& view : {db, db.History()}) {
    const bool history = view.is_history();
    for (Index index : {Index::kEavt, Index::kAevt, Index::kAvet, Index::kVaet}) {
      auto datoms = view.DatomsVector(index);
      if (datoms.ok()) {
        if (history) std::erase_if(*datoms, [&](const Datom& d) { return ever_no_history.count(d.a) > 0; });
        out.push_back(std::move(*datoms));
      } else {
        out.push_back({Datom{0, 0, Value::String(datoms.status().ToString()), 0, false}});
      }
    }
  }
  return out;
}

std::string Show(const Database& db, const std::vector<Datom>& datoms) {
  std::string text;
  for (const Datom& d : datoms) text += edn::Print(db.DatomToEdn(d)) + " ";
  return text.substr(0, 3000);
}

void Compare(const Database& db, const Snap& want, const Snap& got, const char* after) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] != got[i]) {
      Fail(after, std::string(i < 4 ? "current " : "history ") + IndexName(static_cast<Index>(i % 4)) +
                      " differs:\n  before: " + Show(db, want[i]) + "\n  after:  " + Show(db, got[i]));
    }
  }
}

std::unique_ptr<Connection> Open(Env* env, const std::string& strategy) {
  Options o;
  o.env = env;
  o.background_indexing = false;
  o.memory_index_threshold = 2048;  // several sealed generations per input
  o.segment_datoms = 16;            // several segments per job
  o.strategy = strategy;
  auto clock = std::make_shared<int64_t>(1700000000000);
  o.clock = [clock] { return (*clock)++; };
  auto conn = Connection::Open("/db", o);
  if (!conn.ok()) Fail("Connection::Open", conn.status().ToString());
  return std::move(*conn);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto forms = edn::ReadAll(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!forms.ok() || forms->empty() || forms->size() > kMaxForms) return 0;

  auto env = NewMemEnv();
  static const std::vector<std::string> kStrategies = StrategyNames();  // every registered strategy
  const std::string& strategy = kStrategies[size % kStrategies.size()];
  auto conn = Open(env.get(), strategy);
  if (auto r = conn->Transact(std::string_view(kSchema)); !r.ok()) Fail("schema", r.status().ToString());
  conn->RegisterTxFunction("fuzz/add", [](const Database&, const std::vector<edn::Node>& args) -> Result<edn::Node> {
    if (args.size() != 3) return Status::InvalidArgument("fuzz/add takes e a v");
    std::vector<edn::Node> op{edn::Node::Keyword("db/add"), args[0], args[1], args[2]};
    return edn::Node::Vector({edn::Node::Vector(std::move(op))});
  });

  static const bool verbose = std::getenv("STRATA_FUZZ_VERBOSE") != nullptr;  // for writing seeds
  for (const edn::Node& form : *forms) {
    const Database before = conn->db();
    auto r = conn->Transact(form);
    if (verbose) std::fprintf(stderr, "tx_fuzz: %s\n", r.ok() ? "OK" : r.status().ToString().c_str());
    if (r.ok()) continue;
    const Status& s = r.status();
    if (s.IsCorruption() || s.IsIOError()) Fail("Transact failed inside the engine", s.ToString());
    const Database after = conn->db();
    if (after.basis_t() != before.basis_t() || after.next_t() != before.next_t()) {
      Fail("a rejected transaction changed the database", s.ToString());
    }
  }

  const Database before = conn->db();
  const Snap want = Snapshot(before);
  auto jobs = conn->IndexNow();
  if (!jobs.ok()) Fail("IndexNow", jobs.status().ToString());
  Compare(before, want, Snapshot(conn->db()), "indexing changed the database");
  if (Status s = conn->Close(); !s.ok()) Fail("Close", s.ToString());
  conn.reset();
  conn = Open(env.get(), strategy);
  Compare(before, want, Snapshot(conn->db()), "reopening changed the database");
  return 0;
}
