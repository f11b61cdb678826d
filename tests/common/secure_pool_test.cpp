#include "common/secure_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include "common/secure_buffer.h"

namespace exile::detail {
namespace {

bool all_zero(const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  return std::all_of(b, b + n, [](std::uint8_t v) { return v == 0; });
}

TEST(SecurePool, BlocksStartZeroAndAreDistinct) {
  std::vector<void*> blocks;
  std::set<void*> seen;
  for (std::size_t size : {1u, 31u, 32u, 33u, 64u, 200u, 1024u, 4096u, 5000u}) {
    for (int i = 0; i < 50; ++i) {
      void* p = secure_allocate(size);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(all_zero(p, size));
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u) << "size " << size;
      EXPECT_TRUE(seen.insert(p).second);
      std::fill_n(static_cast<std::uint8_t*>(p), size, std::uint8_t{0xA5});
      blocks.push_back(p);
    }
  }
  std::size_t i = 0;
  for (std::size_t size : {1u, 31u, 32u, 33u, 64u, 200u, 1024u, 4096u, 5000u}) {
    for (int k = 0; k < 50; ++k) secure_deallocate(blocks[i++], size);
  }
}

TEST(SecurePool, FreedBlocksAreWipedBeforeReuse) {
  // Whatever block comes back next, it must not hold the bytes written before the free.
  for (int round = 0; round < 100; ++round) {
    void* p = secure_allocate(64);
    std::fill_n(static_cast<std::uint8_t*>(p), 64, std::uint8_t{0x5A});
    secure_deallocate(p, 64);
    void* q = secure_allocate(64);
    EXPECT_TRUE(all_zero(q, 64));
    secure_deallocate(q, 64);
  }
}

TEST(SecurePool, CountsBlocksInUse) {
  const auto before = secure_pool_stats();
  {
    SecureBuffer<32> a;
    SecureBuffer<64> b;
    EXPECT_EQ(secure_pool_stats().blocks_in_use, before.blocks_in_use + 2);
  }
  EXPECT_EQ(secure_pool_stats().blocks_in_use, before.blocks_in_use);
}

TEST(SecurePool, ConcurrentUse) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      std::vector<SecureBuffer<32>> keys;
      for (int i = 0; i < 2000; ++i) {
        keys.emplace_back();
        keys.back().data()[0] = static_cast<std::uint8_t>(t);
        if (i % 3 == 0) keys.erase(keys.begin());
      }
      for (const auto& k : keys) EXPECT_EQ(k.data()[0], t);
    });
  }
  for (auto& th : threads) th.join();
}

}  // namespace
}  // namespace exile::detail
