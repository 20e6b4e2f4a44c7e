// Bulk CSV import (see csv_import.h): rows to batches, batches to
// transactions, bad rows to reports.

#include "strata/connection.h"
#include "workloads/csv_import.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

namespace strata::workloads {

namespace {

using Clock = std::chrono::steady_clock;

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The transaction map of a row. A reference to a row of the batch
// (`in_batch` holds its tempid) uses the tempid; otherwise the entity id in
// `resolved` (parallel to row.values; 0 = not resolved), else a lookup ref.
edn::Node RowToTxMap(const MappedRow& row, const std::unordered_set<std::string>* in_batch,
                     const std::vector<EntityId>* resolved) {
  std::vector<edn::Node> kvs;
  kvs.reserve(2 + 2 * row.values.size());
  if (row.identity) {
    kvs.push_back(edn::Node::Keyword("db/id"));
    kvs.push_back(edn::Node::String(TempidFor(row.identity->attr, row.key)));
  }
  for (size_t i = 0; i < row.values.size(); ++i) {
    const MappedValue& mv = row.values[i];
    edn::Node v;
    if (mv.col->ref.empty()) {
      v = ValueToTxNode(mv.v);
    } else if (std::string t = TempidFor(mv.col->ref, mv.v); in_batch && in_batch->count(t)) {
      v = edn::Node::String(std::move(t));
    } else if (resolved && (*resolved)[i] != 0) {
      v = edn::Node::Long(static_cast<int64_t>((*resolved)[i]));
    } else {
      v = edn::Node::Vector({edn::Node::Keyword(mv.col->ref), ValueToTxNode(mv.v)});
    }
    // Several values of one column (a :split cell) go in one set.
    if (!mv.col->split.empty()) {
      if (i == 0 || row.values[i - 1].col != mv.col) {
        kvs.push_back(edn::Node::Keyword(mv.col->attr));
        kvs.push_back(edn::Node::Set());
      }
      kvs.back().items.push_back(std::move(v));
      continue;
    }
    kvs.push_back(edn::Node::Keyword(mv.col->attr));
    kvs.push_back(std::move(v));
  }
  return edn::Node::Map(std::move(kvs));
}

bool IsDataError(const Status& s) {
  return s.code() == Code::kInvalidArgument || s.code() == Code::kConflict || s.code() == Code::kNotFound;
}

std::string Rate(double v) {
  char buf[32];
  if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

class Importer {
 public:
  Importer(Connection& conn, const Mapping& mapping, const ImportOptions& options, Env* env, ImportReport* report)
      : conn_(conn), mapping_(mapping), options_(options), env_(env), report_(*report), start_(Clock::now()) {
    batch_rows_ = options.batch_rows ? options.batch_rows : mapping.batch_rows;
    on_error_ = options.on_error.value_or(mapping.on_error);
  }

  Status Run(const std::vector<std::string>& paths);

 private:
  struct Pending {
    MappedRow row;
    std::vector<EntityId> resolved;  // per value: the referenced entity, 0 if none or in the batch
    EntityId existing = 0;           // the entity the identity names already, 0 if new
  };

  Status ImportFile(const std::string& path, const FileSpec& spec);
  // Records a bad row; under fail also stops (returns the error).
  Status BadRow(uint64_t line, std::string reason);
  // A row the reader or mapper refused: under fail, an earlier row of the
  // open batch with an unresolvable reference is reported first.
  Status IntakeError(uint64_t line, std::string reason);
  // Looks up, in key order, every identity and reference of the batch;
  // fills `resolved` and `existing`; lists rows with unresolvable
  // references in *bad (in line order).
  // Looks up the batch's keys; an error when a read of the database failed.
  Status Resolve(std::vector<std::pair<uint64_t, std::string>>* bad);
  // True when the entity already holds every value of the row.
  Result<bool> Unchanged(const Pending& p) const;
  Result<std::optional<EntityId>> Lookup(const Attribute* attr, const Value& v) const;
  Status Flush();
  Status Salvage(const Status& why);
  Status Committed(const TxReport& r, size_t rows, uint64_t last_line);
  void Progress(bool force);
  std::string Here(uint64_t line) const { return path_ + ":" + std::to_string(line); }

  Connection& conn_;
  const Mapping& mapping_;
  const ImportOptions& options_;
  Env* env_;
  ImportReport& report_;
  Clock::time_point start_, last_progress_{};
  size_t batch_rows_;
  OnError on_error_;

  Database db_;  // the database after the last commit
  std::string path_;
  const FileSpec* spec_ = nullptr;
  std::vector<const Attribute*> attrs_, ref_attrs_;  // per column of spec_
  std::vector<Pending> batch_;
  std::unordered_set<std::string> batch_tempids_;
  const CsvReader* reader_ = nullptr;
  uint64_t bytes_done_ = 0, bytes_total_ = 0;
};

Status Importer::Run(const std::vector<std::string>& paths) {
  std::map<std::string, std::string> by_name;  // base name -> path
  for (const std::string& p : paths) {
    const std::string base = BaseName(p);
    bool known = false;
    for (const FileSpec& f : mapping_.files) known = known || f.file == base;
    if (!known) {
      std::string names;
      for (const FileSpec& f : mapping_.files) names += (names.empty() ? "" : ", ") + f.file;
      return Status::InvalidArgument(p + " matches no :file of the mapping (known: " + names + ")");
    }
    if (!by_name.emplace(base, p).second)
      return Status::InvalidArgument("two files named " + base + ": " + by_name[base] + " and " + p);
    STRATA_ASSIGN_OR_RETURN(uint64_t size, env_->FileSize(p));
    bytes_total_ += size;
  }
  STRATA_RETURN_IF_ERROR(EnsureSchema(conn_, env_, mapping_, &report_.schema_transacted, &report_.schema_ts));
  db_ = conn_.db();
  STRATA_RETURN_IF_ERROR(CheckMapping(db_, mapping_));
  for (const FileSpec& f : mapping_.files) {
    auto it = by_name.find(f.file);
    if (it == by_name.end()) continue;
    Status s = ImportFile(it->second, f);
    report_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    Progress(true);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status Importer::ImportFile(const std::string& path, const FileSpec& spec) {
  path_ = path;
  spec_ = &spec;
  attrs_.clear();
  ref_attrs_.clear();
  for (const ColumnSpec& c : spec.columns) {
    attrs_.push_back(db_.attribute(c.attr));
    ref_attrs_.push_back(c.ref.empty() ? nullptr : db_.attribute(c.ref));
  }
  auto source = OpenCsvFile(env_, path);
  if (!source.ok()) return source.status().WithContext("opening " + path);
  CsvOptions co;
  co.delimiter = spec.delimiter;
  CsvReader reader(std::move(*source), co);
  reader_ = &reader;
  struct Done {
    Importer* self;
    const CsvReader& r;
    ~Done() {
      self->bytes_done_ += r.bytes_read();
      self->report_.bytes += r.bytes_read();
      self->reader_ = nullptr;
    }
  } done{this, reader};
  report_.files++;
  const size_t errors_before = report_.errors.size();

  CsvRecord rec;
  std::string error;
  if (!reader.Next(&rec, &error)) {
    if (!reader.status().ok()) return reader.status().WithContext("reading " + path);
    return BadRow(1, "no header row");
  }
  if (!error.empty()) return Status::InvalidArgument(Here(rec.line) + ": malformed header: " + error);
  STRATA_ASSIGN_OR_RETURN(RowMapper mapper, RowMapper::Make(spec, rec.fields));

  Pending p;
  while (reader.Next(&rec, &error)) {
    report_.rows++;
    if (!error.empty() || !mapper.Map(rec, &p.row, &error)) {
      STRATA_RETURN_IF_ERROR(IntakeError(rec.line, std::move(error)));
      continue;
    }
    // A second row for one entity: commit the first, so the later one wins.
    if (p.row.identity && batch_tempids_.count(TempidFor(p.row.identity->attr, p.row.key)))
      STRATA_RETURN_IF_ERROR(Flush());
    if (p.row.identity) batch_tempids_.insert(TempidFor(p.row.identity->attr, p.row.key));
    batch_.push_back(std::move(p));
    p = Pending();
    if (batch_.size() >= batch_rows_) STRATA_RETURN_IF_ERROR(Flush());
  }
  if (!reader.status().ok()) return reader.status().WithContext("reading " + path);
  Status s = Flush();
  // Rows refused at intake are listed before those refused at a flush:
  // restore line order within the file.
  std::stable_sort(report_.errors.begin() + static_cast<std::ptrdiff_t>(errors_before), report_.errors.end(),
                   [](const RowError& x, const RowError& y) { return x.line < y.line; });
  return s;
}

Status Importer::IntakeError(uint64_t line, std::string reason) {
  if (on_error_ == OnError::kFail && !batch_.empty()) {
    // The first bad row may be an earlier one of the open batch.
    std::vector<std::pair<uint64_t, std::string>> bad;
    STRATA_RETURN_IF_ERROR(Resolve(&bad));
    if (!bad.empty()) return BadRow(bad.front().first, std::move(bad.front().second));
  }
  return BadRow(line, std::move(reason));
}

Status Importer::BadRow(uint64_t line, std::string reason) {
  report_.rows_bad++;
  if (report_.errors.size() < options_.max_listed_errors) report_.errors.push_back(RowError{path_, line, reason});
  if (on_error_ == OnError::kSkip) return Status::OK();
  // Under fail, nothing of the open batch is committed.
  batch_.clear();
  batch_tempids_.clear();
  return Status::InvalidArgument(Here(line) + ": " + reason);
}

Result<std::optional<EntityId>> Importer::Lookup(const Attribute* attr, const Value& v) const {
  STRATA_ASSIGN_OR_RETURN(DatomCursor c, db_.Datoms(Index::kAvet, {Value::Ref(attr->id), v}));
  if (c.Valid()) return std::optional<EntityId>(c.datom().e);
  STRATA_RETURN_IF_ERROR(c.status());
  return std::optional<EntityId>();
}

Status Importer::Resolve(std::vector<std::pair<uint64_t, std::string>>* bad) {
  // Every key the batch names, looked up once, in index order: consecutive
  // lookups then read the same leaves, whatever the segment cache holds.
  const ColumnSpec* base = spec_->columns.data();
  using Key = std::pair<EntityId, const Value*>;
  auto less = [](const Key& x, const Key& y) { return x.first != y.first ? x.first < y.first : *x.second < *y.second; };
  std::vector<std::pair<Key, const Attribute*>> keys;
  for (const Pending& p : batch_) {
    if (p.row.identity) {
      const Attribute* a = attrs_[p.row.identity - base];
      keys.push_back({{a->id, &p.row.key}, a});
    }
    for (const MappedValue& mv : p.row.values) {
      if (mv.col->ref.empty()) continue;
      const Attribute* a = ref_attrs_[mv.col - base];
      keys.push_back({{a->id, &mv.v}, a});
    }
  }
  std::sort(keys.begin(), keys.end(), [&](const auto& x, const auto& y) { return less(x.first, y.first); });
  std::map<Key, EntityId, decltype(less)> found(less);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0 && !less(keys[i - 1].first, keys[i].first)) continue;
    STRATA_ASSIGN_OR_RETURN(std::optional<EntityId> e, Lookup(keys[i].second, *keys[i].first.second));
    if (e) found.emplace(keys[i].first, *e);
  }
  for (Pending& p : batch_) {
    p.existing = 0;
    if (p.row.identity) {
      auto it = found.find({attrs_[p.row.identity - base]->id, &p.row.key});
      if (it != found.end()) p.existing = it->second;
    }
    p.resolved.assign(p.row.values.size(), 0);
    for (size_t i = 0; i < p.row.values.size(); ++i) {
      const MappedValue& mv = p.row.values[i];
      if (mv.col->ref.empty()) continue;
      auto it = found.find({ref_attrs_[mv.col - base]->id, &mv.v});
      if (it != found.end()) {
        p.resolved[i] = it->second;
      } else if (!batch_tempids_.count(TempidFor(mv.col->ref, mv.v))) {
        bad->emplace_back(p.row.line, "column '" + mv.col->column + "': unresolvable reference, [:" + mv.col->ref +
                                          " " + edn::Print(ValueToTxNode(mv.v)) + "] matches no entity");
        break;
      }
    }
  }
  return Status::OK();
}

Result<bool> Importer::Unchanged(const Pending& p) const {
  if (p.existing == 0) return false;
  std::vector<std::pair<EntityId, Value>> have;
  STRATA_RETURN_IF_ERROR(
      ForEach(db_.Datoms(Index::kEavt, {Value::Ref(p.existing)}), [&](const Datom& d) { have.emplace_back(d.a, d.v); }));
  const ColumnSpec* base = spec_->columns.data();
  for (size_t i = 0; i < p.row.values.size(); ++i) {
    const MappedValue& mv = p.row.values[i];
    if (!mv.col->ref.empty() && p.resolved[i] == 0) return false;  // a new entity of this batch
    const std::pair<EntityId, Value> want{attrs_[mv.col - base]->id,
                                          mv.col->ref.empty() ? mv.v : Value::Ref(p.resolved[i])};
    if (std::find(have.begin(), have.end(), want) == have.end()) return false;
  }
  return true;
}

Status Importer::Committed(const TxReport& r, size_t rows, uint64_t last_line) {
  db_ = r.db_after;
  report_.transactions++;
  report_.datoms += r.tx_data.size();
  report_.rows_imported += rows;
  report_.committed_through = Here(last_line);
  if (report_.first_data_t == 0) report_.first_data_t = r.t;
  report_.last_data_t = r.t;
  Progress(false);
  if (options_.stop && options_.stop()) return Status::Aborted("stopped; " + report_.CommittedText());
  return Status::OK();
}

Status Importer::Flush() {
  if (batch_.empty()) return Status::OK();
  std::vector<std::pair<uint64_t, std::string>> bad;
  STRATA_RETURN_IF_ERROR(Resolve(&bad));
  if (!bad.empty()) {
    if (on_error_ == OnError::kFail) return BadRow(bad.front().first, std::move(bad.front().second));
    // Leave the bad rows out, and the rows that referred to them in the batch.
    std::unordered_set<uint64_t> out;
    for (auto& [line, reason] : bad) {
      out.insert(line);
      STRATA_RETURN_IF_ERROR(BadRow(line, std::move(reason)));
    }
    for (bool again = true; again;) {
      again = false;
      std::unordered_set<std::string> alive;
      for (const Pending& p : batch_)
        if (p.row.identity && !out.count(p.row.line)) alive.insert(TempidFor(p.row.identity->attr, p.row.key));
      for (const Pending& p : batch_) {
        if (out.count(p.row.line)) continue;
        for (size_t i = 0; i < p.row.values.size(); ++i) {
          const MappedValue& mv = p.row.values[i];
          if (mv.col->ref.empty() || p.resolved[i] != 0 || alive.count(TempidFor(mv.col->ref, mv.v))) continue;
          out.insert(p.row.line);
          STRATA_RETURN_IF_ERROR(BadRow(p.row.line, "column '" + mv.col->column + "': refers to a bad row"));
          again = true;
          break;
        }
      }
    }
    std::erase_if(batch_, [&](const Pending& p) { return out.count(p.row.line) > 0; });
  }
  // Rows that say nothing new are not sent.
  const size_t before = batch_.size();
  std::vector<Pending> kept;
  kept.reserve(batch_.size());
  for (Pending& p : batch_) {
    STRATA_ASSIGN_OR_RETURN(bool unchanged, Unchanged(p));
    if (!unchanged) kept.push_back(std::move(p));
  }
  batch_ = std::move(kept);
  report_.rows_unchanged += before - batch_.size();
  batch_tempids_.clear();
  for (const Pending& p : batch_)
    if (p.row.identity) batch_tempids_.insert(TempidFor(p.row.identity->attr, p.row.key));
  if (batch_.empty()) return Status::OK();
  // In key order, the transactor's own lookups read neighbouring leaves too.
  std::stable_sort(batch_.begin(), batch_.end(),
                   [](const Pending& x, const Pending& y) { return x.row.key < y.row.key; });
  uint64_t last = 0;
  std::vector<edn::Node> ops;
  ops.reserve(batch_.size());
  for (const Pending& p : batch_) {
    ops.push_back(RowToTxMap(p.row, &batch_tempids_, &p.resolved));
    last = std::max(last, p.row.line);
  }
  auto r = conn_.Transact(edn::Node::Vector(std::move(ops)));
  if (!r.ok()) {
    if (!IsDataError(r.status())) return r.status().WithContext("committing rows of " + path_);
    return Salvage(r.status());
  }
  const size_t rows = batch_.size();
  batch_.clear();
  batch_tempids_.clear();
  return Committed(*r, rows, last);
}

Status Importer::Salvage(const Status& why) {
  // Find the rows the transactor refuses: apply them one at a time, with
  // every reference as a lookup ref, to a speculative database.
  std::vector<Pending> good;
  std::vector<std::pair<uint64_t, std::string>> bad;
  Database spec = db_;
  for (Pending& p : batch_) {
    auto w = spec.With(edn::Node::Vector({RowToTxMap(p.row, nullptr, nullptr)}));
    if (w.ok()) {
      spec = w->db_after;
      good.push_back(std::move(p));
    } else {
      bad.emplace_back(p.row.line, "refused by the transactor: " + w.status().message());
    }
  }
  uint64_t first = ~uint64_t{0}, last = 0;
  for (const Pending& p : batch_) first = std::min(first, p.row.line), last = std::max(last, p.row.line);
  batch_.clear();
  batch_tempids_.clear();
  std::sort(bad.begin(), bad.end());
  if (bad.empty() && on_error_ == OnError::kFail)
    return BadRow(first, "rows through line " + std::to_string(last) + " refused together: " + why.message());
  for (auto& [line, reason] : bad) STRATA_RETURN_IF_ERROR(BadRow(line, std::move(reason)));
  if (good.empty()) return Status::OK();
  // Again without the bad rows, as one transaction; failing that, row by row.
  if (!bad.empty()) {
    std::unordered_set<std::string> tempids;
    std::vector<edn::Node> ops;
    for (const Pending& p : good)
      if (p.row.identity) tempids.insert(TempidFor(p.row.identity->attr, p.row.key));
    for (const Pending& p : good) ops.push_back(RowToTxMap(p.row, &tempids, &p.resolved));
    auto r = conn_.Transact(edn::Node::Vector(std::move(ops)));
    if (r.ok()) {
      report_.retried_batches++;
      uint64_t through = 0;
      for (const Pending& p : good) through = std::max(through, p.row.line);
      return Committed(*r, good.size(), through);
    }
    if (!IsDataError(r.status())) return r.status().WithContext("committing rows of " + path_);
  }
  for (const Pending& p : good) {
    auto r = conn_.Transact(edn::Node::Vector({RowToTxMap(p.row, nullptr, nullptr)}));
    if (r.ok()) {
      STRATA_RETURN_IF_ERROR(Committed(*r, 1, p.row.line));
    } else if (IsDataError(r.status())) {
      STRATA_RETURN_IF_ERROR(BadRow(p.row.line, "refused by the transactor: " + r.status().message()));
    } else {
      return r.status().WithContext("committing rows of " + path_);
    }
  }
  return Status::OK();
}

void Importer::Progress(bool force) {
  if (!options_.progress) return;
  const Clock::time_point now = Clock::now();
  if (!force && now - last_progress_ < std::chrono::duration<double>(options_.progress_interval_s)) return;
  last_progress_ = now;
  ImportProgress p;
  p.file = path_;
  p.rows = report_.rows;
  p.datoms = report_.datoms;
  p.bytes_read = bytes_done_ + (reader_ ? reader_->bytes_read() : 0);
  p.bytes_total = bytes_total_;
  p.seconds = std::chrono::duration<double>(now - start_).count();
  options_.progress(p);
}

}  // namespace

std::string RowError::ToString() const {
  return line ? file + ":" + std::to_string(line) + ": " + reason : file + ": " + reason;
}

double ImportProgress::eta_s() const {
  if (bytes_total == 0 || bytes_read == 0 || seconds <= 0) return -1;
  if (bytes_read >= bytes_total) return 0;
  return seconds * static_cast<double>(bytes_total - bytes_read) / static_cast<double>(bytes_read);
}

std::string ImportReport::Summary() const {
  const double s = seconds > 0 ? seconds : 1e-9;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%llu rows from %llu files in %.2f s (%s rows/s, %s datoms/s): %llu imported, %llu unchanged, "
                "%llu bad; %llu transactions, %llu datoms",
                static_cast<unsigned long long>(rows), static_cast<unsigned long long>(files), seconds,
                Rate(static_cast<double>(rows) / s).c_str(), Rate(static_cast<double>(datoms) / s).c_str(),
                static_cast<unsigned long long>(rows_imported), static_cast<unsigned long long>(rows_unchanged),
                static_cast<unsigned long long>(rows_bad), static_cast<unsigned long long>(transactions),
                static_cast<unsigned long long>(datoms));
  std::string out = buf;
  if (retried_batches) out += "; " + std::to_string(retried_batches) + " batches committed again without bad rows";
  if (schema_transacted) out += "; schema installed";
  return out;
}

std::string ImportReport::CommittedText() const {
  std::string schema;
  if (schema_ts.size() == 1) {
    schema = "the schema transaction (t=" + std::to_string(schema_ts[0]) + ")";
  } else if (!schema_ts.empty()) {
    schema = "the " + std::to_string(schema_ts.size()) + " schema transactions (t=" + std::to_string(schema_ts.front()) +
             ".." + std::to_string(schema_ts.back()) + ")";
  }
  if (transactions == 0) {
    if (schema.empty()) return "nothing was committed";
    return schema + (schema_ts.size() == 1 ? " was" : " were") + " committed; no data rows were committed";
  }
  std::string ts = first_data_t == last_data_t ? "t=" + std::to_string(last_data_t)
                                               : "t=" + std::to_string(first_data_t) + ".." + std::to_string(last_data_t);
  return (schema.empty() ? "" : schema + " and ") + std::to_string(rows_imported) + " rows in " +
         std::to_string(transactions) + (transactions == 1 ? " transaction (" : " transactions (") + ts +
         ") were committed, through " + committed_through;
}

Status EnsureSchema(Connection& conn, Env* env, const Mapping& mapping, bool* transacted, std::vector<T>* ts) {
  *transacted = false;
  if (mapping.schema_path.empty()) return Status::OK();
  auto text = env->ReadFile(mapping.schema_path);
  if (!text.ok()) return text.status().WithContext("reading schema " + mapping.schema_path);
  auto forms = edn::ReadAll(*text);
  if (!forms.ok()) return forms.status().WithContext(mapping.schema_path);
  for (const edn::Node& tx : *forms) {
    // Installed already when it would record nothing but its own instant.
    auto w = conn.db().With(tx);
    if (!w.ok()) return w.status().WithContext("schema " + mapping.schema_path);
    bool news = false;
    for (const Datom& d : w->tx_data) news = news || d.e != w->tx;
    if (!news) continue;
    auto r = conn.Transact(tx);
    if (!r.ok()) return r.status().WithContext("schema " + mapping.schema_path);
    *transacted = true;
    if (ts) ts->push_back(r->t);
  }
  return Status::OK();
}

Status ImportCsv(Connection& conn, const Mapping& mapping, const std::vector<std::string>& paths,
                 const ImportOptions& options, ImportReport* report) {
  *report = ImportReport();
  Env* env = options.env ? options.env : Env::Default();
  Importer importer(conn, mapping, options, env, report);
  return importer.Run(paths);
}

bool TxBatchBuilder::Add(const MappedRow& row) {
  if (row.identity) {
    std::string t = TempidFor(row.identity->attr, row.key);
    if (tempids_.count(t)) return false;
    rows_.push_back(RowToTxMap(row, &tempids_, nullptr));
    tempids_.insert(std::move(t));
    return true;
  }
  rows_.push_back(RowToTxMap(row, &tempids_, nullptr));
  return true;
}

edn::Node TxBatchBuilder::Take() {
  edn::Node tx = edn::Node::Vector(std::move(rows_));
  rows_.clear();
  tempids_.clear();
  return tx;
}

}  // namespace strata::workloads
