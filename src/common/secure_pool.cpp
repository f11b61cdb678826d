#include "common/secure_pool.h"

#include <sodium.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "common/sodium.h"

namespace exile::detail {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kMinClass = 32;
constexpr std::size_t kMaxClass = 4096;
constexpr std::size_t kClassCount = 8;  // 32 .. 4096

std::size_t class_index(std::size_t size) {
  const std::size_t rounded = std::bit_ceil(size < kMinClass ? kMinClass : size);
  return static_cast<std::size_t>(std::countr_zero(rounded) - std::countr_zero(kMinClass));
}

struct FreeBlock {
  FreeBlock* next;
};

class Pool {
 public:
  void* allocate(std::size_t size) {
    const std::size_t index = class_index(size);
    const std::size_t block = kMinClass << index;
    std::lock_guard lock(mutex_);
    FreeBlock*& head = free_[index];
    if (head == nullptr) refill(index, block);
    FreeBlock* b = head;
    head = b->next;
    b->next = nullptr;  // the rest of the block is already zero (wiped on free, zero when new)
    ++in_use_;
    return b;
  }

  void deallocate(void* p, std::size_t size) noexcept {
    const std::size_t index = class_index(size);
    sodium_memzero(p, kMinClass << index);
    std::lock_guard lock(mutex_);
    auto* b = static_cast<FreeBlock*>(p);
    b->next = free_[index];
    free_[index] = b;
    --in_use_;
  }

  SecurePoolStats stats() {
    std::lock_guard lock(mutex_);
    return {chunks_.size(), in_use_};
  }

 private:
  void refill(std::size_t index, std::size_t block) {
    auto* chunk = static_cast<std::uint8_t*>(sodium_malloc(kChunkBytes));
    if (chunk == nullptr) throw std::bad_alloc();
    sodium_memzero(chunk, kChunkBytes);
    chunks_.push_back(chunk);
    // Thread the new blocks onto the free list, lowest address first.
    for (std::size_t offset = kChunkBytes; offset >= block; offset -= block) {
      auto* b = reinterpret_cast<FreeBlock*>(chunk + offset - block);
      b->next = free_[index];
      free_[index] = b;
    }
  }

  std::mutex mutex_;
  std::array<FreeBlock*, kClassCount> free_{};
  std::vector<std::uint8_t*> chunks_;
  std::size_t in_use_ = 0;
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: see secure_pool.h
  return *instance;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
#define EXILE_POOL_BYPASS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXILE_POOL_BYPASS 1
#endif
#endif

#ifdef EXILE_POOL_BYPASS
std::atomic<std::size_t> g_bypass_in_use{0};
#endif

void* secure_allocate(std::size_t size) {
  ensure_sodium();
#ifdef EXILE_POOL_BYPASS
  // Under AddressSanitizer each secret gets its own heap block, so that ASan sees every
  // overflow and use after free that the pool would hide.
  void* bypass = ::operator new(size == 0 ? 1 : size);
  sodium_memzero(bypass, size);
  ++g_bypass_in_use;
  return bypass;
#endif
  if (size > kMaxClass) {
    // sodium_malloc puts the block's end against a guard page; a multiple of 16 bytes keeps
    // its start 16-byte aligned.
    const std::size_t rounded = (size + 15) & ~std::size_t{15};
    void* p = sodium_malloc(rounded);
    if (p == nullptr) throw std::bad_alloc();
    sodium_memzero(p, rounded);
    return p;
  }
  return pool().allocate(size);
}

void secure_deallocate(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
#ifdef EXILE_POOL_BYPASS
  sodium_memzero(p, size);
  ::operator delete(p);
  --g_bypass_in_use;
  return;
#endif
  if (size > kMaxClass) {
    sodium_free(p);  // wipes before unmapping
    return;
  }
  pool().deallocate(p, size);
}

SecurePoolStats secure_pool_stats() {
#ifdef EXILE_POOL_BYPASS
  return {0, g_bypass_in_use.load()};
#else
  return pool().stats();
#endif
}

}  // namespace exile::detail
