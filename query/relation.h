// relation.h — relations of bound variables and the joins between them
// (internal).
//
// A Rel is a bag of rows over named variables, stored row-major in one
// vector. Evaluation keeps several Rels at once (a Ctx): variables that no
// clause has connected yet live in separate Rels, so nothing is
// multiplied out until a clause or the :find needs it.
//
// Thread safety: plain values; a Budget belongs to one query.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/query.h"
#include "val.h"

namespace strata::query {

struct Rel;

// Limits and counters of one query run: max_tuples and max_bytes per
// intermediate relation, and the deadline.
class Budget {
 public:
  Budget(const QueryOptions& o, QueryStats* stats);
  // Accounts for `rows` new tuples in a relation that now holds (or is
  // about to hold) `size` tuples of `bytes`; checks the clock every few
  // thousand tuples.
  Status Charge(uint64_t rows, uint64_t size, uint64_t bytes);
  Status Charge(uint64_t rows, const Rel& r);
  // The limits only, no clock: cheap enough for every row of a relation
  // whose rows may be large (strings built by functions, joins).
  Status Fits(const Rel& r) const;  // inline below
  Status CheckTime();
  // Milliseconds left before the deadline (at least 1); 0 when there is none.
  uint64_t RemainingMs() const;
  // The deadline; time_point::max() when there is none.
  std::chrono::steady_clock::time_point Deadline() const {
    return o_.timeout_ms == 0 ? std::chrono::steady_clock::time_point::max() : deadline_;
  }
  QueryStats& stats() { return *stats_; }

 private:
  Status Over(uint64_t size, uint64_t bytes) const;
  QueryOptions o_;
  QueryStats own_;
  QueryStats* stats_;
  std::chrono::steady_clock::time_point deadline_;
  uint64_t since_check_ = 0;
};

// "2 s", "2.5 s": a timeout in milliseconds as the errors print it.
std::string FormatSeconds(uint64_t ms);

// Bytes a value holds: its cell, its string beyond the small-string
// buffer, and a tuple's own cells (shared tuples count once per cell that
// holds them, an over-estimate on purpose: it is cheap and never low).
// Inline: it runs for every cell added to a relation.
inline size_t ValBytes(const Val& v) {
  size_t b = sizeof(Val) + v.v.HeapBytes();
  if (v.tuple) b += sizeof(std::vector<Val>) + v.tuple->size() * sizeof(Val);
  return b;
}

struct Rel {
  std::vector<std::string> vars;
  std::vector<Val> cells;  // rows * vars.size()
  size_t n = 0;            // rows (a relation over no variables still counts them)
  uint64_t bytes = 0;      // ValBytes of every cell added (what max_bytes bounds)
  // The rows are known to be distinct (a pattern read that cannot repeat a
  // row, a join or projection of such): Project over every variable then
  // skips its hashing. Add clears it; whoever fills a relation knowing its
  // rows distinct sets it after the last Add.
  bool distinct = false;

