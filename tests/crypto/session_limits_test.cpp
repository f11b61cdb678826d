// The ratchet's limits (docs/protocol.md §"Limits"): MAX_SKIP per chain step, checked
// before any key is derived; at most kMaxSkippedKeys stored, oldest evicted; skipped keys
// expire after kSkippedKeyLifetime. A rejected message changes nothing.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "crypto/limits.h"
#include "crypto/session.h"
#include "crypto/support/session_pair.h"

namespace exile::crypto {
namespace {

using test::decrypts_to;
using test::fails_unchanged;
using test::make_session_pair;

std::string text(std::size_t i) { return "m" + std::to_string(i); }

// count messages from sender, in order, in its current sending chain.
std::vector<Bytes> send_many(Session& sender, std::size_t count, Rng& rng) {
  std::vector<Bytes> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto e = sender.encrypt(as_bytes(text(i)), rng);
    EXPECT_TRUE(e);
    out.push_back(e ? std::move(*e) : Bytes{});
  }
  return out;
}

TEST(SessionLimitsTest, NewChainGapAboveMaxSkipIsRejected) {
  auto p = make_session_pair(100);
  const auto m = send_many(p.bob, kMaxSkip + 2, p.rng);
  EXPECT_TRUE(fails_unchanged(p.alice, m[kMaxSkip + 1], p.now, ErrorCode::TooManySkipped));
  EXPECT_EQ(p.alice.skipped_key_count(), 0u);
  ASSERT_TRUE(decrypts_to(p.alice, m[kMaxSkip], p.now, text(kMaxSkip)));  // gap of exactly 1000
  EXPECT_EQ(p.alice.skipped_key_count(), kMaxSkip);
  ASSERT_TRUE(decrypts_to(p.alice, m[kMaxSkip + 1], p.now, text(kMaxSkip + 1)));
  ASSERT_TRUE(decrypts_to(p.alice, m[0], p.now, text(0)));
  ASSERT_TRUE(decrypts_to(p.alice, m[kMaxSkip - 1], p.now, text(kMaxSkip - 1)));
  EXPECT_EQ(p.alice.skipped_key_count(), kMaxSkip - 2);
}

TEST(SessionLimitsTest, CurrentChainGapAboveMaxSkipIsRejected) {
  auto p = make_session_pair(101);
  const auto m = send_many(p.bob, kMaxSkip + 3, p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, m[0], p.now, text(0)));
  EXPECT_TRUE(fails_unchanged(p.alice, m[kMaxSkip + 2], p.now, ErrorCode::TooManySkipped));
  ASSERT_TRUE(decrypts_to(p.alice, m[kMaxSkip + 1], p.now, text(kMaxSkip + 1)));
  EXPECT_EQ(p.alice.skipped_key_count(), kMaxSkip);
}

// The rest of the old chain (up to the peer's PN) is skipped before the DH step: that gap is
// limited as well.
TEST(SessionLimitsTest, PreviousChainGapAboveMaxSkipIsRejected) {
  for (const bool too_many : {true, false}) {
    auto p = make_session_pair(too_many ? 102 : 103);
    const std::size_t sent = kMaxSkip + (too_many ? 2 : 1);  // PN; Alice reads only m[0]
    const auto m = send_many(p.bob, sent, p.rng);
    ASSERT_TRUE(decrypts_to(p.alice, m[0], p.now, text(0)));
    auto a = p.alice.encrypt(as_bytes("turn"), p.rng);
    ASSERT_TRUE(a);
    ASSERT_TRUE(decrypts_to(p.bob, *a, p.now, "turn"));
    auto next = p.bob.encrypt(as_bytes("next chain"), p.rng);
    ASSERT_TRUE(next);
    if (too_many) {
      EXPECT_TRUE(fails_unchanged(p.alice, *next, p.now, ErrorCode::TooManySkipped));
      EXPECT_EQ(p.alice.skipped_key_count(), 0u);
    } else {
      ASSERT_TRUE(decrypts_to(p.alice, *next, p.now, "next chain"));
      EXPECT_EQ(p.alice.skipped_key_count(), kMaxSkip);
      EXPECT_TRUE(decrypts_to(p.alice, m[sent - 1], p.now, text(sent - 1)));
    }
  }
}

