// buffered.h — a buffered tree in the Bε-tree / hitchhiker-tree family
// (Brodal & Fagerberg 2003; Bender et al., ";login:" 2015; Datahike's
// hitchhiker tree): novelty is parked in the buffers of directory nodes and
// pushed one level down, a node's buffer at a time, when that buffer fills.
//
// What it is, exactly. strata's segment and root formats have no place for
// datoms inside a directory node, and this strategy does not add one; it
// lays the tree out on the levels every strategy shares:
//   - the deepest level of a tree holds the leaves;
//   - level d above it (d = 0 is the root) holds the buffers of the tree's
//     nodes at depth d. Node boundaries are not stored: the nodes at depth
//     d split the leaf level's segments into min(fanout^d, leaves) groups of
//     equal count, and a node's buffer is the run of level-d segments whose
//     first datom falls in its key range. So a buffer is a per-key-range run
//     parked above the leaf level, not bytes inside a directory node;
//   - a job appends its novelty to the root's buffer (level 0: the touched
//     segments are rewritten, as a hitchhiker tree copies its root node);
//     the root flushes when it would hold more than buffer_datoms; at every
//     deeper buffer level the fullest node flushes when it holds more than
//     buffer_datoms. A flush moves the whole buffer into the level below —
//     into the children's buffers, or into the leaves, rewriting only the
//     segments it falls into (hitchhiker style: all of a node's messages
//     go down together, where a Bε-tree may flush only the child with the
//     most). One flush per level per job keeps a job bounded; buffers drain
//     at least buffer_datoms a job, so they keep up with novelty of that size;
//   - the tree grows a level when its deepest buffer nodes would cover more
//     than fanout × buffer_datoms of leaves: the leaf level moves one level
//     down without being rewritten and an empty buffer level takes its place.
// Cost per datom: one rewrite per buffer level it passes (amortized over the
// flushes a buffer receives, ≤ fanout) plus the leaf merge; reads merge one
// source per level, ~log_fanout(database / buffer_datoms) + 1.
// docs/indexing.md compares it with the leveled `adaptive`: both are O(log)
// designs; they differ in which datoms move together (a node's key range
// here, the least-overlapping slice there) and when (a full node here, a
// full level there).
//
// Settings: "buffer_datoms=N" (0: one job's novelty, memory_index_threshold
// / kMemIndexBytesPerDatom (60 bytes) a datom, at least 4 segments) and "fanout=N" (2 to 1000, 10).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "strata/indexing.h"

namespace strata {

struct BufferedOptions {
  uint64_t buffer_datoms = 0;  // a node's buffer capacity; 0: one job's novelty
  uint32_t fanout = 10;        // children per directory node; 2 to 1000
};

// InvalidArgument naming "buffered" and the key for an unknown key or a
// value out of range.
Result<BufferedOptions> ParseBufferedOptions(std::string_view settings);

std::unique_ptr<MergeStrategy> NewBufferedStrategy(const BufferedOptions& options = {});

}  // namespace strata
