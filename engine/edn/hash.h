// hash.h — hashing of EDN nodes (internal), consistent with
// Node::operator==; the reader's duplicate-key check.

#pragma once

#include <cstddef>
#include <vector>

#include "strata/edn.h"

namespace strata::edn {

// Consistent with operator==: maps and sets hash order-independently, and
// 0.0 and -0.0 (which compare equal) hash alike.
size_t HashNode(const Node& n);

// Index (in entries) of the earliest element whose key repeats an earlier
// one, or SIZE_MAX. Keys are items[i * stride]: stride 2 for a map's
// entries, 1 for a set's elements.
size_t FindDuplicate(const std::vector<Node>& items, size_t stride);

}  // namespace strata::edn
