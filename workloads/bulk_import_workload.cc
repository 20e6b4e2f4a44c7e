// The "bulk-import" workload (see bulk_import.h): generated CSV text,
// parsed and mapped like files, one batch per transaction.

#include <cmath>
#include <deque>
#include <random>

#include "workloads/bulk_import.h"
#include "workloads/csv_gen.h"
#include "workloads/csv_import.h"

namespace strata::workloads {

namespace {

Mapping VetspireMapping() {
  auto node = edn::ReadOne(VetspireMappingEdn());
  auto m = ParseMapping(node.value());
  return std::move(m).value();  // built in and tested: never fails
}

Result<uint64_t> Drain(DatomCursor& c) {
  uint64_t n = 0;
  STRATA_RETURN_IF_ERROR(ForEach(c, [&](const Datom&) { ++n; }));
  return n;
}

edn::Node Ref(const char* attr, std::string id) {
  return edn::Node::Vector({edn::Node::Keyword(attr), edn::Node::String(std::move(id))});
}

Status ClientById(const Database& db, const edn::Node& ref) {
  STRATA_ASSIGN_OR_RETURN(EntityId e, db.Entid(ref));
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kEavt, {Value::Ref(e)}));
  STRATA_ASSIGN_OR_RETURN(uint64_t n, Drain(c));
  if (n == 0) return Status::NotFound("client-by-id: " + edn::Print(ref) + " has no datoms");
  return Status::OK();
}

Status PatientImmunizations(const Database& db, const edn::Node& ref) {
  STRATA_ASSIGN_OR_RETURN(EntityId p, db.Entid(ref));
  const Attribute* a = db.attribute("immunization/patient");
  if (a == nullptr) return Status::NotFound("patient-immunizations: no :immunization/patient");
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db.Datoms(Index::kVaet, {Value::Ref(p), Value::Ref(a->id)}));
  return ForEach(c, [&](const Datom& d) -> Status {
    STRATA_ASSIGN_OR_RETURN(DatomCursor imm, db.Datoms(Index::kEavt, {Value::Ref(d.e)}));
    return Drain(imm).status();
  });
}

class BulkImportWorkload final : public Workload {
 public:
  explicit BulkImportWorkload(const WorkloadOptions& options)
      : options_(options), mapping_(VetspireMapping()), reads_rng_(options.seed * 0x9E3779B97F4A7C15ULL + 0xB01C) {
    const double clients = std::llround(std::max(0.0, options.scale) * kBulkImportClientsPerScale);
    plan_ = PlanForClients(std::max<uint64_t>(1, static_cast<uint64_t>(clients)), options.seed, kBulkImportBadRows);
    plan_.unresolvable_refs = false;  // only a database could tell
  }

  std::string name() const override { return "bulk-import"; }
  std::vector<edn::Node> Schema() const override { return {edn::ReadOne(VetspireSchemaEdn()).value()}; }

  bool Next(Step* out) override {
    if (pacer_.Due() && committed_[static_cast<int>(VetTable::kClients)] > 0) {
      pacer_.Read();
      NextRead(out);
      return true;
    }
    while (ready_.empty()) {
      if (!Fill()) return false;
    }
    SetTransact(out, std::move(ready_.front().tx));
    committed_[ready_.front().table] = ready_.front().rows_through;
    ready_.pop_front();
    pacer_.Transacted(options_.read_ratio);
    return true;
  }

  uint64_t EstimatedSteps() const override {
    double tx = 0;
    for (uint64_t rows : plan_.rows) tx += std::ceil(static_cast<double>(rows) / kBulkImportBatchRows);
    return static_cast<uint64_t>(tx * (1 + std::max(0.0, options_.read_ratio)));
  }

 private:
  struct Ready {
    edn::Node tx;
    int table;
    uint64_t rows_through;  // good rows of the table generated up to this batch
  };

  // Generates, parses and maps the next chunk of rows into ready_; false
  // when every table is done.
  bool Fill() {
    if (!gen_ || gen_done_) {
      const int next = gen_ ? table_ + 1 : 0;
      if (next >= kVetTables) return false;
      StartTable(next);
    }
    std::string text;
    bool is_bad;
    BadKind kind;
    for (size_t n = 0; n < kBulkImportBatchRows;) {
      if (!gen_->Next(&text, &is_bad, &kind)) {
        gen_done_ = true;
        break;
      }
      n += !is_bad;
    }
    CsvReader reader(NewStringCsvSource(std::move(text)));
    CsvRecord rec;
    MappedRow row;
    std::string err;
    while (reader.Next(&rec, &err)) {
      if (!err.empty() || !mapper_->Map(rec, &row, &err)) {
        dropped_++;
        continue;
      }
      if (!batch_.Add(row)) {  // the same identity twice: a new batch
        ready_.push_back(Ready{batch_.Take(), table_, gen_->good_rows()});
        batch_.Add(row);
      }
    }
    if (batch_.size() > 0) ready_.push_back(Ready{batch_.Take(), table_, gen_->good_rows()});
    return true;
  }

  void StartTable(int table) {
    table_ = table;
    const auto t = static_cast<VetTable>(table);
    gen_ = std::make_unique<CsvTableGen>(t, plan_);
    gen_done_ = false;
    const FileSpec* spec = nullptr;
    for (const FileSpec& f : mapping_.files)
      if (f.file == VetTableFile(t)) spec = &f;
    CsvReader header(NewStringCsvSource(gen_->Header()));
    CsvRecord rec;
    std::string err;
    (void)header.Next(&rec, &err);
    mapper_ = RowMapper::Make(*spec, rec.fields).value();  // the generator's header matches the mapping
  }

  void NextRead(Step* out) {
    out->kind = Step::Kind::kRead;
    out->tx = edn::Node();
    const uint64_t patients = committed_[static_cast<int>(VetTable::kPatients)];
    if (patients > 0 && reads_rng_() % 2 == 0) {
      out->read_name = "patient-immunizations";
      out->read = [ref = Ref("patient/id", "P-" + std::to_string(reads_rng_() % patients))](const Database& db) {
        return PatientImmunizations(db, ref);
      };
      return;
    }
    const uint64_t clients = committed_[static_cast<int>(VetTable::kClients)];
    out->read_name = "client-by-id";
    out->read = [ref = Ref("client/id", "C-" + std::to_string(reads_rng_() % clients))](const Database& db) {
      return ClientById(db, ref);
    };
  }

  WorkloadOptions options_;
  Mapping mapping_;
  CsvGenPlan plan_;
  int table_ = 0;
  std::unique_ptr<CsvTableGen> gen_;
  bool gen_done_ = false;
  std::optional<RowMapper> mapper_;
  TxBatchBuilder batch_;
  std::deque<Ready> ready_;
  uint64_t committed_[kVetTables] = {};
  uint64_t dropped_ = 0;
  std::mt19937_64 reads_rng_;  // raw outputs only
  ReadPacer pacer_;
};

}  // namespace

std::unique_ptr<Workload> NewBulkImportWorkload(const WorkloadOptions& options) {
  return std::make_unique<BulkImportWorkload>(options);
}

}  // namespace strata::workloads
