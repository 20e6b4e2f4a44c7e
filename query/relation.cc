// Relations: hash joins, anti-joins, projections and the limits they obey.
#include "relation.h"

#include <algorithm>
#include <bit>

namespace strata::query {

Budget::Budget(const QueryOptions& o, QueryStats* stats) : o_(o), stats_(stats ? stats : &own_) {
  *stats_ = QueryStats{};
  deadline_ = o.timeout_ms ? std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms)
                           : std::chrono::steady_clock::time_point::max();
}

Status Budget::Over(uint64_t size, uint64_t bytes) const {
  if (size > o_.max_tuples) {
    return Status::Busy("query exceeded max_tuples: an intermediate relation reached " + std::to_string(size) +
                        " tuples (limit " + std::to_string(o_.max_tuples) + ")");
  }
  if (bytes > o_.max_bytes) {
    return Status::Busy("query exceeded max_bytes: an intermediate relation reached " + std::to_string(bytes) +
                        " bytes (limit " + std::to_string(o_.max_bytes) + ")");
  }
  return Status::OK();
}

Status Budget::Charge(uint64_t rows, uint64_t size, uint64_t bytes) {
  stats_->tuples += rows;
  STRATA_RETURN_IF_ERROR(Over(size, bytes));
  since_check_ += rows + 1;
  if (since_check_ >= 4096) {
    since_check_ = 0;
    return CheckTime();
  }
  return Status::OK();
}

Status Budget::Charge(uint64_t rows, const Rel& r) { return Charge(rows, r.n, r.bytes); }

std::string FormatSeconds(uint64_t ms) {
  std::string s = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    s += "." + frac;
  }
  return s + " s";
}

Status Budget::CheckTime() {
  if (o_.timeout_ms == 0) return Status::OK();
  if (std::chrono::steady_clock::now() > deadline_) {
    return Status::Aborted("query timed out after " + FormatSeconds(o_.timeout_ms));
  }
  return Status::OK();
}

uint64_t Budget::RemainingMs() const {
  if (o_.timeout_ms == 0) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<uint64_t>(left.count()) : 1;
}

RowTable::RowTable(size_t expected) {
  if (expected > 0) Resize(std::max<size_t>(16, std::bit_ceil(expected * 2)));
}

void RowTable::Resize(size_t slots) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slots, Slot{});
  mask_ = slots - 1;
  for (const Slot& s : old) {
    if (s.row == 0) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].row != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void RowTable::Insert(size_t hash, uint32_t row) {
  if ((size_ + 1) * 2 > slots_.size()) Resize(std::max<size_t>(16, slots_.size() * 2));
  const uint32_t h = Mix(hash);
  size_t i = h & mask_;
  while (slots_[i].row != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{h, row + 1};
  ++size_;
}

int Rel::col(const std::string& var) const {
  for (size_t i = 0; i < vars.size(); ++i)
    if (vars[i] == var) return static_cast<int>(i);
  return -1;
}

// The capacity a relation's cells grow to: quadrupled below about 8 MiB
// and doubled below about 64 MiB (fewer regrowths, each of which moves
// every cell: a scan's relation of 40,000 cells moved 40,000 cells growing
// by doubling), by half past kDoubleBelow cells, so that a relation
// stopped at max_bytes has held at most about 2.5 times that at once.
size_t Rel::Grown(size_t capacity, size_t w) {
  constexpr size_t kQuadrupleBelow = (8u << 20) / sizeof(Val);
  constexpr size_t kDoubleBelow = (64u << 20) / sizeof(Val);
  const size_t more = capacity < kQuadrupleBelow ? 3 * capacity : capacity < kDoubleBelow ? capacity : capacity / 2;
  return std::max<size_t>(16, capacity + more + w);
}

void Rel::Add(const Val* row_cells) {
  const size_t w = vars.size();
  if (cells.size() + w > cells.capacity()) cells.reserve(Grown(cells.capacity(), w));
  for (size_t i = 0; i < w; ++i) bytes += ValBytes(row_cells[i]);
  cells.insert(cells.end(), row_cells, row_cells + w);
  ++n;
  distinct = false;
}

void Rel::AddMoved(Val* row_cells) {
  const size_t w = vars.size();
  if (cells.size() + w > cells.capacity()) cells.reserve(Grown(cells.capacity(), w));
  for (size_t i = 0; i < w; ++i) {
    bytes += ValBytes(row_cells[i]);
    cells.push_back(std::move(row_cells[i]));
  }
  ++n;
  distinct = false;
}

void Rel::Clear() {
  cells.clear();
  n = 0;
  bytes = 0;
  distinct = false;
}

void Rel::KeepRows(const std::vector<uint32_t>& rows) {
  const size_t w = vars.size();
  bytes = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    Val* to = cells.data() + k * w;
    if (rows[k] != k) std::move(cells.begin() + static_cast<long>(rows[k] * w),
                                cells.begin() + static_cast<long>((rows[k] + 1) * w), to);
    for (size_t j = 0; j < w; ++j) bytes += ValBytes(to[j]);
  }
  cells.resize(rows.size() * w);
  n = rows.size();
}

