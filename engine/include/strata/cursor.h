// strata/cursor.h — a forward cursor over datoms (Database::Datoms and friends).
//
// Thread safety: a cursor is used by one thread at a time; it holds the
// database value it reads alive, so it stays valid after that value is
// dropped.
#pragma once

#include <memory>

#include "strata/status.h"
#include "strata/value.h"

namespace strata {

// A forward cursor over datoms. Holds the database value it reads alive.
class DatomCursor {
 public:
  DatomCursor();
  DatomCursor(DatomCursor&&) noexcept;
  DatomCursor& operator=(DatomCursor&&) noexcept;
  ~DatomCursor();

  // False at the end, or when a source failed: check status() after the
  // loop, so a corrupt segment ends a read with an error, never silently.
  bool Valid() const;
  const Datom& datom() const;  // requires Valid()
  void Next();
  Status status() const;
  // How many sorted sources this read merges (memory runs, segments).
  size_t sources_merged() const;

 private:
  friend class Database;
  struct Rep;  // db/database.cc
  std::unique_ptr<Rep> rep_;
};

}  // namespace strata
