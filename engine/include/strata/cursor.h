// strata/cursor.h — a forward cursor over datoms (Database::Datoms and friends).
//
// The status contract: a cursor ends (Valid() is false) either at the end of
// its datoms or because a read failed (a segment that cannot be read or
// fails its checksum). Only status() tells the two apart, so a loop over a
// cursor must take it before it trusts what it read:
//
//   for (; c.Valid(); c.Next()) use(c.datom());
//   STRATA_RETURN_IF_ERROR(c.status());
//
// or, the form that cannot forget, ForEach below. Taking is enforced: a
// cursor that failed and is destroyed (or assigned over) without its
// status() having been called aborts the process with a message naming the
// error; a dropped read error is a bug, and stopping beats a silently short
// answer. A cursor that did not fail may be dropped at any point (a read
// that stops early). Checking costs nothing per datom.
//
// Thread safety: a cursor is used by one thread at a time; it holds the
// database value it reads alive, so it stays valid after that value is
// dropped.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "strata/status.h"
#include "strata/value.h"

namespace strata {

// A datom read in place (DatomCursor::ref): its components, the value as
// its fields (Value::AssignFields's: type, as_long(), uuid().lo, str()),
// with no Value built. The text points into the index or the cursor and is
// valid until the cursor moves. A scan that looks at many datoms and keeps
// few tests them this way and builds only the ones it keeps (datom()): a
// memory run's datom is then decoded only when it is asked for.
struct DatomRef {
  EntityId e = 0;
  EntityId a = 0;
  EntityId tx = 0;
  bool added = true;
  ValueType type = ValueType::kNil;
  int64_t num = 0;        // Value::as_long() (0 for text types)
  uint64_t aux = 0;       // Value::uuid().lo
  std::string_view text;  // Value::str()

  // The fields of d (text refers to d's string).
  static DatomRef Of(const Datom& d) {
    return DatomRef{d.e, d.a, d.tx, d.added, d.v.type(), d.v.as_long(), d.v.uuid().lo, d.v.str()};
  }
  // Value::operator== of the value and v, without building the value; a
  // text's length and first byte first (a scan for one value rejects most
  // texts there, without a memcmp call).
  bool ValueIs(const Value& v) const {
    if (type != v.type() || num != v.as_long() || aux != v.uuid().lo) return false;
    const std::string& s = v.str();
    return text.size() == s.size() &&
           (text.empty() || (text[0] == s[0] && std::memcmp(text.data(), s.data(), s.size()) == 0));
  }
  // The value, built.
  Value value() const {
    Value v;
    v.AssignFields(type, num, aux, text);
    return v;
  }
};

// A forward cursor over datoms. Holds the database value it reads alive.
class DatomCursor {
 public:
  DatomCursor();
  DatomCursor(DatomCursor&&) noexcept;
  DatomCursor& operator=(DatomCursor&&) noexcept;
  ~DatomCursor();

  // False at the end, or when a source failed: take status() after the
  // loop (see above).
  bool Valid() const;
  const Datom& datom() const;  // requires Valid()
  // Requires Valid(). The current datom's fields in place (see DatomRef):
  // over a current view's memory run no Datom is built unless datom() is
  // called too.
  DatomRef ref() const;
  void Next();
  // OK, or the error that ended the cursor. Calling it takes the status.
  Status status() const;
  // Moves a cursor of Database::Datoms to another prefix of the same index
  // and view: it then yields what Datoms(index, components) would, reusing
  // the sources it merges instead of opening them again (a pull reads one
  // entity after another this way). A cursor whose read failed stays
  // failed: after a seek it is !Valid() and status() gives the error
  // again. InvalidArgument (the cursor unchanged) for components Datoms
  // refuses, an AVET cursor without an attribute, or a cursor of
  // SeekDatoms or IndexRange. Counts as a cursor in ReadCounters.
  [[nodiscard]] Status Seek(std::vector<Value> components);
  // How many sorted sources this read merges (memory runs, segments).
  size_t sources_merged() const;

 private:
  friend class Database;
  struct Rep;  // db/database.cc
  std::unique_ptr<Rep> rep_;
};

// Calls fn(datom) for each datom of the cursor in order, and returns the
// cursor's status: the loop form whose error cannot be dropped (it is the
// result, and Status is [[nodiscard]]). fn returns void, bool (false stops
// early: OK, the cursor stood on a datom), or Status (an error stops the
// loop and is returned).
template <typename Fn>
Status ForEach(DatomCursor& c, Fn&& fn) {
  using R = std::invoke_result_t<Fn&, const Datom&>;
  for (; c.Valid(); c.Next()) {
    if constexpr (std::is_void_v<R>) {
      fn(c.datom());
    } else if constexpr (std::is_same_v<R, bool>) {
      if (!fn(c.datom())) return Status::OK();  // stopped on a datom: nothing failed
    } else {
      Status s = fn(c.datom());
      if (!s.ok()) return s;
    }
  }
  return c.status();
}

// The same over a cursor still in its Result (a failed open is returned).
template <typename Fn>
Status ForEach(Result<DatomCursor>&& c, Fn&& fn) {
  if (!c.ok()) return c.status();
  return ForEach(*c, std::forward<Fn>(fn));
}

// The index reads made by the calling thread since it started, for a
// call's io-stats (Datomic's :io-stats): take the counters before and after
// the call and subtract. Counted per thread, so reads by other threads
// (concurrent queries, indexing jobs) never mix in; monotonic, never reset.
struct ReadCounters {
  uint64_t cursors = 0;                // cursors opened (Datoms, SeekDatoms, IndexRange, ...) and moved (Seek)
  uint64_t sources_merged = 0;         // sorted sources those cursors merged (memory runs, index levels)
  uint64_t segments[kIndexCount] = {};  // index leaves read, by sort order (EAVT, AEVT, AVET, VAET)
  uint64_t cache_hits = 0;             // leaves found decoded in the segment cache
  uint64_t storage_reads = 0;          // leaves read from storage and decoded
  uint64_t storage_bytes = 0;          // the bytes of those reads
  uint64_t filter_skips = 0;           // AVET leaves a unique-value lookup skipped on their in-memory filter
};
ReadCounters ThreadReadCounters();
ReadCounters operator-(const ReadCounters& after, const ReadCounters& before);

}  // namespace strata
