// SecurePool: where SecureBuffer's bytes live.
//
// Purpose: guarded, locked memory for secrets without paying a guarded mapping per secret.
// sodium_malloc maps guard pages around every allocation and mlocks it: measured here at about
// 45 µs per allocate/free pair, which made a session setup spend 40% of its time in the
// allocator (docs/performance.md). The pool takes 64 KiB chunks from sodium_malloc (guard pages
// before and after each chunk, locked, never swapped, never dumped) and hands out fixed-size
// blocks from them.
//
// Invariants:
// - Every block handed out is zero-filled; every block returned is wiped (sodium_memzero)
//   before it goes back on its free list. Freed bytes never hold a secret.
// - Blocks come in size classes 32, 64, ..., 4096 bytes, 16-byte aligned. Larger requests go
//   straight to sodium_malloc (their own guard pages).
// - Chunks are never returned: the pool holds at most the peak of live secrets, rounded up to
//   chunks. The pool object is deliberately never destroyed, so a SecureBuffer that outlives
//   static destruction still frees into live memory.
// - Thread-safe (one mutex; a critical section is a few pointer moves).
//
// What is given up against one mapping per secret: an overflow of one block can reach its
// neighbour inside the same chunk before it reaches a guard page. The secrets in a chunk are
// all Exile's own fixed-size keys, written only through fixed-size spans.
#pragma once

#include <cstddef>

namespace exile::detail {

[[nodiscard]] void* secure_allocate(std::size_t size);
void secure_deallocate(void* p, std::size_t size) noexcept;

// chunks is 0 when the pool is bypassed (AddressSanitizer builds); blocks_in_use counts the
// secrets held either way.
struct SecurePoolStats {
  std::size_t chunks = 0;
  std::size_t blocks_in_use = 0;
};
[[nodiscard]] SecurePoolStats secure_pool_stats();

}  // namespace exile::detail