Rel UnitRel() {
  Rel r;
  r.n = 1;
  r.distinct = true;
  return r;
}

namespace {

// Row numbers of `r` by the hash of their cells at `cols`.
RowTable IndexRows(const Rel& r, const std::vector<int>& cols) {
  RowTable idx(r.n);
  for (size_t i = 0; i < r.n; ++i) idx.Insert(HashCols(r.row(i), cols), static_cast<uint32_t>(i));
  return idx;
}

void SharedCols(const Rel& a, const Rel& b, std::vector<int>* ac, std::vector<int>* bc) {
  for (size_t i = 0; i < a.vars.size(); ++i) {
    int j = b.col(a.vars[i]);
    if (j >= 0) {
      ac->push_back(static_cast<int>(i));
      bc->push_back(j);
    }
  }
}

}  // namespace

Result<Rel> Join(const Rel& a, const Rel& b, Budget* budget) {
  std::vector<int> ac, bc;
  SharedCols(a, b, &ac, &bc);
  Rel out;
  out.vars = a.vars;
  std::vector<int> b_extra;  // columns of b not in a
  for (size_t j = 0; j < b.vars.size(); ++j) {
    if (a.col(b.vars[j]) < 0) {
      b_extra.push_back(static_cast<int>(j));
      out.vars.push_back(b.vars[j]);
    }
  }
  std::vector<Val> row(out.vars.size());
  auto emit = [&](const Val* x, const Val* y) -> Status {
    std::copy(x, x + a.width(), row.begin());
    for (size_t k = 0; k < b_extra.size(); ++k) row[a.width() + k] = y[b_extra[k]];
    out.Add(row.data());
    if ((out.n & 1023) == 0) return budget->Charge(1024, out);
    return budget->Fits(out);
  };
  if (ac.empty()) {
    // A product: its size is known before it is built.
    if (a.n * b.n > 0) {
      const uint64_t bytes = a.bytes * b.n + b.bytes * a.n;
      STRATA_RETURN_IF_ERROR(budget->Charge(0, a.n * b.n, bytes));
    }
    for (size_t i = 0; i < a.n; ++i)
      for (size_t j = 0; j < b.n; ++j) STRATA_RETURN_IF_ERROR(emit(a.row(i), b.row(j)));
  } else if (b.n <= a.n) {
    RowTable idx = IndexRows(b, bc);
    Status st;
    for (size_t i = 0; i < a.n && st.ok(); ++i) {
      idx.Any(HashCols(a.row(i), ac), [&](uint32_t j) {
        if (EqualCols(a.row(i), ac, b.row(j), bc)) st = emit(a.row(i), b.row(j));
        return !st.ok();
      });
    }
    STRATA_RETURN_IF_ERROR(st);
  } else {
    RowTable idx = IndexRows(a, ac);
    Status st;
    for (size_t j = 0; j < b.n && st.ok(); ++j) {
      idx.Any(HashCols(b.row(j), bc), [&](uint32_t i) {
        if (EqualCols(a.row(i), ac, b.row(j), bc)) st = emit(a.row(i), b.row(j));
        return !st.ok();
      });
    }
    STRATA_RETURN_IF_ERROR(st);
  }
  STRATA_RETURN_IF_ERROR(budget->Charge(out.n & 1023, out));
  out.distinct = a.distinct && b.distinct;  // a natural join of two sets is a set
  return out;
}

Rel AntiJoin(const Rel& a, const Rel& b) {
  std::vector<int> ac, bc;
  SharedCols(a, b, &ac, &bc);
  Rel out;
  out.vars = a.vars;
  if (b.n == 0) return a;
  if (ac.empty()) return out;  // b has rows and constrains nothing: all excluded
  RowTable idx = IndexRows(b, bc);
  for (size_t i = 0; i < a.n; ++i) {
    bool found = idx.Any(HashCols(a.row(i), ac), [&](uint32_t j) { return EqualCols(a.row(i), ac, b.row(j), bc); });
    if (!found) out.Add(a.row(i));
  }
  return out;
}

Rel Project(const Rel& r, const std::vector<std::string>& vars) {
  std::vector<int> cols;
  for (const auto& v : vars) cols.push_back(r.col(v));
  Rel out;
  out.vars = vars;
  if (vars.empty()) {
    out.n = r.n > 0 ? 1 : 0;
    out.distinct = true;
    return out;
  }
  RowTable seen(r.n);
  std::vector<Val> row(vars.size());
  std::vector<int> out_cols(vars.size());
  for (size_t k = 0; k < vars.size(); ++k) out_cols[k] = static_cast<int>(k);
  for (size_t i = 0; i < r.n; ++i) {
    const size_t h = HashCols(r.row(i), cols);
    if (seen.Any(h, [&](uint32_t j) { return EqualCols(r.row(i), cols, out.row(j), out_cols); })) continue;
    for (size_t k = 0; k < cols.size(); ++k) row[k] = r.row(i)[cols[k]];
    seen.Insert(h, static_cast<uint32_t>(out.n));
    out.Add(row.data());
  }
  out.distinct = true;
  return out;
}

