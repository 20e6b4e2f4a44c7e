// env_readonly.h — an Env that can only read (internal).
//
// NewReadOnlyEnv wraps another Env: reads go through to it, and every
// operation that could change a byte, a file or a folder (create, append,
// truncate, rename, delete, sync, lock) fails with InvalidArgument naming
// the path. A read-only open (Options::read_only) hands only this Env to
// everything below it, so no code path under it can write, whatever it
// tries.
//
// Thread safety: like the wrapped Env. `base` must outlive the wrapper.
#pragma once

#include <memory>

#include "strata/env.h"

namespace strata {

std::unique_ptr<Env> NewReadOnlyEnv(Env* base);

}  // namespace strata