  size_t width() const { return vars.size(); }
  const Val* row(size_t i) const { return cells.data() + i * vars.size(); }
  int col(const std::string& var) const;
  bool has(const std::string& var) const { return col(var) >= 0; }
  // Appends a row. The cells double while under about 64 MiB, then grow
  // by half, so a relation stopped at max_bytes has held at most about
  // 2.5 times that at once (or 64 MiB more).
  void Add(const Val* row_cells);
  void Add(const std::vector<Val>& row_cells) { Add(row_cells.data()); }
  // Appends a row, moving its cells out of `row_cells`.
  void AddMoved(Val* row_cells);
  // Appends a row built in place: `fill(cells)` emplaces exactly width()
  // Vals at the end of `cells` (no row of temporaries moved in).
  template <typename Fill>
  void AddEmplaced(Fill&& fill) {
    const size_t w = vars.size();
    if (cells.size() + w > cells.capacity()) cells.reserve(Grown(cells.capacity(), w));
    const size_t at = cells.size();
    fill(cells);
    for (size_t i = at; i < cells.size(); ++i) bytes += ValBytes(cells[i]);
    ++n;
    distinct = false;
  }
  // The capacity the cells grow to from `capacity` for a row of `w`.
  static size_t Grown(size_t capacity, size_t w);
  void Clear();  // no rows; vars stay
  // Keeps only the rows numbered in `rows` (ascending), in place; a
  // subset of distinct rows stays distinct.
  void KeepRows(const std::vector<uint32_t>& rows);
};

// Emplaces the cells [from, from + w) at the end of *to (in a
// Rel::AddEmplaced fill): moved out when `take` (nothing reads them
// again), else copied.
inline void EmplaceCells(Val* from, size_t w, bool take, std::vector<Val>* to) {
  if (take) {
    for (size_t x = 0; x < w; ++x) to->emplace_back(std::move(from[x]));
  } else {
    for (size_t x = 0; x < w; ++x) to->emplace_back(from[x]);
  }
}

inline Status Budget::Fits(const Rel& r) const {
  if (r.n <= o_.max_tuples && r.bytes <= o_.max_bytes) return Status::OK();
  return Over(r.n, r.bytes);
}

// The relation with no variables and one row: the identity of joins.
Rel UnitRel();

// Natural join on the shared variables (a product when there are none).
Result<Rel> Join(const Rel& a, const Rel& b, Budget* budget);
// Rows of `a` that have no partner in `b` on the shared variables.
Rel AntiJoin(const Rel& a, const Rel& b);
// The distinct rows of `r` over `vars` (each must be in r).
Rel Project(const Rel& r, const std::vector<std::string>& vars);
// The same, consuming `r`: a relation known distinct over all its
// variables is moved (its columns reordered), not copied and hashed.
Rel Project(Rel&& r, const std::vector<std::string>& vars);
// Removes duplicate rows in place.
void Dedupe(Rel* r);
// Appends the rows of `b` (same variables, maybe in another order) to `a`.
void Append(Rel* a, const Rel& b);

// Hashing of a row's cells at some columns.
// Inline: they run for every row of a join, a group and a dedupe.
inline size_t HashCols(const Val* row, const std::vector<int>& cols) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int c : cols) h = (h ^ HashVal(row[c])) * 0x100000001b3ull;
  // Finalizer (MurmurHash3's fmix64): every input bit reaches the low bits.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}
inline bool EqualCols(const Val* x, const std::vector<int>& xc, const Val* y, const std::vector<int>& yc) {
  for (size_t i = 0; i < xc.size(); ++i)
    if (!(x[xc[i]] == y[yc[i]])) return false;
  return true;
}

// Row numbers by hash: open addressing, linear probing. Callers compare
// the rows a probe visits; equal hashes are not equal rows.
class RowTable {
 public:
  explicit RowTable(size_t expected = 0);
  void Insert(size_t hash, uint32_t row);
  // Calls visit(row) for the rows stored under `hash` until it returns
  // true; returns whether one did.
  template <typename Visit>
  bool Any(size_t hash, Visit&& visit) const {
    if (slots_.empty()) return false;
    const uint32_t h = Mix(hash);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.row == 0) return false;
      if (s.hash == h && visit(s.row - 1)) return true;
    }
  }

 private:
  struct Slot {
    uint32_t hash = 0, row = 0;  // row + 1; 0 marks an empty slot
  };
  static uint32_t Mix(size_t h) { return static_cast<uint32_t>(h ^ (h >> 32)); }
  void Resize(size_t slots);
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
};

// A relation without duplicates, with a hash index for membership tests.
struct RowSet {
  Rel rel;
  bool Contains(const Val* row) const;
  bool Insert(const Val* row);  // false when already present
  explicit RowSet(std::vector<std::string> vars = {});

 private:
  RowTable idx_;
  std::vector<int> cols_;
};

// The relations a query holds while its clauses run.
struct Ctx {
  std::vector<Rel> rels;

  bool bound(const std::string& var) const;
  bool empty() const;  // some relation has no rows: nothing can match
  // Merges (joins, or multiplies when unconnected) every relation holding
  // one of `vars` into one and returns its index; -1 if none holds any.
  Result<int> Gather(const std::vector<std::string>& vars, Budget* budget);
  // Joins `r` into the relations it shares variables with, or adds it.
  Status Absorb(Rel r, Budget* budget);
};

}  // namespace strata::query