Rel Project(Rel&& r, const std::vector<std::string>& vars) {
  if (!r.distinct || vars.size() != r.vars.size() || vars.empty()) return Project(static_cast<const Rel&>(r), vars);
  std::vector<int> cols;
  for (const auto& v : vars) cols.push_back(r.col(v));
  // Distinct vars naming every column: a permutation of the columns.
  std::vector<bool> used(r.vars.size());
  for (int c : cols) {
    if (c < 0 || used[static_cast<size_t>(c)]) return Project(static_cast<const Rel&>(r), vars);
    used[static_cast<size_t>(c)] = true;
  }
  Rel out = std::move(r);
  bool same = true;
  for (size_t k = 0; k < cols.size(); ++k) same = same && cols[k] == static_cast<int>(k);
  if (!same) {
    const size_t w = cols.size();
    std::vector<Val> row(w);
    for (size_t i = 0; i < out.n; ++i) {
      Val* cells = out.cells.data() + i * w;
      for (size_t k = 0; k < w; ++k) row[k] = std::move(cells[cols[k]]);
      std::move(row.begin(), row.end(), cells);
    }
  }
  out.vars = vars;
  out.distinct = true;
  return out;
}

void Dedupe(Rel* r) {
  if (!r->distinct) *r = Project(*r, r->vars);
}

void Append(Rel* a, const Rel& b) {
  if (a->vars == b.vars) {
    a->cells.insert(a->cells.end(), b.cells.begin(), b.cells.end());
    a->n += b.n;
    a->bytes += b.bytes;
    a->distinct = false;
    return;
  }
  std::vector<int> cols;
  for (const auto& v : a->vars) cols.push_back(b.col(v));
  std::vector<Val> row(a->vars.size());
  for (size_t i = 0; i < b.n; ++i) {
    for (size_t k = 0; k < cols.size(); ++k) row[k] = b.row(i)[cols[k]];
    a->Add(row.data());
  }
}

RowSet::RowSet(std::vector<std::string> vars) {
  rel.vars = std::move(vars);
  for (size_t i = 0; i < rel.vars.size(); ++i) cols_.push_back(static_cast<int>(i));
}

bool RowSet::Contains(const Val* row) const {
  return idx_.Any(HashCols(row, cols_), [&](uint32_t j) { return EqualCols(row, cols_, rel.row(j), cols_); });
}

bool RowSet::Insert(const Val* row) {
  if (Contains(row)) return false;
  idx_.Insert(HashCols(row, cols_), static_cast<uint32_t>(rel.n));
  rel.Add(row);
  return true;
}

bool Ctx::bound(const std::string& var) const {
  for (const Rel& r : rels)
    if (r.has(var)) return true;
  return false;
}

bool Ctx::empty() const {
  for (const Rel& r : rels)
    if (r.n == 0) return true;
  return false;
}

Result<int> Ctx::Gather(const std::vector<std::string>& vars, Budget* budget) {
  std::vector<size_t> hits;
  for (size_t i = 0; i < rels.size(); ++i) {
    for (const auto& v : vars) {
      if (rels[i].has(v)) {
        hits.push_back(i);
        break;
      }
    }
  }
  if (hits.empty()) return -1;
  Rel merged = std::move(rels[hits[0]]);
  for (size_t k = 1; k < hits.size(); ++k) {
    STRATA_ASSIGN_OR_RETURN(merged, Join(merged, rels[hits[k]], budget));
  }
  for (size_t k = hits.size(); k-- > 0;) rels.erase(rels.begin() + static_cast<long>(hits[k]));
  rels.push_back(std::move(merged));
  return static_cast<int>(rels.size() - 1);
}

Status Ctx::Absorb(Rel r, Budget* budget) {
  std::vector<size_t> hits;
  for (size_t i = 0; i < rels.size(); ++i) {
    for (const auto& v : r.vars) {
      if (rels[i].has(v)) {
        hits.push_back(i);
        break;
      }
    }
  }
  for (size_t k : hits) {
    STRATA_ASSIGN_OR_RETURN(r, Join(rels[k], r, budget));
  }
  for (size_t k = hits.size(); k-- > 0;) rels.erase(rels.begin() + static_cast<long>(hits[k]));
  if (r.vars.empty() && r.n > 0 && !rels.empty()) return Status::OK();  // a unit: no information
  rels.push_back(std::move(r));
  return Status::OK();
}

}  // namespace strata::query
