// "uniform" behind the Workload interface (see uniform.h): the generator's
// transactions, with named reads interleaved when read_ratio > 0.

#include <algorithm>
#include <cmath>
#include <utility>

#include "workloads/uniform.h"

namespace strata::workloads {

namespace {

edn::Node LookupRef(uint64_t n) {
  return edn::Node::Vector({edn::Node::Keyword("u/id"), edn::Node::String(UniformWorkload::IdOf(n))});
}

// Walks a cursor to its end; returns how many datoms it yielded.
Result<uint64_t> Drain(DatomCursor& c) {
  uint64_t n = 0;
  STRATA_RETURN_IF_ERROR(ForEach(c, [&](const Datom&) { ++n; }));
  return n;
}

Status EntityById(const Database& db, const edn::Node& ref) {
  STRATA_ASSIGN_OR_RETURN(EntityId e, db.Entid(ref));
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kEavt, {Value::Ref(e)}));
  STRATA_ASSIGN_OR_RETURN(uint64_t n, Drain(c));
  if (n == 0) return Status::NotFound("entity-by-id: " + edn::Print(ref) + " has no datoms");
  return Status::OK();
}

Status AttrRange(const Database& db, int64_t lo) {
  const Attribute* count = db.attribute("u/count");
  if (count == nullptr) return Status::NotFound("attr-range: no attribute :u/count");
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.IndexRange(count->id, Value::Long(lo), Value::Long(lo + 4)));
  return Drain(c).status();
}

// `where` in [0, 1) places the t between the entity's creation and the basis.
Status AsOfEntity(const Database& db, const edn::Node& ref, double where) {
  STRATA_ASSIGN_OR_RETURN(EntityId e, db.Entid(ref));
  const T born = TOf(e), basis = db.basis_t();
  const T t = born + static_cast<T>(where * static_cast<double>(basis > born ? basis - born : 0));
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.AsOf(t).Datoms(Index::kEavt, {Value::Ref(e)}));
  return Drain(c).status();
}

class UniformAdapter final : public Workload {
 public:
  UniformAdapter(const WorkloadOptions& options, UniformOptions uo)
      : options_(options), gen_(uo), reads_rng_(options.seed * 0x9E3779B97F4A7C15ULL + 0x5EED) {}

  std::string name() const override { return "uniform"; }
  std::vector<edn::Node> Schema() const override { return {gen_.Schema()}; }

  bool Next(Step* out) override {
    if (pacer_.Due() && gen_.created() > 0) {
      pacer_.Read();
      NextRead(out);
      return true;
    }
    edn::Node tx;
    if (!gen_.Next(&tx)) return false;
    SetTransact(out, std::move(tx));
    pacer_.Transacted(options_.read_ratio);
    return true;
  }

  uint64_t EstimatedSteps() const override {
    const double tx = static_cast<double>(gen_.options().transactions);
    return static_cast<uint64_t>(tx * (1 + std::max(0.0, options_.read_ratio)));
  }

 private:
  // A committed entity that is never retracted.
  uint64_t PickEntity() {
    const uint64_t n = reads_rng_() % gen_.created();
    return UniformWorkload::Doomed(n) ? n - 1 : n;
  }

  void NextRead(Step* out) {
    out->kind = Step::Kind::kRead;
    out->tx = edn::Node();
    switch (reads_rng_() % 3) {
      case 0:
        out->read_name = "entity-by-id";
        out->read = [ref = LookupRef(PickEntity())](const Database& db) { return EntityById(db, ref); };
        break;
      case 1: {
        out->read_name = "attr-range";
        const auto lo = static_cast<int64_t>(reads_rng_() % 1000);
        out->read = [lo](const Database& db) { return AttrRange(db, lo); };
        break;
      }
      default: {
        out->read_name = "as-of-entity";
        const double where = static_cast<double>(reads_rng_() >> 11) * 0x1.0p-53;
        out->read = [ref = LookupRef(PickEntity()), where](const Database& db) { return AsOfEntity(db, ref, where); };
        break;
      }
    }
  }

  WorkloadOptions options_;
  UniformWorkload gen_;
  std::mt19937_64 reads_rng_;  // raw outputs only, as in the generator
  ReadPacer pacer_;
};

}  // namespace

std::unique_ptr<Workload> NewUniformWorkload(const WorkloadOptions& options) {
  UniformOptions uo;
  uo.seed = options.seed;
  const double tx = std::llround(std::max(0.0, options.scale) * static_cast<double>(kUniformTransactionsPerScale));
  uo.transactions = std::max<uint64_t>(1, static_cast<uint64_t>(tx));
  return std::make_unique<UniformAdapter>(options, uo);
}

}  // namespace strata::workloads
