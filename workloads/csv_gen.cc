// The Vetspire-style CSV generator (see csv_gen.h). Each row is computed
// from a hash of (seed, table, row number); nothing is remembered.

#include "workloads/csv_gen.h"

#include <cinttypes>
#include <cstdio>
#include <memory>

#include "strata/edn.h"

namespace strata::workloads {

namespace {

constexpr int64_t kDayMs = 86400000;

constexpr const char* kFiles[kVetTables] = {"locations.csv", "products.csv",      "protocols.csv", "clients.csv",
                                            "patients.csv",  "immunizations.csv", "orders.csv"};
constexpr const char* kHeaders[kVetTables] = {
    "location_id,name,timezone,opened_on",
    "product_id,name,kind,price,active",
    "protocol_id,name,product_ids,interval_days,species",
    "client_id,first_name,last_name,email,phone,location_id,created_at,balance,notes",
    "patient_id,client_id,name,species,breed,birth_date,weight_kg,deceased,external_uuid",
    "immunization_id,patient_id,product_id,location_id,given_at,lot,declined",
    "order_id,patient_id,product_id,location_id,ordered_at,quantity,total,status",
};
constexpr const char* kIdPrefix[kVetTables] = {"L", "PR", "PRO", "C", "P", "I", "O"};
// Per table: the column a wrong-type row spoils, and its reference column (-1: none).
constexpr int kTypedColumn[kVetTables] = {3, 3, 3, 7, 6, 4, 5};
constexpr const char* kJunk[kVetTables] = {"someday", "cheap", "yearly", "n/a", "heavy", "last spring", "several"};
constexpr int kRefColumn[kVetTables] = {-1, -1, 2, 5, 1, 1, 2};

constexpr const char* kCities[] = {"Portland", "Austin", "Denver", "Boise", "Tucson", "Madison", "Raleigh", "Omaha",
                                   "Spokane", "Tulsa", "Fresno", "Reno", "Eugene", "Dayton", "Akron", "Provo"};
constexpr const char* kZones[] = {"America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York"};
constexpr const char* kFirst[] = {"Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon",
                                  "Kara", "Liam", "Maya", "Noah", "Olga", "Pete", "Quinn", "Rosa", "Sam", "Tess"};
constexpr const char* kLast[] = {"Garcia", "Smith", "Nguyen", "Okafor", "Muller", "Rossi", "Kowalski", "Ivanova",
                                 "Haddad", "Tanaka", "O'Brien", "Silva", "Dubois", "Larsen", "Patel", "Cohen"};
constexpr const char* kPets[] = {"Rex", "Luna", "Milo", "Bella", "Ziggy", "Nala", "Otis", "Pepper", "Biscuit",
                                 "Mochi", "Scout", "Juniper", "Waffles", "Koda", "Olive", "Tater"};
constexpr const char* kDogBreeds[] = {"Labrador Retriever", "Beagle", "German Shepherd", "Poodle, Standard", "Mixed"};
constexpr const char* kCatBreeds[] = {"Domestic Shorthair", "Maine Coon", "Siamese", "Bengal", "Mixed"};
constexpr const char* kStatus[] = {"completed", "completed", "completed", "completed", "completed",
                                   "completed", "pending",   "cancelled", "refunded"};

struct Product {
  const char* name;
  const char* kind;
  double price;
};
// Products 0..11 are vaccines (0..8 canine, 9..11 feline).
constexpr Product kProducts[] = {
    {"Rabies 1-Year", "vaccine", 28},          {"Rabies 3-Year", "vaccine", 34},
    {"DHPP", "vaccine", 32},                   {"DHPP Booster", "vaccine", 30},
    {"Bordetella Intranasal", "vaccine", 26},  {"Bordetella Oral", "vaccine", 26},
    {"Leptospirosis", "vaccine", 29},          {"Lyme", "vaccine", 38},
    {"Canine Influenza", "vaccine", 41},       {"FVRCP", "vaccine", 30},
    {"FeLV", "vaccine", 35},                   {"Feline Rabies PureVax", "vaccine", 36},
    {"Carprofen 75mg", "medication", 1.2},     {"Apoquel 16mg", "medication", 2.9},
    {"Heartgard Plus", "medication", 12.5},    {"NexGard", "medication", 22},
    {"Simparica Trio", "medication", 31},      {"Bravecto", "medication", 58},
    {"Revolution Plus", "medication", 24},     {"Cerenia", "medication", 9.5},
    {"Amoxicillin 250mg", "medication", 0.8},  {"Clavamox", "medication", 1.6},
    {"Gabapentin 100mg", "medication", 0.5},   {"Meloxicam", "medication", 0.9},
    {"Prednisone 5mg", "medication", 0.3},     {"Metronidazole", "medication", 0.7},
    {"Doxycycline", "medication", 1.1},        {"Trazodone", "medication", 0.6},
    {"Cytopoint", "medication", 65},           {"Convenia", "medication", 72},
    {"Wellness Exam", "service", 65},          {"Dental Cleaning", "service", 420},
    {"Spay", "service", 380},                  {"Neuter", "service", 290},
    {"Microchip", "service", 45},              {"Nail Trim", "service", 18},
    {"Bloodwork Panel", "service", 140},       {"Radiographs", "service", 210},
    {"Fecal Test", "service", 38},             {"Heartworm Test", "service", 52},
};
constexpr uint64_t kProductCount = sizeof kProducts / sizeof kProducts[0];

struct Protocol {
  const char* name;
  const char* products;  // product_ids
  int interval_days;
  const char* species;
};
constexpr Protocol kProtocols[] = {
    {"Rabies", "PR-0;PR-11", 365, ""},
    {"Rabies 3-Year", "PR-1", 1095, "canine"},
    {"DHPP", "PR-2;PR-3", 365, "canine"},
    {"Bordetella", "PR-4; PR-5", 180, "canine"},
    {"Leptospirosis", "PR-6", 365, "canine"},
    {"Lyme", "PR-7", 365, "canine"},
    {"Canine Influenza", "PR-8", 365, "canine"},
    {"FVRCP", "PR-9", 365, "feline"},
    {"FeLV", "PR-10", 365, "feline"},
    {"Heartworm Prevention", "PR-14;PR-15;PR-16", 30, "canine"},
    {"Flea and Tick", "PR-15;PR-16;PR-17;PR-18", 90, ""},
    {"Heartworm Test", "PR-39", 365, "canine"},
};
constexpr uint64_t kProtocolCount = sizeof kProtocols / sizeof kProtocols[0];

template <size_t N>
const char* Pick(const char* const (&xs)[N], uint64_t h) {
  return xs[h % N];
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string Date(int64_t ms) { return edn::FormatInstant(ms).substr(0, 10); }  // yyyy-MM-dd

std::string UsDate(int64_t ms) {  // MM/dd/yyyy
  const std::string d = Date(ms);
  return d.substr(5, 2) + "/" + d.substr(8, 2) + "/" + d.substr(0, 4);
}

// Whole seconds, so every instant prints the same way in every table.
std::string Iso(int64_t ms) { return edn::FormatInstant(ms - ms % 1000).substr(0, 19) + "Z"; }

std::string Id(VetTable t, uint64_t i) { return std::string(kIdPrefix[static_cast<int>(t)]) + "-" + std::to_string(i); }

bool NeedsQuotes(const std::string& s) { return s.find_first_of(",\"\r\n") != std::string::npos; }

void AppendField(const std::string& s, std::string* out) {
  if (!NeedsQuotes(s)) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

const char* VetTableFile(VetTable t) { return kFiles[static_cast<int>(t)]; }

const char* BadKindName(BadKind k) {
  static constexpr const char* kNames[kBadKinds] = {"wrong-type", "missing-key", "unresolvable-ref", "broken-quoting",
                                                    "wrong-column-count"};
  return kNames[static_cast<int>(k)];
}

CsvGenPlan PlanForClients(uint64_t clients, uint64_t seed, double bad_rows) {
  CsvGenPlan p;
  p.seed = seed;
  p.clients = std::max<uint64_t>(1, clients);
  p.bad_rows = bad_rows;
  p.rows = {std::max<uint64_t>(2, p.clients / 1500), kProductCount, kProtocolCount, p.clients,
            std::max<uint64_t>(1, p.clients * 3 / 2), p.clients * 4, p.clients * 3};
  return p;
}

CsvGenPlan PlanForBytes(uint64_t bytes, uint64_t seed, double bad_rows) {
  // Ids grow longer with the scale: estimate, rescale, estimate again.
  auto size_of = [&](const CsvGenPlan& p, uint64_t* fixed) {
    uint64_t total = 0;
    *fixed = 0;
    for (int t = 0; t < kVetTables; ++t) {
      const uint64_t n = CsvTableGen(static_cast<VetTable>(t), p).EstimatedBytes();
      total += n;
      if (t == 1 || t == 2) *fixed += n;  // products and protocols do not scale
    }
    return total;
  };
  CsvGenPlan plan = PlanForClients(2000, seed, bad_rows);
  for (int round = 0; round < 3; ++round) {
    uint64_t fixed;
    const uint64_t total = size_of(plan, &fixed);
    const double per_client = static_cast<double>(total - fixed) / static_cast<double>(plan.clients);
    const double want = bytes > fixed ? static_cast<double>(bytes - fixed) : 0;
    plan = PlanForClients(static_cast<uint64_t>(want / per_client + 0.5), seed, bad_rows);
  }
  return plan;
}

uint64_t CsvTableGen::EstimatedBytes(size_t samples) const {
  const uint64_t rows = plan_.rows[static_cast<int>(table_)];
  uint64_t n = Header().size();
  std::string row;
  if (rows <= samples) {
    CsvTableGen g(table_, plan_);
    bool is_bad;
    BadKind kind;
    while (g.Next(&row, &is_bad, &kind)) {
      n += row.size();
      row.clear();
    }
    return n;
  }
  uint64_t sampled = 0;
  for (size_t k = 0; k < samples; ++k) {
    Fields(k * rows / samples, &fields_);
    row.clear();
    Render(fields_, &row);
    sampled += row.size();
  }
  const double good = static_cast<double>(sampled) / static_cast<double>(samples) * static_cast<double>(rows);
  return n + static_cast<uint64_t>(good * (1 + plan_.bad_rows));
}

CsvTableGen::CsvTableGen(VetTable table, const CsvGenPlan& plan)
    : table_(table), plan_(plan), eol_(table == VetTable::kClients || table == VetTable::kOrders ? "\r\n" : "\n") {}

std::string CsvTableGen::Header() const { return std::string(kHeaders[static_cast<int>(table_)]) + eol_; }

uint64_t CsvTableGen::Hash(uint64_t i, uint64_t salt) const {
  return Mix(plan_.seed * 0x100000001B3ULL ^ Mix((static_cast<uint64_t>(table_) << 8 | salt) ^ Mix(i)));
}

void CsvTableGen::Fields(uint64_t i, std::vector<std::string>* f) const {
  f->clear();
  const uint64_t h = Hash(i, 0), h2 = Hash(i, 1);
  const auto& rows = plan_.rows;
  const int64_t when = plan_.start_ms + static_cast<int64_t>(h2 % static_cast<uint64_t>(plan_.span_ms));
  auto ref = [&](VetTable t, uint64_t salt) { return Id(t, Hash(i, salt) % rows[static_cast<int>(t)]); };
  auto species_of_patient = [&](uint64_t p) {
    const uint64_t x = CsvTableGen(VetTable::kPatients, plan_).Hash(p, 2) % 100;
    return x < 60 ? "canine" : x < 95 ? "feline" : "rabbit";
  };
  switch (table_) {
    case VetTable::kLocations:
      *f = {Id(table_, i),
            std::string(kCities[i % 16]) + (i >= 16 ? " " + std::to_string(i / 16 + 1) : "") + " Animal Hospital",
            Pick(kZones, h), Date(plan_.start_ms - static_cast<int64_t>(1 + h % 3650) * kDayMs)};
      break;
    case VetTable::kProducts: {
      const Product& p = kProducts[i % kProductCount];
      *f = {Id(table_, i), p.name, p.kind, Num(p.price), h % 10 == 0 ? "N" : "Y"};
      break;
    }
    case VetTable::kProtocols: {
      const Protocol& p = kProtocols[i % kProtocolCount];
      *f = {Id(table_, i), p.name, p.products, std::to_string(p.interval_days), p.species};
      break;
    }
    case VetTable::kClients: {
      const char* first = Pick(kFirst, h);
      const char* last = Pick(kLast, h >> 8);
      std::string email = std::string(first) + "." + last + std::to_string(i) + "@example.com";
      for (char& c : email) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c == '\'' ? '-' : c);
      char phone[24];
      std::snprintf(phone, sizeof phone, "555-%03d-%04d", static_cast<int>((h >> 16) % 1000),
                    static_cast<int>((h >> 32) % 10000));
      std::string notes;
      switch ((h >> 40) % 16) {
        case 0: notes = "Prefers \"Dr. Okafor\", calls after 5pm"; break;
        case 1: notes = "Gate code 4411\nDog is shy with strangers"; break;
        case 2: notes = "Pays by card, autopay on"; break;
        default: break;
      }
      *f = {Id(table_, i), (h >> 44) % 50 == 0 ? "" : first, last, email, phone, ref(VetTable::kLocations, 3),
            Iso(when), Num(static_cast<double>((h >> 20) % 50000) / 100), notes};
      break;
    }
    case VetTable::kPatients: {
      const std::string species = species_of_patient(i);
      const char* breed = species == "canine" ? Pick(kDogBreeds, h >> 12) : species == "feline" ? Pick(kCatBreeds, h >> 12) : "";
      char uuid[40];
      const uint64_t u = Hash(i, 4);
      std::snprintf(uuid, sizeof uuid, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64 "-%012" PRIx64,
                    u >> 32, (u >> 16) & 0xffff, u & 0xfff, (h2 >> 4) & 0xfff, Hash(i, 5) & uint64_t{0xffffffffffff});
      const double kg = species == "canine" ? 4 + static_cast<double>(h % 4000) / 100 : 2 + static_cast<double>(h % 600) / 100;
      *f = {Id(table_, i), ref(VetTable::kClients, 3), Pick(kPets, h >> 20), species, breed,
            UsDate(when - static_cast<int64_t>(h % 4000) * kDayMs), Num(kg), (h >> 30) % 20 == 0 ? "Y" : "N", uuid};
      break;
    }
    case VetTable::kImmunizations: {
      const uint64_t patient = Hash(i, 3) % rows[static_cast<int>(VetTable::kPatients)];
      const std::string species = species_of_patient(patient);
      const uint64_t product = species == "feline" ? 9 + h % 3 : species == "canine" ? h % 9 : 0;
      char lot[16];
      std::snprintf(lot, sizeof lot, "LOT-%05d", static_cast<int>((h >> 24) % 100000));
      *f = {Id(table_, i), Id(VetTable::kPatients, patient), Id(VetTable::kProducts, product),
            ref(VetTable::kLocations, 6), Iso(when), lot, (h >> 40) % 33 == 0 ? "Y" : "N"};
      break;
    }
    case VetTable::kOrders: {
      const uint64_t product = 12 + h % (kProductCount - 12);
      const uint64_t qty = 1 + (h >> 16) % 6;
      *f = {Id(table_, i), ref(VetTable::kPatients, 3), Id(VetTable::kProducts, product), ref(VetTable::kLocations, 6),
            Iso(when), std::to_string(qty), Num(kProducts[product].price * static_cast<double>(qty)),
            Pick(kStatus, h >> 36)};
      break;
    }
  }
}

void CsvTableGen::Render(const std::vector<std::string>& f, std::string* out) const {
  for (size_t j = 0; j < f.size(); ++j) {
    if (j) out->push_back(',');
    AppendField(f[j], out);
  }
  out->append(eol_);
}

void CsvTableGen::RenderBad(uint64_t i, BadKind kind, std::string* out) const {
  const int t = static_cast<int>(table_);
  Fields(i, &fields_);
  std::vector<std::string>& f = fields_;
  f[0] = std::string(kIdPrefix[t]) + "-bad-" + std::to_string(i);  // nothing refers to it
  if (table_ == VetTable::kClients) f[8].clear();  // one physical line
  switch (kind) {
    case BadKind::kWrongType: f[kTypedColumn[t]] = kJunk[t]; break;
    case BadKind::kMissingKey: f[0].clear(); break;
    case BadKind::kUnresolvableRef: {
      const VetTable target = table_ == VetTable::kProtocols || table_ == VetTable::kOrders ? VetTable::kProducts
                              : table_ == VetTable::kClients                                ? VetTable::kLocations
                              : table_ == VetTable::kPatients                               ? VetTable::kClients
                                                                                            : VetTable::kPatients;
      f[kRefColumn[t]] = std::string(kIdPrefix[static_cast<int>(target)]) + "-404404404";
      break;
    }
    case BadKind::kBrokenQuoting: {
      // Text after a closing quote, or a quote inside an unquoted field.
      for (size_t j = 0; j < f.size(); ++j) {
        if (j) out->push_back(',');
        if (j != 1) AppendField(f[j], out);
        else if (i % 2 == 0) out->append("\"" + f[j] + "\"x");
        else out->append("x\"" + f[j]);
      }
      out->append(eol_);
      return;
    }
    case BadKind::kWrongColumnCount:
      if (i % 2 == 0) f.pop_back();
      else f.push_back("extra");
      break;
  }
  Render(f, out);
}

bool CsvTableGen::Next(std::string* out, bool* is_bad, BadKind* bad) {
  *is_bad = false;
  const uint64_t total = plan_.rows[static_cast<int>(table_)];
  if (bad_pending_) {
    bad_pending_ = false;
    // The kinds this table can have, in turn.
    BadKind kinds[kBadKinds];
    int n = 0;
    for (int k = 0; k < kBadKinds; ++k) {
      const auto kind = static_cast<BadKind>(k);
      if (kind == BadKind::kUnresolvableRef && (kRefColumn[static_cast<int>(table_)] < 0 || !plan_.unresolvable_refs))
        continue;
      kinds[n++] = kind;
    }
    *bad = kinds[bad_count_++ % n];
    *is_bad = true;
    RenderBad(produced_ - 1, *bad, out);
    return true;
  }
  if (produced_ >= total) return false;
  Fields(produced_, &fields_);
  Render(fields_, out);
  bad_pending_ = plan_.bad_rows > 0 &&
                 static_cast<double>(Hash(produced_, 7) >> 11) * 0x1.0p-53 < plan_.bad_rows;
  ++produced_;
  return true;
}

uint64_t CsvGenReport::good_rows() const {
  uint64_t n = 0;
  for (const CsvGenTable& t : tables) n += t.rows;
  return n;
}

uint64_t CsvGenReport::bad_rows() const {
  uint64_t n = 0;
  for (const CsvGenTable& t : tables)
    for (uint64_t b : t.bad) n += b;
  return n;
}

std::string CsvGenReport::Summary() const {
  std::string out;
  char buf[256];
  for (const CsvGenTable& t : tables) {
    uint64_t bad = 0;
    for (uint64_t b : t.bad) bad += b;
    std::snprintf(buf, sizeof buf, "%-18s %10llu rows %8llu bad %12llu bytes\n", t.file.c_str(),
                  static_cast<unsigned long long>(t.rows), static_cast<unsigned long long>(bad),
                  static_cast<unsigned long long>(t.bytes));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "%-18s %10llu rows %8llu bad %12llu bytes", "total",
                static_cast<unsigned long long>(good_rows()), static_cast<unsigned long long>(bad_rows()),
                static_cast<unsigned long long>(bytes));
  return out + buf;
}

Status GenerateCsv(Env* env, const std::string& dir, const CsvGenPlan& plan, CsvGenReport* report) {
  *report = CsvGenReport();
  STRATA_RETURN_IF_ERROR(env->CreateDirs(dir));
  for (int t = 0; t < kVetTables; ++t) {
    CsvGenTable out;
    out.file = kFiles[t];
    const std::string path = dir + "/" + out.file;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(path));
    CsvTableGen g(static_cast<VetTable>(t), plan);
    std::string buf = g.Header();
    bool is_bad;
    BadKind kind;
    while (g.Next(&buf, &is_bad, &kind)) {
      if (is_bad) out.bad[static_cast<int>(kind)]++;
      if (buf.size() >= (256u << 10)) {
        out.bytes += buf.size();
        STRATA_RETURN_IF_ERROR(file->Append(buf).WithContext(path));
        buf.clear();
      }
    }
    out.bytes += buf.size();
    STRATA_RETURN_IF_ERROR(file->Append(buf).WithContext(path));
    STRATA_RETURN_IF_ERROR(file->Close().WithContext(path));
    out.rows = g.good_rows();
    report->bytes += out.bytes;
    report->tables.push_back(std::move(out));
  }
  for (const auto& [name, text] : {std::pair{"mapping.edn", &VetspireMappingEdn()}, {"schema.edn", &VetspireSchemaEdn()}})
    STRATA_RETURN_IF_ERROR(WriteFileAtomic(env, dir + "/" + name, *text));
  return Status::OK();
}

}  // namespace strata::workloads
