// Cardinality estimates for the planner, from a bounded sample per
// attribute: the first kSampleDatoms datoms of its AEVT prefix.
//
// The sample gives the attribute's datom count when the prefix ends within
// it (else "more than the sample": kLarge), the share of one value, and the
// number of distinct values (Chao1 from the values seen once and twice).
// A sample is read at most once per attribute and database value (and view:
// Database::SampleAttribute keeps it with the value), looked up at most once
// per attribute and source in a query run, and only when the planner has a
// choice that depends on it.
#include <algorithm>

#include "eval.h"

namespace strata::query {

namespace {
constexpr uint64_t kSampleDatoms = 512;
// The count assumed for an attribute with more datoms than the sample.
constexpr double kLarge = 4.0 * kSampleDatoms;
}  // namespace

double AttrSample::Count() const { return complete ? static_cast<double>(n) : std::max<double>(kLarge, n); }

double AttrSample::WithValue(const Value& v) const {
  if (n == 0) return 0;
  if (unique) return 1;
  auto it = data->values.find(v);
  // A value missing from a partial sample is rare, not absent: half a datom.
  const double seen = it == data->values.end() ? (complete ? 0 : 0.5) : it->second;
  return Count() * seen / static_cast<double>(n);
}

double AttrSample::Fanout() const {
  if (n == 0 || unique) return 1;
  return std::max(1.0, Count() / std::max(distinct, 1.0));
}

double AttrSample::PerEntity() const {
  if (n == 0) return 1;
  return std::max(1.0, static_cast<double>(n) / std::max(entities, 1.0));
}

const AttrSample& Evaluator::Sample(const Database& db, const std::string& src, const Attribute& a) {
  auto key = std::make_pair(Resolve(src), a.id);  // "$" inside a ($x ...) body is $x
  if (auto it = samples_.find(key); it != samples_.end()) return it->second;
  AttrSample s;
  s.unique = a.unique != Unique::kNone;
  const ReadCounters before = ThreadReadCounters();
  auto r = db.SampleAttribute(a.id, kSampleDatoms);
  if (!r.ok()) {
    NoteReadError(r.status().WithContext("sampling :" + a.ident));
    return samples_.emplace(key, std::move(s)).first->second;  // n = 0; the error ends the query
  }
  s.data = *r;
  s.n = s.data->datoms;
  s.complete = s.data->complete;
  s.entities = static_cast<double>(s.data->entities);
  // Datoms read now: none when the value's sample was taken before.
  const uint64_t read = ThreadReadCounters().cursors != before.cursors ? s.n : 0;
  budget.stats().datoms += read;
  budget.stats().planner_datoms += read;
  s.distinct = static_cast<double>(s.data->values.size());
  if (!s.complete) {
    double f1 = 0, f2 = 0;
    for (const auto& [v, k] : s.data->values) {
      f1 += k == 1;
      f2 += k == 2;
    }
    s.distinct += f1 * f1 / (2 * std::max(f2, 1.0));
  }
  return samples_.emplace(key, std::move(s)).first->second;
}

}  // namespace strata::query
