// SecureBuffer / SecureBytes / TempSecret (common/secure_buffer.h): ownership moves, wiping,
// constant-time comparison and the explicit copy out of protected memory. Redacted printing
// is pinned in tests/crypto/redaction_test.cpp.
#include "common/secure_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <type_traits>
#include <utility>

namespace exile {
namespace {

static_assert(!std::is_copy_constructible_v<SecureBuffer<32>>);
static_assert(!std::is_copy_assignable_v<SecureBuffer<32>>);
static_assert(std::is_nothrow_move_constructible_v<SecureBuffer<32>>);
static_assert(std::is_nothrow_move_assignable_v<SecureBuffer<32>>);
static_assert(!std::is_copy_constructible_v<TempSecret<32>>);
static_assert(!std::is_copy_assignable_v<TempSecret<32>>);
static_assert(SecureBuffer<17>::size() == 17 && SecureBuffer<17>::kSize == 17);

Bytes pattern(std::size_t n, std::uint8_t start) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(start + i);
  return out;
}

bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

TEST(SecureBuffer, StartsZeroed) {
  const SecureBuffer<32> buffer;
  ASSERT_TRUE(buffer.valid());
  EXPECT_TRUE(all_zero(buffer.view()));
}

TEST(SecureBuffer, InitialisesFromView) {
  const Bytes init = pattern(32, 1);
  const SecureBuffer<32> buffer(init);
  EXPECT_EQ(buffer.copy_to_insecure(), init);
  EXPECT_TRUE(std::equal(init.begin(), init.end(), buffer.span().begin()));
}

TEST(SecureBuffer, MoveConstructionTransfersOwnership) {
  SecureBuffer<32> source(pattern(32, 7));
  const std::uint8_t* storage = source.data();
  SecureBuffer<32> target(std::move(source));
  EXPECT_FALSE(source.valid());  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(source.data(), nullptr);
  ASSERT_TRUE(target.valid());
  EXPECT_EQ(target.data(), storage);  // the same guarded allocation, not a copy
  EXPECT_EQ(target.copy_to_insecure(), pattern(32, 7));
}

TEST(SecureBuffer, MoveAssignmentTransfersOwnership) {
  SecureBuffer<16> source(pattern(16, 3));
  SecureBuffer<16> target(pattern(16, 100));
  const std::uint8_t* storage = source.data();
  target = std::move(source);
  EXPECT_FALSE(source.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(target.data(), storage);
  EXPECT_EQ(target.copy_to_insecure(), pattern(16, 3));
}

TEST(SecureBuffer, MoveAssignmentIntoEmptyBuffer) {
  SecureBuffer<16> a(pattern(16, 1));
  SecureBuffer<16> b(std::move(a));
  a = std::move(b);  // a was empty: nothing to free, takes b's allocation
  ASSERT_TRUE(a.valid());
  EXPECT_FALSE(b.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.copy_to_insecure(), pattern(16, 1));
}

TEST(SecureBuffer, WipeZeroesInPlace) {
  SecureBuffer<64> buffer(pattern(64, 1));
  const std::uint8_t* storage = buffer.data();
  buffer.wipe();
  EXPECT_EQ(buffer.data(), storage);
  EXPECT_TRUE(all_zero(buffer.view()));
}

TEST(SecureBuffer, EqualsComparesContent) {
  const SecureBuffer<32> a(pattern(32, 9));
  const SecureBuffer<32> b(pattern(32, 9));
  EXPECT_TRUE(a.equals(b));
  EXPECT_TRUE(b.equals(a));
  for (std::size_t i = 0; i < 32; ++i) {
    Bytes other = pattern(32, 9);
    other[i] ^= 0x01;  // one bit anywhere makes them differ
    EXPECT_FALSE(a.equals(SecureBuffer<32>(other))) << "byte " << i;
  }
}

TEST(SecureBuffer, CloneIsAnIndependentCopy) {
  SecureBuffer<32> original(pattern(32, 5));
  const SecureBuffer<32> copy = original.clone();
  EXPECT_NE(copy.data(), original.data());
  EXPECT_TRUE(copy.equals(original));
  original.wipe();
  EXPECT_EQ(copy.copy_to_insecure(), pattern(32, 5));
}

TEST(SecureBuffer, CopyToInsecureIsACopy) {
  SecureBuffer<8> buffer(pattern(8, 42));
  Bytes out = buffer.copy_to_insecure();
  EXPECT_EQ(out, pattern(8, 42));
  out[0] ^= 0xff;
  EXPECT_EQ(buffer.data()[0], 42);
  buffer.wipe();
  EXPECT_EQ(out[1], 43);
}

TEST(SecureBuffer, SpanWritesThrough) {
  SecureBuffer<4> buffer;
  auto span = buffer.span();
  span[2] = 0x5a;
  EXPECT_EQ(buffer.view()[2], 0x5a);
  EXPECT_EQ(span.size(), 4u);
}

TEST(SecureBytes, ViewAndConstantTimeEqual) {
  SecureBytes secret = {1, 2, 3, 4};
  const Bytes same = {1, 2, 3, 4};
  const Bytes different = {1, 2, 3, 5};
  const Bytes shorter = {1, 2, 3};
  EXPECT_EQ(view(secret).size(), 4u);
  EXPECT_TRUE(constant_time_equal(view(secret), same));
  EXPECT_FALSE(constant_time_equal(view(secret), different));
  EXPECT_FALSE(constant_time_equal(view(secret), shorter));
  EXPECT_TRUE(constant_time_equal({}, {}));
}

TEST(SecureBytes, GrowsAndMovesLikeAVector) {
  SecureBytes secret;
  for (int i = 0; i < 10000; ++i) secret.push_back(static_cast<std::uint8_t>(i));
  const std::uint8_t* storage = secret.data();
  SecureBytes moved = std::move(secret);
  EXPECT_EQ(moved.data(), storage);
  EXPECT_EQ(moved.size(), 10000u);
  EXPECT_EQ(moved[9999], static_cast<std::uint8_t>(9999));
}

TEST(TempSecret, StartsZeroedAndHoldsWrites) {
  TempSecret<24> temp;
  EXPECT_TRUE(all_zero(temp.view()));
  std::fill(temp.span().begin(), temp.span().end(), std::uint8_t{0xaa});
  EXPECT_EQ(temp.view().size(), 24u);
  EXPECT_TRUE(std::all_of(temp.view().begin(), temp.view().end(),
                          [](std::uint8_t b) { return b == 0xaa; }));
  EXPECT_EQ(temp.data()[23], 0xaa);
}

}  // namespace
}  // namespace exile
