// db_access.h — the state behind a Database value, and a Database made
// from a state (internal; for the transactor, connection, replica, verify).
#pragma once

#include <memory>

#include "state/db_state.h"
#include "strata/database.h"

namespace strata {

struct DbAccess {
  static const std::shared_ptr<const DbState>& State(const Database& d) { return d.state_; }
  static Database Make(std::shared_ptr<const DbState> s) { return Database(std::move(s)); }
};

}  // namespace strata
