// A message whose counter is too far ahead is rejected before any key is derived: not one
// chain step (HMAC key schedule) and not one Diffie-Hellman. Proved by counting the libsodium
// calls the rejected decrypt makes: this binary is linked with --wrap for
// crypto_auth_hmacsha256_init and crypto_scalarmult (tests/CMakeLists.txt).
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <vector>

#include "crypto/limits.h"
#include "crypto/session.h"
#include "crypto/support/session_pair.h"

extern "C" {
int __real_crypto_auth_hmacsha256_init(crypto_auth_hmacsha256_state* state,
                                       const unsigned char* key, size_t keylen);
int __real_crypto_scalarmult(unsigned char* q, const unsigned char* n, const unsigned char* p);
}

namespace {
std::atomic<long> g_hmac_inits{0};
std::atomic<long> g_scalarmults{0};
}  // namespace

extern "C" {
int __wrap_crypto_auth_hmacsha256_init(crypto_auth_hmacsha256_state* state,
                                       const unsigned char* key, size_t keylen) {
  ++g_hmac_inits;
  return __real_crypto_auth_hmacsha256_init(state, key, keylen);
}
int __wrap_crypto_scalarmult(unsigned char* q, const unsigned char* n, const unsigned char* p) {
  ++g_scalarmults;
  return __real_crypto_scalarmult(q, n, p);
}
}

namespace exile::crypto {
namespace {

using test::fails_unchanged;
using test::make_session_pair;

std::vector<Bytes> send_many(Session& sender, std::size_t count, Rng& rng) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < count; ++i) {
    auto e = sender.encrypt(as_bytes("m"), rng);
    EXPECT_TRUE(e);
    out.push_back(e ? std::move(*e) : Bytes{});
  }
  return out;
}

struct Counts {
  long hmac_inits;
  long scalarmults;
};
Counts snapshot() { return {g_hmac_inits.load(), g_scalarmults.load()}; }

TEST(NoDerivationTest, CountersSeeTheWork) {
  // The wrap is live: an accepted message does derive keys.
  auto p = make_session_pair(300);
  const auto m = send_many(p.bob, 3, p.rng);
  const Counts before = snapshot();
  ASSERT_TRUE(p.alice.decrypt(m[2], p.now));
  EXPECT_GT(g_hmac_inits.load(), before.hmac_inits);
  EXPECT_GT(g_scalarmults.load(), before.scalarmults);
}

TEST(NoDerivationTest, NewChainGapAboveMaxSkip) {
  auto p = make_session_pair(301);
  const auto m = send_many(p.bob, kMaxSkip + 2, p.rng);
  const Counts before = snapshot();
  EXPECT_TRUE(fails_unchanged(p.alice, m[kMaxSkip + 1], p.now, ErrorCode::TooManySkipped));
  EXPECT_EQ(g_hmac_inits.load(), before.hmac_inits);
  EXPECT_EQ(g_scalarmults.load(), before.scalarmults);
}

TEST(NoDerivationTest, CurrentChainGapAboveMaxSkip) {
  auto p = make_session_pair(302);
  const auto m = send_many(p.bob, kMaxSkip + 3, p.rng);
  ASSERT_TRUE(p.alice.decrypt(m[0], p.now));
  const Counts before = snapshot();
  EXPECT_TRUE(fails_unchanged(p.alice, m[kMaxSkip + 2], p.now, ErrorCode::TooManySkipped));
  EXPECT_EQ(g_hmac_inits.load(), before.hmac_inits);
  EXPECT_EQ(g_scalarmults.load(), before.scalarmults);
}

}  // namespace
}  // namespace exile::crypto
