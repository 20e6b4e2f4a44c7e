// pg_backend.cc — the PostgreSQL backend (placeholder until it is written).
#include "backend.h"

namespace strata {

Result<Backend> OpenPgBackend(const std::string& uri, const BackendOptions&) {
  return Status::InvalidArgument("PostgreSQL storage is not built yet: " + uri);
}

Status DestroyPgDatabase(const std::string& uri) {
  return Status::InvalidArgument("PostgreSQL storage is not built yet: " + uri);
}

}  // namespace strata
