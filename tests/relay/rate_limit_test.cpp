// Tests for the token buckets of src/relay/rate_limit.h, with time passed in.
#include "relay/rate_limit.h"

#include <gtest/gtest.h>

#include <array>

#include "relay/array_hash.h"

namespace exile::relay {
namespace {

TEST(TokenBucketTest, BurstThenRate) {
  TokenBucket bucket(10, 1000, 20, 0);  // 10 per second, burst 20
  for (int i = 0; i < 20; ++i) EXPECT_EQ(bucket.take(0), 0U) << i;
  const std::uint32_t wait = bucket.take(0);
  EXPECT_GE(wait, 100U);  // one token per 100 ms
  EXPECT_LE(wait, 101U);
  EXPECT_NE(bucket.take(99), 0U);
  EXPECT_EQ(bucket.take(100), 0U);
  EXPECT_NE(bucket.take(100), 0U);
}

TEST(TokenBucketTest, RefillsUpToBurstOnly) {
  TokenBucket bucket(1, 1000, 3, 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.take(0), 0U);
  EXPECT_NE(bucket.take(0), 0U);
  // An hour later: still at most 3.
  const std::int64_t later = 3'600'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.take(later), 0U);
  EXPECT_NE(bucket.take(later), 0U);
  EXPECT_TRUE(bucket.full(later + 3000));
}

TEST(TokenBucketTest, PerMinuteRates) {
  TokenBucket bucket(10, 60'000, 30, 1000);  // 10 per minute, burst 30
  for (int i = 0; i < 30; ++i) EXPECT_EQ(bucket.take(1000), 0U);
  const std::uint32_t wait = bucket.take(1000);
  EXPECT_GE(wait, 6000U);
  EXPECT_LE(wait, 6001U);
  EXPECT_EQ(bucket.take(1000 + 6000), 0U);
}

TEST(TokenBucketTest, TimeGoingBackwardsGivesNothing) {
  TokenBucket bucket(1, 1000, 1, 10'000);
  EXPECT_EQ(bucket.take(10'000), 0U);
  EXPECT_NE(bucket.take(5'000), 0U);
  EXPECT_NE(bucket.take(10'500), 0U);
  EXPECT_EQ(bucket.take(11'000), 0U);
}

using Key = std::array<std::uint8_t, 16>;

TEST(KeyedRateLimiterTest, KeysAreIndependent) {
  KeyedRateLimiter<Key, ArrayHash> limiter(10, 60'000, 2, 100);
  const Key a{1};
  const Key b{2};
  EXPECT_EQ(limiter.take(a, 0), 0U);
  EXPECT_EQ(limiter.take(a, 0), 0U);
  EXPECT_NE(limiter.take(a, 0), 0U);
  EXPECT_EQ(limiter.take(b, 0), 0U);
  EXPECT_EQ(limiter.size(), 2U);
}

TEST(KeyedRateLimiterTest, BoundedDropsFullBucketsAndFailsClosed) {
  KeyedRateLimiter<Key, ArrayHash> limiter(1, 1000, 1, 2);
  EXPECT_EQ(limiter.take(Key{1}, 0), 0U);
  EXPECT_EQ(limiter.take(Key{2}, 0), 0U);
  // Both buckets are empty: a third key is refused rather than growing the map.
  EXPECT_NE(limiter.take(Key{3}, 0), 0U);
  EXPECT_EQ(limiter.size(), 2U);
  // A second later both have refilled: they are dropped and the new key gets a bucket.
  EXPECT_EQ(limiter.take(Key{3}, 1000), 0U);
  EXPECT_EQ(limiter.size(), 1U);
}

}  // namespace
}  // namespace exile::relay
