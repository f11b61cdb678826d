// RecentKeys (relay/recent_keys.h), the dedup log's recent keys in memory: checked against a
// plain model (a map and a FIFO of keys) through long random runs of puts, lookups and hour cuts,
// at capacities small enough that the index's probe runs collide and wrap all the time, and
// large enough that the ring grows.
#include "relay/recent_keys.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace exile::relay {
namespace {

using Keys = RecentKeys<std::uint64_t>;
using Key = Keys::Key;

Key key_of(std::uint64_t n) {
  Key key{};
  for (int i = 0; i < 8; ++i)
    key[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  key[15] = 0x5a;
  return key;
}

// What RecentKeys must behave like.
struct Model {
  std::size_t capacity;
  std::map<Key, std::uint64_t> values;
  std::deque<std::pair<Key, std::uint64_t>> order;  // key, hour; oldest first

  void put(const Key& key, std::uint64_t hour, std::uint64_t value) {
    auto [it, fresh] = values.try_emplace(key, value);
    if (!fresh) {
      it->second = value;
      return;
    }
    order.emplace_back(key, hour);
    if (order.size() > capacity) {
      values.erase(order.front().first);
      order.pop_front();
    }
  }
  void drop_older_than(std::uint64_t hour) {
    while (!order.empty() && order.front().second < hour) {
      values.erase(order.front().first);
      order.pop_front();
    }
  }
};

void run_against_model(std::size_t capacity, std::uint64_t universe, int steps, unsigned seed) {
  std::mt19937_64 rng(seed);
  Keys keys(capacity);
  Model model{capacity, {}, {}};
  std::uint64_t hour = 0;
  for (int step = 0; step < steps; ++step) {
    const std::uint64_t n = rng() % universe;
    const Key key = key_of(n);
    switch (rng() % 16) {
      case 0: ++hour; break;
      case 1:
        if (rng() % 8 == 0) {
          const std::uint64_t cut = hour - std::min<std::uint64_t>(hour, rng() % 4);
          keys.drop_older_than(cut);
          model.drop_older_than(cut);
        }
        break;
      case 2:
      case 3:
      case 4:
      case 5:
      case 6: {
        const std::uint64_t value = rng();
        keys.put(key, hour, value);
        model.put(key, hour, value);
        break;
      }
      default: {
        const std::uint64_t* found = keys.find(key);
        auto it = model.values.find(key);
        ASSERT_EQ(found != nullptr, it != model.values.end())
            << "capacity " << capacity << ", step " << step;
        if (found) {
          ASSERT_EQ(*found, it->second);
        }
      }
    }
    ASSERT_EQ(keys.size(), model.values.size()) << "capacity " << capacity << ", step " << step;
  }
  // Every key of the universe, at the end.
  for (std::uint64_t n = 0; n < universe; ++n) {
    const std::uint64_t* found = keys.find(key_of(n));
    auto it = model.values.find(key_of(n));
    ASSERT_EQ(found != nullptr, it != model.values.end()) << "capacity " << capacity;
    if (found) {
      ASSERT_EQ(*found, it->second);
    }
  }
}

TEST(RecentKeys, BehavesLikeAMapAndAFifoAtSmallCapacities) {
  for (std::size_t capacity : {1u, 2u, 3u, 7u, 8u, 13u, 64u}) {
    run_against_model(capacity, capacity * 3 + 2, 40'000, static_cast<unsigned>(capacity));
  }
}

TEST(RecentKeys, BehavesLikeAMapAndAFifoWhileTheRingGrows) {
  // Past the first ring of 1,024 entries, twice, with evictions at the end.
  run_against_model(5'000, 8'000, 200'000, 7);
}

TEST(RecentKeys, EvictsTheOldestAndKeepsTheNewest) {
  Keys keys(1'000);
  for (std::uint64_t n = 0; n < 3'000; ++n) keys.put(key_of(n), n / 100, n);
  EXPECT_EQ(keys.size(), 1'000u);
  for (std::uint64_t n = 0; n < 2'000; ++n) EXPECT_EQ(keys.find(key_of(n)), nullptr) << n;
  for (std::uint64_t n = 2'000; n < 3'000; ++n) {
    const std::uint64_t* found = keys.find(key_of(n));
    ASSERT_NE(found, nullptr) << n;
    EXPECT_EQ(*found, n);
  }
  EXPECT_EQ(keys.oldest_hour(), std::uint64_t{20});
  keys.drop_older_than(25);
  EXPECT_EQ(keys.size(), 500u);
  EXPECT_EQ(keys.find(key_of(2'499)), nullptr);
  ASSERT_NE(keys.find(key_of(2'500)), nullptr);
}

TEST(RecentKeys, APutOfAKeptKeyChangesItsValueNotItsPlace) {
  Keys keys(3);
  keys.put(key_of(1), 0, 10);
  keys.put(key_of(2), 1, 20);
  keys.put(key_of(1), 5, 11);  // kept: its place (the oldest) and its hour stay
  keys.put(key_of(3), 2, 30);
  keys.put(key_of(4), 3, 40);  // evicts key 1, the oldest
  EXPECT_EQ(keys.find(key_of(1)), nullptr);
  ASSERT_NE(keys.find(key_of(2)), nullptr);
  EXPECT_EQ(*keys.find(key_of(2)), std::uint64_t{20});
  keys.assign_all(7);
  EXPECT_EQ(*keys.find(key_of(3)), std::uint64_t{7});
  EXPECT_EQ(*keys.find(key_of(4)), std::uint64_t{7});
}

TEST(RecentKeys, MemoryStaysWithinItsBound) {
  // 262,144 keys (the relay's default): 40-byte ring entries and an index of 2^19 8-byte slots,
  // 14 MiB, against about 21 MiB for the node map and deque it replaced.
  RecentKeys<std::pair<bool, std::uint64_t>> keys(262'144);
  for (std::uint64_t n = 0; n < 300'000; ++n) keys.put(key_of(n), 0, {false, n});
  EXPECT_EQ(keys.size(), 262'144u);
  EXPECT_LE(keys.memory_bytes(), std::size_t{15} << 20);
  EXPECT_EQ(keys.find(key_of(37'855)), nullptr);
  EXPECT_NE(keys.find(key_of(37'856)), nullptr);
}

}  // namespace
}  // namespace exile::relay
