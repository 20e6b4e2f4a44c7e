// checks.cc — the SPEC §8 invariants as checks against the model.
#include "strata/connection.h"
#include "checks.h"

#include <algorithm>
#include <map>
#include <set>

namespace strata::props {
namespace {

#define RETURN_IF_DIFF(expr)             \
  do {                                   \
    std::string _d = (expr);             \
    if (!_d.empty()) return _d;          \
  } while (0)

bool Exempt(const Model& m, EntityId a) { return m.ever_no_history().count(a) > 0; }

std::vector<Datom> Sorted(std::vector<Datom> ds, Index order) {
  std::sort(ds.begin(), ds.end(), [order](const Datom& x, const Datom& y) { return ModelLess(order, x, y); });
  return ds;
}

// Up to n ts spread over the model's transactions, always the last one.
std::vector<T> SomeTs(const Model& m, size_t n) {
  const auto& ts = m.ts();
  std::vector<T> out;
  for (size_t i = 0; i < n && i < ts.size(); ++i) {
    const T t = ts[(ts.size() - 1) * (n - i) / n];
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

}  // namespace

std::string CheckFold(const Model& m, Sut& sut) {
  RETURN_IF_DIFF(CompareLog(m, sut.conn()));
  const Database db = sut.conn().db();
  const auto& ts = m.ts();
  for (size_t i = 0; i < ts.size(); ++i) {
    const T t = ts[i];
    ViewQuery q;
    q.as_of = t;
    RETURN_IF_DIFF(CompareView(m, db, q, Index::kEavt));
    // as_of takes a tx id as well as a t.
    std::string err;
    RETURN_IF_DIFF(CompareReads("as_of(tx id of t=" + std::to_string(t) + ")", m, q, m.Datoms(q, Index::kEavt),
                                ReadIndex(db.AsOf(TxId(t)), Index::kEavt, {}, &err)));
    if (!err.empty()) return err;
    if (t > 0) {
      q.as_of = t - 1;  // just before each transaction too
      RETURN_IF_DIFF(CompareView(m, db, q, Index::kEavt));
    }
  }
  // tx_range(start, end): the transactions with start <= t < end, in order.
  if (ts.size() >= 3) {
    const T start = ts[1], end = ts[ts.size() - 1];
    std::vector<T> got;
    Status s = sut.conn().TxRange(start, end, [&](T t, const std::vector<Datom>&) {
      got.push_back(t);
      return Status::OK();
    });
    if (!s.ok()) return "tx_range: " + s.ToString();
    std::vector<T> want(ts.begin() + 1, ts.end() - 1);
    if (got != want)
      return "tx_range(" + std::to_string(start) + ", " + std::to_string(end) + ") returned " +
             std::to_string(got.size()) + " transactions, want " + std::to_string(want.size());
  }
  return "";
}

std::string CheckHistory(const Model& m, Sut& sut) {
  const Database db = sut.conn().db();
  ViewQuery h;
  h.history = true;
  RETURN_IF_DIFF(CompareView(m, db, h, Index::kEavt));
  RETURN_IF_DIFF(CompareView(m, db, h, Index::kAevt));
  for (T t : SomeTs(m, 3)) {
    ViewQuery q = h;
    q.as_of = t;
    RETURN_IF_DIFF(CompareView(m, db, q, Index::kEavt));
    q = h;
    q.since = t;
    RETURN_IF_DIFF(CompareView(m, db, q, Index::kVaet));
  }
  return "";
}

std::string CheckRetraction(const Model& m, Sut& sut) {
  const Database db = sut.conn().db();
  // Consecutive (assertion at t1, retraction at t2) pairs of one (e a v).
  struct Pair {
    Datom a, r;
  };
  std::map<std::tuple<EntityId, EntityId, Value>, Datom> last;
  std::vector<Pair> pairs;
  std::vector<Datom> all = m.datoms();
  std::stable_sort(all.begin(), all.end(), [](const Datom& x, const Datom& y) { return x.tx < y.tx; });
  for (const Datom& d : all) {
    auto key = std::make_tuple(d.e, d.a, d.v);
    auto it = last.find(key);
    if (!d.added && it != last.end() && it->second.added && !Exempt(m, d.a)) pairs.push_back({it->second, d});
    last[key] = d;
  }
  // The most recent ones: they move between memory and durable index.
  const size_t first = pairs.size() > 10 ? pairs.size() - 10 : 0;
  for (size_t i = first; i < pairs.size(); ++i) {
    const Datom& a = pairs[i].a;
    const Datom& r = pairs[i].r;
    const T t1 = a.t(), t2 = r.t();
    const std::vector<Value> eav{Value::Ref(a.e), Value::Ref(a.a), a.v};
    auto present = [&](T t, std::string* err) {
      std::vector<Datom> got = ReadIndex(db.AsOf(t), Index::kEavt, eav, err);
      return !got.empty();
    };
    std::string err;
    const bool before = present(t1 - 1, &err), at1 = present(t1, &err), at2m = present(t2 - 1, &err),
               at2 = present(t2, &err);
    if (!err.empty()) return err;
    if (before || !at1 || !at2m || at2)
      return "retraction: " + ShowDatom(a) + " retracted by " + ShowDatom(r) + ": present in as_of(t1-1)=" +
             std::to_string(before) + " as_of(t1)=" + std::to_string(at1) + " as_of(t2-1)=" + std::to_string(at2m) +
             " as_of(t2)=" + std::to_string(at2) + " (want 0 1 1 0)";
    // The history shows both, in every order that holds the attribute.
    std::vector<std::pair<Index, std::vector<Value>>> lookups = {
        {Index::kEavt, eav}, {Index::kAevt, {Value::Ref(a.a), Value::Ref(a.e), a.v}}};
    const ModelAttr* at = m.schema().Attr(a.a);
    if (at && at->in_avet()) lookups.push_back({Index::kAvet, {Value::Ref(a.a), a.v, Value::Ref(a.e)}});
    if (at && at->is_ref()) lookups.push_back({Index::kVaet, {a.v, Value::Ref(a.a), Value::Ref(a.e)}});
    for (const auto& [order, prefix] : lookups) {
      std::vector<Datom> h = ReadIndex(db.History(), order, prefix, &err);
      if (!err.empty()) return err;
      if (std::find(h.begin(), h.end(), a) == h.end() || std::find(h.begin(), h.end(), r) == h.end())
        return std::string("retraction: history ") + IndexName(order) + " of " + ShowDatom(a) +
               " lacks the assertion or the retraction " + ShowDatom(r);
    }
  }
  return "";
}

std::string CheckSince(const Model& m, Sut& sut) {
  const Database db = sut.conn().db();
  std::vector<T> ts = SomeTs(m, 4);
  ts.push_back(m.basis_t() > 0 ? m.basis_t() - 1 : 0);
  for (T t : ts) {
    ViewQuery q;
    q.since = t;
    RETURN_IF_DIFF(CompareView(m, db, q, Index::kEavt));
    RETURN_IF_DIFF(CompareView(m, db, q, Index::kAvet));
    q.as_of = m.ts()[m.ts().size() / 2];
    RETURN_IF_DIFF(CompareView(m, db, q, Index::kAevt));
  }
  return "";
}

std::string CheckCardinalityUniqueness(const Model& m, Sut& sut) {
  const Database db = sut.conn().db();
  std::vector<T> ts = m.ts();
  if (ts.size() > 12) ts.erase(ts.begin(), ts.end() - 12);
  for (T t : ts) {
    const ModelSchema schema = m.SchemaAsOf(t);
    std::string err;
    std::vector<Datom> ds = ReadIndex(db.AsOf(t), Index::kEavt, {}, &err);
    if (!err.empty()) return err;
    std::map<std::pair<EntityId, EntityId>, int> per_ea;
    std::map<std::pair<EntityId, Value>, std::set<EntityId>> per_av;
    for (const Datom& d : ds) {
      const ModelAttr* at = schema.Attr(d.a);
      if (!at) continue;
      if (!at->many && ++per_ea[{d.e, d.a}] > 1)
        return "cardinality: as_of(" + std::to_string(t) + ") holds two values of cardinality-one :" + at->ident +
               " for entity " + std::to_string(d.e);
      if (at->unique != Unique::kNone) {
        auto& holders = per_av[{d.a, d.v}];
        holders.insert(d.e);
        if (holders.size() > 1)
          return "uniqueness: as_of(" + std::to_string(t) + ") gives unique :" + at->ident + " value " + ShowDatom(d) +
                 " to two entities";
      }
    }
    ViewQuery q;
    q.as_of = t;
    RETURN_IF_DIFF(CompareView(m, db, q, Index::kEavt));
  }
  return "";
}

std::string CheckIndexAgreement(const Model& m, Sut& sut) {
  const Database db = sut.conn().db();
  for (const ViewQuery& q : SampleViews(m, 1)) {
    const Database v = ApplyView(db, q);
    std::string err;
    std::vector<std::vector<Datom>> by_order;
    for (int o = 0; o < kIndexCount; ++o) {
      const Index order = static_cast<Index>(o);
      std::vector<Datom> ds = ReadIndex(v, order, {}, &err);
      if (!err.empty()) return q.ToString() + ": " + err;
      RETURN_IF_DIFF(CheckSorted(q.ToString() + " " + IndexName(order), ds, order));
      by_order.push_back(std::move(ds));
      RETURN_IF_DIFF(CompareView(m, db, q, order));
    }
    // The orders hold the same datoms (AVET and VAET their subsets). In a
    // view of the past, not the past values of :db/noHistory attributes:
    // SPEC §7 need not keep them, and each order's current tree drops a
    // pair when its own merges meet it, at a time that depends on the
    // strategy and the tree's size (tiering meets pairs at different jobs
    // in different orders, and the attribute may have changed meanwhile).
    const bool past = q.history || (q.as_of && *q.as_of < m.basis_t());
    auto comparable = [&](std::vector<Datom> ds) {
      if (past) std::erase_if(ds, [&](const Datom& d) { return Exempt(m, d.a); });
      return ds;
    };
    const std::vector<Datom>& eavt = by_order[0];
    const std::vector<Datom> eavt_cmp = comparable(eavt);
    std::vector<Datom> avet, vaet;
    for (const Datom& d : eavt_cmp) {
      const Attribute* at = v.attribute(d.a);
      if (at && at->in_avet()) avet.push_back(d);
      if (at && at->is_ref()) vaet.push_back(d);
    }
    RETURN_IF_DIFF(DiffDatoms(q.ToString() + " aevt vs eavt", eavt_cmp, Sorted(comparable(by_order[1]), Index::kEavt)));
    RETURN_IF_DIFF(DiffDatoms(q.ToString() + " avet vs eavt", Sorted(avet, Index::kAvet), comparable(by_order[2])));
    RETURN_IF_DIFF(DiffDatoms(q.ToString() + " vaet vs eavt", Sorted(vaet, Index::kVaet), comparable(by_order[3])));
    // Prefix reads agree with the full scans.
    std::set<EntityId> es, as;
    for (const Datom& d : eavt) {
      if (PartitionOf(d.e) == kPartUser) es.insert(d.e);
      if (const Attribute* at = v.attribute(d.a); at && at->ident.starts_with("p/")) as.insert(d.a);
    }
    for (EntityId e : es) {
      std::vector<Datom> want;
      for (const Datom& d : eavt)
        if (d.e == e) want.push_back(d);
      RETURN_IF_DIFF(DiffDatoms(q.ToString() + " eavt[" + std::to_string(e) + "]", want,
                                ReadIndex(v, Index::kEavt, {Value::Ref(e)}, &err)));
      std::vector<Datom> refs;
      for (const Datom& d : by_order[3])
        if (d.v == Value::Ref(e)) refs.push_back(d);
      RETURN_IF_DIFF(DiffDatoms(q.ToString() + " vaet[" + std::to_string(e) + "]", refs,
                                ReadIndex(v, Index::kVaet, {Value::Ref(e)}, &err)));
    }
    for (EntityId a : as) {
      std::vector<Datom> want;
      for (const Datom& d : by_order[1])
        if (d.a == a) want.push_back(d);
      RETURN_IF_DIFF(DiffDatoms(q.ToString() + " aevt[" + std::to_string(a) + "]", want,
                                ReadIndex(v, Index::kAevt, {Value::Ref(a)}, &err)));
      const Attribute* at = v.attribute(a);
      if (!at || !at->in_avet()) continue;
      std::vector<Datom> mine;
      for (const Datom& d : by_order[2])
        if (d.a == a) mine.push_back(d);
      RETURN_IF_DIFF(DiffDatoms(q.ToString() + " avet[" + std::to_string(a) + "]", mine,
                                ReadIndex(v, Index::kAvet, {Value::Ref(a)}, &err)));
      if (mine.empty()) continue;
      // index_range over [first value, last value) and a value lookup.
      const Value lo = mine.front().v, hi = mine.back().v;
      std::vector<Datom> range, at_lo;
      for (const Datom& d : mine) {
        if (!(d.v < lo) && d.v < hi) range.push_back(d);
        if (d.v == lo) at_lo.push_back(d);
      }
      auto c = v.IndexRange(a, lo, hi);
      if (!c.ok()) return "index_range: " + c.status().ToString();
      std::vector<Datom> got;
      for (; c->Valid(); c->Next()) got.push_back(c->datom());
      if (Status st = c->status(); !st.ok()) return "index_range: " + st.ToString();
      RETURN_IF_DIFF(DiffDatoms(q.ToString() + " index_range[" + std::to_string(a) + "]", range, got));
      RETURN_IF_DIFF(DiffDatoms(q.ToString() + " avet[" + std::to_string(a) + " v]", at_lo,
                                ReadIndex(v, Index::kAvet, {Value::Ref(a), lo}, &err)));
    }
    // seek_datoms: everything from a position on.
    if (!es.empty()) {
      const EntityId e = *es.rbegin();
      auto c = v.SeekDatoms(Index::kEavt, {Value::Ref(e)});
      if (!c.ok()) return "seek_datoms: " + c.status().ToString();
      std::vector<Datom> got, want;
      for (; c->Valid(); c->Next()) got.push_back(c->datom());
      if (Status st = c->status(); !st.ok()) return "seek_datoms: " + st.ToString();
      for (const Datom& d : eavt)
        if (d.e >= e) want.push_back(d);
      RETURN_IF_DIFF(DiffDatoms(q.ToString() + " seek_datoms eavt from " + std::to_string(e), want, got));
    }
    if (!err.empty()) return err;
  }
  return "";
}

std::string CheckTransparency(const Model& m, Sut& sut) {
  const Database db = sut.conn().db();
  Connection* ref = sut.reference();
  for (const ViewQuery& q : SampleViews(m, 2)) {
    for (Index order : {Index::kEavt, Index::kAvet, Index::kVaet}) {
      RETURN_IF_DIFF(CompareView(m, db, q, order));
      if (!ref) continue;
      // Exactly what a database that never ran a job returns, noHistory included.
      std::string err;
      std::vector<Datom> want = ReadIndex(ApplyView(ref->db(), q), order, {}, &err);
      std::vector<Datom> got = ReadIndex(ApplyView(db, q), order, {}, &err);
      if (!err.empty()) return err;
      // Either side may have dropped past :db/noHistory values (each is
      // checked against the model above); everything else is identical.
      std::vector<Datom> want_main, got_main;
      const bool exempt = q.history || (q.as_of && *q.as_of < m.basis_t());
      for (const Datom& d : want)
        if (!exempt || !Exempt(m, d.a)) want_main.push_back(d);
      for (const Datom& d : got)
        if (!exempt || !Exempt(m, d.a)) got_main.push_back(d);
      RETURN_IF_DIFF(DiffDatoms("transparency vs never-indexed twin: " + q.ToString() + " " + IndexName(order),
                                want_main, got_main));
    }
  }
  return CheckHeld(sut);
}

std::string CheckDurable(const Model& m, Sut& sut) {
  const Database db = sut.conn().db();
  RETURN_IF_DIFF(CompareCounters(m, db));
  ViewQuery h;
  h.history = true;
  for (int o = 0; o < kIndexCount; ++o) {
    RETURN_IF_DIFF(CompareView(m, db, {}, static_cast<Index>(o)));
    RETURN_IF_DIFF(CompareView(m, db, h, static_cast<Index>(o)));
  }
  const std::vector<Value> want = m.CurrentValues(TxId(m.basis_t()), SysIdsOf(m.schema()).tx_instant);
  const auto got_r = db.TxInstant(m.basis_t());
  if (!got_r.ok()) return "durability: reading the txInstant: " + got_r.status().ToString();
  const std::optional<int64_t> got = *got_r;
  if (got.has_value() != !want.empty() || (got && *got != want.front().instant_ms()))
    return "durability: the txInstant of basis_t " + std::to_string(m.basis_t()) + " differs";
  return CompareLog(m, sut.conn());
}

std::string CheckMonotonicTime(const Model& m, Sut& sut) {
  for (size_t i = 1; i < sut.committed_ts.size(); ++i)
    if (sut.committed_ts[i] <= sut.committed_ts[i - 1])
      return "monotonic time: t=" + std::to_string(sut.committed_ts[i]) + " acknowledged after t=" +
             std::to_string(sut.committed_ts[i - 1]);
  const Database db = sut.conn().db();
  RETURN_IF_DIFF(CompareCounters(m, db));
  if (db.next_t() <= db.basis_t()) return "monotonic time: next_t <= basis_t";
  // Every transaction's instant, from the history, in t order.
  const SysIds sys = SysIdsOf(m.schema());
  std::string err;
  std::map<T, int64_t> got;
  for (const Datom& d : ReadIndex(db.History(), Index::kAevt, {Value::Ref(sys.tx_instant)}, &err))
    if (d.added && PartitionOf(d.e) == kPartTx) got[TOf(d.e)] = d.v.instant_ms();
  if (!err.empty()) return err;
  if (got != m.instants()) return "monotonic time: the recorded txInstants differ from the model's";
  int64_t prev = 0;
  for (const auto& [t, ms] : got) {
    if (ms < prev) return "monotonic time: txInstant of t=" + std::to_string(t) + " is before its predecessor's";
    prev = ms;
  }
  // as_of an instant: the last transaction at or before it (current txInstants).
  std::vector<std::pair<T, int64_t>> current;
  for (const Datom& d : m.View({}))
    if (d.a == sys.tx_instant && PartitionOf(d.e) == kPartTx) current.push_back({TOf(d.e), d.v.instant_ms()});
  const std::map<T, int64_t> instants = m.instants();
  for (T t : SomeTs(m, 3)) {
    auto it = instants.find(t);
    if (it == instants.end()) continue;
    for (int64_t ms : {it->second, it->second - 1}) {
      T want = 0;
      for (const auto& [tt, x] : current)
        if (x <= ms) want = std::max(want, tt);
      const auto vr = db.AsOfInstant(ms);
      if (!vr.ok()) return "as_of_instant(" + std::to_string(ms) + "): " + vr.status().ToString();
      const Database& v = *vr;
      if (v.as_of_t() != want)
        return "as_of_instant(" + std::to_string(ms) + ") is t=" + std::to_string(v.as_of_t().value_or(0)) +
               ", want t=" + std::to_string(want);
    }
  }
  return "";
}

std::string CheckExcision(const Model& m, Sut& sut) {
  RETURN_IF_DIFF(CheckDurable(m, sut));
  const Database db = sut.conn().db();
  for (const ViewQuery& q : SampleViews(m, 2)) RETURN_IF_DIFF(CompareView(m, db, q, Index::kAevt));
  return "";
}

std::vector<std::vector<Datom>> ReadHeld(const Database& db, const std::vector<std::pair<ViewQuery, Index>>& queries,
                                         std::string* err) {
  std::vector<std::vector<Datom>> out;
  for (const auto& [q, order] : queries) out.push_back(ReadIndex(ApplyView(db, q), order, {}, err));
  return out;
}

std::string CheckHeld(Sut& sut) {
  for (const HeldDb& h : sut.held) {
    std::string err;
    auto now = ReadHeld(h.db, h.queries, &err);
    if (!err.empty()) return "held value at basis_t=" + std::to_string(h.db.basis_t()) + ": " + err;
    for (size_t i = 0; i < now.size(); ++i)
      RETURN_IF_DIFF(DiffDatoms("held value at basis_t=" + std::to_string(h.db.basis_t()) + " " +
                                    h.queries[i].first.ToString() + " " + IndexName(h.queries[i].second),
                                h.reads[i], now[i]));
  }
  return "";
}

std::string RunChecks(uint32_t checks, const Model& m, Sut& sut) {
  RETURN_IF_DIFF(CompareCounters(m, sut.conn().db()));
  if (checks & kCheckFold) RETURN_IF_DIFF(CheckFold(m, sut));
  if (checks & kCheckHistory) RETURN_IF_DIFF(CheckHistory(m, sut));
  if (checks & kCheckRetraction) RETURN_IF_DIFF(CheckRetraction(m, sut));
  if (checks & kCheckSince) RETURN_IF_DIFF(CheckSince(m, sut));
  if (checks & kCheckCardinality) RETURN_IF_DIFF(CheckCardinalityUniqueness(m, sut));
  if (checks & kCheckIndexAgreement) RETURN_IF_DIFF(CheckIndexAgreement(m, sut));
  if (checks & kCheckTransparency) RETURN_IF_DIFF(CheckTransparency(m, sut));
  if (checks & kCheckMonotonicTime) RETURN_IF_DIFF(CheckMonotonicTime(m, sut));
  if (checks & kCheckQueue) RETURN_IF_DIFF(sut.CheckQueues());
  if (checks & kCheckExcision) RETURN_IF_DIFF(CheckExcision(m, sut));
  if (checks & kCheckHeld) RETURN_IF_DIFF(CheckHeld(sut));
  return "";
}

}  // namespace strata::props