TEST(SessionLimitsTest, OldestSkippedKeysAreEvictedBeyondTheLimit) {
  auto p = make_session_pair(104);
  const auto m = send_many(p.bob, 2 * kMaxSkip + 4, p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, m[kMaxSkip], p.now, text(kMaxSkip)));  // m0..m999 skipped
  ASSERT_TRUE(decrypts_to(p.alice, m[2 * kMaxSkip + 1], p.now, text(2 * kMaxSkip + 1)));
  ASSERT_EQ(p.alice.skipped_key_count(), kMaxSkippedKeys);
  ASSERT_TRUE(decrypts_to(p.alice, m[2 * kMaxSkip + 3], p.now, text(2 * kMaxSkip + 3)));
  EXPECT_EQ(p.alice.skipped_key_count(), kMaxSkippedKeys);  // m0 evicted for m2002
  EXPECT_TRUE(fails_unchanged(p.alice, m[0], p.now, ErrorCode::DuplicateMessage));
  EXPECT_TRUE(decrypts_to(p.alice, m[1], p.now, text(1)));
  EXPECT_TRUE(decrypts_to(p.alice, m[2 * kMaxSkip + 2], p.now, text(2 * kMaxSkip + 2)));
  EXPECT_EQ(p.alice.skipped_key_count(), kMaxSkippedKeys - 2);

  // The state with 1998 keys round-trips.
  auto restored = Session::deserialize(p.alice.serialize());
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->skipped_key_count(), kMaxSkippedKeys - 2);
  EXPECT_TRUE(decrypts_to(*restored, m[kMaxSkip + 500], p.now, text(kMaxSkip + 500)));
}

TEST(SessionLimitsTest, SkippedKeysExpire) {
  auto p = make_session_pair(105);
  const auto m = send_many(p.bob, 8, p.rng);
  const UnixMillis t0 = p.now;
  ASSERT_TRUE(decrypts_to(p.alice, m[3], t0, text(3)));        // m0, m1, m2 stored at t0
  ASSERT_TRUE(decrypts_to(p.alice, m[6], t0 + 24h, text(6)));  // m4, m5 stored a day later
  EXPECT_EQ(p.alice.skipped_key_count(), 5u);

  // At exactly the lifetime a key is still good.
  ASSERT_TRUE(decrypts_to(p.alice, m[1], t0 + kSkippedKeyLifetime, text(1)));
  EXPECT_EQ(p.alice.skipped_key_count(), 4u);

  // One millisecond later m0 and m2 are gone; a failed decrypt drops nothing (all-or-nothing).
  const UnixMillis late = t0 + kSkippedKeyLifetime + 1ms;
  EXPECT_TRUE(fails_unchanged(p.alice, m[0], late, ErrorCode::DuplicateMessage));
  EXPECT_EQ(p.alice.skipped_key_count(), 4u);
  // The next successful decrypt drops the expired keys.
  ASSERT_TRUE(decrypts_to(p.alice, m[7], late, text(7)));
  EXPECT_EQ(p.alice.skipped_key_count(), 2u);
  EXPECT_TRUE(fails_unchanged(p.alice, m[2], late, ErrorCode::DuplicateMessage));
  EXPECT_TRUE(decrypts_to(p.alice, m[4], late, text(4)));  // stored a day later: still good
  EXPECT_EQ(p.alice.skipped_key_count(), 1u);
  // A day after that, m5 has expired too.
  const Bytes n = *p.bob.encrypt(as_bytes("n"), p.rng);
  ASSERT_TRUE(decrypts_to(p.alice, n, late + 24h, "n"));
  EXPECT_EQ(p.alice.skipped_key_count(), 0u);
  EXPECT_TRUE(fails_unchanged(p.alice, m[5], late + 24h, ErrorCode::DuplicateMessage));
}

TEST(SessionLimitsTest, ExtremeTimesDoNotOverflow) {
  auto p = make_session_pair(106);
  const auto m = send_many(p.bob, 3, p.rng);
  const UnixMillis min = from_millis(std::numeric_limits<std::int64_t>::min());
  const UnixMillis max = from_millis(std::numeric_limits<std::int64_t>::max());
  ASSERT_TRUE(decrypts_to(p.alice, m[2], min, text(2)));
  EXPECT_EQ(p.alice.skipped_key_count(), 2u);
  ASSERT_TRUE(decrypts_to(p.alice, m[1], min, text(1)));
  EXPECT_TRUE(fails_unchanged(p.alice, m[0], max, ErrorCode::DuplicateMessage));
}

}  // namespace
}  // namespace exile::crypto
