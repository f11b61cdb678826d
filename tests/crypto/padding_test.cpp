// Plaintext padding (crypto/detail/padding.h): the buckets, and byte-for-byte agreement with
// libsodium's sodium_pad / sodium_unpad, which define the format.
#include "crypto/detail/padding.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "common/rng.h"
#include "common/sodium.h"
#include "crypto/limits.h"

namespace exile::crypto::detail {
namespace {

TEST(PaddingTest, SmallestBucketWithRoomForTheMarker) {
  EXPECT_EQ(padded_size(0), 1024u);
  EXPECT_EQ(padded_size(1023), 1024u);
  EXPECT_EQ(padded_size(1024), 4096u);
  EXPECT_EQ(padded_size(4095), 4096u);
  EXPECT_EQ(padded_size(4096), 16384u);
  EXPECT_EQ(padded_size(16383), 16384u);
  EXPECT_EQ(padded_size(16384), 65536u);
  EXPECT_EQ(padded_size(kMaxPlaintext), 65536u);
  EXPECT_FALSE(padded_size(kMaxPlaintext + 1));
  for (std::size_t bucket : kPaddingBuckets) EXPECT_TRUE(is_bucket_size(bucket));
  for (std::size_t size : {0u, 1u, 1023u, 1025u, 2048u, 65535u, 65537u, 131072u}) {
    EXPECT_FALSE(is_bucket_size(size)) << size;
  }
}

TEST(PaddingTest, SameBytesAsSodiumPad) {
  ensure_sodium();
  DeterministicRng rng(1);
  for (std::size_t bucket : kPaddingBuckets) {
    for (std::size_t length :
         {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{9},
          bucket / 2, bucket - 9, bucket - 8, bucket - 2, bucket - 1}) {
      Bytes ours(bucket);
      rng.fill(ours);  // stale bytes after the plaintext must be overwritten
      Bytes theirs = ours;
      pad_in_place(ours, length);
      std::size_t padded = 0;
      ASSERT_EQ(sodium_pad(&padded, theirs.data(), length, bucket, bucket), 0);
      ASSERT_EQ(padded, bucket);
      ASSERT_EQ(ours, theirs) << bucket << " " << length;
      std::size_t unpadded = 0;
      ASSERT_EQ(sodium_unpad(&unpadded, ours.data(), bucket, bucket), 0);
      EXPECT_EQ(unpadded, length);
      EXPECT_EQ(unpadded_length(ours), length);
    }
  }
}

TEST(PaddingTest, AcceptsExactlyWhatSodiumUnpadAccepts) {
  ensure_sodium();
  DeterministicRng rng(2);
  for (int i = 0; i < 20000; ++i) {
    const std::size_t size = 1 + rng.uniform(40);
    Bytes buffer(size, 0);
    // Mostly zeros, with a few bytes set at random (sometimes 0x80), to hit every case.
    const std::uint32_t set = rng.uniform(4);
    for (std::uint32_t k = 0; k < set; ++k) {
      buffer[rng.uniform(static_cast<std::uint32_t>(size))] =
          rng.uniform(2) == 0 ? 0x80 : static_cast<std::uint8_t>(rng.uniform(256));
    }
    std::size_t length = 0;
    const bool sodium_ok = sodium_unpad(&length, buffer.data(), size, size) == 0;
    const auto ours = unpadded_length(buffer);
    ASSERT_EQ(ours.has_value(), sodium_ok) << i;
    if (sodium_ok) {
      ASSERT_EQ(*ours, length) << i;
    }
  }
  EXPECT_FALSE(unpadded_length({}));
}

}  // namespace
}  // namespace exile::crypto::detail
